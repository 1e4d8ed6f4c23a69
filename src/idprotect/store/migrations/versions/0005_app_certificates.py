"""app certificates: an app registration may hold a certificate credential (PEM)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_registrations") as table:
        table.add_column(sa.Column("certificate_pem", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_registrations") as table:
        table.drop_column("certificate_pem")
