"""The rules of risk: what each admin action and each incoming detection does to a user."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from idprotect.domain.enums import SEVERITY, RiskDetail, RiskLevel, RiskState
from idprotect.domain.models import RiskDetection, User, UserRisk

# A detection counts towards its user's risk while it is in one of these states.
ACTIVE_DETECTION_STATES = frozenset({RiskState.AT_RISK, RiskState.CONFIRMED_COMPROMISED})


@dataclass(frozen=True, slots=True)
class AdminAction:
    """An admin action on risky users (dismiss, confirmCompromised, confirmSafe)."""

    name: str
    level: RiskLevel
    state: RiskState
    detail: RiskDetail
    # How the user's active detections are closed; None leaves them as they are.
    closes_detections_as: tuple[RiskState, RiskDetail] | None
    # Whether the action applies to a directory user who has never been risky.
    creates_risky_user: bool
    # The riskEventType of the detection the action records, if it records one.
    records_detection: str | None

    def target(self, now: datetime) -> UserRisk:
        return UserRisk(level=self.level, state=self.state, detail=self.detail, last_updated=now)


DISMISS = AdminAction(
    name="dismiss",
    level=RiskLevel.NONE,
    state=RiskState.DISMISSED,
    detail=RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER,
    closes_detections_as=(RiskState.DISMISSED, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER),
    creates_risky_user=False,
    records_detection=None,
)

CONFIRM_COMPROMISED = AdminAction(
    name="confirmCompromised",
    level=RiskLevel.HIGH,
    state=RiskState.CONFIRMED_COMPROMISED,
    detail=RiskDetail.ADMIN_CONFIRMED_USER_COMPROMISED,
    closes_detections_as=None,
    creates_risky_user=True,
    records_detection="adminConfirmedUserCompromised",
)

CONFIRM_SAFE = AdminAction(
    name="confirmSafe",
    level=RiskLevel.NONE,
    state=RiskState.CONFIRMED_SAFE,
    detail=RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE,
    closes_detections_as=(RiskState.CONFIRMED_SAFE, RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE),
    creates_risky_user=False,
    records_detection=None,
)


def risk_after_action(user: User, action: AdminAction, now: datetime) -> UserRisk | None:
    """The user's new risk, or None when the action changes nothing for this user.

    An action moves a user to its target (level, state, detail). A user already there is left
    alone (no new timestamp, no history), which makes every action safe to repeat.
    """
    if user.risk is None and not action.creates_risky_user:
        return None
    current = user.risk
    if current and (current.level, current.state, current.detail) == (
        action.level,
        action.state,
        action.detail,
    ):
        return None
    return action.target(now)


def close_detection(
    detection: RiskDetection, closed_as: tuple[RiskState, RiskDetail], now: datetime
) -> RiskDetection:
    """A detection closed by an admin action; its riskLevel stays as it was detected."""
    state, detail = closed_as
    return replace(detection, risk_state=state, risk_detail=detail, last_updated_at=now)


def aggregate_level(levels: list[RiskLevel]) -> RiskLevel:
    """A user's risk level: the highest level among their active detections."""
    graded = [level for level in levels if level in SEVERITY]
    if not graded:
        return RiskLevel.NONE
    return max(graded, key=SEVERITY.__getitem__)


def risk_after_detections(
    user: User, active_levels: list[RiskLevel], now: datetime
) -> UserRisk | None:
    """The user's risk once new active detections arrived, or None when it does not change.

    A confirmed-compromised user stays so (already high) until an admin dismisses them; any
    other user is at risk at the level of their highest active detection.
    """
    if user.risk is not None and user.risk.state is RiskState.CONFIRMED_COMPROMISED:
        return None
    level = aggregate_level(active_levels)
    current = user.risk
    if current and (current.level, current.state, current.detail) == (
        level,
        RiskState.AT_RISK,
        RiskDetail.NONE,
    ):
        return None
    return UserRisk(level=level, state=RiskState.AT_RISK, detail=RiskDetail.NONE, last_updated=now)
