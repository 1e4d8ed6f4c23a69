"""Sign-ins: what an identity provider reports of each authentication (Graph's signIn), and the
risk Identity Protection finds in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import Location


class SignInEventType(StrEnum):
    """Graph beta's signInEventTypes: which log a sign-in is in. idprotect takes these three."""

    INTERACTIVE_USER = "interactiveUser"
    NON_INTERACTIVE_USER = "nonInteractiveUser"
    SERVICE_PRINCIPAL = "servicePrincipal"


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
    """One sign-in event; `error_code` 0 is a success (Graph's status.errorCode).

    It is a user's (`user_id`) or a service principal's (`service_principal_id`; `user_id` is
    then "", as Graph writes it). `principal_id` is whichever it is: object ids are unique
    across a directory's users and service principals, so the history is keyed by it alone.
    """

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
    service_principal_id: str | None = None
    service_principal_name: str | None = None
    # The id of the credential (secret or certificate) the service principal signed in with.
    service_principal_credential_key_id: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0

    @property
    def principal_id(self) -> str:
        return self.service_principal_id or self.user_id

    @property
    def kind(self) -> PrincipalKind:
        return SERVICE_PRINCIPAL if self.service_principal_id else USER

    @property
    def event_type(self) -> SignInEventType:
        if self.service_principal_id:
            return SignInEventType.SERVICE_PRINCIPAL
        if self.is_interactive:
            return SignInEventType.INTERACTIVE_USER
        return SignInEventType.NON_INTERACTIVE_USER
