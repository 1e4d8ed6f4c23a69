"""Bulk loads: chunks of new rows saved on one connection tuned for loading, with the secondary
indexes dropped first and built at the end when that is the faster way.

A chunk is one transaction, as before. A row inserted goes into each secondary index too (a
search and page writes per index); building an index after the load is one scan and one sort,
which cost less for each of them (docs/performance.md, "Seeding"). But a build sorts every row
of the table, the old ones too, so the indexes are dropped only when the load at least doubles
the users table: a new or nearly empty database.

If the process dies with indexes dropped, the database stays correct (queries scan instead of
seeking) and `db upgrade`, `serve` or the next `seed` builds them (store/indexes.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, func, select

from idprotect.store.bulk import BulkRows, insert_rows
from idprotect.store.engine import Database
from idprotect.store.indexes import (
    SECONDARY_INDEXES,
    build_missing_indexes,
    drop_indexes,
)
from idprotect.store.kinds import STORED
from idprotect.store.tables import users as users_table

Insert = Callable[[BulkRows], None]
_SORT_PIECE_KIB = 2 * 1024
IndexProgress = Callable[[int, int], None]


@contextmanager
def bulk_load(
    database: Database, *, users: int, index_progress: IndexProgress | None = None
) -> Iterator[Insert]:
    """A function that saves one chunk of rows per call, each in its own transaction, for a
    load of about `users` new users. The indexes are whole again when the block ends, even if
    it raises, and their statistics current; `index_progress` gets (built, to build) as they
    are built."""
    with database.dedicated_connection() as connection:
        _tune_for_loading(connection)
        with database.write_transaction(connection):
            rebuild = _rebuild_is_faster(connection, users)
            if rebuild:
                drop_indexes(connection, list(SECONDARY_INDEXES))
        try:
            yield lambda rows: _insert(database, connection, rows)
        finally:
            _make_durable(connection)  # every commit from here on, and so all before them
            if rebuild:
                _tune_for_indexing(connection)
                build_missing_indexes(database, connection, progress=index_progress)
            with database.write_transaction(connection):
                refresh_statistics(connection)


def _insert(database: Database, connection: Connection, rows: BulkRows) -> None:
    with database.write_transaction(connection):
        insert_rows(connection, rows)


def refresh_statistics(connection: Connection) -> None:
    """Statistics of the loaded tables, for the query planner: without them PostgreSQL plans
    the actions' statements as for empty tables (scans where one row is wanted), and SQLite
    knows nothing of its indexes' selectivity."""
    # Every kind's tables: `seed` loads service principals and agents too.
    loaded = [t.name for s in STORED.values() for t in (s.principals, s.history, s.detections)]
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {', '.join(loaded)}")
    else:
        # A sample of each index is enough for SQLite's planner, and takes a second, not a scan.
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        for name in loaded:
            connection.exec_driver_sql(f"ANALYZE {name}")


def _rebuild_is_faster(connection: Connection, users: int) -> bool:
    """Whether the users table holds fewer users than the load adds (counted up to that)."""
    sample = select(users_table.c.id).limit(users).subquery()
    present = connection.execute(select(func.count()).select_from(sample)).scalar_one()
    return bool(present < users)


def _tune_for_loading(connection: Connection) -> None:
    """Session settings for this connection only: it is closed, not pooled, after the load."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        # A chunk's commit writes the write-ahead log without waiting for the disk.
        driver.execute("PRAGMA synchronous=NORMAL")
    else:
        connection.exec_driver_sql("SET synchronous_commit = off")
        connection.commit()


def _make_durable(connection: Connection) -> None:
    """Commits wait for the disk again. Until then a crash loses at most the last chunks,
    never consistency; the first commit after this makes every one before it durable."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA synchronous=FULL")
    else:
        connection.exec_driver_sql("SET synchronous_commit = on")
        connection.commit()


def _tune_for_indexing(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite sorts in this process: on every CPU, as the load's workers are done. Its
        # sorter sorts pieces of the page cache's size, on helper threads, and merges them:
        # with SQLite's own 2 MB the pieces are sorted side by side and each fits the CPU's
        # caches (a 256 MB cache made one piece, and the index builds took half as long
        # again at 3,000,000 detections: docs/performance.md, "Seeding").
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute(f"PRAGMA threads={threads}")
        driver.execute(f"PRAGMA cache_size=-{_SORT_PIECE_KIB}")
    # (On PostgreSQL a larger maintenance_work_mem made no difference: it sorts on disk well.)
