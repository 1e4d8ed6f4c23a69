"""Unmodified client code that hard-codes Graph's and Entra's hosts runs against mock_graph."""

from __future__ import annotations

import anyio
import httpx
import pytest
import requests

from idprotect.testing import MockGraph, mock_graph
from tests.testing import integration


@pytest.fixture
def graph() -> MockGraph:
    with mock_graph() as active:
        yield active


def test_requests_client_credentials_then_every_page(graph: MockGraph):
    seeded = {graph.add_risky_user() for _ in range(12)}
    app = graph.register_app()

    token = integration.client_credentials_token(app.tenant_id, app.client_id, app.client_secret)
    users = integration.risky_users_with_requests(token)

    assert {u["id"] for u in users} == seeded
    assert len(users) == 12


def test_httpx_sync_follows_next_links(graph: MockGraph):
    seeded = {graph.add_risky_user() for _ in range(7)}

    users = integration.risky_users_with_httpx(graph.token())

    assert {u["id"] for u in users} == seeded


def test_next_links_name_the_hard_coded_host(graph: MockGraph):
    for _ in range(6):
        graph.add_risky_user()
    headers = {"Authorization": f"Bearer {graph.token()}"}

    page = httpx.get(
        f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers?$top=5&", headers=headers
    )

    assert page.json()["@odata.nextLink"].startswith(
        "https://graph.microsoft.com/v1.0/identityProtection/riskyUsers?"
    )
    assert page.json()["@odata.context"] == (
        "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers"
    )


def test_async_httpx(graph: MockGraph):
    user_id = graph.add_risky_user(riskLevel="high")

    user = anyio.run(integration.risky_user_with_async_httpx, graph.token(), user_id)

    assert (user["id"], user["riskLevel"], user["riskState"]) == (user_id, "high", "atRisk")


def test_legacy_beta_dismiss_path(graph: MockGraph):
    user_id = graph.add_risky_user()
    token = graph.token()

    status = integration.legacy_dismiss(token, [user_id])
    user = integration.risky_user_with_async_httpx

    assert status == 204
    assert anyio.run(user, token, user_id)["riskState"] == "dismissed"


def test_clients_made_before_routing_began_are_routed_too():
    session, client = requests.Session(), httpx.Client()
    with session, client, mock_graph() as graph:
        headers = {"Authorization": f"Bearer {graph.token()}"}
        url = f"{integration.GRAPH}/v1.0/identityProtection/riskDetections"

        assert session.get(url, headers=headers).json()["value"] == []
        assert client.get(url, headers=headers).json()["value"] == []


def test_entra_errors_reach_the_client(graph: MockGraph):
    app = graph.register_app()

    with pytest.raises(requests.HTTPError) as caught:
        integration.client_credentials_token(app.tenant_id, app.client_id, "wrong-secret")

    assert caught.value.response.status_code == 401
    assert caught.value.response.json()["error"] == "invalid_client"


def test_graph_errors_reach_the_client(graph: MockGraph):
    headers = {"Authorization": f"Bearer {graph.token('IdentityRiskEvent.Read.All')}"}

    response = requests.get(
        f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers", headers=headers, timeout=5
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "Forbidden"
