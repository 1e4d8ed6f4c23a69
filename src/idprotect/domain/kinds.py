"""The principal kinds of Identity Protection: users, service principals (workload identities)
and agents. The risk core (transitions, history, detections, principals) is written once; each
kind is an entry here that says what differs: its names, its action body's id field, its
actions and the riskDetail each writes, what a licence lets a tenant see, and what its detections
copy from it. The store (store/kinds.py) and the API (api/kinds.py) add their own parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from idprotect.domain.enums import ActivityType, RiskDetail
from idprotect.domain.models import (
    Agent,
    AgentRiskDetection,
    Detection,
    Principal,
    RiskDetection,
    ServicePrincipal,
    ServicePrincipalRiskDetection,
    User,
)
from idprotect.domain.tenants import (
    Licences,
    View,
    agents_view,
    user_detections_view,
    users_view,
    workload_view,
)
from idprotect.domain.transitions import (
    CONFIRM_COMPROMISED,
    CONFIRM_SAFE,
    DISMISS,
    AdminAction,
    confirm_compromised,
    confirm_safe,
    dismiss,
)

# The most principals one admin action may name. Graph documents 60 for dismiss (users on beta,
# service principals on both versions); idprotect holds every action of every kind to it.
MAX_ACTION_IDS = 60


@dataclass(frozen=True, slots=True)
class PrincipalKind:
    name: str  # user, servicePrincipal, agent: how the store and the API key their parts
    entity: str  # riskyUser: how messages name one
    plural: str  # users: how messages name several
    id_field: str  # userId: how its detections and history items name it
    actions: tuple[AdminAction, ...]
    principal_type: type[Principal]
    detection_type: type[Detection]
    view: Callable[[Licences], View]  # its risky principals and their history
    detections_view: Callable[[Licences], View]
    # What its detections copy from their principal, as the detection class names the fields.
    copied: Callable[[Any], dict[str, Any]]
    # What the detection an action records (confirmCompromised) says beyond the shared fields.
    action_details: dict[str, Any]
    # A LIMITED view of its detections also shows premium riskEventTypes as `generic`.
    hides_premium_event_types: bool = False

    @property
    def ids_field(self) -> str:
        """The actions' body field: userIds."""
        return f"{self.id_field}s"

    def action(self, name: str) -> AdminAction:
        return next(action for action in self.actions if action.name == name)


def _user_names(user: User) -> dict[str, Any]:
    return {"user_display_name": user.display_name, "user_principal_name": user.user_principal_name}


def _service_principal_names(principal: ServicePrincipal) -> dict[str, Any]:
    return {"service_principal_display_name": principal.display_name, "app_id": principal.app_id}


def _agent_names(agent: Agent) -> dict[str, Any]:
    return {
        "agent_display_name": agent.display_name,
        "blueprint_id": agent.blueprint_id,
        "identity_type": agent.identity_type,
    }


USER = PrincipalKind(
    name="user",
    entity="riskyUser",
    plural="users",
    id_field="userId",
    actions=(DISMISS, CONFIRM_COMPROMISED, CONFIRM_SAFE),
    principal_type=User,
    detection_type=RiskDetection,
    view=users_view,
    detections_view=user_detections_view,
    copied=_user_names,
    action_details={"activity": ActivityType.USER},
    hides_premium_event_types=True,
)

# Graph binds no confirmSafe to service principals.
SERVICE_PRINCIPAL = PrincipalKind(
    name="servicePrincipal",
    entity="riskyServicePrincipal",
    plural="service principals",
    id_field="servicePrincipalId",
    actions=(
        dismiss(RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_SERVICE_PRINCIPAL),
        confirm_compromised(RiskDetail.ADMIN_CONFIRMED_SERVICE_PRINCIPAL_COMPROMISED),
    ),
    principal_type=ServicePrincipal,
    detection_type=ServicePrincipalRiskDetection,
    view=workload_view,
    detections_view=workload_view,
    copied=_service_principal_names,
    action_details={"activity": ActivityType.SERVICE_PRINCIPAL},
)

AGENT = PrincipalKind(
    name="agent",
    entity="riskyAgent",
    plural="agents",
    id_field="agentId",
    actions=(
        dismiss(RiskDetail.ADMIN_DISMISSED_RISK_FOR_AGENT),
        confirm_compromised(RiskDetail.ADMIN_CONFIRMED_AGENT_COMPROMISED),
        confirm_safe(RiskDetail.ADMIN_CONFIRMED_AGENT_SAFE),
    ),
    principal_type=Agent,
    detection_type=AgentRiskDetection,
    view=agents_view,
    detections_view=agents_view,
    copied=_agent_names,
    action_details={
        "risk_evidence": "An administrator confirmed the agent compromised.",
        "source": "activeDirectory",
    },
)

KINDS = (USER, SERVICE_PRINCIPAL, AGENT)
