"""JSON batching (`/{version}/$batch`): its operation and its request and response bodies."""

from __future__ import annotations

from idprotect.api import batch
from idprotect.api.openapi.common import Operation, graph_operation, json_body, ok
from idprotect.api.openapi.schemas import JsonSchema, ref


def batch_operation(version: str) -> Operation:
    # Any verified caller: each request is authorized on its own.
    return graph_operation(
        version,
        "batch",
        f"Run up to {batch.MAX_REQUESTS} requests in one (JSON batching)",
        None,
        description="Each request is authorized on its own, with the batch's token.",
        requestBody={"required": True, **json_body(ref("batchRequest"))},
        responses=ok("One answer per request, in request order.", ref("batchResponse")),
    )


def batch_schemas() -> dict[str, JsonSchema]:
    request_item = {
        "type": "object",
        "required": ["id", "method", "url"],
        "properties": {
            "id": {"type": "string", "pattern": r"\S"},
            "method": {"type": "string", "enum": list(batch.METHODS)},
            "url": {
                "type": "string",
                "pattern": r"\S",
                "description": "Relative to the version, the leading `/` optional.",
            },
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
