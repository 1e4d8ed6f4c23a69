"""risky service principals and risky agents: each kind's principals, history and detections;
a tenant's Workload Identities Premium licence

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Column forms as this revision stores them: enums as codes, tenants and additionalInfo as
# keys, moments as microseconds on SQLite.
_CODE = sa.SmallInteger


def _moment() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger() if op.get_bind().dialect.name == "sqlite" else sa.DateTime()


def _flags(*, defaults: bool) -> list[sa.Column[Any]]:
    default = sa.text("false") if defaults else None
    return [
        sa.Column("is_deleted", sa.Boolean(), nullable=False, server_default=default),
        sa.Column("is_processing", sa.Boolean(), nullable=False, server_default=default),
    ]


def _risk(*, nullable: bool) -> list[sa.Column[Any]]:
    return [
        sa.Column("risk_level", _CODE(), nullable=nullable),
        sa.Column("risk_state", _CODE(), nullable=nullable),
        sa.Column("risk_detail", _CODE(), nullable=nullable),
        sa.Column("risk_last_updated_at", _moment(), nullable=nullable),
    ]


def _service_principal_profile() -> list[sa.Column[Any]]:
    return [
        sa.Column("app_id", sa.String(64)),
        sa.Column("display_name", sa.String(256)),
        sa.Column("is_enabled", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("service_principal_type", sa.String(64)),
    ]


def _agent_profile() -> list[sa.Column[Any]]:
    return [
        sa.Column("display_name", sa.String(256)),
        sa.Column("blueprint_id", sa.String(64)),
        sa.Column("identity_type", _CODE(), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    ]


def _principals(name: str, profile: list[sa.Column[Any]]) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(128), nullable=False),
        *profile,
        *_flags(defaults=True),
        *_risk(nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )
    nulls_first = op.get_bind().dialect.name == "postgresql"
    name_column = sa.text("display_name NULLS FIRST") if nulls_first else "display_name"
    op.create_index(f"ix_{name}_tenant_risky", name, ["tenant_id", "risk_state", "id"])
    op.create_index(f"ix_{name}_tenant_updated", name, ["tenant_id", "risk_last_updated_at", "id"])
    op.create_index(f"ix_{name}_tenant_name", name, ["tenant_id", name_column, "id"])


def _history(name: str, key: str, profile: list[sa.Column[Any]]) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(key, sa.String(128), nullable=False),
        sa.Column("ticks", sa.BigInteger(), nullable=False),
        *profile,
        *_flags(defaults=False),
        *_risk(nullable=False),
        sa.Column("activity_detail", _CODE()),
        sa.Column("activity_risk_event_types", sa.Text(), nullable=False),
        sa.Column("initiated_by", sa.String(128)),
        sa.PrimaryKeyConstraint("tenant_id", key, "ticks", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _detections(name: str, key: str, names: list[sa.Column[Any]], *, sign_in: bool,
                own: list[sa.Column[Any]]) -> None:  # fmt: skip
    activity: list[sa.Column[Any]] = (
        [sa.Column("activity", _CODE(), nullable=False)] if sign_in else []
    )
    sign_in_rest: list[sa.Column[Any]] = (
        [
            sa.Column("token_issuer_type", _CODE(), nullable=False),
            sa.Column("ip_address", sa.String(64)),
            sa.Column("city", sa.String(128)),
            sa.Column("state", sa.String(128)),
            sa.Column("country_or_region", sa.String(128)),
            sa.Column("latitude", sa.Float()),
            sa.Column("longitude", sa.Float()),
            sa.Column("altitude", sa.Float()),
            sa.Column(
                "has_location", sa.Boolean(), nullable=False, server_default=sa.text("false")
            ),
            sa.Column("request_id", sa.String(64)),
            sa.Column("correlation_id", sa.String(64)),
            sa.Column("mitre_technique_id", sa.String(32)),
        ]
        if sign_in
        else []
    )
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column(key, sa.String(128), nullable=False),
        *names,
        sa.Column("risk_event_type", sa.String(128), nullable=False),
        sa.Column("risk_level", _CODE(), nullable=False),
        sa.Column("risk_state", _CODE(), nullable=False),
        sa.Column("risk_detail", _CODE(), nullable=False),
        *activity,
        sa.Column("activity_at", _moment(), nullable=False),
        sa.Column("detected_at", _moment(), nullable=False),
        sa.Column("last_updated_at", _moment(), nullable=False),
        sa.Column("detection_timing_type", _CODE(), nullable=False),
        sa.Column("source", sa.String(64)),
        *sign_in_rest,
        *own,
        sa.Column("additional_info", sa.Integer()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_tenant_principal", name, ["tenant_id", key])
    op.create_index(f"ix_{name}_tenant_detected", name, ["tenant_id", "detected_at"])


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column(
                "workload_identities", sa.Boolean(), nullable=False, server_default=sa.text("true")
            )
        )
    _principals("service_principals", _service_principal_profile())
    _history("service_principal_history", "service_principal_id", _service_principal_profile())
    _detections(
        "service_principal_risk_detections",
        "service_principal_id",
        [sa.Column("service_principal_display_name", sa.String(256)),
         sa.Column("app_id", sa.String(64))],
        sign_in=True,
        own=[sa.Column("key_ids", sa.Text(), nullable=False, server_default=sa.text("'[]'"))],
    )  # fmt: skip
    _principals("agents", _agent_profile())
    _history("agent_history", "agent_id", _agent_profile())
    _detections(
        "agent_risk_detections",
        "agent_id",
        [sa.Column("agent_display_name", sa.String(256)), sa.Column("blueprint_id", sa.String(64)),
         sa.Column("identity_type", _CODE(), nullable=False)],
        sign_in=False,
        own=[sa.Column("risk_evidence", sa.Text())],
    )  # fmt: skip


def downgrade() -> None:
    for table in (
        "agent_risk_detections",
        "agent_history",
        "agents",
        "service_principal_risk_detections",
        "service_principal_history",
        "service_principals",
    ):
        op.drop_table(table)
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("workload_identities")
