"""What a detector finds: a risk event of a sign-in (or of its user), and why."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.ports import SignInHistory, ThreatLists
from idprotect.engine.settings import EngineSettings


@dataclass(frozen=True, slots=True)
class Finding:
    risk_event_type: str
    risk_level: RiskLevel
    timing: RiskDetectionTimingType
    # Why, as the detection's additionalInfo (Graph's list of Key/Value pairs).
    reasons: dict[str, str] = field(default_factory=dict)
    # A user-risk finding (leaked credentials) is about the user, not this sign-in.
    activity: ActivityType = ActivityType.SIGNIN
    # What makes two findings the same detection (a spray is found once per user, IP and
    # window); by default the sign-in itself. It makes the detection's id, so a replay or a
    # retried batch records nothing twice.
    key: str | None = None
    detected_at: datetime | None = None
    # The sign-in it is about, when not the one being evaluated: a spray recognised on one
    # sign-in names the address's earlier sign-ins in the window too.
    sign_in: SignIn | None = None

    def about(self, evaluated: SignIn) -> SignIn:
        """The sign-in the finding is a risk event of."""
        return self.sign_in if self.sign_in is not None else evaluated

    def detection_id(self, tenant_id: str, sign_in: SignIn) -> str:
        """64 hex digits, as Graph's detection ids, made from what the finding is."""
        key = self.key if self.key is not None else sign_in.id
        material = f"{tenant_id}\x00{self.risk_event_type}\x00{key}".encode()
        return hashlib.sha256(material).hexdigest()


@dataclass(frozen=True, slots=True)
class Context:
    """What a detector may read besides the sign-in."""

    history: SignInHistory
    lists: ThreatLists
    settings: EngineSettings


Detector = Callable[[SignIn, Context], list[Finding]]
