"""The built-in issuer's HTTP endpoints, at Entra's paths: discovery, keys, token.

Plain Starlette: `routes()` lists them; each endpoint takes the database from `app.state` and
runs the blocking work (the database, hashing a secret, signing) in the thread pool. Token
lifetimes and key validity run on the real clock, as token verification does; the injectable
clock of the app is the risk data's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idprotect.domain.clock import utc_now
from idprotect.issuer.claims import TOKEN_LIFETIME
from idprotect.issuer.grant import Refusal, client_credentials
from idprotect.issuer.service import grant_token, public_jwks
from idprotect.store.engine import Database


def routes() -> list[BaseRoute]:
    """The issuer's routes, for any tenant in the path."""
    return [
        Route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            openid_configuration,
            methods=["GET"],
        ),
        Route("/{tenant}/discovery/v2.0/keys", signing_keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    ]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def openid_configuration(request: Request) -> Response:
    base = f"{_base(request)}/{request.path_params['tenant']}"
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


async def signing_keys(request: Request) -> Response:
    return _json(await run_in_threadpool(public_jwks, _database(request), utc_now()))


async def token(request: Request) -> Response:
    """The client-credentials grant, with a client secret or a certificate's client assertion,
    answering errors the way Entra does."""
    tenant: str = request.path_params["tenant"]
    form = await _form(request)
    granted = await run_in_threadpool(
        grant_token,
        _database(request),
        tenant,
        form=form,
        credentials=client_credentials(request.headers.get("authorization", ""), form),
        audiences=_token_endpoints(request, tenant),
        now=utc_now(),
    )
    if isinstance(granted, Refusal):
        return _entra_error(granted)
    expires_in = int(TOKEN_LIFETIME.total_seconds()) - 1
    return _json(
        {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": granted,
        }
    )


async def _form(request: Request) -> dict[str, str]:
    """The token request's form fields (application/x-www-form-urlencoded)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _token_endpoints(request: Request, tenant: str) -> tuple[str, str]:
    """What a client assertion's `aud` may name: this token endpoint, v2.0 or v1."""
    base = f"{_base(request)}/{tenant}/oauth2"
    return f"{base}/v2.0/token", f"{base}/token"


def _entra_error(refusal: Refusal) -> Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    code = refusal.code
    body: dict[str, Any] = {
        "error": refusal.error,
        "error_description": f"AADSTS{code}: {refusal.description} Trace ID: {trace_id} "
        f"Correlation ID: {correlation_id} Timestamp: {timestamp}",
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return _json(body, refusal.status)


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
