"""The ops tests' fixtures: an event loop per test for the SDKs' async calls, as the
compatibility suite has it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal

from tests.compat.loop import Loop


@pytest.fixture
def loop() -> Iterator[Loop]:
    with start_blocking_portal() as portal:
        test_loop = Loop(portal)
        yield test_loop
        test_loop.close()
