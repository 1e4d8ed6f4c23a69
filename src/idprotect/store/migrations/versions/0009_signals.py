"""signals: streams and subscriptions, their subjects, the outbox, the SETs received

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_streams",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("delivery", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_streams")),
    )
    op.create_index("ix_signal_streams_tenant_id", "signal_streams", ["tenant_id"])
    op.create_table(
        "signal_subjects",
        sa.Column("stream_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "subject", name=op.f("pk_signal_subjects")),
    )
    op.create_table(
        "signal_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stream_id", sa.String(64), nullable=False),
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("polled_at", sa.DateTime()),
        sa.Column("rejected", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_outbox")),
    )
    op.create_index(
        "ix_signal_outbox_stream_id_rejected_id", "signal_outbox", ["stream_id", "rejected", "id"]
    )
    op.create_index(
        "ix_signal_outbox_stream_id_jti", "signal_outbox", ["stream_id", "jti"], unique=True
    )
    op.create_table(
        "signal_received",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(512), nullable=False),
        sa.Column("jti", sa.String(256), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "issuer", "jti", name=op.f("pk_signal_received")),
    )


def downgrade() -> None:
    op.drop_table("signal_received")
    op.drop_index("ix_signal_outbox_stream_id_jti", "signal_outbox")
    op.drop_index("ix_signal_outbox_stream_id_rejected_id", "signal_outbox")
    op.drop_table("signal_outbox")
    op.drop_table("signal_subjects")
    op.drop_index("ix_signal_streams_tenant_id", "signal_streams")
    op.drop_table("signal_streams")
