"""The statements an admin action runs on every request, built once at import.

Building a statement (and its cache key) per call cost more than SQLite takes to run it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update

from idprotect.domain.transitions import ACTIVE_DETECTION_STATES
from idprotect.store.tables import risk_detections, risky_user_history, tenants, users

_u, _h, _d = users.c, risky_user_history.c, risk_detections.c
ACTIVE = sorted(state.value for state in ACTIVE_DETECTION_STATES)
# A user's risk columns, as `rows.risk_values` names them.
RISK_COLUMNS = ("risk_level", "risk_state", "risk_detail", "risk_last_updated_at")

LICENCE = select(tenants.c.licence).where(tenants.c.id == bindparam("tenant"))
# What `rows.user_from_row` reads, in id order: concurrent writers lock rows in the same order.
LOCK_USERS = (
    select(
        _u.id,
        _u.display_name,
        _u.user_principal_name,
        _u.is_deleted,
        _u.is_processing,
        *(_u[name] for name in RISK_COLUMNS),
    )
    .where(_u.tenant_id == bindparam("tenant"), _u.id.in_(bindparam("ids", expanding=True)))
    .order_by(_u.id)
    .with_for_update()
)
# With each user's newest history ticks: one seek on the history's key per user.
LOCK_USERS_AND_LATEST_TICKS = LOCK_USERS.add_columns(
    select(func.max(_h.ticks))
    .where(_h.tenant_id == _u.tenant_id, _h.user_id == _u.id)
    .scalar_subquery()
    .label("latest_ticks")
)
LATEST_HISTORY_TICKS = (
    select(_h.user_id, func.max(_h.ticks))
    .where(_h.tenant_id == bindparam("tenant"), _h.user_id.in_(bindparam("ids", expanding=True)))
    .group_by(_h.user_id)
)
# Parameters named apart from the columns: SQLAlchemy keeps column names for SET values.
SAVE_RISK = (
    update(users)
    .where(_u.tenant_id == bindparam("tenant"), _u.id.in_(bindparam("ids", expanding=True)))
    .values({name: bindparam(f"new_{name}") for name in RISK_COLUMNS})
)
ADD_HISTORY = insert(risky_user_history)
CLOSE_DETECTIONS = (
    update(risk_detections)
    .where(
        _d.tenant_id == bindparam("tenant"),
        _d.user_id.in_(bindparam("ids", expanding=True)),
        _d.risk_state.in_(ACTIVE),
    )
    .values(
        risk_state=bindparam("new_state"),
        risk_detail=bindparam("new_detail"),
        last_updated_at=bindparam("new_last_updated_at"),
    )
)
