"""SqlRiskStore: the domain's RiskStore on one SQLAlchemy connection (never commits)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser, User, UserRisk
from idprotect.domain.paging import Page, PageRequest, Position
from idprotect.domain.tenants import Licence
from idprotect.domain.transitions import ACTIVE_DETECTION_STATES
from idprotect.errors import BadRequest
from idprotect.store import bulk, rows
from idprotect.store.tables import risk_detections, risky_user_history, tenants, users

_CHUNK = 500
# Every row of one executemany carries the same columns: users without risk say so.
_NO_RISK = dict.fromkeys(("risk_level", "risk_state", "risk_detail", "risk_last_updated_at"))
_ACTIVE = sorted(state.value for state in ACTIVE_DETECTION_STATES)
_INVALID_SKIPTOKEN = "The $skiptoken is not valid for this collection."


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
        self.connection.execute(self._insert_ignoring_existing(tenants), {"id": tenant_id})

    def tenant_licence(self, tenant_id: str) -> Licence | None:
        licence = self.connection.execute(
            select(tenants.c.licence).where(tenants.c.id == tenant_id)
        ).scalar()
        return Licence(licence) if licence is not None else None

    def set_tenant_licence(self, tenant_id: str, licence: Licence) -> None:
        self.ensure_tenant(tenant_id)
        self.connection.execute(
            update(tenants).where(tenants.c.id == tenant_id).values(licence=licence.value)
        )

    def has_users(self, tenant_id: str) -> bool:
        found = self.connection.execute(
            select(users.c.id).where(users.c.tenant_id == tenant_id).limit(1)
        ).first()
        return found is not None

    # Directory users and their risk.
    def lock_users(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, User]:
        found: dict[str, User] = {}
        for chunk in _chunks(sorted(i for i in user_ids if _storable(i))):
            query = (
                select(users)
                .where(users.c.tenant_id == tenant_id, users.c.id.in_(chunk))
                .order_by(users.c.id)
                .with_for_update()
            )
            for row in self.connection.execute(query):
                found[row.id] = rows.user_from_row(row)
        return found

    def add_missing_users(self, tenant_id: str, new_users: Sequence[User]) -> None:
        if not new_users:
            return
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
            tenant_id,
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
        if not risks:
            return
        statement = (
            update(users)
            .where(users.c.tenant_id == bindparam("t"), users.c.id == bindparam("uid"))
            .values(
                risk_level=bindparam("lvl"),
                risk_state=bindparam("st"),
                risk_detail=bindparam("dt"),
                risk_last_updated_at=bindparam("at"),
            )
        )
        self.connection.execute(
            statement,
            [
                {
                    "t": tenant_id,
                    "uid": uid,
                    "lvl": risk.level.value,
                    "st": risk.state.value,
                    "dt": risk.detail.value,
                    "at": risk.last_updated,
                }
                for uid, risk in risks.items()
            ],
        )

    def get_risky_user(self, tenant_id: str, user_id: str) -> RiskyUser | None:
        if not _storable(user_id):
            return None
        row = self.connection.execute(
            select(users).where(
                users.c.tenant_id == tenant_id,
                users.c.id == user_id,
                users.c.risk_state.is_not(None),
            )
        ).first()
        return rows.risky_user_from_row(row) if row else None

    def list_risky_users(self, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
        query = select(users).where(users.c.tenant_id == tenant_id, users.c.risk_state.is_not(None))
        if page.after is not None:
            (after_id,) = _position(page.after, str)
            query = query.where(users.c.id > after_id)
        found = self.connection.execute(query.order_by(users.c.id).limit(page.limit + 1)).all()
        items = [rows.risky_user_from_row(row) for row in found[: page.limit]]
        more = len(found) > page.limit
        return Page(items=items, next_after=(items[-1].id,) if more else None)

    # History.
    def latest_history_ticks(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, int]:
        latest: dict[str, int] = {}
        h = risky_user_history.c
        for chunk in _chunks(user_ids):
            query = (
                select(h.user_id, func.max(h.ticks))
                .where(h.tenant_id == tenant_id, h.user_id.in_(chunk))
                .group_by(h.user_id)
            )
            latest.update((row[0], row[1]) for row in self.connection.execute(query))
        return latest

    def add_history_items(self, tenant_id: str, items: Sequence[HistoryItem]) -> None:
        if items:
            self.connection.execute(
                insert(risky_user_history), [rows.history_values(tenant_id, i) for i in items]
            )

    def list_history(self, tenant_id: str, user_id: str, page: PageRequest) -> Page[HistoryItem]:
        h = risky_user_history.c
        query = select(risky_user_history).where(h.tenant_id == tenant_id, h.user_id == user_id)
        if page.after is not None:
            (after_ticks,) = _position(page.after, int)
            query = query.where(h.ticks < after_ticks)
        found = self.connection.execute(query.order_by(h.ticks.desc()).limit(page.limit + 1)).all()
        items = [rows.history_from_row(row) for row in found[: page.limit]]
        more = len(found) > page.limit
        return Page(items=items, next_after=(items[-1].ticks,) if more else None)

    def get_history_item(self, tenant_id: str, user_id: str, ticks: int) -> HistoryItem | None:
        h = risky_user_history.c
        row = self.connection.execute(
            select(risky_user_history).where(
                h.tenant_id == tenant_id, h.user_id == user_id, h.ticks == ticks
            )
        ).first()
        return rows.history_from_row(row) if row else None

    # Risk detections.
    def active_detections(self, tenant_id: str, user_ids: Sequence[str]) -> list[RiskDetection]:
        d = risk_detections.c
        found: list[RiskDetection] = []
        for chunk in _chunks(user_ids):
            query = select(risk_detections).where(
                d.tenant_id == tenant_id, d.user_id.in_(chunk), d.risk_state.in_(_ACTIVE)
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
            self.connection.execute(
                insert(risk_detections),
                [rows.detection_values(tenant_id, d) for d in detections],
            )

    def update_detection_states(self, tenant_id: str, detections: Sequence[RiskDetection]) -> None:
        if not detections:
            return
        d = risk_detections.c
        statement = (
            update(risk_detections)
            .where(d.tenant_id == bindparam("t"), d.id == bindparam("did"))
            .values(
                risk_state=bindparam("st"),
                risk_detail=bindparam("dt"),
                last_updated_at=bindparam("at"),
            )
        )
        self.connection.execute(
            statement,
            [
                {
                    "t": tenant_id,
                    "did": det.id,
                    "st": det.risk_state.value,
                    "dt": det.risk_detail.value,
                    "at": det.last_updated_at,
                }
                for det in detections
            ],
        )

    def get_risk_detection(self, tenant_id: str, detection_id: str) -> RiskDetection | None:
        if not _storable(detection_id):
            return None
        d = risk_detections.c
        row = self.connection.execute(
            select(risk_detections).where(d.tenant_id == tenant_id, d.id == detection_id)
        ).first()
        return rows.detection_from_row(row) if row else None

    def list_risk_detections(self, tenant_id: str, page: PageRequest) -> Page[RiskDetection]:
        """Newest detection first; ties on detectedDateTime broken by id."""
        d = risk_detections.c
        query = select(risk_detections).where(d.tenant_id == tenant_id)
        if page.after is not None:
            after_at, after_id = _position(page.after, str, str)
            moment = _parse_moment(after_at)
            query = query.where(
                or_(d.detected_at < moment, and_(d.detected_at == moment, d.id < after_id))
            )
        ordered = query.order_by(d.detected_at.desc(), d.id.desc()).limit(page.limit + 1)
        found = self.connection.execute(ordered).all()
        items = [rows.detection_from_row(row) for row in found[: page.limit]]
        more = len(found) > page.limit
        last = items[-1] if more else None
        return Page(
            items=items,
            next_after=(last.detected_at.isoformat(), last.id) if last else None,
        )


def _position(after: Position, *types: type) -> tuple[Any, ...]:
    """A page position as this collection writes it; anything else is a forged token."""
    if len(after) != len(types) or not all(
        isinstance(value, kind)
        and not isinstance(value, bool)
        and (not isinstance(value, str) or _storable(value))
        for value, kind in zip(after, types, strict=True)
    ):
        raise BadRequest(_INVALID_SKIPTOKEN)
    return tuple(after)


def _parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
        # Stored as UTC: a moment that has no UTC form (year 1 at +05:00) was forged.
        if moment.tzinfo is not None:
            moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(_INVALID_SKIPTOKEN) from None
    if moment.tzinfo is None:
        raise BadRequest(_INVALID_SKIPTOKEN)
    return moment
