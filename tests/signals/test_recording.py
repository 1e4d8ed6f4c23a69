"""Sending goes on while the record of what was sent waits for the database's write lock (on
SQLite, held by the server's writers in another process), and stops before the stream's lease
could run out unrecorded."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest

from idprotect.errors import ServiceUnavailable
from idprotect.signals.delivery import Deliverer
from idprotect.store import outbox
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client
from tests.factories import add_detections, detection, new_id
from tests.signals.helpers import FAST, push_stream
from tests.signals.receiver import Receiver, running_receiver

SETTINGS = replace(FAST, batch=100, settle_every=50, settle_seconds=60)
USERS = 300


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another process's writer, as SQLite sees it: a connection holding the write lock."""
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _stream_with_events(database: Database, clock: FakeClock, receiver: Receiver) -> str:
    client = make_client(database, clock)
    stream = push_stream(client, receiver)
    emails = [f"{new_id()}@contoso.com" for _ in range(USERS)]
    add_detections(client, *(detection(userPrincipalName=e) for e in emails))
    return str(stream["stream_id"])


def _waiting(database: Database, stream_id: str) -> int:
    with database.unit_of_work() as store:
        return len(outbox.pending(store.connection, stream_id, 10_000))


def _recorded(database: Database, stream_id: str, count: int) -> None:
    """Wait for the record of the first `count` events (written on the recorder's thread)."""
    deadline = time.monotonic() + 10
    while _waiting(database, stream_id) > USERS - count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _waiting(database, stream_id) == USERS - count


def test_sending_goes_on_while_the_record_waits_for_the_lock(
    sqlite_url: str, clock: FakeClock
) -> None:
    database = Database(make_engine(sqlite_url))
    with running_receiver() as receiver:
        stream_id = _stream_with_events(database, clock, receiver)
        deliverer = Deliverer(database, SETTINGS)
        try:
            assert deliverer.deliver_once() == 100  # claimed, its record handed over
            _recorded(database, stream_id, 100)
            with write_lock_held(sqlite_url):
                assert deliverer.deliver_once() == 100
                assert deliverer.deliver_once() == 100
                assert len(receiver.sets) == USERS  # all sent, the lock still held
                assert _waiting(database, stream_id) >= 200  # and not recorded
            while deliverer.deliver_once():
                pass
            assert deliverer.deliver_once() == 0  # ran dry: everything recorded
        finally:
            deliverer.stop()
        assert _waiting(database, stream_id) == 0
    subjects = [s["sub_id"]["email"] for s in receiver.sets]
    assert len(set(subjects)) == USERS  # each once, none sent again
    assert receiver.errors == []
    database.dispose()


def test_sending_stops_before_an_unrecorded_lease_could_run_out(
    sqlite_url: str, clock: FakeClock
) -> None:
    database = Database(make_engine(sqlite_url, busy_timeout=0.3))
    with running_receiver() as receiver:
        stream_id = _stream_with_events(database, clock, receiver)
        deliverer = Deliverer(database, SETTINGS, now=clock)
        try:
            assert deliverer.deliver_once() == 100
            _recorded(database, stream_id, 100)
            with write_lock_held(sqlite_url):
                assert deliverer.deliver_once() == 100  # its record waits for the lock
                clock.now += timedelta(seconds=SETTINGS.lease_seconds - 3)
                sent = len(receiver.sets)
                # The lease must be extended before another request could outlast it: that
                # write waits for the lock, gives up, and nothing more is sent.
                with pytest.raises(ServiceUnavailable):
                    deliverer.deliver_once()
                assert len(receiver.sets) == sent
        finally:
            deliverer.stop()
    database.dispose()
