"""Limits on what a request may send: its URL's length, its body's size and the time it takes.

The pipeline's first step (pipeline.py), so that nothing after it reads a request past them.
A body is read here, whole, before anything else runs: at most the limit is ever held (a
Content-Length over it is refused before a byte of the body is read; a chunked body as soon as
it passes it), and the whole body must arrive within the body timeout. Refusals are Graph
errors (413, 414, 408) that close the connection, since the rest of the request is never read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import Receive, Scope

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


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> bytes | None:
    """The request's whole body (b"" when it has none), read within `limit` bytes and `timeout`
    seconds (RequestEntityTooLarge, RequestTimeout); None when the client went away first."""
    if not _has_body(scope):
        return b""
    try:
        async with asyncio.timeout(timeout):
            return await _read_body(receive, limit)
    except TimeoutError:
        raise RequestTimeout() from None
    except _Disconnected:
        return None


class _Disconnected(Exception):
    """The client went away before its body arrived."""


def refusal_of_head(scope: Scope, limits: RequestLimits, max_body: int) -> GraphError | None:
    """What the request line and headers alone refuse, if anything. (The server refuses a head
    over the limits while it arrives; one that arrived at once is refused here.)"""
    query = scope["query_string"]
    size = len(scope.get("raw_path") or scope["path"].encode()) + (len(query) + 1 if query else 0)
    if size > limits.max_target_bytes:
        return RequestUriTooLong(limits.max_target_bytes)
    for name, value in scope["headers"]:
        size += len(name) + len(value)
        if name == b"content-length" and value.isdigit() and _over(value, max_body):
            return RequestEntityTooLarge(max_body)
    if size > limits.max_head_bytes:
        return RequestHeaderFieldsTooLarge(limits.max_head_bytes)
    return None


def _over(digits: bytes, limit: int) -> bool:
    """Whether a decimal length is over `limit`, measured before int() (which refuses more
    than 4,300 digits)."""
    significant = digits.lstrip(b"0")
    return len(significant) > len(str(limit)) or int(significant or b"0") > limit


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
