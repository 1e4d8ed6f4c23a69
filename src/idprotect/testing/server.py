"""The in-process app served over HTTP(S) on 127.0.0.1 by uvicorn, in a thread of the test."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from idprotect.serving import uvicorn_options
from idprotect.settings import Settings
from idprotect.tls import TlsFiles

_NO_OPTIONS: dict[str, Any] = {}


class ThreadedServer:
    """uvicorn on a free port of 127.0.0.1, in a daemon thread; `stop()` ends it.

    With `settings`, it bounds what a client may send as `idprotect serve` does (the request
    head's deadline and size, serving.py)."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings | None = None, tls: TlsFiles | None = None
    ) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",  # the app's state belongs to the test, not to this server
            # aiohttp's routed requests arrive from loopback naming their scheme and host.
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            ssl_certfile=str(tls.certfile) if tls else None,
            ssl_keyfile=str(tls.keyfile) if tls and tls.keyfile else None,
            **(uvicorn_options(settings) if settings is not None else _NO_OPTIONS),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the idprotect test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()
