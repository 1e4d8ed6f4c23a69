"""Statements run on the DBAPI cursor (store/compiled.py) write and fail as SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from idprotect.store.compiled import CompiledInsert
from idprotect.store.engine import Database
from idprotect.store.tables import signal_outbox

_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_EVENTS = CompiledInsert(insert(signal_outbox), ("stream_id", "jti", "payload", "created_at"))


def _event(jti: str) -> dict[str, object]:
    return {"stream_id": "s1", "jti": jti, "payload": "{}", "created_at": _AT}


def test_an_insert_writes_every_row_with_the_columns_defaults(database: Database) -> None:
    with database.unit_of_work(write=True) as store:
        _EVENTS.run(store.connection, [_event("a"), _event("b")])
    with database.unit_of_work() as store:
        found = store.connection.execute(
            select(signal_outbox.c.jti, signal_outbox.c.created_at, signal_outbox.c.control)
        ).all()
    assert sorted(found) == [("a", _AT, False), ("b", _AT, False)]


def test_an_insert_fails_as_sqlalchemy_does_and_writes_nothing(database: Database) -> None:
    with pytest.raises(IntegrityError), database.unit_of_work(write=True) as store:
        _EVENTS.run(store.connection, [_event("a"), _event("a")])
    with database.unit_of_work() as store:
        assert store.connection.execute(select(signal_outbox.c.id)).all() == []
