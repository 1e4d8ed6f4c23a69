"""The one mapping of errors to Graph error responses: every failure leaves as Graph's body."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idprotect.errors import (
    GraphError,
    InternalServerError,
    MethodNotAllowed,
    ServiceUnavailable,
)
from idprotect.errors import ResourceNotFoundForSegment as SegmentNotFound

log = logging.getLogger("idprotect")

_WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)
# Refusals of a request that was not read whole (a body too large or too slow, a head too long).
_CLOSING = frozenset({408, 413, 414, 431})


def error_response(request: Request, error: GraphError) -> Response:
    state = request.scope.get("state", {})
    body = error_body(error, state.get("request_id"), state.get("client_request_id"))
    return Response(
        body, status_code=error.status, media_type="application/json", headers=error_headers(error)
    )


def error_body(error: GraphError, request_id: str | None, client_request_id: str | None) -> bytes:
    """Graph's error body: `{"error": {"code", "message", "innerError"}}`."""
    inner = {
        # Graph writes this date in UTC without a zone suffix or fractions.
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    # A message quoting the request may hold a lone surrogate, which JSON text cannot carry.
    message = error.message.encode("utf-8", "backslashreplace").decode("utf-8")
    return orjson.dumps({"error": {"code": error.code, "message": message, "innerError": inner}})


def error_headers(error: GraphError) -> dict[str, str]:
    """The headers an error's status calls for, besides the content type."""
    headers = {"WWW-Authenticate": _WWW_AUTHENTICATE} if error.status == 401 else {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = error.allow
    if error.status == 503:
        headers["Retry-After"] = str(ServiceUnavailable.retry_after)
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.status in _CLOSING:
        # What is left of the request is not read: the connection cannot carry another one.
        headers["Connection"] = "close"
    return headers


def http_error(exc: HTTPException, unmatched_segment: str) -> GraphError:
    """A Starlette routing error (of the routes beside the operation table) as a Graph error;
    a 404 names the segment no route reaches (Router.unmatched_segment)."""
    if exc.status_code == 405:
        # Starlette's router names the methods the path does answer.
        return MethodNotAllowed(dict(exc.headers or {}).get("Allow", ""))
    if exc.status_code == 404:
        return SegmentNotFound(unmatched_segment)
    error = GraphError(str(exc.detail))
    error.status = exc.status_code
    return error


def unexpected_error_response(request: Request, exc: Exception) -> Response:
    """A 500 in Graph's shape; the details go to the log, never to the caller."""
    log.error("unexpected error", exc_info=exc)
    return error_response(request, InternalServerError("An internal server error occurred."))
