"""Headers Graph puts on every response: request-id, client-request-id, and friends."""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Scope

_CLIENT_REQUEST_ID = b"client-request-id"


def assign_request_ids(scope: Scope) -> tuple[str, str]:
    """A new request-id and the caller's client-request-id (or the request-id again), kept in
    the request's state for error bodies."""
    request_id = str(uuid.uuid4())
    client_request_id = request_id
    for name, value in scope["headers"]:
        if name == _CLIENT_REQUEST_ID:
            client_request_id = value.decode("latin-1") or request_id
            break
    state = scope.setdefault("state", {})
    state["request_id"] = request_id
    state["client_request_id"] = client_request_id
    return request_id, client_request_id


def graph_headers(request_id: str, client_request_id: str) -> list[tuple[bytes, bytes]]:
    """The request's ids and Graph's cache rule, for a response that has none of them."""
    return [
        (b"request-id", request_id.encode("latin-1")),
        (b"client-request-id", client_request_id.encode("latin-1")),
        (b"cache-control", b"no-cache"),
    ]


def add_graph_headers(start: Message, request_id: str, client_request_id: str) -> None:
    """Put the request's ids and Graph's cache rule on an `http.response.start` message,
    replacing any the response had."""
    headers = MutableHeaders(scope=start)
    headers["request-id"] = request_id
    headers["client-request-id"] = client_request_id
    headers["Cache-Control"] = "no-cache"
