"""The served OpenAPI document: every Graph operation on both versions, $batch, /_admin and the
built-in issuer, with the query options, bodies, answers and errors the server really has.

Parameters come from the collections' allow-lists (odata/collections.py), limits from the code
that enforces them, schemas from api/schemas.py. tests/api/test_openapi.py holds the document
to the app's routes and to real responses; tests/openapi runs schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from idprotect import __version__
from idprotect.api import admin, batch
from idprotect.api.issuer import GRAPH_SCOPES
from idprotect.api.schemas import (
    GRAPH,
    ODATA_ERROR,
    JsonSchema,
    all_schemas,
    collection_response,
    entity,
    entity_response,
    ref,
)
from idprotect.auth.permissions import (
    ADMINISTER,
    READ_RISK_EVENTS,
    READ_RISKY_USERS,
    WRITE_RISKY_USERS,
    Requirement,
)
from idprotect.fixtures import Fixtures
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.options import MAX_TOP

Operation = dict[str, Any]
VERSIONS = ("v1.0", "beta")

_DESCRIPTION = """\
A Microsoft Graph-compatible Identity Protection service: risky users, their history, risk
detections, and the dismiss / confirmCompromised / confirmSafe actions, on `/v1.0` and `/beta`
exactly as Graph serves them (paths match without regard to case; beta also answers on its
legacy root paths, `/beta/riskyUsers...`). Errors are Graph's `ODataError` body.

Tokens: Graph access tokens (audience `https://graph.microsoft.com`) from the built-in issuer
(`/{tenant}/oauth2/v2.0/token`, client credentials) or a trusted JWKS. Each operation names the
least permission it needs; delegated tokens also need one of the directory roles in
docs/auth.md. `/_admin` (not Graph) needs the app role `IdentityProtection.Admin`.
"""


def install_openapi(app: FastAPI) -> None:
    """Serve this document at /openapi.json (and in /docs) instead of FastAPI's own."""
    document = openapi_document()
    app.openapi = lambda: document  # type: ignore[method-assign]


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Operation]] = {}
    for version in VERSIONS:
        paths.update(_graph_paths(version))
    paths.update(_admin_paths())
    paths.update(_issuer_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "idprotect", "version": __version__, "description": _DESCRIPTION},
        "tags": [
            {"name": version, "description": f"Microsoft Graph {version}"} for version in VERSIONS
        ]
        + [
            {"name": "admin", "description": "Seeding and tenant administration (not Graph)."},
            {"name": "issuer", "description": "The built-in token issuer (Entra-shaped)."},
        ],
        "paths": paths,
        "components": {
            "schemas": {**all_schemas(), **_batch_schemas(), **_admin_schemas()},
            "responses": _ERROR_RESPONSES,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Graph access token; see the document's description.",
                }
            },
        },
    }


# ---- Graph -------------------------------------------------------------------------------

_ERROR_TEXT = {
    "400": "A malformed request or query option (Graph's BadRequest and friends).",
    "401": "No token, or one that failed verification (InvalidAuthenticationToken).",
    "403": "The token lacks the permission, role or licence the operation needs.",
    "404": "No such item in the caller's tenant.",
    "503": "The database is busy or unreachable; nothing changed, retrying is safe.",
}
_ERROR_RESPONSES: dict[str, Any] = {
    f"error{status}": {
        "description": text,
        "content": {"application/json": {"schema": ref(ODATA_ERROR)}},
    }
    for status, text in _ERROR_TEXT.items()
}


def _errors(*statuses: int) -> dict[str, Any]:
    codes = (400, 401, 403, *statuses, 503)
    return {str(code): {"$ref": f"#/components/responses/error{code}"} for code in codes}


def _security(requirement: Requirement) -> list[dict[str, list[str]]]:
    # OpenAPI 3.1 lets a bearer requirement list the roles it needs: the least permission.
    return [{"bearer": sorted(requirement.permissions)[:1]}]


