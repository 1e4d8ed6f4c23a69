"""The entities of every principal kind, as api/wire.py writes them: risky principals, their
history items and activities, and their detections.

Each entity is written once with what beta adds; a beta shape that differs from v1.0's is a
schema of its own, named `beta.microsoft.graph.*`. Entities forbid the properties they do not
declare and require none (`$select` drops any), so a property the wire sends and this file
lacks fails tests/api/test_openapi.py. riskyAgent is abstract: each agent is one of its
subtypes, which `@odata.type` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from idprotect.api.openapi.schemas import (
    BETA,
    BOOLEAN,
    DATETIME,
    GRAPH,
    STRING,
    JsonSchema,
    entity,
    nullable,
    ref,
)
from idprotect.api.wire import AGENT_TYPES
from idprotect.domain.signins import SignInEventType

Properties = dict[str, JsonSchema]


@dataclass(frozen=True, slots=True)
class _Shape:
    description: str
    properties: Properties
    beta: Properties = field(default_factory=dict)  # what beta adds, or writes otherwise

    def schema(self, version: str) -> JsonSchema:
        extra = self.beta if version == "beta" else {}
        return entity({**self.properties, **extra}, self.description)


def _risk(updated: str) -> Properties:
    return {
        updated: DATETIME,
        "riskLevel": ref(GRAPH + "riskLevel"),
        "riskState": ref(GRAPH + "riskState"),
        "riskDetail": ref(GRAPH + "riskDetail"),
    }


_PROCESSING = {**BOOLEAN, "description": "Always false: actions apply before their 204."}

_RISKY_USER: Properties = {
    "id": STRING,
    "isDeleted": BOOLEAN,
    "isProcessing": _PROCESSING,
    **_risk("riskLastUpdatedDateTime"),
    "userDisplayName": nullable(STRING),
    "userPrincipalName": nullable(STRING),
}
_RISKY_SERVICE_PRINCIPAL: Properties = {
    "id": STRING,
    "isEnabled": BOOLEAN,
    "isProcessing": _PROCESSING,
    **_risk("riskLastUpdatedDateTime"),
    "displayName": nullable(STRING),
    "appId": nullable(STRING),
    "servicePrincipalType": nullable({**STRING, "description": "Application, ManagedIdentity..."}),
}
_ACCOUNT_ENABLED: Properties = {
    "accountEnabled": {**BOOLEAN, "description": "isEnabled's deprecated former name."}
}
_RISKY_AGENT: Properties = {
    "id": STRING,
    "agentDisplayName": nullable(STRING),
    "blueprintId": nullable(STRING),
    "identityType": ref(GRAPH + "agentIdentityType"),
    "isDeleted": BOOLEAN,
    "isEnabled": BOOLEAN,
    "isProcessing": _PROCESSING,
    **_risk("riskLastModifiedDateTime"),
}


def _history(principal: Properties, id_field: str, activity: str) -> Properties:
    return {
        **principal,
        id_field: STRING,
        "initiatedBy": nullable(STRING),
        "activity": ref(GRAPH + activity),
    }


def _history_text(whose: str) -> str:
    return f"One state of a risky {whose}. The newest item's id is the {whose}'s id."


_ACTIVITY: Properties = {
    "detail": nullable(ref(GRAPH + "riskDetail")),
    "riskEventTypes": {"type": "array", "items": STRING},
}
_EVENT_TYPES: Properties = {
    "eventTypes": {
        "type": "array",
        "items": ref(GRAPH + "riskEventType"),
        "description": "The riskEventTypes that the deprecated riskEventType enum names.",
    }
}

# What users' and service principals' detections share (sign-ins and their tokens).
_SIGN_IN: Properties = {
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
    "location": nullable(ref(GRAPH + "signInLocation")),
    "activityDateTime": DATETIME,
    "detectedDateTime": DATETIME,
    "lastUpdatedDateTime": DATETIME,
    "additionalInfo": nullable({**STRING, "description": "A JSON array, as text."}),
}
_MITRE: Properties = {"mitreTechniqueId": nullable(STRING)}
_AGENT_DETECTION: Properties = {
    "id": STRING,
    "agentId": STRING,
    "agentDisplayName": nullable(STRING),
    "blueprintId": nullable(STRING),
    "identityType": ref(GRAPH + "agentIdentityType"),
    "activityDateTime": DATETIME,
    "detectedDateTime": DATETIME,
    "detectionTimingType": ref(GRAPH + "riskDetectionTimingType"),
    "lastModifiedDateTime": DATETIME,
    "riskDetail": ref(GRAPH + "riskDetail"),
    "riskLevel": ref(GRAPH + "riskLevel"),
    "riskState": ref(GRAPH + "riskState"),
    "riskEventType": {
        **STRING,
        "description": "An open-ended string, e.g. unfamiliarResourceAccess.",
    },
    "riskEvidence": nullable({**STRING, "description": "Why the activity was risky, in words."}),
    "additionalInfo": nullable(STRING),
    "source": nullable(STRING),
}

_NULLABLE_STRING = nullable(STRING)
_SIGN_IN_RECORD: Properties = {
    "id": STRING,
    "createdDateTime": DATETIME,
    "userDisplayName": _NULLABLE_STRING,
    "userPrincipalName": _NULLABLE_STRING,
    "userId": STRING,
    **dict.fromkeys(("appId", "appDisplayName", "ipAddress", "clientAppUsed"), _NULLABLE_STRING),
    "correlationId": _NULLABLE_STRING,
    "conditionalAccessStatus": _NULLABLE_STRING,
    "isInteractive": BOOLEAN,
    "riskDetail": ref(GRAPH + "riskDetail"),
    "riskLevelAggregated": ref(GRAPH + "riskLevel"),
    "riskLevelDuringSignIn": ref(GRAPH + "riskLevel"),
    "riskState": ref(GRAPH + "riskState"),
    "riskEventTypes": {"type": "array", "items": ref(GRAPH + "riskEventType")},
    "riskEventTypes_v2": {"type": "array", "items": STRING},
    "status": ref(GRAPH + "signInStatus"),
    "deviceDetail": ref(GRAPH + "deviceDetail"),
    "location": ref(GRAPH + "signInLocation"),
}
_SIGN_IN_SHAPES: dict[str, _Shape] = {
    GRAPH + "signIn": _Shape(
        'A sign-in of a user (beta: or of a service principal, whose userId is ""), with '
        "the risk Identity Protection found in it.",
        _SIGN_IN_RECORD,
        beta={
            "authenticationRequirement": _NULLABLE_STRING,
            "userAgent": _NULLABLE_STRING,
            "servicePrincipalId": {**STRING, "description": '"" for a user\'s sign-in.'},
            "servicePrincipalName": _NULLABLE_STRING,
            "servicePrincipalCredentialKeyId": _NULLABLE_STRING,
            "signInEventTypes": {
                "type": "array",
                "items": {"type": "string", "enum": [t.value for t in SignInEventType]},
                "minItems": 1,
                "maxItems": 1,
            },
        },
    ),
    GRAPH + "signInStatus": _Shape(
        "Whether a sign-in succeeded, and why not.",
        {
            "errorCode": {"type": "integer", "description": "0: the sign-in succeeded."},
            "failureReason": _NULLABLE_STRING,
            "additionalDetails": _NULLABLE_STRING,
        },
    ),
    GRAPH + "deviceDetail": _Shape(
        "The device a sign-in came from.",
        {
            "deviceId": STRING,
            "displayName": _NULLABLE_STRING,
            "operatingSystem": _NULLABLE_STRING,
            "browser": _NULLABLE_STRING,
            "isCompliant": nullable(BOOLEAN),
            "isManaged": nullable(BOOLEAN),
            "trustType": _NULLABLE_STRING,
        },
    ),
}

_SHAPES: dict[str, _Shape] = {
    GRAPH + "riskyUser": _Shape("A user Identity Protection has found risky.", _RISKY_USER),
    GRAPH + "riskyUserHistoryItem": _Shape(
        _history_text("user"),
        _history(_RISKY_USER, "userId", "riskUserActivity"),
        beta={"activity": ref(BETA + GRAPH + "riskUserActivity")},
    ),
    GRAPH + "riskUserActivity": _Shape("What changed a user's risk.", _ACTIVITY, _EVENT_TYPES),
    GRAPH + "riskDetection": _Shape(
        "A risk detection of a user: one risky sign-in or user activity.",
        {
            **_SIGN_IN,
            "userId": STRING,
            "userDisplayName": nullable(STRING),
            "userPrincipalName": nullable(STRING),
        },
        beta={"riskType": ref(GRAPH + "riskEventType"), **_MITRE},
    ),
    GRAPH + "riskyServicePrincipal": _Shape(
        "A service principal Identity Protection has found risky.",
        _RISKY_SERVICE_PRINCIPAL,
        beta=_ACCOUNT_ENABLED,
    ),
    GRAPH + "riskyServicePrincipalHistoryItem": _Shape(
        _history_text("service principal"),
        _history(_RISKY_SERVICE_PRINCIPAL, "servicePrincipalId", "riskServicePrincipalActivity"),
        beta=_ACCOUNT_ENABLED,
    ),
    GRAPH + "riskServicePrincipalActivity": _Shape(
        "What changed a service principal's risk.", _ACTIVITY
    ),
    GRAPH + "servicePrincipalRiskDetection": _Shape(
        "A risk detection of a service principal: a risky sign-in or credential.",
        {
            **_SIGN_IN,
            "servicePrincipalId": STRING,
            "servicePrincipalDisplayName": nullable(STRING),
            "appId": nullable(STRING),
            "keyIds": {"type": "array", "items": STRING, "description": "Its credentials."},
        },
        beta=_MITRE,
    ),
    GRAPH + "agentRiskDetection": _Shape("A risk detection of an agent (beta).", _AGENT_DETECTION),
    GRAPH + "signInLocation": _Shape(
        "Where the risky activity came from.",
        {
            "city": nullable(STRING),
            "state": nullable(STRING),
            "countryOrRegion": nullable(STRING),
            "geoCoordinates": nullable(ref(GRAPH + "geoCoordinates")),
        },
    ),
    GRAPH + "geoCoordinates": _Shape(
        "Coordinates of a sign-in location.",
        {name: nullable({"type": "number"}) for name in ("altitude", "latitude", "longitude")},
    ),
    **_SIGN_IN_SHAPES,
}

RISKY_AGENT = GRAPH + "riskyAgent"
# Its subtypes' schema names, and the @odata.type each is sent with.
_AGENT_SUBTYPES = {odata_type[1:]: odata_type for odata_type in AGENT_TYPES.values()}


def _agent_schemas() -> dict[str, JsonSchema]:
    """riskyAgent: one of its subtypes, which every agent's `@odata.type` names."""
    schemas: dict[str, JsonSchema] = {
        name: {
            **entity(
                {"@odata.type": {"const": odata_type}, **_RISKY_AGENT},
                f"A risky agent of @odata.type {odata_type}.",
            ),
            "required": ["@odata.type"],
        }
        for name, odata_type in _AGENT_SUBTYPES.items()
    }
    schemas[RISKY_AGENT] = {
        "description": "An agent Identity Protection has found risky (beta), as its subtype.",
        "oneOf": [ref(name) for name in _AGENT_SUBTYPES],
        "discriminator": {
            "propertyName": "@odata.type",
            "mapping": {t: ref(name)["$ref"] for name, t in _AGENT_SUBTYPES.items()},
        },
    }
    return schemas


