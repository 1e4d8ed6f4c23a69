"""Reads of one entity by its key, built and compiled once (compiled.py): a statement built per
request costs more than the read itself (docs/performance.md)."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from idprotect.store.compiled import CompiledSelect
from idprotect.store.rows import read_columns
from idprotect.store.tables import risk_detections, risky_user_history, tenants, users

_u, _h, _d = users.c, risky_user_history.c, risk_detections.c

RISKY_USER = CompiledSelect(
    select(*read_columns(users)).where(
        _u.tenant_id == bindparam("tenant"), _u.id == bindparam("id"), _u.risk_state.is_not(None)
    )
)
HISTORY_ITEM = CompiledSelect(
    select(*read_columns(risky_user_history)).where(
        _h.tenant_id == bindparam("tenant"),
        _h.user_id == bindparam("user"),
        _h.ticks == bindparam("ticks"),
    )
)
RISK_DETECTION = CompiledSelect(
    select(*read_columns(risk_detections)).where(
        _d.tenant_id == bindparam("tenant"), _d.id == bindparam("id")
    )
)
LICENCE = CompiledSelect(select(tenants.c.licence).where(tenants.c.id == bindparam("tenant")))
