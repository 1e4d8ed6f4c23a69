"""The pipeline's guard (api/pipeline.py, step 4): a tenant's throttling, then its injected
faults, once the caller is known and before any database work.

Each tenant's settings (its throttle profile, or the server's; its fault plan) are read from
the database at most once a second per process and kept; a change made through this process
applies once it is committed (they are forgotten then, not before: a request reading them in
between would keep the old ones), through another process (or the command line) within a
second. With neither throttling nor faults for the tenant, a request costs a dict look-up and
a clock read.

Counting is per process on SQLite (one server process is the rule there) and shared by every
process on PostgreSQL (store/ops_state.py), so that one tenant's limit is not multiplied by
the number of workers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from idprotect.errors import (
    BadGateway,
    GatewayTimeout,
    GraphError,
    InternalServerError,
    ServiceUnavailable,
    TooManyRequests,
)
from idprotect.ops.config import FaultSpec, ThrottleSpec, fault_plan, throttle_profile, validated
from idprotect.ops.faults import DropConnection, Fault, FaultPlan, decide, rule_for
from idprotect.ops.throttle import (
    Bucket,
    ThrottleProfile,
    bucket_key,
    gcra,
    operation_key,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from idprotect.api.pipeline import Call
    from idprotect.api.routing import Operation

SETTINGS_TTL = 1.0  # seconds a process keeps a tenant's settings before reading them again


class Counters(Protocol):
    """Where buckets and fault rules count: this process, or the shared database."""

    async def take(self, tenant_id: str, key: str, bucket: Bucket) -> float: ...
    async def next_number(self, tenant_id: str, name: str) -> int: ...
    def reset(self, tenant_id: str) -> None: ...


class MemoryCounters:
    """Counting in this process, on its monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tats: dict[tuple[str, str], float] = {}
        self._numbers: dict[tuple[str, str], int] = {}

    async def take(self, tenant_id: str, key: str, bucket: Bucket) -> float:
        tat, wait = gcra(self._tats.get((tenant_id, key)), self._clock(), bucket)
        if tat is not None:
            self._tats[(tenant_id, key)] = tat
        return wait

    async def next_number(self, tenant_id: str, name: str) -> int:
        number = self._numbers.get((tenant_id, name), 0) + 1
        self._numbers[(tenant_id, name)] = number
        return number

    def reset(self, tenant_id: str) -> None:
        # Called on the event loop once the change is committed; the keys are copied in one
        # step before they are looked at all the same.
        for key in list(self._numbers):
            if key[0] == tenant_id:
                self._numbers.pop(key, None)


@dataclass(slots=True)
class TenantOps:
    """A tenant's throttle profile and fault plan, with what each operation meets of them."""

    documents: tuple[str | None, str | None]
    profile: ThrottleProfile
    plan: FaultPlan | None
    until: float = 0.0
    _buckets: dict[str, tuple[Bucket, ...]] = field(default_factory=dict)
    _rules: dict[str, int | None] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.profile.active or self.plan is not None

    def buckets(self, operation: str) -> tuple[Bucket, ...]:
        found = self._buckets.get(operation)
        if found is None:
            found = self._buckets[operation] = tuple(
                b for b in self.profile.buckets if b.counts(operation)
            )
        return found

    def rule(self, operation: str) -> int | None:
        if self.plan is None:
            return None
        if operation not in self._rules:
            self._rules[operation] = rule_for(self.plan, operation)
        return self._rules[operation]


# Reads a tenant's (throttle, faults) documents from the database.
ReadDocuments = Callable[[str], Awaitable[tuple[str | None, str | None]]]


