"""compact rows: tenants named by key, enums by code, moments as integers on SQLite, each
additionalInfo once, users and history without rowid on SQLite, detection date indexes without
the detection id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Enum codes as this revision knows them (store/encodings.py): a member's position.
_LEVELS = ("low", "medium", "high", "hidden", "none", "unknownFutureValue")
_STATES = (
    "none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised",
    "unknownFutureValue",
)  # fmt: skip
_DETAILS = (
    "none", "adminGeneratedTemporaryPassword", "userPerformedSecuredPasswordChange",
    "userPerformedSecuredPasswordReset", "adminConfirmedSigninSafe", "aiConfirmedSigninSafe",
    "userPassedMFADrivenByRiskBasedPolicy", "adminDismissedAllRiskForUser",
    "adminConfirmedSigninCompromised", "hidden", "adminConfirmedUserCompromised",
    "unknownFutureValue", "m365DAdminDismissedDetection",
    "adminConfirmedServicePrincipalCompromised", "adminDismissedAllRiskForServicePrincipal",
    "userChangedPasswordOnPremises", "adminDismissedRiskForSignIn", "adminConfirmedAccountSafe",
    "microsoftRevokedSessions",
)  # fmt: skip
_TIMINGS = ("notDefined", "realtime", "nearRealtime", "offline", "unknownFutureValue")
_ACTIVITIES = ("signin", "user", "unknownFutureValue", "servicePrincipal")
_ISSUERS = (
    "AzureAD", "ADFederationServices", "UnknownFutureValue", "AzureADBackupAuth",
    "ADFederationServicesMFAAdapter", "NPSExtension",
)  # fmt: skip
_ENUMS = {"level": _LEVELS, "state": _STATES, "detail": _DETAILS}
_ENUMS |= {"timing": _TIMINGS, "activity": _ACTIVITIES, "issuer": _ISSUERS}

# Each bulk table's columns in this revision's order: name, (0005 form, 0006 form), where a
# form is how the column is typed, "tenant", "moment", "info" or an enum of _ENUMS.
_PLAIN = "plain"
_USERS = {
    "tenant_id": "tenant", "id": _PLAIN, "display_name": _PLAIN, "user_principal_name": _PLAIN,
    "is_deleted": _PLAIN, "is_processing": _PLAIN, "risk_level": "level", "risk_state": "state",
    "risk_detail": "detail", "risk_last_updated_at": "moment",
}  # fmt: skip
_HISTORY = {
    "tenant_id": "tenant", "user_id": _PLAIN, "ticks": _PLAIN, "display_name": _PLAIN,
    "user_principal_name": _PLAIN, "is_deleted": _PLAIN, "is_processing": _PLAIN,
    "risk_level": "level", "risk_state": "state", "risk_detail": "detail",
    "risk_last_updated_at": "moment", "activity_detail": "detail",
    "activity_risk_event_types": _PLAIN, "initiated_by": _PLAIN,
}  # fmt: skip
_DETECTIONS = {
    "tenant_id": "tenant", "id": _PLAIN, "user_id": _PLAIN, "user_display_name": _PLAIN,
    "user_principal_name": _PLAIN, "risk_event_type": _PLAIN, "risk_level": "level",
    "risk_state": "state", "risk_detail": "detail", "activity": "activity",
    "activity_at": "moment", "detected_at": "moment", "last_updated_at": "moment",
    "detection_timing_type": "timing", "source": _PLAIN, "token_issuer_type": "issuer",
    "ip_address": _PLAIN, "city": _PLAIN, "state": _PLAIN, "country_or_region": _PLAIN,
    "latitude": _PLAIN, "longitude": _PLAIN, "altitude": _PLAIN, "has_location": _PLAIN,
    "request_id": _PLAIN, "correlation_id": _PLAIN, "mitre_technique_id": _PLAIN,
    "additional_info": "info",
}  # fmt: skip

_BULK_TABLES = {"users": _USERS, "risky_user_history": _HISTORY, "risk_detections": _DETECTIONS}

_OLD_INDEXES = {
    "ix_users_tenant_risky": ("users", "tenant_id", "risk_state", "id"),
    "ix_users_tenant_level_updated": (
        "users", "tenant_id", "risk_level", "risk_last_updated_at", "id",
    ),
    "ix_users_tenant_state_updated": (
        "users", "tenant_id", "risk_state", "risk_last_updated_at", "id",
    ),
    "ix_users_tenant_updated": ("users", "tenant_id", "risk_last_updated_at", "id"),
    "ix_users_tenant_rank": ("users", "tenant_id", "risk_level_rank", "id"),
    "ix_users_tenant_upn": ("users", "tenant_id", "user_principal_name", "id"),
    "ix_users_tenant_name": ("users", "tenant_id", "display_name", "id"),
    "ix_risk_detections_tenant_user": ("risk_detections", "tenant_id", "user_id"),
    "ix_risk_detections_tenant_detected": ("risk_detections", "tenant_id", "detected_at", "id"),
    "ix_risk_detections_tenant_activity": ("risk_detections", "tenant_id", "activity_at", "id"),
    "ix_risk_detections_tenant_last_updated": (
        "risk_detections", "tenant_id", "last_updated_at", "id",
    ),
    "ix_risk_detections_tenant_level_detected": (
        "risk_detections", "tenant_id", "risk_level", "detected_at", "id",
    ),
    "ix_risk_detections_tenant_type_detected": (
        "risk_detections", "tenant_id", "risk_event_type", "detected_at", "id",
    ),
}  # fmt: skip
# The level's code is its rank, so the rank's index is the level's; the detections' date
# indexes no longer end with the (64-character) detection id.
_NEW_INDEXES = {
    name: columns[:-1] if name.startswith("ix_risk_detections") and "user" not in name else columns
    for name, columns in _OLD_INDEXES.items()
    if name != "ix_users_tenant_rank"
} | {"ix_users_tenant_level": ("users", "tenant_id", "risk_level", "id")}
_NULLS_FIRST = ("user_principal_name", "display_name")  # users' nullable sort keys


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_indexes(_OLD_INDEXES)
    _add_missing_tenants()
    _set_aside("tenants", "_0005", ["pk_tenants"])
    _tenants_table()
    op.execute(
        "INSERT INTO tenants (id, display_name, licence, created_at) "
        "SELECT id, display_name, licence, created_at FROM tenants_0005 ORDER BY id"
    )
    op.drop_table("tenants_0005")
    _infos_table()
    digest = _digest_function()
    op.execute(
        f"INSERT INTO detection_infos (digest, text) SELECT {digest('info')}, info FROM "
        "(SELECT DISTINCT additional_info AS info FROM risk_detections "
        "WHERE additional_info IS NOT NULL) AS infos"
    )
    moment = _micros if sqlite else _same
    for table, columns in _BULK_TABLES.items():
        _set_aside(table, "_0005", [f"pk_{table}"])
        _bulk_table(table, columns, moment=sa.BigInteger if sqlite else sa.DateTime)
        values = {n: _value(form, n, moment, upgrade=True) for n, form in columns.items()}
        joins = "JOIN tenants t ON t.id = o.tenant_id"
        if "additional_info" in columns:
            joins += f" LEFT JOIN detection_infos i ON i.digest = {digest('o.additional_info')}"
        _copy(table, "_0005", values, joins, sqlite)
    _create_indexes(_NEW_INDEXES)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_indexes(_NEW_INDEXES)
    moment = _text_moment if sqlite else _same
    for table, columns in _BULK_TABLES.items():
        _set_aside(table, "_0006", [f"pk_{table}"])
        _bulk_table_0005(table, columns)
        values = {n: _value(form, n, moment, upgrade=False) for n, form in columns.items()}
        if table == "users":
            values["risk_level_rank"] = "o.risk_level"
        joins = "JOIN tenants t ON t.key = o.tenant_id"
        if "additional_info" in columns:
            joins += " LEFT JOIN detection_infos i ON i.key = o.additional_info"
        _copy(table, "_0006", values, joins, sqlite)
    op.drop_table("detection_infos")
    _set_aside("tenants", "_0006", ["pk_tenants", "uq_tenants_id"])
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        *_tenant_details(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.execute(
        "INSERT INTO tenants (id, display_name, licence, created_at) "
        "SELECT id, display_name, licence, created_at FROM tenants_0006"
    )
    op.drop_table("tenants_0006")
    _create_indexes(_OLD_INDEXES)


# -- the tables --------------------------------------------------------------------------------


def _tenant_details() -> list[sa.Column[Any]]:
    return [
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("licence", sa.String(length=16), server_default=sa.text("'P2'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
    ]


def _tenants_table() -> None:
    op.create_table(
        "tenants",
        sa.Column("key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        *_tenant_details(),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tenants")),
        sa.UniqueConstraint("id", name=op.f("uq_tenants_id")),
    )


def _infos_table() -> None:
    op.create_table(
        "detection_infos",
        sa.Column("key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_detection_infos")),
        sa.UniqueConstraint("digest", name=op.f("uq_detection_infos_digest")),
    )


_TYPES_0005: dict[str, sa.types.TypeEngine[Any]] = {
    "tenant_id": sa.String(length=64),
    "id": sa.String(length=128),
    "user_id": sa.String(length=128),
    "ticks": sa.BigInteger(),
    "is_deleted": sa.Boolean(),
    "is_processing": sa.Boolean(),
    "has_location": sa.Boolean(),
    "latitude": sa.Float(),
    "longitude": sa.Float(),
    "altitude": sa.Float(),
    "activity_risk_event_types": sa.Text(),
    "additional_info": sa.Text(),
    "risk_event_type": sa.String(length=128),
    "activity": sa.String(length=32),
    "detection_timing_type": sa.String(length=32),
    "risk_level": sa.String(length=32),
    "risk_state": sa.String(length=32),
    "mitre_technique_id": sa.String(length=32),
    "risk_level_rank": sa.SmallInteger(),
}
_NULLABLE = {
    "display_name", "user_principal_name", "user_display_name", "source", "ip_address", "city",
    "state", "country_or_region", "latitude", "longitude", "altitude", "request_id",
    "correlation_id", "additional_info", "mitre_technique_id", "activity_detail",
    "initiated_by", "risk_level_rank",
}  # fmt: skip
_KEYS = {
    "users": ("tenant_id", "id"),
    "risky_user_history": ("tenant_id", "user_id", "ticks"),
    "risk_detections": ("tenant_id", "id"),
}


def _nullable(table: str, name: str) -> bool:
    risk = name.startswith("risk_") and name != "risk_event_type"
    return name in _NULLABLE or (table == "users" and risk)


def _column(table: str, name: str, type_: sa.types.TypeEngine[Any]) -> sa.Column[Any]:
    default = sa.text("false") if name in ("is_deleted", "is_processing", "has_location") else None
    if table == "risky_user_history":
        default = None
    return sa.Column(name, type_, nullable=_nullable(table, name), server_default=default)


def _bulk_table(
    table: str, columns: dict[str, str], *, moment: type[sa.types.TypeEngine[Any]]
) -> None:
    """The 0006 form of a bulk table; users and history without rowid on SQLite."""
    types = {"tenant": sa.Integer(), "moment": moment(), "info": sa.Integer()}
    made = [
        _column(
            table, name, types.get(form) or (sa.SmallInteger() if form in _ENUMS else _plain(name))
        )
        for name, form in columns.items()
    ]
    op.create_table(
        table,
        *made,
        sa.PrimaryKeyConstraint(*_KEYS[table], name=op.f(f"pk_{table}")),
        sqlite_with_rowid=table == "risk_detections",
    )


def _bulk_table_0005(table: str, columns: dict[str, str]) -> None:
    names = list(columns)
    if table == "users":
        names.append("risk_level_rank")
    if table == "risk_detections":  # 0005's order: additionalInfo before mitreTechniqueId
        names[-2:] = ["additional_info", "mitre_technique_id"]
    made = [_column(table, name, _plain(name)) for name in names]
    op.create_table(table, *made, sa.PrimaryKeyConstraint(*_KEYS[table], name=op.f(f"pk_{table}")))


def _plain(name: str) -> sa.types.TypeEngine[Any]:
    """A column's 0005 type (the same in 0006 unless its form changes)."""
    if name in _TYPES_0005:
        return _TYPES_0005[name]
    if name.endswith("_at"):
        return sa.DateTime()
    if name in ("display_name", "user_principal_name", "user_display_name"):
        return sa.String(length=256)
    if name in ("city", "state", "country_or_region", "initiated_by"):
        return sa.String(length=128)
    return sa.String(length=64)  # risk_detail, activity_detail, source, ids of requests


