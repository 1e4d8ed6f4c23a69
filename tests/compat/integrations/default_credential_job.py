"""A nightly job run by a CI pipeline: counts risky users by level.

DefaultAzureCredential, configured by the pipeline's environment (AZURE_TENANT_ID,
AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH; AZURE_AUTHORITY_HOST
for another cloud), with msgraph-sdk; GRAPH_URL and SSL_CERT_FILE for another cloud or a proxy.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from azure.identity import DefaultAzureCredential
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.integrations.cloud import Cloud


def main() -> dict[str, int]:
    return asyncio.run(count_by_level())


async def count_by_level() -> dict[str, int]:
    cloud = _cloud_from_environment()
    options = {"disable_instance_discovery": True} if not cloud.discovers_instances else {}
    with DefaultAzureCredential(**options) as credential:
        client, close = cloud.graph_client(credential)
        levels: Counter[str] = Counter()
        try:
            first = await client.identity_protection.risky_users.get()
            await PageIterator(first, client.request_adapter).iterate(
                lambda user: levels.update([str(user.risk_level.value)]) or True
            )
        finally:
            await close()
    return dict(levels)


def _cloud_from_environment() -> Cloud:
    authority = os.environ.get("AZURE_AUTHORITY_HOST", "login.microsoftonline.com")
    return Cloud(
        authority_host=authority.removeprefix("https://").rstrip("/"),
        graph_url=os.environ.get("GRAPH_URL", "https://graph.microsoft.com"),
        ca_bundle=os.environ.get("SSL_CERT_FILE"),
    )
