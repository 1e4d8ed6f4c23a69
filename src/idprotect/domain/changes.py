"""What a unit of work changed, as signals report it: a principal's risk, a detection added, a
principal enabled or disabled.

The risk core hands these to the store (`RiskStore.record_changes`) in the transaction of the
change itself, so that the outbox (store/outbox.py) holds an event for every committed change
and none for a change rolled back. What each change becomes on the wire (a CAEP or RISC event, a
Graph change notification) is signals/events.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from idprotect.domain.models import Activity, Detection, Principal, Risk


@dataclass(frozen=True, slots=True)
class RiskChanged:
    """A principal's risk changed: `previous` is None for a principal never risky before."""

    kind: str  # the principal kind's name (domain/kinds.py)
    principal: Principal  # as it was before the change (names, profile)
    previous: Risk | None
    current: Risk
    activity: Activity  # what caused it: an action's detail, or the detections' event types
    actor_id: str | None

    @property
    def at(self) -> datetime:
        return self.current.last_updated


@dataclass(frozen=True, slots=True)
class DetectionAdded:
    """A risk detection was recorded for a principal of the kind."""

    kind: str
    detection: Detection


@dataclass(frozen=True, slots=True)
class EnabledChanged:
    """The directory enabled or disabled a principal (isEnabled: service principals, agents)."""

    kind: str
    principal: Principal  # as it is now
    enabled: bool
    at: datetime


Change = RiskChanged | DetectionAdded | EnabledChanged
