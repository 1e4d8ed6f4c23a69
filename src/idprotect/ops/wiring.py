"""Operations put together for one app: the guard (throttling, faults) on its counters, the
observer (metrics, logs), and the doors the API's ops operations use into the database."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from idprotect.api.deps import in_thread
from idprotect.domain.ports import RiskStore
from idprotect.errors import ServiceUnavailable
from idprotect.ops.config import server_throttle
from idprotect.ops.guard import Counters, Guard, MemoryCounters
from idprotect.ops.metrics import Metrics
from idprotect.ops.observe import Observer
from idprotect.ops.throttle import Bucket
from idprotect.settings import Settings
from idprotect.store import ops_state
from idprotect.store.engine import Database
from idprotect.store.repository import SqlRiskStore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ops:
    guard: Guard
    observer: Observer | None
    metrics: Metrics | None


class SqlCounters:
    """Counting shared by every process of a PostgreSQL deployment: one statement each, on a
    database thread, on one connection of this process's own in autocommit (taken from the
    pool once, and again if it breaks)."""

    def __init__(self, database: Database) -> None:
        self._engine = database.engine
        self._lock = threading.Lock()
        self._raw: Any = None
        self._driver: Any = None

    async def take(self, tenant_id: str, key: str, bucket: Bucket) -> float:
        name = f"throttle:{key}"
        return await in_thread(
            self._run, ops_state.take, tenant_id, name, bucket.interval, bucket.tolerance
        )

    async def next_number(self, tenant_id: str, name: str) -> int:
        return await in_thread(
            self._run, ops_state.next_number, tenant_id, ops_state.FAULTS_PREFIX + name
        )

    def reset(self, tenant_id: str) -> None:
        """Nothing here: a new plan's counters are deleted in the transaction that sets it."""

    def _run(self, statement: Callable[..., T], *args: Any) -> T:
        with self._lock:
            try:
                if self._driver is None:
                    self._raw = self._engine.raw_connection()
                    self._driver = self._raw.driver_connection
                    self._raw.detach()  # ours until the process ends, outside the pool's count
                    self._driver.autocommit = True
                    weakref.finalize(self, self._driver.close)  # closed with these counters
                with self._driver.cursor() as cursor:
                    return statement(cursor, *args)
            except self._engine.dialect.dbapi.Error as exc:  # type: ignore[union-attr]
                self._driver = None  # a new connection next time
                raise ServiceUnavailable() from exc


def build_ops(settings: Settings, database: Database) -> Ops:
    metrics = Metrics(lambda: _outbox(database)) if settings.metrics else None
    if metrics is not None:
        database.observe_group_commits(metrics.group_commits.observe)
    shared = database.engine.dialect.name == "postgresql"
    counters: Counters = SqlCounters(database) if shared else MemoryCounters()

    async def read_documents(tenant_id: str) -> tuple[str | None, str | None]:
        return await in_thread(_documents, database, tenant_id)

    guard = Guard(
        server_profile=server_throttle(settings.throttle),
        counters=counters,
        read_documents=read_documents,
        on_throttled=lambda bucket: metrics.throttled.labels(bucket).inc() if metrics else None,
        on_fault=lambda kind: metrics.faults.labels(kind).inc() if metrics else None,
    )
    observing = metrics is not None or settings.request_log
    observer = Observer(metrics, log=settings.request_log) if observing else None
    return Ops(guard, observer, metrics)


def _outbox(database: Database) -> tuple[int, int] | None:
    try:
        with database.unit_of_work() as store:
            return ops_state.outbox_backlog(store.connection)
    except (ServiceUnavailable, SQLAlchemyError):
        return None  # /metrics answers all the same, without the outbox's gauges


def _documents(database: Database, tenant_id: str) -> tuple[str | None, str | None]:
    with database.unit_of_work() as store:
        return ops_state.tenant_documents(store.connection, tenant_id)


def tenant_documents(store: RiskStore, tenant_id: str) -> tuple[str | None, str | None]:
    """The tenant's throttle and faults documents, in an operation's unit of work."""
    assert isinstance(store, SqlRiskStore)
    return ops_state.tenant_documents(store.connection, tenant_id)


def set_tenant_document(store: RiskStore, tenant_id: str, field: str, document: str | None) -> None:
    """Sets a tenant's throttle or faults document, in an operation's unit of work."""
    assert isinstance(store, SqlRiskStore)
    ops_state.set_tenant_document(store.connection, tenant_id, field, document)
