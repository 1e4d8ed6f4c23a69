"""The fixtures format (JSON): users, service principals and agents, their risk detections and
set risk states, loaded into a tenant.

Used by `idprotect seed --file`, the `/_admin` API and the demo tenant. See docs/fixtures.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from idprotect.domain.clock import Clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import (
    ActivityType,
    AgentIdentityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import (
    Activity,
    Agent,
    DetectionReport,
    Location,
    Principal,
    Risk,
    ServicePrincipal,
    User,
)
from idprotect.domain.ports import RiskStore
from idprotect.domain.principals import update_profiles
from idprotect.domain.tenants import Licence


class InputModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        """Values every database keeps: text without NUL, moments that have a UTC form."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain the NUL character")
        if isinstance(value, datetime):
            try:
                return value.astimezone(UTC)
            except OverflowError:
                raise ValueError("must be a moment that exists in UTC") from None
        return value


class GeoCoordinates(InputModel):
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


class SignInLocation(InputModel):
    # Lengths are those of the columns (store/tables/).
    city: str | None = Field(default=None, max_length=128)
    state: str | None = Field(default=None, max_length=128)
    country_or_region: str | None = Field(default=None, max_length=128)
    geo_coordinates: GeoCoordinates | None = None

    def to_domain(self) -> Location:
        geo = self.geo_coordinates or GeoCoordinates()
        return Location(
            city=self.city,
            state=self.state,
            country_or_region=self.country_or_region,
            latitude=geo.latitude,
            longitude=geo.longitude,
            altitude=geo.altitude,
        )


class _DetectionFixture(InputModel):
    """What every kind's detection fixture has; `riskState` atRisk (the default) puts its
    principal at risk."""

    risk_event_type: str = Field(min_length=1, max_length=128)
    risk_level: RiskLevel
    id: str | None = Field(default=None, min_length=1, max_length=128)
    risk_state: RiskState = RiskState.AT_RISK
    risk_detail: RiskDetail = RiskDetail.NONE
    activity_date_time: AwareDatetime | None = None
    detected_date_time: AwareDatetime | None = None
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.REALTIME
    source: str | None = Field(default="IdentityProtection", max_length=64)
    additional_info: str | None = None

    def to_report(self) -> DetectionReport:
        raise NotImplementedError

    def _report(self, principal: Principal, details: dict[str, Any]) -> DetectionReport:
        return DetectionReport(
            principal=principal,
            risk_event_type=self.risk_event_type,
            risk_level=self.risk_level,
            id=self.id,
            risk_state=self.risk_state,
            risk_detail=self.risk_detail,
            activity_at=self.activity_date_time,
            detected_at=self.detected_date_time,
            detection_timing_type=self.detection_timing_type,
            source=self.source,
            additional_info=self.additional_info,
            details=details,
        )


class _SignInFixture(_DetectionFixture):
    activity: ActivityType = ActivityType.SIGNIN
    token_issuer_type: TokenIssuerType = TokenIssuerType.AZURE_AD
    ip_address: str | None = Field(default=None, max_length=64)
    location: SignInLocation | None = None
    request_id: str | None = Field(default=None, max_length=64)
    correlation_id: str | None = Field(default=None, max_length=64)
    mitre_technique_id: str | None = Field(default=None, max_length=32)

    def _sign_in(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "token_issuer_type": self.token_issuer_type,
            "ip_address": self.ip_address,
            "location": self.location.to_domain() if self.location else None,
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "mitre_technique_id": self.mitre_technique_id,
        }


class DetectionFixture(_SignInFixture):
    """A user's risk detection."""

    user_id: str = Field(min_length=1, max_length=128)
    user_display_name: str | None = Field(default=None, max_length=256)
    user_principal_name: str | None = Field(default=None, max_length=256)

    def to_report(self) -> DetectionReport:
        user = User(
            id=self.user_id,
            display_name=self.user_display_name,
            user_principal_name=self.user_principal_name,
        )
        return self._report(user, self._sign_in())


