"""Sign-in events as they come in: Graph's signIn shape (what `POST /_admin/.../signIns` and
`idprotect signins import` take), checked as strictly as the rest of /_admin, to domain SignIns.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Self

from pydantic import AwareDatetime, Field, field_validator, model_validator

from idprotect.domain.ids import normalize_object_id
from idprotect.domain.signins import SignIn, SignInEventType
from idprotect.fixtures import InputModel, SignInLocation

_SHA1 = re.compile(r"[0-9A-Fa-f]{40}\Z")


def sha1(value: str) -> str:
    """A SHA-1 digest, in upper case as breach corpora write them."""
    if not _SHA1.match(value):
        raise ValueError("must be a SHA-1 digest: 40 hex digits")
    return value.upper()


def network(value: str) -> str:
    """An IPv4 or IPv6 address or CIDR range, in its normal form."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("must be an IP address or a CIDR range") from None


class DeviceDetail(InputModel):
    browser: str | None = Field(default=None, max_length=128)
    operating_system: str | None = Field(default=None, max_length=128)
    device_id: str | None = Field(default=None, max_length=128)
    is_compliant: bool | None = None


class SignInStatus(InputModel):
    error_code: int = Field(default=0, ge=0, le=2**31 - 1)
    failure_reason: str | None = Field(default=None, max_length=1024)


# The event types a sign-in may say it is, and whether each is interactive.
_INTERACTIVE = {
    SignInEventType.INTERACTIVE_USER: True,
    SignInEventType.NON_INTERACTIVE_USER: False,
    SignInEventType.SERVICE_PRINCIPAL: False,
}


class SignInEvent(InputModel):
    """One sign-in, in Graph's signIn shape (beta's, for a service principal's);
    `credentialHashes` (SHA-1 digests of the credentials used, never passwords) is idprotect's
    extension for leakedCredentials.

    It names exactly one principal: `userId` (a user's sign-in) or `servicePrincipalId` (a
    service principal's). The other may be "" (Graph writes "" for the id a sign-in has not);
    `signInEventTypes`, if given, must say the same."""

    id: str = Field(min_length=1, max_length=128)
    created_date_time: AwareDatetime
    user_id: str | None = Field(default=None, max_length=128)
    service_principal_id: str | None = Field(default=None, max_length=128)
    service_principal_name: str | None = Field(default=None, max_length=256)
    service_principal_credential_key_id: str | None = Field(default=None, max_length=64)
    sign_in_event_types: list[SignInEventType] | None = Field(
        default=None, min_length=1, max_length=1
    )
    user_principal_name: str | None = Field(default=None, max_length=256)
    user_display_name: str | None = Field(default=None, max_length=256)
    app_id: str | None = Field(default=None, max_length=64)
    app_display_name: str | None = Field(default=None, max_length=256)
    ip_address: str | None = Field(default=None, max_length=64)
    client_app_used: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=2048)
    correlation_id: str | None = Field(default=None, max_length=64)
    location: SignInLocation | None = None
    device_detail: DeviceDetail | None = None
    status: SignInStatus | None = None
    is_interactive: bool = True
    authentication_requirement: str | None = Field(default=None, max_length=64)
    conditional_access_status: str | None = Field(default=None, max_length=64)
    credential_hashes: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("credential_hashes")
    @classmethod
    def _digests(cls, values: list[str]) -> list[str]:
        return [sha1(value) for value in values]

    @model_validator(mode="after")
    def _one_principal(self) -> Self:
        if bool(self.user_id) == bool(self.service_principal_id):
            both = ", not both" if self.user_id else ""
            raise ValueError(
                f"a sign-in names one principal: a userId or a servicePrincipalId{both}"
            )
        if self.user_id and (
            self.service_principal_name or self.service_principal_credential_key_id
        ):
            raise ValueError(
                "a user's sign-in has no servicePrincipalName or servicePrincipalCredentialKeyId"
            )
        return self._event_type_agrees()

    def _event_type_agrees(self) -> Self:
        """signInEventTypes, when given, says the principal's kind and, for a user, whether the
        sign-in was interactive (as isInteractive does, if given too); a service principal's
        sign-in is never interactive."""
        given = self.sign_in_event_types[0] if self.sign_in_event_types else None
        stated = "is_interactive" in self.model_fields_set
        if self.service_principal_id:
            if given not in (None, SignInEventType.SERVICE_PRINCIPAL):
                raise ValueError(
                    "a service principal's sign-in has signInEventTypes ['servicePrincipal']"
                )
            if stated and self.is_interactive:
                raise ValueError("a service principal's sign-in is not interactive")
            self.is_interactive = False
        elif given == SignInEventType.SERVICE_PRINCIPAL:
            raise ValueError(
                "a user's sign-in has signInEventTypes ['interactiveUser'] or "
                "['nonInteractiveUser']"
            )
        elif given is not None:
            if stated and self.is_interactive is not _INTERACTIVE[given]:
                raise ValueError("signInEventTypes and isInteractive disagree")
            self.is_interactive = _INTERACTIVE[given]
        return self

    def to_domain(self) -> SignIn:
        device = self.device_detail or DeviceDetail()
        status = self.status or SignInStatus()
        service_principal = self.service_principal_id
        return SignIn(
            id=self.id,
            created_at=self.created_date_time,
            user_id="" if service_principal else normalize_object_id(self.user_id or ""),
            service_principal_id=(
                normalize_object_id(service_principal) if service_principal else None
            ),
            service_principal_name=self.service_principal_name,
            service_principal_credential_key_id=self.service_principal_credential_key_id,
            user_principal_name=self.user_principal_name,
            user_display_name=self.user_display_name,
            app_id=self.app_id,
            app_display_name=self.app_display_name,
            ip_address=self.ip_address,
            client_app_used=self.client_app_used,
            user_agent=self.user_agent,
            correlation_id=self.correlation_id,
            location=self.location.to_domain() if self.location else None,
            browser=device.browser,
            operating_system=device.operating_system,
            device_id=device.device_id,
            is_compliant=device.is_compliant,
            error_code=status.error_code,
            failure_reason=status.failure_reason,
            is_interactive=self.is_interactive,
            authentication_requirement=self.authentication_requirement,
            conditional_access_status=self.conditional_access_status,
            credential_hashes=tuple(self.credential_hashes),
        )
