"""What a delivery round got from a receiver (events taken, refused, or a failure that holds
the rest back), what a kept stream took and has not recorded yet, and when to try again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from idprotect.signals.settings import DeliverySettings

# Answers after which the same event is tried again later: the receiver may recover.
RETRYABLE = frozenset({401, 403, 404, 408, 409, 425, 429})


@dataclass(slots=True)
class Outcome:
    delivered: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    failure: str | None = None  # why the rest waits for a retry

    def ids(self) -> list[int]:
        """The events settled: delivered or refused for good."""
        return [*self.delivered, *(event_id for event_id, _ in self.rejected)]


@dataclass(slots=True)
class Taken:
    """What a kept stream's receiver took and is not recorded yet: recorded in one write when
    there is enough of it, or it is old enough, or the stream is let go (a deliverer killed
    meanwhile leaves these events to be sent again: the same SETs)."""

    outcome: Outcome = field(default_factory=Outcome)
    since: float = 0.0  # time.monotonic() of the first

    def add(self, outcome: Outcome) -> None:
        if not self.outcome.delivered and not self.outcome.rejected:
            self.since = time.monotonic()
        self.outcome.delivered += outcome.delivered
        self.outcome.rejected += outcome.rejected
        self.outcome.failure = outcome.failure

    def ids(self) -> list[int]:
        return self.outcome.ids()

    def last(self) -> int | None:
        """The newest event taken (events are taken in the outbox's order)."""
        return max(self.ids(), default=None)

    def due(self, settings: DeliverySettings) -> bool:
        count = len(self.outcome.delivered) + len(self.outcome.rejected)
        late = time.monotonic() - self.since >= settings.settle_seconds
        return count >= settings.settle_every or late


def backoff(attempts: int, settings: DeliverySettings, draw: Callable[[], float]) -> float:
    """Seconds before retry number `attempts`: exponential, capped, half of it jittered."""
    ceiling = min(settings.max_backoff_seconds, settings.backoff_seconds * 2.0 ** (attempts - 1))
    return ceiling / 2 + ceiling / 2 * draw()
