"""An async collector: every risky user at risk and every recent detection, for a SIEM.

msgraph-sdk with azure.identity.aio's ClientSecretCredential, the pattern of the SDK's own
examples; pages through both collections with the SDK's PageIterator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.identity_protection.risk_detections.risk_detections_request_builder import (
    RiskDetectionsRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)
from msgraph.generated.models.risk_detection import RiskDetection
from msgraph.generated.models.risky_user import RiskyUser
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.integrations.cloud import PUBLIC_CLOUD, Cloud


@dataclass
class Collected:
    risky_users: list[RiskyUser] = field(default_factory=list)
    detections: list[RiskDetection] = field(default_factory=list)


async def collect(
    tenant_id: str,
    client_id: str,
    client_secret: str,
    cloud: Cloud = PUBLIC_CLOUD,
    page_size: int = 10,
) -> Collected:
    credential = ClientSecretCredential(
        tenant_id, client_id, client_secret, **cloud.credential_options()
    )
    async with credential:
        client, close = cloud.graph_client(credential)
        try:
            return await _collect(client, page_size)
        finally:
            await close()


async def _collect(client: GraphServiceClient, page_size: int) -> Collected:
    collected = Collected()
    users = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters(
        filter="riskState eq 'atRisk'", top=page_size
    )
    first = await client.identity_protection.risky_users.get(
        RequestConfiguration(query_parameters=users)
    )
    await PageIterator(first, client.request_adapter).iterate(
        lambda user: collected.risky_users.append(user) or True
    )
    detections = RiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters(
        top=page_size
    )
    first = await client.identity_protection.risk_detections.get(
        RequestConfiguration(query_parameters=detections)
    )
    await PageIterator(first, client.request_adapter).iterate(
        lambda detection: collected.detections.append(detection) or True
    )
    return collected
