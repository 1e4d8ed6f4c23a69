"""The client-credentials grant's rules as Entra applies them: the client's credentials, and
which requests and clients are refused, with Entra's OAuth error and AADSTS code."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from idprotect.issuer.apps import AppRegistration, secret_matches
from idprotect.issuer.client_assertion import JWT_BEARER, AssertionRefused, verify_client_assertion

GRAPH_SCOPES = (
    "https://graph.microsoft.com/.default",
    "00000003-0000-0000-c000-000000000000/.default",
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused token request: the HTTP status, OAuth's error, Entra's AADSTS code, and why."""

    status: int
    error: str
    code: int
    description: str


UNKNOWN = Refusal(400, "invalid_request", 900144, "The request could not be processed.")


def client_credentials(authorization: str, form: dict[str, str]) -> tuple[str, str]:
    """client_secret_basic (the Authorization header) or client_secret_post (form fields)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def client_assertion(form: dict[str, str]) -> str:
    """A client assertion of the one type Entra takes (a JWT), or ""."""
    if form.get("client_assertion_type") != JWT_BEARER:
        return ""
    return form.get("client_assertion", "")


def refuse_request(form: dict[str, str], client_id: str) -> Refusal | None:
    grant_type, scope = form.get("grant_type", ""), form.get("scope", "").strip()
    if grant_type != "client_credentials":
        return Refusal(400, "unsupported_grant_type", 70003,
            f"The app requested an unsupported grant type '{grant_type}'. "
            "Only client_credentials is supported here.")  # fmt: skip
    if not client_id:
        return Refusal(400, "invalid_request", 900144,
            "The request body must contain the following parameter: 'client_id'.")  # fmt: skip
    if scope not in GRAPH_SCOPES:
        return Refusal(400, "invalid_scope", 1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows "
            "must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).")  # fmt: skip
    return None


def refuse_client(
    tenant: str,
    client_id: str,
    app: AppRegistration | None,
    *,
    secret: str,
    assertion: str,
    audiences: tuple[str, ...],
    now: datetime,
) -> Refusal | None:
    if app is None:
        return Refusal(400, "unauthorized_client", 700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'.")  # fmt: skip
    if assertion:
        return _refuse_assertion(assertion, app, audiences, now)
    if not secret:
        return Refusal(401, "invalid_client", 7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.")  # fmt: skip
    if not secret_matches(secret, app.secret_hash):
        return Refusal(401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            f"the client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.")  # fmt: skip
    return None


def _refuse_assertion(
    assertion: str, app: AppRegistration, audiences: tuple[str, ...], now: datetime
) -> Refusal | None:
    try:
        verify_client_assertion(
            assertion,
            client_id=app.client_id,
            certificate_pem=app.certificate_pem,
            audiences=audiences,
            now=now,
        )
    except AssertionRefused as refused:
        return Refusal(401, "invalid_client", refused.code, refused.description)
    return None
