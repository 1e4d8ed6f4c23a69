"""The lists of every kind: risky principals, their history and their detections, as keyset
pages. Property paths are Graph's (the allow-lists of odata/collections.py); store/kinds.py maps
each to the column, or for a LIMITED view to the expression, that holds what the caller sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.models import Detection, HistoryItem, Principal
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import View
from idprotect.store import rows
from idprotect.store.compiled import CompiledSelect
from idprotect.store.kinds import StoredKind
from idprotect.store.query import Columns, Ordering, Seek, SortKey, compile_filter

T = TypeVar("T")

# Which rows of a table a list walks, with its values as bound parameters: every query names
# its tenant (and a history its principal). Made once per table: page statements are cached
# by the identity of their scope.
_TENANT: BindParameter[str] = bindparam("tenant")
_SCOPES: dict[tuple[str, str], tuple[ColumnElement[bool], ...]] = {}


def _scope(table: Table, what: str, key: str = "") -> tuple[ColumnElement[bool], ...]:
    found = _SCOPES.get((table.name, what))
    if found is None:
        if what == "risky":  # a tenant's risky principals: those that have ever been risky
            found = (table.c.tenant_id == _TENANT, table.c.risk_state.is_not(None))
        elif what == "history":
            found = (table.c.tenant_id == _TENANT, table.c[key] == bindparam("principal"))
        else:
            found = (table.c.tenant_id == _TENANT,)
        _SCOPES[(table.name, what)] = found
    return found


def list_risky_principals(
    connection: Connection, stored: StoredKind, tenant_id: str, page: PageRequest, view: View
) -> Page[Principal]:
    listing = Listing(
        stored.principals,
        _scope(stored.principals, "risky"),
        {"tenant": tenant_id},
        stored.columns(view),
        principals_ordering(stored, page),
    )
    return list_page(connection, listing, page, partial(rows.principal_from_row, stored.shape))


def count_risky_principals(
    connection: Connection, stored: StoredKind, tenant_id: str, filter: Node | None, view: View
) -> int:
    where = list(_scope(stored.principals, "risky"))
    if filter is not None:
        where.append(compile_filter(filter, stored.columns(view), connection.dialect.name))
    return count_rows(connection, stored.principals, where, {"tenant": tenant_id})


def list_history(
    connection: Connection,
    stored: StoredKind,
    tenant_id: str,
    principal_id: str,
    page: PageRequest,
    view: View,
) -> Page[HistoryItem]:
    history = stored.history
    listing = Listing(
        history,
        _scope(history, "history", stored.key),
        {"tenant": tenant_id, "principal": principal_id},
        stored.item_columns(view),
        # History is always newest first: its ticks order it (and the ids of its items).
        Ordering(None, SortKey(history.c.ticks, int), descending=True),
    )
    return list_page(connection, listing, page, partial(rows.history_from_row, stored.shape))


def list_risk_detections(
    connection: Connection, stored: StoredKind, tenant_id: str, page: PageRequest, view: View
) -> Page[Detection]:
    """Newest detection first unless ordered otherwise; ties broken by id."""
    listing = Listing(
        stored.detections,
        _scope(stored.detections, "all"),
        {"tenant": tenant_id},
        stored.detection_filter_columns(view),
        detections_ordering(stored, page),
    )
    return list_page(connection, listing, page, partial(rows.detection_from_row, stored.shape))


def principals_ordering(stored: StoredKind, page: PageRequest) -> Ordering:
    """By the requested key then id; by id alone unless asked."""
    key = stored.principal_keys[page.order_by] if page.order_by is not None else None
    return Ordering(key, SortKey(stored.principals.c.id, str), descending=page.descending)


def detections_ordering(stored: StoredKind, page: PageRequest) -> Ordering:
    """By the requested date then id; newest detection first unless asked."""
    by_id = SortKey(stored.detections.c.id, str)
    if page.order_by is None:
        return Ordering(stored.detection_keys["detectedDateTime"], by_id, descending=True)
    return Ordering(stored.detection_keys[page.order_by], by_id, descending=page.descending)


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
