"""service principals' sign-ins: the principal's kind, name and credential on sign_ins

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows are users' sign-ins. `user_id` stays the history's key: for a service
    # principal's sign-in it holds the service principal's object id.
    op.add_column(
        "sign_ins",
        sa.Column(
            "principal_kind", sa.String(16), nullable=False, server_default=sa.text("'user'")
        ),
    )
    op.add_column("sign_ins", sa.Column("service_principal_name", sa.String(256)))
    op.add_column("sign_ins", sa.Column("service_principal_credential_key_id", sa.String(64)))


def downgrade() -> None:
    op.drop_column("sign_ins", "service_principal_credential_key_id")
    op.drop_column("sign_ins", "service_principal_name")
    op.drop_column("sign_ins", "principal_kind")
