"""Query plans of the main list queries: an index seek in the requested order, never a scan.

The store's own SELECT is captured as it runs, then explained: EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL (with sequential scans and sorts priced out, so the plan shows whether
an index *can* serve the query: on a table this small the planner would rather scan).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.pool.base import _ConnectionFairy

from idprotect.domain.enums import RiskDetail, RiskState
from idprotect.domain.paging import PageRequest
from idprotect.odata.collections import RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.filter import parse_filter
from idprotect.store.engine import Database
from tests.store import query_data as data


@pytest.fixture(scope="module")
def loaded(module_database: Database) -> Database:
    """1,000 users and detections, analyzed: explaining is cheap, so one load per dialect."""
    rng = random.Random(11)
    users = data.make_users(rng, 1000)
    data.load(module_database, users, data.make_detections(rng, users, 1000))
    with module_database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return module_database


def _explain(database: Database, collection: Collection, **request: Any) -> str:
    """The plan of the SELECT that a list call runs, as one string."""
    text = request.pop("filter", None)
    tree = parse_filter(text, collection.filter) if text else None
    page = PageRequest(limit=500, filter=tree, **request)
    with _captured(database) as statements, database.unit_of_work() as store:
        if collection is RISKY_USERS:
            store.list_risky_users(data.TENANT, page)
        else:
            store.list_risk_detections(data.TENANT, page)
    statement, parameters = next(s for s in statements if "ORDER BY" in s[0])
    return _plan(database, statement, parameters)


def _plan(database: Database, statement: str, parameters: Any) -> str:
    with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            found = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in found)
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_sort = off")
        found = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in found)


class _Recorder:
    """A DBAPI cursor that notes each statement it runs."""

    def __init__(self, cursor: Any, statements: list[tuple[str, Any]]) -> None:
        self._cursor = cursor
        self._statements = statements

    def execute(self, statement: str, parameters: Any = ()) -> Any:
        recorded = tuple(parameters) if isinstance(parameters, list) else parameters
        self._statements.append((statement, recorded))
        return self._cursor.execute(statement, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextmanager
def _captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent on a pooled connection's cursor while the block runs (whether
    through SQLAlchemy's execution or a statement compiled once), with its parameters."""
    statements: list[tuple[str, Any]] = []
    original = _ConnectionFairy.cursor

    def cursor(self: _ConnectionFairy, *args: Any, **kwargs: Any) -> Any:
        return _Recorder(original(self, *args, **kwargs), statements)

    _ConnectionFairy.cursor = cursor  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        _ConnectionFairy.cursor = original  # type: ignore[method-assign]


USER_CASES = [
    ("riskLevel eq 'high'", "ix_users_tenant_level_updated"),
    ("riskState eq 'atRisk'", "ix_users_tenant_state_updated"),
    ("riskLevel eq 'high' and riskState eq 'atRisk'", "ix_users_tenant_(level|state)_updated"),
    (None, "ix_users_tenant_updated"),
]
NEWEST = {"order_by": "riskLastUpdatedDateTime", "descending": True}
POSITION = ("2026-03-01T09:35:00+00:00", "8a1b0000-0000-4000-8000-00000000000a")


def _assert_index_seek(plan: str, index: str, dialect: str) -> None:
    if dialect == "sqlite":
        index = index.replace("pk_users", "sqlite_autoindex_users_1")
        refused = ("SCAN users", "SCAN risk_detections", "TEMP B-TREE")
    else:
        refused = ("Seq Scan", "Sort")
    assert re.search(index, plan), plan
    for step in refused:
        assert step not in plan, plan


@pytest.mark.parametrize(("text", "index"), USER_CASES)
@pytest.mark.parametrize("after", [None, POSITION])
def test_risky_users_by_level_or_state_newest_first_seek_an_index(
    loaded: Database, text: str | None, index: str, after: Any
) -> None:
    plan = _explain(loaded, RISKY_USERS, filter=text, after=after, **NEWEST)

    _assert_index_seek(plan, index, loaded.engine.dialect.name)


@pytest.mark.parametrize(
    ("order_by", "descending", "after", "index"),
    [
        ("riskLevel", False, (2, "x"), "ix_users_tenant_rank"),
        ("userPrincipalName", False, ("adele", "x"), "ix_users_tenant_upn"),
        ("userPrincipalName", True, (None, "x"), "ix_users_tenant_upn"),
        ("userDisplayName", True, ("Megan", "x"), "ix_users_tenant_name"),
        (None, False, ("x",), "pk_users"),
    ],
)
def test_every_risky_user_ordering_walks_an_index(
    loaded: Database, order_by: str | None, descending: bool, after: Any, index: str
) -> None:
    plan = _explain(loaded, RISKY_USERS, order_by=order_by, descending=descending, after=after)

    _assert_index_seek(plan, index, loaded.engine.dialect.name)


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
def test_detection_lists_walk_an_index(
    loaded: Database, text: str | None, order_by: str | None, index: str
) -> None:
    after = ("2026-03-01T09:35:00+00:00", "ff")
    plan = _explain(
        loaded, RISK_DETECTIONS, filter=text, order_by=order_by, descending=True, after=after
    )

    _assert_index_seek(plan, index, loaded.engine.dialect.name)


class _RolledBack(Exception):
    pass


def _close_and_roll_back(database: Database) -> None:
    closing = (RiskState.DISMISSED, RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    with database.unit_of_work(write=True) as store:
        store.close_active_detections(data.TENANT, ["u1", "u2"], closed_as=closing, at=at)
        raise _RolledBack  # the module's data stays as loaded


def test_closing_detections_seeks_them_by_user(loaded: Database) -> None:
    with _captured(loaded) as statements, pytest.raises(_RolledBack):
        _close_and_roll_back(loaded)
    statement, parameters = next(s for s in statements if s[0].startswith("UPDATE"))

    plan = _plan(loaded, statement, parameters)

    assert re.search(r"ix_risk_detections_tenant_user\b", plan), plan
    assert "SCAN risk_detections" not in plan, plan
    assert "Seq Scan" not in plan, plan
