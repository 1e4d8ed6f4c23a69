"""SqlRiskStore: the domain's RiskStore on one SQLAlchemy connection (never commits)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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

from idprotect.domain.enums import RiskDetail, RiskState
from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser, User, UserRisk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import Licence, TenantSummary
from idprotect.store import action_statements as sql
from idprotect.store import bulk, listing, reads, rows
from idprotect.store.tables import risk_detections, tenants, users

_CHUNK = 500
# Every row of one executemany carries the same columns: users without risk say so.
_NO_RISK = dict.fromkeys(sql.RISK_COLUMNS)


def _storable(value: str) -> bool:
    """Whether a key can be stored at all: PostgreSQL text refuses NUL, so no key holds one."""
    return "\x00" not in value


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlRiskStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._dialect = connection.dialect.name

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

    def tenant_licence(self, tenant_id: str) -> Licence | None:
        row = reads.LICENCE.first(self.connection, {"tenant": tenant_id})
        return Licence(row.licence) if row is not None and row.licence is not None else None

    def set_tenant_licence(self, tenant_id: str, licence: Licence) -> None:
        self.ensure_tenant(tenant_id)
        self.connection.execute(
            update(tenants).where(tenants.c.id == tenant_id).values(licence=licence.value)
        )

    def list_tenants(self) -> list[TenantSummary]:
        """Every tenant (for its operator: the one query across tenants), by id."""
        u, t = users.c, tenants.c
        at_risk = func.sum(case((u.risk_state == RiskState.AT_RISK.value, 1), else_=0))
        query = (
            select(t.id, t.licence, func.count(u.id), func.coalesce(at_risk, 0))
            .select_from(
                tenants.outerjoin(users, and_(u.tenant_id == t.key, u.risk_state.is_not(None)))
            )
            .group_by(t.id, t.licence)
            .order_by(t.id)
        )
        return [
            TenantSummary(
                tenant_id=row[0], licence=Licence(row[1]), risky_users=row[2], at_risk=row[3]
            )
            for row in self.connection.execute(query)
        ]

    def has_users(self, tenant_id: str) -> bool:
        found = self.connection.execute(
            select(users.c.id).where(users.c.tenant_id == tenant_id).limit(1)
        ).first()
        return found is not None

    # Directory users and their risk.
    def lock_users(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, User]:
        return {
            row.id: rows.user_from_row(row)
            for row in self._lock(sql.LOCK_USERS, tenant_id, user_ids)
        }

    def lock_users_and_latest_ticks(
        self, tenant_id: str, user_ids: Sequence[str]
    ) -> tuple[dict[str, User], dict[str, int]]:
        if self._dialect == "postgresql":
            # Read committed: a statement that waited for a row lock returns the row as its
            # holder committed it, but reads other tables as they were when it began; so the
            # history is read by a statement of its own, begun once the users are locked.
            # SQLite's writers take the database's lock before their first read.
            found = self.lock_users(tenant_id, user_ids)
            return found, self.latest_history_ticks(tenant_id, sorted(found))
        found = {}
        latest: dict[str, int] = {}
        for row in self._lock(sql.LOCK_USERS_AND_LATEST_TICKS, tenant_id, user_ids):
            found[row.id] = rows.user_from_row(row)
            if row.latest_ticks is not None:
                latest[row.id] = row.latest_ticks
        return found, latest

    def _lock(self, statement: Any, tenant_id: str, user_ids: Sequence[str]) -> Iterator[Any]:
        # In id order, chunk after chunk: concurrent writers lock rows in the same order.
        for chunk in _chunks(sorted(i for i in user_ids if _storable(i))):
            yield from self.connection.execute(statement, {"tenant": tenant_id, "ids": chunk})

    def add_missing_users(self, tenant_id: str, new_users: Sequence[User]) -> None:
        if not new_users:
            return
        self.ensure_tenant(tenant_id)  # the users' rows name it by its key
        self.connection.execute(
            self._insert_ignoring_existing(users),
            [
                {
                    "tenant_id": tenant_id,
                    "id": user.id,
                    "display_name": user.display_name,
                    "user_principal_name": user.user_principal_name,
                    "is_deleted": user.is_deleted,
                    "is_processing": False,
                    **(rows.risk_values(user.risk) if user.risk else _NO_RISK),
                }
                for user in new_users
            ],
        )

    def bulk_insert(
        self,
        tenant_id: str,
        *,
        users: Sequence[User] = (),
        detections: Sequence[RiskDetection] = (),
        history_items: Sequence[HistoryItem] = (),
    ) -> None:
        """Insert rows that must all be new, fast: for loading large tenants (see bulk.py)."""
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

    def update_user_names(self, tenant_id: str, named: Sequence[User]) -> None:
        if not named:
            return
        statement = (
            update(users)
            .where(users.c.tenant_id == bindparam("t"), users.c.id == bindparam("uid"))
            .values(display_name=bindparam("dn"), user_principal_name=bindparam("upn"))
        )
        self.connection.execute(
            statement,
            [
                {"t": tenant_id, "uid": u.id, "dn": u.display_name, "upn": u.user_principal_name}
                for u in named
            ],
        )

    def set_users_deleted(self, tenant_id: str, user_ids: Sequence[str], deleted: bool) -> None:
        for chunk in _chunks(user_ids):
            self.connection.execute(
                update(users)
                .where(users.c.tenant_id == tenant_id, users.c.id.in_(chunk))
                .values(is_deleted=deleted)
            )

    def save_user_risks(self, tenant_id: str, risks: dict[str, UserRisk]) -> None:
        # Users given the same risk (all users of one action) are updated in one statement.
        by_risk: dict[UserRisk, list[str]] = {}
        for uid, risk in risks.items():
            by_risk.setdefault(risk, []).append(uid)
        for risk, user_ids in by_risk.items():
            values = {f"new_{name}": value for name, value in rows.risk_values(risk).items()}
            for chunk in _chunks(sorted(user_ids)):
                self.connection.execute(
                    sql.SAVE_RISK, {"tenant": tenant_id, "ids": chunk, **values}
                )

    def get_risky_user(self, tenant_id: str, user_id: str) -> RiskyUser | None:
        if not _storable(user_id):
            return None
        key = {"tenant": tenant_id, "id": user_id}
        row = reads.RISKY_USER.first(self.connection, key)
        return rows.risky_user_from_row(row) if row else None

    def list_risky_users(self, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
        return listing.list_risky_users(self.connection, tenant_id, page)

    def count_risky_users(self, tenant_id: str, filter: Node | None) -> int:
        return listing.count_risky_users(self.connection, tenant_id, filter)

    # History.
    def latest_history_ticks(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, int]:
        latest: dict[str, int] = {}
        for chunk in _chunks(user_ids):
            found = self.connection.execute(
                sql.LATEST_HISTORY_TICKS, {"tenant": tenant_id, "ids": chunk}
            )
            latest.update((row[0], row[1]) for row in found)
        return latest

    def add_history_items(self, tenant_id: str, items: Sequence[HistoryItem]) -> None:
        if items:
            self.connection.execute(
                sql.ADD_HISTORY, [rows.history_values(tenant_id, i) for i in items]
            )

    def list_history(self, tenant_id: str, user_id: str, page: PageRequest) -> Page[HistoryItem]:
        return listing.list_history(self.connection, tenant_id, user_id, page)

    def get_history_item(self, tenant_id: str, user_id: str, ticks: int) -> HistoryItem | None:
        key = {"tenant": tenant_id, "user": user_id, "ticks": ticks}
        row = reads.HISTORY_ITEM.first(self.connection, key)
        return rows.history_from_row(row) if row else None

    # Risk detections.
    def active_detections(self, tenant_id: str, user_ids: Sequence[str]) -> list[RiskDetection]:
        d = risk_detections.c
        found: list[RiskDetection] = []
        for chunk in _chunks(user_ids):
            query = select(*rows.read_columns(risk_detections)).where(
                d.tenant_id == tenant_id, d.user_id.in_(chunk), d.risk_state.in_(sql.ACTIVE)
            )
            found.extend(rows.detection_from_row(row) for row in self.connection.execute(query))
        return found

    def existing_detection_ids(self, tenant_id: str, detection_ids: Sequence[str]) -> set[str]:
        d = risk_detections.c
        found: set[str] = set()
        for chunk in _chunks(detection_ids):
            query = select(d.id).where(d.tenant_id == tenant_id, d.id.in_(chunk))
            found.update(self.connection.scalars(query))
        return found

    def add_detections(self, tenant_id: str, detections: Sequence[RiskDetection]) -> None:
        if detections:
            infos = {d.additional_info for d in detections if d.additional_info is not None}
            bulk.save_infos(self.connection, infos)  # first: a detection names its info's row
            self.connection.execute(
                insert(risk_detections),
                [rows.detection_values(tenant_id, d) for d in detections],
            )

    def close_active_detections(
        self,
        tenant_id: str,
        user_ids: Sequence[str],
        *,
        closed_as: tuple[RiskState, RiskDetail],
        at: datetime,
    ) -> None:
        state, detail = closed_as
        closing = {"new_state": state.value, "new_detail": detail.value, "new_last_updated_at": at}
        for chunk in _chunks(user_ids):
            self.connection.execute(
                sql.CLOSE_DETECTIONS, {"tenant": tenant_id, "ids": chunk, **closing}
            )

    def get_risk_detection(self, tenant_id: str, detection_id: str) -> RiskDetection | None:
        if not _storable(detection_id):
            return None
        key = {"tenant": tenant_id, "id": detection_id}
        row = reads.RISK_DETECTION.first(self.connection, key)
        return rows.detection_from_row(row) if row else None

    def list_risk_detections(
        self, tenant_id: str, page: PageRequest, *, licence: Licence = Licence.P2
    ) -> Page[RiskDetection]:
        return listing.list_risk_detections(self.connection, tenant_id, page, licence)
