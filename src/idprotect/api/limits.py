"""Limits on what a request may send: its URL's length, its body's size and the time it takes.

Outermost of the app's middleware, so that nothing behind it reads a request past them. A body
is read here, whole, before the app runs: at most the limit is ever held (a Content-Length over
it is refused before a byte of the body is read; a chunked body as soon as it passes it), and
the whole body must arrive within the body timeout. Refusals are Graph errors (413, 414, 408)
that close the connection, since the rest of the request is never read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idprotect.api.errors import error_response
from idprotect.api.headers import add_graph_headers, assign_request_ids
from idprotect.errors import (
    GraphError,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    RequestTimeout,
    RequestUriTooLong,
)


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_target_bytes: int  # the request target: path and query, as sent
    max_head_bytes: int  # the target and the headers
    max_body_bytes: int
    max_admin_body_bytes: int  # /_admin's bulk loads (10,000 detections) are larger
    body_timeout_seconds: float

    def body_limit(self, path: str) -> int:
        return self.max_admin_body_bytes if path.startswith("/_admin/") else self.max_body_bytes


class _Disconnected(Exception):
    """The client went away before its body arrived."""


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.body_limit(scope["path"])
        error = _refusal_of_head(scope, self.limits, limit)
        if error is not None:
            await send_refusal(scope, send, error)
            return
        if not _has_body(scope):
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.limits.body_timeout_seconds):
                body = await _read_body(receive, limit)
        except TimeoutError:
            await send_refusal(scope, send, RequestTimeout())
            return
        except RequestEntityTooLarge as exc:
            await send_refusal(scope, send, exc)
            return
        except _Disconnected:
            return
        await self.app(scope, _replay(body, receive), send)


def _refusal_of_head(scope: Scope, limits: RequestLimits, max_body: int) -> GraphError | None:
    """What the request line and headers alone refuse, if anything. (The server refuses a head
    over the limits while it arrives; one that arrived at once is refused here.)"""
    query = scope["query_string"]
    size = len(scope.get("raw_path") or scope["path"].encode()) + (len(query) + 1 if query else 0)
    if size > limits.max_target_bytes:
        return RequestUriTooLong(limits.max_target_bytes)
    for name, value in scope["headers"]:
        size += len(name) + len(value)
        if name == b"content-length" and value.isdigit() and int(value) > max_body:
            return RequestEntityTooLarge(max_body)
    if size > limits.max_head_bytes:
        return RequestHeaderFieldsTooLarge(limits.max_head_bytes)
    return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body, read already, as one message; then the connection's own messages."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def send_refusal(scope: Scope, send: Send, error: GraphError) -> None:
    """Answers `error` in Graph's shape, with the request's ids, without running the app."""
    request_id, client_request_id = assign_request_ids(scope)
    response = error_response(Request(scope), error)
    start: Message = {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": response.raw_headers,
    }
    add_graph_headers(start, request_id, client_request_id)
    await send(start)
    await send({"type": "http.response.body", "body": response.body})
