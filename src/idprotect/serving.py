"""How `idprotect serve` runs uvicorn: a deadline and a size limit on every request head, and
Graph's error body on the requests the HTTP server itself refuses.

uvicorn limits neither the time a client takes to send a request line and headers (a
connection that sends nothing stays open for ever) nor, with httptools, their size. The two
protocols below are uvicorn's own with those limits added:

- httptools (the default, about twice as fast as h11 on the hot GET): llhttp refuses a method
  it does not know (`FOO`) itself, answered here as a Graph 400; methods it knows reach the app.
- h11 (`--http h11`): every method that is a valid token reaches the app, which answers 405
  with an Allow header; h11 bounds an incomplete head itself (`h11_max_incomplete_event_size`).

Both give the app a way to drop its connection without an answer (the scope extension
`idprotect.abort`), which injected faults use (ops/faults.py).
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from http import HTTPStatus
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from idprotect.api.asgi import ABORT
from idprotect.api.errors import error_body, error_headers
from idprotect.errors import (
    BadRequest,
    GraphError,
    RequestHeaderFieldsTooLarge,
    RequestTimeout,
    RequestUriTooLong,
)
from idprotect.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `uvicorn.run` that bound what a client may send and how slowly."""
    protocol = BoundedH11Protocol if settings.http == "h11" else BoundedHttpToolsProtocol
    return {
        # A partial, not a class made here: worker processes unpickle it by name.
        "http": functools.partial(
            protocol,
            header_timeout=settings.header_timeout_seconds,
            max_head_bytes=settings.max_head_bytes,
            max_url_bytes=settings.max_url_bytes,
        ),
        "h11_max_incomplete_event_size": settings.max_head_bytes,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "ws": "none",  # no WebSocket is served: an Upgrade header is an ordinary request's
    }


class HeadGuard:
    """The request head a connection waits for: its deadline, and how many bytes came so far."""

    def __init__(
        self, transport: asyncio.Transport, *, timeout: float, max_bytes: int, max_url_bytes: int
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_url_bytes = max_url_bytes
        self.received = 0
        self.line_ended = False  # the request line is complete: only headers can be too large
        self._deadline: asyncio.TimerHandle | None = None

    def expect(self) -> None:
        """From now on a head is awaited, within the timeout."""
        self.arrived()
        self.received, self.line_ended = 0, False
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self.timeout, self._timed_out)

    @property
    def waiting(self) -> bool:
        return self._deadline is not None

    def arrived(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def count(self, data: bytes) -> None:
        self.received += len(data)
        self.line_ended = self.line_ended or b"\n" in data

    def too_large(self) -> GraphError:
        """The refusal of a head over the limit: its URL, unless the request line ended."""
        if self.line_ended:
            return RequestHeaderFieldsTooLarge(self.max_bytes)
        return RequestUriTooLong(self.max_url_bytes)

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.received:
            self.refuse(RequestTimeout())
        else:
            self.transport.close()  # an idle connection: there is no request to answer

    def refuse(self, error: GraphError) -> None:
        """Answers `error` in Graph's shape and closes the connection."""
        self.arrived()
        if self.transport.is_closing():
            return
        request_id = str(uuid.uuid4())
        body = error_body(error, request_id, request_id)
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **error_headers(error),
            "Connection": "close",
            "request-id": request_id,
            "client-request-id": request_id,
            "Cache-Control": "no-cache",
        }
        head = f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        self.transport.write(head.encode("latin-1") + b"\r\n" + body)
        self.transport.close()


def _unparsable(guard: HeadGuard, *, in_head: bool, answering: bool, url: bytes = b"") -> None:
    """What the server says of a request its parser refused."""
    if answering:
        guard.transport.close()  # the app answers already: nothing more can be said
    elif in_head and guard.received > guard.max_bytes:
        guard.refuse(guard.too_large())
    elif len(url) > guard.max_url_bytes:  # httptools cannot parse a URL over 64 KiB
        guard.refuse(RequestUriTooLong(guard.max_url_bytes))
    else:
        guard.refuse(BadRequest("The request is not valid HTTP/1.1, or its method is unknown."))


class _Guarded:
    """What both protocols share: a HeadGuard per connection, expecting a head from the start,
    and the response's end, when no pipelined request began meanwhile."""

    guard: HeadGuard
    transport: asyncio.Transport
    cycle: Any

    def __init__(
        self,
        *args: Any,
        header_timeout: float,
        max_head_bytes: int,
        max_url_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._guard = functools.partial(
            HeadGuard, timeout=header_timeout, max_bytes=max_head_bytes, max_url_bytes=max_url_bytes
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.guard = self._guard(cast(asyncio.Transport, transport))  # uvloop's, or asyncio's
        self.guard.expect()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.arrived()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if self.cycle.response_complete and not self.transport.is_closing():
            self.guard.expect()


class BoundedHttpToolsProtocol(_Guarded, HttpToolsProtocol):
    """uvicorn's httptools protocol with HeadGuard: a head must arrive within the timeout of
    the connection's opening or of the previous response, and be at most `max_head_bytes`."""

    _in_head = True  # between one message's end and the next one's headers

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self.guard.count(data)
        super().data_received(data)
        over = self._in_head and self.guard.received > self.guard.max_bytes
        if over and not self.transport.is_closing():
            self.guard.refuse(self.guard.too_large())  # and the part held is let go

    def on_headers_complete(self) -> None:
        self._in_head = False
        self.guard.arrived()
        self.scope["extensions"] = {ABORT: self.transport.abort}  # type: ignore[dict-item]
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self.guard.received, self.guard.line_ended = 0, False
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        answering = self.cycle is not None and self.cycle.response_started
        url = getattr(self, "url", b"")  # set when a message begins
        _unparsable(self.guard, in_head=self._in_head, answering=answering, url=url)


class BoundedH11Protocol(_Guarded, H11Protocol):
    """uvicorn's h11 protocol with HeadGuard's deadline; h11 limits the head's size itself."""

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if self.guard.waiting:
            self.guard.count(data)
        super().data_received(data)
        if self.cycle is not cycle:
            self.guard.arrived()  # a request's head arrived
            if self.cycle is not None:
                self.cycle.scope["extensions"] = {ABORT: self.transport.abort}

    def send_400_response(self, msg: str) -> None:
        answering = self.cycle is not None and self.cycle.response_started
        _unparsable(self.guard, in_head=self.guard.waiting, answering=answering)
