"""Random filters and orderings: SQLite and PostgreSQL return exactly what odata.evaluate keeps.

One awkward tenant (query_data.py) is loaded into both databases; hypothesis draws filter trees
whose literals mostly come from the data (so they match something), compiles them through the
store, and compares the rows (and, for orderings, their order across keyset pages) with a plain
Python evaluation over the same rows as the caller sees them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idprotect.domain.kinds import USER
from idprotect.domain.paging import PageRequest
from idprotect.domain.predicates import (
    Comparison,
    In,
    Literal,
    Node,
    Not,
    Operator,
    StartsWith,
    conjoin,
    disjoin,
)
from idprotect.domain.tenants import Licence, View
from idprotect.errors import BadRequest
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.evaluate import evaluate
from idprotect.odata.evolvable import hide_evolvable
from idprotect.odata.schema import Boolean, DateTimeOffset, Enum, Guid
from idprotect.store.engine import Database, make_engine
from tests.store import query_data as data

pytestmark = pytest.mark.postgres

RNG = random.Random(7)
USERS = data.make_users(RNG, 90)
DETECTIONS = data.make_detections(RNG, USERS, 150)
HISTORY_USER = USERS[0]
HISTORY_ITEMS = data.make_history(RNG, HISTORY_USER, 40)
USER_RECORDS = [data.user_record(u) for u in USERS]
DETECTION_RECORDS = [data.detection_record(d) for d in DETECTIONS]
HISTORY_RECORDS = [data.history_record(i) for i in HISTORY_ITEMS]
RECORDS = {
    "riskyUsers": USER_RECORDS,
    "riskDetections": DETECTION_RECORDS,
    "history": HISTORY_RECORDS,
}
RANKS = {"low": 0, "medium": 1, "high": 2, "hidden": 3, "none": 4}
EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def databases(sqlite_url: str, postgres_url: str) -> Iterator[list[Database]]:
    both = [Database(make_engine(url)) for url in (sqlite_url, postgres_url)]
    for database in both:
        data.load(database, USERS, DETECTIONS)
        with database.unit_of_work(write=True) as store:
            store.add_history_items(USER, data.TENANT, HISTORY_ITEMS)
    yield both
    for database in both:
        database.dispose()


# -- strategies ----------------------------------------------------------------------------------


def _pool(records: list[dict[str, Any]], path: str) -> list[Any]:
    return sorted({r[path] for r in records if r[path] is not None}, key=repr)


def _literal(draw: st.DrawFn, collection: Collection, path: str, pool: list[Any]) -> Any:
    kind = collection.filter[path].type
    if isinstance(kind, Boolean):
        return draw(st.booleans())
    if isinstance(kind, Enum):
        return draw(st.sampled_from(sorted(kind.members)))
    if isinstance(kind, DateTimeOffset):
        if draw(st.integers(0, 5)) == 0:
            return draw(st.datetimes(timezones=st.just(UTC)))
        return draw(st.sampled_from(pool)) + timedelta(microseconds=draw(st.integers(-1, 1)))
    other = st.uuids().map(str) if isinstance(kind, Guid) else st.text(max_size=4)
    return draw(st.sampled_from(pool) | other if pool else other)


@st.composite
def _leaf(draw: st.DrawFn, collection: Collection) -> Node:
    path = draw(st.sampled_from(sorted(collection.filter)))
    prop = collection.filter[path]
    op = draw(st.sampled_from(sorted(prop.operators)))
    pool = _pool(RECORDS[collection.name], path)
    if op is Operator.STARTSWITH:
        if not pool or draw(st.integers(0, 3)) == 0:
            return StartsWith(path, draw(st.text(max_size=2)))
        prefix = draw(st.sampled_from(pool))[: draw(st.integers(0, 4))]
        return StartsWith(path, prefix.swapcase() if draw(st.booleans()) else prefix)
    if op is Operator.IN:
        count = draw(st.integers(1, 3))
        return In(path, tuple(_literal(draw, collection, path, pool) for _ in range(count)))
    nullable = op in (Operator.EQ, Operator.NE) and draw(st.integers(0, 4)) == 0
    value: Literal = None if nullable else _literal(draw, collection, path, pool)
    return Comparison(path, op, value)


def _trees(collection: Collection) -> st.SearchStrategy[Node]:
    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        several = st.lists(children, min_size=2, max_size=3)
        return several.map(conjoin) | several.map(disjoin) | children.map(Not)

    return _leaf(collection) | st.recursive(_leaf(collection), extend, max_leaves=6)


# -- the comparisons -----------------------------------------------------------------------------

Lister = Callable[[Any, PageRequest], Any]


def _walk(database: Database, lister: Lister, request: PageRequest) -> list[str]:
    """Every row's id, page after page."""
    ids: list[str] = []
    after = None
    with database.unit_of_work() as store:
        while True:
            page = lister(store, replace(request, after=after))
            ids += [_id(item) for item in page.items]
            after = page.next_after
            if after is None:
                return ids


def _id(item: Any) -> str:
    return str(getattr(item, "id", None) if not hasattr(item, "ticks") else item.ticks)


