"""SqlRiskStore: the domain's RiskStore on one SQLAlchemy connection (never commits)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.domain.changes import Change
from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import PrincipalKind
from idprotect.domain.models import Detection, HistoryItem, Principal, Risk, RiskDetection, User
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.domain.tenants import Licence, Licences, TenantSummary, View
from idprotect.signals.events import Render, Target
from idprotect.store import bulk, listing, outbox, reads, rows, signins, threat_lists
from idprotect.store.kinds import stored
from idprotect.store.sign_in_history import SqlSignInHistory
from idprotect.store.tables import tenants, users

_CHUNK = 500


def _storable(value: str) -> bool:
    """Whether a key can be stored at all: PostgreSQL text refuses NUL, so no key holds one."""
    return "\x00" not in value


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlRiskStore:
    def __init__(self, connection: Connection, render: Render | None = None) -> None:
        self.connection = connection
        self._dialect = connection.dialect.name
        self._signal_targets: dict[str, list[Target]] = {}
        self._render = render  # rich notifications' resources (signals/events.py)

    def _insert_ignoring_existing(self, table: Any) -> Any:
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing()

    def ensure_tenant(self, tenant_id: str) -> None:
        # Inserted only if missing: an insert that conflicts would still draw a key from
        # PostgreSQL's sequence, and this runs for every ingestion.
        missing = select(literal(tenant_id)).where(~exists().where(tenants.c.id == tenant_id))
        insert = self._insert_ignoring_existing(tenants).from_select(["id"], missing)
        self.connection.execute(insert)

    def tenant_key(self, tenant_id: str) -> int:
        """The key the bulk tables store for the tenant (made if new): see bulk.prepare_rows."""
        self.ensure_tenant(tenant_id)
        query = select(tenants.c.key).where(tenants.c.id == tenant_id)
        return int(self.connection.execute(query).scalar_one())

    def tenant_licences(self, tenant_id: str) -> Licences | None:
        row = reads.LICENCES.first(self.connection, {"tenant": tenant_id})
        if row is None:
            return None
        return Licences(Licence(row.licence), bool(row.workload_identities))

    def set_tenant_licences(
        self,
        tenant_id: str,
        *,
        entra: Licence | None = None,
        workload_identities: bool | None = None,
    ) -> None:
        self.ensure_tenant(tenant_id)
        values: dict[str, Any] = {}
        if entra is not None:
            values["licence"] = entra.value
        if workload_identities is not None:
            values["workload_identities"] = workload_identities
        if values:
            self.connection.execute(update(tenants).where(tenants.c.id == tenant_id).values(values))

    def list_tenants(self) -> list[TenantSummary]:
        """Every tenant (for its operator: the one query across tenants), by id."""
        u, t = users.c, tenants.c
        at_risk = func.sum(case((u.risk_state == RiskState.AT_RISK.value, 1), else_=0))
        query = (
            select(
                t.id, t.licence, func.count(u.id), func.coalesce(at_risk, 0), t.workload_identities
            )
            .select_from(
                tenants.outerjoin(users, and_(u.tenant_id == t.key, u.risk_state.is_not(None)))
            )
            .group_by(t.id, t.licence, t.workload_identities)
            .order_by(t.id)
        )
        return [
            TenantSummary(
                tenant_id=row[0],
                licence=Licence(row[1]),
                risky_users=row[2],
                at_risk=row[3],
                workload_identities=bool(row[4]),
            )
            for row in self.connection.execute(query)
        ]

    def has_users(self, tenant_id: str) -> bool:
        found = self.connection.execute(
            select(users.c.id).where(users.c.tenant_id == tenant_id).limit(1)
        ).first()
        return found is not None

    # Principals and their risk.
    def lock_principals(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, Principal]:
        s = stored(kind)
        return {
            row.id: rows.principal_from_row(s.shape, row)
            for row in self._lock(s.statements.lock, tenant_id, ids)
        }

    def lock_principals_and_latest_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> tuple[dict[str, Principal], dict[str, int]]:
        if self._dialect == "postgresql":
            # Read committed: a statement that waited for a row lock returns the row as its
            # holder committed it, but reads other tables as they were when it began; so the
            # history is read by a statement of its own, begun once the principals are locked.
            # SQLite's writers take the database's lock before their first read.
            found = self.lock_principals(kind, tenant_id, ids)
            return found, self.latest_history_ticks(kind, tenant_id, sorted(found))
        s = stored(kind)
        found = {}
        latest: dict[str, int] = {}
        for row in self._lock(s.statements.lock_with_latest_ticks, tenant_id, ids):
            found[row.id] = rows.principal_from_row(s.shape, row)
            if row.latest_ticks is not None:
                latest[row.id] = row.latest_ticks
        return found, latest

    def _lock(self, statement: Any, tenant_id: str, ids: Sequence[str]) -> Iterator[Any]:
        # In id order, chunk after chunk: concurrent writers lock rows in the same order.
        for chunk in _chunks(sorted(i for i in ids if _storable(i))):
            yield from self.connection.execute(statement, {"tenant": tenant_id, "ids": chunk})

    def add_missing_principals(
        self, kind: PrincipalKind, tenant_id: str, principals: Sequence[Principal]
    ) -> None:
        if not principals:
            return
        self.ensure_tenant(tenant_id)  # the rows name it by its key
        s = stored(kind)
        self.connection.execute(
            self._insert_ignoring_existing(s.principals),
            [rows.principal_values(s.shape, tenant_id, p) for p in principals],
        )

    def bulk_insert(
        self,
        tenant_id: str,
        *,
        users: Sequence[User] = (),
        detections: Sequence[RiskDetection] = (),
        history_items: Sequence[HistoryItem] = (),
    ) -> None:
        """Insert users' rows that must all be new, fast: for loading large tenants
        (see bulk.py)."""
        prepared = bulk.prepare_rows(
            self._dialect,
            self.tenant_key(tenant_id),
            users=users,
            detections=detections,
            history_items=history_items,
        )
        self.bulk_insert_rows(prepared)

    def bulk_insert_rows(self, prepared: bulk.BulkRows) -> None:
        """Insert rows made by bulk.prepare_rows (perhaps in another process)."""
        bulk.insert_rows(self.connection, prepared)

    def update_profiles(
        self, kind: PrincipalKind, tenant_id: str, principals: Sequence[Principal]
    ) -> None:
        if not principals:
            return
        s = stored(kind)
        table = s.principals
        names = [f.name for f in s.shape.profile]
        statement = (
            update(table)
            .where(table.c.tenant_id == bindparam("t"), table.c.id == bindparam("pid"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        values = [
            {
                "t": tenant_id,
                "pid": p.id,
                **{f"new_{n}": v for n, v in rows.profile_values(s.shape, p).items()},
            }
            for p in principals
        ]
        self.connection.execute(statement, values)

    def set_deleted(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str], deleted: bool
    ) -> None:
        table = stored(kind).principals
        for chunk in _chunks(ids):
            self.connection.execute(
                update(table)
                .where(table.c.tenant_id == tenant_id, table.c.id.in_(chunk))
                .values(is_deleted=deleted)
            )

    def save_risks(self, kind: PrincipalKind, tenant_id: str, risks: dict[str, Risk]) -> None:
        # Principals given the same risk (all those of one action) change in one statement.
        by_risk: dict[Risk, list[str]] = {}
        for pid, risk in risks.items():
            by_risk.setdefault(risk, []).append(pid)
        statement = stored(kind).statements.save_risk
        for risk, ids in by_risk.items():
            values = {f"new_{name}": value for name, value in rows.risk_values(risk).items()}
            for chunk in _chunks(sorted(ids)):
                self.connection.execute(statement, {"tenant": tenant_id, "ids": chunk, **values})

    def record_changes(self, tenant_id: str, changes: Sequence[Change]) -> None:
        # In this unit of work: the events commit with the changes (store/outbox.py). The
        # tenant's streams are read once per unit of work.
        found = self._signal_targets.get(tenant_id)
        if found is None:
            found = self._signal_targets[tenant_id] = outbox.targets(self.connection, tenant_id)
        outbox.enqueue(self.connection, changes, found, self._render)

    def get_risky_principal(
        self, kind: PrincipalKind, tenant_id: str, principal_id: str
    ) -> Principal | None:
        if not _storable(principal_id):
            return None
        s = stored(kind)
        row = s.reads.risky.first(self.connection, {"tenant": tenant_id, "id": principal_id})
        return rows.principal_from_row(s.shape, row) if row else None

    def list_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Principal]:
        return listing.list_risky_principals(self.connection, stored(kind), tenant_id, page, view)

    def count_risky_principals(
        self, kind: PrincipalKind, tenant_id: str, filter: Node | None, view: View
    ) -> int:
        return listing.count_risky_principals(
            self.connection, stored(kind), tenant_id, filter, view
        )

    # History.
    def latest_history_ticks(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, int]:
        statement = stored(kind).statements.latest_ticks
        latest: dict[str, int] = {}
        for chunk in _chunks(ids):
            found = self.connection.execute(statement, {"tenant": tenant_id, "ids": chunk})
            latest.update((row[0], row[1]) for row in found)
        return latest

    def add_history_items(
        self, kind: PrincipalKind, tenant_id: str, items: Sequence[HistoryItem]
    ) -> None:
        if items:
            s = stored(kind)
            self.connection.execute(
                s.statements.add_history,
                [rows.history_values(s.shape, tenant_id, i) for i in items],
            )

    def list_history(
        self,
        kind: PrincipalKind,
        tenant_id: str,
        principal_id: str,
        page: PageRequest,
        view: View,
    ) -> Page[HistoryItem]:
        return listing.list_history(
            self.connection, stored(kind), tenant_id, principal_id, page, view
        )

    def get_history_item(
        self, kind: PrincipalKind, tenant_id: str, principal_id: str, ticks: int
    ) -> HistoryItem | None:
        s = stored(kind)
        key = {"tenant": tenant_id, "id": principal_id, "ticks": ticks}
        row = s.reads.history_item.first(self.connection, key)
        return rows.history_from_row(s.shape, row) if row else None

    # Risk detections.
    def active_detection_levels(
        self, kind: PrincipalKind, tenant_id: str, ids: Sequence[str]
    ) -> dict[str, list[RiskLevel]]:
        statement = stored(kind).statements.active_levels
        found: dict[str, list[RiskLevel]] = {}
        for chunk in _chunks(ids):
            for pid, level in self.connection.execute(
                statement, {"tenant": tenant_id, "ids": chunk}
            ):
                found.setdefault(pid, []).append(RiskLevel(level))
        return found

    def existing_detection_ids(
        self, kind: PrincipalKind, tenant_id: str, detection_ids: Sequence[str]
    ) -> set[str]:
        d = stored(kind).detections.c
        found: set[str] = set()
        for chunk in _chunks(detection_ids):
            query = select(d.id).where(d.tenant_id == tenant_id, d.id.in_(chunk))
            found.update(self.connection.scalars(query))
        return found

    def add_detections(
        self, kind: PrincipalKind, tenant_id: str, detections: Sequence[Detection]
    ) -> None:
        if detections:
            s = stored(kind)
            infos = {d.additional_info for d in detections if d.additional_info is not None}
            bulk.save_infos(self.connection, infos)  # first: a detection names its info's row
            self.connection.execute(
                insert(s.detections),
                [rows.detection_values(s.shape, tenant_id, d) for d in detections],
            )

    def close_active_detections(
        self,
        kind: PrincipalKind,
        tenant_id: str,
        ids: Sequence[str],
        *,
        closed_as: tuple[RiskState, RiskDetail],
        at: datetime,
    ) -> None:
        state, detail = closed_as
        closing = {"new_state": state.value, "new_detail": detail.value, "new_last_updated_at": at}
        statement = stored(kind).statements.close_detections
        for chunk in _chunks(ids):
            self.connection.execute(statement, {"tenant": tenant_id, "ids": chunk, **closing})

    def get_risk_detection(
        self, kind: PrincipalKind, tenant_id: str, detection_id: str
    ) -> Detection | None:
        if not _storable(detection_id):
            return None
        s = stored(kind)
        row = s.reads.detection.first(self.connection, {"tenant": tenant_id, "id": detection_id})
        return rows.detection_from_row(s.shape, row) if row else None

    def list_risk_detections(
        self, kind: PrincipalKind, tenant_id: str, page: PageRequest, view: View
    ) -> Page[Detection]:
        return listing.list_risk_detections(self.connection, stored(kind), tenant_id, page, view)

    # Sign-ins and threat lists (the risk engine's; engine/ingest.py SignInStore).
    def existing_sign_in_ids(self, tenant_id: str, ids: Sequence[str]) -> set[str]:
        return signins.existing_sign_in_ids(self.connection, tenant_id, ids)

    def add_sign_ins(self, tenant_id: str, found: Sequence[SignIn]) -> None:
        signins.add_sign_ins(self.connection, tenant_id, found)

    def set_sign_in_risks(self, tenant_id: str, risks: Mapping[str, SignInRisk]) -> None:
        signins.set_sign_in_risks(self.connection, tenant_id, risks)

    def sign_in_history(self, tenant_id: str) -> SqlSignInHistory:
        return SqlSignInHistory(self.connection, tenant_id)

    def threat_lists(self, tenant_id: str) -> threat_lists.SqlThreatLists:
        return threat_lists.SqlThreatLists(self.connection, tenant_id)

    def replace_ip_list(self, tenant_id: str, name: str, networks: Sequence[str]) -> int:
        self.ensure_tenant(tenant_id)
        return threat_lists.replace_ip_list(self.connection, tenant_id, name, networks)

    def add_leaked_credentials(self, tenant_id: str, digests: Sequence[str]) -> int:
        self.ensure_tenant(tenant_id)
        return threat_lists.add_leaked_credentials(self.connection, tenant_id, digests)
