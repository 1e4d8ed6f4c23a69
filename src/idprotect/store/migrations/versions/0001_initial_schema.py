"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_detections",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("user_display_name", sa.String(length=256), nullable=True),
        sa.Column("user_principal_name", sa.String(length=256), nullable=True),
        sa.Column("risk_event_type", sa.String(length=128), nullable=False),
        sa.Column("risk_level", sa.String(length=32), nullable=False),
        sa.Column("risk_state", sa.String(length=32), nullable=False),
        sa.Column("risk_detail", sa.String(length=64), nullable=False),
        sa.Column("activity", sa.String(length=32), nullable=False),
        sa.Column("activity_at", sa.DateTime(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("last_updated_at", sa.DateTime(), nullable=False),
        sa.Column("detection_timing_type", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("token_issuer_type", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=128), nullable=True),
        sa.Column("country_or_region", sa.String(length=128), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("altitude", sa.Float(), nullable=True),
        sa.Column("has_location", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("additional_info", sa.Text(), nullable=True),
        sa.Column("mitre_technique_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_risk_detections")),
    )
    with op.batch_alter_table("risk_detections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_risk_detections_tenant_detected", ["tenant_id", "detected_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_risk_detections_tenant_user_state",
            ["tenant_id", "user_id", "risk_state"],
            unique=False,
        )

    op.create_table(
        "risky_user_history",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("ticks", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("user_principal_name", sa.String(length=256), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("is_processing", sa.Boolean(), nullable=False),
        sa.Column("risk_level", sa.String(length=32), nullable=False),
        sa.Column("risk_state", sa.String(length=32), nullable=False),
        sa.Column("risk_detail", sa.String(length=64), nullable=False),
        sa.Column("risk_last_updated_at", sa.DateTime(), nullable=False),
        sa.Column("activity_detail", sa.String(length=64), nullable=True),
        sa.Column("activity_risk_event_types", sa.Text(), nullable=False),
        sa.Column("initiated_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "ticks", name=op.f("pk_risky_user_history")
        ),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("licence", sa.String(length=16), server_default=sa.text("'P2'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("user_principal_name", sa.String(length=256), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_processing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("risk_level", sa.String(length=32), nullable=True),
        sa.Column("risk_state", sa.String(length=32), nullable=True),
        sa.Column("risk_detail", sa.String(length=64), nullable=True),
        sa.Column("risk_last_updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_users_tenant_risky", ["tenant_id", "risk_state", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_tenant_risky")

    op.drop_table("users")
    op.drop_table("tenants")
    op.drop_table("risky_user_history")
    with op.batch_alter_table("risk_detections", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_detections_tenant_user_state")
        batch_op.drop_index("ix_risk_detections_tenant_detected")

    op.drop_table("risk_detections")
