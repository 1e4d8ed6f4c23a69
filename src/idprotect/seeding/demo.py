"""The demo tenant: a month of detections and analyst actions, played through the domain rules."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from idprotect.domain.clock import fixed_clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import ActivityType
from idprotect.domain.models import DetectionReport, User
from idprotect.domain.ports import RiskStore
from idprotect.domain.risky_users import (
    ActionRequest,
    confirm_compromised_risky_users,
    confirm_safe_risky_users,
    dismiss_risky_users,
)
from idprotect.seeding import sampling
from idprotect.seeding.catalog import ANALYSTS, DOMAIN
from idprotect.store.engine import Database

Action = Callable[[RiskStore, ActionRequest], None]

_WINDOW = timedelta(days=30)
# Users who are acted on see their detections settle this long before `now`, leaving room
# for the analysts' actions (at most two, each within 30 hours) to happen before `now`.
_SETTLE = timedelta(days=3)
_DETECTION_COUNTS = (1, 2, 3, 4)
_DETECTION_COUNT_WEIGHTS = (45, 30, 15, 10)


@dataclass(frozen=True, slots=True)
class _Story:
    """What happens to one risky user after their first detections."""

    weight: int
    actions: tuple[Action, ...] = ()
    # Whether a new detection arrives after the actions (the user is at risk again).
    comes_back: bool = False


_STORIES = (
    _Story(52),
    _Story(14, (dismiss_risky_users,)),
    _Story(8, (confirm_compromised_risky_users,)),
    # Remediated outside Entra: confirm compromised first, then dismiss.
    _Story(3, (confirm_compromised_risky_users, dismiss_risky_users)),
    _Story(10, (confirm_safe_risky_users,)),
    _Story(8, (dismiss_risky_users,), comes_back=True),
    _Story(5, (confirm_safe_risky_users,), comes_back=True),
)


@dataclass(frozen=True, slots=True)
class _Step:
    """One thing that happens at `at`: a detection comes in, or an analyst acts on a user."""

    at: datetime
    user_id: str
    report: DetectionReport | None = None
    action: Action | None = None
    actor_id: str | None = None


def load_demo_tenant(
    database: Database, *, tenant_id: str, now: datetime, users: int = 300, seed: int = 20260301
) -> None:
    """Load `users` directory users (and the three analysts) with the month of risk before
    `now`, played in time order through the domain services. The same seed, the same tenant
    (but for the ids of the detections confirmCompromised records, which the service draws).

    A twentieth of the users are never risky, a fiftieth are deleted at the end. Loading into
    a tenant that already holds this demo changes nothing.
    """
    rng = random.Random(seed)
    people = _people(rng, users)
    quiet = users // 20
    risky, never_risky = people[quiet:], people[:quiet]
    steps = sorted(
        (step for user in risky for step in _user_steps(rng, user, now)),
        key=lambda step: (step.at, step.user_id),
    )
    deleted = [u.id for u in rng.sample(risky, users // 50) + never_risky[:1]]
    # One transaction: the demo is there whole or not at all, so a second load can tell.
    with database.unit_of_work(write=True) as store:
        if people and store.lock_users(tenant_id, [people[0].id]):
            return
        store.ensure_tenant(tenant_id)
        store.add_missing_users(tenant_id, _analysts() + people)
        for step in steps:
            _play(store, tenant_id, step)
        store.set_users_deleted(tenant_id, deleted, True)


def _analysts() -> list[User]:
    return [
        User(
            id=oid,
            display_name=name,
            user_principal_name=f"{name.replace(' ', '.').lower()}@{DOMAIN}",
        )
        for oid, name in ANALYSTS
    ]


def _people(rng: random.Random, count: int) -> list[User]:
    """`count` users with distinct names, none of them named like an analyst."""
    analyst_upns = {user.user_principal_name for user in _analysts()}
    pool = [
        i
        for i in range(max(count + len(ANALYSTS), sampling.NAME_PAIRS))
        if sampling.person(i)[1] not in analyst_upns
    ]
    people = []
    for index in rng.sample(pool, count):
        name, upn = sampling.person(index)
        people.append(User(id=sampling.guid(rng), display_name=name, user_principal_name=upn))
    return people


def _user_steps(rng: random.Random, user: User, now: datetime) -> list[_Step]:
    story = rng.choices(_STORIES, weights=[s.weight for s in _STORIES])[0]
    settle = now - (_SETTLE if story.actions else timedelta(minutes=15))
    count = rng.choices(_DETECTION_COUNTS, weights=_DETECTION_COUNT_WEIGHTS)[0]
    times = sorted(settle - (_WINDOW - (now - settle)) * rng.random() for _ in range(count))
    steps = [_Step(at=t, user_id=user.id, report=_report(rng, user, t)) for t in times]
    actor_id = rng.choice(ANALYSTS)[0]
    at = times[-1]
    for action in story.actions:
        at += timedelta(hours=rng.uniform(0.5, 30))
        steps.append(_Step(at=at, user_id=user.id, action=action, actor_id=actor_id))
    if story.comes_back:
        at += (now - timedelta(minutes=10) - at) * rng.uniform(0.1, 1.0)
        steps.append(_Step(at=at, user_id=user.id, report=_report(rng, user, at)))
    return steps


def _report(rng: random.Random, user: User, detected_at: datetime) -> DetectionReport:
    """A detection of a plausible kind, detected at `detected_at`."""
    kind = sampling.detection_kind(rng)
    signin = kind.activity is ActivityType.SIGNIN
    return DetectionReport(
        user_id=user.id,
        risk_event_type=kind.risk_event_type,
        risk_level=sampling.risk_level(rng, kind),
        user_display_name=user.display_name,
        user_principal_name=user.user_principal_name,
        id=sampling.detection_id(rng),
        activity=kind.activity,
        activity_at=detected_at - sampling.detection_delay(rng, kind.timing),
        detected_at=detected_at,
        detection_timing_type=kind.timing,
        source=kind.source,
        ip_address=sampling.public_ip(rng) if signin else None,
        location=sampling.city(rng) if signin else None,
        request_id=sampling.guid(rng) if signin else None,
        correlation_id=sampling.guid(rng) if signin else None,
        additional_info=sampling.signin_info(rng) if signin else None,
    )


def _play(store: RiskStore, tenant_id: str, step: _Step) -> None:
    if step.report is not None:
        ingest_risk_detections(
            store, tenant_id=tenant_id, reports=[step.report], clock=fixed_clock(step.at)
        )
    if step.action is not None:
        request = ActionRequest(
            tenant_id=tenant_id,
            user_ids=[step.user_id],
            actor_id=step.actor_id,
            clock=fixed_clock(step.at),
        )
        step.action(store, request)
