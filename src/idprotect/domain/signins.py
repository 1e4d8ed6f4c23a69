"""Sign-ins: what an identity provider reports of each authentication (Graph's signIn), and the
risk Identity Protection finds in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.models import Location


@dataclass(frozen=True, slots=True)
class SignInRisk:
    """Graph's risk properties of a sign-in."""

    level_during_sign_in: RiskLevel = RiskLevel.NONE  # of its real-time detections
    level_aggregated: RiskLevel = RiskLevel.NONE  # of all its detections, offline ones too
    state: RiskState = RiskState.NONE
    detail: RiskDetail = RiskDetail.NONE
    event_types: tuple[str, ...] = ()  # riskEventTypes_v2


@dataclass(frozen=True, slots=True)
class SignIn:
    """One sign-in event; `error_code` 0 is a success (Graph's status.errorCode)."""

    id: str
    created_at: datetime
    user_id: str
    user_principal_name: str | None = None
    user_display_name: str | None = None
    app_id: str | None = None
    app_display_name: str | None = None
    ip_address: str | None = None
    client_app_used: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None
    location: Location | None = None
    browser: str | None = None
    operating_system: str | None = None
    device_id: str | None = None
    is_compliant: bool | None = None
    error_code: int = 0
    failure_reason: str | None = None
    is_interactive: bool = True
    authentication_requirement: str | None = None
    conditional_access_status: str | None = None
    # SHA-1 digests (40 hex digits) of the credentials used, as the identity provider reports
    # them: an extension of Graph's shape that the leakedCredentials detector matches. Never a
    # password.
    credential_hashes: tuple[str, ...] = ()
    risk: SignInRisk = field(default_factory=SignInRisk)

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0