def _operation(
    version: str, name: str, summary: str, requirement: Requirement, **fields: Any
) -> Operation:
    extra = fields.pop("extra", ())
    operation: Operation = {
        "tags": [version],
        "operationId": _operation_id(name, version),
        "summary": summary,
        "security": _security(requirement),
        **fields,
    }
    operation["responses"] = {**operation["responses"], **_errors(*extra)}
    return operation


def _json_body(schema: JsonSchema, media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}


_ODATA_JSON = "application/json"


def _ok(description: str, schema: JsonSchema) -> dict[str, Any]:
    return {"200": {"description": description, **_json_body(schema, _ODATA_JSON)}}


def _query(name: str, schema: JsonSchema, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        **extra,
    }


_PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "`include-unknown-enum-members` to receive evolvable enum members by name.",
}


def _select(collection: Collection, version: str) -> dict[str, Any]:
    names = list(collection.selectable(version))
    return _query(
        "$select",
        {"type": "array", "items": {"type": "string", "enum": names}, "minItems": 1},
        "Properties to return.",
        style="form",
        explode=False,
    )


def _list_options(collection: Collection, version: str) -> list[dict[str, Any]]:
    options = [
        _query("$filter", {"type": "string"}, f"An OData filter on {collection.name}."),
        _select(collection, version),
        _query("$top", {"type": "integer", "minimum": 1, "maximum": MAX_TOP}, "Page size."),
        _query("$skiptoken", {"type": "string"}, "From an @odata.nextLink; opaque."),
    ]
    if collection.orderby:
        names = "|".join(collection.orderby)
        pattern = rf"^\s*({names})(\s+([aA][sS][cC]|[dD][eE][sS][cC]))?\s*$"
        order = {"type": "string", "pattern": pattern}
        options.append(_query("$orderby", order, "One property, then asc or desc."))
    if collection.countable:
        options.append(_query("$count", {"type": "boolean"}, "Adds @odata.count."))
    return [*options, _PREFER]


def _entity_options(collection: Collection, version: str) -> list[dict[str, Any]]:
    return [_select(collection, version), _PREFER]


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def _schema_name(base: str, version: str) -> str:
    beta_only = {"riskyUserHistoryItem", "riskDetection"}
    return f"beta.{GRAPH}{base}" if version == "beta" and base in beta_only else GRAPH + base


