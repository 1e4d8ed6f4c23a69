"""The demo tenant: deterministic, varied, and consistent because the domain services made it."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel, RiskState
from idprotect.domain.ids import is_guid
from idprotect.seeding.demo import load_demo_tenant
from idprotect.store.engine import Database, make_engine
from tests.seeding.reading import Tenant, assert_consistent, read_tenant

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TENANT = "contoso-demo"

# riskEventType strings of user/sign-in detections (graph-facts 3.8).
KNOWN_EVENT_TYPES = {
    "riskyIPAddress", "generic", "adminConfirmedUserCompromised", "anomalousToken",
    "anonymizedIPAddress", "unlikelyTravel", "mcasImpossibleTravel", "maliciousIPAddress",
    "mcasFinSuspiciousFileAccess", "investigationsThreatIntelligence", "newCountry",
    "passwordSpray", "suspiciousBrowser", "suspiciousInboxForwarding",
    "mcasSuspiciousInboxManipulationRules", "tokenIssuerAnomaly", "unfamiliarFeatures",
    "nationStateIP", "anomalousUserActivity", "attackerinTheMiddle", "leakedCredentials",
    "attemptedPrtAccess", "suspiciousAPITraffic", "suspiciousSendingPatterns",
    "userReportedSuspiciousActivity",
}  # fmt: skip
REALTIME = {"anonymizedIPAddress", "unfamiliarFeatures", "nationStateIP"}
USER_ACTIVITY = {
    "leakedCredentials", "investigationsThreatIntelligence", "anomalousUserActivity",
    "adminConfirmedUserCompromised",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_database(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One SQLite database holding the default demo tenant, shared by the read-only tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    database = Database(make_engine(f"sqlite:///{path}"))
    load_demo_tenant(database, tenant_id=TENANT, now=NOW)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def demo(demo_database: Database) -> Tenant:
    return read_tenant(demo_database, TENANT)


def _summary(tenant: Tenant) -> list[tuple[object, ...]]:
    return [
        (u.id, u.display_name, u.user_principal_name, u.is_deleted, u.risk)
        for u in tenant.risky_users
    ]


def test_the_same_seed_gives_the_same_tenant(sqlite_database: Database) -> None:
    for tenant_id, seed in (("a", 7), ("b", 7), ("c", 8)):
        load_demo_tenant(sqlite_database, tenant_id=tenant_id, now=NOW, users=60, seed=seed)
    a, b, c = (read_tenant(sqlite_database, t) for t in "abc")
    assert _summary(a) == _summary(b)
    assert a.history_counts == b.history_counts
    recorded_by_service = "adminConfirmedUserCompromised"
    assert [d for d in a.detections if d.risk_event_type != recorded_by_service] == [
        d for d in b.detections if d.risk_event_type != recorded_by_service
    ]
    assert {u.id for u in a.risky_users}.isdisjoint(u.id for u in c.risky_users)


def test_loading_the_demo_again_changes_nothing(demo_database: Database, demo: Tenant) -> None:
    load_demo_tenant(demo_database, tenant_id=TENANT, now=NOW)
    again = read_tenant(demo_database, TENANT)
    assert _summary(again) == _summary(demo)
    assert len(again.detections) == len(demo.detections)


def test_a_few_hundred_risky_users_in_every_level_and_final_state(demo: Tenant) -> None:
    assert 250 <= len(demo.risky_users) <= 300
    assert demo.directory_users == 303  # and three analysts, never risky
    states = Counter(u.risk.state for u in demo.risky_users)
    levels = Counter(u.risk.level for u in demo.risky_users if u.risk.state is RiskState.AT_RISK)
    assert states[RiskState.AT_RISK] > len(demo.risky_users) / 2
    for state in (RiskState.DISMISSED, RiskState.CONFIRMED_COMPROMISED, RiskState.CONFIRMED_SAFE):
        assert states[state] >= 5, states
    for level in (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH):
        assert levels[level] >= 10, levels
    assert 3 <= sum(u.is_deleted for u in demo.risky_users) <= 10


def test_names_look_like_people_of_contoso(demo: Tenant) -> None:
    upns = [u.user_principal_name or "" for u in demo.risky_users]
    assert len(set(upns)) == len(upns)
    for user in demo.risky_users:
        first, last = (user.display_name or "").split(" ")
        assert user.user_principal_name == f"{first}.{last}@contoso.com".lower()
        assert is_guid(user.id)


def test_users_risk_follows_from_their_detections_and_history(demo: Tenant) -> None:
    assert_consistent(demo)
    several = [uid for uid, count in demo.history_counts.items() if count >= 3]
    assert len(several) >= 20


def test_every_detection_came_in_the_month_before_now(demo: Tenant) -> None:
    for detection in demo.detections:
        # Offline detections come up to two days after the activity.
        assert detection.activity_at >= NOW - timedelta(days=32)
        assert detection.activity_at <= detection.detected_at
        assert NOW - timedelta(days=30) <= detection.detected_at < NOW
        assert detection.user_id in {u.id for u in demo.risky_users}


def test_detections_carry_real_event_types_with_fitting_details(demo: Tenant) -> None:
    kinds = Counter(d.risk_event_type for d in demo.detections)
    assert set(kinds) <= KNOWN_EVENT_TYPES
    assert len(kinds) >= 10
    for d in demo.detections:
        if d.risk_event_type in REALTIME:
            assert d.detection_timing_type is RiskDetectionTimingType.REALTIME
        if d.risk_event_type in USER_ACTIVITY:
            assert d.activity is ActivityType.USER
            assert (d.request_id, d.correlation_id, d.ip_address) == (None, None, None)
            continue
        assert d.activity is ActivityType.SIGNIN
        assert is_guid(d.request_id or "")
        assert is_guid(d.correlation_id or "")
        assert d.location is not None
        assert d.location.city
        assert d.location.latitude is not None
        assert (d.ip_address or "").count(".") == 3
        [info] = json.loads(d.additional_info or "")
        assert info["Key"] == "userAgent"
        assert info["Value"]


def test_the_demo_loads_the_same_way_on_each_database(database: Database) -> None:
    load_demo_tenant(database, tenant_id=TENANT, now=NOW, users=80)
    tenant = read_tenant(database, TENANT)
    assert 60 <= len(tenant.risky_users) <= 80
    assert_consistent(tenant)
