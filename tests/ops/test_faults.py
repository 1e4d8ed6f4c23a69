"""Fault injection: a seeded plan fails the same requests the same way on every run, "the
next N" fail exactly, latency is added, a failed action changed nothing, and every bad plan is
a Graph 400."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.ops.faults import FaultPlan, FaultRule, Latency, decide
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, act, risky_user

USERS = "/v1.0/identityProtection/riskyUsers"
FAULTS = f"/_admin/tenants/{TENANT}/faults"
RATES = {"429": 0.2, "500": 0.1, "502": 0.1, "503": 0.1, "504": 0.1}


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def set_faults(client: TestClient, **plan: Any) -> dict[str, Any]:
    response = client.put(FAULTS, json=plan)
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def statuses(client: TestClient, count: int) -> list[int]:
    return [client.get(USERS).status_code for _ in range(count)]


def test_a_seeded_plan_gives_the_same_failures_every_run(client: TestClient) -> None:
    plan = {"seed": 42, "rules": [{"operations": ["GET /v1.0/*"], "errorRates": RATES}]}
    set_faults(client, **plan)
    first = statuses(client, 60)
    set_faults(client, **plan)  # set again: counted from the first request again

    assert statuses(client, 60) == first
    assert set(first) == {200, 429, 500, 502, 503, 504}
    set_faults(client, **{**plan, "seed": 43})
    assert statuses(client, 60) != first


def test_the_fate_of_a_request_is_a_function_of_seed_rule_and_number() -> None:
    rule = FaultRule(error_rates=((503, 0.5),), latency=Latency("uniform", 10, 90))
    plan = FaultPlan(7, (rule,))
    assert [decide(plan, 0, n) for n in range(1, 30)] == [decide(plan, 0, n) for n in range(1, 30)]
    assert all(0.01 <= decide(plan, 0, n).delay <= 0.09 for n in range(1, 30))


def test_the_next_n_requests_fail_then_none(client: TestClient) -> None:
    set_faults(client, rules=[{"failNext": 3, "failStatus": 504}])

    responses = [client.get(USERS) for _ in range(5)]

    for response in responses[:3]:
        graph_error(response, 504, "GatewayTimeout", "The service did not answer in time.")
    assert [r.status_code for r in responses[3:]] == [200, 200]


def test_injected_errors_have_graphs_shape(client: TestClient) -> None:
    expected = {
        429: ("TooManyRequests", "Too many requests."),
        500: ("InternalServerError", "An internal server error occurred."),
        502: ("BadGateway", "The service did not get a valid answer from upstream."),
        503: ("ServiceUnavailable", "The service is busy. Retry the request."),
    }
    for status, (code, message) in expected.items():
        set_faults(client, rules=[{"failNext": 1, "failStatus": status}])
        graph_error(client.get(USERS), status, code, message)


def test_a_failed_action_changed_nothing(client: TestClient) -> None:
    user_id = risky_user(client)
    history = client.get(f"{USERS}/{user_id}/history").json()["value"]
    set_faults(client, rules=[{"operations": ["POST *"], "failNext": 2, "failStatus": 503}])

    assert act(client, "dismiss", [user_id]).status_code == 503
    assert act(client, "confirmCompromised", [user_id]).status_code == 503

    assert client.get(f"{USERS}/{user_id}").json()["riskState"] == "atRisk"
    assert client.get(f"{USERS}/{user_id}/history").json()["value"] == history
    assert act(client, "dismiss", [user_id]).status_code == 204


def test_latency_is_added(client: TestClient) -> None:
    set_faults(client, rules=[{"latency": {"fixedMs": 300}}])

    started = time.monotonic()
    assert client.get(USERS).status_code == 200
    assert time.monotonic() - started >= 0.3  # a lower bound only


def test_only_the_rules_operations_fail(client: TestClient) -> None:
    set_faults(client, rules=[{"operations": ["GET /beta/*"], "failNext": 5}])

    assert client.get(USERS).status_code == 200
    assert client.get("/beta/identityProtection/riskyUsers").status_code == 503


def test_admin_is_never_failed_and_a_plan_is_shown_and_cleared(client: TestClient) -> None:
    shown = set_faults(client, rules=[{"operations": ["*"], "failNext": 100}])
    assert isinstance(shown["seed"], int)  # drawn, and shown so that a run can be replayed
    assert client.get(FAULTS).json() == shown

    assert client.delete(FAULTS).status_code == 204
    assert client.get(FAULTS).json() == {"rules": []}
    assert client.get(USERS).status_code == 200


def _rule(**fields: Any) -> str:
    return json.dumps({"rules": [fields]})


BAD_PLANS = [
    "nope",
    "[]",
    "{}",
    '{"rules": []}',
    '{"rules": [{}], "seed": -1}',
    '{"rules": [{}], "seed": "1"}',
    '{"rules": [{}], "extra": true}',
    _rule(errorRates={"418": 0.1}),
    _rule(errorRates={"503": 1.5}),
    _rule(errorRates={"503": -0.1}),
    _rule(errorRates={"503": "0.1"}),
    _rule(errorRates={"503": 0.6, "500": 0.5}),
    _rule(errorRates={"503": 0.6}, dropRate=0.5),
    _rule(dropRate=2),
    _rule(latency={}),
    _rule(latency={"fixedMs": 10, "exponentialMs": 10}),
    _rule(latency={"fixedMs": -1}),
    _rule(latency={"fixedMs": 60_001}),
    _rule(latency={"uniformMs": {"min": 20, "max": 10}}),
    _rule(latency={"uniformMs": {"min": 1}}),
    _rule(latency={"normalMs": 10}),
    _rule(failNext=-1),
    _rule(failNext=1.5),
    _rule(failStatus=404),
    _rule(operations=[]),
    _rule(operations=["riskyUsers"]),
    _rule(operations=[""]),
    _rule(unknown=1),
]


@pytest.mark.parametrize("document", BAD_PLANS)
def test_a_bad_plan_is_a_graph_400_and_changes_nothing(client: TestClient, document: str) -> None:
    response = client.put(FAULTS, content=document, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"].startswith(("Invalid document at '", "The document is not"))
    assert client.get(FAULTS).json() == {"rules": []}


def test_another_tenants_faults_are_refused_with_tokens(
    sqlite_database: Database, clock: FakeClock
) -> None:
    from tests.auth.tokens import TENANT_A, TENANT_B, admin

    secure = make_client(sqlite_database, clock, auth="on")
    url = f"/_admin/tenants/{TENANT_B}/faults"

    response = secure.put(url, json={"rules": [{}]}, headers=admin(secure, TENANT_A))

    graph_error(response, 403, "Forbidden", "The token's tenant does not administer this tenant.")
    assert secure.get(url, headers=admin(secure, TENANT_B)).json() == {"rules": []}


def test_processes_on_one_postgresql_database_count_a_plan_together(
    postgres_url: str, clock: FakeClock
) -> None:
    """Two apps on one database stand for two worker processes: "the next 3" fail across both."""
    from idprotect.store.engine import make_engine

    databases = [Database(make_engine(postgres_url)) for _ in range(2)]
    try:
        clients = [make_client(db, clock) for db in databases]
        set_faults(clients[0], rules=[{"failNext": 3, "failStatus": 503}])
        found = [clients[n % 2].get(USERS).status_code for n in range(6)]
    finally:
        for db in databases:
            db.dispose()

    assert found == [503, 503, 503, 200, 200, 200]
