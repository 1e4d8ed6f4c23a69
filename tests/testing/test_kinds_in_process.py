"""Risky service principals and agents under the pytest plugin: msgraph-sdk and
msgraph-beta-sdk as their READMEs show them, base URL untouched, signed in as an app with the
default roles (which cover every principal kind)."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import httpx
import msgraph_beta
from azure.identity import ClientSecretCredential
from msgraph import GraphServiceClient
from msgraph.generated.identity_protection.risky_service_principals.dismiss.dismiss_post_request_body import (  # noqa: E501
    DismissPostRequestBody,
)
from msgraph.generated.models.risk_state import RiskState
from msgraph.generated.models.risky_service_principal import RiskyServicePrincipal
from msgraph_beta.generated.identity_protection.risky_agents.confirm_safe.confirm_safe_post_request_body import (  # noqa: E501
    ConfirmSafePostRequestBody,
)
from msgraph_beta.generated.models.risk_state import RiskState as BetaRiskState
from msgraph_beta.generated.models.risky_agent_identity import RiskyAgentIdentity
from msgraph_beta.generated.models.risky_agent_identity_blueprint_principal import (
    RiskyAgentIdentityBlueprintPrincipal,
)
from msgraph_beta.generated.models.risky_agent_user import RiskyAgentUser
from msgraph_core.tasks.page_iterator import PageIterator

from idprotect.testing import MockGraph
from tests.testing import integration

SCOPES = ["https://graph.microsoft.com/.default"]
AGENT_TYPES = {
    "agentIdentity": RiskyAgentIdentity,
    "agentUser": RiskyAgentUser,
    "agentIdentityBlueprintPrincipal": RiskyAgentIdentityBlueprintPrincipal,
}


def _service_principal_detection() -> dict[str, Any]:
    sp_id = str(uuid.uuid4())
    return {"servicePrincipalId": sp_id, "servicePrincipalDisplayName": f"App {sp_id[:8]}",
            "riskEventType": "leakedCredentials", "riskLevel": "high"}  # fmt: skip


def _agent_detection(identity_type: str) -> dict[str, Any]:
    return {"agentId": str(uuid.uuid4()), "identityType": identity_type,
            "riskEventType": "unfamiliarResourceAccess", "riskLevel": "medium"}  # fmt: skip


def _credential(graph: MockGraph) -> ClientSecretCredential:
    app = graph.register_app()
    return ClientSecretCredential(app.tenant_id, app.client_id, app.client_secret)


def test_service_principals_with_msgraph_sdk(idprotect_graph: MockGraph):
    detections = [_service_principal_detection() for _ in range(23)]  # two pages of 20
    idprotect_graph.load_fixtures({"servicePrincipalRiskDetections": detections})
    credential = _credential(idprotect_graph)
    client = GraphServiceClient(credential, SCOPES)
    risky = client.identity_protection.risky_service_principals

    async def list_then_dismiss() -> tuple[list[RiskyServicePrincipal], Any, Any]:
        listed: list[RiskyServicePrincipal] = []
        await PageIterator(await risky.get(), client.request_adapter).iterate(
            lambda principal: listed.append(principal) or True
        )
        first = listed[0].id or ""
        await risky.dismiss.post(DismissPostRequestBody(service_principal_ids=[first]))
        return (
            listed,
            await risky.by_risky_service_principal_id(first).get(),
            await risky.by_risky_service_principal_id(first).history.get(),
        )

    with credential:
        listed, dismissed, history = anyio.run(list_then_dismiss)

    assert {p.id for p in listed} == {d["servicePrincipalId"] for d in detections}
    assert dismissed.risk_state == RiskState.Dismissed
    assert [item.risk_state for item in history.value] == [RiskState.Dismissed, RiskState.AtRisk]


def test_agents_with_msgraph_beta_sdk(idprotect_graph: MockGraph):
    detections = [_agent_detection(identity_type) for identity_type in AGENT_TYPES]
    idprotect_graph.load_fixtures({"agentRiskDetections": detections})
    credential = _credential(idprotect_graph)
    client = msgraph_beta.GraphServiceClient(credential, SCOPES)
    risky = client.identity_protection.risky_agents
    safe = detections[0]["agentId"]

    async def list_then_confirm_safe() -> tuple[list[Any], Any]:
        page = await risky.get()
        await risky.confirm_safe.post(ConfirmSafePostRequestBody(agent_ids=[safe]))
        return page.value or [], await risky.by_risky_agent_id(safe).get()

    with credential:
        listed, confirmed = anyio.run(list_then_confirm_safe)

    types = {agent.id: type(agent) for agent in listed}
    assert types == {d["agentId"]: AGENT_TYPES[d["identityType"]] for d in detections}
    assert type(confirmed) is RiskyAgentIdentity
    assert confirmed.risk_state == BetaRiskState.ConfirmedSafe


def test_the_default_token_reads_every_kind(idprotect_graph: MockGraph, idprotect_token: str):
    idprotect_graph.load_fixtures(
        {
            "servicePrincipalRiskDetections": [_service_principal_detection()],
            "agentRiskDetections": [_agent_detection("agentUser")],
        }
    )
    headers = {"Authorization": f"Bearer {idprotect_token}"}

    with httpx.Client(base_url=integration.GRAPH, headers=headers) as client:
        pages = [
            client.get("/v1.0/identityProtection/riskyServicePrincipals"),
            client.get("/v1.0/identityProtection/servicePrincipalRiskDetections"),
            client.get("/beta/identityProtection/riskyAgents"),
            client.get("/beta/identityProtection/agentRiskDetections"),
        ]

    assert [page.status_code for page in pages] == [200] * 4
    assert [len(page.json()["value"]) for page in pages] == [1] * 4
