"""The fixtures format (JSON): users, risk detections and set risk states, loaded into a tenant.

Used by `idprotect seed --file`, the `/_admin` API and the demo tenant. See docs/fixtures.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from idprotect.domain.clock import Clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.models import DetectionReport, Location, User, UserActivity, UserRisk
from idprotect.domain.ports import RiskStore
from idprotect.domain.tenants import Licence


class _Model(BaseModel):
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


class GeoCoordinates(_Model):
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


class SignInLocation(_Model):
    # Lengths are those of the columns (store/tables.py).
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


class DetectionFixture(_Model):
    """A risk detection to record; `riskState` atRisk (the default) puts its user at risk."""

    user_id: str = Field(min_length=1, max_length=128)
    risk_event_type: str = Field(min_length=1, max_length=128)
    risk_level: RiskLevel
    id: str | None = Field(default=None, min_length=1, max_length=128)
    user_display_name: str | None = Field(default=None, max_length=256)
    user_principal_name: str | None = Field(default=None, max_length=256)
    risk_state: RiskState = RiskState.AT_RISK
    risk_detail: RiskDetail = RiskDetail.NONE
    activity: ActivityType = ActivityType.SIGNIN
    activity_date_time: AwareDatetime | None = None
    detected_date_time: AwareDatetime | None = None
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.REALTIME
    source: str | None = Field(default="IdentityProtection", max_length=64)
    token_issuer_type: TokenIssuerType = TokenIssuerType.AZURE_AD
    ip_address: str | None = Field(default=None, max_length=64)
    location: SignInLocation | None = None
    request_id: str | None = Field(default=None, max_length=64)
    correlation_id: str | None = Field(default=None, max_length=64)
    additional_info: str | None = None
    mitre_technique_id: str | None = Field(default=None, max_length=32)

    def to_report(self) -> DetectionReport:
        return DetectionReport(
            user_id=self.user_id,
            risk_event_type=self.risk_event_type,
            risk_level=self.risk_level,
            user_display_name=self.user_display_name,
            user_principal_name=self.user_principal_name,
            id=self.id,
            risk_state=self.risk_state,
            risk_detail=self.risk_detail,
            activity=self.activity,
            activity_at=self.activity_date_time,
            detected_at=self.detected_date_time,
            detection_timing_type=self.detection_timing_type,
            source=self.source,
            token_issuer_type=self.token_issuer_type,
            ip_address=self.ip_address,
            location=self.location.to_domain() if self.location else None,
            request_id=self.request_id,
            correlation_id=self.correlation_id,
            additional_info=self.additional_info,
            mitre_technique_id=self.mitre_technique_id,
        )


class UserFixture(_Model):
    """A directory user. Risk fields, when given, set the user's risk after detections load."""

    id: str = Field(min_length=1, max_length=128)
    display_name: str | None = Field(default=None, max_length=256)
    user_principal_name: str | None = Field(default=None, max_length=256)
    is_deleted: bool = False
    risk_level: RiskLevel | None = None
    risk_state: RiskState | None = None
    risk_detail: RiskDetail = RiskDetail.NONE
    risk_last_updated_date_time: AwareDatetime | None = None

    def to_domain(self) -> User:
        return User(
            id=normalize_object_id(self.id),
            display_name=self.display_name,
            user_principal_name=self.user_principal_name,
        )


class Fixtures(_Model):
    tenant_id: str | None = Field(default=None, max_length=64)
    licence: Licence | None = None
    users: list[UserFixture] = Field(default_factory=list)
    risk_detections: list[DetectionFixture] = Field(default_factory=list)


def load_fixtures(store: RiskStore, *, tenant_id: str, fixtures: Fixtures, clock: Clock) -> None:
    """Users first, then detections (users become risky), then set risk states, then deletions.

    Changes the fixtures do not date are dated by `clock`, read once their users are locked.
    """
    store.ensure_tenant(tenant_id)
    if fixtures.licence is not None:
        store.set_tenant_licence(tenant_id, fixtures.licence)
    users = [u.to_domain() for u in fixtures.users]
    store.add_missing_users(tenant_id, users)
    store.update_user_names(tenant_id, users)
    if fixtures.risk_detections:
        reports = [d.to_report() for d in fixtures.risk_detections]
        ingest_risk_detections(store, tenant_id=tenant_id, reports=reports, clock=clock)
    _set_risk_states(store, tenant_id=tenant_id, fixtures=fixtures.users, clock=clock)
    deleted = [normalize_object_id(u.id) for u in fixtures.users if u.is_deleted]
    store.set_users_deleted(tenant_id, deleted, True)


def _set_risk_states(
    store: RiskStore, *, tenant_id: str, fixtures: list[UserFixture], clock: Clock
) -> None:
    wanted = {
        normalize_object_id(f.id): f for f in fixtures if f.risk_state is not None or f.risk_level
    }
    if not wanted:
        return
    users, latest_ticks = store.lock_users_and_latest_ticks(tenant_id, sorted(wanted))
    now = time_of_change(clock, users.values(), latest_ticks)
    changes: dict[str, tuple[User, UserRisk]] = {}
    for uid, f in wanted.items():
        risk = UserRisk(
            level=f.risk_level or RiskLevel.NONE,
            state=f.risk_state or RiskState.AT_RISK,
            detail=f.risk_detail,
            last_updated=f.risk_last_updated_date_time or now,
        )
        changes[uid] = (users[uid], risk)
    activities = {uid: UserActivity(detail=risk.detail) for uid, (_, risk) in changes.items()}
    write_history(
        store,
        tenant_id=tenant_id,
        changes=changes,
        activities=activities,
        actor_id=None,
        latest_ticks=latest_ticks,
    )