class ServicePrincipalDetectionFixture(_SignInFixture):
    """A service principal's risk detection (Graph: all of them are offline)."""

    service_principal_id: str = Field(min_length=1, max_length=128)
    service_principal_display_name: str | None = Field(default=None, max_length=256)
    app_id: str | None = Field(default=None, max_length=64)
    key_ids: list[str] = Field(default_factory=list, max_length=100)
    activity: ActivityType = ActivityType.SERVICE_PRINCIPAL
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.OFFLINE

    def to_report(self) -> DetectionReport:
        principal = ServicePrincipal(
            id=self.service_principal_id,
            display_name=self.service_principal_display_name,
            app_id=self.app_id,
        )
        return self._report(principal, {**self._sign_in(), "key_ids": tuple(self.key_ids)})


class AgentDetectionFixture(_DetectionFixture):
    """An agent's risk detection (Graph: all of them are offline)."""

    agent_id: str = Field(min_length=1, max_length=128)
    agent_display_name: str | None = Field(default=None, max_length=256)
    blueprint_id: str | None = Field(default=None, max_length=64)
    identity_type: AgentIdentityType = AgentIdentityType.AGENT_IDENTITY
    risk_evidence: str | None = None
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.OFFLINE
    # Graph's agent detections name their source so.
    source: str | None = Field(default="activeDirectory", max_length=64)

    def to_report(self) -> DetectionReport:
        agent = Agent(
            id=self.agent_id,
            display_name=self.agent_display_name,
            blueprint_id=self.blueprint_id,
            identity_type=self.identity_type,
        )
        return self._report(agent, {"risk_evidence": self.risk_evidence})


class _PrincipalFixture(InputModel):
    """What every kind's principal fixture has. Risk fields, when given, set its risk after
    detections load."""

    id: str = Field(min_length=1, max_length=128)
    is_deleted: bool = False
    risk_level: RiskLevel | None = None
    risk_state: RiskState | None = None
    risk_detail: RiskDetail = RiskDetail.NONE

    def to_domain(self) -> Principal:
        raise NotImplementedError

    def sets_risk(self) -> bool:
        return self.risk_state is not None or self.risk_level is not None

    def risk_changed_at(self) -> datetime | None:
        """When its risk was set: Graph's riskLastUpdatedDateTime (riskLastModified... for
        agents); None: when the fixtures load."""
        raise NotImplementedError


class _UpdatedFixture(_PrincipalFixture):
    risk_last_updated_date_time: AwareDatetime | None = None

    def risk_changed_at(self) -> datetime | None:
        return self.risk_last_updated_date_time


class UserFixture(_UpdatedFixture):
    """A directory user."""

    display_name: str | None = Field(default=None, max_length=256)
    user_principal_name: str | None = Field(default=None, max_length=256)

    def to_domain(self) -> User:
        return User(
            id=normalize_object_id(self.id),
            display_name=self.display_name,
            user_principal_name=self.user_principal_name,
        )


class ServicePrincipalFixture(_UpdatedFixture):
    """A service principal (an application's or a managed identity's)."""

    app_id: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=256)
    is_enabled: bool = True
    service_principal_type: str | None = Field(default="Application", max_length=64)

    def to_domain(self) -> ServicePrincipal:
        return ServicePrincipal(
            id=normalize_object_id(self.id),
            app_id=self.app_id,
            display_name=self.display_name,
            is_enabled=self.is_enabled,
            service_principal_type=self.service_principal_type,
        )


class AgentFixture(_PrincipalFixture):
    """An AI agent's identity: an agent identity, an agent user or a blueprint principal."""

    agent_display_name: str | None = Field(default=None, max_length=256)
    blueprint_id: str | None = Field(default=None, max_length=64)
    identity_type: AgentIdentityType = AgentIdentityType.AGENT_IDENTITY
    is_enabled: bool = True
    # Graph names an agent's risk timestamp so (riskLastUpdatedDateTime is refused for agents).
    risk_last_modified_date_time: AwareDatetime | None = None

    def risk_changed_at(self) -> datetime | None:
        return self.risk_last_modified_date_time

    def to_domain(self) -> Agent:
        return Agent(
            id=normalize_object_id(self.id),
            display_name=self.agent_display_name,
            blueprint_id=self.blueprint_id,
            identity_type=self.identity_type,
            is_enabled=self.is_enabled,
        )


