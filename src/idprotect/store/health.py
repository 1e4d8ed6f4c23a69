"""What /readyz asks of the database: that it answers, and that its schema is at the head
revision of the migrations this version of idprotect carries."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from idprotect.errors import ServiceUnavailable
from idprotect.store.engine import Database
from idprotect.store.migrate import VERSION_TABLE, alembic_config


@cache
def head_revision() -> str | None:
    """The newest migration's revision (read from the migration files once per process)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def readiness(database: Database) -> str | None:
    """None when the database answers at the current schema; else why not."""
    try:
        with database.unit_of_work() as store:
            query = text(f"SELECT version_num FROM {VERSION_TABLE}")
            revisions = set(store.connection.scalars(query))
    except (ServiceUnavailable, SQLAlchemyError):
        return "The database cannot be reached."
    head = head_revision()
    if head not in revisions:
        found = ", ".join(sorted(revisions)) or "none"
        return f"The database schema is at revision {found}, not {head}: run idprotect db upgrade."
    return None
