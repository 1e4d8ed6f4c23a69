"""SQLite writers of one process share a transaction: one commit for all, each writer whole.

A first writer holds its transaction open until the others have joined it (they wait for
their turn), so every test knows which writers share which transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from idprotect.errors import ServiceUnavailable
from idprotect.store.engine import Database
from idprotect.store.tables import tenants

Block = Callable[[Any], None]


def _write(database: Database, tenant_id: str, then: Block | None = None) -> None:
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(tenant_id)
        if then is not None:
            then(store)


def _fail(_store: Any) -> None:
    raise RuntimeError("boom")


def _lose_transaction(store: Any) -> None:
    # As SQLite does by itself after an I/O error or a full disk.
    store.connection.exec_driver_sql("ROLLBACK")
    raise RuntimeError("the disk went away")


class Writers:
    """A leader that waits inside its transaction, and followers that join it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.errors: dict[str, BaseException | None] = {}
        self._threads: list[threading.Thread] = []
        self._release = threading.Event()
        self._inside = threading.Event()

    def lead(self, tenant_id: str, then: Block | None = None) -> None:
        def hold(store: Any) -> None:
            self._inside.set()
            assert self._release.wait(10)
            if then is not None:
                then(store)

        self._start(tenant_id, hold)
        assert self._inside.wait(10)

    def follow(self, tenant_id: str, then: Block | None = None) -> None:
        joined = self._joined()
        self._start(tenant_id, then)
        deadline = time.monotonic() + 10
        while self._joined() == joined:  # it waits for its turn in the open transaction
            assert time.monotonic() < deadline, "the writer did not join"
            time.sleep(0.001)

    def finish(self) -> None:
        self._release.set()
        for thread in self._threads:
            thread.join(10)

    def _joined(self) -> int:
        group = self.database._groups._open  # type: ignore[union-attr]
        return group.waiting if group is not None else 0

    def _start(self, tenant_id: str, then: Block | None) -> None:
        def run() -> None:
            try:
                _write(self.database, tenant_id, then)
                self.errors[tenant_id] = None
            except BaseException as exc:  # reported to the test
                self.errors[tenant_id] = exc

        thread = threading.Thread(target=run)
        self._threads.append(thread)
        thread.start()


@pytest.fixture
def commits(sqlite_database: Database) -> Iterator[list[int]]:
    counted: list[int] = []

    def count(_connection: Any) -> None:
        counted.append(1)

    event.listen(sqlite_database.engine, "commit", count)
    yield counted
    event.remove(sqlite_database.engine, "commit", count)


def _saved(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(connection.scalars(select(tenants.c.id)))


def test_writers_queued_behind_a_transaction_share_its_commit(
    sqlite_database: Database, commits: list[int]
) -> None:
    sizes: list[int] = []
    sqlite_database.observe_group_commits(sizes.append)
    writers = Writers(sqlite_database)
    writers.lead("t0")
    for name in ("t1", "t2", "t3"):
        writers.follow(name)
    writers.finish()

    assert writers.errors == dict.fromkeys(("t0", "t1", "t2", "t3"))
    assert len(commits) == 1
    assert sizes == [4]  # what /metrics' idprotect_group_commit_size observes
    assert _saved(sqlite_database) == {"t0", "t1", "t2", "t3"}


def test_a_failing_writer_is_undone_and_the_others_are_saved(
    sqlite_database: Database, commits: list[int]
) -> None:
    writers = Writers(sqlite_database)
    writers.lead("t0")
    writers.follow("t1")
    writers.follow("t2", _fail)
    writers.follow("t3")
    writers.finish()

    assert isinstance(writers.errors.pop("t2"), RuntimeError)
    assert writers.errors == dict.fromkeys(("t0", "t1", "t3"))
    assert len(commits) == 1
    assert _saved(sqlite_database) == {"t0", "t1", "t3"}


def test_a_failing_first_writer_still_commits_the_others(sqlite_database: Database) -> None:
    writers = Writers(sqlite_database)
    writers.lead("t0", _fail)
    writers.follow("t1")
    writers.follow("t2")
    writers.finish()

    assert isinstance(writers.errors.pop("t0"), RuntimeError)
    assert writers.errors == dict.fromkeys(("t1", "t2"))
    assert _saved(sqlite_database) == {"t1", "t2"}


def test_a_lost_transaction_fails_every_writer_and_saves_none(sqlite_database: Database) -> None:
    writers = Writers(sqlite_database)
    writers.lead("t0")
    writers.follow("t1")
    writers.follow("t2", _lose_transaction)
    writers.follow("t3")
    writers.finish()

    assert isinstance(writers.errors.pop("t2"), RuntimeError)
    assert all(isinstance(e, ServiceUnavailable) for e in writers.errors.values()), writers.errors
    assert _saved(sqlite_database) == set()
    _write(sqlite_database, "after")  # the next transaction is a new one
    assert _saved(sqlite_database) == {"after"}


def test_a_failed_commit_fails_every_writer_and_saves_none(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialect = sqlite_database.engine.dialect
    commit = dialect.do_commit
    failures = [sqlite3.OperationalError("disk I/O error")]

    def fail_once(connection: Any) -> None:
        if failures:
            raise failures.pop()
        commit(connection)

    monkeypatch.setattr(dialect, "do_commit", fail_once)
    writers = Writers(sqlite_database)
    writers.lead("t0")
    writers.follow("t1")
    writers.finish()

    assert all(isinstance(e, ServiceUnavailable) for e in writers.errors.values()), writers.errors
    assert _saved(sqlite_database) == set()
    _write(sqlite_database, "after")
    assert _saved(sqlite_database) == {"after"}


def test_no_writer_returns_before_the_commit(sqlite_database: Database) -> None:
    writers = Writers(sqlite_database)
    returned_at_commit: list[dict[str, BaseException | None]] = []

    def before_commit(_connection: Any) -> None:
        returned_at_commit.append(dict(writers.errors))

    event.listen(sqlite_database.engine, "commit", before_commit)
    writers.lead("t0")
    writers.follow("t1")
    writers.follow("t2")
    writers.finish()
    event.remove(sqlite_database.engine, "commit", before_commit)

    assert returned_at_commit == [{}]
    assert writers.errors == dict.fromkeys(("t0", "t1", "t2"))


def test_a_write_inside_a_write_of_the_same_thread_is_refused(sqlite_database: Database) -> None:
    with sqlite_database.unit_of_work(write=True), pytest.raises(RuntimeError):
        _write(sqlite_database, "inner")
