"""detections by user: (tenant, user) without riskState, so closing one does not rewrite it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The index finds a user's detections; their state is read from the row. With riskState in
    # the key, every detection an action closes moved within the index: a page write more.
    op.create_index(
        "ix_risk_detections_tenant_user", "risk_detections", ["tenant_id", "user_id"], unique=False
    )
    op.drop_index("ix_risk_detections_tenant_user_state", table_name="risk_detections")


def downgrade() -> None:
    op.create_index(
        "ix_risk_detections_tenant_user_state",
        "risk_detections",
        ["tenant_id", "user_id", "risk_state"],
        unique=False,
    )
    op.drop_index("ix_risk_detections_tenant_user", table_name="risk_detections")
