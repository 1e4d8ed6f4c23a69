"""JSON Schemas of the wire format (OpenAPI 3.1 components), from the enums the server answers.

Names follow Graph's own OpenAPI description (`microsoft.graph.riskyUser`, ...); beta's
shapes, which carry more properties, are prefixed `beta.`. Entities forbid properties they do
not declare, so a property the wire sends and this file lacks fails tests/api/test_openapi.py.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskEventType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.kinds import MAX_ACTION_IDS

JsonSchema = dict[str, Any]
GRAPH = "microsoft.graph."
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
    GRAPH + "riskState": _enum(RiskState, "The state of a user's risk."),
    GRAPH + "riskDetail": _enum(RiskDetail, "Why the risk state last changed." + _EVOLVABLE),
    GRAPH + "riskDetectionTimingType": _enum(RiskDetectionTimingType, "When it was detected."),
    GRAPH + "activityType": _enum(ActivityType, "What was risky." + _EVOLVABLE),
    GRAPH + "tokenIssuerType": _enum(TokenIssuerType, "Who issued the token." + _EVOLVABLE),
    GRAPH + "riskEventType": _enum(RiskEventType, "beta's deprecated detection type enum."),
}


def entity(properties: dict[str, JsonSchema], description: str) -> JsonSchema:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }


_RISKY_USER: dict[str, JsonSchema] = {
    "id": STRING,
    "isDeleted": BOOLEAN,
    "isProcessing": {**BOOLEAN, "description": "Always false: actions apply before their 204."},
    "riskLastUpdatedDateTime": DATETIME,
    "riskLevel": ref(GRAPH + "riskLevel"),
    "riskState": ref(GRAPH + "riskState"),
    "riskDetail": ref(GRAPH + "riskDetail"),
    "userDisplayName": nullable(STRING),
    "userPrincipalName": nullable(STRING),
}


def _history_item(activity: str) -> JsonSchema:
    return entity(
        {
            **_RISKY_USER,
            "userId": STRING,
            "initiatedBy": nullable(STRING),
            "activity": ref(activity),
        },
        "One state of a risky user. The newest item's id is the user id.",
    )


_ACTIVITY: dict[str, JsonSchema] = {
    "detail": nullable(ref(GRAPH + "riskDetail")),
    "riskEventTypes": {"type": "array", "items": STRING},
}

_LOCATION = entity(
    {
        "city": nullable(STRING),
        "state": nullable(STRING),
        "countryOrRegion": nullable(STRING),
        "geoCoordinates": nullable(ref(GRAPH + "geoCoordinates")),
    },
    "Where the risky activity came from.",
)
_COORDINATES = entity(
    {name: nullable({"type": "number"}) for name in ("altitude", "latitude", "longitude")},
    "Coordinates of a sign-in location.",
)

_RISK_DETECTION: dict[str, JsonSchema] = {
    "id": STRING,
    "requestId": nullable(STRING),
    "correlationId": nullable(STRING),
    "riskEventType": {**STRING, "description": "An open-ended string, e.g. unfamiliarFeatures."},
    "riskState": ref(GRAPH + "riskState"),
    "riskLevel": ref(GRAPH + "riskLevel"),
    "riskDetail": ref(GRAPH + "riskDetail"),
    "source": nullable(STRING),
    "detectionTimingType": ref(GRAPH + "riskDetectionTimingType"),
    "activity": ref(GRAPH + "activityType"),
    "tokenIssuerType": ref(GRAPH + "tokenIssuerType"),
    "ipAddress": nullable(STRING),
    "activityDateTime": DATETIME,
    "detectedDateTime": DATETIME,
    "lastUpdatedDateTime": DATETIME,
    "userId": STRING,
    "userDisplayName": nullable(STRING),
    "userPrincipalName": nullable(STRING),
    "additionalInfo": nullable({**STRING, "description": "A JSON array, as text."}),
    "location": nullable(ref(GRAPH + "signInLocation")),
}
_DETECTION_TEXT = "A risk detection: one risky sign-in or user activity."

ENTITIES: dict[str, JsonSchema] = {
    GRAPH + "riskyUser": entity(_RISKY_USER, "A user Identity Protection has found risky."),
    GRAPH + "riskyUserHistoryItem": _history_item(GRAPH + "riskUserActivity"),
    "beta." + GRAPH + "riskyUserHistoryItem": _history_item("beta." + GRAPH + "riskUserActivity"),
    GRAPH + "riskUserActivity": entity(_ACTIVITY, "What changed the risk."),
    "beta." + GRAPH + "riskUserActivity": entity(
        {
            **_ACTIVITY,
            "eventTypes": {"type": "array", "items": ref(GRAPH + "riskEventType")},
        },
        "What changed the risk; `eventTypes` repeats the known riskEventTypes.",
    ),
    GRAPH + "riskDetection": entity(_RISK_DETECTION, _DETECTION_TEXT),
    "beta." + GRAPH + "riskDetection": entity(
        {
            **_RISK_DETECTION,
            "riskType": ref(GRAPH + "riskEventType"),
            "mitreTechniqueId": nullable(STRING),
        },
        _DETECTION_TEXT,
    ),
    GRAPH + "signInLocation": _LOCATION,
    GRAPH + "geoCoordinates": _COORDINATES,
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

ACTION_BODY: JsonSchema = {
    "type": "object",
    "required": ["userIds"],
    "properties": {
        "userIds": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ACTION_IDS,
            "items": {"type": "string", "pattern": r"\S"},
            "description": "Ids of risky users. Ids never seen are ignored (see strict mode).",
        }
    },
    "patternProperties": {"^@": {}},
    "additionalProperties": False,
}


def entity_response(name: str) -> JsonSchema:
    """An entity as a GET answers it: the entity's properties and its `@odata.context`."""
    schema = ENTITIES[name]
    return {
        **schema,
        "required": ["@odata.context"],
        "properties": {"@odata.context": {"type": "string"}, **schema["properties"]},
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


def all_schemas() -> dict[str, JsonSchema]:
    return {**ENUMS, **ENTITIES, **ERRORS, "microsoft.graph.userIdsBody": ACTION_BODY}
