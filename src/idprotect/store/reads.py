"""The tenant's licences, read by key on every request: built and compiled once (compiled.py).

Each kind's reads by key are in store/kinds.py.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from idprotect.store.compiled import CompiledSelect
from idprotect.store.tables import tenants

LICENCES = CompiledSelect(
    select(tenants.c.licence, tenants.c.workload_identities).where(
        tenants.c.id == bindparam("tenant")
    )
)
