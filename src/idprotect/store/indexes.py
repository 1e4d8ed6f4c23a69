"""The secondary indexes of the bulk-loaded tables: found, dropped and built from tables.py.

tables.py is the one list of them (tests/store/test_migrations.py holds the migrations to it).
A bulk load may drop them and build them at its end; if it dies in between, `db upgrade`,
`serve` and `seed` build whatever is missing before they do anything else.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Index, inspect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from idprotect.store.engine import Database
from idprotect.store.tables import risk_detections, risky_user_history, users

BULK_TABLES = (users, risk_detections, risky_user_history)
# Every index of those tables but their primary keys, by name.
SECONDARY_INDEXES: tuple[Index, ...] = tuple(
    sorted((i for t in BULK_TABLES for i in t.indexes), key=lambda i: str(i.name))
)
# PostgreSQL advisory lock key of schema changes, migrations (migrations/env.py) and index
# builds: processes starting at once on one database take turns. Any constant works.
SCHEMA_LOCK = 7_204_211


def missing_indexes(connection: Connection) -> list[Index]:
    """The secondary indexes the database lacks (an interrupted bulk load dropped them)."""
    inspector = inspect(connection)
    present = {
        index["name"] for table in BULK_TABLES for index in inspector.get_indexes(table.name)
    }
    return [index for index in SECONDARY_INDEXES if index.name not in present]


def drop_indexes(connection: Connection, indexes: list[Index]) -> None:
    for index in indexes:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")


def build_missing_indexes(
    database: Database,
    connection: Connection,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Build the missing secondary indexes on a dedicated connection, one transaction each;
    their names. `progress` gets (built so far, to build) before the first and after each.

    One transaction per index keeps SQLite's write-ahead log to one index's size (a transaction
    holding all of them took a quarter longer at a million users), and an index built is kept
    if the process dies before the next.
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # and two processes never build one index at once
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
        connection.commit()
    try:
        with database.write_transaction(connection):
            missing = missing_indexes(connection)
        for built, index in enumerate(missing):
            if progress is not None:
                progress(built, len(missing))
            with database.write_transaction(connection):
                connection.exec_driver_sql(create_index_sql(index, connection.dialect.name))
        if progress is not None and missing:
            progress(len(missing), len(missing))
    finally:
        if postgres:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
            connection.commit()
    return [str(index.name) for index in missing]


def create_index_sql(index: Index, dialect: str) -> str:
    """The index as migrations write it: `NULLS FIRST` on PostgreSQL only (SQLite's indexes
    order NULLs first already, and refuse the words)."""
    keys = ", ".join(_key(expression, dialect) for expression in index.expressions)
    unique = "UNIQUE " if index.unique else ""
    table = index.table
    assert table is not None
    return f"CREATE {unique}INDEX IF NOT EXISTS {index.name} ON {table.name} ({keys})"


def _key(expression: object, dialect: str) -> str:
    if isinstance(expression, Column):
        return expression.name
    if (
        isinstance(expression, UnaryExpression)
        and expression.modifier is operators.nulls_first_op
        and isinstance(expression.element, Column)
    ):
        name = expression.element.name
        return f"{name} NULLS FIRST" if dialect == "postgresql" else name
    raise TypeError(f"index key {expression!r} is neither a column nor a column NULLS FIRST")
