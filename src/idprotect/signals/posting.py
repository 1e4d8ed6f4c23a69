"""POSTs to receivers on kept-alive connections: a push is one small request per SET (RFC 8935),
so what a request costs the sender bounds how many SETs a stream carries.

The request is one write (head and body, with TCP_NODELAY), and the answer is parsed by
httptools (llhttp, the parser the server itself runs): about a third of the CPU http.client
spends on the same exchange, whose header parsing goes through the email package."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

import httptools

# url, body, headers -> status, the start of the answer's body; OSError when nothing answered.
Post = Callable[[str, bytes, dict[str, str]], tuple[int, str]]
_KEPT = 64  # connections kept at most (one per receiver's host)
_KEPT_BODY = 2000  # how much of an answer's body is kept (a refusal's reason)
_READ = 65536

Origin = tuple[str, str, int]  # scheme, host, port


class ReceiverError(ConnectionError):
    """The receiver's answer was not HTTP/1.1 this client understands."""


class _Answer:
    """httptools' callbacks: the body's start, and whether the message is complete."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.headed = False  # the status line and headers are in
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        self.headed = True

    def on_body(self, chunk: bytes) -> None:
        if len(self.body) < _KEPT_BODY:
            self.body += chunk[: _KEPT_BODY - len(self.body)]

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # asked before the parser resets


class Connections:
    """One kept-alive connection per scheme, host and port; a broken one is opened again once."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._open: dict[Origin, socket.socket] = {}
        self._tls = ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        origin = (parts.scheme, parts.hostname or "", parts.port or _port(parts.scheme))
        request = _request(target, parts.netloc.rsplit("@", 1)[-1], body, headers)
        for attempt in (0, 1):
            kept = origin in self._open
            connection = self._connection(origin)
            try:
                return self._exchange(origin, connection, request)
            except OSError:
                self._drop(origin)
                if attempt or not kept:  # a new connection that failed is not tried again
                    raise
        raise AssertionError("unreachable")

    def _exchange(
        self, origin: Origin, connection: socket.socket, request: bytes
    ) -> tuple[int, str]:
        connection.sendall(request)
        answer = _Answer()
        while not answer.complete:
            data = connection.recv(_READ)
            if not data:  # closed: the end of a body that runs to the close, or too early
                self._drop(origin)
                if not answer.headed:
                    raise ReceiverError("the receiver closed the connection before answering")
                break
            try:
                answer.parser.feed_data(data)
            except httptools.HttpParserError as exc:
                raise ReceiverError(f"unreadable answer: {exc}") from None
        if not answer.keep_alive:
            self._drop(origin)
        return answer.parser.get_status_code(), answer.body.decode("utf-8", "replace")

    def _connection(self, origin: Origin) -> socket.socket:
        found = self._open.get(origin)
        if found is None:
            if len(self._open) >= _KEPT:
                self.close()
            scheme, host, port = origin
            found = socket.create_connection((host, port), timeout=self._timeout)
            found.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                found = self._tls.wrap_socket(found, server_hostname=host)
            self._open[origin] = found
        return found

    def _drop(self, origin: Origin) -> None:
        connection = self._open.pop(origin, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for origin in list(self._open):
            self._drop(origin)


def _request(target: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
