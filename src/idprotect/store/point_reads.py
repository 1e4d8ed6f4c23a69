"""The hot GET by id as one statement: a riskyUser and its tenant's licence, compiled once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Engine, PoolProxiedConnection, Row, and_, bindparam, event, select
from sqlalchemy import literal_column as column
from sqlalchemy.exc import OperationalError

from idprotect.domain.models import RiskyUser
from idprotect.domain.tenants import Licence
from idprotect.errors import ServiceUnavailable
from idprotect.store import rows
from idprotect.store.tables import tenants, users


class _Read(NamedTuple):
    """One read's columns, named as `rows.risky_user_from_row` reads them."""

    licence: str | None
    id: str | None
    display_name: str | None
    user_principal_name: str | None
    is_deleted: bool | None
    is_processing: bool | None
    risk_level: str | None
    risk_state: str | None
    risk_detail: str | None
    risk_last_updated_at: datetime | None


# Always one row: the licence is NULL for a tenant without a row (the default licence), the
# user's columns for an id that names no riskyUser of the tenant.
RISKY_USER_AND_LICENCE = (
    select(tenants.c.licence, *(users.c[name] for name in _Read._fields[1:]))
    .select_from(select(column("1").label("one")).subquery("one"))
    .outerjoin(tenants, tenants.c.id == bindparam("tenant_id"))
    .outerjoin(
        users,
        and_(
            users.c.tenant_id == bindparam("tenant_id"),
            users.c.id == bindparam("user_id"),
            users.c.risk_state.is_not(None),
        ),
    )
)


class PrefetchedRiskyUser:
    """The two questions `get_risky_user` asks of its store, answered from one read.

    It answers nothing else: another tenant or user raises LookupError, another method
    AttributeError, and the caller then falls back to a unit of work.
    """

    def __init__(self, tenant_id: str, user_id: str, read: _Read) -> None:
        self._key = (tenant_id, user_id)
        self._read = read

    def tenant_licence(self, tenant_id: str) -> Licence | None:
        if tenant_id != self._key[0]:
            raise LookupError(f"tenant {tenant_id!r} was not read")
        licence = self._read.licence
        return Licence(licence) if licence is not None else None

    def get_risky_user(self, tenant_id: str, user_id: str) -> RiskyUser | None:
        if (tenant_id, user_id) != self._key:
            raise LookupError(f"riskyUser {user_id!r} was not read")
        if self._read.id is None:
            return None
        # The named tuple has every column the row converter reads, by the same names.
        return rows.risky_user_from_row(cast("Row[Any]", self._read))


class PointReader:
    """Runs RISKY_USER_AND_LICENCE: on a SQLite file, on a connection of its own and never
    waiting for a lock (`on_loop`: the caller may run it on the event loop, a primary-key read
    takes tens of µs); elsewhere in a short transaction of the engine's pool (from a thread).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        url = engine.url
        in_memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
        self.on_loop = engine.dialect.name == "sqlite" and not in_memory
        self._lock = threading.Lock()
        # The pool's proxy (to close it) and the sqlite3 connection it holds.
        self._own: tuple[PoolProxiedConnection, sqlite3.Connection] | None = None
        if self.on_loop:
            self._compile()
            # The connection follows the pool: closed when the engine is disposed.
            event.listen(engine, "engine_disposed", lambda _: self.close())

    def _compile(self) -> None:
        """The SQL and the conversions SQLAlchemy would apply, made once."""
        dialect = self._engine.dialect
        compiled = RISKY_USER_AND_LICENCE.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positions = tuple(compiled.positiontup or ())
        self._processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in RISKY_USER_AND_LICENCE.selected_columns
        ]

    def risky_user(self, tenant_id: str, user_id: str) -> PrefetchedRiskyUser:
        # As SqlRiskStore.get_risky_user: no stored key holds a NUL (PostgreSQL refuses them).
        params = {"tenant_id": tenant_id, "user_id": user_id if "\x00" not in user_id else None}
        read = self._read_on_own_connection(params) if self.on_loop else self._read_pooled(params)
        return PrefetchedRiskyUser(tenant_id, user_id, read)

    def _read_on_own_connection(self, params: dict[str, str | None]) -> _Read:
        with self._lock:
            try:
                cursor = self._driver().execute(self._sql, [params[p] for p in self._positions])
                (values,) = cursor.fetchall()  # to the end: the read transaction ends with it
            except (sqlite3.OperationalError, OperationalError) as exc:  # locked, I/O
                raise ServiceUnavailable() from exc
        return _Read._make(p(v) if p else v for p, v in zip(self._processors, values, strict=True))

    def _driver(self) -> sqlite3.Connection:
        if self._own is None:
            connection = self._engine.raw_connection()  # configured like the pool's
            driver = cast(sqlite3.Connection, connection.driver_connection)
            connection.detach()  # never back to the pool: its settings differ
            # Never block the event loop: a read that would wait fails at once instead.
            driver.execute("PRAGMA busy_timeout=0")
            driver.execute("PRAGMA query_only=ON")
            self._own = (connection, driver)
        return self._own[1]

    def _read_pooled(self, params: dict[str, str | None]) -> _Read:
        try:
            with self._engine.connect() as connection:
                row = connection.execute(RISKY_USER_AND_LICENCE, params).one()
        except OperationalError as exc:
            raise ServiceUnavailable() from exc
        return _Read._make(row)

    def close(self) -> None:
        with self._lock:
            if self._own is not None:
                self._own[0].close()
                self._own = None
