"""Graph-style change notifications in the document (an idprotect extension): `/subscriptions`
on each version (create, list, get, renew, delete), the subscription entity as
api/subscriptions.py writes it, and its request bodies, from signals/subscriptions.py's rules."""

from __future__ import annotations

from typing import Any

from idprotect.api.openapi.common import (
    Operation,
    Paths,
    any_permission,
    graph_operation,
    json_body,
    ok,
    operation_id,
    path_id,
)
from idprotect.api.openapi.entities import entity_response
from idprotect.api.openapi.schemas import (
    BOOLEAN,
    DATETIME,
    GRAPH,
    STRING,
    JsonSchema,
    collection_response,
    entity,
    nullable,
    ref,
)
from idprotect.api.subscriptions import RESOURCE_READS, VALIDATION_SECONDS
from idprotect.signals.endpoints import MAX_URL
from idprotect.signals.rich import MAX_CERTIFICATE_ID, MAX_KEY_BITS, MIN_KEY_BITS
from idprotect.signals.subscriptions import (
    CHANGE_TYPES,
    MAX_CLIENT_STATE,
    MAX_LIFETIME,
    TLS_VERSIONS,
)

SUBSCRIPTION = GRAPH + "subscription"
_CREATE, _RENEW = "subscriptionRequest", "subscriptionRenewal"
_TAGS = ("signals",)
_KEY = path_id("subscription-id", "The subscription's id.")
_NULLABLE = nullable(STRING)
_MINUTES = int(MAX_LIFETIME.total_seconds() // 60)
_URL: JsonSchema = {
    "type": "string",
    "pattern": "^[hH][tT][tT][pP][sS]?://",
    "maxLength": MAX_URL - 1,
    "description": f"An https (or, for development, http) URL, to a host the server sends to "
    f"(`serve --signals-allowed-host`). It must answer Graph's validation request within "
    f"{VALIDATION_SECONDS:g} seconds.",
}
_EXPIRATION: JsonSchema = {
    "type": "string",
    "format": "date-time",
    "description": f"In the future, at most {_MINUTES} minutes away, with its offset.",
}
_CERTIFICATE: JsonSchema = {
    "type": "string",
    "description": f"A base64 X.509 certificate (DER, or PEM) with an RSA key of {MIN_KEY_BITS} "
    f"to {MAX_KEY_BITS} bits; needed with includeResourceData.",
}
_CERTIFICATE_ID: JsonSchema = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_CERTIFICATE_ID,
    "description": "Your id of the certificate, echoed in encryptedContent.",
}
_CHANGES = "; ".join(f"`{r}`: {', '.join(types)}" for r, types in CHANGE_TYPES.items())


