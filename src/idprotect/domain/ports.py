"""What the domain needs from storage. The store implements it; tests may fake it.

Every principal kind is stored alike (domain/kinds.py): each call names its kind and tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from idprotect.domain.changes import Change
from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import PrincipalKind
from idprotect.domain.models import Detection, HistoryItem, Principal, Risk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import Licence, Licences, View


class RiskStore(Protocol):
    """One tenant-scoped unit of work: every call names its tenant; nothing here commits."""

    def ensure_tenant(self, tenant_id: str) -> None: ...

    def tenant_licences(self, tenant_id: str) -> Licences | None:
        """The tenant's licences, or None for a tenant that has no row yet."""
        ...

    def set_tenant_licences(
        self,
        tenant_id: str,
        *,
        entra: Licence | None = None,
        workload_identities: bool | None = None,
    ) -> None:
        """Set what is given; the tenant is made if new."""
        ...

    # Principals and their risk.
    def lock_principals(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, Principal]:
        """The principals that exist among `ids`, locked until the unit of work ends."""
        ...

    def lock_principals_and_latest_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> tuple[dict[str, Principal], dict[str, int]]:
        """`lock_principals`, with the ticks of each found principal's newest history item
        (principals with no history are left out), in one read."""
        ...

    def add_missing_principals(
        self, kind: PrincipalKind, tenant_id: str, principals: Sequence[Principal]
    ) -> None:
        """Insert the principals that do not exist yet; existing ones are left untouched."""
        ...

    def update_profiles(
        self, kind: PrincipalKind, tenant_id: str, principals: Sequence[Principal]
    ) -> None:
        """Set the descriptive fields (names, appId, ...) of existing principals."""
        ...

    def set_deleted(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str], deleted: bool
    ) -> None: ...

    def save_risks(self, kind: PrincipalKind, tenant_id: str, risks: dict[str, Risk]) -> None: ...

    def get_risky_principal(
        self, kind: PrincipalKind, tenant_id: str, principal_id: str
    ) -> Principal | None: ...

    def list_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Principal]:
        """A page of risky principals: filtered (as `view` shows them), ordered and positioned
        as `page` says."""
        ...

    def count_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, filter: Node | None, view: View
    ) -> int:
        """How many risky principals the filter keeps (all of them when it is None)."""
        ...

    # History.
    def latest_history_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, int]: ...

    def add_history_items(
        self, kind: PrincipalKind, tenant_id: str, items: Sequence[HistoryItem]
    ) -> None: ...

    def list_history(
        self,
        kind: PrincipalKind,
        tenant_id: str,
        principal_id: str,
        page: PageRequest,
        view: View,
    ) -> Page[HistoryItem]: ...

    def get_history_item(
        self, kind: PrincipalKind, tenant_id: str, principal_id: str, ticks: int
    ) -> HistoryItem | None: ...

    # Risk detections.
    def active_detection_levels(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, list[RiskLevel]]:
        """The riskLevel of each active detection of these principals, by principal."""
        ...

    def existing_detection_ids(
        self, kind: PrincipalKind, tenant_id: str, detection_ids: Sequence[str]
    ) -> set[str]:
        """The ids among `detection_ids` that name a detection of the tenant already."""
        ...

    def add_detections(
        self, kind: PrincipalKind, tenant_id: str, detections: Sequence[Detection]
    ) -> None: ...

    def close_active_detections(
        self,
        kind: PrincipalKind,
        tenant_id: str,
        ids: Sequence[str],
        *,
        closed_as: tuple[RiskState, RiskDetail],
        at: datetime,
    ) -> None:
        """Every active detection of these principals takes the closing state and detail, and
        its last update time `at`; its riskLevel stays as it was detected."""
        ...

    def get_risk_detection(
        self, kind: PrincipalKind, tenant_id: str, detection_id: str
    ) -> Detection | None: ...

    def list_risk_detections(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Detection]:
        """A page of detections; the filter sees the fields as `view` shows them."""
        ...

    # Signals.
    def record_changes(self, tenant_id: str, changes: Sequence[Change]) -> None:
        """Write the events these changes make for the tenant's streams and subscriptions, in
        this unit of work (the outbox): committed with the changes, or not at all."""
        ...
