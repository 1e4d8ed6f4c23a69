"""A bare ASGI app answering one fixed riskyUser: the ceiling the full service is compared to."""

from __future__ import annotations

from typing import Any

_BODY = (
    b'{"@odata.context":"http://127.0.0.1/v1.0/$metadata#identityProtection/riskyUsers/$entity",'
    b'"id":"04487ee0-f4f6-4e7f-8999-facc5a30e232","isDeleted":false,"isProcessing":false,'
    b'"riskLastUpdatedDateTime":"2026-03-01T09:30:00.1234560Z","riskLevel":"medium",'
    b'"riskState":"atRisk","riskDetail":"none","userDisplayName":"Alex Wilber",'
    b'"userPrincipalName":"alex.wilber@contoso.com"}'
)
_HEADERS = [
    (b"content-type", b"application/json;odata.metadata=minimal;charset=utf-8"),
    (b"content-length", str(len(_BODY)).encode()),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
