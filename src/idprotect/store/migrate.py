"""Schema migrations (Alembic), applied by `idprotect db upgrade` and when the server starts."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text

from idprotect.store.engine import Database, make_engine
from idprotect.store.indexes import build_missing_indexes
from idprotect.store.tables import risky_user_history

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_SHOWN_TABLES = 3


class ForeignDatabase(Exception):
    """A database neither empty nor idprotect's: migrating it would write into another
    application's schema."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> list[str]:
    """Migrate to `revision` (ForeignDatabase if the database is another application's). At
    head, also build the secondary indexes a bulk load dropped and
    did not live to build again; their names are returned (usually none)."""
    command.upgrade(alembic_config(url), revision)
    if revision != "head":
        return []
    database = Database(make_engine(url, pool_size=1))
    try:
        with database.dedicated_connection() as connection:
            return build_missing_indexes(database, connection)
    finally:
        database.dispose()


def refuse_foreign(connection: Connection, known_revisions: Set[str]) -> None:
    """Raise ForeignDatabase unless the database is empty or idprotect's: at a revision of
    ours, holding our tables (migrations/env.py calls it before migrating)."""
    tables = set(inspect(connection).get_table_names())
    revisions: set[str] = set()
    if VERSION_TABLE in tables:
        revisions = set(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
        if not revisions:
            tables.discard(VERSION_TABLE)  # made by a first migration that did not finish
    if not tables:
        return
    unknown = sorted(revisions - known_revisions)
    if unknown:
        raise ForeignDatabase(  # another application's, or a newer idprotect's
            f"its schema is at revision {unknown[0]!r}, which this version of idprotect does "
            "not know"
        )
    if not revisions or risky_user_history.name not in tables:
        shown = sorted(tables)[:_SHOWN_TABLES] + (["..."] if len(tables) > _SHOWN_TABLES else [])
        raise ForeignDatabase(f"it holds the tables {', '.join(shown)}")
