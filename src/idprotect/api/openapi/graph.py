"""The Graph operations of one version: riskyUsers, their history, riskDetections, the three
actions and $batch, with the query options each accepts (from odata/collections.py)."""

from __future__ import annotations

from typing import Any

from idprotect.api import batch
from idprotect.api.openapi.common import Operation, Paths, errors, json_body, ok, path_id, security
from idprotect.api.openapi.schemas import (
    GRAPH,
    JsonSchema,
    collection_response,
    entity_response,
    ref,
)
from idprotect.auth.permissions import (
    READ_RISK_EVENTS,
    READ_RISKY_USERS,
    WRITE_RISKY_USERS,
    Requirement,
)
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.options import MAX_TOP

VERSIONS = ("v1.0", "beta")


def _operation(
    version: str, name: str, summary: str, requirement: Requirement, **fields: Any
) -> Operation:
    extra = fields.pop("extra", ())
    operation: Operation = {
        "tags": [version],
        "operationId": _operation_id(name, version),
        "summary": summary,
        "security": security(requirement),
        **fields,
    }
    operation["responses"] = {**operation["responses"], **errors(*extra)}
    return operation


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


def _schema_name(base: str, version: str) -> str:
    beta_only = {"riskyUserHistoryItem", "riskDetection"}
    return f"beta.{GRAPH}{base}" if version == "beta" and base in beta_only else GRAPH + base


def graph_paths(version: str) -> Paths:
    root = f"/{version}/identityProtection"
    user = path_id("riskyUser-id", "The user's object id.")
    item = path_id("riskyUserHistoryItem-id", "The history item's id.")
    detection = path_id("riskDetection-id", "The detection's id.")
    user_schema = _schema_name("riskyUser", version)
    item_schema = _schema_name("riskyUserHistoryItem", version)
    detection_schema = _schema_name("riskDetection", version)

    def op(name: str, summary: str, requirement: Requirement, **fields: Any) -> Operation:
        return _operation(version, name, summary, requirement, **fields)

    paths: dict[str, dict[str, Operation]] = {
        f"{root}/riskyUsers": {
            "get": op("list_risky_users", "List risky users", READ_RISKY_USERS,
                parameters=_list_options(RISKY_USERS, version),
                responses=ok("A page of risky users.", collection_response(user_schema)))
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
                responses=ok("The risky user.", entity_response(user_schema)), extra=(404,))
        },
        f"{root}/riskyUsers/{{riskyUser-id}}/history": {
            "get": op("list_risky_user_history", "List a risky user's history",
                READ_RISKY_USERS, parameters=[user, *_list_options(HISTORY, version)],
                responses=ok("A page of history items, newest first.",
                    collection_response(item_schema)), extra=(404,))
        },
        f"{root}/riskyUsers/{{riskyUser-id}}/history/{{riskyUserHistoryItem-id}}": {
            "get": op("get_risky_user_history_item", "Get a history item", READ_RISKY_USERS,
                parameters=[user, item, *_entity_options(HISTORY, version)],
                responses=ok("The history item.", entity_response(item_schema)), extra=(404,))
        },
        f"{root}/riskDetections": {
            "get": op("list_risk_detections", "List risk detections", READ_RISK_EVENTS,
                parameters=_list_options(RISK_DETECTIONS, version),
                responses=ok("A page of detections, newest first.",
                    collection_response(detection_schema)))
        },
        f"{root}/riskDetections/{{riskDetection-id}}": {
            "get": op("get_risk_detection", "Get a risk detection", READ_RISK_EVENTS,
                parameters=[detection, *_entity_options(RISK_DETECTIONS, version)],
                responses=ok("The detection.", entity_response(detection_schema)),
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
                requestBody={"required": True, **json_body(ref(GRAPH + "userIdsBody"))},
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
        requestBody={"required": True, **json_body(ref("batchRequest"))},
        responses=ok("One answer per request, in request order.", ref("batchResponse")),
    )
    operation["security"] = [{"bearer": []}]
    return operation


def batch_schemas() -> dict[str, JsonSchema]:
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
