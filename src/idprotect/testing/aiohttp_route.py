"""aiohttp's client sessions, routed: requests to a routed host go to the app served on loopback.

`ClientSession._request`, the entry of every session's requests (made before routing began or
after), is wrapped: for a routed host it calls aiohttp's own `_request` with the URL moved to
the same app served over plain HTTP on 127.0.0.1, the original host in `Host` and its scheme in
`X-Forwarded-Proto` (uvicorn trusts both from loopback). The request is encoded and the response
parsed by aiohttp itself, so sessions behave as they do against Graph: their headers, auth,
cookies, timeouts, streaming, `raise_for_status`. Other hosts are not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

# A routed URL -> the base URL (http://127.0.0.1:PORT) of the app that answers it, or None.
ServedUrlFor = Callable[[str], str | None]


def wrap_request(served_url_for: ServedUrlFor) -> Any:
    """A replacement for `ClientSession._request` that routes, around the current one."""
    request = aiohttp.ClientSession._request

    async def routed_request(
        self: aiohttp.ClientSession, method: str, str_or_url: Any, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        url = _absolute(self, str_or_url)
        served = served_url_for(str(url)) if url.absolute else None
        if served is None:
            return await request(self, method, str_or_url, **kwargs)
        kwargs["headers"] = _forwarded_headers(kwargs.get("headers"), url)
        return await request(self, method, _moved(url, served), **kwargs)

    return routed_request


def _absolute(session: aiohttp.ClientSession, str_or_url: Any) -> URL:
    url = URL(str_or_url)
    base = getattr(session, "_base_url", None)  # ClientSession(base_url=...), aiohttp 3.8+
    return base.join(url) if base is not None and not url.absolute else url


def _moved(url: URL, served: str) -> URL:
    return URL(f"{served}{url.raw_path_qs}", encoded=True)


def _forwarded_headers(headers: Any, url: URL) -> CIMultiDict[str]:
    forwarded: CIMultiDict[str] = CIMultiDict(headers or ())
    host = url.raw_host or ""
    forwarded["Host"] = host if url.is_default_port() else f"{host}:{url.port}"
    forwarded["X-Forwarded-Proto"] = url.scheme
    return forwarded
