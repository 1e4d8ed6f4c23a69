"""pytest fixtures of idprotect.testing: a fresh in-process idprotect for each test that asks.

Loaded by the `pytest11` entry point. Imports the service only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from idprotect.testing.graph import MockGraph

MARKER = "idprotect"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options of the test's idprotect_graph (tenant_id, hosts, "
        "settings, clock), as mock_graph() takes them",
    )


@pytest.fixture
def idprotect_graph(request: pytest.FixtureRequest) -> Iterator[MockGraph]:
    """An empty idprotect answering graph.microsoft.com and login.microsoftonline.com for
    httpx, requests, aiohttp and urllib3 during the test."""
    from idprotect.testing.graph import MockGraph

    marker = request.node.get_closest_marker(MARKER)
    with MockGraph(**(marker.kwargs if marker else {})) as graph:
        yield graph


@pytest.fixture
def idprotect_url(idprotect_graph: MockGraph) -> str:
    """The same idprotect served over HTTP on 127.0.0.1 (for clients that open sockets)."""
    return idprotect_graph.serve()


@pytest.fixture
def idprotect_token(idprotect_graph: MockGraph) -> str:
    """An app-only token of the test tenant with the default roles (read and act on risky
    users, read detections)."""
    return idprotect_graph.token()
