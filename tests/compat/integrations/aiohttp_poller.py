"""A detection poller on aiohttp: signs in with a hand-written client-credentials request and
reads the newest detections page by page, as lightweight async services do."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp

from tests.compat.integrations.cloud import GRAPH_SCOPES, PUBLIC_CLOUD, Cloud


async def poll_detections(
    tenant_id: str, client_id: str, client_secret: str, cloud: Cloud = PUBLIC_CLOUD
) -> list[dict[str, Any]]:
    trust = ssl.create_default_context(cafile=cloud.ca_bundle) if cloud.ca_bundle else True
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=trust), raise_for_status=True
    ) as session:
        token = await _token(session, cloud, tenant_id, client_id, client_secret)
        headers = {"Authorization": f"Bearer {token}"}
        url: str | None = f"{cloud.graph_url}/v1.0/identityProtection/riskDetections"
        params: dict[str, str] | None = {"$top": "5", "$orderby": "detectedDateTime desc"}
        detections: list[dict[str, Any]] = []
        while url:
            async with session.get(url, params=params, headers=headers) as response:
                page = await response.json()
            detections += page["value"]
            url, params = page.get("@odata.nextLink"), None
    return detections


async def _token(
    session: aiohttp.ClientSession, cloud: Cloud, tenant_id: str, client_id: str, secret: str
) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": GRAPH_SCOPES[0],
    }
    url = f"{cloud.authority}/{tenant_id}/oauth2/v2.0/token"
    async with session.post(url, data=form) as response:
        token: str = (await response.json())["access_token"]
    return token
