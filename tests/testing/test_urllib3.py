"""urllib3 used directly against hard-coded Graph hosts runs against mock_graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import urllib3

from idprotect.testing import MockGraph, mock_graph
from tests.testing import integration


@pytest.fixture
def graph() -> Iterator[MockGraph]:
    with mock_graph() as active:
        yield active


def test_module_level_request(graph: MockGraph):
    user_id = graph.add_risky_user(riskLevel="high")

    user = integration.risky_user_with_urllib3(graph.token(), user_id)

    assert (user["id"], user["riskLevel"]) == (user_id, "high")


def test_a_pool_made_before_routing_began_is_routed_too():
    with urllib3.PoolManager() as pool, mock_graph() as graph:
        user_id = graph.add_risky_user()
        token = graph.token()

        status = integration.confirm_compromised_with_urllib3(pool, token, [user_id])

        assert status == 204
        assert integration.risky_user_with_urllib3(token, user_id)["riskState"] == (
            "confirmedCompromised"
        )


def test_streamed_reads_and_errors(graph: MockGraph):
    response = urllib3.request(
        "GET",
        f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers",
        preload_content=False,
    )
    body = b"".join(response.stream(16))
    response.release_conn()

    assert response.status == 401
    assert response.headers["content-type"].startswith("application/json")
    assert b"InvalidAuthenticationToken" in body


def test_other_hosts_are_not_routed(graph: MockGraph):
    base_url = graph.serve()

    response = urllib3.request("GET", f"{base_url}/v1.0/identityProtection/riskyUsers")

    assert response.status == 401


def test_routing_ends_with_the_block():
    original = urllib3.HTTPConnectionPool.urlopen
    with mock_graph():
        assert urllib3.HTTPConnectionPool.urlopen is not original
    assert urllib3.HTTPConnectionPool.urlopen is original