# -- copying and converting ---------------------------------------------------------------------


def _set_aside(table: str, suffix: str, constraints: list[str]) -> None:
    """Rename `table` out of the way; on PostgreSQL its constraints' names, which name indexes
    there and are unique in the schema, go with it."""
    op.rename_table(table, table + suffix)
    if op.get_bind().dialect.name == "postgresql":
        for name in constraints:
            op.execute(f"ALTER TABLE {table}{suffix} RENAME CONSTRAINT {name} TO {name}{suffix}")


def _copy(table: str, suffix: str, values: dict[str, str], joins: str, sqlite: bool) -> None:
    """Every row of the table set aside into its new form, then the old one dropped. On SQLite
    in key order: rows go to the end of each b-tree."""
    keys = ", ".join(f"o.{name}" for name in _KEYS[table][1:])
    order = f" ORDER BY {values['tenant_id']}, {keys}" if sqlite else ""
    op.execute(
        f"INSERT INTO {table} ({', '.join(values)}) SELECT {', '.join(values.values())} "
        f"FROM {table}{suffix} o {joins}{order}"
    )
    op.drop_table(table + suffix)


def _value(form: str, name: str, moment: Callable[[str], str], *, upgrade: bool) -> str:
    """SQL for a column's value in its new form (`upgrade`) or in 0005's, from the row `o` set
    aside, its tenant `t` and its additionalInfo `i`."""
    column = f"o.{name}"
    if form in ("tenant", "info"):
        table = "t" if form == "tenant" else "i"
        shown = "id" if form == "tenant" else "text"
        return f"{table}.key" if upgrade else f"{table}.{shown}"
    if form == "moment":
        return moment(column)
    if form in _ENUMS:
        pairs = [(f"'{n}'", str(code)) for code, n in enumerate(_ENUMS[form])]
        cases = " ".join(
            f"WHEN {a} THEN {b}" if upgrade else f"WHEN {b} THEN {a}" for a, b in pairs
        )
        return f"CASE {column} {cases} END"
    return column


