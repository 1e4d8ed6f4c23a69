"""The README's shell blocks, run in order as a newcomer pastes them, against a fresh server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.system.server import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
# The ports the README names, replaced by free ones so that a server a developer has running
# is never touched.
PORTS = ("8000", "8001")


def _blocks() -> list[str]:
    return FENCE.findall(README.read_text())


def test_the_readme_opens_with_the_two_set_up_commands() -> None:
    text = README.read_text()
    first = _blocks()[0]
    assert text.index("```sh") < text.index("\n## ")  # before anything else is explained
    commands = [line.split("#")[0].strip() for line in first.splitlines()]
    assert commands == ["./dev serve", "./dev test"]


@pytest.fixture
def dev_environment(tmp_path: Path) -> dict[str, str]:
    """`./dev` as the README runs it, on a database of this test's own."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("./dev runs the project's .venv, which is not the one running the tests")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDPROTECT_")}
    return {**env, "IDPROTECT_DATABASE_URL": f"sqlite:///{tmp_path / 'readme.db'}"}


def test_every_readme_block_works_in_order(dev_environment: dict[str, str], tmp_path: Path) -> None:
    ports = {named: str(free_port()) for named in PORTS}
    script = "\n".join(_blocks()[1:])
    for named, free in ports.items():
        script = re.sub(rf"\b{named}\b", free, script)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        ["./dev", "serve", "--port", ports["8000"]],
        cwd=ROOT,
        env=dev_environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(f"http://127.0.0.1:{ports['8000']}/health", server, tmp_path / "serve.log")
        result = subprocess.run(
            ["bash", "-c", f"set -euo pipefail\n{script}"],
            cwd=ROOT,
            env=dev_environment,
            capture_output=True,
            text=True,
            timeout=180,
            start_new_session=True,  # what it leaves running is stopped below, with its group
        )
    finally:
        _stop_listener(ports["8001"])
        server.terminate()
        server.wait(timeout=30)
        log.close()
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert "HTTP/1.1 204 No Content" in out  # the dismissal
    assert '"riskDetail": "adminDismissedAllRiskForUser"' in out
    assert '"riskState": "dismissed"' in out
    assert '"riskLevel": "high"' in out  # the detection put the user at risk again
    assert '"riskEventType": "unlikelyTravel"' in out  # the risk engine's, from the sign-ins
    assert '"riskEventTypes_v2": [' in out  # a risky sign-in
    # Three lists through the token-verifying server (a token, client credentials, none).
    assert out.count('"@odata.context"') >= 5
    assert '"code": "InvalidAuthenticationToken"' in out
    assert "Traceback" not in result.stderr


def _stop_listener(port: str) -> None:
    """Stop a server the blocks started on `port` and did not stop (a failed run)."""
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    for pid in found.stdout.split():
        os.kill(int(pid), signal.SIGTERM)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # the first ./dev may still install the project
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"./dev serve exited: {log.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"./dev serve did not answer: {log.read_text()}")
