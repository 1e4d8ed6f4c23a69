"""/healthz, /readyz, the request log line, /metrics and the request limits, in process."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from idprotect.ops.logs import REQUESTS, JsonFormatter, TextFormatter
from idprotect.store.engine import Database, make_engine
from tests.api.expect import graph_error
from tests.auth.tokens import READ, TENANT_A, app_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import risky_user

USERS = "/v1.0/identityProtection/riskyUsers"


def test_healthz_and_readyz_answer(sqlite_database: Database, clock: FakeClock) -> None:
    client = make_client(sqlite_database, clock)

    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_a_503_while_the_schema_is_behind(sqlite_url: str, clock: FakeClock) -> None:
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    engine.dispose()
    database = Database(make_engine(sqlite_url))
    try:
        response = make_client(database, clock).get("/readyz")
    finally:
        database.dispose()

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    message = response.json()["error"]["message"]
    assert re.fullmatch(
        r"The database schema is at revision 0008, not \d+: run idprotect db upgrade\.", message
    )


def test_readyz_is_a_503_when_the_database_cannot_be_reached(
    tmp_path: Path, clock: FakeClock
) -> None:
    database = Database(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    try:
        client = make_client(database, clock)
        graph_error(
            client.get("/readyz"), 503, "ServiceUnavailable", "The database cannot be reached."
        )
        assert client.get("/healthz").status_code == 200  # the process is up all the same
    finally:
        database.dispose()


def test_one_log_line_per_request_without_what_it_carried(
    sqlite_database: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(sqlite_database, clock, auth="on")
    headers = {**app_bearer(client, TENANT_A, READ), "client-request-id": "cid-1"}
    caplog.set_level(logging.INFO, logger=REQUESTS)

    response = client.get(f"{USERS}?$filter=riskLevel eq 'high'", headers=headers)

    [record] = [r for r in caplog.records if r.name == REQUESTS]
    line = json.loads(JsonFormatter().format(record))
    assert line["requestId"] == response.headers["request-id"]
    assert {k: line[k] for k in ("clientRequestId", "tenant", "callerType", "status")} == {
        "clientRequestId": "cid-1",
        "tenant": TENANT_A,
        "callerType": "app",
        "status": 200,
    }
    assert line["operation"] == "GET /v1.0/identityProtection/riskyUsers"
    assert line["durationMs"] > 0
    token = headers["Authorization"].split()[1]
    for formatted in (JsonFormatter().format(record), TextFormatter().format(record)):
        assert token not in formatted
        assert "riskLevel" not in formatted


def test_no_log_line_when_request_logs_are_off(
    sqlite_database: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(sqlite_database, clock, request_log=False)
    caplog.set_level(logging.INFO, logger=REQUESTS)
    client.get(USERS)
    assert [r for r in caplog.records if r.name == REQUESTS] == []


def _sample(metrics: str, name: str, **labels: str) -> float:
    shown = ",".join(f'{k}="{v}"' for k, v in labels.items())
    braces = f"\\{{{re.escape(shown)}\\}}" if shown else ""
    found = re.search(rf"^{name}{braces} (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_latency_database_throttling_and_faults(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock)
    user_id = risky_user(client)
    for _ in range(3):
        client.get(f"{USERS}/{user_id}")
    client.put(f"/_admin/tenants/{TENANT_A}/throttle", json={"profile": "graph"})  # another tenant
    client.put(
        "/_admin/tenants/4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d/faults",
        json={"rules": [{"operations": ["GET /beta/*"], "failNext": 2, "failStatus": 502}]},
    )
    client.get("/beta/identityProtection/riskyUsers")
    client.get("/beta/identityProtection/riskyUsers")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    metrics = response.text
    get = "GET /v1.0/identityProtection/riskyUsers/{id}"
    assert _sample(metrics, "idprotect_requests_total", operation=get, status="200") == 3
    assert _sample(metrics, "idprotect_request_duration_seconds_count", operation=get) == 3
    assert _sample(metrics, "idprotect_database_seconds_count", runs="read") >= 3
    assert _sample(metrics, "idprotect_database_seconds_count", runs="write") >= 1
    # The writes (the risky user, the two plans) committed in groups on SQLite, alone here.
    groups = _sample(metrics, "idprotect_group_commit_size_count")
    assert groups >= 3
    assert _sample(metrics, "idprotect_group_commit_size_sum") == groups
    assert _sample(metrics, "idprotect_faults_injected_total", kind="502") == 2
    beta = "GET /beta/identityProtection/riskyUsers"
    assert _sample(metrics, "idprotect_requests_total", operation=beta, status="502") == 2
    assert "process_resident_memory_bytes" in metrics
    assert _sample(metrics, "idprotect_outbox_rejected") == 0  # the signals' outbox, read now
    assert "idprotect_outbox_pending" in metrics


def test_metrics_can_be_turned_off(sqlite_database: Database, clock: FakeClock) -> None:
    client = make_client(sqlite_database, clock, metrics=False)
    assert client.get("/metrics").status_code == 400  # not served: Graph's unknown segment


def test_a_head_over_the_configured_limit_is_a_graph_431(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, max_head_bytes=4096, max_url_bytes=2048)

    response = client.get(USERS, headers={"x-big": "a" * 5000})

    graph_error(
        response, 431, "RequestHeaderFieldsTooLarge",
        "The request line and headers are larger than 4096 bytes.",
    )  # fmt: skip
