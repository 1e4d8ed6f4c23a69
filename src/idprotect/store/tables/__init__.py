"""The schema. Every row carries its tenant, which leads every key and index.

The bulk tables (users, history, detections) store enums, moments, tenants and additionalInfo
in the compact forms of encodings.py; their columns still take and give the domain's values.
One module per area; every table is imported here, so `metadata` knows them all.
"""

from __future__ import annotations

from idprotect.store.tables.base import DETAIL, LEVEL, STATE, TENANT, UtcDateTime, metadata, tenants
from idprotect.store.tables.engine import ip_ranges, leaked_credentials, sign_ins
from idprotect.store.tables.issuer import (
    app_registrations,
    authorization_codes,
    deployment_secrets,
    signing_keys,
    user_passwords,
)
from idprotect.store.tables.ops import (
    directory_audit_targets,
    directory_audits,
    ops_counters,
    tenant_ops,
)
from idprotect.store.tables.risk import (
    agent_history,
    agent_risk_detections,
    agents,
    detection_infos,
    risk_detections,
    risky_user_history,
    service_principal_history,
    service_principal_risk_detections,
    service_principals,
    users,
)
from idprotect.store.tables.signals import (
    signal_outbox,
    signal_received,
    signal_streams,
    signal_subjects,
)

__all__ = [
    "DETAIL",
    "LEVEL",
    "STATE",
    "TENANT",
    "UtcDateTime",
    "agent_history",
    "agent_risk_detections",
    "agents",
    "app_registrations",
    "authorization_codes",
    "deployment_secrets",
    "detection_infos",
    "directory_audit_targets",
    "directory_audits",
    "ip_ranges",
    "leaked_credentials",
    "metadata",
    "ops_counters",
    "risk_detections",
    "risky_user_history",
    "service_principal_history",
    "service_principal_risk_detections",
    "service_principals",
    "sign_ins",
    "signal_outbox",
    "signal_received",
    "signal_streams",
    "signal_subjects",
    "signing_keys",
    "tenant_ops",
    "tenants",
    "user_passwords",
    "users",
]
