"""Risky agents through msgraph-beta-sdk: list with query options, get, dismiss,
confirmCompromised and confirmSafe with the SDK's request bodies, agentRiskDetections. Each agent
is read into the subtype its @odata.type names (riskyAgent itself is abstract in practice)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.credentials import TokenCredential
from msgraph_beta import GraphServiceClient
from msgraph_beta.generated.identity_protection.agent_risk_detections.agent_risk_detections_request_builder import (  # noqa: E501
    AgentRiskDetectionsRequestBuilder,
)
from msgraph_beta.generated.identity_protection.risky_agents.confirm_compromised.confirm_compromised_post_request_body import (  # noqa: E501
    ConfirmCompromisedPostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_agents.confirm_safe.confirm_safe_post_request_body import (  # noqa: E501
    ConfirmSafePostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_agents.dismiss.dismiss_post_request_body import (  # noqa: E501
    DismissPostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_agents.risky_agents_request_builder import (
    RiskyAgentsRequestBuilder,
)
from msgraph_beta.generated.models.agent_identity_type import AgentIdentityType
from msgraph_beta.generated.models.agent_risk_detection import AgentRiskDetection
from msgraph_beta.generated.models.risk_detail import RiskDetail
from msgraph_beta.generated.models.risk_detection_timing_type import RiskDetectionTimingType
from msgraph_beta.generated.models.risk_level import RiskLevel
from msgraph_beta.generated.models.risk_state import RiskState
from msgraph_beta.generated.models.risky_agent import RiskyAgent
from msgraph_beta.generated.models.risky_agent_identity import RiskyAgentIdentity
from msgraph_beta.generated.models.risky_agent_identity_blueprint_principal import (
    RiskyAgentIdentityBlueprintPrincipal,
)
from msgraph_beta.generated.models.risky_agent_user import RiskyAgentUser

from tests.compat.conftest import Tenant
from tests.compat.kinds import (
    ROLES,
    add_detections,
    add_risky_agents,
    agent_detection,
    all_items,
    assert_parsed,
    config,
    raw_json,
)
from tests.compat.loop import Loop
from tests.compat.sdk import GRAPH_SCOPES, beta_client, credential

pytestmark = pytest.mark.slow  # a server process

AgentsQuery = RiskyAgentsRequestBuilder.RiskyAgentsRequestBuilderGetQueryParameters
DetectionsQuery = (
    AgentRiskDetectionsRequestBuilder.AgentRiskDetectionsRequestBuilderGetQueryParameters
)
SUBTYPES = {
    "agentIdentity": RiskyAgentIdentity,
    "agentUser": RiskyAgentUser,
    "agentIdentityBlueprintPrincipal": RiskyAgentIdentityBlueprintPrincipal,
}
ODATA_TYPES = {
    "agentIdentity": "#microsoft.graph.riskyAgentIdentity",
    "agentUser": "#microsoft.graph.riskyAgentUser",
    "agentIdentityBlueprintPrincipal": "#microsoft.graph.riskyAgentIdentityBlueprintPrincipal",
}
ACTIONS = {
    "dismiss": (DismissPostRequestBody, RiskState.Dismissed, RiskDetail.AdminDismissedRiskForAgent),
    "confirm_compromised": (
        ConfirmCompromisedPostRequestBody,
        RiskState.ConfirmedCompromised,
        RiskDetail.AdminConfirmedAgentCompromised,
    ),
    "confirm_safe": (
        ConfirmSafePostRequestBody,
        RiskState.ConfirmedSafe,
        RiskDetail.AdminConfirmedAgentSafe,
    ),
}


@pytest.fixture
def signed_in(tenant: Tenant, loop: Loop) -> TokenCredential:
    return credential(tenant, loop, *ROLES)


@pytest.fixture
def client(tenant: Tenant, signed_in: TokenCredential, loop: Loop) -> GraphServiceClient:
    return beta_client(tenant, signed_in, loop)


def _one_of_each(tenant: Tenant) -> dict[str, str]:
    """An agent of each identity type, by type."""
    return {
        identity_type: add_risky_agents(tenant, 1, identityType=identity_type)[0]
        for identity_type in SUBTYPES
    }


def _raw(tenant: Tenant, signed_in: TokenCredential, path: str, *, prefer: bool) -> Any:
    return raw_json(tenant, signed_in, f"/beta/identityProtection/{path}", prefer=prefer)


@pytest.mark.parametrize("prefer", [False, True], ids=["plain", "include_unknown"])
def test_list_reads_each_agent_into_its_subtype(
    tenant: Tenant, client: GraphServiceClient, signed_in: TokenCredential, loop: Loop,
    prefer: bool,
):  # fmt: skip
    agents = _one_of_each(tenant)
    add_risky_agents(tenant, 3)
    risky_agents = client.identity_protection.risky_agents

    async def list_all() -> list[Any]:
        first = await risky_agents.get(
            request_configuration=config(AgentsQuery(top=2), prefer=prefer)
        )
        return await all_items(client.request_adapter, first, prefer=prefer)

    listed = loop.run(list_all())

    assert len(listed) == 6
    raw = {
        a["id"]: a for a in _raw(tenant, signed_in, "riskyAgents?$top=10", prefer=prefer)["value"]
    }
    for agent in listed:
        assert isinstance(agent, RiskyAgent)
        assert_parsed(agent, raw[agent.id])
    by_id = {agent.id: agent for agent in listed}
    for identity_type, agent_id in agents.items():
        agent = by_id[agent_id]
        assert type(agent) is SUBTYPES[identity_type]
        assert agent.odata_type == ODATA_TYPES[identity_type]
        evolvable = identity_type == "agentIdentityBlueprintPrincipal" and not prefer
        assert agent.identity_type == AgentIdentityType(
            "unknownFutureValue" if evolvable else identity_type
        )
        assert agent.risk_state == RiskState.AtRisk
        assert agent.risk_level == RiskLevel.High
        assert agent.risk_detail == RiskDetail.None_
        assert agent.is_deleted is False
        assert agent.is_enabled is True
        assert agent.risk_last_modified_date_time.tzinfo is not None


def test_get_reads_the_subtype(
    tenant: Tenant, client: GraphServiceClient, signed_in: TokenCredential, loop: Loop
):
    agents = _one_of_each(tenant)
    by_id = client.identity_protection.risky_agents.by_risky_agent_id

    async def get_each() -> dict[str, Any]:
        return {
            identity_type: await by_id(agent_id).get(request_configuration=config(prefer=True))
            for identity_type, agent_id in agents.items()
        }

    found = loop.run(get_each())

    for identity_type, agent in found.items():
        assert type(agent) is SUBTYPES[identity_type]
        assert agent.id == agents[identity_type]
        assert agent.identity_type == AgentIdentityType(identity_type)
        assert_parsed(agent, _raw(tenant, signed_in, f"riskyAgents/{agent.id}", prefer=True))


def test_query_options(tenant: Tenant, client: GraphServiceClient, loop: Loop):
    users = add_risky_agents(tenant, 3, identityType="agentUser", riskLevel="medium")
    add_risky_agents(tenant, 2, riskLevel="high")
    query = AgentsQuery(
        filter="identityType eq 'agentUser'", top=2, count=True, select=["id", "riskLevel"]
    )
    risky_agents = client.identity_protection.risky_agents

    async def list_and_count() -> tuple[Any, list[Any], int | None]:
        first = await risky_agents.get(request_configuration=config(query))
        return (
            first,
            await all_items(client.request_adapter, first, prefer=False),
            await risky_agents.count.get(),
        )

    first, listed, total = loop.run(list_and_count())

    assert first.odata_count == 3
    assert len(first.value) == 2
    assert total == 5
    assert sorted(agent.id for agent in listed) == sorted(users)
    for agent in listed:
        # @odata.type stays with a $select: the SDK still knows the subtype.
        assert type(agent) is RiskyAgentUser
        assert agent.risk_level == RiskLevel.Medium
        assert agent.risk_state is None
        assert agent.agent_display_name is None
        assert agent.additional_data == {}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_actions_with_the_sdk_request_bodies(
    tenant: Tenant, client: GraphServiceClient, loop: Loop, action: str
):
    acted, untouched = add_risky_agents(tenant, 2, riskLevel="medium")
    body, state, detail = ACTIONS[action]
    risky_agents = client.identity_protection.risky_agents

    async def act_then_read() -> list[Any]:
        await getattr(risky_agents, action).post(body(agent_ids=[acted]))
        by_id = risky_agents.by_risky_agent_id
        return [
            await by_id(acted).get(request_configuration=config(prefer=True)),
            await by_id(acted).get(),
            await by_id(untouched).get(),
        ]

    after, after_plain, other = loop.run(act_then_read())

    assert type(after) is RiskyAgentIdentity
    assert after.risk_state == state
    assert after.risk_detail == detail
    level = RiskLevel.High if action == "confirm_compromised" else RiskLevel.None_
    assert after.risk_level == level
    assert after_plain.risk_detail == RiskDetail.UnknownFutureValue
    assert other.risk_state == RiskState.AtRisk


@pytest.mark.parametrize("prefer", [False, True], ids=["plain", "include_unknown"])
def test_detections_list_and_get(
    tenant: Tenant, client: GraphServiceClient, signed_in: TokenCredential, loop: Loop,
    prefer: bool,
):  # fmt: skip
    (agent_id,) = add_risky_agents(tenant, 1, identityType="agentIdentityBlueprintPrincipal")
    add_detections(
        tenant,
        "agentRiskDetections",
        agent_detection(
            agentId=agent_id,
            identityType="agentIdentityBlueprintPrincipal",
            riskEventType="unusualVolumeOfResourceAccess",
            riskLevel="low",
            additionalInfo="",
        ),
    )
    add_risky_agents(tenant, 2)  # others', filtered out
    query = DetectionsQuery(filter=f"agentId eq '{agent_id}'", top=1)
    detections = client.identity_protection.agent_risk_detections

    async def list_then_get() -> tuple[list[Any], Any]:
        first = await detections.get(request_configuration=config(query, prefer=prefer))
        found = await all_items(client.request_adapter, first, prefer=prefer)
        one = detections.by_agent_risk_detection_id(found[-1].id)
        return found, await one.get(request_configuration=config(prefer=prefer))

    found, one = loop.run(list_then_get())

    assert len(found) == 2
    path = f"agentRiskDetections?$filter=agentId eq '{agent_id}'"
    raw = {d["id"]: d for d in _raw(tenant, signed_in, path, prefer=prefer)["value"]}
    for detection in [*found, one]:
        assert type(detection) is AgentRiskDetection
        assert_parsed(detection, raw[detection.id])
        assert detection.agent_id == agent_id
        assert detection.detection_timing_type == RiskDetectionTimingType.Offline
        expected = "agentIdentityBlueprintPrincipal" if prefer else "unknownFutureValue"
        assert detection.identity_type == AgentIdentityType(expected)
    assert {d.risk_event_type for d in found} == {
        "unfamiliarResourceAccess",
        "unusualVolumeOfResourceAccess",
    }
    assert_parsed(one, _raw(tenant, signed_in, f"agentRiskDetections/{one.id}", prefer=prefer))


def test_confirm_compromised_records_a_detection(
    tenant: Tenant, client: GraphServiceClient, loop: Loop
):
    (agent_id,) = add_risky_agents(tenant, 1)
    query = DetectionsQuery(filter=f"agentId eq '{agent_id}'")

    async def confirm_then_list() -> list[Any]:
        body = ConfirmCompromisedPostRequestBody(agent_ids=[agent_id])
        await client.identity_protection.risky_agents.confirm_compromised.post(body)
        page = await client.identity_protection.agent_risk_detections.get(
            request_configuration=config(query, prefer=True)
        )
        return page.value

    detections = loop.run(confirm_then_list())

    recorded = next(d for d in detections if d.risk_event_type != "unfamiliarResourceAccess")
    assert recorded.risk_event_type == "adminConfirmedAgentCompromised"
    assert recorded.risk_state == RiskState.ConfirmedCompromised
    assert recorded.risk_detail == RiskDetail.AdminConfirmedAgentCompromised


def test_no_history_for_agents_over_plain_http(tenant: Tenant, signed_in: TokenCredential):
    """The SDK has no history builder for agents (nor has Graph a history navigation)."""
    (agent_id,) = add_risky_agents(tenant, 1)
    token = signed_in.get_token(*GRAPH_SCOPES).token

    response = tenant.admin.get(
        f"/beta/identityProtection/riskyAgents/{agent_id}/history",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert response.json()["error"]["message"] == "Resource not found for the segment 'history'."