class Guard:
    def __init__(
        self,
        *,
        server_profile: ThrottleProfile,
        counters: Counters,
        read_documents: ReadDocuments,
        on_throttled: Callable[[str], None] = lambda bucket: None,
        on_fault: Callable[[str], None] = lambda kind: None,
    ) -> None:
        self.server_profile = server_profile
        self._counters = counters
        self._read = read_documents
        self._tenants: dict[str, TenantOps] = {}
        # How many times each tenant's settings were forgotten: a read that a change overtook
        # is used by its request but not kept.
        self._forgotten: dict[str, int] = {}
        self._keys: dict[int, str] = {}
        self._on_throttled = on_throttled
        self._on_fault = on_fault

    async def admit(self, call: Call, operation: Operation) -> None:
        principal = call.principal
        ops = self._tenants.get(principal.tenant_id)
        if ops is None or ops.until < time.monotonic():
            ops = await self._load(principal.tenant_id)
        if not ops.active:
            return
        key = self._keys.get(id(operation))
        if key is None:
            key = self._keys[id(operation)] = _guarded_key(operation)
        if not key:
            return
        for bucket in ops.buckets(key):
            await self._throttle(principal.tenant_id, principal.app_id, bucket, ops.profile)
        index = ops.rule(key)
        if index is not None:
            assert ops.plan is not None
            number = await self._counters.next_number(principal.tenant_id, f"faults:{index}")
            await self._inject(call, decide(ops.plan, index, number))

    def forget(self, tenant_id: str) -> None:
        """The tenant's settings changed (and the change is committed: api/ops.py calls this
        after the commit): read them again, count its faults from 1."""
        self._tenants.pop(tenant_id, None)
        self._forgotten[tenant_id] = self._forgotten.get(tenant_id, 0) + 1
        self._counters.reset(tenant_id)

    async def _load(self, tenant_id: str) -> TenantOps:
        """The tenant's settings, read again and kept for SETTINGS_TTL; unless they were
        forgotten while being read, when what was read may be older than the change."""
        forgotten = self._forgotten.get(tenant_id, 0)
        documents = await self._read(tenant_id)
        ops = self._tenants.get(tenant_id)
        if ops is None or ops.documents != documents:
            ops = tenant_ops(documents, self.server_profile)
        if self._forgotten.get(tenant_id, 0) == forgotten:
            self._tenants[tenant_id] = ops
            ops.until = time.monotonic() + SETTINGS_TTL
        return ops

    async def _throttle(
        self, tenant_id: str, app_id: str | None, bucket: Bucket, profile: ThrottleProfile
    ) -> None:
        wait = await self._counters.take(tenant_id, bucket_key(bucket, app_id), bucket)
        if wait > 0:
            self._on_throttled(bucket.name)
            retry_after = retry_after_seconds(wait) if profile.retry_after else None
            raise TooManyRequests(retry_after=retry_after)

    async def _inject(self, call: Call, fault: Fault) -> None:
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            call.scope["state"]["fault"] = fault.status
            self._on_fault(str(fault.status))
            raise injected_error(fault.status)
        if fault.drop:
            call.scope["state"]["fault"] = "drop"
            self._on_fault("drop")
            raise DropConnection()


def _guarded_key(operation: Operation) -> str:
    """The operation's key; empty for /_admin's, which are never throttled nor failed (a
    plan failing every request must not refuse its own removal)."""
    if operation.path.startswith("/_admin/"):
        return ""
    return operation_key(operation.method, operation.path)


def tenant_ops(
    documents: tuple[str | None, str | None], server_profile: ThrottleProfile
) -> TenantOps:
    """A tenant's settings from its stored documents (checked when they were set)."""
    throttle, faults = documents
    profile = throttle_profile(validated(ThrottleSpec, throttle)) if throttle else None
    plan = fault_plan(validated(FaultSpec, faults)) if faults else None
    return TenantOps(documents, profile or server_profile, plan)


def injected_error(status: int) -> GraphError:
    """An injected failure, in Graph's shape for its status."""
    match status:
        case 429:
            return TooManyRequests()
        case 502:
            return BadGateway("The service did not get a valid answer from upstream.")
        case 503:
            return ServiceUnavailable()
        case 504:
            return GatewayTimeout("The service did not answer in time.")
        case _:
            return InternalServerError("An internal server error occurred.")
