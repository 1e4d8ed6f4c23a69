"""Send the traffic of chosen hosts, made through httpx or requests, to an in-process app.

httpx: the default transports (`httpx.HTTPTransport`, `httpx.AsyncHTTPTransport`) are patched,
so every client routes, even one made before routing began or wrapped by an SDK's middleware.
requests: `Session.get_adapter` answers an adapter of ours for the routed hosts, so every
session routes, whatever it has mounted. Other hosts go where they always went.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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


_routes: list[Route] = []  # the innermost (last) route of a host wins
_lock = threading.Lock()
_patches = ExitStack()


def transport_for(url: str | httpx.URL) -> AppTransport | None:
    """The in-process transport that `url`'s host is routed to, if any."""
    host = (url.host if isinstance(url, httpx.URL) else urlsplit(url).hostname or "").lower()
    for route in reversed(_routes):
        if host in route.hosts:
            return route.transport
    return None


@contextmanager
def routed(hosts: frozenset[str], transport: AppTransport) -> Iterator[None]:
    """Within the block, `hosts` (lower-case names) are answered by `transport`."""
    route = Route(frozenset(host.lower() for host in hosts), transport)
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


def _patch(owner: type, name: str, replacement: Any) -> None:
    _patches.enter_context(mock.patch.object(owner, name, replacement))
