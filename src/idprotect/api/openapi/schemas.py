"""JSON Schema building blocks of the document (OpenAPI 3.1 components): primitives, the enums
the server answers, Graph's error body, and the envelopes of entities and collections.

Names follow Graph's own OpenAPI description (`microsoft.graph.riskLevel`, ...); the entities
of every principal kind are in entities.py.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from idprotect.domain.enums import (
    ActivityType,
    AgentIdentityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskEventType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)

JsonSchema = dict[str, Any]
GRAPH = "microsoft.graph."
BETA = "beta."
ODATA_ERROR = "microsoft.graph.ODataErrors.ODataError"

STRING: JsonSchema = {"type": "string"}
BOOLEAN: JsonSchema = {"type": "boolean"}
# Graph writes DateTimeOffset in UTC with seven fractional digits and `Z`.
DATETIME: JsonSchema = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$",
}


def ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: JsonSchema) -> JsonSchema:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _enum(members: type[StrEnum], description: str) -> JsonSchema:
    return {
        "type": "string",
        "enum": [m.value for m in members],
        "description": description,
    }


_EVOLVABLE = (
    " Members after the unknownFutureValue sentinel are sent only to requests with "
    "`Prefer: include-unknown-enum-members`; others receive the sentinel instead."
)

ENUMS: dict[str, JsonSchema] = {
    GRAPH + "riskLevel": _enum(RiskLevel, "A risk level."),
    GRAPH + "riskState": _enum(RiskState, "The state of a principal's risk."),
    GRAPH + "riskDetail": _enum(RiskDetail, "Why the risk state last changed." + _EVOLVABLE),
    GRAPH + "riskDetectionTimingType": _enum(RiskDetectionTimingType, "When it was detected."),
    GRAPH + "activityType": _enum(ActivityType, "What was risky." + _EVOLVABLE),
    GRAPH + "tokenIssuerType": _enum(TokenIssuerType, "Who issued the token." + _EVOLVABLE),
    GRAPH + "riskEventType": _enum(RiskEventType, "beta's deprecated detection type enum."),
    GRAPH + "agentIdentityType": _enum(
        AgentIdentityType, "What kind of identity an agent is (beta)." + _EVOLVABLE
    ),
}


def entity(properties: dict[str, JsonSchema], description: str) -> JsonSchema:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }


ERRORS: dict[str, JsonSchema] = {
    ODATA_ERROR: {
        "type": "object",
        "required": ["error"],
        "properties": {"error": ref("microsoft.graph.ODataErrors.MainError")},
        "additionalProperties": False,
    },
    "microsoft.graph.ODataErrors.MainError": {
        "type": "object",
        "required": ["code", "message", "innerError"],
        "properties": {
            "code": STRING,
            "message": STRING,
            "innerError": ref("microsoft.graph.ODataErrors.InnerError"),
        },
        "additionalProperties": False,
    },
    "microsoft.graph.ODataErrors.InnerError": {
        "type": "object",
        "required": ["date", "request-id", "client-request-id"],
        "properties": {
            "date": {
                "type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
                "description": "UTC, without fractions or zone, as Graph writes it.",
            },
            "request-id": STRING,
            "client-request-id": STRING,
        },
        "additionalProperties": False,
    },
}


def collection_response(name: str) -> JsonSchema:
    """A page of a collection: context, count when asked, nextLink when more follow, values."""
    return {
        "type": "object",
        "required": ["@odata.context", "value"],
        "properties": {
            "@odata.context": {"type": "string"},
            "@odata.count": {"type": "integer", "minimum": 0},
            "@odata.nextLink": {
                "type": "string",
                "description": "Absolute URL of the next page; present while more follow.",
            },
            "value": {"type": "array", "items": ref(name)},
        },
        "additionalProperties": False,
    }
