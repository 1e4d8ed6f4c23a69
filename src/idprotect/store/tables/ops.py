"""Operations' tables: tenants' throttle and fault settings, shared counters, the directory
audit log."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    String,
    Table,
    Text,
)

from idprotect.store.tables.base import UtcDateTime, metadata

# Operations (ops/, docs/operations.md). Each tenant's throttling and fault settings, as the
# documents that set them (ops/config.py): NULL throttle is the server's profile.
tenant_ops = Table(
    "tenant_ops",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("throttle", Text),
    Column("faults", Text),
)
# What a PostgreSQL deployment's processes count together: throttle buckets (GCRA's theoretical
# arrival time, epoch seconds) and the fault rules' request numbers.
ops_counters = Table(
    "ops_counters",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("value", Float, nullable=False),
    Column("admitted", Boolean, nullable=False),
)
# The directory audit log (auditLogs/directoryAudits): one row per risk action or admin change,
# written in its transaction; targets and details as JSON, and the targets' ids again in
# directory_audit_targets for $filter on targetResources.
directory_audits = Table(
    "directory_audits",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("activity_at", UtcDateTime(), nullable=False),
    Column("category", String(64), nullable=False),
    Column("activity_display_name", String(128), nullable=False),
    Column("operation_type", String(32), nullable=False),
    Column("result", String(16), nullable=False),
    Column("result_reason", String(256), nullable=False),
    Column("logged_by_service", String(64), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("initiator_kind", String(8), nullable=False),  # user, app
    Column("initiator_id", String(64)),
    Column("initiator_name", String(256)),  # a user's UPN, an app's display name
    Column("initiator_app_id", String(64)),
    Column("targets", Text, nullable=False),
    Column("details", Text, nullable=False),
)
Index(
    "ix_directory_audits_tenant_id_activity_at_id",
    directory_audits.c.tenant_id,
    directory_audits.c.activity_at,
    directory_audits.c.id,
)
directory_audit_targets = Table(
    "directory_audit_targets",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("target_id", String(128), primary_key=True),
    Column("audit_id", String(64), primary_key=True),
)
