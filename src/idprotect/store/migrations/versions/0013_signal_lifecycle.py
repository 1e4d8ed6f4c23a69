"""signal lifecycle: streams' inactivity timeout, control events in the outbox, subscriptions'
authorization, reauthorization reminders and missed notifications

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signal_streams") as table:
        table.add_column(sa.Column("inactivity_timeout", sa.Integer()))
        table.add_column(sa.Column("inactive_at", sa.DateTime()))
        table.add_column(sa.Column("authorized_until", sa.DateTime()))
        table.add_column(sa.Column("reauthorize_at", sa.DateTime()))
        table.add_column(
            sa.Column("missed_through", sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
        )
    with op.batch_alter_table("signal_outbox") as table:
        table.add_column(
            sa.Column("control", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
    control = sa.column("control", sa.Boolean()).is_(True)
    op.create_index(
        "ix_signal_outbox_control",
        "signal_outbox",
        ["stream_id"],
        sqlite_where=control,
        postgresql_where=control,
    )


def downgrade() -> None:
    op.drop_index("ix_signal_outbox_control", "signal_outbox")
    with op.batch_alter_table("signal_outbox") as table:
        table.drop_column("control")
    with op.batch_alter_table("signal_streams") as table:
        table.drop_column("missed_through")
        table.drop_column("reauthorize_at")
        table.drop_column("authorized_until")
        table.drop_column("inactive_at")
        table.drop_column("inactivity_timeout")
