"""Send the traffic of chosen hosts to an in-process app: httpx, requests, aiohttp, urllib3.

httpx: the default transports (`httpx.HTTPTransport`, `httpx.AsyncHTTPTransport`) are patched,
so every client routes, even one made before routing began or wrapped by an SDK's middleware.
requests: `Session.get_adapter` answers an adapter of ours for the routed hosts, so every
session routes, whatever it has mounted. aiohttp: every `ClientSession` sends the routed hosts'
requests to the app served on loopback (aiohttp_route.py). urllib3: `HTTPConnectionPool.urlopen`
answers them from the app (urllib3_route.py). Other hosts go where they always went.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import httpx

from idprotect.testing.transport import AppTransport


@dataclass(frozen=True, eq=False)
class Route:
    hosts: frozenset[str]
    transport: AppTransport
    # The same app over HTTP on 127.0.0.1 (started on first call): its base URL. For aiohttp.
    serve: Callable[[], str] | None = None


_routes: list[Route] = []  # the innermost (last) route of a host wins
_lock = threading.Lock()
_patches = ExitStack()


def route_for(url: str | httpx.URL) -> Route | None:
    """The innermost route of `url`'s host, if any."""
    host = (url.host if isinstance(url, httpx.URL) else urlsplit(url).hostname or "").lower()
    for route in reversed(_routes):
        if host in route.hosts:
            return route
    return None


def transport_for(url: str | httpx.URL) -> AppTransport | None:
    """The in-process transport that `url`'s host is routed to, if any."""
    route = route_for(url)
    return route.transport if route else None


def served_url_for(url: str) -> str | None:
    """The loopback base URL of the app that `url`'s host is routed to, if any."""
    route = route_for(url)
    return route.serve() if route and route.serve else None


@contextmanager
def routed(
    hosts: frozenset[str], transport: AppTransport, serve: Callable[[], str] | None = None
) -> Iterator[None]:
    """Within the block, `hosts` (lower-case names) are answered by `transport` (and, for
    aiohttp, by the server that `serve` starts)."""
    route = Route(frozenset(host.lower() for host in hosts), transport, serve)
    with _lock:
        if not _routes:
            _install_patches()
        _routes.append(route)
    try:
        yield
    finally:
        with _lock:
            _routes.remove(route)
            if not _routes:
                _patches.close()


def _install_patches() -> None:
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        target = transport_for(request.url)
        return target.handle_request(request) if target else sync_send(self, request)

    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        target = transport_for(request.url)
        if target is None:
            return await async_send(self, request)
        return await target.handle_async_request(request)

    _patch(httpx.HTTPTransport, "handle_request", handle_request)
    _patch(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)
    _install_requests_patch()
    _install_aiohttp_patch()
    _install_urllib3_patch()


def _install_requests_patch() -> None:
    try:
        import requests
    except ImportError:  # requests is optional: only its users need routing
        return
    from idprotect.testing.requests_adapter import InProcessAdapter

    get_adapter = requests.Session.get_adapter

    def routed_get_adapter(self: requests.Session, url: str) -> requests.adapters.BaseAdapter:
        target = transport_for(url)
        return InProcessAdapter(target) if target else get_adapter(self, url)

    _patch(requests.Session, "get_adapter", routed_get_adapter)


def _install_aiohttp_patch() -> None:
    try:
        import aiohttp
    except ImportError:  # aiohttp is optional too
        return
    from idprotect.testing.aiohttp_route import wrap_request

    _patch(aiohttp.ClientSession, "_request", wrap_request(served_url_for))


def _install_urllib3_patch() -> None:
    try:
        import urllib3
    except ImportError:
        return
    from idprotect.testing.urllib3_route import wrap_urlopen

    _patch(urllib3.HTTPConnectionPool, "urlopen", wrap_urlopen(transport_for))


def _patch(owner: type, name: str, replacement: Any) -> None:
    _patches.enter_context(mock.patch.object(owner, name, replacement))
