"""The ASGI plumbing of the pipeline (pipeline.py): the connection's `send` that knows whether a
response started, sending a response with Graph's headers, the body replayed to the other
routes, the path a proxy's prefix leaves, and dropping a connection without an answer."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from idprotect.api.headers import graph_headers
from idprotect.ops.faults import DropConnection

# The scope extension through which serving.py lets the app abort its connection.
ABORT = "idprotect.abort"


class Sender:
    """The connection's `send`, knowing whether the response has started (after which an
    error can no longer be answered)."""

    __slots__ = ("_send", "started", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.status = 0  # none sent (yet): the connection was dropped, or the client left

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
        await self._send(message)


async def send_response(send: Send, response: Response, ids: tuple[str, str]) -> None:
    headers = response.raw_headers + graph_headers(*ids)
    start = {"type": "http.response.start", "status": response.status_code, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": response.body})


async def drop(scope: Scope, send: Send) -> None:
    """Closes the connection without an answer (an injected fault). A batch's request drops
    the batch's connection; without the server's abort (in process), the response starts and
    never ends."""
    if scope["state"].get("in_batch"):
        raise DropConnection()
    abort = scope.get("extensions", {}).get(ABORT)
    if abort is None:
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1")],
        }
        await send(start)
        return
    abort()
    await asyncio.sleep(0)  # the server sees the connection lost before the app returns


def route_path(scope: Scope) -> str:
    """The path without the scope's `root_path`, as Starlette's `get_route_path` has it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :] or "/"
    return path


def replay(body: bytes, receive: Receive) -> Receive:
    """The body, read already, as one message; then the connection's own messages."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