def _same(column: str) -> str:
    return column


def _micros(column: str) -> str:
    """SQLAlchemy's SQLite DATETIME text ('2026-03-01 09:30:00.000000') as microseconds."""
    seconds = f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
    fraction = f"CAST(substr({column} || '.000000', 21, 6) AS INTEGER)"
    return f"({seconds} * 1000000 + {fraction})"


def _text_moment(column: str) -> str:
    """Microseconds as SQLAlchemy's SQLite DATETIME text (floored, before 1970 too)."""
    micro = f"(({column} % 1000000 + 1000000) % 1000000)"
    seconds = f"(({column} - {micro}) / 1000000)"
    return (
        f"CASE WHEN {column} IS NOT NULL THEN strftime('%Y-%m-%d %H:%M:%S', {seconds}, "
        f"'unixepoch') || '.' || printf('%06d', {micro}) END"
    )


def _digest_function() -> Callable[[str], str]:
    """SQL for an additionalInfo's digest, SHA-256 of its UTF-8 (store/encodings.py): SQLite
    has no such function, so this connection is given one."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        return lambda text: f"sha256(convert_to({text}, 'UTF8'))"
    driver: Any = bind.connection.driver_connection
    driver.create_function("info_digest", 1, _digest, deterministic=True)
    return lambda text: f"info_digest({text})"


def _digest(text: str | None) -> bytes | None:
    return None if text is None else hashlib.sha256(text.encode()).digest()


def _add_missing_tenants() -> None:
    """A tenant's rows name it by key from now on: every tenant they name gets a row."""
    named = " UNION ".join(
        f"SELECT tenant_id FROM {table}"
        for table in ("users", "risky_user_history", "risk_detections")
    )
    op.execute(
        f"INSERT INTO tenants (id) SELECT tenant_id FROM ({named}) AS named "
        "WHERE tenant_id NOT IN (SELECT id FROM tenants)"
    )


# -- indexes ------------------------------------------------------------------------------------


def _drop_indexes(indexes: dict[str, tuple[str, ...]]) -> None:
    # IF EXISTS: a bulk load that died dropped them (store/loading.py).
    for name in indexes:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def _create_indexes(indexes: dict[str, tuple[str, ...]]) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (table, *columns) in indexes.items():
        keys = [
            f"{c} NULLS FIRST" if postgres and table == "users" and c in _NULLS_FIRST else c
            for c in columns
        ]
        op.execute(f"CREATE INDEX {name} ON {table} ({', '.join(keys)})")
