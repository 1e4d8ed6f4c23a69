"""What the issuer's HTTP endpoints share: the request's base URL and database, JSON answers,
and Entra's OAuth error body."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idprotect.issuer.grant import Refusal
from idprotect.store.engine import Database


def issuer_base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def issuer_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def entra_error(refusal: Refusal) -> Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    code = refusal.code
    body: dict[str, Any] = {
        "error": refusal.error,
        "error_description": f"AADSTS{code}: {refusal.description} Trace ID: {trace_id} "
        f"Correlation ID: {correlation_id} Timestamp: {timestamp}",
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return json_response(body, refusal.status)


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
