"""Server processes on one database (two servers, or the workers of one) serialize actions on
the same users, and date them in the order they happened."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import TENANT, detection, new_id
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow

ROUNDS = 40
USERS = 5
RISKY_USERS = "/v1.0/identityProtection/riskyUsers"


def _hammer(base_url: str, action: str, users: list[str], failures: list[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(ROUNDS):
            response = client.post(
                f"/v1.0/identityProtection/riskyUsers/{action}", json={"userIds": users}
            )
            if response.status_code != 204:
                failures.append(f"{action}: {response.status_code} {response.text}")


def _history(client: httpx.Client, user_id: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    url: str | None = f"/v1.0/identityProtection/riskyUsers/{user_id}/history?$top=500"
    while url:
        page = client.get(url).json()
        items.extend(page["value"])
        url = page.get("@odata.nextLink")
    return items


def test_two_processes_acting_on_the_same_users_serialize(
    database_url: str, tmp_path: Path
) -> None:
    first = ServerProcess(database_url, tmp_path).start()
    second = ServerProcess(database_url, tmp_path).start()
    try:
        _hammer_and_check(first.base_url, second.base_url)
    finally:
        first.stop()
        second.stop()


def test_the_workers_of_one_server_serialize(database_url: str, tmp_path: Path) -> None:
    """`serve --workers 2`, on SQLite as on PostgreSQL: each connection may land on either
    worker, so the four clients below meet in both processes."""
    server = ServerProcess(database_url, tmp_path, "--workers", "2").start()
    try:
        _hammer_and_check(server.base_url, server.base_url)
    finally:
        server.stop()


def _hammer_and_check(first: str, second: str) -> None:
    users = [new_id() for _ in range(USERS)]
    failures: list[str] = []
    body = {"value": [detection(userId=uid) for uid in users]}
    seeded = httpx.post(f"{first}/_admin/tenants/{TENANT}/riskDetections", json=body)
    assert seeded.status_code == 201
    clients = [
        (first, "confirmCompromised", users),
        (second, "dismiss", users),
        (second, "confirmCompromised", users[::-1]),
        (first, "dismiss", users[::-1]),
    ]
    threads = [threading.Thread(target=_hammer, args=(*c, failures)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with httpx.Client(base_url=first, timeout=30) as client:
        histories = {uid: _history(client, uid) for uid in users}
        detections = client.get("/v1.0/identityProtection/riskDetections?$top=500").json()
        current = {uid: client.get(f"{RISKY_USERS}/{uid}").json() for uid in users}

    assert failures == []
    compromised_detections = dict.fromkeys(users, 0)
    for item in detections["value"]:
        if item["riskEventType"] == "adminConfirmedUserCompromised":
            compromised_detections[item["userId"]] += 1
    for uid, history in histories.items():
        states = [item["riskState"] for item in reversed(history)]  # oldest first
        # A lost serialization shows as the same transition written twice in a row.
        assert all(a != b for a, b in itertools.pairwise(states)), states
        assert states.count("confirmedCompromised") == compromised_detections[uid]
        assert states[0] == "atRisk"
        _assert_dated_in_order(uid, history, current[uid])


def _assert_dated_in_order(
    user_id: str, history: list[dict[str, Any]], current: dict[str, Any]
) -> None:
    """Newest first, each change strictly later than the one before it: a client that polls
    `riskLastUpdatedDateTime gt X` misses none. The newest item is the user as it is now."""
    ticks = [_ticks(user_id, item["id"]) for item in history]
    dates = [item["riskLastUpdatedDateTime"] for item in history]
    assert ticks == sorted(ticks, reverse=True)
    inversions = [(a, b) for a, b in itertools.pairwise(dates) if not a > b]
    assert inversions == []  # Graph's 7-digit fractions compare as text
    assert current["riskLastUpdatedDateTime"] == dates[0]


def _ticks(user_id: str, item_id: str) -> float:
    suffix = item_id[len(user_id) :]
    return float(suffix) if suffix else float("inf")  # the newest item's id is the user's
