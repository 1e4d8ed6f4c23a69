"""Graph's auditLogs/directoryAudits in the document (list and get, on each version), and the
directoryAudit entity as api/directory_audits.py writes it."""

from __future__ import annotations

from idprotect.api.directory_audits import DIRECTORY_AUDITS
from idprotect.api.openapi.common import Paths, graph_operation, ok, operation_id, path_id
from idprotect.api.openapi.entities import entity_response
from idprotect.api.openapi.options import entity_options, list_options
from idprotect.api.openapi.schemas import (
    DATETIME,
    GRAPH,
    STRING,
    JsonSchema,
    collection_response,
    entity,
    nullable,
    ref,
)
from idprotect.auth.permissions import READ_SIGN_INS as READ_AUDIT_LOGS

DIRECTORY_AUDIT = GRAPH + "directoryAudit"
_TAGS = ("audit",)
_KEY = path_id("directoryAudit-id", "The record's id.")
_TARGET = (
    " Also Graph's `targetResources/any(t: t/id eq '{id}')`, once, joined to the rest with `and`."
)
_NULLABLE = nullable(STRING)


def audit_schemas() -> dict[str, JsonSchema]:
    """directoryAudit and the types it holds, as Graph names them."""
    return {
        DIRECTORY_AUDIT: entity(
            {
                "id": STRING,
                "category": STRING,
                "correlationId": STRING,
                "result": {**STRING, "description": "Always success: failures change nothing."},
                "resultReason": STRING,
                "activityDisplayName": STRING,
                "activityDateTime": DATETIME,
                "loggedByService": STRING,
                "operationType": {"type": "string", "enum": ["Add", "Update", "Delete"]},
                "initiatedBy": ref(GRAPH + "auditActivityInitiator"),
                "targetResources": {"type": "array", "items": ref(GRAPH + "targetResource")},
                "additionalDetails": {"type": "array", "items": ref(GRAPH + "keyValue")},
            },
            "A change recorded in the tenant's directory audit log: a risk action or an "
            "/_admin change (docs/compatibility.md, Directory audits).",
        ),
        GRAPH + "auditActivityInitiator": _closed(
            {
                "app": nullable(ref(GRAPH + "appIdentity")),
                "user": nullable(ref(GRAPH + "userIdentity")),
            },
            "Who made the change: a user or an application (the other is null).",
        ),
        GRAPH + "userIdentity": _closed(
            dict.fromkeys(("id", "displayName", "userPrincipalName", "ipAddress"), _NULLABLE),
            "A user who made a change (a local operator of the command line has no id).",
        ),
        GRAPH + "appIdentity": _closed(
            dict.fromkeys(
                ("appId", "displayName", "servicePrincipalId", "servicePrincipalName"), _NULLABLE
            ),
            "An application that made a change.",
        ),
        GRAPH + "targetResource": _closed(
            {
                "id": STRING,
                "displayName": _NULLABLE,
                "type": STRING,
                "userPrincipalName": _NULLABLE,
                "groupType": _NULLABLE,
                "modifiedProperties": {"type": "array", "items": ref(GRAPH + "modifiedProperty")},
            },
            "What a change acted on: a principal, a sign-in, or the tenant (Directory).",
        ),
        GRAPH + "modifiedProperty": _closed(
            dict.fromkeys(("displayName", "oldValue", "newValue"), _NULLABLE),
            "A property a change modified.",
        ),
        GRAPH + "keyValue": _closed(
            {"key": STRING, "value": STRING}, "A detail of a change: `request`, its document."
        ),
    }


def _closed(properties: dict[str, JsonSchema], description: str) -> JsonSchema:
    """A type every record writes whole: each property required."""
    return {**entity(properties, description), "required": list(properties)}


def audit_paths(version: str) -> Paths:
    base = f"/{version}/auditLogs/directoryAudits"
    listing = graph_operation(
        version,
        "list_directory_audits",
        "List directory audits",
        READ_AUDIT_LOGS,
        tags=_TAGS,
        parameters=list_options(DIRECTORY_AUDITS, version, _TARGET),
        description="The tenant's directory audit log, newest first (`activityDateTime desc`).",
        responses=ok("A page of records.", collection_response(DIRECTORY_AUDIT)),
    )
    listing["responses"]["200"]["links"] = {
        "get_directory_audit": {
            "operationId": operation_id("get_directory_audit", version),
            "parameters": {_KEY["name"]: "$response.body#/value/0/id"},
        }
    }
    getting = graph_operation(
        version,
        "get_directory_audit",
        "Get a directory audit",
        READ_AUDIT_LOGS,
        tags=_TAGS,
        parameters=[_KEY, *entity_options(DIRECTORY_AUDITS, version)],
        responses=ok("The record.", entity_response(DIRECTORY_AUDIT, audit_schemas())),
        extra=(404,),
    )
    return {base: {"get": listing}, f"{base}/{{{_KEY['name']}}}": {"get": getting}}
