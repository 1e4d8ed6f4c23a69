"""What the domain needs from storage. The store implements it; tests may fake it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from idprotect.domain.enums import RiskDetail, RiskState
from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser, User, UserRisk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import Licence


class RiskStore(Protocol):
    """One tenant-scoped unit of work: every call names its tenant; nothing here commits."""

    def ensure_tenant(self, tenant_id: str) -> None: ...

    def tenant_licence(self, tenant_id: str) -> Licence | None:
        """The tenant's licence, or None for a tenant that has no row yet."""
        ...

    def set_tenant_licence(self, tenant_id: str, licence: Licence) -> None: ...

    # Directory users and their risk.
    def lock_users(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, User]:
        """The users that exist among `user_ids`, locked until the unit of work ends."""
        ...

    def lock_users_and_latest_ticks(
        self, tenant_id: str, user_ids: Sequence[str]
    ) -> tuple[dict[str, User], dict[str, int]]:
        """`lock_users`, with the ticks of each found user's newest history item (users with
        no history are left out), in one read."""
        ...

    def add_missing_users(self, tenant_id: str, users: Sequence[User]) -> None:
        """Insert the users that do not exist yet; existing ones are left untouched."""
        ...

    def update_user_names(self, tenant_id: str, users: Sequence[User]) -> None: ...

    def set_users_deleted(self, tenant_id: str, user_ids: Sequence[str], deleted: bool) -> None: ...

    def save_user_risks(self, tenant_id: str, risks: dict[str, UserRisk]) -> None: ...

    def get_risky_user(self, tenant_id: str, user_id: str) -> RiskyUser | None: ...

    def list_risky_users(self, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
        """A page of risky users: filtered, ordered and positioned as `page` says."""
        ...

    def count_risky_users(self, tenant_id: str, filter: Node | None) -> int:
        """How many risky users the filter keeps (all of them when it is None)."""
        ...

    # History.
    def latest_history_ticks(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, int]: ...

    def add_history_items(self, tenant_id: str, items: Sequence[HistoryItem]) -> None: ...

    def list_history(
        self, tenant_id: str, user_id: str, page: PageRequest
    ) -> Page[HistoryItem]: ...

    def get_history_item(self, tenant_id: str, user_id: str, ticks: int) -> HistoryItem | None: ...

    # Risk detections.
    def active_detections(self, tenant_id: str, user_ids: Sequence[str]) -> list[RiskDetection]: ...

    def existing_detection_ids(self, tenant_id: str, detection_ids: Sequence[str]) -> set[str]:
        """The ids among `detection_ids` that name a detection of the tenant already."""
        ...

    def add_detections(self, tenant_id: str, detections: Sequence[RiskDetection]) -> None: ...

    def close_active_detections(
        self,
        tenant_id: str,
        user_ids: Sequence[str],
        *,
        closed_as: tuple[RiskState, RiskDetail],
        at: datetime,
    ) -> None:
        """Every active detection of these users takes the closing state and detail, and
        `lastUpdatedDateTime` = `at`; its riskLevel stays as it was detected."""
        ...

    def get_risk_detection(self, tenant_id: str, detection_id: str) -> RiskDetection | None: ...

    def list_risk_detections(
        self, tenant_id: str, page: PageRequest, *, licence: Licence = Licence.P2
    ) -> Page[RiskDetection]:
        """A page of detections; the filter sees the fields as a tenant of `licence` sees them."""
        ...
