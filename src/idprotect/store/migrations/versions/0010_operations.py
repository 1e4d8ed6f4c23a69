"""operations: tenants' throttling and fault settings, shared counters, the directory audit log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_ops",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("throttle", sa.Text()),
        sa.Column("faults", sa.Text()),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_ops"),
    )
    op.create_table(
        "ops_counters",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_ops_counters"),
    )
    _audits()


def _audits() -> None:
    op.create_table(
        "directory_audits",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("activity_at", sa.DateTime(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("activity_display_name", sa.String(128), nullable=False),
        sa.Column("operation_type", sa.String(32), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("result_reason", sa.String(256), nullable=False),
        sa.Column("logged_by_service", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("initiator_kind", sa.String(8), nullable=False),
        sa.Column("initiator_id", sa.String(64)),
        sa.Column("initiator_name", sa.String(256)),
        sa.Column("initiator_app_id", sa.String(64)),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_directory_audits"),
    )
    op.create_index(
        "ix_directory_audits_tenant_id_activity_at_id",
        "directory_audits",
        ["tenant_id", "activity_at", "id"],
    )
    op.create_table(
        "directory_audit_targets",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("audit_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "target_id", "audit_id", name="pk_directory_audit_targets"
        ),
    )


def downgrade() -> None:
    op.drop_table("directory_audit_targets")
    op.drop_index("ix_directory_audits_tenant_id_activity_at_id", table_name="directory_audits")
    op.drop_table("directory_audits")
    op.drop_table("ops_counters")
    op.drop_table("tenant_ops")
