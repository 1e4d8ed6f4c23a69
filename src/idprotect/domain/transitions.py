"""The rules of risk: what each admin action and each incoming detection does to a principal.

The same for every principal kind; the kinds differ only in the riskDetail each action writes
and the detection it records (domain/kinds.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from idprotect.domain.enums import SEVERITY, RiskDetail, RiskLevel, RiskState
from idprotect.domain.models import Detection, Principal, Risk

# A detection counts towards its principal's risk while it is in one of these states.
ACTIVE_DETECTION_STATES = frozenset({RiskState.AT_RISK, RiskState.CONFIRMED_COMPROMISED})


@dataclass(frozen=True, slots=True)
class AdminAction:
    """An admin action on risky principals (dismiss, confirmCompromised, confirmSafe)."""

    name: str
    level: RiskLevel
    state: RiskState
    detail: RiskDetail
    # How the principal's active detections are closed; None leaves them as they are.
    closes_detections_as: tuple[RiskState, RiskDetail] | None
    # Whether the action applies to a principal that has never been risky.
    creates_risk: bool
    # The riskEventType of the detection the action records, if it records one.
    records_detection: str | None

    def target(self, now: datetime) -> Risk:
        return Risk(level=self.level, state=self.state, detail=self.detail, last_updated=now)


def dismiss(detail: RiskDetail) -> AdminAction:
    """Dismiss: risk level none, state dismissed; every active detection is closed."""
    return AdminAction(
        name="dismiss",
        level=RiskLevel.NONE,
        state=RiskState.DISMISSED,
        detail=detail,
        closes_detections_as=(RiskState.DISMISSED, detail),
        creates_risk=False,
        records_detection=None,
    )


def confirm_compromised(detail: RiskDetail) -> AdminAction:
    """Confirm compromised: risk level high; records a detection named as the detail is."""
    return AdminAction(
        name="confirmCompromised",
        level=RiskLevel.HIGH,
        state=RiskState.CONFIRMED_COMPROMISED,
        detail=detail,
        closes_detections_as=None,
        creates_risk=True,
        records_detection=detail.value,
    )


def confirm_safe(detail: RiskDetail) -> AdminAction:
    """Confirm safe: risk level none, state confirmedSafe; every active detection is closed."""
    return AdminAction(
        name="confirmSafe",
        level=RiskLevel.NONE,
        state=RiskState.CONFIRMED_SAFE,
        detail=detail,
        closes_detections_as=(RiskState.CONFIRMED_SAFE, detail),
        creates_risk=False,
        records_detection=None,
    )


# The users' actions (the other kinds': domain/kinds.py).
DISMISS = dismiss(RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER)
CONFIRM_COMPROMISED = confirm_compromised(RiskDetail.ADMIN_CONFIRMED_USER_COMPROMISED)
CONFIRM_SAFE = confirm_safe(RiskDetail.ADMIN_CONFIRMED_ACCOUNT_SAFE)


def risk_after_action(principal: Principal, action: AdminAction, now: datetime) -> Risk | None:
    """The principal's new risk, or None when the action changes nothing for it.

    An action moves a principal to its target (level, state, detail). One already there is left
    alone (no new timestamp, no history), which makes every action safe to repeat.
    """
    if principal.risk is None and not action.creates_risk:
        return None
    current = principal.risk
    if current and (current.level, current.state, current.detail) == (
        action.level,
        action.state,
        action.detail,
    ):
        return None
    return action.target(now)


def close_detection(
    detection: Detection, closed_as: tuple[RiskState, RiskDetail], now: datetime
) -> Detection:
    """A detection closed by an admin action; its riskLevel stays as it was detected."""
    state, detail = closed_as
    return replace(detection, risk_state=state, risk_detail=detail, last_updated_at=now)


def aggregate_level(levels: list[RiskLevel]) -> RiskLevel:
    """A principal's risk level: the highest level among its active detections."""
    graded = [level for level in levels if level in SEVERITY]
    if not graded:
        return RiskLevel.NONE
    return max(graded, key=SEVERITY.__getitem__)


def risk_after_detections(
    principal: Principal, active_levels: list[RiskLevel], now: datetime
) -> Risk | None:
    """The principal's risk once new active detections arrived, or None when it does not change.

    A confirmed-compromised principal stays so (already high) until an admin dismisses it; any
    other is at risk at the level of its highest active detection.
    """
    if principal.risk is not None and principal.risk.state is RiskState.CONFIRMED_COMPROMISED:
        return None
    level = aggregate_level(active_levels)
    current = principal.risk
    if current and (current.level, current.state, current.detail) == (
        level,
        RiskState.AT_RISK,
        RiskDetail.NONE,
    ):
        return None
    return Risk(level=level, state=RiskState.AT_RISK, detail=RiskDetail.NONE, last_updated=now)
