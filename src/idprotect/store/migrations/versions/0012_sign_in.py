"""sign-in: public clients' redirect URIs, directory users' passwords, authorization codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_registrations") as table:
        table.add_column(
            sa.Column("redirect_uris", sa.Text(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.create_table(
        "user_passwords",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_principal_name", sa.String(length=256), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("directory_roles", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_principal_name", name=op.f("pk_user_passwords")),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("grant", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("redeemed", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
    )


def downgrade() -> None:
    op.drop_table("authorization_codes")
    op.drop_table("user_passwords")
    with op.batch_alter_table("app_registrations") as table:
        table.drop_column("redirect_uris")
