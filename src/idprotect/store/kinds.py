"""How each principal kind (domain/kinds.py) is stored: its three tables, how its rows convert,
what its lists may filter and order by, and its statements, built and compiled once at import
(building a statement per call cost more than SQLite takes to run it: docs/performance.md).

The statements are the same for every kind, made from its tables; a kind is an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    case,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.enums import (
    NONPREMIUM_RISK_EVENT_TYPES,
    AgentIdentityType,
    RiskDetail,
    RiskLevel,
)
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import Agent, AgentRiskDetection
from idprotect.domain.tenants import View
from idprotect.domain.transitions import ACTIVE_DETECTION_STATES
from idprotect.store.compiled import CompiledSelect
from idprotect.store.encodings import RISK_LEVELS
from idprotect.store.query import Columns, SortKey
from idprotect.store.rows import (
    RISK_COLUMNS,
    Field,
    Shape,
    enum_field,
    json_list_field,
    read_columns,
)
from idprotect.store.tables import (
    agent_history,
    agent_risk_detections,
    agents,
    risk_detections,
    risky_user_history,
    service_principal_history,
    service_principal_risk_detections,
    service_principals,
    users,
)

ACTIVE = sorted(state.value for state in ACTIVE_DETECTION_STATES)
_TENANT: BindParameter[str] = bindparam("tenant")
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)


@dataclass(frozen=True, slots=True)
class Statements:
    """What actions and ingestion run, for one kind."""

    lock: Select[Any]  # the principals, locked, in id order: writers lock in the same order
    lock_with_latest_ticks: Select[Any]  # with each one's newest history ticks
    latest_ticks: Select[Any]
    save_risk: Update
    add_history: Insert
    close_detections: Update
    active_levels: Select[Any]


def _statements(principals: Table, history: Table, detections: Table, key: str) -> Statements:
    p, h, d = principals.c, history.c, detections.c
    lock = (
        select(*read_columns(principals))
        .where(p.tenant_id == _TENANT, p.id.in_(_IDS))
        .order_by(p.id)
        .with_for_update()
    )
    newest = (
        select(func.max(h.ticks))
        .where(h.tenant_id == p.tenant_id, h[key] == p.id)
        .scalar_subquery()
        .label("latest_ticks")
    )
    return Statements(
        lock=lock,
        lock_with_latest_ticks=lock.add_columns(newest),
        latest_ticks=select(h[key], func.max(h.ticks))
        .where(h.tenant_id == _TENANT, h[key].in_(_IDS))
        .group_by(h[key]),
        # Parameters named apart from the columns: SQLAlchemy keeps column names for SET values.
        save_risk=update(principals)
        .where(p.tenant_id == _TENANT, p.id.in_(_IDS))
        .values({name: bindparam(f"new_{name}") for name in RISK_COLUMNS}),
        add_history=insert(history),
        close_detections=update(detections)
        .where(d.tenant_id == _TENANT, d[key].in_(_IDS), d.risk_state.in_(ACTIVE))
        .values(
            risk_state=bindparam("new_state"),
            risk_detail=bindparam("new_detail"),
            last_updated_at=bindparam("new_last_updated_at"),
        ),
        active_levels=select(d[key], d.risk_level).where(
            d.tenant_id == _TENANT, d[key].in_(_IDS), d.risk_state.in_(ACTIVE)
        ),
    )


@dataclass(frozen=True, slots=True)
class Reads:
    """Reads of one entity by its key, compiled once (compiled.py)."""

    risky: CompiledSelect
    history_item: CompiledSelect
    detection: CompiledSelect


def _reads(principals: Table, history: Table, detections: Table, key: str) -> Reads:
    p, h, d = principals.c, history.c, detections.c
    return Reads(
        risky=CompiledSelect(
            select(*read_columns(principals)).where(
                p.tenant_id == _TENANT, p.id == bindparam("id"), p.risk_state.is_not(None)
            )
        ),
        history_item=CompiledSelect(
            select(*read_columns(history)).where(
                h.tenant_id == _TENANT, h[key] == bindparam("id"), h.ticks == bindparam("ticks")
            )
        ),
        detection=CompiledSelect(
            select(*read_columns(detections)).where(d.tenant_id == _TENANT, d.id == bindparam("id"))
        ),
    )


@dataclass(frozen=True, slots=True)
class StoredKind:
    kind: PrincipalKind
    principals: Table
    history: Table
    detections: Table
    shape: Shape
    # $filter's property paths -> columns, for the risky principals, their history (beyond
    # the principal's) and the detections.
    principal_columns: Columns
    history_columns: Columns
    detection_columns: Columns
    # $orderby's properties -> keys (then id).
    principal_keys: dict[str, SortKey]
    detection_keys: dict[str, SortKey]
    statements: Statements
    reads: Reads

    @property
    def key(self) -> str:
        return self.shape.history_key

    def columns(self, view: View) -> Columns:
        return self.principal_columns if view is View.FULL else _hidden(self.principal_columns)

    def item_columns(self, view: View) -> Columns:
        if view is View.FULL:
            return self.history_columns
        hidden = _hidden(self.history_columns)
        detail = self.history.c.activity_detail
        hidden["activity/detail"] = case(
            (detail.is_(None), null()), else_=literal(RiskDetail.HIDDEN.value)
        )
        return hidden

    def detection_filter_columns(self, view: View) -> Columns:
        if view is View.FULL:
            return self.detection_columns
        hidden = _hidden(self.detection_columns)
        if self.kind.hides_premium_event_types:
            event_type = self.detections.c.risk_event_type
            hidden["riskEventType"] = case(
                (event_type.in_(sorted(NONPREMIUM_RISK_EVENT_TYPES)), event_type),
                else_=literal("generic"),
            )
        return hidden


def _hidden(columns: Columns) -> dict[str, ColumnElement[Any]]:
    """What a LIMITED view filters on (domain `as_seen`, in SQL): riskLevel, riskDetail hidden."""
    return {
        **columns,
        "riskLevel": literal(RiskLevel.HIDDEN.value),
        "riskDetail": literal(RiskDetail.HIDDEN.value),
    }


def _stored(
    kind: PrincipalKind,
    tables: tuple[Table, Table, Table],
    shape: Shape,
    *,
    names: dict[str, str],
    history_names: dict[str, str],
    detection_names: dict[str, str],
    keys: dict[str, SortKey],
    updated: str = "riskLastUpdatedDateTime",
    detection_updated: str = "lastUpdatedDateTime",
) -> StoredKind:
    """A kind's entry. `names` maps its own Graph properties to its principals' columns,
    `history_names` and `detection_names` its history items' and detections' to theirs."""
    principals, history, detections = tables
    p, h, d = principals.c, history.c, detections.c
    key = shape.history_key
    risk = {
        "isProcessing": "is_processing",
        "riskDetail": "risk_detail",
        updated: "risk_last_updated_at",
        "riskLevel": "risk_level",
        "riskState": "risk_state",
        **names,
    }
    detection = {
        "id": "id",
        "activityDateTime": "activity_at",
        "detectedDateTime": "detected_at",
        "detectionTimingType": "detection_timing_type",
        "riskDetail": "risk_detail",
        "riskEventType": "risk_event_type",
        "riskLevel": "risk_level",
        "riskState": "risk_state",
        "source": "source",
        detection_updated: "last_updated_at",
        **detection_names,
    }
    return StoredKind(
        kind=kind,
        principals=principals,
        history=history,
        detections=detections,
        shape=shape,
        principal_columns={"id": p.id, **{name: p[c] for name, c in risk.items()}},
        history_columns={
            **{name: h[c] for name, c in risk.items()},
            "initiatedBy": h.initiated_by,
            "activity/detail": h.activity_detail,
            **{name: h[c] for name, c in history_names.items()},
        },
        detection_columns={name: d[c] for name, c in detection.items()},
        principal_keys=keys,
        detection_keys={
            "detectedDateTime": SortKey(d.detected_at, datetime),
            "activityDateTime": SortKey(d.activity_at, datetime),
            detection_updated: SortKey(d.last_updated_at, datetime),
        },
        statements=_statements(principals, history, detections, key),
        reads=_reads(principals, history, detections, key),
    )


_SIGN_IN = {
    "activity": "activity",
    "correlationId": "correlation_id",
    "ipAddress": "ip_address",
    "location/city": "city",
    "location/state": "state",
    "location/countryOrRegion": "country_or_region",
    "requestId": "request_id",
    "tokenIssuerType": "token_issuer_type",
}
_USER_NAMES = {"userDisplayName": "display_name", "userPrincipalName": "user_principal_name"}
_u = users.c

STORED_USERS = _stored(
    USER,
    (users, risky_user_history, risk_detections),
    Shape(
        principal_type=USER.principal_type,
        profile=(Field("display_name"), Field("user_principal_name")),
        detection_type=USER.detection_type,
        detection_fields=(Field("user_display_name"), Field("user_principal_name")),
        sign_in=True,
        history_key="user_id",
    ),
    names={"isDeleted": "is_deleted", **_USER_NAMES},
    history_names={"userId": "user_id"},
    detection_names={
        **_SIGN_IN,
        "userDisplayName": "user_display_name",
        "userId": "user_id",
        "userPrincipalName": "user_principal_name",
    },
    keys={
        "riskLastUpdatedDateTime": SortKey(_u.risk_last_updated_at, datetime),
        "riskLevel": SortKey(_u.risk_level, int, members=RISK_LEVELS),
        "userPrincipalName": SortKey(_u.user_principal_name, str, nullable=True),
        "userDisplayName": SortKey(_u.display_name, str, nullable=True),
    },
)

_sp = service_principals.c
STORED_SERVICE_PRINCIPALS = _stored(
    SERVICE_PRINCIPAL,
    (service_principals, service_principal_history, service_principal_risk_detections),
    Shape(
        principal_type=SERVICE_PRINCIPAL.principal_type,
        profile=(
            Field("app_id"),
            Field("display_name"),
            Field("is_enabled"),
            Field("service_principal_type"),
        ),
        detection_type=SERVICE_PRINCIPAL.detection_type,
        detection_fields=(
            Field("service_principal_display_name"),
            Field("app_id"),
            json_list_field("key_ids"),
        ),
        sign_in=True,
        history_key="service_principal_id",
    ),
    names={
        "appId": "app_id",
        "displayName": "display_name",
        "isEnabled": "is_enabled",
        "servicePrincipalType": "service_principal_type",
    },
    history_names={"servicePrincipalId": "service_principal_id"},
    detection_names={
        **_SIGN_IN,
        "appId": "app_id",
        "servicePrincipalDisplayName": "service_principal_display_name",
        "servicePrincipalId": "service_principal_id",
    },
    keys={
        "riskLastUpdatedDateTime": SortKey(_sp.risk_last_updated_at, datetime),
        "displayName": SortKey(_sp.display_name, str, nullable=True),
    },
)

_a = agents.c
_IDENTITY_TYPE = enum_field("identity_type", AgentIdentityType)
STORED_AGENTS = _stored(
    AGENT,
    (agents, agent_history, agent_risk_detections),
    Shape(
        principal_type=Agent,
        profile=(Field("display_name"), Field("blueprint_id"), _IDENTITY_TYPE, Field("is_enabled")),
        detection_type=AgentRiskDetection,
        detection_fields=(
            Field("agent_display_name"),
            Field("blueprint_id"),
            _IDENTITY_TYPE,
            Field("risk_evidence"),
        ),
        sign_in=False,
        history_key="agent_id",
    ),
    updated="riskLastModifiedDateTime",
    detection_updated="lastModifiedDateTime",
    names={
        "agentDisplayName": "display_name",
        "blueprintId": "blueprint_id",
        "identityType": "identity_type",
        "isDeleted": "is_deleted",
        "isEnabled": "is_enabled",
    },
    history_names={"agentId": "agent_id"},
    detection_names={
        "agentDisplayName": "agent_display_name",
        "agentId": "agent_id",
        "blueprintId": "blueprint_id",
        "identityType": "identity_type",
        "riskEvidence": "risk_evidence",
    },
    keys={
        "riskLastModifiedDateTime": SortKey(_a.risk_last_updated_at, datetime),
        "agentDisplayName": SortKey(_a.display_name, str, nullable=True),
    },
)

STORED = {s.kind.name: s for s in (STORED_USERS, STORED_SERVICE_PRINCIPALS, STORED_AGENTS)}


def stored(kind: PrincipalKind) -> StoredKind:
    return STORED[kind.name]
