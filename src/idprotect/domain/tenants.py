"""Tenants' licences and what each licence lets a tenant see (graph-facts 6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from idprotect.domain.enums import NONPREMIUM_RISK_EVENT_TYPES, RiskDetail, RiskLevel
from idprotect.domain.models import RiskDetection
from idprotect.errors import Forbidden


class Licence(StrEnum):
    P2 = "P2"  # Microsoft Entra ID P2: everything
    P1 = "P1"  # detections only, with level, detail and premium event types hidden
    FREE = "Free"  # none of the Identity Protection APIs


# A tenant first seen in a valid token comes into being with this licence.
DEFAULT_LICENCE = Licence.P2


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant as its operator lists it: its licence, and how many of its users Graph lists
    as risky (`risky_users`), of whom `at_risk` are at risk now."""

    tenant_id: str
    licence: Licence
    risky_users: int
    at_risk: int


_NOT_LICENSED = "Your tenant is not licensed for this feature."


def require_risky_users_licence(licence: Licence) -> None:
    """The riskyUsers API (reads, history and actions) needs P2."""
    if licence is not Licence.P2:
        raise Forbidden(_NOT_LICENSED)


def require_detections_licence(licence: Licence) -> None:
    """riskDetections needs P1 or P2."""
    if licence is Licence.FREE:
        raise Forbidden(_NOT_LICENSED)


def as_seen_with(detection: RiskDetection, licence: Licence) -> RiskDetection:
    """A detection as a tenant with this licence sees it: P1 gets `hidden` and `generic`."""
    if licence is not Licence.P1:
        return detection
    event_type = detection.risk_event_type
    return replace(
        detection,
        risk_level=RiskLevel.HIDDEN,
        risk_detail=RiskDetail.HIDDEN,
        risk_event_type=event_type if event_type in NONPREMIUM_RISK_EVENT_TYPES else "generic",
    )
