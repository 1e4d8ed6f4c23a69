"""Deployment secrets: made once by whichever process needs one first, then shared by all."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.store.tables import deployment_secrets

SKIPTOKEN_KEY = "skiptoken-hmac-sha256"


def deployment_secret(connection: Connection, name: str) -> bytes:
    """The secret called `name`, made now if no process has made it yet (the first one wins)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(deployment_secrets)
        .values(name=name, value=secrets.token_hex(32))
        .on_conflict_do_nothing()
    )
    value = connection.execute(
        select(deployment_secrets.c.value).where(deployment_secrets.c.name == name)
    ).scalar_one()
    return bytes.fromhex(value)
