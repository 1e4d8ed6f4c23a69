"""Migrations build exactly the schema the tables describe, on SQLite and PostgreSQL, and only
in an empty database or idprotect's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from idprotect.store.migrate import ForeignDatabase, upgrade_database
from idprotect.store.tables import metadata


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)


def test_another_applications_database_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "billing.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()

    with pytest.raises(ForeignDatabase, match=r"^it holds the tables invoices$"):
        upgrade_database(f"sqlite:///{path}")

    assert _tables(f"sqlite:///{path}") == {"invoices"}


def test_idprotects_own_database_with_a_table_added_is_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE operator_notes (note TEXT)"))
    try:
        upgrade_database(database_url)
        tables = _tables(database_url)
    finally:  # the PostgreSQL database is the session's: it must match the tables again
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE operator_notes"))
        engine.dispose()

    assert "operator_notes" in tables


def test_an_empty_database_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()

    upgrade_database(f"sqlite:///{path}")

    assert "risky_user_history" in _tables(f"sqlite:///{path}")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names
