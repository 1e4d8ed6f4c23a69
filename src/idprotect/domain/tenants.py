"""Tenants' licences and what each licence lets a tenant see (graph-facts 6, principal kinds 9)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from idprotect.errors import Forbidden


class Licence(StrEnum):
    """The tenant's Microsoft Entra ID licence."""

    P2 = "P2"  # Microsoft Entra ID P2: everything
    P1 = "P1"  # detections only, with level, detail and premium event types hidden
    FREE = "Free"  # none of the Identity Protection APIs


# A tenant first seen in a valid token comes into being with this licence.
DEFAULT_LICENCE = Licence.P2


@dataclass(frozen=True, slots=True)
class Licences:
    """What a tenant has bought: its Entra ID licence, and whether it has Workload Identities
    Premium (which the service-principal APIs need for their full detail)."""

    entra: Licence = DEFAULT_LICENCE
    workload_identities: bool = True


DEFAULT_LICENCES = Licences()


class View(Enum):
    """How much of a kind's risk a tenant may see (domain/kinds.py decides it per licence)."""

    FULL = "full"
    # riskLevel and riskDetail read `hidden` (and, for users' detections, premium event types
    # read `generic`); actions are refused.
    LIMITED = "limited"


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant as its operator lists it: its licence, and how many of its users Graph lists
    as risky (`risky_users`), of whom `at_risk` are at risk now."""

    tenant_id: str
    licence: Licence
    risky_users: int
    at_risk: int
    workload_identities: bool = True


NOT_LICENSED = "Your tenant is not licensed for this feature."


def refuse() -> View:
    raise Forbidden(NOT_LICENSED)


def users_view(licences: Licences) -> View:
    """The riskyUsers API (reads, history and actions) needs P2."""
    return View.FULL if licences.entra is Licence.P2 else refuse()


def user_detections_view(licences: Licences) -> View:
    """riskDetections needs P1 or P2; P1 sees them limited."""
    if licences.entra is Licence.FREE:
        return refuse()
    return View.FULL if licences.entra is Licence.P2 else View.LIMITED


def workload_view(licences: Licences) -> View:
    """Service principals and their detections: a tenant without Workload Identities Premium
    sees every one with riskLevel and riskDetail `hidden` (Graph's pages say so per field) and
    may not act; a tenant without Entra ID P1 or P2 sees none."""
    if licences.entra is Licence.FREE:
        return refuse()
    return View.FULL if licences.workload_identities else View.LIMITED


def agents_view(licences: Licences) -> View:
    """Agents and their detections: included with P2 while in preview (Entra's docs)."""
    return users_view(licences)
