"""Bulk risky service principals and agents: one generator, read from a table of the kinds.

A kind's entry says what its principals and detections hold of their own (names, app ids,
blueprints, sign-in details, evidence), which detection kinds it sees, and how often an analyst
took each of its actions. The rest is the users' population (seeding/population.py): the same
placement in time, ids in increasing order, and the same way a principal's risk concludes from
its detections and an analyst's action; one history item holds its current state.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from idprotect.domain.enums import ActivityType, AgentIdentityType, RiskDetail, RiskState
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, PrincipalKind
from idprotect.domain.models import Agent, Detection, HistoryItem, Principal, ServicePrincipal
from idprotect.seeding import sampling
from idprotect.seeding.catalog import (
    AGENT_DETECTION_KINDS,
    AGENT_EVIDENCE,
    AGENT_NAMES,
    APP_NAMES,
    SERVICE_PRINCIPAL_DETECTION_KINDS,
    SERVICE_PRINCIPAL_TYPES,
    DetectionKind,
)
from idprotect.seeding.population import (
    Shares,
    burst,
    conclude,
    detection_count,
    detection_id,
    place,
)

# How often an analyst took each action, of the principals of a kind that has it.
_ACTION_SHARES = {"dismiss": 0.12, "confirmCompromised": 0.05, "confirmSafe": 0.04}
_ALERT_INFO = '[{"Key":"alertUrl","Value":null}]'
_AGENTS_PER_BLUEPRINT = 6
_IDENTITY_TYPES = (
    AgentIdentityType.AGENT_IDENTITY,
    AgentIdentityType.AGENT_IDENTITY,
    AgentIdentityType.AGENT_USER,
    AgentIdentityType.AGENT_IDENTITY_BLUEPRINT_PRINCIPAL,
)

# (rng, the principal's index, its id, the seed) -> the principal.
Profile = Callable[[random.Random, int, str, int], Principal]
# (rng, the detection's kind) -> the fields the kind's detections add beyond the shared ones
# and what they copy from their principal.
Details = Callable[[random.Random, DetectionKind], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Workload:
    """How one kind's risky principals are drawn."""

    kind: PrincipalKind
    detection_kinds: tuple[DetectionKind, ...]  # made by sampling.weighted
    profile: Profile
    details: Details

    @property
    def shares(self) -> Shares:
        return tuple(
            (action, _ACTION_SHARES[action.name])
            for action in self.kind.actions
            if action.name in _ACTION_SHARES
        )


@dataclass(frozen=True, slots=True)
class WorkloadShape:
    """What to generate of one kind: how many, detections per principal (a mean), up to
    when, which seed."""

    workload: Workload
    count: int
    now: datetime
    detections_per_principal: float
    seed: int


@dataclass(slots=True)
class Batch:
    principals: list[Principal] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    history_items: list[HistoryItem] = field(default_factory=list)


def build_batch(shape: WorkloadShape, start: int, stop: int) -> Batch:
    """Principals `start` to `stop - 1` of the kind: the same wherever and in whatever order
    built, and drawn apart from the users' and the other kinds' (the kind's name seeds them)."""
    rng = random.Random(f"{shape.seed}:{shape.workload.kind.name}:{start}")
    batch = Batch()
    for index in range(start, stop):
        _add_principal(rng, batch, shape, index)
    return batch


def _add_principal(rng: random.Random, batch: Batch, shape: WorkloadShape, index: int) -> None:
    workload = shape.workload
    position, top = place(rng, index, shape.count)
    pid = sampling.guid_of((top << 96) | rng.getrandbits(96))
    principal = workload.profile(rng, index, pid, shape.seed)
    count = detection_count(rng, shape.detections_per_principal)
    detections = [
        _detection(rng, workload, principal, top, burst(rng, position, shape.now))
        for _ in range(count)
    ]
    risky, item = conclude(
        rng, workload.kind, principal, detections, shares=workload.shares, now=shape.now, top=top
    )
    batch.principals.append(risky)
    batch.detections.extend(detections)
    batch.history_items.append(item)


def _detection(
    rng: random.Random, workload: Workload, principal: Principal, top: int, detected_at: datetime
) -> Detection:
    kind = sampling.detection_kind(rng, workload.detection_kinds)
    return workload.kind.detection_type(
        id=detection_id(rng, top),
        principal_id=principal.id,
        risk_event_type=kind.risk_event_type,
        risk_level=sampling.risk_level(rng, kind),
        risk_state=RiskState.AT_RISK,
        risk_detail=RiskDetail.NONE,
        activity_at=detected_at - sampling.detection_delay(rng, kind.timing),
        detected_at=detected_at,
        last_updated_at=detected_at,
        detection_timing_type=kind.timing,
        source=kind.source,
        **workload.kind.copied(principal),
        **workload.details(rng, kind),
    )


def _numbered(names: tuple[str, ...], index: int) -> str:
    """The index-th name, numbered once the names are used up."""
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _service_principal(rng: random.Random, index: int, pid: str, seed: int) -> Principal:
    return ServicePrincipal(
        id=pid,
        app_id=sampling.guid(rng),
        display_name=_numbered(APP_NAMES, index),
        service_principal_type=SERVICE_PRINCIPAL_TYPES[
            int(rng.random() * len(SERVICE_PRINCIPAL_TYPES))
        ],
    )


def _service_principal_details(rng: random.Random, kind: DetectionKind) -> dict[str, Any]:
    signin = kind.activity is ActivityType.SIGNIN
    return {
        "activity": kind.activity,
        "additional_info": _ALERT_INFO,
        "ip_address": sampling.public_ip(rng) if signin else None,
        "location": sampling.city(rng) if signin else None,
        "request_id": sampling.guid(rng) if signin else None,
        "correlation_id": sampling.guid(rng) if signin else None,
        "key_ids": (sampling.guid(rng),) if kind.risk_event_type == "leakedCredentials" else (),
    }


def _agent(rng: random.Random, index: int, pid: str, seed: int) -> Principal:
    return Agent(
        id=pid,
        display_name=_numbered(AGENT_NAMES, index),
        blueprint_id=_blueprint(seed, index // _AGENTS_PER_BLUEPRINT),
        identity_type=_IDENTITY_TYPES[int(rng.random() * len(_IDENTITY_TYPES))],
    )


def _blueprint(seed: int, group: int) -> str:
    """The blueprint of a group of neighbouring agents: from the seed and the group alone, so
    that every chunk holding one of them names the same."""
    digest = hashlib.blake2b(f"{seed}:blueprint:{group}".encode(), digest_size=16).digest()
    return sampling.guid_of(int.from_bytes(digest))


def _agent_details(rng: random.Random, kind: DetectionKind) -> dict[str, Any]:
    # Graph's agent detections carry an empty additionalInfo (docs/reference/principal-kinds.md).
    return {"additional_info": "", "risk_evidence": AGENT_EVIDENCE[kind.risk_event_type]}


SERVICE_PRINCIPALS = Workload(
    kind=SERVICE_PRINCIPAL,
    detection_kinds=sampling.weighted(SERVICE_PRINCIPAL_DETECTION_KINDS),
    profile=_service_principal,
    details=_service_principal_details,
)
AGENTS = Workload(
    kind=AGENT,
    detection_kinds=sampling.weighted(AGENT_DETECTION_KINDS),
    profile=_agent,
    details=_agent_details,
)
WORKLOADS = (SERVICE_PRINCIPALS, AGENTS)