class Fixtures(InputModel):
    tenant_id: str | None = Field(default=None, max_length=64)
    licence: Licence | None = None
    workload_identities: bool | None = None
    users: list[UserFixture] = Field(default_factory=list)
    risk_detections: list[DetectionFixture] = Field(default_factory=list)
    service_principals: list[ServicePrincipalFixture] = Field(default_factory=list)
    service_principal_risk_detections: list[ServicePrincipalDetectionFixture] = Field(
        default_factory=list
    )
    agents: list[AgentFixture] = Field(default_factory=list)
    agent_risk_detections: list[AgentDetectionFixture] = Field(default_factory=list)

    def by_kind(
        self,
    ) -> list[tuple[PrincipalKind, Sequence[_PrincipalFixture], Sequence[_DetectionFixture]]]:
        return [
            (USER, self.users, self.risk_detections),
            (SERVICE_PRINCIPAL, self.service_principals, self.service_principal_risk_detections),
            (AGENT, self.agents, self.agent_risk_detections),
        ]


def load_fixtures(store: RiskStore, *, tenant_id: str, fixtures: Fixtures, clock: Clock) -> None:
    """For each kind: principals first, then detections (principals become risky), then set
    risk states, then deletions.

    Changes the fixtures do not date are dated by `clock`, read once their principals are
    locked.
    """
    store.ensure_tenant(tenant_id)
    store.set_tenant_licences(
        tenant_id, entra=fixtures.licence, workload_identities=fixtures.workload_identities
    )
    for kind, principals, detections in fixtures.by_kind():
        _load_kind(store, kind, tenant_id=tenant_id, principals=principals, clock=clock)
        if detections:
            reports = [d.to_report() for d in detections]
            ingest_risk_detections(store, kind, tenant_id=tenant_id, reports=reports, clock=clock)
        _set_risk_states(store, kind, tenant_id=tenant_id, fixtures=principals, clock=clock)
        deleted = [normalize_object_id(p.id) for p in principals if p.is_deleted]
        store.set_deleted(kind, tenant_id, deleted, True)


def _load_kind(
    store: RiskStore,
    kind: PrincipalKind,
    *,
    tenant_id: str,
    principals: Sequence[_PrincipalFixture],
    clock: Clock,
) -> None:
    found = [p.to_domain() for p in principals]
    store.add_missing_principals(kind, tenant_id, found)
    update_profiles(store, kind, tenant_id=tenant_id, principals=found, clock=clock)


def _set_risk_states(
    store: RiskStore,
    kind: PrincipalKind,
    *,
    tenant_id: str,
    fixtures: Sequence[_PrincipalFixture],
    clock: Clock,
) -> None:
    wanted = {normalize_object_id(f.id): f for f in fixtures if f.sets_risk()}
    if not wanted:
        return
    found, latest_ticks = store.lock_principals_and_latest_ticks(kind, tenant_id, sorted(wanted))
    now = time_of_change(clock, found.values(), latest_ticks)
    changes: dict[str, tuple[Principal, Risk]] = {}
    for pid, f in wanted.items():
        risk = Risk(
            level=f.risk_level or RiskLevel.NONE,
            state=f.risk_state or RiskState.AT_RISK,
            detail=f.risk_detail,
            last_updated=f.risk_changed_at() or now,
        )
        changes[pid] = (found[pid], risk)
    activities = {pid: Activity(detail=risk.detail) for pid, (_, risk) in changes.items()}
    write_history(
        store,
        kind,
        tenant_id=tenant_id,
        changes=changes,
        activities=activities,
        actor_id=None,
        latest_ticks=latest_ticks,
    )
