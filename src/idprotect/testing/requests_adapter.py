"""A `requests` transport adapter that hands each request to an in-process httpx transport."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import httpx
import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from idprotect.testing.transport import AppTransport


class InProcessAdapter(requests.adapters.BaseAdapter):
    """Answers a `requests` call from the app behind `transport`; timeouts, TLS and proxy
    settings have nothing to act on and are ignored."""

    def __init__(self, transport: AppTransport) -> None:
        super().__init__()
        self._transport = transport

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        outgoing = httpx.Request(
            request.method or "GET",
            request.url or "",
            headers=list(request.headers.items()),
            content=_body(request.body),
        )
        incoming = self._transport.handle_request(outgoing)
        return _response(request, incoming, self)

    def close(self) -> None:
        """Nothing to release: the transport belongs to the routing, not to the session."""


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    if hasattr(body, "read"):
        return _body(body.read())
    if isinstance(body, Iterable):
        return b"".join(_body(chunk) for chunk in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


def _response(
    request: requests.PreparedRequest, incoming: httpx.Response, adapter: InProcessAdapter
) -> requests.Response:
    content = incoming.read()
    response = requests.Response()
    response.status_code = incoming.status_code
    response.headers = CaseInsensitiveDict(incoming.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.reason = _reason(incoming.status_code)
    response.url = request.url or ""
    response.request = request
    response.raw = io.BytesIO(content)
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    # Auth handlers (digest, NTLM) resend through `connection`; ours can.
    response.connection = adapter  # type: ignore[assignment]
    return response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
