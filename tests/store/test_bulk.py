"""The bulk insert path stores exactly what the Core inserts store, on each database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Table, select

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.kinds import USER
from idprotect.domain.models import (
    Activity,
    HistoryItem,
    Location,
    Risk,
    RiskDetection,
    User,
)
from idprotect.store import bulk
from idprotect.store.engine import Database
from idprotect.store.tables import risk_detections, risky_user_history, users

CORE, BULK = "core", "bulk"
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
# Aware but not UTC, and a whole second: both must be stored as the UTC moment they name.
ELSEWHERE = datetime(2026, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))


def _objects() -> tuple[list[User], list[RiskDetection], list[HistoryItem]]:
    risk = Risk(RiskLevel.MEDIUM, RiskState.AT_RISK, RiskDetail.NONE, last_updated=AT)
    risky = User(id="u-1", display_name="Adele Vance", user_principal_name="a@c.com", risk=risk)
    plain = User(id="u-2", display_name=None, user_principal_name=None, is_deleted=True)
    signin = RiskDetection(
        id="d-1", principal_id="u-1", user_display_name="Adele Vance",
        user_principal_name="a@c.com", risk_event_type="unfamiliarFeatures",
        risk_level=RiskLevel.MEDIUM,
        risk_state=RiskState.AT_RISK, risk_detail=RiskDetail.NONE, activity=ActivityType.SIGNIN,
        activity_at=ELSEWHERE, detected_at=AT, last_updated_at=AT + timedelta(microseconds=1),
        detection_timing_type=RiskDetectionTimingType.REALTIME, ip_address="203.0.113.9",
        location=Location("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.76, 4.83),
        request_id="r", correlation_id="c", additional_info='[{"Key":"userAgent","Value":"x"}]',
    )  # fmt: skip
    leaked = RiskDetection(
        id="d-2", principal_id="u-1", user_display_name=None, user_principal_name=None,
        risk_event_type="leakedCredentials", risk_level=RiskLevel.HIGH,
        risk_state=RiskState.DISMISSED, risk_detail=RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER,
        activity=ActivityType.USER, activity_at=AT, detected_at=AT, last_updated_at=AT,
        detection_timing_type=RiskDetectionTimingType.OFFLINE, source=None,
    )  # fmt: skip
    item = HistoryItem(
        principal_id="u-1",
        ticks=123,
        principal=risky,
        activity=Activity(detail=None, risk_event_types=("unfamiliarFeatures",)),
        initiated_by="analyst",
    )
    return [risky, plain], [signin, leaked], [item]


def _rows(database: Database, tenant_id: str) -> list[list[tuple[object, ...]]]:
    found = []
    with database.unit_of_work() as store:
        for table in (users, risk_detections, risky_user_history):
            columns = [c for c in table.c if c.name != "tenant_id"]
            query = select(*columns).where(table.c.tenant_id == tenant_id).order_by(*columns[:2])
            found.append([tuple(row) for row in store.connection.execute(query)])
    return found


def test_bulk_insert_stores_what_the_core_inserts_store(database: Database) -> None:
    new_users, detections, history = _objects()
    with database.unit_of_work(write=True) as store:
        for tenant_id in (CORE, BULK):
            store.ensure_tenant(tenant_id)
        for user in new_users:  # one call each: a call takes users all with or all without risk
            store.add_missing_principals(USER, CORE, [user])
        store.add_detections(USER, CORE, detections)
        store.add_history_items(USER, CORE, history)
        store.bulk_insert(BULK, users=new_users, detections=detections, history_items=history)
    assert _rows(database, BULK) == _rows(database, CORE)
    with database.unit_of_work() as store:
        assert store.get_risk_detection(USER, BULK, "d-1") == detections[0]
        assert store.get_history_item(USER, BULK, "u-1", 123) == history[0]


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        (users, bulk.USER_COLUMNS),
        (risk_detections, bulk.DETECTION_COLUMNS),
        (risky_user_history, bulk.HISTORY_COLUMNS),
    ],
)
def test_bulk_rows_fill_every_column(table: Table, columns: tuple[str, ...]) -> None:
    assert sorted(columns) == sorted(table.c.keys())


def test_rows_are_for_one_kind_of_database(sqlite_database: Database) -> None:
    new_users, _, _ = _objects()
    rows = bulk.prepare_rows("postgresql", BULK, users=new_users, detections=[], history_items=[])
    with (
        sqlite_database.unit_of_work(write=True) as store,
        pytest.raises(ValueError, match="prepared for postgresql"),
    ):
        store.bulk_insert_rows(rows)
