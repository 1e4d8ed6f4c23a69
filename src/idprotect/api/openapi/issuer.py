"""The built-in token issuer: discovery, keys and the token endpoint, with Entra's errors."""

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
    "required": ["grant_type", "scope"],
    "properties": {
        "grant_type": {"const": "client_credentials"},
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
    },
}


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
    }  # fmt: skip
