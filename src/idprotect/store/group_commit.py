"""SQLite writers of one process commit together: the writers queued behind a transaction join
it, each in a savepoint of its own, and one commit (one fsync) makes all of them durable.

SQLite has one writer at a time, and a commit waits for the disk. A writer that arrives while
another writes would wait for the lock anyway; instead it joins the open transaction and runs
in its turn. Nobody is answered before the commit that holds their work:

- a member's work is in its own savepoint: if its block raises, only its savepoint is rolled
  back and the others go on; the member gets its own error at once;
- a member whose block succeeded returns only once the group's commit is on disk, and gets
  the commit's failure (503) if the commit fails: then nothing of the group was saved;
- if SQLite lost the whole transaction (an I/O error, a full disk), every member fails: each
  one's work is there in full or not at all, never in part.

The first member (the leader) holds the process's writer lock from BEGIN IMMEDIATE to COMMIT,
and commits once no member is running or waiting for its turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, NestedTransaction
from sqlalchemy.exc import OperationalError

from idprotect.errors import ServiceUnavailable

# At most this many writers share one transaction (each action carries at most 60 users).
GROUP_LIMIT = 16


class _Group:
    """One open transaction and its members."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.turn = threading.Lock()  # held by the member whose block runs
        self.members = 1
        self.waiting = 0  # members that joined and wait for their turn
        self.running = 0  # joined members whose block runs now (0 or 1)
        self.closed = False  # committing: nobody joins any more
        self.broken = False  # SQLite lost the transaction: it must not commit
        self.done = threading.Event()
        self.failure: BaseException | None = None  # why the group did not commit


class GroupCommit:
    """Write transactions of one process on a SQLite database, shared as the module says."""

    def __init__(
        self,
        begin: Callable[[], AbstractContextManager[Connection]],
        writer_lock: AbstractContextManager[object],
        *,
        limit: int = GROUP_LIMIT,
    ) -> None:
        # `begin`: a connection in a write transaction that commits when the block ends.
        self._begin = begin
        self._writer_lock = writer_lock
        self._limit = limit
        self._state = threading.Condition()
        self.on_commit: Callable[[int], None] | None = None  # told each group's size
        self._open: _Group | None = None
        self._leading = False  # a group is being opened, runs or commits
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction, perhaps shared: the block's work is durable when it returns."""
        if getattr(self._local, "inside", False):
            # The thread would wait for its own turn (or its own lock) for ever.
            raise RuntimeError("a write transaction is already open in this thread")
        self._local.inside = True
        try:
            group = self._arrive()
            member = self._follow(group) if group is not None else self._lead()
            with member as connection:
                yield connection
        finally:
            self._local.inside = False

    def _arrive(self) -> _Group | None:
        """The open group to join; None when this writer is to lead the next one."""
        with self._state:
            while True:
                group = self._open
                if group is not None and not group.closed and group.members < self._limit:
                    group.members += 1
                    group.waiting += 1
                    return group
                if not self._leading:
                    self._leading = True
                    return None
                # A group commits (or is full, or is being opened): wait for the next one.
                self._state.wait()

    @contextmanager
    def _lead(self) -> Generator[Connection, None, None]:
        own: BaseException | None = None
        group: _Group | None = None
        try:
            with self._writer_lock, self._begin() as connection:
                group = _Group(connection)
                try:
                    with group.turn:
                        self._publish(group)
                        own = yield from _member(group)
                except BaseException:
                    group.broken = True  # the members still waiting fail at once
                    raise
                finally:
                    self._close(group)
                if group.broken:
                    raise ServiceUnavailable()  # rolls back what SQLite left
        except BaseException as exc:
            if group is None:
                raise  # no transaction: nobody joined
            group.failure = exc
        finally:
            if group is not None:
                group.done.set()
            with self._state:
                self._leading = False
                self._state.notify_all()
        if group is not None and group.failure is None and self.on_commit is not None:
            self.on_commit(group.members)  # committed: the writers that shared it
        if own is not None:
            raise own
        if group is not None and group.failure is not None:
            raise group.failure

    def _publish(self, group: _Group) -> None:
        with self._state:
            self._open = group
            self._state.notify_all()

    def _close(self, group: _Group) -> None:
        """Wait until no member runs or waits for its turn, then let nobody else join."""
        with self._state:
            while group.waiting or group.running:
                self._state.wait()
            group.closed = True
            if self._open is group:
                self._open = None

    @contextmanager
    def _follow(self, group: _Group) -> Generator[Connection, None, None]:
        with group.turn:
            with self._state:
                group.waiting -= 1
                group.running += 1
            try:
                own = yield from _member(group)
            finally:
                with self._state:
                    group.running -= 1
                    self._state.notify_all()
        if own is not None:
            raise own  # undone; the others go on
        group.done.wait()
        if group.failure is not None:
            raise ServiceUnavailable() from group.failure


def _member(group: _Group) -> Generator[Connection, None, BaseException | None]:
    """Run one member's block in a savepoint: its error if it raised (its work undone)."""
    if group.broken:
        raise ServiceUnavailable()  # before the block: it never runs
    connection = group.connection
    try:
        savepoint = connection.begin_nested()
    except OperationalError as exc:
        group.broken = True
        raise ServiceUnavailable() from exc
    try:
        yield connection
    except BaseException as exc:
        _undo(group, savepoint)
        return _busy(exc) if isinstance(exc, OperationalError) else exc
    try:
        savepoint.commit()
    except OperationalError as exc:
        group.broken = True
        return _busy(exc)
    _check_transaction(group)
    return None


def _undo(group: _Group, savepoint: NestedTransaction) -> None:
    try:
        savepoint.rollback()
    except Exception:  # the savepoint went with the whole transaction
        group.broken = True
        return
    _check_transaction(group)


def _check_transaction(group: _Group) -> None:
    # After some errors (I/O, a full disk) SQLite rolls the whole transaction back by itself.
    driver = group.connection.connection.driver_connection
    if not getattr(driver, "in_transaction", True):
        group.broken = True


def _busy(exc: OperationalError) -> ServiceUnavailable:
    error = ServiceUnavailable()
    error.__cause__ = exc
    return error
