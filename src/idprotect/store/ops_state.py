"""Operations' state in SQL: each tenant's throttling and fault settings (the documents that
set them), and the counters a PostgreSQL deployment's processes share (throttle buckets,
fault rules' request numbers), each taken in one statement."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.store.tables import ops_counters, signal_outbox, tenant_ops

_o = tenant_ops.c
# GCRA in one statement, on the database's clock: every process and host reads the same one.
# A refused request leaves the bucket as it was; `admitted` says which it was.
_TAKE = text(
    """
    WITH now AS (SELECT extract(epoch FROM statement_timestamp())::float8 AS t)
    INSERT INTO ops_counters (tenant_id, name, value, admitted)
    SELECT :tenant, :name, now.t + :interval, true FROM now
    ON CONFLICT (tenant_id, name) DO UPDATE SET
      admitted = greatest(ops_counters.value, excluded.value - :interval)
                 - (excluded.value - :interval) <= :tolerance + 1e-9,
      value = CASE
        WHEN greatest(ops_counters.value, excluded.value - :interval)
             - (excluded.value - :interval) <= :tolerance + 1e-9
        THEN greatest(ops_counters.value, excluded.value - :interval) + :interval
        ELSE ops_counters.value END
    RETURNING admitted, value - (SELECT t FROM now) AS ahead
    """
)
_NEXT = text(
    """
    INSERT INTO ops_counters (tenant_id, name, value, admitted) VALUES (:tenant, :name, 1, true)
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = ops_counters.value + 1
    RETURNING value
    """
)
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


def take(
    connection: Connection, tenant_id: str, name: str, interval: float, tolerance: float
) -> float:
    """One request against a shared bucket (PostgreSQL): 0 when admitted, else the seconds
    until it would be."""
    row = connection.execute(
        _TAKE, {"tenant": tenant_id, "name": name, "interval": interval, "tolerance": tolerance}
    ).one()
    return 0.0 if row.admitted else max(row.ahead - tolerance, 1e-3)


def next_number(connection: Connection, tenant_id: str, name: str) -> int:
    """The next number (from 1) of a shared counter (PostgreSQL)."""
    return int(connection.execute(_NEXT, {"tenant": tenant_id, "name": name}).scalar_one())


def outbox_backlog(connection: Connection) -> tuple[int, int]:
    """The signals' outbox: events waiting for their receiver, and those it refused."""
    c = signal_outbox.c
    query = select(func.count().filter(c.rejected.is_(False)), func.count().filter(c.rejected))
    pending, rejected = connection.execute(query).one()
    return int(pending), int(rejected)