def _graph_paths(version: str) -> dict[str, dict[str, Operation]]:
    root = f"/{version}/identityProtection"
    user = _path_id("riskyUser-id", "The user's object id.")
    item = _path_id("riskyUserHistoryItem-id", "The history item's id.")
    detection = _path_id("riskDetection-id", "The detection's id.")
    user_schema = _schema_name("riskyUser", version)
    item_schema = _schema_name("riskyUserHistoryItem", version)
    detection_schema = _schema_name("riskDetection", version)

    def op(name: str, summary: str, requirement: Requirement, **fields: Any) -> Operation:
        return _operation(version, name, summary, requirement, **fields)

    paths: dict[str, dict[str, Operation]] = {
        f"{root}/riskyUsers": {
            "get": op("list_risky_users", "List risky users", READ_RISKY_USERS,
                parameters=_list_options(RISKY_USERS, version),
                responses=_ok("A page of risky users.", collection_response(user_schema)))
        },
        f"{root}/riskyUsers/$count": {
            "get": op("count_risky_users", "Count risky users", READ_RISKY_USERS,
                parameters=[_list_options(RISKY_USERS, version)[0]],
                responses={"200": {"description": "The number, as text.",
                    "content": {"text/plain": {"schema": {"type": "string",
                        "pattern": "^[0-9]+$"}}}}})
        },
        f"{root}/riskyUsers/{{riskyUser-id}}": {
            "get": op("get_risky_user", "Get a risky user", READ_RISKY_USERS,
                parameters=[user, *_entity_options(RISKY_USERS, version)],
                responses=_ok("The risky user.", entity_response(user_schema)), extra=(404,))
        },
        f"{root}/riskyUsers/{{riskyUser-id}}/history": {
            "get": op("list_risky_user_history", "List a risky user's history",
                READ_RISKY_USERS, parameters=[user, *_list_options(HISTORY, version)],
                responses=_ok("A page of history items, newest first.",
                    collection_response(item_schema)), extra=(404,))
        },
        f"{root}/riskyUsers/{{riskyUser-id}}/history/{{riskyUserHistoryItem-id}}": {
            "get": op("get_risky_user_history_item", "Get a history item", READ_RISKY_USERS,
                parameters=[user, item, *_entity_options(HISTORY, version)],
                responses=_ok("The history item.", entity_response(item_schema)), extra=(404,))
        },
        f"{root}/riskDetections": {
            "get": op("list_risk_detections", "List risk detections", READ_RISK_EVENTS,
                parameters=_list_options(RISK_DETECTIONS, version),
                responses=_ok("A page of detections, newest first.",
                    collection_response(detection_schema)))
        },
        f"{root}/riskDetections/{{riskDetection-id}}": {
            "get": op("get_risk_detection", "Get a risk detection", READ_RISK_EVENTS,
                parameters=[detection, *_entity_options(RISK_DETECTIONS, version)],
                responses=_ok("The detection.", entity_response(detection_schema)),
                extra=(404,))
        },
    }  # fmt: skip
    first = "$response.body#/value/0/id"
    _link(
        version,
        paths[f"{root}/riskyUsers"]["get"],
        {"riskyUser-id": first},
        "get_risky_user",
        "list_risky_user_history",
    )
    _link(
        version,
        paths[f"{root}/riskyUsers/{{riskyUser-id}}/history"]["get"],
        {"riskyUser-id": "$request.path.riskyUser-id", "riskyUserHistoryItem-id": first},
        "get_risky_user_history_item",
    )
    _link(version, paths[f"{root}/riskDetections"]["get"], {"riskDetection-id": first},
          "get_risk_detection")  # fmt: skip
    for action, summary in _ACTIONS.items():
        paths[f"{root}/riskyUsers/{action}"] = {
            "post": op(action, summary, WRITE_RISKY_USERS,
                requestBody={"required": True, **_json_body(ref(GRAPH + "userIdsBody"))},
                responses={"204": {"description": "Applied and stored."}})
        }  # fmt: skip
    paths[f"/{version}/$batch"] = {"post": _batch_operation(version)}
    return paths


def _link(version: str, operation: Operation, parameters: dict[str, str], *names: str) -> None:
    """OpenAPI links from a list's first item to the operations that read it further."""
    operation["responses"]["200"]["links"] = {
        name: {"operationId": _operation_id(name, version), "parameters": parameters}
        for name in names
    }


def _operation_id(name: str, version: str) -> str:
    return f"{name}_{version.replace('.', '_')}"


_ACTIONS = {
    "dismiss": "Dismiss the risk of users",
    "confirmCompromised": "Confirm users compromised",
    "confirmSafe": "Confirm users safe",
}


def _batch_operation(version: str) -> Operation:
    operation = _operation(
        version,
        "batch",
        "Run up to 20 requests in one (JSON batching)",
        READ_RISKY_USERS,
        description="Each request is authorized on its own, with the batch's token.",
        requestBody={"required": True, **_json_body(ref("batchRequest"))},
        responses=_ok("One answer per request, in request order.", ref("batchResponse")),
    )
    operation["security"] = [{"bearer": []}]
    return operation


def _batch_schemas() -> dict[str, JsonSchema]:
    request_item = {
        "type": "object",
        "required": ["id", "method", "url"],
        "properties": {
            "id": {"type": "string", "pattern": r"\S"},
            "method": {"type": "string", "enum": list(batch.METHODS)},
            "url": {"type": "string", "pattern": r"^/", "description": "Relative to the version."},
            "headers": {
                "type": ["object", "null"],
                "additionalProperties": {"type": "string"},
            },
            "body": {"description": "JSON, or base64 text for other content types."},
            "dependsOn": {"type": ["array", "null"], "items": {"type": "string"}},
        },
    }
    response_item = {
        "type": "object",
        "required": ["id", "status", "headers"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "integer"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {},
        },
        "additionalProperties": False,
    }
    return {
        "batchRequest": {
            "type": "object",
            "required": ["requests"],
            "properties": {
                "requests": {
                    "type": "array",
                    "items": request_item,
                    "maxItems": batch.MAX_REQUESTS,
                }
            },
        },
        "batchResponse": {
            "type": "object",
            "required": ["responses"],
            "properties": {"responses": {"type": "array", "items": response_item}},
            "additionalProperties": False,
        },
    }


