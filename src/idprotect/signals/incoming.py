"""What an incoming SET says for Identity Protection: a detection of the user its subject names
(CAEP risk-level-change, RISC credential-compromise and account-disabled), as docs/signals.md's
table says. Plain Python."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.models import DetectionReport, User
from idprotect.signals.events import (
    CAEP_RISK_LEVEL_CHANGE,
    RISC_ACCOUNT_DISABLED,
    RISC_CREDENTIAL_COMPROMISE,
)
from idprotect.signals.subjects import principal_ref

SOURCE = "sharedSignals"
_LEVELS = {"LOW": RiskLevel.LOW, "MEDIUM": RiskLevel.MEDIUM, "HIGH": RiskLevel.HIGH}
# The riskEventType each incoming event becomes.
RISK_EVENT_TYPES = {
    CAEP_RISK_LEVEL_CHANGE: "sharedSignalsRiskLevelChange",
    RISC_CREDENTIAL_COMPROMISE: "sharedSignalsCredentialCompromise",
    RISC_ACCOUNT_DISABLED: "sharedSignalsAccountDisabled",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One event of a SET that makes a detection: its type, level and what to record."""

    risk_event_type: str
    level: RiskLevel
    reason: str | None
    at: datetime | None


def finding_of(event_type: str, event: dict[str, Any]) -> Finding | None:
    """The detection an event makes; None for events that make none (verification...)."""
    kind = RISK_EVENT_TYPES.get(event_type)
    if kind is None:
        return None
    if event_type == CAEP_RISK_LEVEL_CHANGE:
        level = _LEVELS.get(str(event.get("current_level")).upper())
        if level is None:
            return None
        reason = event.get("risk_reason")
    elif event_type == RISC_CREDENTIAL_COMPROMISE:
        level, reason = RiskLevel.HIGH, event.get("credential_type")
    else:
        hijacked = event.get("reason") == "hijacking"
        level, reason = (RiskLevel.HIGH if hijacked else RiskLevel.MEDIUM), event.get("reason")
    return Finding(kind, level, str(reason) if reason is not None else None, _moment(event))


def _moment(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("event_timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 2**33:
        return datetime.fromtimestamp(stamp, UTC)
    return None


def report_of(
    claims: dict[str, Any], finding: Finding, user_id: str, email: str | None
) -> DetectionReport:
    """The detection report of one finding, for the user the subject named."""
    info = [
        {"Key": "transmitter", "Value": claims.get("iss")},
        {"Key": "jti", "Value": claims.get("jti")},
        {"Key": "reason", "Value": finding.reason},
    ]
    return DetectionReport(
        principal=User(id=user_id, user_principal_name=email),
        risk_event_type=finding.risk_event_type,
        risk_level=finding.level,
        activity_at=finding.at,
        detection_timing_type=RiskDetectionTimingType.OFFLINE,
        source=SOURCE,
        additional_info=json.dumps(info),
    )


def subject_of_set(claims: dict[str, Any]) -> tuple[str, str] | None:
    """The principal the SET names (top-level sub_id, SSF 1.0), or None."""
    return principal_ref(claims.get("sub_id"))


def user_id_for_email(issuer: str, email: str) -> str:
    """The id a user new to the directory takes when a transmitter names it by email only."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}#{email.lower()}"))
