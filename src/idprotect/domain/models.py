"""The domain objects: principals (users, service principals, agents) with their risk, history
items and risk detections.

Every principal kind shares what the risk core reads and writes (`Principal`: id, deletion,
processing, risk) and adds its own descriptive fields; every kind's detections share `Detection`
and add theirs. The core (transitions, history, detections, principals) never looks past the
shared part; domain/kinds.py says what each kind adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Self

from idprotect.domain.enums import (
    ActivityType,
    AgentIdentityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)


@dataclass(frozen=True, slots=True)
class Risk:
    """The aggregate risk of a principal; a principal has one once it has ever been risky."""

    level: RiskLevel
    state: RiskState
    detail: RiskDetail
    last_updated: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """A principal of the directory. It is *risky* (listed by Graph) once `risk` is set."""

    id: str
    is_deleted: bool = False
    is_processing: bool = False
    risk: Risk | None = None

    def with_risk(self, risk: Risk) -> Self:
        return replace(self, risk=risk)


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Principal):
    display_name: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePrincipal(Principal):
    app_id: str | None = None
    display_name: str | None = None
    is_enabled: bool = True
    # A string in Graph, not an enum: Application, ManagedIdentity, Legacy, SocialIdp.
    service_principal_type: str | None = "Application"


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent(Principal):
    display_name: str | None = None
    blueprint_id: str | None = None
    identity_type: AgentIdentityType = AgentIdentityType.AGENT_IDENTITY
    is_enabled: bool = True


@dataclass(frozen=True, slots=True)
class Activity:
    """What caused a history entry (Graph's riskUserActivity, riskServicePrincipalActivity)."""

    detail: RiskDetail | None
    risk_event_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One state of a risky principal, as written when the state changed.

    `ticks` (.NET ticks, 100 ns since 0001-01-01) orders a principal's items and makes the id of
    every item but the newest: `principalId + ticks`; the newest item's id is the principal id.
    `principal` is the principal as it was then, its risk included.
    """

    principal_id: str
    ticks: int
    principal: Principal
    activity: Activity
    initiated_by: str | None
    is_current: bool = False

    @property
    def id(self) -> str:
        return self.principal_id if self.is_current else f"{self.principal_id}{self.ticks}"


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    state: str | None = None
    country_or_region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """What every kind's risk detections have: the risk core reads and closes these."""

    id: str
    principal_id: str
    risk_event_type: str
    risk_level: RiskLevel
    risk_state: RiskState
    risk_detail: RiskDetail
    activity_at: datetime
    detected_at: datetime
    last_updated_at: datetime
    detection_timing_type: RiskDetectionTimingType
    source: str | None = "IdentityProtection"
    additional_info: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInDetection(Detection):
    """A detection that may come from a sign-in (users' and service principals')."""

    activity: ActivityType = ActivityType.SIGNIN
    token_issuer_type: TokenIssuerType = TokenIssuerType.AZURE_AD
    ip_address: str | None = None
    location: Location | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    mitre_technique_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskDetection(SignInDetection):
    """A user's risk detection (Graph's riskDetection)."""

    user_display_name: str | None = None
    user_principal_name: str | None = None

    @property
    def user_id(self) -> str:
        return self.principal_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePrincipalRiskDetection(SignInDetection):
    service_principal_display_name: str | None = None
    app_id: str | None = None
    key_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRiskDetection(Detection):
    agent_display_name: str | None = None
    blueprint_id: str | None = None
    identity_type: AgentIdentityType = AgentIdentityType.AGENT_IDENTITY
    risk_evidence: str | None = None


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """A detection flowing in from outside (the admin API, the CLI, fixtures).

    `principal` names whom it is about: its id, and for a principal new to the directory what
    to create it with. `details` are the fields the kind's detections add (ip_address,
    key_ids, risk_evidence, ...) as its detection class names them. Fields left as None take
    the defaults of `detections.new_detection`.
    """

    principal: Principal
    risk_event_type: str
    risk_level: RiskLevel
    id: str | None = None
    risk_state: RiskState = RiskState.AT_RISK
    risk_detail: RiskDetail = RiskDetail.NONE
    activity_at: datetime | None = None
    detected_at: datetime | None = None
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.REALTIME
    source: str | None = "IdentityProtection"
    additional_info: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
