"""The built-in issuer's HTTP endpoints, at Entra's paths: discovery, keys, token, authorize.

Plain Starlette: `routes()` lists them; each endpoint takes the database from `app.state` and
runs the blocking work (the database, hashing a secret, signing) in the thread pool. Token
lifetimes and key validity run on the real clock, as token verification does; the injectable
clock of the app is the risk data's.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idprotect.domain.clock import utc_now
from idprotect.issuer.authorize import authorize
from idprotect.issuer.claims import TOKEN_LIFETIME
from idprotect.issuer.grant import Refusal, client_credentials
from idprotect.issuer.responses import entra_error, issuer_base, issuer_database, json_response
from idprotect.issuer.service import grant_token, public_jwks
from idprotect.issuer.sign_in import redeem_code


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
        Route("/{tenant}/oauth2/v2.0/authorize", authorize, methods=["GET", "POST"]),
    ]


async def openid_configuration(request: Request) -> Response:
    base = f"{issuer_base(request)}/{request.path_params['tenant']}"
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
        "grant_types_supported": ["client_credentials", "authorization_code"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }
    return json_response(document)


async def signing_keys(request: Request) -> Response:
    return json_response(await run_in_threadpool(public_jwks, issuer_database(request), utc_now()))


async def token(request: Request) -> Response:
    """The client-credentials grant, with a client secret or a certificate's client assertion,
    answering errors the way Entra does."""
    tenant: str = request.path_params["tenant"]
    form = await _form(request)
    if form.get("grant_type") == "authorization_code":
        return await _code_token(request, tenant, form)
    granted = await run_in_threadpool(
        grant_token,
        issuer_database(request),
        tenant,
        form=form,
        credentials=client_credentials(request.headers.get("authorization", ""), form),
        audiences=_token_endpoints(request, tenant),
        now=utc_now(),
    )
    if isinstance(granted, Refusal):
        return entra_error(granted)
    expires_in = int(TOKEN_LIFETIME.total_seconds()) - 1
    return json_response(
        {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": granted,
        }
    )


async def _code_token(request: Request, tenant: str, form: dict[str, str]) -> Response:
    """The code flow's token request (public clients: no secret, the PKCE verifier)."""
    tokens = await run_in_threadpool(redeem_code, issuer_database(request), tenant, form, utc_now())
    return entra_error(tokens) if isinstance(tokens, Refusal) else json_response(tokens)


async def _form(request: Request) -> dict[str, str]:
    """The token request's form fields (application/x-www-form-urlencoded)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _token_endpoints(request: Request, tenant: str) -> tuple[str, str]:
    """What a client assertion's `aud` may name: this token endpoint, v2.0 or v1."""
    base = f"{issuer_base(request)}/{tenant}/oauth2"
    return f"{base}/v2.0/token", f"{base}/token"
