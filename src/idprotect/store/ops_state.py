"""Operations' state in SQL: each tenant's throttling and fault settings (the documents that
set them), and the counters a PostgreSQL deployment's processes share (throttle buckets,
fault rules' request numbers), each taken in one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.store.tables import ops_counters, signal_outbox, tenant_ops

_o = tenant_ops.c
# GCRA in one statement, on the database's clock: every process and host reads the same one.
# A refused request leaves the bucket as it was; `admitted` says which it was. Run on the
# driver's cursor (SQLAlchemy's layers cost more than the round trip).
_TAKE = """
    WITH now AS (SELECT extract(epoch FROM statement_timestamp())::float8 AS t)
    INSERT INTO ops_counters (tenant_id, name, value, admitted)
    SELECT %(tenant)s, %(name)s, now.t + %(interval)s, true FROM now
    ON CONFLICT (tenant_id, name) DO UPDATE SET
      admitted = greatest(ops_counters.value, excluded.value - %(interval)s)
                 - (excluded.value - %(interval)s) <= %(tolerance)s + 1e-9,
      value = CASE
        WHEN greatest(ops_counters.value, excluded.value - %(interval)s)
             - (excluded.value - %(interval)s) <= %(tolerance)s + 1e-9
        THEN greatest(ops_counters.value, excluded.value - %(interval)s) + %(interval)s
        ELSE ops_counters.value END
    RETURNING admitted, value - (SELECT t FROM now) AS ahead
"""
_NEXT = """
    INSERT INTO ops_counters (tenant_id, name, value, admitted)
    VALUES (%(tenant)s, %(name)s, 1, true)
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = ops_counters.value + 1
    RETURNING value
"""
FAULTS_PREFIX = "faults:"


def tenant_documents(connection: Connection, tenant_id: str) -> tuple[str | None, str | None]:
    """The tenant's throttle and faults documents (None: not set)."""
    row = connection.execute(
        select(_o.throttle, _o.faults).where(_o.tenant_id == tenant_id)
    ).first()
    return (row.throttle, row.faults) if row is not None else (None, None)


def set_tenant_document(
    connection: Connection, tenant_id: str, field: str, document: str | None
) -> None:
    """Sets the tenant's `throttle` or `faults` document; new faults start their count again."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(tenant_ops).values(tenant_id=tenant_id, **{field: document})
    connection.execute(
        statement.on_conflict_do_update(index_elements=[_o.tenant_id], set_={field: document})
    )
    if field == "faults":
        c = ops_counters.c
        connection.execute(
            delete(ops_counters).where(
                c.tenant_id == tenant_id, c.name.startswith(FAULTS_PREFIX, autoescape=True)
            )
        )


def take(cursor: Any, tenant_id: str, name: str, interval: float, tolerance: float) -> float:
    """One request against a shared bucket (PostgreSQL, a DBAPI cursor in autocommit): 0 when
    admitted, else the seconds until it would be."""
    values = {"tenant": tenant_id, "name": name, "interval": interval, "tolerance": tolerance}
    cursor.execute(_TAKE, values)
    admitted, ahead = cursor.fetchone()
    return 0.0 if admitted else max(float(ahead) - tolerance, 1e-3)


def next_number(cursor: Any, tenant_id: str, name: str) -> int:
    """The next number (from 1) of a shared counter (PostgreSQL, a DBAPI cursor)."""
    cursor.execute(_NEXT, {"tenant": tenant_id, "name": name})
    return int(cursor.fetchone()[0])


def outbox_backlog(connection: Connection) -> tuple[int, int]:
    """The signals' outbox: events waiting for their receiver, and those it refused."""
    c = signal_outbox.c
    query = select(func.count().filter(c.rejected.is_(False)), func.count().filter(c.rejected))
    pending, rejected = connection.execute(query).one()
    return int(pending), int(rejected)
