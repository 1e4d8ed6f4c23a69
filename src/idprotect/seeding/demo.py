"""The demo tenant: a month of detections and analyst actions, played through the domain rules."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from idprotect.domain.clock import fixed_clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import ActivityType, AgentIdentityType
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import Agent, DetectionReport, Principal, ServicePrincipal, User
from idprotect.domain.ports import RiskStore
from idprotect.domain.principals import ActionRequest, apply_action
from idprotect.seeding import sampling
from idprotect.seeding.catalog import (
    AGENT_DETECTION_KINDS,
    AGENT_EVIDENCE,
    AGENT_NAMES,
    ANALYSTS,
    APP_NAMES,
    DOMAIN,
    SERVICE_PRINCIPAL_DETECTION_KINDS,
    SERVICE_PRINCIPAL_TYPES,
    DetectionKind,
)
from idprotect.store.engine import Database

_WINDOW = timedelta(days=30)
# Principals who are acted on see their detections settle this long before `now`, leaving room
# for the analysts' actions (at most two, each within 30 hours) to happen before `now`.
_SETTLE = timedelta(days=3)
_DETECTION_COUNTS = (1, 2, 3, 4)
_DETECTION_COUNT_WEIGHTS = (45, 30, 15, 10)
_SERVICE_PRINCIPAL_KINDS = sampling.weighted(SERVICE_PRINCIPAL_DETECTION_KINDS)
_AGENT_KINDS = sampling.weighted(AGENT_DETECTION_KINDS)


@dataclass(frozen=True, slots=True)
class _Story:
    """What happens to one risky principal after its first detections: the actions, by name
    (a story with an action its kind lacks is not told of it)."""

    weight: int
    actions: tuple[str, ...] = ()
    # Whether a new detection arrives after the actions (the principal is at risk again).
    comes_back: bool = False


_STORIES = (
    _Story(52),
    _Story(14, ("dismiss",)),
    _Story(8, ("confirmCompromised",)),
    # Remediated outside Entra: confirm compromised first, then dismiss.
    _Story(3, ("confirmCompromised", "dismiss")),
    _Story(10, ("confirmSafe",)),
    _Story(8, ("dismiss",), comes_back=True),
    _Story(5, ("confirmSafe",), comes_back=True),
)


@dataclass(frozen=True, slots=True)
class _Step:
    """One thing that happens at `at`: a detection comes in, or an analyst acts on a principal."""

    at: datetime
    kind: PrincipalKind
    principal_id: str
    report: DetectionReport | None = None
    action: str | None = None
    actor_id: str | None = None


Reporter = Callable[[random.Random, Principal, datetime], DetectionReport]


def load_demo_tenant(
    database: Database,
    *,
    tenant_id: str,
    now: datetime,
    users: int = 300,
    service_principals: int = 40,
    agents: int = 30,
    seed: int = 20260301,
) -> None:
    """Load `users` directory users (and the three analysts), `service_principals` and `agents`
    with the month of risk before `now`, played in time order through the domain services. The
    same seed, the same tenant (but for the ids of the detections confirmCompromised records,
    which the service draws).

    A twentieth of each kind are never risky; a fiftieth of the users (and one never risky) and
    one agent in fifty (at least one) are deleted at the end. Loading into a tenant that already
    holds this demo changes nothing.
    """
    rng = random.Random(seed)
    people = _people(rng, users)
    quiet = users // 20
    risky, never_risky = people[quiet:], people[:quiet]
    steps = [step for user in risky for step in _steps(rng, USER, user, now, _user_report)]
    deleted = [u.id for u in rng.sample(risky, users // 50) + never_risky[:1]]
    # Each other kind draws from its own generator: the users' month stays what it was.
    apps_rng = random.Random(f"{seed}:{SERVICE_PRINCIPAL.name}")
    apps = _service_principals(apps_rng, service_principals)
    steps += [
        step
        for app in apps[service_principals // 20 :]
        for step in _steps(apps_rng, SERVICE_PRINCIPAL, app, now, _service_principal_report)
    ]
    bots_rng = random.Random(f"{seed}:{AGENT.name}")
    bots = _agents(bots_rng, agents)
    steps += [
        step
        for bot in bots[agents // 20 :]
        for step in _steps(bots_rng, AGENT, bot, now, _agent_report)
    ]
    deleted_agents = [a.id for a in bots_rng.sample(bots, min(len(bots), 1 + agents // 50))]
    # Users' steps sort as they always did; the other kinds' fall between them by time.
    steps.sort(key=lambda step: (step.at, step.kind is not USER, step.principal_id))
    # One transaction: the demo is there whole or not at all, so a second load can tell.
    with database.unit_of_work(write=True) as store:
        if people and store.lock_principals(USER, tenant_id, [people[0].id]):
            return
        store.ensure_tenant(tenant_id)
        store.add_missing_principals(USER, tenant_id, _analysts() + people)
        store.add_missing_principals(SERVICE_PRINCIPAL, tenant_id, apps)
        store.add_missing_principals(AGENT, tenant_id, bots)
        for step in steps:
            _play(store, tenant_id, step)
        store.set_deleted(USER, tenant_id, deleted, True)
        store.set_deleted(AGENT, tenant_id, deleted_agents, True)


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


def _numbered(names: tuple[str, ...], index: int) -> str:
    """The index-th name, numbered once the names are used up."""
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _service_principals(rng: random.Random, count: int) -> list[ServicePrincipal]:
    return [
        ServicePrincipal(
            id=sampling.guid(rng),
            app_id=sampling.guid(rng),
            display_name=_numbered(APP_NAMES, index),
            service_principal_type=rng.choice(SERVICE_PRINCIPAL_TYPES),
        )
        for index in range(count)
    ]


_IDENTITY_TYPES = (
    AgentIdentityType.AGENT_IDENTITY,
    AgentIdentityType.AGENT_IDENTITY,
    AgentIdentityType.AGENT_USER,
    AgentIdentityType.AGENT_IDENTITY_BLUEPRINT_PRINCIPAL,
)


def _agents(rng: random.Random, count: int) -> list[Agent]:
    blueprints = [sampling.guid(rng) for _ in range(max(1, count // 6))]
    return [
        Agent(
            id=sampling.guid(rng),
            display_name=_numbered(AGENT_NAMES, index),
            blueprint_id=rng.choice(blueprints),
            identity_type=rng.choice(_IDENTITY_TYPES),
        )
        for index in range(count)
    ]


def _steps(
    rng: random.Random, kind: PrincipalKind, principal: Principal, now: datetime, report: Reporter
) -> list[_Step]:
    known = {action.name for action in kind.actions}
    stories = [s for s in _STORIES if known.issuperset(s.actions)]
    story = rng.choices(stories, weights=[s.weight for s in stories])[0]
    settle = now - (_SETTLE if story.actions else timedelta(minutes=15))
    count = rng.choices(_DETECTION_COUNTS, weights=_DETECTION_COUNT_WEIGHTS)[0]
    times = sorted(settle - (_WINDOW - (now - settle)) * rng.random() for _ in range(count))
    pid = principal.id
    steps = [_Step(t, kind, pid, report=report(rng, principal, t)) for t in times]
    actor_id = rng.choice(ANALYSTS)[0]
    at = times[-1]
    for action in story.actions:
        at += timedelta(hours=rng.uniform(0.5, 30))
        steps.append(_Step(at, kind, pid, action=action, actor_id=actor_id))
    if story.comes_back:
        at += (now - timedelta(minutes=10) - at) * rng.uniform(0.1, 1.0)
        steps.append(_Step(at, kind, pid, report=report(rng, principal, at)))
    return steps


def _user_report(rng: random.Random, user: Principal, detected_at: datetime) -> DetectionReport:
    return _sign_in_report(rng, user, detected_at, sampling.USER_DETECTION_KINDS)


def _service_principal_report(
    rng: random.Random, principal: Principal, detected_at: datetime
) -> DetectionReport:
    return _sign_in_report(rng, principal, detected_at, _SERVICE_PRINCIPAL_KINDS)


def _sign_in_report(
    rng: random.Random,
    principal: Principal,
    detected_at: datetime,
    kinds: tuple[DetectionKind, ...],
) -> DetectionReport:
    """A detection of a plausible kind, detected at `detected_at` (drawn in a fixed order, the
    sign-in's fields only for a sign-in); a service principal's leaked credential names a key."""
    kind = sampling.detection_kind(rng, kinds)
    signin = kind.activity is ActivityType.SIGNIN
    level = sampling.risk_level(rng, kind)
    detection_id = sampling.detection_id(rng)
    activity_at = detected_at - sampling.detection_delay(rng, kind.timing)
    details: dict[str, object] = {
        "activity": kind.activity,
        "ip_address": sampling.public_ip(rng) if signin else None,
        "location": sampling.city(rng) if signin else None,
        "request_id": sampling.guid(rng) if signin else None,
        "correlation_id": sampling.guid(rng) if signin else None,
    }
    if isinstance(principal, ServicePrincipal):
        leaked = kind.risk_event_type == "leakedCredentials"
        details["key_ids"] = (sampling.guid(rng),) if leaked else ()
    return DetectionReport(
        principal=principal,
        risk_event_type=kind.risk_event_type,
        risk_level=level,
        id=detection_id,
        activity_at=activity_at,
        detected_at=detected_at,
        detection_timing_type=kind.timing,
        source=kind.source,
        additional_info=sampling.signin_info(rng) if signin else None,
        details=details,
    )


def _agent_report(rng: random.Random, agent: Principal, detected_at: datetime) -> DetectionReport:
    kind = sampling.detection_kind(rng, _AGENT_KINDS)
    return DetectionReport(
        principal=agent,
        risk_event_type=kind.risk_event_type,
        risk_level=sampling.risk_level(rng, kind),
        id=sampling.detection_id(rng),
        activity_at=detected_at - sampling.detection_delay(rng, kind.timing),
        detected_at=detected_at,
        detection_timing_type=kind.timing,
        source=kind.source,
        additional_info="",
        details={"risk_evidence": AGENT_EVIDENCE[kind.risk_event_type]},
    )


def _play(store: RiskStore, tenant_id: str, step: _Step) -> None:
    clock = fixed_clock(step.at)
    if step.report is not None:
        ingest_risk_detections(
            store, step.kind, tenant_id=tenant_id, reports=[step.report], clock=clock
        )
    if step.action is not None:
        request = ActionRequest(
            tenant_id=tenant_id, ids=[step.principal_id], actor_id=step.actor_id, clock=clock
        )
        apply_action(store, step.kind, step.kind.action(step.action), request)
