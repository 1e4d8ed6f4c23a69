"""`idprotect serve` as a process: a dropped connection, a graceful shutdown on SIGTERM,
JSON logs, and, with two workers on PostgreSQL, /metrics summed over both and one throttle
count for the tenant."""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from idprotect.auth.principal import DEMO_TENANT_ID
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow
USERS = "/v1.0/identityProtection/riskyUsers"
FAULTS = f"/_admin/tenants/{DEMO_TENANT_ID}/faults"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        f"sqlite:///{tmp_path / 'idprotect.db'}", tmp_path, "--access-log", "--log-format", "json"
    )
    try:
        yield process.start()
    finally:
        process.stop()


def test_a_dropped_connection_gets_no_answer(server: ServerProcess) -> None:
    plan = {"rules": [{"operations": ["GET /v1.0/*"], "dropRate": 1}]}
    assert httpx.put(server.base_url + FAULTS, json=plan).status_code == 200

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.base_url + USERS)
    assert httpx.get(server.base_url + "/beta/identityProtection/riskyUsers").status_code == 200


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(server: ServerProcess) -> None:
    plan = {"rules": [{"operations": ["GET /v1.0/*"], "latency": {"fixedMs": 3000}}]}
    assert httpx.put(server.base_url + FAULTS, json=plan).status_code == 200
    answered: list[int] = []
    request = threading.Thread(
        target=lambda: answered.append(httpx.get(server.base_url + USERS, timeout=30).status_code)
    )
    request.start()
    assert server.process is not None
    threading.Event().wait(1.0)  # the GET arrived, and waits out its latency

    server.process.send_signal(signal.SIGTERM)
    request.join(timeout=30)

    assert answered == [200]
    assert server.process.wait(timeout=30) == 0


def test_logs_are_json_lines(server: ServerProcess) -> None:
    httpx.get(server.base_url + USERS, headers={"client-request-id": "abc"})
    server.stop()

    lines = [
        json.loads(line)
        for line in server.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    requests = [line for line in lines if line["logger"] == "idprotect.requests"]
    found = [line for line in requests if line.get("clientRequestId") == "abc"]
    assert found
    assert found[0]["status"] == 200
    assert found[0]["tenant"] == DEMO_TENANT_ID


def test_two_workers_share_metrics_and_the_tenants_limit(postgres_url: str, tmp_path: Path) -> None:
    profile = tmp_path / "slow.json"
    bucket = {"name": "slow", "requests": 3, "seconds": 600, "operations": ["@identityProtection"]}
    profile.write_text(json.dumps({"profile": "custom", "buckets": [bucket]}))
    server = ServerProcess(postgres_url, tmp_path, "--workers", "2", "--throttle", str(profile))
    try:
        server.start(timeout=60)  # its readiness probe spends one of the three
        with httpx.Client(base_url=server.base_url) as client:  # new connections: both workers
            statuses = [httpx.get(server.base_url + USERS).status_code for _ in range(20)]
            metrics = "".join(client.get("/metrics").text for _ in range(1))
    finally:
        server.stop()

    assert statuses.count(200) == 2
    assert statuses.count(429) == 18
    operation = 'operation="GET /v1.0/identityProtection/riskyUsers"'
    counted = re.findall(
        rf"^idprotect_requests_total\{{{operation},status=\"(\d+)\"\}} (\S+)$", metrics, re.M
    )
    assert sum(float(value) for _, value in counted) == 21
