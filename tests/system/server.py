"""Running `idprotect serve` as a real process for system tests."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`idprotect serve --auth off` on 127.0.0.1, started and stopped by a test.

    With `tls_dir`, `--tls --tls-dir tls_dir`: HTTPS with the development CA `ca_certfile`."""

    def __init__(
        self,
        db_url: str,
        log_dir: Path,
        *extra: str,
        auth: str = "off",
        tls_dir: Path | None = None,
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"{'https' if tls_dir else 'http'}://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self.extra = (*extra, *(("--tls", "--tls-dir", str(tls_dir)) if tls_dir else ()))
        self.auth = auth
        self.ca_certfile = tls_dir / "ca.pem" if tls_dir else None
        self.process: subprocess.Popen[bytes] | None = None

    def ssl_context(self) -> ssl.SSLContext | bool:
        """What httpx's `verify` needs to trust this server."""
        return ssl.create_default_context(cafile=self.ca_certfile) if self.ca_certfile else True

    def start(self, timeout: float = 30.0) -> ServerProcess:
        command = [sys.executable, "-m", "idprotect", "serve", "--auth", self.auth]
        command += ["--db", self.db_url, "--port", str(self.port), "--no-access-log", *self.extra]
        with self.log_path.open("ab") as log:
            # A session of its own: with --workers, a kill takes the workers with it.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ},
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                url = f"{self.base_url}/v1.0/identityProtection/riskyUsers"
                httpx.get(url, timeout=1, verify=self.ssl_context())
                return self
            except (httpx.TransportError, FileNotFoundError):  # not listening, or no CA yet
                time.sleep(0.1)
        self.kill()  # a server that never answered is not left running behind a failed test
        raise RuntimeError(f"server did not start: {self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
