"""How the outbox is delivered: the deliverer's pace, timeouts and backoff (plain values)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    idle_seconds: float = 0.05  # how long an idle deliverer waits before looking again
    batch: int = 100  # events taken from a stream at once
    timeout_seconds: float = 5.0  # one HTTP request
    backoff_seconds: float = 1.0  # the first retry's delay; doubled each time
    max_backoff_seconds: float = 300.0
    # A stream is held this long by its deliverer (a batch sends no request that could end
    # after it); a deliverer that died holds its streams until then.
    lease_seconds: float = 10.0
