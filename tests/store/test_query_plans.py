"""Query plans of every statement shape the store runs on the bulk tables: an index seek in the
requested order, never a scan, and each secondary index used by at least one of them.

The store's statements are captured at the DBAPI cursor as they run, then explained: EXPLAIN
QUERY PLAN on SQLite, EXPLAIN on PostgreSQL (with sequential scans and sorts priced out, so the
plan shows whether an index *can* serve the query: on a table this small the planner would
rather scan). A detection list ordered by a date sorts the detections of one date by id as it
reads them (the date indexes do not hold the id): SQLite's "TEMP B-TREE FOR RIGHT PART OF ORDER
BY", PostgreSQL's "Incremental Sort"; a sort of the whole list is refused.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.pool.base import _ConnectionFairy

from idprotect.domain.enums import RiskDetail, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.paging import PageRequest
from idprotect.domain.tenants import View
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.filter import parse_filter
from idprotect.store.engine import Database
from idprotect.store.indexes import SECONDARY_INDEXES
from idprotect.store.repository import SqlRiskStore
from idprotect.store.sign_in_listing import SqlSignInLog
from tests.store import query_data as data

Statement = tuple[str, Any]


@pytest.fixture(scope="module")
def loaded(module_database: Database) -> Database:
    """1,000 users, detections and some history, analyzed: one load per dialect."""
    rng = random.Random(11)
    users = data.make_users(rng, 1000)
    data.load(module_database, users, data.make_detections(rng, users, 1000))
    with module_database.unit_of_work(write=True) as store:
        for user in users[:200]:
            store.add_history_items(USER, data.TENANT, data.make_history(rng, user, 3))
    with module_database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return module_database


USED: set[str] = set()  # the indexes the plans below name


class _Recorder:
    """A DBAPI cursor that notes each statement it runs."""

    def __init__(self, cursor: Any, statements: list[Statement]) -> None:
        self._cursor = cursor
        self._statements = statements

    def execute(self, statement: str, parameters: Any = None, *args: Any, **kw: Any) -> Any:
        self._statements.append((statement, parameters))
        return self._cursor.execute(statement, parameters, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


@contextmanager
def _captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Statement]]:
    """Every statement sent while the block runs, through SQLAlchemy or on a raw cursor."""
    statements: list[Statement] = []
    cursor = _ConnectionFairy.cursor

    def recording(self: _ConnectionFairy, *args: Any, **kw: Any) -> Any:
        return _Recorder(cursor(self, *args, **kw), statements)

    with monkeypatch.context() as patch:
        patch.setattr(_ConnectionFairy, "cursor", recording)
        yield statements


class _RolledBack(Exception):
    pass


def _run(
    database: Database, monkeypatch: pytest.MonkeyPatch, call: Callable[[SqlRiskStore], object]
) -> list[Statement]:
    """The statements `call` sends, in a unit of work rolled back after it."""

    def call_and_roll_back() -> None:
        with database.unit_of_work(write=True) as store:
            call(store)
            raise _RolledBack

    with _captured(monkeypatch) as statements, pytest.raises(_RolledBack):
        call_and_roll_back()
    return [s for s in statements if not s[0].startswith(("BEGIN", "SAVEPOINT", "ROLLBACK"))]


def _plan(database: Database, statement: Statement, *, sorts: bool = False) -> str:
    sql, parameters = statement
    if isinstance(parameters, list):  # positional, as a raw cursor may take them
        parameters = tuple(parameters)
    with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            found = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
            return "\n".join(row[-1] for row in found)
        connection.exec_driver_sql("SET enable_seqscan = off")
        if not sorts:
            connection.exec_driver_sql("SET enable_sort = off")
        found = connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)
        return "\n".join(row[0] for row in found)


def _assert_seek(database: Database, statement: Statement, index: str, *, ties: bool) -> None:
    """The statement seeks `index` (a regex), scans no bulk table, and sorts nothing, or with
    `ties` only the rows of one sort key."""
    plan = _plan(database, statement)
    if database.engine.dialect.name == "sqlite":
        named = {"pk_users": "users USING PRIMARY KEY", "pk_risk_detections": "autoindex"}
        named["pk_risky_user_history"] = "risky_user_history USING PRIMARY KEY"
        pattern = named.get(index, index)
        refused = [r"SCAN (users|risk_detections|risky_user_history)\b", "FOR ORDER BY"]
        refused += [] if ties else ["TEMP B-TREE"]
    else:
        pattern = index
        refused = ["Seq Scan", r"(?m)^\s*(->\s+)?Sort\s+\("] + ([] if ties else ["Incremental"])
    assert re.search(pattern, plan), plan
    for step in refused:
        assert not re.search(step, plan), plan
    USED.update(i.name for i in SECONDARY_INDEXES if re.search(rf"\b{i.name}\b", plan))


def _listed(
    database: Database, monkeypatch: pytest.MonkeyPatch, collection: Collection, **request: Any
) -> Statement:
    """The SELECT of a page of `collection`."""
    text = request.pop("filter", None)
    tree = parse_filter(text, collection.filter) if text else None
    page = PageRequest(limit=500, filter=tree, **request)

    def call(store: SqlRiskStore) -> object:
        if collection is RISKY_USERS:
            return store.list_risky_principals(USER, data.TENANT, page, View.FULL)
        if collection is HISTORY:
            return store.list_history(USER, data.TENANT, "u", page, View.FULL)
        return store.list_risk_detections(USER, data.TENANT, page, View.FULL)

    return next(s for s in _run(database, monkeypatch, call) if "ORDER BY" in s[0])


NEWEST = {"order_by": "riskLastUpdatedDateTime", "descending": True}
POSITION = ("2026-03-01T09:35:00+00:00", "8a1b0000-0000-4000-8000-00000000000a")


@pytest.mark.parametrize(
    ("text", "request_", "index"),
    [
        ("riskLevel eq 'high'", NEWEST, "ix_users_tenant_level_updated"),
        ("riskState eq 'atRisk'", NEWEST, "ix_users_tenant_state_updated"),
        (
            "riskLevel eq 'high' and riskState eq 'atRisk'",
            NEWEST,
            "ix_users_tenant_(level|state)_updated",
        ),
        (None, NEWEST, "ix_users_tenant_updated"),
        ("riskState eq 'dismissed'", {}, "ix_users_tenant_risky"),
        ("riskLevel eq 'low'", {}, r"ix_users_tenant_level\b"),
    ],
)
@pytest.mark.parametrize("after", [None, "position"])
def test_filtered_risky_users_seek_an_index(
    loaded: Database,
    monkeypatch: pytest.MonkeyPatch,
    text: str | None,
    request_: dict[str, Any],
    index: str,
    after: str | None,
) -> None:
    position = (POSITION if request_ else POSITION[1:]) if after else None
    statement = _listed(loaded, monkeypatch, RISKY_USERS, filter=text, after=position, **request_)

    _assert_seek(loaded, statement, index, ties=False)


@pytest.mark.parametrize(
    ("order_by", "descending", "after", "index"),
    [
        ("riskLevel", False, (2, "x"), r"ix_users_tenant_level\b"),
        ("userPrincipalName", False, ("adele", "x"), "ix_users_tenant_upn"),
        ("userPrincipalName", True, (None, "x"), "ix_users_tenant_upn"),
        ("userDisplayName", True, ("Megan", "x"), "ix_users_tenant_name"),
        (None, False, ("x",), "pk_users"),
    ],
)
def test_every_risky_user_ordering_walks_an_index(
    loaded: Database,
    monkeypatch: pytest.MonkeyPatch,
    order_by: str | None,
    descending: bool,
    after: Any,
    index: str,
) -> None:
    statement = _listed(
        loaded, monkeypatch, RISKY_USERS, order_by=order_by, descending=descending, after=after
    )

    _assert_seek(loaded, statement, index, ties=False)


@pytest.mark.parametrize(
    ("text", "order_by", "index"),
    [
        (None, None, "ix_risk_detections_tenant_detected"),
        ("riskLevel eq 'high'", None, "ix_risk_detections_tenant_level_detected"),
        ("riskState eq 'atRisk'", None, "ix_risk_detections_tenant_detected"),
        ("riskEventType eq 'generic'", None, "ix_risk_detections_tenant_type_detected"),
        (None, "activityDateTime", "ix_risk_detections_tenant_activity"),
        (None, "lastUpdatedDateTime", "ix_risk_detections_tenant_last_updated"),
    ],
)
@pytest.mark.parametrize("after", [None, ("2026-03-01T09:35:00+00:00", "ff")])
def test_detection_lists_walk_an_index(
    loaded: Database,
    monkeypatch: pytest.MonkeyPatch,
    text: str | None,
    order_by: str | None,
    index: str,
    after: Any,
) -> None:
    statement = _listed(
        loaded,
        monkeypatch,
        RISK_DETECTIONS,
        filter=text,
        order_by=order_by,
        descending=True,
        after=after,
    )

    _assert_seek(loaded, statement, index, ties=True)


def test_a_users_detections_are_found_by_user(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = "8a1b0000-0000-4000-8000-00000000000a"
    statement = _listed(loaded, monkeypatch, RISK_DETECTIONS, filter=f"userId eq {user_id}")

    plan = _plan(loaded, statement, sorts=True)

    # A user has few detections: they are sorted, not found by walking every date.
    assert re.search(r"ix_risk_detections_tenant_user\b", plan), plan
    USED.add("ix_risk_detections_tenant_user")


def test_history_pages_walk_its_key(loaded: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    for after in (None, (10**17 + 5,)):
        statement = _listed(loaded, monkeypatch, HISTORY, after=after)

        _assert_seek(loaded, statement, "pk_risky_user_history", ties=False)


_CLOSING = (RiskState.DISMISSED, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER)
_AT = datetime(2026, 3, 1, tzinfo=UTC)
_IDS = ["u1", "u2"]
# What each point read and each action's statement seeks: (what the store is asked, the first
# words of the statement, the index).
_POINTS: list[tuple[Callable[[SqlRiskStore], object], str, str]] = [
    (lambda s: s.get_risky_principal(USER, data.TENANT, "u1"), "SELECT", "pk_users"),
    (lambda s: s.get_risk_detection(USER, data.TENANT, "d1"), "SELECT", "pk_risk_detections"),
    (lambda s: s.get_history_item(USER, data.TENANT, "u1", 5), "SELECT", "pk_risky_user_history"),
    (lambda s: s.lock_principals(USER, data.TENANT, _IDS), "SELECT", "pk_users"),
    (lambda s: s.latest_history_ticks(USER, data.TENANT, _IDS), "SELECT", "pk_risky_user_history"),
    (lambda s: s.existing_detection_ids(USER, data.TENANT, ["d1"]), "SELECT", "pk_risk_detections"),
    (
        lambda s: s.active_detection_levels(USER, data.TENANT, _IDS),
        "SELECT",
        "ix_risk_detections_tenant_user",
    ),
    (
        lambda s: s.close_active_detections(USER, data.TENANT, _IDS, closed_as=_CLOSING, at=_AT),
        "UPDATE",
        "ix_risk_detections_tenant_user",
    ),
    (
        lambda s: s.set_deleted(USER, data.TENANT, _IDS, True),
        "UPDATE",
        "pk_users",
    ),
    (
        lambda s: SqlSignInLog(s.connection).linked_request_ids(data.TENANT, ["r1", "r2"]),
        "SELECT",
        "ix_risk_detections_tenant_request",
    ),
]


@pytest.mark.parametrize(("call", "verb", "index"), _POINTS)
def test_point_reads_and_actions_seek_a_key(
    loaded: Database,
    monkeypatch: pytest.MonkeyPatch,
    call: Callable[[SqlRiskStore], object],
    verb: str,
    index: str,
) -> None:
    statements = [s for s in _run(loaded, monkeypatch, call) if s[0].lstrip().startswith(verb)]
    assert statements

    for statement in statements:
        _assert_seek(loaded, statement, index, ties=False)


def test_locking_users_reads_their_newest_history_by_key(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with loaded.unit_of_work() as store:
        page = store.list_risky_principals(USER, data.TENANT, PageRequest(limit=2), View.FULL)
    ids = [user.id for user in page.items]
    statements = _run(
        loaded, monkeypatch, lambda s: s.lock_principals_and_latest_ticks(USER, data.TENANT, ids)
    )
    plans = "\n".join(_plan(loaded, s) for s in statements)

    assert re.search("risky_user_history USING (COVERING INDEX|PRIMARY KEY)|pk_risky", plans)
    assert not re.search("SCAN risky_user_history|Seq Scan", plans), plans


def test_every_secondary_index_serves_a_query() -> None:
    """Run last in this module: the tests above note the indexes their plans use."""
    if not USED:
        pytest.skip("run with the module's other tests")
    assert sorted(i.name for i in SECONDARY_INDEXES if i.name not in USED) == []
