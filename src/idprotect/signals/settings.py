"""How the outbox is delivered (the deliverer's pace, timeouts and backoff), and the transmitters
a receiver trusts: plain values, parsed from the settings."""

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
    # What a busy stream's receiver took is recorded after this many events or seconds.
    settle_every: int = 500
    settle_seconds: float = 0.5
    # Threads that sign SETs ahead of the sender (signing.py); 0: one per core.
    sign_threads: int = 0


@dataclass(frozen=True, slots=True)
class Transmitter:
    """A transmitter a tenant trusts: `tenant=…;config=URL[;aud=…][;poll=URL][;authorization=…]`."""

    tenant_id: str
    config_url: str
    audience: str
    poll_url: str | None = None
    authorization: str | None = None


def parse_transmitter(entry: str) -> Transmitter:
    fields = dict(part.split("=", 1) for part in entry.split(";") if "=" in part)
    if not fields.get("tenant") or not fields.get("config"):
        raise ValueError(f"a transmitter needs tenant= and config=: {entry!r}")
    return Transmitter(
        tenant_id=fields["tenant"],
        config_url=fields["config"],
        audience=fields.get("aud") or f"idprotect:{fields['tenant']}",
        poll_url=fields.get("poll"),
        authorization=fields.get("authorization"),
    )
