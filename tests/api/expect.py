"""What Graph answers, written once: field lists, content types and the error body check."""

from __future__ import annotations

import re
from typing import Any

import httpx

BASE = "http://testserver"
ODATA_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)

RISKY_USER_FIELDS = [
    "id",
    "isDeleted",
    "isProcessing",
    "riskLastUpdatedDateTime",
    "riskLevel",
    "riskState",
    "riskDetail",
    "userDisplayName",
    "userPrincipalName",
]
HISTORY_ITEM_FIELDS = [*RISKY_USER_FIELDS, "userId", "initiatedBy", "activity"]
RISK_DETECTION_FIELDS = [
    "id",
    "requestId",
    "correlationId",
    "riskEventType",
    "riskState",
    "riskLevel",
    "riskDetail",
    "source",
    "detectionTimingType",
    "activity",
    "tokenIssuerType",
    "ipAddress",
    "activityDateTime",
    "detectedDateTime",
    "lastUpdatedDateTime",
    "userId",
    "userDisplayName",
    "userPrincipalName",
    "additionalInfo",
    "location",
]
BETA_RISK_DETECTION_FIELDS = [*RISK_DETECTION_FIELDS, "riskType", "mitreTechniqueId"]

_INNER_ERROR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def graph_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    """The response is Graph's JSON error body with exactly this status, code and message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert list(error) == ["code", "message", "innerError"]
    assert (error["code"], error["message"]) == (code, message), error
    inner = error["innerError"]
    assert list(inner) == ["date", "request-id", "client-request-id"]
    assert _INNER_ERROR_DATE.fullmatch(inner["date"]), inner["date"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]


def bad_request(response: httpx.Response, message: str) -> None:
    graph_error(response, 400, "BadRequest", message)


def odata_json(response: httpx.Response, status: int = 200) -> Any:
    """The body of a successful OData payload, after checking its status and headers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == ODATA_JSON
    assert response.headers["odata-version"] == "4.0"
    return response.json()
