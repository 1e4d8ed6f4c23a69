"""Bulk tenants: exactly the users, service principals and agents asked for, each consistent,
the same for the same seed, and served by Graph's operations."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.domain.clock import to_ticks
from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.domain.models import (
    Agent,
    Detection,
    HistoryItem,
    Principal,
    ServicePrincipal,
    ServicePrincipalRiskDetection,
)
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.tenants import View
from idprotect.domain.transitions import ACTIVE_DETECTION_STATES, aggregate_level
from idprotect.seeding import generate
from idprotect.seeding.generate import generate_tenant
from idprotect.seeding.population import TenantShape, build_chunk
from idprotect.store.engine import Database, make_engine
from tests.api.expect import BASE
from tests.conftest import FakeClock, make_client
from tests.seeding.reading import assert_consistent, read_tenant, rows_digest

T = TypeVar("T")
FULL = View.FULL
SP_LIST = "/v1.0/identityProtection/riskyServicePrincipals"

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
            [item] = store.list_history(
                USER, TENANT, user.id, PageRequest(limit=5), View.FULL
            ).items
            assert item.principal == user
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


# Service principals and agents (seeding/workloads.py).


@dataclass(frozen=True)
class KindTenant:
    principals: list[Principal]
    detections: list[Detection]
    history: dict[str, list[HistoryItem]]


def read_kind(database: Database, kind: PrincipalKind, tenant_id: str) -> KindTenant:
    """Every risky principal of the kind, every detection and history item, through the store."""
    with database.unit_of_work() as store:
        principals = _all(lambda page: store.list_risky_principals(kind, tenant_id, page, FULL))
        detections = _all(lambda page: store.list_risk_detections(kind, tenant_id, page, FULL))
        history = {
            p.id: _all(lambda page, pid=p.id: store.list_history(kind, tenant_id, pid, page, FULL))
            for p in principals
        }
    return KindTenant(principals, detections, history)


def _all(read: Callable[[PageRequest], Page[T]]) -> list[T]:
    page = read(PageRequest(limit=1000))
    found = list(page.items)
    while page.next_after is not None:
        page = read(PageRequest(1000, page.next_after))
        found.extend(page.items)
    return found


def assert_kind_consistent(kind: PrincipalKind, tenant: KindTenant) -> None:
    """Each principal's risk follows from its detections by the domain's rules, and its one
    history item is its current state."""
    active: dict[str, list[Detection]] = defaultdict(list)
    for detection in tenant.detections:
        assert isinstance(detection, kind.detection_type)
        if detection.risk_state in ACTIVE_DETECTION_STATES:
            active[detection.principal_id].append(detection)
    recorded = kind.action("confirmCompromised").records_detection
    for principal in tenant.principals:
        assert isinstance(principal, kind.principal_type)
        risk, own = principal.risk, active.get(principal.id, [])
        assert risk is not None
        if risk.state is RiskState.AT_RISK:
            assert risk.level is aggregate_level([d.risk_level for d in own]) != RiskLevel.NONE
            assert risk.detail is RiskDetail.NONE
        elif risk.state is RiskState.CONFIRMED_COMPROMISED:
            assert risk.level is RiskLevel.HIGH
            assert recorded in {d.risk_event_type for d in own}
        else:
            assert (risk.level, own) == (RiskLevel.NONE, [])
        assert risk.detail in {RiskDetail.NONE, *(action.detail for action in kind.actions)}
        [item] = tenant.history[principal.id]
        assert item.principal == principal
        assert item.ticks == to_ticks(risk.last_updated)
        assert (item.initiated_by is None) == (risk.state is RiskState.AT_RISK)


@pytest.mark.parametrize(
    ("kind", "states"),
    [
        (SERVICE_PRINCIPAL, {"atRisk": 0.83, "dismissed": 0.12, "confirmedCompromised": 0.05}),
        (AGENT, {"atRisk": 0.79, "dismissed": 0.12, "confirmedCompromised": 0.05,
                 "confirmedSafe": 0.04}),
    ],
)  # fmt: skip
def test_generate_tenant_makes_exactly_the_principals_asked_for(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    kind: PrincipalKind,
    states: dict[str, float],
) -> None:
    monkeypatch.setattr(generate, "BATCH_PRINCIPALS", 600)
    done: list[tuple[str, int]] = []
    counts = {"service_principals": 0, "agents": 0}
    counts["service_principals" if kind is SERVICE_PRINCIPAL else "agents"] = 1_500
    generate_tenant(
        database,
        tenant_id=TENANT,
        users=0,
        now=NOW,
        kind_progress=lambda k, saved: done.append((k.name, saved)),
        **counts,
    )
    assert done == [(kind.name, 600), (kind.name, 1_200), (kind.name, 1_500)]
    tenant = read_kind(database, kind, TENANT)
    assert len(tenant.principals) == len({p.id for p in tenant.principals}) == 1_500
    assert 4_200 <= len(tenant.detections) <= 4_900
    found = Counter(p.risk.state for p in tenant.principals if p.risk)
    for state, share in states.items():
        assert abs(found[RiskState(state)] / 1_500 - share) < 0.03, (state, found)
    levels = Counter(p.risk.level for p in tenant.principals if p.risk)
    assert min(levels[RiskLevel.LOW], levels[RiskLevel.MEDIUM], levels[RiskLevel.HIGH]) > 30
    assert_kind_consistent(kind, tenant)
    assert read_tenant(database, TENANT).directory_users == 0


def test_the_same_seed_gives_the_same_principals(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "BATCH_PRINCIPALS", 170)
    for tenant_id, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_tenant(
            sqlite_database,
            tenant_id=tenant_id,
            users=20,
            service_principals=400,
            agents=300,
            now=NOW,
            seed=seed,
        )
    for kind in (SERVICE_PRINCIPAL, AGENT):
        a, b, c = (read_kind(sqlite_database, kind, t) for t in "abc")
        assert a.principals == b.principals
        assert sorted(a.detections, key=_id) == sorted(b.detections, key=_id)
        assert {p.id for p in a.principals}.isdisjoint(p.id for p in c.principals)
    users = read_tenant(sqlite_database, "a").risky_users
    agents = read_kind(sqlite_database, AGENT, "a").principals
    service_principals = read_kind(sqlite_database, SERVICE_PRINCIPAL, "a").principals
    assert len({p.id for p in (*users, *agents, *service_principals)}) == 20 + 300 + 400


def _id(detection: Detection) -> str:
    return detection.id


def test_agents_share_blueprints_and_service_principals_have_their_own_apps(
    sqlite_database: Database,
) -> None:
    generate_tenant(
        sqlite_database, tenant_id=TENANT, users=0, service_principals=50, agents=60, now=NOW
    )
    agents = read_kind(sqlite_database, AGENT, TENANT).principals
    assert len({a.blueprint_id for a in agents if isinstance(a, Agent)}) == 10
    apps = read_kind(sqlite_database, SERVICE_PRINCIPAL, TENANT)
    app_ids = {p.app_id for p in apps.principals if isinstance(p, ServicePrincipal)}
    assert len(app_ids) == 50
    for detection in apps.detections:
        assert isinstance(detection, ServicePrincipalRiskDetection)
        assert detection.app_id in app_ids
        assert bool(detection.key_ids) == (detection.risk_event_type == "leakedCredentials")


def test_graph_lists_and_acts_on_the_generated_principals(
    sqlite_database: Database, clock: FakeClock
) -> None:
    generate_tenant(
        sqlite_database,
        tenant_id=DEMO_TENANT_ID,
        users=30,
        service_principals=250,
        agents=120,
        now=NOW,
    )
    client = make_client(sqlite_database, clock)
    for path, count in (
        ("/v1.0/identityProtection/riskyUsers", 30),
        ("/v1.0/identityProtection/riskyServicePrincipals", 250),
        ("/beta/identityProtection/riskyAgents", 120),
    ):
        response = client.get(path, params={"$count": "true", "$top": "5"})
        assert response.status_code == 200, response.text
        assert response.json()["@odata.count"] == count
        assert len(response.json()["value"]) == 5
    sp = SP_LIST + "?$filter=riskState eq 'atRisk'&$top=1"
    [listed] = client.get(sp).json()["value"]
    context = f"{BASE}/v1.0/$metadata#identityProtection/riskyServicePrincipals/$entity"
    assert client.get(f"{SP_LIST}/{listed['id']}").json() == {"@odata.context": context, **listed}
    dismissed = client.post(f"{SP_LIST}/dismiss", json={"servicePrincipalIds": [listed["id"]]})
    assert dismissed.status_code == 204
    assert client.get(f"{SP_LIST}/{listed['id']}").json()["riskState"] == "dismissed"


def test_seed_command_generates_service_principals_and_agents(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(
        app, ["seed", "--db", url, "--users", "40", "--service-principals", "30", "--agents", "20"]
    )
    assert result.exit_code == 0, result.output
    database = Database(make_engine(url))
    try:
        assert len(read_tenant(database, DEMO_TENANT_ID).risky_users) == 40
        assert len(read_kind(database, SERVICE_PRINCIPAL, DEMO_TENANT_ID).principals) == 30
        assert len(read_kind(database, AGENT, DEMO_TENANT_ID).principals) == 20
    finally:
        database.dispose()


@pytest.mark.parametrize("source", [[], ["--demo"]])
def test_seed_command_generates_other_kinds_with_users_only(
    tmp_path: Path, source: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    refused = CliRunner().invoke(app, ["seed", "--db", url, *source, "--agents", "30"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert ("go with --users" in said) == bool(source), said
