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
from idprotect.domain.models import DetectionReport, User, UserRisk
from idprotect.domain.ports import RiskStore
from idprotect.domain.risky_users import (
    ActionRequest,
    confirm_compromised_risky_users,
    confirm_safe_risky_users,
    dismiss_risky_users,
)
from idprotect.errors import BadRequest

A = "8a1b0000-0000-4000-8000-00000000000a"
B = "8a1b0000-0000-4000-8000-00000000000b"
C = "8a1b0000-0000-4000-8000-00000000000c"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class RefusingStore:
    """Answers the reads that come before a change; any write is recorded."""

    users: dict[str, User] = field(default_factory=dict)
    existing_ids: set[str] = field(default_factory=set)
    writes: list[str] = field(default_factory=list)

    def tenant_licence(self, tenant_id: str) -> None:
        return None

    def existing_detection_ids(self, tenant_id: str, detection_ids: Sequence[str]) -> set[str]:
        return self.existing_ids & set(detection_ids)

    def lock_users_and_latest_ticks(
        self, tenant_id: str, user_ids: Sequence[str]
    ) -> tuple[dict[str, User], dict[str, int]]:
        return {u: self.users[u] for u in user_ids if u in self.users}, {}

    def __getattr__(self, name: str) -> Any:
        def write(*args: object, **kwargs: object) -> None:
            self.writes.append(name)

        return write


def report(**overrides: Any) -> DetectionReport:
    fields: dict[str, Any] = {
        "user_id": A,
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
            cast(RiskStore, store), tenant_id="t", reports=reports, clock=lambda: WHEN
        )

    assert raised.value.message == message
    assert store.writes == []


def user(user_id: str, *, deleted: bool = False) -> User:
    risk = UserRisk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, WHEN)
    return User(id=user_id, is_deleted=deleted, risk=risk)


@pytest.mark.parametrize(
    ("act", "name"),
    [
        (dismiss_risky_users, "dismiss"),
        (confirm_compromised_risky_users, "confirmCompromised"),
        (confirm_safe_risky_users, "confirmSafe"),
    ],
)
def test_an_action_naming_deleted_users_names_them_all_and_changes_nothing(
    act: Any, name: str
) -> None:
    store = RefusingStore(users={A: user(A, deleted=True), B: user(B), C: user(C, deleted=True)})
    request = ActionRequest("t", [C.upper(), B, A], actor_id=None, clock=lambda: WHEN)

    with pytest.raises(BadRequest) as raised:
        act(cast(RiskStore, store), request)

    assert raised.value.message == (
        f"{name} cannot be applied to deleted users. These userIds belong to deleted users: "
        f"{C}, {A}."
    )
    assert store.writes == []


def test_a_strict_action_names_every_unknown_user_and_changes_nothing() -> None:
    store = RefusingStore(users={B: user(B)})
    request = ActionRequest("t", [C, B, A, C], actor_id=None, clock=lambda: WHEN, strict=True)

    with pytest.raises(BadRequest) as raised:
        dismiss_risky_users(cast(RiskStore, store), request)

    assert raised.value.message == f"These userIds do not exist in your tenant: {C}, {A}."
    assert store.writes == []


def test_detections_for_deleted_users_name_them_all_and_record_nothing() -> None:
    store = RefusingStore(users={A: user(A, deleted=True), B: user(B), C: user(C, deleted=True)})
    reports = [report(user_id=C), report(user_id=B), report(user_id=A.upper())]

    with pytest.raises(BadRequest) as raised:
        ingest_risk_detections(
            cast(RiskStore, store), tenant_id="t", reports=reports, clock=lambda: WHEN
        )

    assert raised.value.message == f"Detections cannot be added for deleted users: {A}, {C}."
    assert not {"add_detections", "save_user_risks", "add_history_items"} & set(store.writes)
