"""The risk core's tables, three per principal kind (principals, history, detections), and
the additionalInfo texts detections share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from idprotect.store.encodings import (
    ACTIVITY_TYPES,
    AGENT_IDENTITY_TYPES,
    TIMING_TYPES,
    TOKEN_ISSUER_TYPES,
    EnumCode,
    InfoDigest,
    KeyOf,
    Moment,
)
from idprotect.store.tables.base import DETAIL, LEVEL, STATE, TENANT, metadata


def _risk(*, nullable: bool) -> list[Column[Any]]:
    return [
        Column("risk_level", LEVEL, nullable=nullable),
        Column("risk_state", STATE, nullable=nullable),
        Column("risk_detail", DETAIL, nullable=nullable),
        Column("risk_last_updated_at", Moment(), nullable=nullable),
    ]


def _flags(*, defaults: bool) -> list[Column[Any]]:
    default = text("false") if defaults else None
    return [
        Column("is_deleted", Boolean, nullable=False, server_default=default),
        Column("is_processing", Boolean, nullable=False, server_default=default),
    ]


def _principals(name: str, profile: list[Column[Any]]) -> Table:
    """A kind's principals: its own descriptive columns between the shared ones. The risk_*
    columns are set once the principal has ever been risky, which makes it one Graph lists.
    Without a rowid: the key is the table's order, and an index entry names its row by
    (tenant, id), which every index here holds anyway."""
    return Table(
        name,
        metadata,
        Column("tenant_id", TENANT, primary_key=True),
        Column("id", String(128), primary_key=True),
        *profile,
        *_flags(defaults=True),
        *_risk(nullable=True),
        sqlite_with_rowid=False,
    )


def _history(name: str, key: str, profile: list[Column[Any]]) -> Table:
    """A kind's history: each state of each risky principal, as it was (its profile too)."""
    return Table(
        name,
        metadata,
        Column("tenant_id", TENANT, primary_key=True),
        Column(key, String(128), primary_key=True),
        Column("ticks", BigInteger, primary_key=True),
        *profile,
        *_flags(defaults=False),
        *_risk(nullable=False),
        Column("activity_detail", DETAIL),
        Column("activity_risk_event_types", Text, nullable=False),
        Column("initiated_by", String(128)),
        sqlite_with_rowid=False,  # its one index is its key
    )


def _sign_in() -> tuple[list[Column[Any]], list[Column[Any]]]:
    """The columns of a detection that may come from a sign-in: its activity, and the rest."""
    activity: list[Column[Any]] = [Column("activity", EnumCode(ACTIVITY_TYPES), nullable=False)]
    rest: list[Column[Any]] = [
        Column("token_issuer_type", EnumCode(TOKEN_ISSUER_TYPES), nullable=False),
        Column("ip_address", String(64)),
        Column("city", String(128)),
        Column("state", String(128)),
        Column("country_or_region", String(128)),
        Column("latitude", Float),
        Column("longitude", Float),
        Column("altitude", Float),
        Column("has_location", Boolean, nullable=False, server_default=text("false")),
        Column("request_id", String(64)),
        Column("correlation_id", String(64)),
        Column("mitre_technique_id", String(32)),
    ]
    return activity, rest


def _detections(
    name: str,
    key: str,
    names: list[Column[Any]],
    *,
    sign_in: bool,
    own: list[Column[Any]],
) -> Table:
    """A kind's detections: the shared columns, what it copies from its principal (`names`),
    the sign-in's columns if it has them, and its `own`."""
    activity, sign_in_rest = _sign_in() if sign_in else ([], [])
    return Table(
        name,
        metadata,
        Column("tenant_id", TENANT, primary_key=True),
        Column("id", String(128), primary_key=True),
        Column(key, String(128), nullable=False),
        *names,
        Column("risk_event_type", String(128), nullable=False),
        Column("risk_level", LEVEL, nullable=False),
        Column("risk_state", STATE, nullable=False),
        Column("risk_detail", DETAIL, nullable=False),
        *activity,
        Column("activity_at", Moment(), nullable=False),
        Column("detected_at", Moment(), nullable=False),
        Column("last_updated_at", Moment(), nullable=False),
        Column("detection_timing_type", EnumCode(TIMING_TYPES), nullable=False),
        Column("source", String(64)),
        *sign_in_rest,
        *own,
        Column(
            "additional_info",
            KeyOf(
                detection_infos.c.key,
                detection_infos.c.text,
                found_by=detection_infos.c.digest,
                found_as=InfoDigest(),
            ),
        ),
    )


def _user_profile() -> list[Column[Any]]:
    return [Column("display_name", String(256)), Column("user_principal_name", String(256))]


