"""Alembic environment: runs migrations online, one process at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from idprotect.store.indexes import SCHEMA_LOCK
from idprotect.store.migrate import refuse_foreign
from idprotect.store.tables import metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # Several servers starting at once on one database migrate one after the other.
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
            connection.commit()
        try:
            known = {script.revision for script in context.script.walk_revisions()}
            with connection.begin():  # a transaction of its own, ended before Alembic's
                refuse_foreign(connection, known)
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
                connection.commit()
    engine.dispose()


run_migrations_online()
