"""Client code as real integrations write it: hard-coded Microsoft hosts, no base URL to change.

Nothing here knows about idprotect; the tests run it unmodified under `mock_graph`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import requests
import urllib3

LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com"


def client_credentials_token(tenant_id: str, client_id: str, client_secret: str) -> str:
    response = requests.post(
        f"{LOGIN}/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def risky_users_with_requests(token: str) -> list[dict[str, Any]]:
    """Every risky user, following nextLinks; the query string joined by hand."""
    url: str | None = GRAPH + "/v1.0/identityProtection/riskyUsers?$top=5&"
    users: list[dict[str, Any]] = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        while url:
            page = session.get(url, timeout=30)
            page.raise_for_status()
            users += page.json()["value"]
            url = page.json().get("@odata.nextLink")
    return users


def risky_users_with_httpx(token: str) -> list[dict[str, Any]]:
    url: str | None = f"{GRAPH}/v1.0/identityProtection/riskyUsers?$top=5&"
    users: list[dict[str, Any]] = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        while url:
            page = client.get(url).raise_for_status().json()
            users += page["value"]
            url = page.get("@odata.nextLink")
    return users


async def risky_user_with_async_httpx(token: str, user_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"{GRAPH}/v1.0") as client:
        response = await client.get(
            f"/identityProtection/riskyUsers/{user_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
    user: dict[str, Any] = response.raise_for_status().json()
    return user


def legacy_dismiss(token: str, user_ids: list[str]) -> int:
    """The old beta path, as SOAR playbooks written in 2019 still call it."""
    response = requests.post(
        f"{GRAPH}/beta/riskyUsers/dismiss",
        json={"userIds": user_ids},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return response.status_code


async def client_credentials_token_with_aiohttp(
    tenant_id: str, client_id: str, client_secret: str
) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        session.post(f"{LOGIN}/{tenant_id}/oauth2/v2.0/token", data=form) as response,
    ):
        token: str = (await response.json())["access_token"]
    return token


async def high_risk_users_with_aiohttp(
    token: str, session: aiohttp.ClientSession | None = None
) -> list[dict[str, Any]]:
    """Every high-risk user, following nextLinks, on the caller's session or a new one."""
    own = session is None
    session = session or aiohttp.ClientSession()
    users: list[dict[str, Any]] = []
    url: str | None = f"{GRAPH}/v1.0/identityProtection/riskyUsers"
    params: dict[str, str] | None = {"$filter": "riskLevel eq 'high'", "$top": "5"}
    try:
        while url:
            async with session.get(
                url, params=params, headers={"Authorization": f"Bearer {token}"}
            ) as page:
                page.raise_for_status()
                body = await page.json()
            users += body["value"]
            url, params = body.get("@odata.nextLink"), None
    finally:
        if own:
            await session.close()
    return users


async def dismiss_with_aiohttp(token: str, user_ids: list[str]) -> int:
    """A session with Graph as its base URL and the token in its default headers."""
    async with (
        aiohttp.ClientSession(
            base_url=f"{GRAPH}/v1.0/", headers={"Authorization": f"Bearer {token}"}
        ) as session,
        session.post("identityProtection/riskyUsers/dismiss", json={"userIds": user_ids}) as r,
    ):
        return r.status


def risky_user_with_urllib3(token: str, user_id: str) -> dict[str, Any]:
    response = urllib3.request(
        "GET",
        f"{GRAPH}/v1.0/identityProtection/riskyUsers/{user_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status != 200:
        raise RuntimeError(f"Graph answered {response.status}: {response.data!r}")
    user: dict[str, Any] = response.json()
    return user


def confirm_compromised_with_urllib3(
    pool: urllib3.PoolManager, token: str, user_ids: list[str]
) -> int:
    response = pool.request(
        "POST",
        f"{GRAPH}/v1.0/identityProtection/riskyUsers/confirmCompromised",
        json={"userIds": user_ids},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status
