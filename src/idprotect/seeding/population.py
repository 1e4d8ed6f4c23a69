"""One chunk of a bulk tenant, as domain objects: users with their risk, detections, history.

Each user is consistent by the domain's rules: at risk at the level of their highest active
detection, or dismissed by an analyst (every detection closed), or confirmed compromised (high,
with the detection that action records); one history item holds their current state.

Ids look random but are drawn in increasing order, and each user's burst of detections comes
later than the previous user's: every chunk then lands at the end of the indexes, which keeps
a million-user load linear. The price: the order of user ids follows the order of time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from idprotect.domain.clock import to_ticks
from idprotect.domain.detections import action_detection
from idprotect.domain.enums import ActivityType, RiskDetail, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.models import Activity, HistoryItem, Risk, RiskDetection, User
from idprotect.domain.transitions import (
    CONFIRM_COMPROMISED,
    DISMISS,
    aggregate_level,
)
from idprotect.seeding import sampling
from idprotect.seeding.catalog import ANALYSTS

_WINDOW = timedelta(days=30)
# A user's detections come within this long of each other; an analyst acts within _TRIAGE.
_BURST = timedelta(hours=6)
_TRIAGE = timedelta(days=2)
# Shares of users an analyst dismissed or confirmed compromised; the others are at risk.
_DISMISSED = 0.12
_COMPROMISED = 0.05
_TOP_BITS = 1 << 32


@dataclass(frozen=True, slots=True)
class TenantShape:
    """What to generate: how many users, detections per user (a mean), up to when, which seed."""

    users: int
    now: datetime
    detections_per_user: float
    seed: int


@dataclass(slots=True)
class Chunk:
    users: list[User] = field(default_factory=list)
    detections: list[RiskDetection] = field(default_factory=list)
    history_items: list[HistoryItem] = field(default_factory=list)


def build_chunk(shape: TenantShape, start: int, stop: int) -> Chunk:
    """Users `start` to `stop - 1` of the tenant: the same wherever and in whatever order built."""
    rng = random.Random(f"{shape.seed}:{start}")
    chunk = Chunk()
    for index in range(start, stop):
        _add_user(rng, chunk, shape, index)
    return chunk


def _add_user(rng: random.Random, chunk: Chunk, shape: TenantShape, index: int) -> None:
    # Where the user falls in [0, 1): orders their ids and places their detections in time.
    position = (index + rng.random()) / shape.users
    top = int(position * _TOP_BITS)
    name, upn = sampling.person(index)
    person = User(
        id=sampling.guid_of((top << 96) | rng.getrandbits(96)),
        display_name=name,
        user_principal_name=upn,
    )
    burst_end = shape.now - _WINDOW * (1 - position)
    count = _detection_count(rng, shape.detections_per_user)
    detections = [
        _detection(rng, person, top, burst_end - _BURST * rng.random()) for _ in range(count)
    ]
    risk, activity, actor_id = _outcome(rng, detections, shape.now)
    user = User(id=person.id, display_name=name, user_principal_name=upn, risk=risk)
    if risk.state is RiskState.CONFIRMED_COMPROMISED:
        recorded = action_detection(USER, user, CONFIRM_COMPROMISED, risk.last_updated)
        assert isinstance(recorded, RiskDetection)
        detections.append(replace(recorded, id=_detection_id(rng, top)))
    chunk.users.append(user)
    chunk.detections.extend(detections)
    chunk.history_items.append(
        HistoryItem(user.id, to_ticks(risk.last_updated), user, activity, actor_id)
    )


def _outcome(
    rng: random.Random, detections: list[RiskDetection], now: datetime
) -> tuple[Risk, Activity, str | None]:
    """The user's risk, the activity of their (one) history item, and who acted on them.

    Dismissed users have every detection closed; confirmed compromised ones keep theirs active
    and get the detection the action records (added by the caller).
    """
    last = max(d.detected_at for d in detections)
    fate = rng.random()
    if fate >= _DISMISSED + _COMPROMISED:
        level = aggregate_level([d.risk_level for d in detections])
        risk = Risk(level=level, state=RiskState.AT_RISK, detail=RiskDetail.NONE, last_updated=last)
        types = tuple(dict.fromkeys(d.risk_event_type for d in detections))
        return risk, Activity(detail=None, risk_event_types=types), None
    actor_id = ANALYSTS[int(rng.random() * len(ANALYSTS))][0]
    acted_at = last + min(now - last, _TRIAGE) * rng.uniform(0.05, 1.0)
    if fate < _DISMISSED:
        assert DISMISS.closes_detections_as is not None
        closing = DISMISS.closes_detections_as
        detections[:] = [replace(d, risk_state=closing[0], risk_detail=closing[1],
                                 last_updated_at=acted_at) for d in detections]  # fmt: skip
        return DISMISS.target(acted_at), Activity(detail=DISMISS.detail), actor_id
    assert CONFIRM_COMPROMISED.records_detection is not None
    activity = Activity(
        detail=CONFIRM_COMPROMISED.detail,
        risk_event_types=(CONFIRM_COMPROMISED.records_detection,),
    )
    return CONFIRM_COMPROMISED.target(acted_at), activity, actor_id


def _detection_count(rng: random.Random, mean: float) -> int:
    """At least one; above that uniform over 0..2(mean-1), so that the mean is about `mean`."""
    spread = max(0.0, 2 * (mean - 1))
    return 1 + int(rng.random() * (spread + 1)) if spread else 1


def _detection_id(rng: random.Random, top: int) -> str:
    """64 hex characters, led by the user's position so that ids grow from chunk to chunk."""
    return f"{top:08x}{rng.getrandbits(224):056x}"


def _detection(rng: random.Random, user: User, top: int, detected_at: datetime) -> RiskDetection:
    kind = sampling.detection_kind(rng)
    signin = kind.activity is ActivityType.SIGNIN
    return RiskDetection(
        id=_detection_id(rng, top),
        principal_id=user.id,
        user_display_name=user.display_name,
        user_principal_name=user.user_principal_name,
        risk_event_type=kind.risk_event_type,
        risk_level=sampling.risk_level(rng, kind),
        risk_state=RiskState.AT_RISK,
        risk_detail=RiskDetail.NONE,
        activity=kind.activity,
        activity_at=detected_at - sampling.detection_delay(rng, kind.timing),
        detected_at=detected_at,
        last_updated_at=detected_at,
        detection_timing_type=kind.timing,
        source=kind.source,
        ip_address=sampling.public_ip(rng) if signin else None,
        location=sampling.city(rng) if signin else None,
        request_id=sampling.guid(rng) if signin else None,
        correlation_id=sampling.guid(rng) if signin else None,
        additional_info=sampling.signin_info(rng) if signin else None,
    )
