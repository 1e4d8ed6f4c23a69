"""The built-in token issuer: discovery, keys, the token and authorize endpoints, with Entra's
errors."""

from __future__ import annotations

from typing import Any

from idprotect.api.openapi.common import Operation, Paths, json_body, path_id
from idprotect.api.openapi.schemas import JsonSchema
from idprotect.issuer.grant import GRAPH_SCOPES

_ENTRA_ERROR = {
    "type": "object",
    "required": ["error", "error_description", "error_codes"],
    "properties": {
        "error": {"type": "string"},
        "error_description": {"type": "string"},
        "error_codes": {"type": "array", "items": {"type": "integer"}},
        "timestamp": {"type": "string"},
        "trace_id": {"type": "string"},
        "correlation_id": {"type": "string"},
        "error_uri": {"type": "string"},
    },
}
_TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"enum": ["client_credentials", "authorization_code"]},
        "client_id": {"type": "string", "description": "Or in an Authorization: Basic header."},
        "client_secret": {"type": "string"},
        "client_assertion_type": {
            "const": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "description": "With client_assertion: a certificate credential (RFC 7523).",
        },
        "client_assertion": {
            "type": "string",
            "description": "A JWT signed by the app's certificate (x5t or x5t#S256).",
        },
        "scope": {"type": "string", "enum": sorted(GRAPH_SCOPES)},
        "code": {"type": "string", "description": "authorization_code: the code."},
        "redirect_uri": {"type": "string", "description": "authorization_code: as authorized."},
        "code_verifier": {"type": "string", "description": "authorization_code: PKCE's."},
    },
}
_AUTHORIZE = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
    for name in ("client_id", "response_type", "redirect_uri", "scope", "state", "nonce",
        "code_challenge", "code_challenge_method", "response_mode", "login_hint")
]  # fmt: skip


def _issuer_op(name: str, summary: str, ok: JsonSchema, **fields: Any) -> Operation:
    tenant = path_id("tenant", "The tenant id.")
    responses: dict[str, Any] = {"200": {"description": summary, **json_body(ok)}}
    responses.update(fields.pop("responses", {}))
    return {
        "tags": ["issuer"],
        "operationId": name,
        "summary": summary,
        "security": [],
        "parameters": [tenant],
        **fields,
        "responses": responses,
    }


def issuer_paths() -> Paths:
    entra_error = json_body(_ENTRA_ERROR)
    token = {
        "type": "object",
        "required": ["token_type", "expires_in", "access_token"],
        "properties": {
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "ext_expires_in": {"type": "integer"},
            "access_token": {"type": "string"},
        },
    }
    return {
        "/{tenant}/v2.0/.well-known/openid-configuration": {
            "get": _issuer_op("openid_configuration", "OpenID Connect discovery",
                {"type": "object", "required": ["issuer", "jwks_uri", "token_endpoint"]})
        },
        "/{tenant}/discovery/v2.0/keys": {
            "get": _issuer_op("signing_keys", "The signing keys (JWKS)",
                {"type": "object", "required": ["keys"],
                 "properties": {"keys": {"type": "array", "items": {"type": "object"}}}})
        },
        "/{tenant}/oauth2/v2.0/token": {
            "post": _issuer_op("token", "An access token (client credentials grant)", token,
                requestBody={"required": True,
                    **json_body(_TOKEN_FORM, "application/x-www-form-urlencoded")},
                responses={"400": {"description": "A refused request.", **entra_error},
                           "401": {"description": "A refused client.", **entra_error}})
        },
        "/{tenant}/oauth2/v2.0/authorize": {
            "get": _authorize("authorize", "The sign-in page (code flow with PKCE)", entra_error),
            "post": _authorize("authorize_sign_in", "A password checked: a code for the client",
                entra_error),
        },
    }  # fmt: skip


def _authorize(name: str, summary: str, entra_error: dict[str, Any]) -> Operation:
    operation = _issuer_op(name, summary, {"type": "object"})
    operation["parameters"] = [*operation["parameters"], *_AUTHORIZE]
    operation["responses"] = {
        "200": {"description": summary, "content": {"text/html": {"schema": {"type": "string"}}}},
        "302": {"description": "Back to the client's registered redirect URI."},
        "400": {"description": "An unknown client or unregistered redirect URI.", **entra_error},
    }
    return operation
