"""Bulk tenants: exactly the users asked for, each consistent, the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from idprotect.domain.clock import to_ticks
from idprotect.domain.enums import RiskLevel, RiskState
from idprotect.domain.paging import PageRequest
from idprotect.seeding import generate
from idprotect.seeding.generate import generate_tenant
from idprotect.seeding.population import TenantShape, build_chunk
from idprotect.store.engine import Database
from tests.seeding.reading import assert_consistent, read_tenant, rows_digest

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TENANT = "bench"
# rows_digest of the tenant in test_a_fixed_seed_loads_the_rows_it_always_loaded, as commit
# 8ca8a2f loaded it (before loads dropped the indexes and built them at the end, and before
# PostgreSQL loads used COPY), on SQLite and PostgreSQL alike.
ROWS_OF_SEED_5 = "684478538376a7f479626746e321f66b1c38a86a3661c3714609e3115198c123"


def test_generate_tenant_makes_exactly_the_users_asked_for(database: Database) -> None:
    done: list[int] = []
    generate_tenant(database, tenant_id=TENANT, users=2_000, now=NOW, progress=done.append)
    tenant = read_tenant(database, TENANT)
    assert done == [2_000]
    assert tenant.directory_users == len(tenant.risky_users) == 2_000
    assert set(tenant.history_counts.values()) == {1}
    assert len(tenant.history_counts) == 2_000
    assert 5_600 <= len(tenant.detections) <= 6_600
    states = Counter(u.risk.state for u in tenant.risky_users)
    assert 1_500 <= states[RiskState.AT_RISK] <= 1_800
    assert 150 <= states[RiskState.DISMISSED] <= 330
    assert 50 <= states[RiskState.CONFIRMED_COMPROMISED] <= 160
    levels = Counter(u.risk.level for u in tenant.risky_users)
    assert min(levels[RiskLevel.LOW], levels[RiskLevel.MEDIUM], levels[RiskLevel.HIGH]) > 100
    assert_consistent(tenant)


def test_each_history_item_is_the_users_current_state(sqlite_database: Database) -> None:
    generate_tenant(sqlite_database, tenant_id=TENANT, users=300, now=NOW)
    tenant = read_tenant(sqlite_database, TENANT)
    with sqlite_database.unit_of_work() as store:
        for user in tenant.risky_users[:50]:
            [item] = store.list_history(TENANT, user.id, PageRequest(limit=5)).items
            assert item.user == user
            assert item.ticks == to_ticks(user.risk.last_updated)
            assert (item.initiated_by is None) == (user.risk.state is RiskState.AT_RISK)


def test_the_same_seed_gives_the_same_tenant(sqlite_database: Database) -> None:
    for tenant_id, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_tenant(sqlite_database, tenant_id=tenant_id, users=300, now=NOW, seed=seed)
    a, b, c = (read_tenant(sqlite_database, t) for t in "abc")
    assert a.risky_users == b.risky_users
    assert a.detections == b.detections
    assert {u.id for u in a.risky_users}.isdisjoint(u.id for u in c.risky_users)


def test_a_fixed_seed_loads_the_rows_it_always_loaded(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "CHUNK_USERS", 400)
    generate_tenant(database, tenant_id=TENANT, users=1_000, now=NOW, seed=5)
    assert rows_digest(database, TENANT) == ROWS_OF_SEED_5


def test_chunks_built_by_worker_processes_are_saved_in_order(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "CHUNK_USERS", 400)
    done: list[int] = []
    generate_tenant(
        sqlite_database, tenant_id=TENANT, users=1_000, now=NOW, seed=5, progress=done.append
    )
    assert done == [400, 800, 1_000]
    shape = TenantShape(users=1_000, now=NOW, detections_per_user=3.0, seed=5)
    expected = [
        u
        for start in (0, 400, 800)
        for u in build_chunk(shape, start, min(start + 400, 1_000)).users
    ]
    tenant = read_tenant(sqlite_database, TENANT)
    assert [u.id for u in tenant.risky_users] == [u.id for u in expected]
    assert_consistent(tenant)


def test_ids_grow_with_the_users_position() -> None:
    shape = TenantShape(users=1_000, now=NOW, detections_per_user=3.0, seed=1)
    ids = [
        u.id for start in range(0, 1_000, 250) for u in build_chunk(shape, start, start + 250).users
    ]
    assert ids == sorted(ids)
