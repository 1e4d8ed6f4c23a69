"""The schema's base: the metadata (its naming convention), the aware UTC datetime type, and
the tenants every row belongs to, with the compact column types of the bulk tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    func,
    text,
)

from idprotect.store.encodings import (
    RISK_DETAILS,
    RISK_LEVELS,
    RISK_STATES,
    EnumCode,
    KeyOf,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


tenants = Table(
    "tenants",
    metadata,
    # What the bulk tables store to name a tenant (encodings.KeyOf): a byte or two, not the id.
    Column("key", Integer, primary_key=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("display_name", String(256)),
    Column("licence", String(16), nullable=False, server_default=text("'P2'")),
    # Microsoft Entra Workload ID Premium (the service-principal APIs' full detail).
    Column("workload_identities", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)
# The bulk tables' tenant_id: written and compared as the tenant's id, stored as its key.
TENANT = KeyOf(tenants.c.key, tenants.c.id, found_by=tenants.c.id, found_as=String(64))
LEVEL = EnumCode(RISK_LEVELS)
STATE = EnumCode(RISK_STATES)
DETAIL = EnumCode(RISK_DETAILS)