def _entities() -> dict[str, JsonSchema]:
    """Every shape on v1.0, and its beta shape where that differs."""
    schemas: dict[str, JsonSchema] = {}
    for name, shape in _SHAPES.items():
        schemas[name] = shape.schema("v1.0")
        if (beta := shape.schema("beta")) != schemas[name]:
            schemas[BETA + name] = beta
    return {**schemas, **_agent_schemas()}


ENTITIES = _entities()


def schema_name(entity_type: str, version: str) -> str:
    """The schema of `entity_type` (microsoft.graph.riskyUser) as `version` sends it."""
    beta = BETA + entity_type
    return beta if version == "beta" and beta in ENTITIES else entity_type


def entity_response(name: str, schemas: Mapping[str, JsonSchema] = ENTITIES) -> JsonSchema:
    """An entity of `schemas` as a GET answers it: the entity's properties and its
    `@odata.context`; an abstract entity as one of its subtypes."""
    schema = schemas[name]
    if "oneOf" in schema:
        subtypes = [
            entity_response(item["$ref"].rsplit("/", 1)[-1], schemas) for item in schema["oneOf"]
        ]
        return {"description": schema["description"], "oneOf": subtypes}
    return {
        **schema,
        "required": ["@odata.context", *schema.get("required", ())],
        "properties": {"@odata.context": {"type": "string"}, **schema["properties"]},
    }
