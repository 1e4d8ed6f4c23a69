"""A real server (`idprotect serve --demo`, SQLite, a free port) and a headless Chromium from
Debian's packages driven by its chromedriver. Without them the browser tests skip, saying why;
with IDPROTECT_REQUIRE_BROWSER=1 (CI) they fail instead."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN, READER, PASSWORD = "admin@contoso.com", "reader@contoso.com", "console password 1"


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the dev extra)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _idprotect(*args: str, stdin: str | None = None) -> None:
    command = [sys.executable, "-m", "idprotect", *args]
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("IDPROTECT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `idprotect serve --demo` with tokens verified, and two users."""
    folder = tmp_path_factory.mktemp("console_server")
    db = f"sqlite:///{folder / 'console.db'}"
    for user, role in ((ADMIN, "Security Administrator"), (READER, "Security Reader")):
        _idprotect("user", "set-password", "--user", user, "--roles", role,
            "--password-stdin", "--db", db, stdin=PASSWORD + "\n")  # fmt: skip
    port = _free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "idprotect", "serve", "--demo", "--db", db, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(120):
        if process.poll() is not None:
            pytest.fail("idprotect serve stopped before answering")
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail("idprotect serve did not answer in 60 seconds")


@pytest.fixture
def browser(browser_ready: None) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder
