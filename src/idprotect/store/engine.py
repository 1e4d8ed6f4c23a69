"""Engines and units of work: one transaction per request, committed before the reply."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from idprotect.errors import ServiceUnavailable
from idprotect.issuer.registry import SqlIdentityStore
from idprotect.signals.events import Render
from idprotect.store.group_commit import GroupCommit
from idprotect.store.repository import SqlRiskStore
from idprotect.store.secrets import SKIPTOKEN_KEY, deployment_secret

_WRITE = "idprotect_write"
_QUICK = "idprotect_quick"  # the quick reads' connection: SQLite's transactions are begun by hand
_BATCH_BUSY_TIMEOUT_MS = 15 * 60 * 1000
# How long a read may run on the caller's thread (the event loop) before it is given up and
# read again on a thread of its own (docs/performance.md); checked every this many steps.
QUICK_READ_BUDGET_SECONDS = 0.01
_QUICK_READ_CHECK_STEPS = 5_000


class ReadDeferred(Exception):
    """A quick read gave up (too long, or it would wait for a lock): read on a thread instead."""


def make_engine(url: str, *, pool_size: int = 8, busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; SQLite gets WAL, full fsync on commit and write-ahead locking.

    A statement waits at most `busy_timeout` seconds for a lock (SQLite's busy timeout,
    PostgreSQL's lock_timeout); then its request answers 503 (`Database._connection`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        _limit_postgres_lock_waits(engine, busy_timeout)
        return engine
    connect_args = {"check_same_thread": False, "timeout": busy_timeout}
    if _in_memory(parsed):  # one connection, kept by SQLAlchemy's SingletonThreadPool
        engine = create_engine(url, connect_args=connect_args)
    else:  # as many pooled connections as the database threads that may hold one (api/deps.py)
        pool = {"pool_size": pool_size, "max_overflow": pool_size}
        engine = create_engine(url, connect_args=connect_args, **pool)
    _tune_sqlite(engine, busy_timeout)
    return engine


def _in_memory(url: URL) -> bool:
    """An in-memory SQLite database: each connection of its own would be another database."""
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _limit_postgres_lock_waits(engine: Engine, busy_timeout: float) -> None:
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Without it a writer waits for a row lock for ever: a held lock answers 503 instead.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {round(busy_timeout * 1000)}")
        cursor.close()
        dbapi_connection.commit()


def _tune_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by hand below, so that writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the 204 that acknowledges it goes out.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Savepoints (group_commit.py) journal in memory, not in a temporary file.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock when it begins: two writers never deadlock upgrading
        # a read lock, and a busy writer waits (busy_timeout) instead of failing.
        options = connection.get_execution_options()
        if options.get(_QUICK, False):
            return
        write = options.get(_WRITE, False)
        # On the DBAPI connection: a statement through SQLAlchemy costs more than BEGIN.
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:
            connection.connection.driver_connection.execute(begin)  # type: ignore[union-attr]
        except sqlite3.Error as exc:  # raised as SQLAlchemy raises it: busy is OperationalError
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error) from exc


class Database:
    """The door to storage: opens units of work on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._skiptoken_key: bytes | None = None
        # SQLite has one writer at a time. Writers of this process queue on a lock and are
        # woken at once, instead of polling in SQLite's sleeping busy handler; writers of other
        # processes still meet at the database's own lock.
        sqlite_writes = engine.dialect.name == "sqlite"
        self._write_lock: AbstractContextManager[object] = (
            threading.RLock() if sqlite_writes else nullcontext()
        )
        # And the writers queued behind a transaction share it, and its fsync (group_commit.py).
        self._groups = (
            GroupCommit(lambda: self._connection(write=True), self._write_lock)
            if sqlite_writes
            else None
        )
        self.quick_reads = _QuickReads.of(engine)
        self._render: Render | None = None

    def render_resources(self, render: Render) -> None:
        """`render` gives the entity a rich change notification carries, in the API's wire
        form (signals/events.py): the application hands it down, as the store cannot."""
        self._render = render

    def observe_group_commits(self, observe: Callable[[int], None]) -> None:
        """`observe` is told the size of each group of writers committed together (SQLite's;
        on PostgreSQL each writer commits alone, and nothing is told)."""
        if self._groups is not None:
            self._groups.on_commit = observe

    @property
    def reads_quickly(self) -> bool:
        """Whether `quick_unit_of_work` may answer (a SQLite file): a read there takes tens of
        microseconds, less than handing it to a thread."""
        return self.quick_reads is not None

    @contextmanager
    def quick_unit_of_work(self) -> Iterator[SqlRiskStore]:
        """A read-only unit of work on the calling thread that never waits: it raises
        ReadDeferred when it would wait for a lock, runs past its time budget, or is in use."""
        if self.quick_reads is None:
            raise ReadDeferred()
        with self.quick_reads.transaction() as connection:
            yield SqlRiskStore(connection, self._render)

    def cached_skiptoken_key(self) -> bytes | None:
        """The $skiptoken signing key if it was read already (no database work)."""
        return self._skiptoken_key

    def skiptoken_key(self) -> bytes:
        """The deployment's $skiptoken signing key (read once, then kept)."""
        if self._skiptoken_key is None:
            with self._transaction(write=True) as connection:
                self._skiptoken_key = deployment_secret(connection, SKIPTOKEN_KEY)
        return self._skiptoken_key

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[SqlRiskStore]:
        """A transaction that commits when the block ends, and rolls back if it raises."""
        with self._transaction(write) as connection:
            yield SqlRiskStore(connection, self._render)

    @contextmanager
    def identity(self, *, write: bool = False) -> Iterator[SqlIdentityStore]:
        """A transaction on the built-in issuer's keys and the app registrations."""
        with self._transaction(write) as connection:
            yield SqlIdentityStore(connection)

    @contextmanager
    def dedicated_connection(self) -> Iterator[Connection]:
        """A connection of its own for a batch job (a bulk load, an index build), held until
        the job ends and then closed, never pooled: session settings the job makes die with it.
        Its transactions are writers' (see `write_transaction`)."""
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE: True})
            if self.engine.dialect.name == "sqlite":
                # Another batch job may hold the write lock for as long as it takes to build
                # an index (minutes for millions of rows): wait for it rather than fail.
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA busy_timeout={_BATCH_BUSY_TIMEOUT_MS}"
                )
            try:
                yield connection
            finally:
                connection.invalidate()

    @contextmanager
    def write_transaction(self, connection: Connection) -> Iterator[None]:
        """A transaction on a dedicated connection, queued with this process's other writers."""
        with self._write_lock, connection.begin():
            yield

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        if write and self._groups is not None:
            with self._groups.transaction() as connection:
                yield connection
            return
        with self._write_lock if write else nullcontext(), self._connection(write) as connection:
            yield connection

    @contextmanager
    def _connection(self, write: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{_WRITE: write})
                with connection.begin():
                    yield connection
        except (OperationalError, PoolTimeout) as exc:
            # Lock timeouts, deadlocks, a database that went away, every pooled connection in
            # use: the transaction was rolled back, so the caller may retry (the Graph SDKs
            # retry 503 on their own, after its Retry-After).
            raise ServiceUnavailable() from exc

    def check(self) -> None:
        """One round trip to the database: ServiceUnavailable if it cannot answer."""
        with self._transaction(write=False) as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        if self.quick_reads is not None:
            self.quick_reads.close()
        self.engine.dispose()


class _QuickReads:
    """One connection of its own to a SQLite file, for reads that must not block their thread:
    its busy timeout is 0 (a read that would wait for a lock fails at once), it is read-only,
    and a progress handler interrupts a statement that runs past the time budget. It comes
    from an engine of its own, never from the pool the database threads share."""

    def __init__(self, url: URL) -> None:
        self._engine = create_engine(
            url, poolclass=NullPool, connect_args={"check_same_thread": False}
        )
        _tune_sqlite(self._engine, busy_timeout=0)
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._driver: sqlite3.Connection | None = None
        self._deadline = float("inf")
        self._closed = False

    @classmethod
    def of(cls, engine: Engine) -> _QuickReads | None:
        if engine.dialect.name != "sqlite" or _in_memory(engine.url):
            return None
        return cls(engine.url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self._closed or not self._lock.acquire(blocking=False):
            raise ReadDeferred()  # closed, or another thread reads quickly: take a thread
        try:
            try:
                connection, driver = self._connected()
                # The snapshot is SQLite's transaction, begun and ended on the driver:
                # SQLAlchemy's own begin and commit cost more than the read.
                driver.execute("BEGIN")
            except (sqlite3.Error, SQLAlchemyError) as exc:
                self._discard()
                raise ReadDeferred() from exc
            self._deadline = time.monotonic() + QUICK_READ_BUDGET_SECONDS
            try:
                yield connection
            except OperationalError as exc:  # given up for time, locked, or an I/O error
                self._after_error(exc.orig)
                raise ReadDeferred() from exc
            except sqlite3.Error as exc:
                self._after_error(exc)
                raise ReadDeferred() from exc
            finally:
                self._deadline = float("inf")
                self._end(driver)
        finally:
            self._lock.release()

    def _connected(self) -> tuple[Connection, sqlite3.Connection]:
        if self._connection is None or self._driver is None:
            connection = self._engine.connect()
            # SQLAlchemy sees one transaction for the connection's life (begun here, never
            # ended), so that it begins none of its own; `transaction` makes SQLite's.
            connection.execution_options(**{_QUICK: True})
            connection.begin()
            driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
            driver.execute("PRAGMA query_only=ON")
            driver.set_progress_handler(self._past_deadline, _QUICK_READ_CHECK_STEPS)
            self._connection, self._driver = connection, driver
        return self._connection, self._driver

    def _after_error(self, error: BaseException | None) -> None:
        """A read given up for time or for a lock leaves the connection as it was; any other
        error (I/O, a database replaced) costs it: the next read opens a new one."""
        code = getattr(error, "sqlite_errorcode", None)
        if code is None or code & 0xFF not in _TRANSIENT:
            self._discard()

    def _end(self, driver: sqlite3.Connection) -> None:
        """End the read's transaction, which releases its snapshot."""
        if self._driver is not driver or not driver.in_transaction:
            return
        try:
            driver.execute("ROLLBACK")
        except sqlite3.Error:
            self._discard()

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
        self._connection = self._driver = None

    def _past_deadline(self) -> bool:
        return time.monotonic() > self._deadline

    def close(self) -> None:
        """No quick read after this: each goes to a thread (and the database's own pool)."""
        with self._lock:
            self._closed = True
            self._discard()
            self._engine.dispose()


# SQLite's result codes for a read given up for time or for a lock: the connection is sound.
_TRANSIENT = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT})
