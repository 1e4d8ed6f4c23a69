"""POSTs to receivers on kept-alive connections (http.client): a push is one small request per
SET (RFC 8935), so what a request costs the sender bounds how many SETs a stream carries."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

# url, body, headers -> status, the start of the answer's body; OSError when nothing answered.
Post = Callable[[str, bytes, dict[str, str]], tuple[int, str]]
_KEPT = 64  # connections kept at most (one per receiver's host)


class Connections:
    """One kept-alive connection per scheme, host and port; a broken one is opened again once."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._open: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._tls = ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        key = (parts.scheme, parts.hostname or "", parts.port or _port(parts.scheme))
        for attempt in (0, 1):
            connection = self._connection(key)
            try:
                connection.request("POST", target, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read().decode("utf-8", "replace")[:2000]
            except (OSError, http.client.HTTPException):
                self._drop(key)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _connection(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        found = self._open.get(key)
        if found is None:
            if len(self._open) >= _KEPT:
                self.close()
            scheme, host, port = key
            found = (
                http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._tls)
                if scheme == "https"
                else http.client.HTTPConnection(host, port, timeout=self._timeout)
            )
            self._open[key] = found
        return found

    def _drop(self, key: tuple[str, str, int]) -> None:
        connection = self._open.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._open):
            self._drop(key)


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
