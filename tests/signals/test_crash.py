"""The outbox survives kill -9: every committed change's event reaches the receivers once the
server and the deliverer are back (duplicates only as the same jti), in order per user."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import TENANT, detection, new_id
from tests.signals.helpers import push_stream
from tests.signals.receiver import CAEP, Receiver, running_receiver
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow

BATCH = 10
BATCHES = 30
DISMISSED = "adminDismissedAllRiskForUser"


class Deliverer:
    """`idprotect signals deliver` as a process of its own, with a short backoff."""

    def __init__(self, db_url: str, log: Path) -> None:
        command = [sys.executable, "-m", "idprotect", "signals", "deliver", "--db", db_url,
                   "--idle", "0.01", "--backoff", "0.1"]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def _connect(base: str, receiver: Receiver) -> None:
    """A push stream and a Graph-style subscription, both to `receiver`."""
    with httpx.Client(base_url=base, timeout=10) as client:
        push_stream(client, receiver)
        expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        subscription = {
            "changeType": "updated",
            "notificationUrl": f"{receiver.url}/graph",
            "resource": "identityProtection/riskyUsers",
            "expirationDateTime": expires,
        }
        assert client.post("/v1.0/subscriptions", json=subscription).status_code == 201


def _dismiss_until_killed(base: str, batches: list[list[str]], acked: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for batch in batches:
            try:
                answer = client.post("/v1.0/identityProtection/riskyUsers/dismiss",
                                     json={"userIds": batch})  # fmt: skip
            except httpx.TransportError:
                return
            assert answer.status_code == 204
            acked.extend(batch)


def _dismissals(receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claims in receiver.sets:
        by_user[claims["sub_id"]["email"]].append(claims)
    return by_user


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_committed_change_is_delivered_after_kill_9(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db_url: str = request.getfixturevalue(f"{backend}_url")
    batches = [[new_id() for _ in range(BATCH)] for _ in range(BATCHES)]
    users = [uid for batch in batches for uid in batch]
    emails = {uid: f"{uid}@contoso.com" for uid in users}
    acked: list[str] = []
    with running_receiver() as receiver:
        server = ServerProcess(db_url, tmp_path, "--no-deliver-signals").start()
        deliverer = Deliverer(db_url, tmp_path / "deliverer.log")
        try:
            _connect(server.base_url, receiver)
            body = {"value": [detection(userId=u, userPrincipalName=emails[u]) for u in users]}
            httpx.post(f"{server.base_url}/_admin/tenants/{TENANT}/riskDetections", json=body)
            sender = threading.Thread(target=_dismiss_until_killed,
                                      args=(server.base_url, batches, acked))  # fmt: skip
            sender.start()
            while len(acked) < len(users) // 3:
                time.sleep(0.005)
            server.kill()
            deliverer.kill()  # mid-burst, both: events may be committed and not yet sent
            sender.join(timeout=30)
            server = ServerProcess(db_url, tmp_path, "--no-deliver-signals").start()
            deliverer = Deliverer(db_url, tmp_path / "deliverer.log")
            history = _history_sizes(server.base_url, users)
            expected = sum(history.values())
            _wait(lambda: len({s["jti"] for s in receiver.sets}) >= expected)
            _wait(lambda: len(receiver.notifications) >= expected - len(users))
        finally:
            deliverer.kill()
            server.stop()

    assert receiver.errors == []
    _check_sets(receiver, users, emails, acked, history)


def _history_sizes(base: str, users: list[str]) -> dict[str, int]:
    with httpx.Client(base_url=base, timeout=10) as client:
        return {u: len(client.get(f"/v1.0/identityProtection/riskyUsers/{u}/history")
                       .json()["value"]) for u in users}  # fmt: skip


def _wait(done: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def _check_sets(
    receiver: Receiver, users: list[str], emails: dict[str, str], acked: list[str],
    history: dict[str, int],
) -> None:  # fmt: skip
    by_jti: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claims in receiver.sets:
        by_jti[claims["jti"]].append(claims)
    assert all(c == copies[0] for copies in by_jti.values() for c in copies)  # same jti, same SET
    by_user = _dismissals(receiver)
    for user in users:
        distinct = list({c["jti"]: c for c in by_user[emails[user]]}.values())
        assert len(distinct) == history[user], user  # one event per committed change
        reasons = [c["events"][CAEP + "risk-level-change"]["risk_reason"] for c in distinct]
        assert reasons[0] == "unfamiliarFeatures"  # raised first, then (maybe) dismissed
        assert (DISMISSED in reasons) == (history[user] == 2)
        if user in acked:
            assert reasons == ["unfamiliarFeatures", DISMISSED]
    notified = {n["resourceData"]["id"] for n in receiver.notifications}
    assert notified == {u for u in users if history[u] == 2}
