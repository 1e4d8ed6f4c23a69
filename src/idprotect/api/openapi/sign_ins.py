"""Sign-ins in the document: Graph's auditLogs/signIns (list, get, the three feedback actions)
on each version, the signIn entity as api/wire.py writes it, and the risk engine's /_admin
routes (sign-ins in, threat lists, the breach corpus)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from idprotect.api import admin_signins, sign_ins
from idprotect.api.openapi.common import (
    Operation,
    Paths,
    admin_operation,
    graph_operation,
    json_body,
    ok,
    operation_id,
    path_id,
    snake,
)
from idprotect.api.openapi.entities import ENTITIES, entity_response
from idprotect.api.openapi.options import entity_options, list_options
from idprotect.api.openapi.schemas import (
    BETA,
    GRAPH,
    JsonSchema,
    collection_response,
    ref,
)
from idprotect.auth.permissions import READ_SIGN_INS, WRITE_SIGN_INS
from idprotect.domain.kinds import MAX_ACTION_IDS
from idprotect.domain.sign_in_actions import SIGN_IN_ACTIONS, SignInAction
from idprotect.odata.collections import SIGN_INS_BY_VERSION

SIGN_IN = GRAPH + "signIn"
_BODY = GRAPH + "requestIdsBody"
_KEY = path_id("signIn-id", "The sign-in's id (its request id).")
_SUMMARIES = {
    "confirmCompromised": "Confirm sign-ins compromised",
    "confirmSafe": "Confirm sign-ins safe",
    "dismiss": "Dismiss the risk of sign-ins",
}


def sign_in_schemas() -> dict[str, JsonSchema]:
    """The actions' body (the entities are in entities.py)."""
    return {
        _BODY: {
            "type": "object",
            "required": [sign_ins.IDS_FIELD],
            "properties": {
                sign_ins.IDS_FIELD: {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ACTION_IDS,
                    "items": {"type": "string", "pattern": r"\S"},
                    "description": "Ids of sign-ins of the tenant (all must exist).",
                }
            },
            "patternProperties": {"^@": {}},
            "additionalProperties": False,
        },
    }


def _schema(version: str) -> str:
    return BETA + SIGN_IN if version == "beta" else SIGN_IN


def _action(action: SignInAction, version: str) -> Operation:
    return graph_operation(
        version,
        f"{snake(action.name)}_sign_ins",
        _SUMMARIES[action.name],
        WRITE_SIGN_INS,
        description=(
            f"Sets each sign-in's riskState `{action.state}` and riskDetail `{action.detail}`; "
            "its detections and its user follow (docs/compatibility.md, Sign-ins). Delegated "
            "callers need IdentityRiskyUser.ReadWrite.All, applications "
            "IdentityRiskEvent.ReadWrite.All."
        ),
        requestBody={"required": True, **json_body(ref(_BODY))},
        responses={"204": {"description": "Applied and stored."}},
    )


def sign_in_paths(version: str) -> Paths:
    base = f"/{version}/auditLogs/signIns"
    listing = graph_operation(
        version,
        "list_sign_ins",
        "List sign-ins",
        READ_SIGN_INS,
        parameters=list_options(SIGN_INS_BY_VERSION[version], version),
        description=(
            "Users' sign-ins; on beta service principals' too (docs/compatibility.md, Sign-ins)."
        ),
        responses=ok("A page of sign-ins, newest first.", collection_response(_schema(version))),
    )
    listing["responses"]["200"]["links"] = {
        "get_sign_in": {
            "operationId": operation_id("get_sign_in", version),
            "parameters": {_KEY["name"]: "$response.body#/value/0/id"},
        }
    }
    getting = graph_operation(
        version,
        "get_sign_in",
        "Get a sign-in",
        READ_SIGN_INS,
        parameters=[_KEY, *entity_options(SIGN_INS_BY_VERSION[version], version)],
        responses=ok("The sign-in.", entity_response(_schema(version))),
        extra=(404,),
    )
    paths: Paths = {base: {"get": listing}, f"{base}/{{{_KEY['name']}}}": {"get": getting}}
    for action in SIGN_IN_ACTIONS:
        paths[f"{base}/{action.name}"] = {"post": _action(action, version)}
    return paths


# -- /_admin: the risk engine's input ------------------------------------------------------------
_ROOT = "/_admin/tenants/{tenantId}"
_MODELS: list[type[BaseModel]] = [
    admin_signins.SignInBatch,
    admin_signins.Networks,
    admin_signins.Credentials,
]


def admin_sign_in_schemas() -> dict[str, JsonSchema]:
    _, schema = models_json_schema(
        [(model, "validation") for model in _MODELS],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    definitions: dict[str, JsonSchema] = schema["$defs"]
    return definitions


def _answer(description: str, properties: dict[str, JsonSchema]) -> dict[str, Any]:
    shown = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    return {"200": {"description": description, **json_body(shown)}}


def _admin_op(name: str, summary: str, model: type[BaseModel], answer: dict[str, Any]) -> Operation:
    return admin_operation(name, summary, body=ref(model.__name__), responses=answer, extra=(404,))


def admin_sign_in_paths() -> Paths:
    count = {"type": "integer", "minimum": 0}
    detection, workload = GRAPH + "riskDetection", GRAPH + "servicePrincipalRiskDetection"
    assert detection in ENTITIES
    assert workload in ENTITIES
    ingested = _answer(
        "How many sign-ins came, how many were new, and the detections they raised: users' "
        "and service principals'.",
        {
            "received": count,
            "ingested": count,
            "detections": {"type": "array", "items": ref(detection)},
            "servicePrincipalRiskDetections": {"type": "array", "items": ref(workload)},
        },
    )
    listed = _answer(
        "The list and how many networks it holds now.",
        {
            "list": {"type": "string", "enum": [m.value for m in admin_signins.ThreatList]},
            "count": count,
        },
    )
    added = _answer("How many digests were given.", {"added": count})
    lists = {
        "name": "list",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The threat list: anonymizer or malicious (another is a 404).",
    }
    threat_list = _admin_op(
        "replace_threat_list", "Replace a threat list", admin_signins.Networks, listed
    )
    threat_list["parameters"] = [lists]
    return {
        f"{_ROOT}/signIns": {"post": _admin_op(
            "add_sign_ins", "Ingest sign-ins (the risk engine runs on them)",
            admin_signins.SignInBatch, ingested)},
        f"{_ROOT}/threatLists/{{list}}": {"put": threat_list},
        f"{_ROOT}/leakedCredentials": {"post": _admin_op(
            "add_leaked_credentials", "Add SHA-1 digests to the breach corpus",
            admin_signins.Credentials, added)},
    }  # fmt: skip
