"""The schema. Every row carries its tenant, which leads every key and index.

The bulk tables (users, history, detections) store enums, moments, tenants and additionalInfo
in the compact forms of encodings.py; their columns still take and give the domain's values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    text,
)

from idprotect.store.encodings import (
    ACTIVITY_TYPES,
    AGENT_IDENTITY_TYPES,
    RISK_DETAILS,
    RISK_LEVELS,
    RISK_STATES,
    TIMING_TYPES,
    TOKEN_ISSUER_TYPES,
    EnumCode,
    InfoDigest,
    KeyOf,
    Moment,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


tenants = Table(
    "tenants",
    metadata,
    # What the bulk tables store to name a tenant (encodings.KeyOf): a byte or two, not the id.
    Column("key", Integer, primary_key=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("display_name", String(256)),
    Column("licence", String(16), nullable=False, server_default=text("'P2'")),
    # Microsoft Entra Workload ID Premium (the service-principal APIs' full detail).
    Column("workload_identities", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)
# The bulk tables' tenant_id: written and compared as the tenant's id, stored as its key.
TENANT = KeyOf(tenants.c.key, tenants.c.id, found_by=tenants.c.id, found_as=String(64))
LEVEL = EnumCode(RISK_LEVELS)
STATE = EnumCode(RISK_STATES)
DETAIL = EnumCode(RISK_DETAILS)


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

# Keys of the built-in development issuer. They sign tokens for every tenant (as Entra's keys
# do), so they are the one table without a tenant id.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Rotated out: no longer signs, still verifies until then.
    Column("retired_at", UtcDateTime()),
)

# Secrets of this deployment, made once and shared by every process (the $skiptoken key).
deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)

app_registrations = Table(
    "app_registrations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("object_id", String(64), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("app_roles", Text, nullable=False),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
    Column("certificate_pem", Text, nullable=True),  # a certificate credential, public part
    # A public client's redirect URIs (JSON list): it signs users in with the code flow.
    Column("redirect_uris", Text, nullable=False, server_default=text("'[]'")),
)

# Directory users who may sign in to the built-in issuer: their password and directory roles.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("user_principal_name", String(256), primary_key=True),  # lower case
    Column("object_id", String(64), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("directory_roles", Text, nullable=False),  # JSON list of template ids
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Authorization codes of the code flow, by their SHA-256: single-use and short-lived.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("grant", Text, nullable=False),  # JSON: what the code grants, to whom, on what terms
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("redeemed", Boolean, nullable=False, server_default=text("false")),
)

# Sign-ins, as identity providers report them, with the risk the engine found (engine/). The
# detectors read a user's earlier sign-ins and an address's window through these indexes.
sign_ins = Table(
    "sign_ins",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("created_at", Moment(), nullable=False),
    # The principal's object id, a user's or a service principal's (`principal_kind` says
    # which, as domain/kinds.py names kinds): the history the detectors read is keyed by it.
    Column("user_id", String(128), nullable=False),
    Column("principal_kind", String(16), nullable=False, server_default=text("'user'")),
    Column("service_principal_name", String(256)),
    Column("service_principal_credential_key_id", String(64)),
    Column("user_principal_name", String(256)),
    Column("user_display_name", String(256)),
    Column("app_id", String(64)),
    Column("app_display_name", String(256)),
    Column("ip_address", String(64)),
    Column("ip_prefix", String(64)),  # its /24 or /48: what unfamiliarFeatures compares
    Column("client_app_used", String(64)),
    Column("user_agent", Text),
    Column("correlation_id", String(64)),
    Column("city", String(128)),
    Column("state", String(128)),
    Column("country_or_region", String(128)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("has_location", Boolean, nullable=False, server_default=text("false")),
    Column("browser", String(128)),
    Column("operating_system", String(128)),
    Column("device_id", String(128)),
    Column("is_compliant", Boolean),
    Column("error_code", Integer, nullable=False),
    Column("failure_reason", Text),
    Column("is_interactive", Boolean, nullable=False),
    Column("authentication_requirement", String(64)),
    Column("conditional_access_status", String(64)),
    Column("risk_level_during_sign_in", LEVEL, nullable=False),
    Column("risk_level_aggregated", LEVEL, nullable=False),
    Column("risk_state", STATE, nullable=False),
    Column("risk_detail", DETAIL, nullable=False),
    Column("risk_event_types", Text, nullable=False),
)
# A user's sign-ins in event time (ties by id): their latest success before one is read
# backwards from it, without a sort.
Index(
    "ix_sign_ins_tenant_user_created",
    sign_ins.c.tenant_id,
    sign_ins.c.user_id,
    sign_ins.c.created_at,
    sign_ins.c.id,
)
Index(
    "ix_sign_ins_tenant_ip_created",
    sign_ins.c.tenant_id,
    sign_ins.c.ip_address,
    sign_ins.c.created_at,
)
Index("ix_sign_ins_tenant_created", sign_ins.c.tenant_id, sign_ins.c.created_at, sign_ins.c.id)

# A tenant's threat lists: networks by list (anonymizer, malicious), and breached credentials as
# SHA-1 digests, split as the k-anonymity range API serves them (a 5-digit prefix, a 35-digit
# suffix). Per tenant, as everything else: one tenant's administrator cannot feed another's.
ip_ranges = Table(
    "ip_ranges",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("list", String(16), primary_key=True),
    Column("network", String(64), primary_key=True),
)
leaked_credentials = Table(
    "leaked_credentials",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("prefix", String(5), primary_key=True),
    Column("suffix", String(35), primary_key=True),
)

# Signals (signals/, docs/signals.md). A stream is an SSF event stream or a Graph-style
# subscription: where its events go (`config`, JSON) and who delivers them now (the lease).
signal_streams = Table(
    "signal_streams",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("delivery", String(8), nullable=False),  # push, poll (SSF); webhook (Graph)
    Column("status", String(16), nullable=False),  # enabled, paused, disabled
    Column("reason", Text),
    Column("config", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),  # a subscription's expirationDateTime
    # Delivery: one deliverer at a time holds the stream until lease_until.
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime()),
    Column("next_attempt_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
# Subjects a receiver removed from its stream (default_subjects is ALL), by subject key.
signal_subjects = Table(
    "signal_subjects",
    metadata,
    Column("stream_id", String(64), primary_key=True),
    Column("subject", String(512), primary_key=True),
)
# The outbox: each event, written in the transaction of the change that made it, waits here
# until its stream's receiver took it (push: a 2xx; poll: an acknowledgement).
signal_outbox = Table(
    "signal_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("stream_id", String(64), nullable=False),
    Column("jti", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("polled_at", UtcDateTime()),  # poll delivery: handed out, not yet acknowledged
    Column("rejected", Boolean, nullable=False, server_default=text("false")),
    Column("error", Text),  # the receiver's error body when it refused the event
)
Index(
    "ix_signal_outbox_stream_id_rejected_id",
    signal_outbox.c.stream_id,
    signal_outbox.c.rejected,
    signal_outbox.c.id,
)
Index("ix_signal_outbox_stream_id_jti", signal_outbox.c.stream_id, signal_outbox.c.jti, unique=True)
# SETs received from other transmitters, by issuer and jti: a replayed SET is ignored.
signal_received = Table(
    "signal_received",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("issuer", String(512), primary_key=True),
    Column("jti", String(256), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False),
)

# Operations (ops/, docs/operations.md). Each tenant's throttling and fault settings, as the
# documents that set them (ops/config.py): NULL throttle is the server's profile.
tenant_ops = Table(
    "tenant_ops",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("throttle", Text),
    Column("faults", Text),
)
# What a PostgreSQL deployment's processes count together: throttle buckets (GCRA's theoretical
# arrival time, epoch seconds) and the fault rules' request numbers.
ops_counters = Table(
    "ops_counters",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("value", Float, nullable=False),
    Column("admitted", Boolean, nullable=False),
)
# The directory audit log (auditLogs/directoryAudits): one row per risk action or admin change,
# written in its transaction; targets and details as JSON, and the targets' ids again in
# directory_audit_targets for $filter on targetResources.
directory_audits = Table(
    "directory_audits",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("activity_at", UtcDateTime(), nullable=False),
    Column("category", String(64), nullable=False),
    Column("activity_display_name", String(128), nullable=False),
    Column("operation_type", String(32), nullable=False),
    Column("result", String(16), nullable=False),
    Column("result_reason", String(256), nullable=False),
    Column("logged_by_service", String(64), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("initiator_kind", String(8), nullable=False),  # user, app
    Column("initiator_id", String(64)),
    Column("initiator_name", String(256)),  # a user's UPN, an app's display name
    Column("initiator_app_id", String(64)),
    Column("targets", Text, nullable=False),
    Column("details", Text, nullable=False),
)
Index(
    "ix_directory_audits_tenant_id_activity_at_id",
    directory_audits.c.tenant_id,
    directory_audits.c.activity_at,
    directory_audits.c.id,
)
directory_audit_targets = Table(
    "directory_audit_targets",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("target_id", String(128), primary_key=True),
    Column("audit_id", String(64), primary_key=True),
)
