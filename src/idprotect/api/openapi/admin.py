"""The /_admin extension API (not Graph): each principal kind's routes, made from its entry
(api/admin.py ADMIN_KINDS), the tenant's, its sign-ins' (sign_ins.py) and its operations
settings' (ops.py); request bodies from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from idprotect.api import admin
from idprotect.api.admin import ADMIN_KINDS, AdminKind
from idprotect.api.openapi.common import (
    Operation,
    Paths,
    a,
    admin_operation,
    json_body,
    path_id,
    singular,
    snake,
)
from idprotect.api.openapi.entities import schema_name
from idprotect.api.openapi.ops import ops_paths, ops_schemas
from idprotect.api.openapi.schemas import JsonSchema, entity, ref
from idprotect.api.openapi.sign_ins import admin_sign_in_paths, admin_sign_in_schemas
from idprotect.fixtures import Fixtures

_ROOT = "/_admin/tenants/{tenantId}"
_STORED = {"204": {"description": "Stored."}}
# /_admin answers as v1.0 does (it is below no version).
_VERSION = "v1.0"


def _models() -> list[type[BaseModel]]:
    kinds = [model for k in ADMIN_KINDS for model in (k.principal_batch, k.detection_batch)]
    return [*kinds, Fixtures, admin.TenantUpdate, admin.ApplicationRequest]


def admin_schemas() -> dict[str, JsonSchema]:
    _, schema = models_json_schema(
        [(model, "validation") for model in _models()],
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
    return {**definitions, **admin_sign_in_schemas(), **ops_schemas()}


def _admin_op(
    name: str, summary: str, model: type[BaseModel] | None, ok: dict[str, Any], *extra: int
) -> Operation:
    body = ref(model.__name__) if model is not None else None
    return admin_operation(name, summary, body=body, responses=ok, extra=extra)


def _kind_paths(kind: AdminKind) -> Paths:
    """A kind's principals in, one of them deleted, and its detections in."""
    api, whose = kind.api, singular(kind.api)
    detection = schema_name(api.detections.entity_type, _VERSION)
    shown = {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "array", "items": ref(detection)}},
        "additionalProperties": False,
    }
    created = {"201": {"description": "The detections as Graph shows them.", **json_body(shown)}}
    principals = f"{_ROOT}/{kind.principals}"
    deleting = _admin_op(
        f"delete_{snake(kind.principals)[:-1]}", f"Mark {a(whose)} deleted", None, _STORED, 404
    )
    deleting["parameters"] = [path_id(api.kind.id_field, f"The {whose}'s object id.")]
    return {
        principals: {"post": _admin_op(f"add_{snake(kind.principals)}",
            f"Create or update {api.kind.plural}", kind.principal_batch, _STORED)},
        f"{principals}/{{{api.kind.id_field}}}": {"delete": deleting},
        f"{_ROOT}/{api.detections_set}": {"post": _admin_op(f"add_{snake(api.detections_set)}",
            f"Record risk detections of {api.kind.plural}", kind.detection_batch, created)},
    }  # fmt: skip


def admin_paths() -> Paths:
    paths: Paths = {
        _ROOT: {"put": _admin_op("update_tenant",
            "Create a tenant or set its licences", admin.TenantUpdate, _STORED)},
        f"{_ROOT}/fixtures": {"post": _admin_op("add_fixtures", "Load a fixtures document",
            Fixtures, _STORED)},
        f"{_ROOT}/applications": {"post": _admin_op("add_application",
            "Register an application", admin.ApplicationRequest,
            {"201": {"description": "The application.", **json_body(ref("application"))}})},
    }  # fmt: skip
    for kind in ADMIN_KINDS:
        paths.update(_kind_paths(kind))
    paths.update(admin_sign_in_paths())
    paths.update(ops_paths())
    tenant = path_id("tenantId", "The tenant: the token's own when auth is on.")
    for operations in paths.values():
        for operation in operations.values():
            operation["parameters"] = [tenant, *operation.get("parameters", ())]
    return paths
