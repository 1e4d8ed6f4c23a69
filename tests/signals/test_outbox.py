"""The outbox is written in the transaction of the change: no change without its event, no
event without its change; and only for the streams that take events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from idprotect.store import outbox
from idprotect.store.engine import Database
from idprotect.store.tables import signal_outbox
from tests.conftest import FakeClock, make_client
from tests.factories import V1, risky_user
from tests.signals.helpers import push_stream
from tests.signals.receiver import Receiver


def _events(database: Database) -> int:
    with database.unit_of_work() as store:
        query = select(func.count()).select_from(signal_outbox)
        return int(store.connection.execute(query).scalar_one())


def test_a_change_that_fails_after_its_events_were_written_leaves_neither(
    database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(database, clock)
    push_stream(client, Receiver(url="http://127.0.0.1:9"))
    user_id = risky_user(client)
    before = _events(database)
    written = outbox.enqueue

    def enqueue_then_fail(*args: Any) -> int:
        written(*args)
        raise RuntimeError("the transaction fails after the outbox rows were written")

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_fail)
    answer = client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
    monkeypatch.undo()
    assert answer.status_code == 500

    assert _events(database) == before
    assert client.get(f"{V1}/riskyUsers/{user_id}").json()["riskState"] == "atRisk"


def test_without_streams_no_event_is_written(database: Database, clock: FakeClock) -> None:
    client = make_client(database, clock)
    risky_user(client)
    assert _events(database) == 0


def test_every_change_of_the_action_has_its_event_in_the_same_commit(
    database: Database, clock: FakeClock
) -> None:
    client = make_client(database, clock)
    push_stream(client, Receiver(url="http://127.0.0.1:9"))
    users = [risky_user(client) for _ in range(3)]
    assert _events(database) == 3
    client.post(f"{V1}/riskyUsers/confirmCompromised", json={"userIds": users})
    assert _events(database) == 3 + 3 * 2  # risk-level-change and credential-compromise each
