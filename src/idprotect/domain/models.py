"""The domain objects: directory users with their risk, history items and risk detections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)


@dataclass(frozen=True, slots=True)
class UserRisk:
    """The aggregate risk of a user; a user has one once they have ever been risky."""

    level: RiskLevel
    state: RiskState
    detail: RiskDetail
    last_updated: datetime


@dataclass(frozen=True, slots=True)
class User:
    """A directory user. It is a *risky user* (listed by Graph) when `risk` is set."""

    id: str
    display_name: str | None = None
    user_principal_name: str | None = None
    is_deleted: bool = False
    is_processing: bool = False
    risk: UserRisk | None = None


@dataclass(frozen=True, slots=True)
class RiskyUser:
    """A user as the riskyUsers collection shows it."""

    id: str
    display_name: str | None
    user_principal_name: str | None
    is_deleted: bool
    is_processing: bool
    risk: UserRisk


@dataclass(frozen=True, slots=True)
class UserActivity:
    """What caused a history entry (Graph's riskUserActivity)."""

    detail: RiskDetail | None
    risk_event_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One state of a risky user, as written when the state changed.

    `ticks` (.NET ticks, 100 ns since 0001-01-01) orders a user's items and makes the id of every
    item but the newest: `userId + ticks`; the newest item's id is the user id itself.
    """

    user_id: str
    ticks: int
    user: RiskyUser
    activity: UserActivity
    initiated_by: str | None
    is_current: bool = False

    @property
    def id(self) -> str:
        return self.user_id if self.is_current else f"{self.user_id}{self.ticks}"


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    state: str | None = None
    country_or_region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None


@dataclass(frozen=True, slots=True)
class RiskDetection:
    id: str
    user_id: str
    user_display_name: str | None
    user_principal_name: str | None
    risk_event_type: str
    risk_level: RiskLevel
    risk_state: RiskState
    risk_detail: RiskDetail
    activity: ActivityType
    activity_at: datetime
    detected_at: datetime
    last_updated_at: datetime
    detection_timing_type: RiskDetectionTimingType
    source: str | None = "IdentityProtection"
    token_issuer_type: TokenIssuerType = TokenIssuerType.AZURE_AD
    ip_address: str | None = None
    location: Location | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    additional_info: str | None = None
    mitre_technique_id: str | None = None


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """A detection flowing in from outside (the admin API, the CLI, fixtures).

    Fields left as None take the defaults of `detections.new_detection`.
    """

    user_id: str
    risk_event_type: str
    risk_level: RiskLevel
    user_display_name: str | None = None
    user_principal_name: str | None = None
    id: str | None = None
    risk_state: RiskState = RiskState.AT_RISK
    risk_detail: RiskDetail = RiskDetail.NONE
    activity: ActivityType = ActivityType.SIGNIN
    activity_at: datetime | None = None
    detected_at: datetime | None = None
    detection_timing_type: RiskDetectionTimingType = RiskDetectionTimingType.REALTIME
    source: str | None = "IdentityProtection"
    token_issuer_type: TokenIssuerType = TokenIssuerType.AZURE_AD
    ip_address: str | None = None
    location: Location | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    additional_info: str | None = None
    mitre_technique_id: str | None = None