def subscription_schemas() -> dict[str, JsonSchema]:
    return {
        SUBSCRIPTION: entity(
            {
                "id": STRING,
                "resource": {"type": "string", "enum": list(CHANGE_TYPES)},
                "applicationId": _NULLABLE,
                "changeType": STRING,
                "clientState": _NULLABLE,
                "notificationUrl": STRING,
                "notificationQueryOptions": {"type": "null"},
                "lifecycleNotificationUrl": _NULLABLE,
                "expirationDateTime": nullable(DATETIME),
                "creatorId": _NULLABLE,
                "includeResourceData": BOOLEAN,
                "latestSupportedTlsVersion": _NULLABLE,
                "encryptionCertificate": _NULLABLE,
                "encryptionCertificateId": _NULLABLE,
                "notificationUrlAppId": {"type": "null"},
            },
            "A subscription to changes of a resource (an idprotect extension: Graph has none "
            "for Identity Protection), with Graph's contract (docs/compatibility.md).",
        ),
        _CREATE: {
            "type": "object",
            "required": ["resource", "changeType", "notificationUrl", "expirationDateTime"],
            "properties": {
                "resource": {"type": "string", "enum": list(CHANGE_TYPES)},
                "changeType": {
                    "type": "string",
                    "pattern": r"^\s*(created|updated)\s*(,\s*(created|updated)\s*)*$",
                    "description": f"Comma-separated: {_CHANGES}.",
                },
                "notificationUrl": _URL,
                "lifecycleNotificationUrl": nullable(_URL),
                "expirationDateTime": _EXPIRATION,
                "clientState": nullable({"type": "string", "maxLength": MAX_CLIENT_STATE}),
                "includeResourceData": {
                    "enum": [True, False, None],
                    "description": "Rich notifications: each carries the resource, encrypted "
                    "with encryptionCertificate as Graph encrypts encryptedContent.",
                },
                "encryptionCertificate": nullable(_CERTIFICATE),
                "encryptionCertificateId": nullable(_CERTIFICATE_ID),
                "latestSupportedTlsVersion": {"enum": [*TLS_VERSIONS, None]},
            },
        },
        _RENEW: {
            "type": "object",
            "properties": {
                "expirationDateTime": _EXPIRATION,
                "notificationUrl": _URL,
                "encryptionCertificate": _CERTIFICATE,
                "encryptionCertificateId": _CERTIFICATE_ID,
            },
            "additionalProperties": False,
            "description": "Nothing else of a subscription can be updated; the certificate only "
            "of one with includeResourceData.",
        },
    }


def _operation(version: str, name: str, summary: str, **fields: Any) -> Operation:
    return graph_operation(version, name, summary, None, tags=_TAGS, **fields)


def subscription_paths(version: str) -> Paths:
    base, one = f"/{version}/subscriptions", f"/{version}/subscriptions/{{{_KEY['name']}}}"
    entity_answer = entity_response(SUBSCRIPTION, subscription_schemas())
    creating = _operation(
        version,
        "create_subscription",
        "Subscribe to changes of risky users or risk detections",
        description="Needs the resource's read permission (IdentityRiskyUser.Read.All for "
        "riskyUsers, IdentityRiskEvent.Read.All for riskDetections, or their ReadWrite). "
        "The notification URLs are validated as Graph does, before anything is created.",
        requestBody={"required": True, **json_body(ref(_CREATE))},
        responses={"201": {"description": "The subscription.", **json_body(entity_answer)}},
    )
    creating["security"] = any_permission(
        *(sorted(requirement.permissions)[0] for requirement in RESOURCE_READS.values())
    )
    listing = _operation(
        version,
        "list_subscriptions",
        "List the tenant's subscriptions",
        responses=ok("Every subscription of the tenant.", collection_response(SUBSCRIPTION)),
    )
    listing["responses"]["200"]["links"] = {
        name: {
            "operationId": operation_id(name, version),
            "parameters": {_KEY["name"]: "$response.body#/value/0/id"},
        }
        for name in ("get_subscription", "delete_subscription")
    }
    return {
        base: {"post": creating, "get": listing},
        one: {
            "get": _operation(version, "get_subscription", "Get a subscription",
                parameters=[_KEY], responses=ok("The subscription.", entity_answer),
                extra=(404,)),
            "patch": _operation(version, "update_subscription",
                "Renew a subscription (or move its notificationUrl)", parameters=[_KEY],
                requestBody={"required": True, **json_body(ref(_RENEW))},
                responses=ok("The subscription.", entity_answer), extra=(404,)),
            "delete": _operation(version, "delete_subscription", "Delete a subscription",
                parameters=[_KEY], responses={"204": {"description": "Deleted."}},
                extra=(404,)),
        },
        f"{one}/reauthorize": {
            "post": _operation(version, "reauthorize_subscription",
                "Reauthorize a subscription (the answer to reauthorizationRequired)",
                description="Authorizes it until the caller's token expires; its "
                "expirationDateTime is unchanged. Needs the resource's read permission.",
                parameters=[_KEY], responses={"204": {"description": "Reauthorized."}},
                extra=(404,)),
        },
    }  # fmt: skip
