"""A bare ASGI app answering one fixed riskyUser: the ceiling the full service is compared to."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from idprotect.serving import uvicorn_options
from idprotect.settings import Settings

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


def main() -> None:
    """`python -m bench.bare_app --port N [--workers N]`: this app under uvicorn with the options
    `idprotect serve` gives uvicorn (serving.py: its HTTP protocol, keep-alive, no WebSocket),
    on uvicorn's default loop as `serve` has it; no access log."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.bare_app:app",
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        **uvicorn_options(Settings()),
    )


if __name__ == "__main__":
    main()
