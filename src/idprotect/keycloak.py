"""Keycloak's login events, as its event listeners and `GET /admin/realms/{realm}/events` give
them in JSON, as sign-ins in Graph's signIn shape.

LOGIN is a successful sign-in and LOGIN_ERROR a failed one; CLIENT_LOGIN and CLIENT_LOGIN_ERROR
(the client credentials grant: a client signing in as itself) are a service principal's; every
other event (LOGOUT, CODE_TO_TOKEN, an admin event...) is not a sign-in and comes back as
NotASignIn. What becomes what:

    id                  the event's `id` (Keycloak 22 and later), else a digest of the event
    createdDateTime     `time` (milliseconds since 1970, UTC)
    userId              `userId`; a failure for an unknown user (no `userId`) gets an id made
                        from the realm and `details.username`, the same for every attempt, so
                        that password spray counts each account tried once
    userPrincipalName   `details.username`
    appId, appDisplayName   `clientId`
    ipAddress           `ipAddress`
    correlationId       `sessionId`, else `details.code_id`
    status              errorCode 0 for LOGIN; for LOGIN_ERROR, ERROR_CODES below
    userAgent, deviceDetail.browser / operatingSystem
                        `details.user_agent`, `details.browser`, `details.os`, when a listener
                        adds them (Keycloak's own do not)

and for CLIENT_LOGIN and CLIENT_LOGIN_ERROR, instead of the user's:

    servicePrincipalId  a GUID made from the realm and `clientId` (uuid5 in SERVICE_PRINCIPALS):
                        the same for every sign-in of the client, failures included (which
                        carry no service account's `userId`), and different in each realm
    servicePrincipalName, appId, appDisplayName   `clientId`
    signInEventTypes    ["servicePrincipal"]
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from idprotect.sign_in_events import SignInEvent

SUCCESS = "LOGIN"
FAILURE = "LOGIN_ERROR"
CLIENT_SUCCESS = "CLIENT_LOGIN"
CLIENT_FAILURE = "CLIENT_LOGIN_ERROR"
_SUCCESSES = (SUCCESS, CLIENT_SUCCESS)

# Keycloak's error (org.keycloak.events.Errors) -> Entra's sign-in error code (AADSTS) and
# failure reason, the closest Entra has.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid_user_credentials": (50126, "Invalid username or password."),
    "user_not_found": (50034, "The user account does not exist in the directory."),
    "user_disabled": (50057, "The user account is disabled."),
    "user_temporarily_disabled": (50053, "The account is locked: too many failed attempts."),
    "invalid_client_credentials": (7000215, "Invalid client secret provided."),
    "client_not_found": (700016, "The application was not found in the directory."),
    "client_disabled": (7000112, "The application is disabled."),
    "consent_denied": (65004, "The user declined to consent to access the app."),
    "expired_code": (70008, "The authorization code has expired."),
}
# Any other error: Entra's catch-all failure.
OTHER_ERROR = (50000, "The sign-in failed.")

# Failed sign-ins of unknown users: a GUID per realm and username (uuid5 in this namespace).
UNKNOWN_USERS = uuid.UUID("4f0d7a5e-2c1b-5e8f-9a3d-6b7c8d9e0f1a")
# Clients signing in as themselves: a service principal's GUID per realm and clientId.
SERVICE_PRINCIPALS = uuid.UUID("9b6e2f1c-7d3a-5c4e-8f2b-1a0d9c8e7b6a")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_MS = int((datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000


class KeycloakEventError(ValueError):
    """A login event that cannot be a sign-in; the message says why."""


@dataclass(frozen=True, slots=True)
class NotASignIn:
    """An event that is no sign-in: its type (`admin` for an admin event)."""

    type: str


class KeycloakEvent(BaseModel):
    """EventRepresentation: what is read of it. Newer fields are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, extra="ignore", strict=True)

    type: str = Field(min_length=1, max_length=64)
    time: int = Field(ge=0, le=_LATEST_MS)
    id: str | None = None
    realm_id: str | None = None
    client_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    ip_address: str | None = None
    error: str | None = None
    details: dict[str, Any] | None = None

    def detail(self, *names: str) -> str | None:
        """The first of these details the event has; a detail is a string."""
        for name in names:
            value = (self.details or {}).get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise KeycloakEventError(f"details.{name} must be a string")
            return value
        return None


