"""The schema. Every row carries its tenant id, which leads every key and index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    text,
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
    Column("id", String(64), primary_key=True),
    Column("display_name", String(256)),
    Column("licence", String(16), nullable=False, server_default=text("'P2'")),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)

# A directory user; the risk_* columns are set once the user has ever been risky, and such a
# user is what Graph lists as a riskyUser.
users = Table(
    "users",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("display_name", String(256)),
    Column("user_principal_name", String(256)),
    Column("is_deleted", Boolean, nullable=False, server_default=text("false")),
    Column("is_processing", Boolean, nullable=False, server_default=text("false")),
    Column("risk_level", String(32)),
    Column("risk_state", String(32)),
    Column("risk_detail", String(64)),
    Column("risk_last_updated_at", UtcDateTime()),
    # riskLevel's ordinal in Graph's enum (low 0 ... none 4), so `$orderby=riskLevel` can
    # walk an index: written with risk_level, never on its own.
    Column("risk_level_rank", SmallInteger),
)
Index("ix_users_tenant_risky", users.c.tenant_id, users.c.risk_state, users.c.id)
# Keyset paging walks these in order: equality filters first, then the sort key, then id.
# Every action rewrites a user's risk columns, and so these entries: each index here slows
# writes (docs/performance.md), so `riskLevel eq x and riskState eq y` has no index of its own
# (it walks one of the two and filters the other).
Index(
    "ix_users_tenant_level_updated",
    users.c.tenant_id,
    users.c.risk_level,
    users.c.risk_last_updated_at,
    users.c.id,
)
Index(
    "ix_users_tenant_state_updated",
    users.c.tenant_id,
    users.c.risk_state,
    users.c.risk_last_updated_at,
    users.c.id,
)
Index("ix_users_tenant_updated", users.c.tenant_id, users.c.risk_last_updated_at, users.c.id)
Index("ix_users_tenant_rank", users.c.tenant_id, users.c.risk_level_rank, users.c.id)
# Nullable sort keys. OData puts nulls first ascending and last descending: PostgreSQL's index
# needs NULLS FIRST for that (a backward scan gives the other way); SQLite's indexes order NULLs
# so already and refuse the words, so migration 0003 writes them on PostgreSQL only.
Index(
    "ix_users_tenant_upn",
    users.c.tenant_id,
    users.c.user_principal_name.nulls_first(),
    users.c.id,
)
Index("ix_users_tenant_name", users.c.tenant_id, users.c.display_name.nulls_first(), users.c.id)

risky_user_history = Table(
    "risky_user_history",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("user_id", String(128), primary_key=True),
    Column("ticks", BigInteger, primary_key=True),
    Column("display_name", String(256)),
    Column("user_principal_name", String(256)),
    Column("is_deleted", Boolean, nullable=False),
    Column("is_processing", Boolean, nullable=False),
    Column("risk_level", String(32), nullable=False),
    Column("risk_state", String(32), nullable=False),
    Column("risk_detail", String(64), nullable=False),
    Column("risk_last_updated_at", UtcDateTime(), nullable=False),
    Column("activity_detail", String(64)),
    Column("activity_risk_event_types", Text, nullable=False),
    Column("initiated_by", String(128)),
)

risk_detections = Table(
    "risk_detections",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("user_id", String(128), nullable=False),
    Column("user_display_name", String(256)),
    Column("user_principal_name", String(256)),
    Column("risk_event_type", String(128), nullable=False),
    Column("risk_level", String(32), nullable=False),
    Column("risk_state", String(32), nullable=False),
    Column("risk_detail", String(64), nullable=False),
    Column("activity", String(32), nullable=False),
    Column("activity_at", UtcDateTime(), nullable=False),
    Column("detected_at", UtcDateTime(), nullable=False),
    Column("last_updated_at", UtcDateTime(), nullable=False),
    Column("detection_timing_type", String(32), nullable=False),
    Column("source", String(64)),
    Column("token_issuer_type", String(64), nullable=False),
    Column("ip_address", String(64)),
    Column("city", String(128)),
    Column("state", String(128)),
    Column("country_or_region", String(128)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("altitude", Float),
    Column("has_location", Boolean, nullable=False, server_default=text("false")),
    Column("request_id", String(64)),
    Column("correlation_id", String(64)),
    Column("additional_info", Text),
    Column("mitre_technique_id", String(32)),
)
# A user's detections (the active ones are filtered on the row): no riskState in the key, which
# every action that closes detections would rewrite (migration 0004).
Index("ix_risk_detections_tenant_user", risk_detections.c.tenant_id, risk_detections.c.user_id)
Index(
    "ix_risk_detections_tenant_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.detected_at,
    risk_detections.c.id,
)
Index(
    "ix_risk_detections_tenant_activity",
    risk_detections.c.tenant_id,
    risk_detections.c.activity_at,
    risk_detections.c.id,
)
Index(
    "ix_risk_detections_tenant_last_updated",
    risk_detections.c.tenant_id,
    risk_detections.c.last_updated_at,
    risk_detections.c.id,
)
Index(
    "ix_risk_detections_tenant_level_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.risk_level,
    risk_detections.c.detected_at,
    risk_detections.c.id,
)
Index(
    "ix_risk_detections_tenant_type_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.risk_event_type,
    risk_detections.c.detected_at,
    risk_detections.c.id,
)

# Keys of the built-in development issuer. They sign tokens for every tenant (as Entra's keys
# do), so they are the one table without a tenant id.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Rotated out: no longer signs, still verifies until then.
    Column("retired_at", UtcDateTime()),
)

# Secrets of this deployment, made once and shared by every process (the $skiptoken key).
deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)

app_registrations = Table(
    "app_registrations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("object_id", String(64), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("app_roles", Text, nullable=False),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
    Column("certificate_pem", Text, nullable=True),  # a certificate credential, public part
)