def _matching(tree: Node, records: list[dict[str, Any]], key: str = "id") -> set[str]:
    return {str(r[key]) for r in records if evaluate(tree, r)}


def _check(
    databases: list[Database], lister: Lister, tree: Node, expected: set[str], limit: int
) -> None:
    for database in databases:
        found = _walk(database, lister, PageRequest(limit=limit, filter=tree))
        assert len(found) == len(set(found)), database.engine.dialect.name
        assert set(found) == expected, database.engine.dialect.name


def _visible(tree: Node, collection: Collection, include_unknown: bool) -> Node | None:
    if include_unknown:
        return tree
    try:
        return hide_evolvable(tree, collection.filter)
    except BadRequest:
        return None  # names an evolvable member: refused before any SQL runs


def _list_users(store: Any, page: PageRequest) -> Any:
    return store.list_risky_principals(USER, data.TENANT, page, View.FULL)


@EXAMPLES
@given(tree=_trees(RISKY_USERS), include_unknown=st.booleans())
def test_risky_user_filters(databases: list[Database], tree: Node, include_unknown: bool) -> None:
    sql_tree = _visible(tree, RISKY_USERS, include_unknown)
    if sql_tree is None:
        return
    records = [data.user_record(u, include_unknown) for u in USERS]
    lister: Lister = _list_users
    _check(databases, lister, sql_tree, _matching(tree, records), limit=25)
    for database in databases:
        with database.unit_of_work() as store:
            assert store.count_risky_principals(USER, data.TENANT, sql_tree, View.FULL) == len(
                _matching(tree, records)
            )


@EXAMPLES
@given(
    tree=_trees(RISK_DETECTIONS),
    include_unknown=st.booleans(),
    p1=st.booleans(),
)
def test_detection_filters(
    databases: list[Database], tree: Node, include_unknown: bool, p1: bool
) -> None:
    sql_tree = _visible(tree, RISK_DETECTIONS, include_unknown)
    if sql_tree is None:
        return
    records = [data.detection_record(d, include_unknown, p1) for d in DETECTIONS]
    licence = Licence.P1 if p1 else Licence.P2

    def lister(store: Any, page: PageRequest) -> Any:
        return store.list_risk_detections(
            USER, data.TENANT, page, View.LIMITED if licence is Licence.P1 else View.FULL
        )

    _check(databases, lister, sql_tree, _matching(tree, records), limit=40)


@EXAMPLES
@given(tree=_trees(HISTORY), include_unknown=st.booleans())
def test_history_filters(databases: list[Database], tree: Node, include_unknown: bool) -> None:
    sql_tree = _visible(tree, HISTORY, include_unknown)
    if sql_tree is None:
        return
    records = [{**data.history_record(i, include_unknown), "ticks": i.ticks} for i in HISTORY_ITEMS]

    def lister(store: Any, page: PageRequest) -> Any:
        return store.list_history(USER, data.TENANT, HISTORY_USER.id, page, View.FULL)

    _check(databases, lister, sql_tree, _matching(tree, records, "ticks"), limit=7)


# -- orderings -----------------------------------------------------------------------------------


def _odata_order(records: list[dict[str, Any]], path: str, descending: bool) -> list[str]:
    """OData's order: nulls first ascending (last descending), ties by id in the same direction."""

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        value = record[path]
        value = RANKS[value] if path == "riskLevel" else value
        return (value is not None, value if value is not None else 0, record["id"])

    ordered = [r["id"] for r in sorted(records, key=key)]
    return ordered[::-1] if descending else ordered


@EXAMPLES
@given(
    collection=st.sampled_from([RISKY_USERS, RISK_DETECTIONS]),
    data_=st.data(),
    descending=st.booleans(),
    limit=st.integers(1, 17),
)
def test_orderings_walk_every_row_once_in_odata_order(
    databases: list[Database],
    collection: Collection,
    data_: st.DataObject,
    descending: bool,
    limit: int,
) -> None:
    path = data_.draw(st.sampled_from(collection.orderby))
    users = collection is RISKY_USERS
    records = USER_RECORDS if users else DETECTION_RECORDS
    tree = data_.draw(st.none() | _trees(collection))
    kept = [r for r in records if tree is None or evaluate(tree, r)]
    request = PageRequest(limit=limit, filter=tree, order_by=path, descending=descending)

    def lister(store: Any, page: PageRequest) -> Any:
        if users:
            return store.list_risky_principals(USER, data.TENANT, page, View.FULL)
        return store.list_risk_detections(USER, data.TENANT, page, View.FULL)

    for database in databases:
        assert _walk(database, lister, request) == _odata_order(kept, path, descending)


def test_datetimes_compare_as_instants(databases: list[Database]) -> None:
    moment = min(u.risk.last_updated for u in USERS if u.risk is not None)
    tree = Comparison("riskLastUpdatedDateTime", Operator.LE, moment)
    expected = _matching(tree, USER_RECORDS)
    lister: Lister = _list_users
    assert expected
    _check(databases, lister, tree, expected, limit=500)
    assert isinstance(moment, datetime)
