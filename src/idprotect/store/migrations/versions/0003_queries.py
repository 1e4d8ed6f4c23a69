"""queries: riskLevel rank, indexes for filters and orderings, deployment secrets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Graph's riskLevel ordinals (CSDL), frozen here as this revision knows them.
_RANKS = {"low": 0, "medium": 1, "high": 2, "hidden": 3, "none": 4, "unknownFutureValue": 5}

_USER_INDEXES = {
    "ix_users_tenant_level_updated": ["tenant_id", "risk_level", "risk_last_updated_at", "id"],
    "ix_users_tenant_state_updated": ["tenant_id", "risk_state", "risk_last_updated_at", "id"],
    "ix_users_tenant_updated": ["tenant_id", "risk_last_updated_at", "id"],
    "ix_users_tenant_rank": ["tenant_id", "risk_level_rank", "id"],
}
# Nullable sort keys: NULLS FIRST on PostgreSQL, as OData orders nulls (SQLite does already).
_USER_NULLS_FIRST = {
    "ix_users_tenant_upn": "user_principal_name",
    "ix_users_tenant_name": "display_name",
}
_DETECTION_INDEXES = {
    "ix_risk_detections_tenant_activity": ["tenant_id", "activity_at", "id"],
    "ix_risk_detections_tenant_last_updated": ["tenant_id", "last_updated_at", "id"],
    "ix_risk_detections_tenant_level_detected": ["tenant_id", "risk_level", "detected_at", "id"],
    "ix_risk_detections_tenant_type_detected": [
        "tenant_id",
        "risk_event_type",
        "detected_at",
        "id",
    ],
}


def upgrade() -> None:
    op.create_table(
        "deployment_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_secrets")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_level_rank", sa.SmallInteger(), nullable=True))
    ranks = " ".join(f"WHEN '{level}' THEN {rank}" for level, rank in _RANKS.items())
    op.execute(f"UPDATE users SET risk_level_rank = CASE risk_level {ranks} END")

    postgres = op.get_bind().dialect.name == "postgresql"
    for name, columns in _USER_INDEXES.items():
        op.create_index(name, "users", columns, unique=False)
    for name, column in _USER_NULLS_FIRST.items():
        key = sa.text(f"{column} NULLS FIRST") if postgres else column
        op.create_index(name, "users", ["tenant_id", key, "id"], unique=False)
    for name, columns in _DETECTION_INDEXES.items():
        op.create_index(name, "risk_detections", columns, unique=False)


def downgrade() -> None:
    for name in _DETECTION_INDEXES:
        op.drop_index(name, table_name="risk_detections")
    for name in [*_USER_INDEXES, *_USER_NULLS_FIRST]:
        op.drop_index(name, table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("risk_level_rank")
    op.drop_table("deployment_secrets")
