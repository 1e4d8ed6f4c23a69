"""Throttling profiles, as data, and the rate each request is held to.

A profile is a list of buckets; each bucket names the operations it counts (an operation is
`METHOD /path` as the operation table has it, matched as a glob, or a group: `@identityProtection`,
`@auditLogs`), its rate and burst, and whether it counts per tenant (all apps together) or per
app within a tenant. A request is admitted when every bucket that counts it has room.

Buckets are GCRA (the generic cell rate algorithm): one number per bucket, its theoretical
arrival time, so a bucket is one row or one dict entry, updated in one statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

Per = Literal["tenant", "app"]
GROUPS = ("@identityProtection", "@auditLogs")
# Graph's legacy beta root serves the users' sets outside identityProtection.
_LEGACY = ("/beta/riskyUsers", "/beta/riskDetections")


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    operations: tuple[str, ...]  # globs on "METHOD /path", or groups
    rate: float  # requests per second, sustained
    burst: int  # requests at once, after a quiet spell
    per: Per = "tenant"

    def counts(self, operation: str) -> bool:
        return any(_matches(pattern, operation) for pattern in self.operations)

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval


@dataclass(frozen=True, slots=True)
class ThrottleProfile:
    name: str
    buckets: tuple[Bucket, ...]
    # Retry-After on a 429: Graph sends none for identity protection's resources.
    retry_after: bool = False

    @property
    def active(self) -> bool:
        return bool(self.buckets)


OFF = ThrottleProfile("off", ())
# Graph's documented limits: identity protection (and conditional access) 1 request per second
# per tenant across all apps, without Retry-After; audit logs (identity and access reports)
# 5 requests per 10 seconds per app per tenant.
GRAPH = ThrottleProfile(
    "graph",
    (
        Bucket("identityProtection", ("@identityProtection",), rate=1.0, burst=1),
        Bucket("auditLogs", ("@auditLogs",), rate=0.5, burst=5, per="app"),
    ),
)
# The same limits, with Retry-After on every 429 (the seconds until the bucket has room).
GRAPH_RETRY_AFTER = ThrottleProfile("graph-retry-after", GRAPH.buckets, retry_after=True)
NAMED = {p.name: p for p in (OFF, GRAPH, GRAPH_RETRY_AFTER)}


def operation_key(method: str, path: str) -> str:
    return f"{method} {path}"


def _matches(pattern: str, operation: str) -> bool:
    if pattern == "@identityProtection":
        path = operation.split(" ", 1)[1]
        return "/identityProtection/" in path or path.startswith(_LEGACY)
    if pattern == "@auditLogs":
        return "/auditLogs/" in operation
    return fnmatchcase(operation, pattern)


def bucket_key(bucket: Bucket, app_id: str | None) -> str:
    """The bucket's key within its tenant: per app, the app's own."""
    return bucket.name if bucket.per == "tenant" else f"{bucket.name}:{app_id or '-'}"


def gcra(tat: float | None, now: float, bucket: Bucket) -> tuple[float | None, float]:
    """One request at `now` against a bucket whose theoretical arrival time is `tat`: the new
    time (None when refused: unchanged) and the seconds to wait (0 when admitted)."""
    start = now if tat is None or tat < now else tat
    wait = start - now - bucket.tolerance
    if wait > 1e-9:
        return None, wait
    return start + bucket.interval, 0.0


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds: at least one, rounded up."""
    return max(1, math.ceil(wait))
