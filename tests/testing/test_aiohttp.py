"""aiohttp client code that hard-codes Graph's and Entra's hosts runs against mock_graph."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from idprotect.testing import MockGraph, mock_graph
from tests.testing import integration


@pytest.fixture
def graph() -> Iterator[MockGraph]:
    with mock_graph() as active:
        yield active


def test_form_post_sign_in_then_filtered_pages(graph: MockGraph):
    high = {graph.add_risky_user(riskLevel="high") for _ in range(7)}
    graph.add_risky_user(riskLevel="low")
    app = graph.register_app()

    async def job() -> list[dict[str, object]]:
        token = await integration.client_credentials_token_with_aiohttp(
            app.tenant_id, app.client_id, app.client_secret
        )
        return await integration.high_risk_users_with_aiohttp(token)

    users = asyncio.run(job())

    assert {u["id"] for u in users} == high


def test_base_url_default_headers_and_json_body(graph: MockGraph):
    user_id = graph.add_risky_user()
    token = graph.token()

    status = asyncio.run(integration.dismiss_with_aiohttp(token, [user_id]))

    assert status == 204
    assert integration.risky_users_with_httpx(token)[0]["riskState"] == "dismissed"


def test_a_session_made_before_routing_began_is_routed_too():
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            with mock_graph() as graph:
                user_id = graph.add_risky_user(riskLevel="high")
                users = await integration.high_risk_users_with_aiohttp(graph.token(), session)
                assert [u["id"] for u in users] == [user_id]

    asyncio.run(scenario())


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp runs on asyncio alone (trio is installed too, for the browser tests' driver)."""
    return "asyncio"


@pytest.mark.anyio
async def test_in_an_async_test(graph: MockGraph):
    user_id = graph.add_risky_user(riskLevel="high")

    users = await integration.high_risk_users_with_aiohttp(graph.token())

    assert [u["id"] for u in users] == [user_id]


def test_links_and_errors_read_as_from_graph(graph: MockGraph):
    for _ in range(6):
        graph.add_risky_user(riskLevel="high")

    async def first_page_then_a_refusal() -> tuple[dict[str, str], int, str]:
        headers = {"Authorization": f"Bearer {graph.token()}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers?$top=5"
            async with session.get(url) as page:
                body = await page.json()
            async with session.get(f"{integration.GRAPH}/v1.0/identityProtection/nope") as bad:
                return body, bad.status, (await bad.json())["error"]["code"]

    page, status, code = asyncio.run(first_page_then_a_refusal())

    assert page["@odata.nextLink"].startswith(
        "https://graph.microsoft.com/v1.0/identityProtection/riskyUsers?"
    )
    assert page["@odata.context"].startswith("https://graph.microsoft.com/v1.0/$metadata#")
    assert (status, code) == (400, "BadRequest")


def test_entra_errors_raise_for_status(graph: MockGraph):
    app = graph.register_app()

    with pytest.raises(aiohttp.ClientResponseError) as caught:
        asyncio.run(
            integration.client_credentials_token_with_aiohttp(app.tenant_id, app.client_id, "x")
        )

    assert caught.value.status == 401


def test_other_hosts_are_not_routed(graph: MockGraph):
    base_url = graph.serve()  # 127.0.0.1 is no routed host: aiohttp connects to it itself

    async def get() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base_url}/v1.0/identityProtection/riskyUsers") as response,
        ):
            return response.status

    assert asyncio.run(get()) == 401


def test_routing_ends_with_the_block():
    original = aiohttp.ClientSession._request
    with mock_graph():
        assert aiohttp.ClientSession._request is not original
    assert aiohttp.ClientSession._request is original
