"""The directory audit log in SQL: records written in the action's unit of work, read as
keyset pages newest first, filtered through Graph's property paths (and, apart, by a target)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, bindparam, case, exists, insert, select
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.audits import AuditTarget, DirectoryAudit, Initiator
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.store.listing import Listing, list_page
from idprotect.store.query import Ordering, SortKey
from idprotect.store.repository import SqlRiskStore
from idprotect.store.tables import app_registrations, directory_audit_targets, directory_audits

_a = directory_audits.c
_t = directory_audit_targets.c
_TENANT: BindParameter[str] = bindparam("tenant")
_SCOPE: tuple[ColumnElement[bool], ...] = (_a.tenant_id == _TENANT,)
_BY_TARGET: tuple[ColumnElement[bool], ...] = (
    _a.tenant_id == _TENANT,
    exists().where(
        _t.tenant_id == _a.tenant_id, _t.audit_id == _a.id, _t.target_id == bindparam("target")
    ),
)
_USER, _APP = _a.initiator_kind == "user", _a.initiator_kind == "app"

# Graph's property paths -> the columns (or expressions) that hold them.
FILTER_COLUMNS: dict[str, ColumnElement[Any]] = {
    "id": _a.id,
    "activityDateTime": _a.activity_at,
    "category": _a.category,
    "activityDisplayName": _a.activity_display_name,
    "operationType": _a.operation_type,
    "result": _a.result,
    "correlationId": _a.correlation_id,
    "loggedByService": _a.logged_by_service,
    "initiatedBy/user/id": case((_USER, _a.initiator_id)),
    "initiatedBy/user/userPrincipalName": case((_USER, _a.initiator_name)),
    "initiatedBy/app/appId": case((_APP, _a.initiator_app_id)),
    "initiatedBy/app/displayName": case((_APP, _a.initiator_name)),
    "initiatedBy/app/servicePrincipalId": case((_APP, _a.initiator_id)),
}


class SqlAuditLog:
    """The tenant's directory audit log on one connection (the unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_audit(self, tenant_id: str, audit: DirectoryAudit) -> None:
        initiator = self._named(tenant_id, audit.initiated_by)
        self._connection.execute(insert(directory_audits).values(_row(tenant_id, audit, initiator)))
        ids = sorted({t.id for t in audit.targets})
        if ids:
            rows = [{"tenant_id": tenant_id, "target_id": i, "audit_id": audit.id} for i in ids]
            self._connection.execute(insert(directory_audit_targets), rows)

    def list_audits(
        self, tenant_id: str, page: PageRequest, target: str | None
    ) -> Page[DirectoryAudit]:
        descending = page.descending if page.order_by is not None else True
        ordering = Ordering(
            SortKey(_a.activity_at, datetime), SortKey(_a.id, str), descending=descending
        )
        values = (
            {"tenant": tenant_id} if target is None else {"tenant": tenant_id, "target": target}
        )
        scope = _SCOPE if target is None else _BY_TARGET
        listing = Listing(directory_audits, scope, values, FILTER_COLUMNS, ordering)
        return list_page(self._connection, listing, page, audit_from_row)

    def get_audit(self, tenant_id: str, audit_id: str) -> DirectoryAudit | None:
        if "\x00" in audit_id:
            return None
        query = select(directory_audits).where(_a.tenant_id == tenant_id, _a.id == audit_id)
        row = self._connection.execute(query).first()
        return audit_from_row(row) if row is not None else None

    def _named(self, tenant_id: str, initiator: Initiator) -> Initiator:
        """An app initiator with its registration's display name, when it has one."""
        if initiator.kind != "app" or initiator.name is not None or initiator.app_id is None:
            return initiator
        r = app_registrations.c
        query = select(r.display_name).where(
            r.tenant_id == tenant_id, r.client_id == initiator.app_id
        )
        name = self._connection.execute(query).scalar()
        return Initiator("app", initiator.id, name, initiator.app_id)


def audit_log(store: RiskStore) -> SqlAuditLog:
    """The audit log of a unit of work's store (the SQL one)."""
    assert isinstance(store, SqlRiskStore)
    return SqlAuditLog(store.connection)


def _row(tenant_id: str, audit: DirectoryAudit, initiator: Initiator) -> dict[str, Any]:
    targets = [
        {"id": t.id, "type": t.type, "displayName": t.display_name, "upn": t.user_principal_name}
        for t in audit.targets
    ]
    return {
        "tenant_id": tenant_id,
        "id": audit.id,
        "activity_at": audit.activity_at,
        "category": audit.category,
        "activity_display_name": audit.activity_display_name,
        "operation_type": audit.operation_type,
        "result": audit.result,
        "result_reason": audit.result_reason,
        "logged_by_service": audit.logged_by_service,
        "correlation_id": audit.correlation_id,
        "initiator_kind": initiator.kind,
        "initiator_id": initiator.id,
        "initiator_name": initiator.name,
        "initiator_app_id": initiator.app_id,
        "targets": orjson.dumps(targets).decode(),
        "details": orjson.dumps(audit.details).decode(),
    }


def audit_from_row(row: Any) -> DirectoryAudit:
    targets = tuple(
        AuditTarget(t["id"], t["type"], t["displayName"], t["upn"])
        for t in orjson.loads(row.targets)
    )
    return DirectoryAudit(
        id=row.id,
        activity_at=row.activity_at,
        category=row.category,
        activity_display_name=row.activity_display_name,
        operation_type=row.operation_type,
        initiated_by=Initiator(
            row.initiator_kind, row.initiator_id, row.initiator_name, row.initiator_app_id
        ),
        targets=targets,
        correlation_id=row.correlation_id,
        details=tuple((k, v) for k, v in orjson.loads(row.details)),
        result=row.result,
        result_reason=row.result_reason,
        logged_by_service=row.logged_by_service,
    )
