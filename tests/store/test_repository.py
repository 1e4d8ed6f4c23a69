"""SqlRiskStore on SQLite and PostgreSQL: tenant partitioning, keyset pages, locking reads, the
list of tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from idprotect.domain.clock import fixed_clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import RiskLevel, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.models import DetectionReport, User
from idprotect.domain.paging import PageRequest
from idprotect.domain.principals import ActionRequest, apply_action
from idprotect.domain.tenants import Licence, TenantSummary, View
from idprotect.errors import BadRequest
from idprotect.store.engine import Database

A, B = "tenant-a", "tenant-b"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _report(user_id: str, level: RiskLevel = RiskLevel.MEDIUM, **kw: object) -> DetectionReport:
    return DetectionReport(
        principal=User(id=user_id), risk_event_type="unlikelyTravel", risk_level=level, **kw
    )  # type: ignore[arg-type]


def _ingest(
    database: Database, tenant: str, *reports: DetectionReport, now: datetime = NOW
) -> None:
    with database.unit_of_work(write=True) as store:
        ingest_risk_detections(
            store, USER, tenant_id=tenant, reports=list(reports), clock=fixed_clock(now)
        )


def test_tenants_never_see_each_others_rows(database: Database) -> None:
    _ingest(database, A, _report("shared-id"), _report("only-a"))
    _ingest(database, B, _report("shared-id", RiskLevel.HIGH))
    with database.unit_of_work(write=True) as store:
        request = ActionRequest(
            tenant_id=A, ids=["shared-id"], actor_id="x", clock=fixed_clock(NOW)
        )
        apply_action(store, USER, USER.action("dismiss"), request)
    with database.unit_of_work() as store:
        in_a = store.list_risky_principals(USER, A, PageRequest(limit=10), View.FULL).items
        in_b = store.list_risky_principals(USER, B, PageRequest(limit=10), View.FULL).items
        b_user = store.get_risky_principal(USER, B, "shared-id")
        assert store.get_risky_principal(USER, B, "only-a") is None
        assert len(store.list_risk_detections(USER, B, PageRequest(limit=10), View.FULL).items) == 1
        assert store.latest_history_ticks(USER, B, ["only-a"]) == {}
    assert sorted(u.id for u in in_a) == ["only-a", "shared-id"]
    assert [u.id for u in in_b] == ["shared-id"]
    assert b_user is not None
    assert (b_user.risk.state, b_user.risk.level) == (RiskState.AT_RISK, RiskLevel.HIGH)


def test_keyset_pages_cover_every_user_once_whatever_the_page_size(database: Database) -> None:
    _ingest(database, A, *(_report(f"user-{i:03}") for i in range(23)))
    seen: list[str] = []
    after = None
    with database.unit_of_work() as store:
        for limit in (1, 5, 2, 10, 10, 10):
            page = store.list_risky_principals(
                USER, A, PageRequest(limit=limit, after=after), View.FULL
            )
            seen += [u.id for u in page.items]
            after = page.next_after
            if after is None:
                break
    assert seen == [f"user-{i:03}" for i in range(23)]
    assert after is None


def test_a_page_position_survives_rows_added_before_it(database: Database) -> None:
    _ingest(database, A, *(_report(f"user-{i}") for i in (2, 4, 6, 8)))
    with database.unit_of_work() as store:
        first = store.list_risky_principals(USER, A, PageRequest(limit=2), View.FULL)
    _ingest(database, A, _report("user-1"), _report("user-5"))
    with database.unit_of_work() as store:
        rest = store.list_risky_principals(
            USER, A, PageRequest(limit=10, after=first.next_after), View.FULL
        )
    assert [u.id for u in first.items] == ["user-2", "user-4"]
    assert [u.id for u in rest.items] == ["user-5", "user-6", "user-8"]


def test_detection_pages_are_newest_first_with_ties_by_id(database: Database) -> None:
    for minutes in (0, 10, 10, 5):
        _ingest(database, A, _report(f"u{minutes}"), now=NOW + timedelta(minutes=minutes))
    collected = []
    after = None
    with database.unit_of_work() as store:
        while True:
            page = store.list_risk_detections(USER, A, PageRequest(limit=1, after=after), View.FULL)
            collected += page.items
            after = page.next_after
            if after is None:
                break
    times = [d.detected_at for d in collected]
    assert times == sorted(times, reverse=True)
    assert len({d.id for d in collected}) == 4


@pytest.mark.parametrize("position", [(1,), ("a", "b"), (True,)])
def test_positions_of_another_shape_are_refused(
    database: Database, position: tuple[str | int | bool, ...]
) -> None:
    with database.unit_of_work() as store, pytest.raises(BadRequest):
        store.list_risky_principals(USER, A, PageRequest(limit=1, after=position), View.FULL)  # type: ignore[arg-type]


def test_a_failed_unit_of_work_leaves_nothing_behind(database: Database) -> None:
    def add_then_fail() -> None:
        with database.unit_of_work(write=True) as store:
            store.add_missing_principals(USER, A, [User(id="ghost")])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with database.unit_of_work() as store:
        assert store.lock_principals(USER, A, ["ghost"]) == {}


def test_datetimes_come_back_aware_and_exact(database: Database) -> None:
    moment = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
    _ingest(database, A, _report("u1"), now=moment)
    with database.unit_of_work() as store:
        user = store.get_risky_principal(USER, A, "u1")
    assert user is not None
    assert user.risk.last_updated == moment


def test_tenants_are_listed_with_their_risky_users_counted(database: Database) -> None:
    _ingest(database, A, _report("a1"), _report("a2"))
    _ingest(database, B, _report("b1"))
    with database.unit_of_work(write=True) as store:
        apply_action(
            store,
            USER,
            USER.action("dismiss"),
            ActionRequest(tenant_id=A, ids=["a2"], actor_id="x", clock=fixed_clock(NOW)),
        )
        store.add_missing_principals(USER, A, [User(id="never-risky")])
        store.set_tenant_licences("tenant-c", entra=Licence.FREE)
    with database.unit_of_work() as store:
        tenants = store.list_tenants()
    assert tenants == [
        TenantSummary(tenant_id=A, licence=Licence.P2, risky_users=2, at_risk=1),
        TenantSummary(tenant_id=B, licence=Licence.P2, risky_users=1, at_risk=1),
        TenantSummary(tenant_id="tenant-c", licence=Licence.FREE, risky_users=0, at_risk=0),
    ]
