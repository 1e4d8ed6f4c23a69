"""The three lists: each collection's filterable columns, its orderings, and keyset pages.

Property paths are Graph's (the allow-lists of odata/collections.py); each maps to the
column, or for a P1 tenant's detections to the expression, that holds what the caller sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.enums import NONPREMIUM_RISK_EVENT_TYPES, RiskDetail, RiskLevel
from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import Licence
from idprotect.store import rows
from idprotect.store.compiled import CompiledSelect
from idprotect.store.encodings import RISK_LEVELS
from idprotect.store.query import Columns, Ordering, Seek, SortKey, compile_filter
from idprotect.store.tables import risk_detections, risky_user_history, users

T = TypeVar("T")

_u, _h, _d = users.c, risky_user_history.c, risk_detections.c

_RISK_COLUMNS: dict[str, Any] = {
    "isDeleted": "is_deleted",
    "isProcessing": "is_processing",
    "riskDetail": "risk_detail",
    "riskLastUpdatedDateTime": "risk_last_updated_at",
    "riskLevel": "risk_level",
    "riskState": "risk_state",
    "userDisplayName": "display_name",
    "userPrincipalName": "user_principal_name",
}

RISKY_USER_COLUMNS: Columns = {"id": _u.id, **{p: _u[c] for p, c in _RISK_COLUMNS.items()}}
HISTORY_COLUMNS: Columns = {
    **{p: _h[c] for p, c in _RISK_COLUMNS.items()},
    "userId": _h.user_id,
    "initiatedBy": _h.initiated_by,
    "activity/detail": _h.activity_detail,
}
DETECTION_COLUMNS: Columns = {
    "id": _d.id,
    "activity": _d.activity,
    "activityDateTime": _d.activity_at,
    "correlationId": _d.correlation_id,
    "detectedDateTime": _d.detected_at,
    "detectionTimingType": _d.detection_timing_type,
    "ipAddress": _d.ip_address,
    "lastUpdatedDateTime": _d.last_updated_at,
    "location/city": _d.city,
    "location/state": _d.state,
    "location/countryOrRegion": _d.country_or_region,
    "requestId": _d.request_id,
    "riskDetail": _d.risk_detail,
    "riskEventType": _d.risk_event_type,
    "riskLevel": _d.risk_level,
    "riskState": _d.risk_state,
    "source": _d.source,
    "tokenIssuerType": _d.token_issuer_type,
    "userDisplayName": _d.user_display_name,
    "userId": _d.user_id,
    "userPrincipalName": _d.user_principal_name,
}
# What a P1 tenant sees (domain/tenants.py `as_seen_with`, in SQL): its filters match that.
P1_DETECTION_COLUMNS: Columns = {
    **DETECTION_COLUMNS,
    "riskLevel": literal(RiskLevel.HIDDEN.value),
    "riskDetail": literal(RiskDetail.HIDDEN.value),
    "riskEventType": case(
        (_d.risk_event_type.in_(sorted(NONPREMIUM_RISK_EVENT_TYPES)), _d.risk_event_type),
        else_=literal("generic"),
    ),
}

_USER_ID = SortKey(_u.id, str)
_USER_KEYS = {
    "riskLastUpdatedDateTime": SortKey(_u.risk_last_updated_at, datetime),
    "riskLevel": SortKey(_u.risk_level, int, members=RISK_LEVELS),
    "userPrincipalName": SortKey(_u.user_principal_name, str, nullable=True),
    "userDisplayName": SortKey(_u.display_name, str, nullable=True),
}
_DETECTION_ID = SortKey(_d.id, str)
_DETECTION_KEYS = {
    "detectedDateTime": SortKey(_d.detected_at, datetime),
    "activityDateTime": SortKey(_d.activity_at, datetime),
    "lastUpdatedDateTime": SortKey(_d.last_updated_at, datetime),
}
# History is always newest first: its ticks order it (and the ids of its items).
HISTORY_ORDERING = Ordering(None, SortKey(_h.ticks, int), descending=True)


# Which rows of a table a list walks, with its values as bound parameters: every query names
# its tenant (and a history its user).
_TENANT: BindParameter[str] = bindparam("tenant")
# A tenant's risky users: its users that have ever been risky.
_RISKY_USERS = (_u.tenant_id == _TENANT, _u.risk_state.is_not(None))
_USER_HISTORY = (_h.tenant_id == _TENANT, _h.user_id == bindparam("user"))
_DETECTIONS = (_d.tenant_id == _TENANT,)


def list_risky_users(connection: Connection, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
    ordering = risky_users_ordering(page)
    listing = Listing(users, _RISKY_USERS, {"tenant": tenant_id}, RISKY_USER_COLUMNS, ordering)
    return list_page(connection, listing, page, rows.risky_user_from_row)


def count_risky_users(connection: Connection, tenant_id: str, filter: Node | None) -> int:
    where = list(_RISKY_USERS)
    if filter is not None:
        where.append(compile_filter(filter, RISKY_USER_COLUMNS, connection.dialect.name))
    return count_rows(connection, users, where, {"tenant": tenant_id})


def list_history(
    connection: Connection, tenant_id: str, user_id: str, page: PageRequest
) -> Page[HistoryItem]:
    values = {"tenant": tenant_id, "user": user_id}
    listing = Listing(risky_user_history, _USER_HISTORY, values, HISTORY_COLUMNS, HISTORY_ORDERING)
    return list_page(connection, listing, page, rows.history_from_row)


def list_risk_detections(
    connection: Connection, tenant_id: str, page: PageRequest, licence: Licence
) -> Page[RiskDetection]:
    """Newest detection first unless ordered otherwise; ties broken by id."""
    columns = P1_DETECTION_COLUMNS if licence is Licence.P1 else DETECTION_COLUMNS
    ordering = detections_ordering(page)
    listing = Listing(risk_detections, _DETECTIONS, {"tenant": tenant_id}, columns, ordering)
    return list_page(connection, listing, page, rows.detection_from_row)


def risky_users_ordering(page: PageRequest) -> Ordering:
    """By the requested key then id; by id alone unless asked."""
    key = _USER_KEYS[page.order_by] if page.order_by is not None else None
    return Ordering(key, _USER_ID, descending=page.descending)


def detections_ordering(page: PageRequest) -> Ordering:
    """By the requested date then id; newest detection first unless asked."""
    if page.order_by is None:
        return Ordering(_DETECTION_KEYS["detectedDateTime"], _DETECTION_ID, descending=True)
    return Ordering(_DETECTION_KEYS[page.order_by], _DETECTION_ID, descending=page.descending)


@dataclass(frozen=True, slots=True)
class Listing:
    """One list request against one table: which rows, how to filter, order and convert them."""

    table: Table
    scope: tuple[ColumnElement[bool], ...]  # with bound parameters: the tenant, the user
    values: dict[str, Any]  # the scope's parameters
    columns: Columns
    ordering: Ordering


def list_page(
    connection: Connection, listing: Listing, page: PageRequest, convert: Callable[[Any], T]
) -> Page[T]:
    """`page.limit` rows after `page.after`: a seek on the ordering's index, however deep.

    Without a $filter the statement depends only on the list's shape (its scope, ordering and
    where the seek starts): it is built once and run with the request's values."""
    dialect = connection.dialect.name
    values = {**listing.values, "limit": page.limit + 1}
    seek = None
    if page.after is not None:
        seek, after_values = listing.ordering.seek(page.after)
        values.update(after_values)
    if page.filter is None:
        where = list(listing.scope)
        compiled = _page_query(listing.table, listing.scope, listing.ordering, seek, dialect)
        found = compiled.rows(connection, values)
    else:
        where = [*listing.scope, compile_filter(page.filter, listing.columns, dialect)]
        after = [listing.ordering.after(seek)] if seek is not None else []
        query = _select(listing.table, [*where, *after], listing.ordering, dialect)
        found = list(connection.execute(query, values).all())
    count = count_rows(connection, listing.table, where, values) if page.count else None
    rows = found[: page.limit]
    more = len(found) > page.limit
    return Page(
        items=[convert(row) for row in rows],
        next_after=listing.ordering.position(rows[-1]) if more else None,
        count=count,
    )


