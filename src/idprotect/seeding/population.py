"""One chunk of a bulk tenant, as domain objects: users with their risk, detections, history.

Each user is consistent by the domain's rules: at risk at the level of their highest active
detection, or dismissed by an analyst (every detection closed), or confirmed compromised (high,
with the detection that action records); one history item holds their current state. How a
principal's detections are placed in time and how its risk concludes is the same for every
kind (`place`, `burst`, `conclude`: seeding/workloads.py draws the other kinds with them).

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
from idprotect.domain.kinds import USER, PrincipalKind
from idprotect.domain.models import (
    Activity,
    Detection,
    HistoryItem,
    Principal,
    Risk,
    RiskDetection,
    User,
)
from idprotect.domain.transitions import (
    CONFIRM_COMPROMISED,
    DISMISS,
    AdminAction,
    aggregate_level,
)
from idprotect.seeding import sampling
from idprotect.seeding.catalog import ANALYSTS

_WINDOW = timedelta(days=30)
# A user's detections come within this long of each other; an analyst acts within _TRIAGE.
_BURST = timedelta(hours=6)
_TRIAGE = timedelta(days=2)
_TOP_BITS = 1 << 32
# Shares of principals an analyst acted on, by action (seeding/workloads.py gives other kinds
# theirs); the others are at risk.
Shares = tuple[tuple[AdminAction, float], ...]
_USER_SHARES: Shares = ((DISMISS, 0.12), (CONFIRM_COMPROMISED, 0.05))


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
    position, top = place(rng, index, shape.users)
    name, upn = sampling.person(index)
    person = User(
        id=sampling.guid_of((top << 96) | rng.getrandbits(96)),
        display_name=name,
        user_principal_name=upn,
    )
    count = detection_count(rng, shape.detections_per_user)
    detections: list[Detection] = [
        _detection(rng, person, top, burst(rng, position, shape.now)) for _ in range(count)
    ]
    user, item = conclude(
        rng, USER, person, detections, shares=_USER_SHARES, now=shape.now, top=top
    )
    assert isinstance(user, User)
    chunk.users.append(user)
    chunk.detections.extend(d for d in detections if isinstance(d, RiskDetection))
    chunk.history_items.append(item)


def place(rng: random.Random, index: int, count: int) -> tuple[float, int]:
    """Where the `index`th of `count` principals falls in [0, 1), and the top 32 bits of its
    ids: they order its ids and place its detections in time."""
    position = (index + rng.random()) / count
    return position, int(position * _TOP_BITS)


def burst(rng: random.Random, position: float, now: datetime) -> datetime:
    """When one of the detections of the principal at `position` was detected."""
    return now - _WINDOW * (1 - position) - _BURST * rng.random()


def conclude(
    rng: random.Random,
    kind: PrincipalKind,
    principal: Principal,
    detections: list[Detection],
    *,
    shares: Shares,
    now: datetime,
    top: int,
) -> tuple[Principal, HistoryItem]:
    """The principal with its risk after its `detections` and what an analyst did to it, and
    its one history item. `detections` change in place: closed by the action, or joined by the
    detection it records."""
    risk, activity, actor_id, action = _outcome(rng, detections, shares, now)
    risky = principal.with_risk(risk)
    if action is not None and action.records_detection is not None:
        recorded = action_detection(kind, risky, action, risk.last_updated)
        detections.append(replace(recorded, id=detection_id(rng, top)))
    return risky, HistoryItem(risky.id, to_ticks(risk.last_updated), risky, activity, actor_id)


def _outcome(
    rng: random.Random, detections: list[Detection], shares: Shares, now: datetime
) -> tuple[Risk, Activity, str | None, AdminAction | None]:
    """The principal's risk, the activity of its (one) history item, who acted on it, and how.

    The action is drawn by `shares`; a principal no action falls to is at risk. An action that
    closes detections closes them all; one that records a detection keeps them active.
    """
    last = max(d.detected_at for d in detections)
    action = _drawn(rng.random(), shares)
    if action is None:
        level = aggregate_level([d.risk_level for d in detections])
        risk = Risk(level=level, state=RiskState.AT_RISK, detail=RiskDetail.NONE, last_updated=last)
        types = tuple(dict.fromkeys(d.risk_event_type for d in detections))
        return risk, Activity(detail=None, risk_event_types=types), None, None
    actor_id = ANALYSTS[int(rng.random() * len(ANALYSTS))][0]
    acted_at = last + min(now - last, _TRIAGE) * rng.uniform(0.05, 1.0)
    if action.closes_detections_as is not None:
        state, detail = action.closes_detections_as
        detections[:] = [replace(d, risk_state=state, risk_detail=detail,
                                 last_updated_at=acted_at) for d in detections]  # fmt: skip
    recorded = (action.records_detection,) if action.records_detection else ()
    activity = Activity(detail=action.detail, risk_event_types=recorded)
    return action.target(acted_at), activity, actor_id, action


def _drawn(fate: float, shares: Shares) -> AdminAction | None:
    """The action whose share `fate` falls in (the shares laid end to end from 0), or None."""
    bound = 0.0
    for action, share in shares:
        bound += share
        if fate < bound:
            return action
    return None


def detection_count(rng: random.Random, mean: float) -> int:
    """At least one; above that uniform over 0..2(mean-1), so that the mean is about `mean`."""
    spread = max(0.0, 2 * (mean - 1))
    return 1 + int(rng.random() * (spread + 1)) if spread else 1


def detection_id(rng: random.Random, top: int) -> str:
    """64 hex characters, led by the user's position so that ids grow from chunk to chunk."""
    return f"{top:08x}{rng.getrandbits(224):056x}"


def _detection(rng: random.Random, user: User, top: int, detected_at: datetime) -> RiskDetection:
    kind = sampling.detection_kind(rng)
    signin = kind.activity is ActivityType.SIGNIN
    return RiskDetection(
        id=detection_id(rng, top),
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
