"""serve's deliverer in a process of its own (the default): it delivers, stops with the server
on SIGTERM, and ends by itself when the server is killed; `--signals-delivery thread` runs it
in the server process instead."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from idprotect.signals.process import NICENESS
from tests.factories import TENANT, detection, new_id
from tests.signals.helpers import push_stream
from tests.signals.receiver import CAEP, Receiver, running_receiver
from tests.system.server import ServerProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
]


def _children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is `pid`, with their command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), command))
    return found


def _deliverers(pid: int) -> list[int]:
    return [child for child, command in _children(pid) if "signals deliver" in command]


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(done: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _raise_and_dismiss(server: ServerProcess, receiver: Receiver) -> str:
    """A push stream to `receiver`, a user made risky and dismissed; the user's email."""
    user = new_id()
    email = f"{user}@contoso.com"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        push_stream(client, receiver)
        body = {"value": [detection(userId=user, userPrincipalName=email)]}
        assert client.post(f"/_admin/tenants/{TENANT}/riskDetections", json=body).is_success
        dismissed = client.post(
            "/v1.0/identityProtection/riskyUsers/dismiss", json={"userIds": [user]}
        )
        assert dismissed.status_code == 204
    return email


def _levels(receiver: Receiver, email: str) -> list[str]:
    return [
        s["events"][CAEP + "risk-level-change"]["current_level"]
        for s in receiver.sets
        if s["sub_id"].get("email") == email
    ]


def test_the_default_deliverer_is_a_process_that_stops_with_the_server(
    sqlite_url: str, tmp_path: Path
) -> None:
    with running_receiver() as receiver:
        server = ServerProcess(sqlite_url, tmp_path).start()
        try:
            assert server.process is not None
            assert _wait(lambda: len(_deliverers(server.process.pid)) == 1)
            (deliverer,) = _deliverers(server.process.pid)
            email = _raise_and_dismiss(server, receiver)
            assert _wait(lambda: len(_levels(receiver, email)) == 2)
            assert _levels(receiver, email) == ["MEDIUM", "LOW"]  # CAEP has no "none"
            assert _niceness(deliverer) - _niceness(server.process.pid) == NICENESS
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=30) == 0
            assert _wait(lambda: not _alive(deliverer))
        finally:
            server.kill()
    assert receiver.errors == []


def test_the_deliverer_ends_by_itself_when_the_server_is_killed(
    sqlite_url: str, tmp_path: Path
) -> None:
    server = ServerProcess(sqlite_url, tmp_path).start()
    try:
        assert server.process is not None
        assert _wait(lambda: len(_deliverers(server.process.pid)) == 1)
        (deliverer,) = _deliverers(server.process.pid)
        os.kill(server.process.pid, signal.SIGKILL)  # the server alone, not its group
        server.process.wait(timeout=10)
        assert _wait(lambda: not _alive(deliverer))
    finally:
        server.kill()


def test_thread_delivery_runs_in_the_server_process(sqlite_url: str, tmp_path: Path) -> None:
    with running_receiver() as receiver:
        server = ServerProcess(sqlite_url, tmp_path, "--signals-delivery", "thread").start()
        try:
            assert server.process is not None
            assert _deliverers(server.process.pid) == []
            email = _raise_and_dismiss(server, receiver)
            assert _wait(lambda: len(_levels(receiver, email)) == 2)
        finally:
            server.stop()
    assert receiver.errors == []


def test_no_deliver_signals_starts_no_deliverer(sqlite_url: str, tmp_path: Path) -> None:
    server = ServerProcess(sqlite_url, tmp_path, "--no-deliver-signals").start()
    try:
        assert server.process is not None
        time.sleep(0.5)
        assert _deliverers(server.process.pid) == []
    finally:
        server.stop()