# ---- /_admin ------------------------------------------------------------------------------

_ADMIN_MODELS: tuple[type[BaseModel], ...] = (
    admin.DetectionBatch,
    admin.UserBatch,
    Fixtures,
    admin.TenantUpdate,
    admin.ApplicationRequest,
)


def _admin_schemas() -> dict[str, JsonSchema]:
    _, schema = models_json_schema(
        [(model, "validation") for model in _ADMIN_MODELS],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    definitions: dict[str, JsonSchema] = schema["$defs"]
    definitions["application"] = entity(
        {
            "clientId": {"type": "string"},
            "clientSecret": {"type": "string", "description": "Shown only here, once."},
            "objectId": {"type": "string"},
            "displayName": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
        "A registered application and its client secret.",
    )
    return definitions


def _admin_op(name: str, summary: str, model: str | None, ok: dict[str, Any]) -> Operation:
    operation: Operation = {
        "tags": ["admin"],
        "operationId": name,
        "summary": summary,
        "security": _security(ADMINISTER),
        "responses": {**ok, **_errors(*((404,) if name == "delete_user" else ()))},
    }
    if model is not None:
        operation["requestBody"] = {"required": True, **_json_body(ref(model))}
    return operation


def _admin_paths() -> dict[str, dict[str, Operation]]:
    root = "/_admin/tenants/{tenantId}"
    tenant = _path_id("tenantId", "The tenant: the token's own when auth is on.")
    stored = {"204": {"description": "Stored."}}
    detections = {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "array", "items": ref(GRAPH + "riskDetection")}},
        "additionalProperties": False,
    }
    paths = {
        root: {"put": _admin_op("update_tenant", "Create a tenant or set its licence",
            "TenantUpdate", stored)},
        f"{root}/riskDetections": {"post": _admin_op("add_risk_detections",
            "Record risk detections", "DetectionBatch",
            {"201": {"description": "The detections as Graph shows them.",
                **_json_body(detections)}})},
        f"{root}/users": {"post": _admin_op("add_users", "Create or update directory users",
            "UserBatch", stored)},
        f"{root}/users/{{userId}}": {"delete": _admin_op("delete_user",
            "Mark a directory user deleted", None, stored)},
        f"{root}/fixtures": {"post": _admin_op("add_fixtures", "Load a fixtures document",
            "Fixtures", stored)},
        f"{root}/applications": {"post": _admin_op("add_application",
            "Register an application", "ApplicationRequest",
            {"201": {"description": "The application.", **_json_body(ref("application"))}})},
    }  # fmt: skip
    user = _path_id("userId", "The directory user's object id.")
    for path, operations in paths.items():
        for operation in operations.values():
            operation["parameters"] = [tenant, *([user] if "{userId}" in path else [])]
    return paths


# ---- issuer -------------------------------------------------------------------------------

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
        "scope": {"type": "string", "enum": sorted(GRAPH_SCOPES)},
    },
}


def _issuer_op(name: str, summary: str, ok: JsonSchema, **fields: Any) -> Operation:
    tenant = _path_id("tenant", "The tenant id.")
    responses: dict[str, Any] = {"200": {"description": summary, **_json_body(ok)}}
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


def _issuer_paths() -> dict[str, dict[str, Operation]]:
    entra_error = _json_body(_ENTRA_ERROR)
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
                    **_json_body(_TOKEN_FORM, "application/x-www-form-urlencoded")},
                responses={"400": {"description": "A refused request.", **entra_error},
                           "401": {"description": "A refused client.", **entra_error}})
        },
    }  # fmt: skip