# Statements of lists without a $filter, by their shape (a few dozen at most).
_PAGE_QUERIES: dict[tuple[object, ...], CompiledSelect] = {}


def _page_query(
    table: Table,
    scope: tuple[ColumnElement[bool], ...],
    ordering: Ordering,
    seek: Seek | None,
    dialect: str,
) -> CompiledSelect:
    # By identity and names: SQL expressions do not compare with `==`.
    key_column = ordering.key.column if ordering.key is not None else None
    shape = (table.name, id(scope), id(key_column), ordering.descending, seek, dialect)
    query = _PAGE_QUERIES.get(shape)
    if query is None:
        after = [ordering.after(seek)] if seek is not None else []
        query = CompiledSelect(_select(table, [*scope, *after], ordering, dialect))
        _PAGE_QUERIES[shape] = query
    return query


def _select(
    table: Table, where: list[ColumnElement[bool]], ordering: Ordering, dialect: str
) -> Select[Any]:
    order = ordering.order_by(dialect)
    columns = rows.read_columns(table)
    return select(*columns).where(*where).order_by(*order).limit(bindparam("limit"))


def count_rows(
    connection: Connection,
    table: Table,
    where: list[ColumnElement[bool]],
    values: dict[str, Any],
) -> int:
    query = select(func.count()).select_from(table).where(*where)
    count = connection.execute(query, values).scalar()
    return int(count or 0)