users = _principals("users", _user_profile())
Index("ix_users_tenant_risky", users.c.tenant_id, users.c.risk_state, users.c.id)
# Keyset paging walks these in order: equality filters first, then the sort key, then id.
# Every action rewrites a user's risk columns, and so these entries: each index here slows
# writes (docs/performance.md), so `riskLevel eq x and riskState eq y` has no index of its own
# (it walks one of the two and filters the other).
# riskLevel's code is its ordinal in Graph's enum (low 0 ... none 4), so that
# `$orderby=riskLevel` walks ix_users_tenant_level.
Index(
    "ix_users_tenant_level_updated",
    users.c.tenant_id,
    users.c.risk_level,
    users.c.risk_last_updated_at,
    users.c.id,
)
Index(
    "ix_users_tenant_state_updated",
    users.c.tenant_id,
    users.c.risk_state,
    users.c.risk_last_updated_at,
    users.c.id,
)
Index("ix_users_tenant_updated", users.c.tenant_id, users.c.risk_last_updated_at, users.c.id)
Index("ix_users_tenant_level", users.c.tenant_id, users.c.risk_level, users.c.id)
# Nullable sort keys. OData puts nulls first ascending and last descending: PostgreSQL's index
# needs NULLS FIRST for that (a backward scan gives the other way); SQLite's indexes order NULLs
# so already and refuse the words, so migration 0003 writes them on PostgreSQL only.
Index(
    "ix_users_tenant_upn",
    users.c.tenant_id,
    users.c.user_principal_name.nulls_first(),
    users.c.id,
)
Index("ix_users_tenant_name", users.c.tenant_id, users.c.display_name.nulls_first(), users.c.id)

risky_user_history = _history("risky_user_history", "user_id", _user_profile())

# The additionalInfo texts of detections, each once (detections name them by key).
detection_infos = Table(
    "detection_infos",
    metadata,
    Column("key", Integer, primary_key=True),
    Column("digest", LargeBinary(32), nullable=False, unique=True),
    Column("text", Text, nullable=False),
)

risk_detections = _detections(
    "risk_detections",
    "user_id",
    [Column("user_display_name", String(256)), Column("user_principal_name", String(256))],
    sign_in=True,
    own=[],
)
# A user's detections (the active ones are filtered on the row): no riskState in the key, which
# every action that closes detections would rewrite (migration 0004).
Index("ix_risk_detections_tenant_user", risk_detections.c.tenant_id, risk_detections.c.user_id)
# The date indexes end with the date: a detection id (64 characters) in each entry took four
# fifths of it. Detections of one date are few (one ingestion, one action), and a page sorts
# them by id as it reads them ("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY").
Index(
    "ix_risk_detections_tenant_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.detected_at,
)
Index(
    "ix_risk_detections_tenant_activity",
    risk_detections.c.tenant_id,
    risk_detections.c.activity_at,
)
Index(
    "ix_risk_detections_tenant_last_updated",
    risk_detections.c.tenant_id,
    risk_detections.c.last_updated_at,
)
Index(
    "ix_risk_detections_tenant_level_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.risk_level,
    risk_detections.c.detected_at,
)
# A sign-in's detections (the sign-in actions, auditLogs/signIns), by its request id.
Index(
    "ix_risk_detections_tenant_request", risk_detections.c.tenant_id, risk_detections.c.request_id
)
Index(
    "ix_risk_detections_tenant_type_detected",
    risk_detections.c.tenant_id,
    risk_detections.c.risk_event_type,
    risk_detections.c.detected_at,
)


def _service_principal_profile() -> list[Column[Any]]:
    return [
        Column("app_id", String(64)),
        Column("display_name", String(256)),
        Column("is_enabled", Boolean, nullable=False, server_default=text("true")),
        Column("service_principal_type", String(64)),
    ]


def _agent_profile() -> list[Column[Any]]:
    return [
        Column("display_name", String(256)),
        Column("blueprint_id", String(64)),
        Column("identity_type", EnumCode(AGENT_IDENTITY_TYPES), nullable=False),
        Column("is_enabled", Boolean, nullable=False, server_default=text("true")),
    ]


def _lists(table: Table) -> None:
    """The indexes the other kinds' lists walk (fewer than users': they order by fewer keys)."""
    name = table.name
    Index(f"ix_{name}_tenant_risky", table.c.tenant_id, table.c.risk_state, table.c.id)
    Index(f"ix_{name}_tenant_updated", table.c.tenant_id, table.c.risk_last_updated_at, table.c.id)
    Index(
        f"ix_{name}_tenant_name", table.c.tenant_id, table.c.display_name.nulls_first(), table.c.id
    )


def _detection_lists(table: Table, key: str) -> None:
    Index(f"ix_{table.name}_tenant_principal", table.c.tenant_id, table.c[key])
    Index(f"ix_{table.name}_tenant_detected", table.c.tenant_id, table.c.detected_at)


service_principals = _principals("service_principals", _service_principal_profile())
_lists(service_principals)
service_principal_history = _history(
    "service_principal_history", "service_principal_id", _service_principal_profile()
)
service_principal_risk_detections = _detections(
    "service_principal_risk_detections",
    "service_principal_id",
    [Column("service_principal_display_name", String(256)), Column("app_id", String(64))],
    sign_in=True,
    own=[Column("key_ids", Text, nullable=False, server_default=text("'[]'"))],
)
_detection_lists(service_principal_risk_detections, "service_principal_id")

agents = _principals("agents", _agent_profile())
_lists(agents)
agent_history = _history("agent_history", "agent_id", _agent_profile())
agent_risk_detections = _detections(
    "agent_risk_detections",
    "agent_id",
    [
        Column("agent_display_name", String(256)),
        Column("blueprint_id", String(64)),
        Column("identity_type", EnumCode(AGENT_IDENTITY_TYPES), nullable=False),
    ],
    sign_in=False,
    own=[Column("risk_evidence", Text)],
)
_detection_lists(agent_risk_detections, "agent_id")
