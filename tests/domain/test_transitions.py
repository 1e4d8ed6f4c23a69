"""The rules of risk, as pure functions: actions, detections, aggregation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.models import Location, Risk, RiskDetection, User
from idprotect.domain.transitions import (
    ACTIVE_DETECTION_STATES,
    CONFIRM_COMPROMISED,
    CONFIRM_SAFE,
    DISMISS,
    AdminAction,
    aggregate_level,
    close_detection,
    risk_after_action,
    risk_after_detections,
)

EARLIER = datetime(2026, 2, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def user(state: RiskState | None, level: RiskLevel = RiskLevel.MEDIUM, **kw: object) -> User:
    detail = kw.pop("detail", RiskDetail.NONE)
    risk = Risk(level, state, detail, EARLIER) if state else None  # type: ignore[arg-type]
    return User(id="u1", display_name="U", user_principal_name="u@contoso.com", risk=risk)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            DISMISS,
            (RiskLevel.NONE, RiskState.DISMISSED, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER),
        ),
        (
            CONFIRM_COMPROMISED,
            (
                RiskLevel.HIGH,
                RiskState.CONFIRMED_COMPROMISED,
                RiskDetail.ADMIN_CONFIRMED_USER_COMPROMISED,
            ),
        ),
        (
            CONFIRM_SAFE,
            (RiskLevel.NONE, RiskState.CONFIRMED_SAFE, RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE),
        ),
    ],
)
def test_action_moves_an_at_risk_user_to_its_target(action, expected) -> None:  # type: ignore[no-untyped-def]
    risk = risk_after_action(user(RiskState.AT_RISK), action, NOW)
    assert risk == Risk(*expected, NOW)


@pytest.mark.parametrize("action", [DISMISS, CONFIRM_COMPROMISED, CONFIRM_SAFE])
def test_action_on_a_user_already_in_its_target_changes_nothing(action) -> None:  # type: ignore[no-untyped-def]
    already = user(action.state, action.level, detail=action.detail)
    assert risk_after_action(already, action, NOW) is None


def test_dismiss_and_confirm_safe_leave_never_risky_users_alone() -> None:
    assert risk_after_action(user(None), DISMISS, NOW) is None
    assert risk_after_action(user(None), CONFIRM_SAFE, NOW) is None


def test_confirm_compromised_makes_a_never_risky_user_risky() -> None:
    risk = risk_after_action(user(None), CONFIRM_COMPROMISED, NOW)
    assert risk is not None
    assert risk.state is RiskState.CONFIRMED_COMPROMISED


def test_dismiss_applies_to_a_confirmed_compromised_user() -> None:
    compromised = user(RiskState.CONFIRMED_COMPROMISED, RiskLevel.HIGH)
    risk = risk_after_action(compromised, DISMISS, NOW)
    assert risk is not None
    assert risk.state is RiskState.DISMISSED


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([RiskLevel.LOW], RiskLevel.LOW),
        ([RiskLevel.LOW, RiskLevel.HIGH, RiskLevel.MEDIUM], RiskLevel.HIGH),
        ([RiskLevel.MEDIUM, RiskLevel.HIDDEN, RiskLevel.NONE], RiskLevel.MEDIUM),
        ([], RiskLevel.NONE),
    ],
)
def test_aggregate_level_is_the_highest_active_level(levels, expected) -> None:  # type: ignore[no-untyped-def]
    assert aggregate_level(levels) is expected


def test_detection_puts_a_dismissed_user_at_risk_again() -> None:
    dismissed = user(
        RiskState.DISMISSED, RiskLevel.NONE, detail=RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER
    )
    risk = risk_after_detections(dismissed, [RiskLevel.LOW], NOW)
    assert risk == Risk(RiskLevel.LOW, RiskState.AT_RISK, RiskDetail.NONE, NOW)


def test_detection_at_the_same_level_changes_nothing() -> None:
    assert risk_after_detections(user(RiskState.AT_RISK), [RiskLevel.MEDIUM], NOW) is None


def test_detection_leaves_a_confirmed_compromised_user_compromised() -> None:
    compromised = user(RiskState.CONFIRMED_COMPROMISED, RiskLevel.HIGH)
    assert risk_after_detections(compromised, [RiskLevel.LOW], NOW) is None


# -- closing a detection -----------------------------------------------------------------------

DETECTED = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
OPEN = RiskDetection(
    id="d" * 64,
    principal_id="u1",
    user_display_name="U",
    user_principal_name="u@contoso.com",
    risk_event_type="unlikelyTravel",
    risk_level=RiskLevel.HIGH,
    risk_state=RiskState.AT_RISK,
    risk_detail=RiskDetail.NONE,
    activity=ActivityType.SIGNIN,
    activity_at=DETECTED,
    detected_at=DETECTED,
    last_updated_at=DETECTED,
    detection_timing_type=RiskDetectionTimingType.OFFLINE,
    ip_address="203.0.113.7",
    location=Location(city="Lyon", country_or_region="FR"),
    request_id="r1",
    correlation_id="c1",
    additional_info='[{"Key":"userAgent","Value":"x"}]',
    mitre_technique_id="T1078",
)


@pytest.mark.parametrize(
    ("action", "state", "detail"),
    [
        (DISMISS, RiskState.DISMISSED, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER),
        (CONFIRM_SAFE, RiskState.CONFIRMED_SAFE, RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE),
    ],
)
def test_closing_sets_the_actions_state_detail_and_time_and_nothing_else(
    action: AdminAction, state: RiskState, detail: RiskDetail
) -> None:
    assert action.closes_detections_as is not None
    closed = close_detection(OPEN, action.closes_detections_as, NOW)

    assert closed == replace(OPEN, risk_state=state, risk_detail=detail, last_updated_at=NOW)
    assert (closed.risk_level, closed.detected_at, closed.activity_at) == (
        RiskLevel.HIGH,
        DETECTED,
        DETECTED,
    )
    assert closed.risk_state not in ACTIVE_DETECTION_STATES


def test_closing_returns_a_new_detection_and_leaves_the_open_one_as_it_was() -> None:
    closed = close_detection(OPEN, (RiskState.DISMISSED, RiskDetail.HIDDEN), NOW)

    assert closed is not OPEN
    assert (OPEN.risk_state, OPEN.risk_detail, OPEN.last_updated_at) == (
        RiskState.AT_RISK,
        RiskDetail.NONE,
        DETECTED,
    )
    assert (closed.risk_state, closed.risk_detail) == (RiskState.DISMISSED, RiskDetail.HIDDEN)


def test_closing_a_closed_detection_again_only_moves_its_time() -> None:
    once = close_detection(OPEN, (RiskState.DISMISSED, RiskDetail.NONE), NOW)
    later = datetime(2026, 4, 1, tzinfo=UTC)

    assert close_detection(once, (RiskState.DISMISSED, RiskDetail.NONE), later) == replace(
        once, last_updated_at=later
    )


def test_confirm_compromised_closes_nothing_and_records_a_detection() -> None:
    assert CONFIRM_COMPROMISED.closes_detections_as is None
    assert CONFIRM_COMPROMISED.records_detection == "adminConfirmedUserCompromised"
    assert DISMISS.records_detection is None
    assert CONFIRM_SAFE.records_detection is None
