"""Refusals that come before any change, over a store in memory: detections and admin actions.

The store records every write; a refused request makes none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import AGENT, KINDS, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import DetectionReport, Principal, Risk, User
from idprotect.domain.ports import RiskStore
from idprotect.domain.principals import ActionRequest, apply_action
from idprotect.domain.tenants import Licences
from idprotect.errors import BadRequest

A = "8a1b0000-0000-4000-8000-00000000000a"
B = "8a1b0000-0000-4000-8000-00000000000b"
C = "8a1b0000-0000-4000-8000-00000000000c"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class RefusingStore:
    """Answers the reads that come before a change; any write is recorded."""

    users: dict[str, Principal] = field(default_factory=dict)
    existing_ids: set[str] = field(default_factory=set)
    writes: list[str] = field(default_factory=list)

    def tenant_licences(self, tenant_id: str) -> Licences | None:
        return None

    def existing_detection_ids(
        self, kind: PrincipalKind, tenant_id: str, detection_ids: Sequence[str]
    ) -> set[str]:
        return self.existing_ids & set(detection_ids)

    def lock_principals_and_latest_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> tuple[dict[str, Principal], dict[str, int]]:
        return {u: self.users[u] for u in ids if u in self.users}, {}

    def __getattr__(self, name: str) -> Any:
        def write(*args: object, **kwargs: object) -> None:
            self.writes.append(name)

        return write


def report(user_id: str = A, **overrides: Any) -> DetectionReport:
    fields: dict[str, Any] = {
        "principal": User(id=user_id),
        "risk_event_type": "unlikelyTravel",
        "risk_level": RiskLevel.HIGH,
        **overrides,
    }
    return DetectionReport(**fields)


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ([], "At least one risk detection is required."),
        ([report(), report(user_id="")], "Each risk detection needs a userId and a riskEventType."),
        ([report(risk_event_type="")], "Each risk detection needs a userId and a riskEventType."),
        (
            [report(risk_level=RiskLevel.NONE)],
            "A detection in state 'atRisk' needs riskLevel low, medium or high, not 'none'.",
        ),
        (
            [report(id="x"), report(id="y"), report(id="x"), report(id="y"), report(id="z")],
            "These risk detection ids are given more than once: x, y.",
        ),
        (
            [report(id="z"), report(id="y"), report(id="x")],
            "These risk detection ids already exist: x, y.",
        ),
    ],
)
def test_detections_are_refused_before_anything_is_written(
    reports: list[DetectionReport], message: str
) -> None:
    store = RefusingStore(existing_ids={"x", "y"})

    with pytest.raises(BadRequest) as raised:
        ingest_risk_detections(
            cast(RiskStore, store), USER, tenant_id="t", reports=reports, clock=lambda: WHEN
        )

    assert raised.value.message == message
    assert store.writes == []


def user(user_id: str, *, deleted: bool = False) -> User:
    risk = Risk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, WHEN)
    return User(id=user_id, is_deleted=deleted, risk=risk)


ACTIONS = [(kind, action) for kind in KINDS for action in kind.actions]


@pytest.mark.parametrize(("kind", "action"), ACTIONS, ids=lambda v: getattr(v, "name", ""))
def test_an_action_naming_deleted_principals_names_them_all_and_changes_nothing(
    kind: PrincipalKind, action: Any
) -> None:
    store = RefusingStore(users={A: user(A, deleted=True), B: user(B), C: user(C, deleted=True)})
    request = ActionRequest("t", [C.upper(), B, A], actor_id=None, clock=lambda: WHEN)

    with pytest.raises(BadRequest) as raised:
        apply_action(cast(RiskStore, store), kind, action, request)

    assert raised.value.message == (
        f"{action.name} cannot be applied to deleted {kind.plural}. These {kind.ids_field} "
        f"belong to deleted {kind.plural}: {C}, {A}."
    )
    assert store.writes == []


def test_the_messages_name_each_kind_as_graph_does() -> None:
    assert [(k.plural, k.ids_field) for k in (USER, SERVICE_PRINCIPAL, AGENT)] == [
        ("users", "userIds"),
        ("service principals", "servicePrincipalIds"),
        ("agents", "agentIds"),
    ]


def test_a_strict_action_names_every_unknown_user_and_changes_nothing() -> None:
    store = RefusingStore(users={B: user(B)})
    request = ActionRequest("t", [C, B, A, C], actor_id=None, clock=lambda: WHEN, strict=True)

    with pytest.raises(BadRequest) as raised:
        apply_action(cast(RiskStore, store), USER, USER.action("dismiss"), request)

    assert raised.value.message == f"These userIds do not exist in your tenant: {C}, {A}."
    assert store.writes == []


def test_detections_for_deleted_users_name_them_all_and_record_nothing() -> None:
    store = RefusingStore(users={A: user(A, deleted=True), B: user(B), C: user(C, deleted=True)})
    reports = [report(user_id=C), report(user_id=B), report(user_id=A.upper())]

    with pytest.raises(BadRequest) as raised:
        ingest_risk_detections(
            cast(RiskStore, store), USER, tenant_id="t", reports=reports, clock=lambda: WHEN
        )

    assert raised.value.message == f"Detections cannot be added for deleted users: {A}, {C}."
    assert not {"add_detections", "save_risks", "add_history_items"} & set(store.writes)
