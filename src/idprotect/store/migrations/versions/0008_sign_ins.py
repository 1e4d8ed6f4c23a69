"""sign-ins and the risk engine's threat lists

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CODE = sa.SmallInteger  # enums as codes (store/encodings.py)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    moment = sa.BigInteger() if sqlite else sa.DateTime()
    op.create_table(
        "sign_ins",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("user_principal_name", sa.String(256)),
        sa.Column("user_display_name", sa.String(256)),
        sa.Column("app_id", sa.String(64)),
        sa.Column("app_display_name", sa.String(256)),
        sa.Column("ip_address", sa.String(64)),
        sa.Column("ip_prefix", sa.String(64)),
        sa.Column("client_app_used", sa.String(64)),
        sa.Column("user_agent", sa.Text()),
        sa.Column("correlation_id", sa.String(64)),
        sa.Column("city", sa.String(128)),
        sa.Column("state", sa.String(128)),
        sa.Column("country_or_region", sa.String(128)),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("has_location", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("browser", sa.String(128)),
        sa.Column("operating_system", sa.String(128)),
        sa.Column("device_id", sa.String(128)),
        sa.Column("is_compliant", sa.Boolean()),
        sa.Column("error_code", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text()),
        sa.Column("is_interactive", sa.Boolean(), nullable=False),
        sa.Column("authentication_requirement", sa.String(64)),
        sa.Column("conditional_access_status", sa.String(64)),
        sa.Column("risk_level_during_sign_in", _CODE(), nullable=False),
        sa.Column("risk_level_aggregated", _CODE(), nullable=False),
        sa.Column("risk_state", _CODE(), nullable=False),
        sa.Column("risk_detail", _CODE(), nullable=False),
        sa.Column("risk_event_types", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sign_ins")),
    )
    op.create_index(
        "ix_sign_ins_tenant_user_created",
        "sign_ins",
        ["tenant_id", "user_id", "created_at", "id"],
    )
    op.create_index(
        "ix_sign_ins_tenant_ip_created", "sign_ins", ["tenant_id", "ip_address", "created_at"]
    )
    op.create_index("ix_sign_ins_tenant_created", "sign_ins", ["tenant_id", "created_at", "id"])
    op.create_table(
        "ip_ranges",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("list", sa.String(16), nullable=False),
        sa.Column("network", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "list", "network", name=op.f("pk_ip_ranges")),
    )
    op.create_table(
        "leaked_credentials",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(5), nullable=False),
        sa.Column("suffix", sa.String(35), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "prefix", "suffix", name=op.f("pk_leaked_credentials")
        ),
    )
    # The sign-in actions find a sign-in's detections by its request id.
    op.create_index(
        "ix_risk_detections_tenant_request", "risk_detections", ["tenant_id", "request_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_risk_detections_tenant_request", table_name="risk_detections")
    op.drop_table("leaked_credentials")
    op.drop_table("ip_ranges")
    op.drop_table("sign_ins")
