"""A 204 is durable: every acknowledged action survives a SIGKILL of the server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import TENANT, detection, new_id
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow

BATCH = 10
BATCHES = 60


def _seed(base_url: str, users: list[str]) -> None:
    body = {"value": [detection(userId=uid, riskLevel="medium") for uid in users]}
    response = httpx.post(f"{base_url}/_admin/tenants/{TENANT}/riskDetections", json=body)
    assert response.status_code == 201, response.text


def _send_until_killed(
    base_url: str, batches: list[tuple[int, list[str]]], acked: list[int]
) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for index, batch in batches:
            try:
                response = client.post(
                    "/v1.0/identityProtection/riskyUsers/confirmCompromised",
                    json={"userIds": batch},
                )
            except httpx.TransportError:
                return
            assert response.status_code == 204, response.text
            acked.append(index)


def _states(base_url: str, users: list[str]) -> dict[str, str]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return {
            uid: client.get(f"/v1.0/identityProtection/riskyUsers/{uid}").json()["riskState"]
            for uid in users
        }


# Several senders: on SQLite their requests share transactions (store/group_commit.py).
@pytest.mark.parametrize("senders", [1, 4])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_acknowledged_actions_survive_sigkill(
    backend: str, senders: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db_url: str = request.getfixturevalue(f"{backend}_url")
    batches = [[new_id() for _ in range(BATCH)] for _ in range(BATCHES)]
    users = [uid for batch in batches for uid in batch]
    server = ServerProcess(db_url, tmp_path).start()
    acked: list[int] = []
    try:
        _seed(server.base_url, users)
        numbered = list(enumerate(batches))
        threads = [
            threading.Thread(
                target=_send_until_killed, args=(server.base_url, numbered[i::senders], acked)
            )
            for i in range(senders)
        ]
        for thread in threads:
            thread.start()
        while len(acked) < BATCHES // 3:
            time.sleep(0.005)
        server.kill()  # mid-stream: a request per sender may be in flight
        for thread in threads:
            thread.join(timeout=30)
        server = ServerProcess(db_url, tmp_path).start()
        states = _states(server.base_url, users)
    finally:
        server.stop()

    assert len(acked) >= BATCHES // 3
    for index, batch in enumerate(batches):
        changed = {states[uid] == "confirmedCompromised" for uid in batch}
        if index in acked:
            assert changed == {True}, f"acknowledged batch {index} was lost"
        else:
            assert len(changed) == 1, f"batch {index} was half applied"
