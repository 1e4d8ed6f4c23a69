"""The risk engine's tables: sign-ins, and each tenant's threat lists and breach corpus."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from idprotect.store.encodings import (
    Moment,
)
from idprotect.store.tables.base import DETAIL, LEVEL, STATE, TENANT, metadata

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
