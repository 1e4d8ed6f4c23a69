"""Headers Graph puts on every response: request-id, client-request-id, and friends."""

from __future__ import annotations

import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idprotect.api.errors import unexpected_error_response


def assign_request_ids(scope: Scope) -> tuple[str, str]:
    """A new request-id and the caller's client-request-id (or the request-id again), kept in
    the request's state for error bodies."""
    request_id = str(uuid.uuid4())
    client_request_id = Headers(scope=scope).get("client-request-id") or request_id
    state = scope.setdefault("state", {})
    state["request_id"] = request_id
    state["client_request_id"] = client_request_id
    return request_id, client_request_id


def add_graph_headers(start: Message, request_id: str, client_request_id: str) -> None:
    """Put the request's ids and Graph's cache rule on an `http.response.start` message."""
    headers = MutableHeaders(scope=start)
    headers["request-id"] = request_id
    headers["client-request-id"] = client_request_id
    headers["Cache-Control"] = "no-cache"


class GraphHeadersMiddleware:
    """Gives each request an id (in `request.state.request_id`) and echoes it back.

    `client-request-id` echoes the caller's value, or repeats `request-id` when none was sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, client_request_id = assign_request_ids(scope)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                add_graph_headers(message, request_id, client_request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            response = unexpected_error_response(Request(scope), exc)
            await response(scope, receive, send_with_headers)
