"""The /_admin extension API (not Graph): request bodies from its pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from idprotect.api import admin
from idprotect.api.openapi.common import Operation, Paths, errors, json_body, path_id, security
from idprotect.api.openapi.schemas import GRAPH, JsonSchema, entity, ref
from idprotect.auth.permissions import ADMINISTER
from idprotect.fixtures import Fixtures

_ADMIN_MODELS: tuple[type[BaseModel], ...] = (
    admin.DetectionBatch,
    admin.UserBatch,
    Fixtures,
    admin.TenantUpdate,
    admin.ApplicationRequest,
)


def admin_schemas() -> dict[str, JsonSchema]:
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


def _admin_op(
    name: str, summary: str, model: str | None, ok: dict[str, Any], *extra_errors: int
) -> Operation:
    operation: Operation = {
        "tags": ["admin"],
        "operationId": name,
        "summary": summary,
        "security": security(ADMINISTER),
        "responses": {**ok, **errors(*extra_errors)},
    }
    if model is not None:
        operation["requestBody"] = {"required": True, **json_body(ref(model))}
    return operation


def admin_paths() -> Paths:
    root = "/_admin/tenants/{tenantId}"
    tenant = path_id("tenantId", "The tenant: the token's own when auth is on.")
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
                **json_body(detections)}})},
        f"{root}/users": {"post": _admin_op("add_users", "Create or update directory users",
            "UserBatch", stored)},
        f"{root}/users/{{userId}}": {"delete": _admin_op("delete_user",
            "Mark a directory user deleted", None, stored, 404)},
        f"{root}/fixtures": {"post": _admin_op("add_fixtures", "Load a fixtures document",
            "Fixtures", stored)},
        f"{root}/applications": {"post": _admin_op("add_application",
            "Register an application", "ApplicationRequest",
            {"201": {"description": "The application.", **json_body(ref("application"))}})},
    }  # fmt: skip
    user = path_id("userId", "The directory user's object id.")
    for path, operations in paths.items():
        for operation in operations.values():
            operation["parameters"] = [tenant, *([user] if "{userId}" in path else [])]
    return paths
