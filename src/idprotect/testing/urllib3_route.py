"""urllib3 used directly, routed: `HTTPConnectionPool.urlopen` answers routed hosts from the app.

Every request of a `PoolManager`, a pool or `urllib3.request()` goes through a pool's `urlopen`
(PoolManager handles redirects and retries around it); for a routed host, the patched method
hands the request to the in-process transport and returns the answer as a `urllib3.HTTPResponse`
read from memory. Timeouts, retries and TLS options have nothing to act on and are ignored.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import urllib3
from urllib3.connectionpool import HTTPConnectionPool

from idprotect.testing.transport import AppTransport

TransportFor = Callable[[str], AppTransport | None]


def wrap_urlopen(transport_for: TransportFor) -> Any:
    """A replacement for `HTTPConnectionPool.urlopen` that routes, around the current one."""
    urlopen = HTTPConnectionPool.urlopen

    def routed_urlopen(
        self: HTTPConnectionPool,
        method: str,
        url: str,
        body: Any = None,
        headers: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> urllib3.BaseHTTPResponse:
        full_url = _full_url(self, url)
        transport = transport_for(full_url)
        if transport is None:
            return urlopen(self, method, url, body, headers, *args, **kwargs)
        sent = httpx.Request(
            method,
            full_url,
            headers=list((headers if headers is not None else self.headers).items()),
            content=_body(body),
        )
        answer = transport.handle_request(sent)
        return urllib3.HTTPResponse(
            body=io.BytesIO(b"".join(answer.iter_raw())),
            headers=urllib3.HTTPHeaderDict(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            version_string="HTTP/1.1",
            preload_content=kwargs.get("preload_content", True),
            decode_content=kwargs.get("decode_content", True),
            request_method=method,
            request_url=full_url,
        )

    return routed_urlopen


def _full_url(pool: HTTPConnectionPool, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    host = f"[{pool.host}]" if ":" in pool.host else pool.host
    return (
        f"{pool.scheme}://{host}:{pool.port}{url}" if pool.port else f"{pool.scheme}://{host}{url}"
    )


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        return _body(body.read())
    if isinstance(body, Iterable):
        return b"".join(_body(chunk) for chunk in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")
