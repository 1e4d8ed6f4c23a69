"""Bulk loads: afterwards the database has exactly the indexes a migration makes, whether the
load dropped them or kept them, and a load that dies leaves a usable database whose indexes
`db upgrade` builds again."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

from idprotect.seeding.generate import generate_tenant
from idprotect.store.engine import Database, make_engine
from idprotect.store.indexes import SECONDARY_INDEXES, missing_indexes
from idprotect.store.migrate import upgrade_database
from idprotect.store.tables import metadata
from tests.seeding.reading import assert_consistent, read_tenant

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ALL = sorted(str(index.name) for index in SECONDARY_INDEXES)
_INDEX_DDL = re.compile(r"^(DROP|CREATE) INDEX (?:IF (?:NOT )?EXISTS )?(\w+)")

# Loads 300 users and stops for good after the first chunk is saved, waiting to be killed.
_DIES_MID_LOAD = """
import sys, time
from datetime import UTC, datetime
from idprotect.seeding.generate import generate_tenant
from idprotect.store.engine import Database, make_engine

def saved(count):
    print("saved", count, flush=True)
    time.sleep(600)

database = Database(make_engine(sys.argv[1]))
now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
generate_tenant(database, tenant_id="dies", users=300, now=now, progress=saved)
"""


def _definitions(database: Database) -> list[str]:
    """Every index of the database as its server describes it (the DDL it keeps)."""
    with database.unit_of_work() as store:
        if store.connection.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
        return [str(row[0]) for row in store.connection.exec_driver_sql(query)]


def _schema_differences(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


@contextmanager
def _index_ddl(database: Database) -> Iterator[dict[str, list[str]]]:
    """The names of the indexes dropped and created while the block runs."""
    found: dict[str, list[str]] = {"DROP": [], "CREATE": []}

    def record(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if match := _INDEX_DDL.match(statement):
            found[match[1]].append(match[2])

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_a_load_into_an_empty_database_builds_the_indexes_once_at_the_end(
    database: Database,
) -> None:
    migrated = _definitions(database)
    built: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        built.append((done, total))

    with _index_ddl(database) as ddl:
        generate_tenant(database, tenant_id="bulk", users=300, now=NOW, index_progress=progress)
    assert sorted(ddl["DROP"]) == sorted(ddl["CREATE"]) == ALL
    assert built == [(done, len(ALL)) for done in range(len(ALL) + 1)]
    assert _definitions(database) == migrated
    assert _schema_differences(database) == []
    assert_consistent(read_tenant(database, "bulk"))


def test_a_load_smaller_than_the_table_keeps_the_indexes(database: Database) -> None:
    generate_tenant(database, tenant_id="first", users=300, now=NOW)
    with _index_ddl(database) as ddl:
        generate_tenant(database, tenant_id="second", users=300, now=NOW, seed=2)
    assert ddl == {"DROP": [], "CREATE": []}
    second = read_tenant(database, "second")
    assert len(second.risky_users) == 300
    assert_consistent(second)


def test_a_load_that_fails_builds_the_indexes_before_it_raises(database: Database) -> None:
    migrated = _definitions(database)

    def fail(saved: int) -> None:
        raise RuntimeError(f"stopped after {saved}")

    with pytest.raises(RuntimeError, match="stopped after 300"):
        generate_tenant(database, tenant_id="failed", users=300, now=NOW, progress=fail)
    assert _definitions(database) == migrated
    assert len(read_tenant(database, "failed").risky_users) == 300


def test_indexes_a_killed_load_left_out_are_built_by_db_upgrade(database_url: str) -> None:
    database = Database(make_engine(database_url))
    migrated = _definitions(database)
    command = [sys.executable, "-c", _DIES_MID_LOAD, database_url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
        finally:
            process.send_signal(signal.SIGKILL)
    assert line.split() == ["saved", "300"]
    try:
        # Dropped, not built again: still a working database, only slower to query.
        with database.unit_of_work() as store:
            assert [str(i.name) for i in missing_indexes(store.connection)] == ALL
            if store.connection.dialect.name == "sqlite":
                check = store.connection.exec_driver_sql("PRAGMA integrity_check").scalar()
                assert check == "ok"
        assert len(read_tenant(database, "dies").risky_users) == 300
        assert sorted(upgrade_database(database_url)) == ALL
        assert _definitions(database) == migrated
        assert upgrade_database(database_url) == []
    finally:
        database.dispose()


def _analysed_tables(database: Database) -> set[str]:
    """The tables whose planner statistics have been gathered."""
    with database.unit_of_work() as store:
        if store.connection.dialect.name == "sqlite":
            query = "SELECT DISTINCT tbl FROM sqlite_stat1"
        else:
            query = (
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
            )
        return {str(row[0]) for row in store.connection.exec_driver_sql(query)}


@pytest.mark.parametrize("users", [300, 20])
def test_a_load_leaves_the_planner_statistics_current(database: Database, users: int) -> None:
    generate_tenant(database, tenant_id="big", users=300, now=NOW)
    generate_tenant(database, tenant_id="more", users=users, now=NOW)  # keeps its indexes
    with database.unit_of_work() as store:
        if store.connection.dialect.name == "postgresql":
            counted = store.connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'users'"
            ).scalar_one()
            assert counted == 300 + users
    assert {"users", "risk_detections", "risky_user_history"} <= _analysed_tables(database)