def is_keycloak_event(value: Mapping[str, object]) -> bool:
    """Whether a JSON object is a Keycloak event (a login event or an admin event)."""
    return "time" in value and ("type" in value or "operationType" in value)


def sign_in_event(value: Mapping[str, object]) -> SignInEvent | NotASignIn:
    """The sign-in a Keycloak event is, or NotASignIn; ValueError (pydantic's
    ValidationError, or KeycloakEventError) if it is malformed."""
    if "type" not in value and "operationType" in value:
        return NotASignIn("admin")
    event = KeycloakEvent.model_validate(value)
    if event.type in (CLIENT_SUCCESS, CLIENT_FAILURE):
        return _client_sign_in(event, value)
    if event.type not in (SUCCESS, FAILURE):
        return NotASignIn(event.type)
    user_id = _user_id(event)
    if user_id is None:
        return NotASignIn(f"{event.type} of no user")
    return SignInEvent.model_validate(
        {
            **_graph_sign_in(event, value),
            "userId": user_id,
            "userPrincipalName": event.detail("username"),
        }
    )


def _client_sign_in(event: KeycloakEvent, raw: Mapping[str, object]) -> SignInEvent | NotASignIn:
    """A client's sign-in as itself (client credentials): its service principal's."""
    if not event.client_id:
        if event.type == CLIENT_SUCCESS:
            raise KeycloakEventError("a CLIENT_LOGIN event must name its client (clientId)")
        return NotASignIn(f"{event.type} of no client")
    service_principal = uuid.uuid5(
        SERVICE_PRINCIPALS, f"{event.realm_id or ''}\x00{event.client_id}"
    )
    return SignInEvent.model_validate(
        {
            **_graph_sign_in(event, raw),
            "servicePrincipalId": str(service_principal),
            "servicePrincipalName": event.client_id,
            "signInEventTypes": ["servicePrincipal"],
        }
    )


def _user_id(event: KeycloakEvent) -> str | None:
    if event.user_id:
        return event.user_id
    if event.type == SUCCESS:
        raise KeycloakEventError("a LOGIN event must name its user (userId)")
    username = event.detail("username")
    if not username:
        return None  # a request that never named a user (client_not_found...)
    return str(uuid.uuid5(UNKNOWN_USERS, f"{event.realm_id or ''}\x00{username.lower()}"))


def _graph_sign_in(event: KeycloakEvent, raw: Mapping[str, object]) -> dict[str, object]:
    """What a user's and a client's sign-ins share."""
    created = _EPOCH + timedelta(milliseconds=event.time)
    return {
        "id": event.id or event_digest(raw),
        "createdDateTime": created.isoformat(),
        "appId": event.client_id,
        "appDisplayName": event.client_id,
        "ipAddress": event.ip_address,
        "userAgent": event.detail("user_agent", "userAgent"),
        "correlationId": event.session_id or event.detail("code_id"),
        "deviceDetail": {
            "browser": event.detail("browser"),
            "operatingSystem": event.detail("os", "operating_system"),
        },
        "status": _status(event),
    }


def _status(event: KeycloakEvent) -> dict[str, object]:
    if event.type in _SUCCESSES:
        return {"errorCode": 0}
    error = event.error or "unknown_error"
    code, reason = ERROR_CODES.get(error, OTHER_ERROR)
    return {"errorCode": code, "failureReason": f"{reason} (Keycloak: {error})"}


def event_digest(value: Mapping[str, object]) -> str:
    """A stable id for an event that has none: the SHA-256 of its canonical JSON."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
