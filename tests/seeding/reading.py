"""Reading a whole tenant back through the store, and the consistency rules seeded data keeps."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from idprotect.domain.enums import RiskLevel, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.models import RiskDetection, User
from idprotect.domain.paging import PageRequest
from idprotect.domain.tenants import View
from idprotect.domain.transitions import ACTIVE_DETECTION_STATES, aggregate_level
from idprotect.store.encodings import RISK_LEVELS
from idprotect.store.engine import Database
from idprotect.store.tables import risk_detections, risky_user_history, users


@dataclass(frozen=True)
class Tenant:
    risky_users: list[User]
    detections: list[RiskDetection]
    active: dict[str, list[RiskDetection]]
    history_counts: dict[str, int]
    directory_users: int


def read_tenant(database: Database, tenant_id: str) -> Tenant:
    with database.unit_of_work() as store:
        risky: list[User] = []
        page = store.list_risky_principals(USER, tenant_id, PageRequest(limit=1000), View.FULL)
        risky.extend(page.items)
        while page.next_after is not None:
            page = store.list_risky_principals(
                USER, tenant_id, PageRequest(1000, page.next_after), View.FULL
            )
            risky.extend(page.items)
        detections: list[RiskDetection] = []
        found = store.list_risk_detections(USER, tenant_id, PageRequest(limit=5000), View.FULL)
        detections.extend(found.items)
        while found.next_after is not None:
            found = store.list_risk_detections(
                USER, tenant_id, PageRequest(5000, found.next_after), View.FULL
            )
            detections.extend(found.items)
        active: dict[str, list[RiskDetection]] = defaultdict(list)
        risky_ids = {u.id for u in risky}
        for detection in detections:
            if (
                detection.risk_state in ACTIVE_DETECTION_STATES
                and detection.principal_id in risky_ids
            ):
                active[detection.principal_id].append(detection)
        h = risky_user_history.c
        counts = store.connection.execute(
            select(h.user_id, func.count()).where(h.tenant_id == tenant_id).group_by(h.user_id)
        ).all()
        directory = store.connection.execute(
            select(func.count()).select_from(users).where(users.c.tenant_id == tenant_id)
        ).scalar_one()
    return Tenant(risky, detections, dict(active), dict(counts), directory)


def assert_consistent(tenant: Tenant) -> None:
    """Each user's risk follows from their detections by the domain's rules."""
    for user in tenant.risky_users:
        active = tenant.active.get(user.id, [])
        state, level = user.risk.state, user.risk.level
        if state is RiskState.AT_RISK:
            assert level is aggregate_level([d.risk_level for d in active]), user
            assert level is not RiskLevel.NONE, user
        elif state is RiskState.CONFIRMED_COMPROMISED:
            assert level is RiskLevel.HIGH, user
            assert "adminConfirmedUserCompromised" in {d.risk_event_type for d in active}, user
        else:
            assert state in {RiskState.DISMISSED, RiskState.CONFIRMED_SAFE}, user
            assert (level, active) == (RiskLevel.NONE, []), user
        assert tenant.history_counts.get(user.id, 0) >= 1, user


def rows_digest(database: Database, tenant_id: str) -> str:
    """A SHA-256 of every row of the tenant's users, detections and history, in key order: the
    same on SQLite and PostgreSQL (values as SQLAlchemy gives them back), each row laid out as
    migration 0005 stored it (its columns in that order, a user's riskLevel rank at the end),
    so that a digest taken then still names the same rows."""
    digest = hashlib.sha256()
    with database.unit_of_work() as store:
        for table in (users, risk_detections, risky_user_history):
            key = list(table.primary_key.columns)
            columns = [table.c[name] for name in _LAYOUT_0005[table.name]]
            query = select(*columns).where(table.c.tenant_id == tenant_id).order_by(*key)
            for row in store.connection.execute(query):
                values = tuple(row)
                if table is users:
                    level = row.risk_level
                    values += (None if level is None else RISK_LEVELS.index(level),)
                digest.update(repr(values).encode())
    return digest.hexdigest()


_LAYOUT_0005 = {
    "users": [c.name for c in users.c],
    "risky_user_history": [c.name for c in risky_user_history.c],
    "risk_detections": [
        *(
            c.name
            for c in risk_detections.c
            if c.name not in ("mitre_technique_id", "additional_info")
        ),
        "additional_info",
        "mitre_technique_id",
    ],
}
