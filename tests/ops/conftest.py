"""The ops tests' fixtures: the compatibility suite's event loop for the SDKs' async calls."""

from tests.compat.conftest import loop  # noqa: F401 (a fixture, registered by its name)
