"""Bulk tenants for benchmarks: chunks of users built in worker processes, saved in order,
then risky service principals and agents in batches.

Chunks are built as domain objects (seeding/population.py, no per-request services), turned
into rows by the store's bulk path in the worker, and each saved in one transaction. Building is
the slow half of a load, so it runs beside the writes, on other CPUs. The other kinds
(seeding/workloads.py) go through the store's methods for every kind, one transaction a batch.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from idprotect.domain.kinds import PrincipalKind
from idprotect.seeding.population import TenantShape, build_chunk
from idprotect.seeding.workloads import (
    AGENTS,
    SERVICE_PRINCIPALS,
    WorkloadShape,
    build_batch,
)
from idprotect.store.bulk import BulkRows, prepare_rows
from idprotect.store.engine import Database
from idprotect.store.loading import IndexProgress, bulk_load

CHUNK_USERS = 5_000
BATCH_PRINCIPALS = 2_000  # service principals or agents per transaction
# A builder per CPU: the writer (this process) mostly waits, as it inserts into tables without
# their secondary indexes (store/loading.py). Past three builders it is the bottleneck, and
# more would only hold rows in memory.
_MAX_WORKERS = 3
KindProgress = Callable[[PrincipalKind, int], None]


@dataclass(frozen=True, slots=True)
class _Job:
    shape: TenantShape
    tenant_key: int  # what the rows store for the tenant
    dialect: str
    chunk_users: int


def generate_tenant(
    database: Database,
    *,
    tenant_id: str,
    users: int,
    now: datetime,
    detections_per_user: float = 3.0,
    seed: int = 1,
    service_principals: int = 0,
    agents: int = 0,
    progress: Callable[[int], None] | None = None,
    index_progress: IndexProgress | None = None,
    kind_progress: KindProgress | None = None,
) -> None:
    """Insert `users` new risky users, each with one history item and at least one detection
    (about `detections_per_user` on average), one transaction per chunk of CHUNK_USERS users;
    then `service_principals` risky service principals and `agents` risky agents alike, one
    transaction per batch of BATCH_PRINCIPALS.

    The same arguments give the same tenant, so the tenant must not hold it yet (a second run
    fails on its first chunk). `progress` gets the number of users saved so far; if the load
    builds the indexes at its end (store/loading.py), `index_progress` gets (built, to build);
    `kind_progress` gets each other kind and how many of it are saved so far.
    """
    if users:
        _generate_users(
            database,
            TenantShape(users=users, now=now, detections_per_user=detections_per_user, seed=seed),
            tenant_id=tenant_id,
            progress=progress,
            index_progress=index_progress,
        )
    for workload, count in ((SERVICE_PRINCIPALS, service_principals), (AGENTS, agents)):
        if count:
            shape = WorkloadShape(workload, count, now, detections_per_user, seed)
            saved = None if kind_progress is None else partial(kind_progress, workload.kind)
            generate_principals(database, shape, tenant_id=tenant_id, progress=saved)


def generate_principals(
    database: Database,
    shape: WorkloadShape,
    *,
    tenant_id: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert the risky principals of one kind `shape` describes, with their detections and
    history, through the store's methods for every kind: one transaction per batch.

    Batches are built here, not in worker processes: unpickling the domain objects a worker
    sends costs the writer as much CPU as building them (measured at 30,000 service principals).
    """
    kind = shape.workload.kind
    with _gc_paused():
        for start in range(0, shape.count, BATCH_PRINCIPALS):
            stop = min(start + BATCH_PRINCIPALS, shape.count)
            batch = build_batch(shape, start, stop)
            with database.unit_of_work(write=True) as store:
                store.add_missing_principals(kind, tenant_id, batch.principals)
                store.add_detections(kind, tenant_id, batch.detections)
                store.add_history_items(kind, tenant_id, batch.history_items)
            if progress is not None:
                progress(stop)


def _generate_users(
    database: Database,
    shape: TenantShape,
    *,
    tenant_id: str,
    progress: Callable[[int], None] | None,
    index_progress: IndexProgress | None,
) -> None:
    with database.unit_of_work(write=True) as store:
        tenant_key = store.tenant_key(tenant_id)
    job = _Job(shape, tenant_key, database.engine.dialect.name, CHUNK_USERS)
    saved = 0
    # The workers are gone before the load ends, which may build the indexes (on every CPU).
    load = bulk_load(database, users=shape.users, index_progress=index_progress)
    with load as insert, _gc_paused(), _chunk_rows(job) as chunks:
        for count, rows in chunks:
            insert(rows)
            saved += count
            if progress is not None:
                progress(saved)


def _rows(job: _Job, start: int) -> tuple[int, BulkRows]:
    """One chunk, built and made into rows (in a worker process, or in this one)."""
    stop = min(start + job.chunk_users, job.shape.users)
    chunk = build_chunk(job.shape, start, stop)
    rows = prepare_rows(
        job.dialect,
        job.tenant_key,
        users=chunk.users,
        detections=chunk.detections,
        history_items=chunk.history_items,
    )
    return stop - start, rows


@contextmanager
def _chunk_rows(job: _Job) -> Iterator[Iterator[tuple[int, BulkRows]]]:
    """The chunks' rows in order: built by worker processes, or here for a one-chunk tenant."""
    starts = range(0, job.shape.users, job.chunk_users)
    if len(starts) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield (_rows(job, start) for start in starts)
        return
    workers = min(len(starts), _MAX_WORKERS, _cpus())
    # fork, not spawn: spawn re-imports the caller's __main__, which breaks scripts that
    # have no `if __name__ == "__main__"` guard. Workers touch no connection of this process
    # and all start at the first submit, before the pool starts its own thread.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=gc.disable)
    try:
        yield _in_order(pool, job, starts, ahead=workers + 1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(
    pool: ProcessPoolExecutor, job: _Job, starts: range, *, ahead: int
) -> Iterator[tuple[int, BulkRows]]:
    """Results in the order of `starts`, with at most `ahead` chunks waiting in memory."""
    pending: deque[Future[tuple[int, BulkRows]]] = deque()
    for start in starts:
        pending.append(pool.submit(_rows, job, start))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of acyclic objects come and go (it would
    cost a fifth of the time); workers run without it from the start."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
