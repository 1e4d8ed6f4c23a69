"""The built-in development issuer's endpoints, at Entra's paths: discovery, keys, token.

Token lifetimes and key validity run on the real clock, as token verification does; the
injectable clock of the app is the risk data's.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request, Response

from idprotect.api.deps import Db
from idprotect.auth.client_assertion import JWT_BEARER, AssertionRefused, verify_client_assertion
from idprotect.auth.issuer import TOKEN_LIFETIME, AppRegistration, secret_matches
from idprotect.domain.clock import utc_now
from idprotect.identity import app_token, find_app, public_jwks

router = APIRouter()

GRAPH_SCOPES = (
    "https://graph.microsoft.com/.default",
    "00000003-0000-0000-c000-000000000000/.default",
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/{tenant}/v2.0/.well-known/openid-configuration")
def openid_configuration(tenant: str, request: Request) -> Response:
    base = f"{_base(request)}/{tenant}"
    document = {
        "issuer": f"{base}/v2.0",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }
    return _json(document)


@router.get("/{tenant}/discovery/v2.0/keys")
def signing_keys(tenant: str, db: Db) -> Response:
    return _json(public_jwks(db, utc_now()))


async def _form(request: Request) -> dict[str, str]:
    """The token request's form fields (application/x-www-form-urlencoded)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


@router.post("/{tenant}/oauth2/v2.0/token")
def token(
    tenant: str,
    request: Request,
    form: Annotated[dict[str, str], Depends(_form)],
    db: Db,
) -> Response:
    """The client-credentials grant, with a client secret or a certificate's client assertion,
    answering errors the way Entra does."""
    client_id, secret = _client_credentials(request, form)
    refusal = _refuse_request(form, client_id)
    app = find_app(db, tenant, client_id) if refusal is None else None
    refusal = refusal or _refuse_client(
        tenant, client_id, app, secret=secret, assertion=_assertion(form),
        audiences=_token_endpoints(request, tenant),
    )  # fmt: skip
    if refusal is not None or app is None:
        return _entra_error(*(refusal or _UNKNOWN))
    access_token = app_token(db, app, now=utc_now(), lifetime=TOKEN_LIFETIME)
    expires_in = int(TOKEN_LIFETIME.total_seconds()) - 1
    return _json(
        {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": access_token,
        }
    )


# (HTTP status, OAuth error, AADSTS code, description)
_Refusal = tuple[int, str, int, str]
_UNKNOWN: _Refusal = (400, "invalid_request", 900144, "The request could not be processed.")


def _refuse_request(form: dict[str, str], client_id: str) -> _Refusal | None:
    grant_type, scope = form.get("grant_type", ""), form.get("scope", "").strip()
    if grant_type != "client_credentials":
        return (400, "unsupported_grant_type", 70003,
            f"The app requested an unsupported grant type '{grant_type}'. "
            "Only client_credentials is supported here.")  # fmt: skip
    if not client_id:
        return (400, "invalid_request", 900144,
            "The request body must contain the following parameter: 'client_id'.")  # fmt: skip
    if scope not in GRAPH_SCOPES:
        return (400, "invalid_scope", 1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows "
            "must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).")  # fmt: skip
    return None


def _refuse_client(
    tenant: str,
    client_id: str,
    app: AppRegistration | None,
    *,
    secret: str,
    assertion: str,
    audiences: tuple[str, ...],
) -> _Refusal | None:
    if app is None:
        return (400, "unauthorized_client", 700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'.")  # fmt: skip
    if assertion:
        return _refuse_assertion(assertion, app, audiences)
    if not secret:
        return (401, "invalid_client", 7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.")  # fmt: skip
    if not secret_matches(secret, app.secret_hash):
        return (401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            f"the client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.")  # fmt: skip
    return None


def _assertion(form: dict[str, str]) -> str:
    """A client assertion of the one type Entra takes (a JWT), or ""."""
    if form.get("client_assertion_type") != JWT_BEARER:
        return ""
    return form.get("client_assertion", "")


def _token_endpoints(request: Request, tenant: str) -> tuple[str, str]:
    """What a client assertion's `aud` may name: this token endpoint, v2.0 or v1."""
    base = f"{_base(request)}/{tenant}/oauth2"
    return f"{base}/v2.0/token", f"{base}/token"


def _refuse_assertion(
    assertion: str, app: AppRegistration, audiences: tuple[str, ...]
) -> _Refusal | None:
    try:
        verify_client_assertion(
            assertion,
            client_id=app.client_id,
            certificate_pem=app.certificate_pem,
            audiences=audiences,
            now=utc_now(),
        )
    except AssertionRefused as refused:
        return (401, "invalid_client", refused.code, refused.description)
    return None


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """client_secret_basic (Authorization: Basic) or client_secret_post (form fields)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _entra_error(status: int, error: str, code: int, description: str) -> Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace_id} "
        f"Correlation ID: {correlation_id} Timestamp: {timestamp}",
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return _json(body, status)


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
