"""An ASGI app as an httpx transport, sync and async; sync calls run on a private event loop."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

# (status, raw headers, body): what crosses from the app's event loop to the caller's thread.
_Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]


class AppTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends requests to an ASGI app in this process: no socket, no server.

    Async requests run on the caller's event loop; sync ones on an event loop thread of this
    transport, started on first use, so that sync client code (requests, httpx.Client) works
    from any thread, even one that runs an event loop itself.
    """

    def __init__(self, app: ASGIApp, *, raise_app_exceptions: bool = True) -> None:
        self._asgi = httpx.ASGITransport(
            app, raise_app_exceptions=raise_app_exceptions, client=("127.0.0.1", 50000)
        )
        self._exits = ExitStack()
        self._portal: BlockingPortal | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        status, headers, body = self._blocking_portal().call(self._exchange, request)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        status, headers, body = await self._exchange(request)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    def close(self) -> None:
        with self._lock:
            self._portal = None
            self._exits.close()

    async def _exchange(self, request: httpx.Request) -> _Exchange:
        response = await self._asgi.handle_async_request(request)
        body = b"".join([part async for part in response.aiter_raw()])
        return response.status_code, response.headers.raw, body

    def _blocking_portal(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal = self._exits.enter_context(
                    start_blocking_portal(name="idprotect-testing")
                )
            return self._portal
