"""Throttling: Graph's profile (1 request a second per tenant on identity protection, 429
TooManyRequests in Graph's shape, no Retry-After), custom buckets, per tenant settings, $batch
sub-requests counted one by one, and one count across the processes of a PostgreSQL
deployment. Limits are set so that no test depends on the machine's speed: a bucket of one
request a minute is empty for the rest of the test."""

from __future__ import annotations

import json
from typing import Any

import pytest

from idprotect.ops.throttle import GRAPH, Bucket, gcra
from idprotect.store.engine import Database, make_engine
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, risky_user

USERS = "/v1.0/identityProtection/riskyUsers"
SLOW = {"name": "slow", "requests": 1, "seconds": 60, "operations": ["@identityProtection"]}


def custom(*buckets: dict[str, Any], retry_after: bool = False) -> str:
    return json.dumps({"profile": "custom", "retryAfter": retry_after, "buckets": list(buckets)})


def too_many(response: Any, retry_after: str | None = None) -> None:
    graph_error(response, 429, "TooManyRequests", "Too many requests.")
    assert response.headers.get("retry-after") == retry_after


def test_gcra_admits_the_burst_then_one_per_interval() -> None:
    bucket = Bucket("b", ("*",), rate=2.0, burst=3)
    tat, admitted = None, []
    for now in (0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0):
        new, wait = gcra(tat, now, bucket)
        admitted.append(wait == 0)
        tat = new if new is not None else tat
    assert admitted == [True, True, True, False, True, False, True]


def test_graph_profile_holds_identity_protection_to_one_request_a_second() -> None:
    ip = next(b for b in GRAPH.buckets if b.name == "identityProtection")
    assert (ip.rate, ip.burst, ip.per, GRAPH.retry_after) == (1.0, 1, "tenant", False)
    assert ip.counts("GET /v1.0/identityProtection/riskyUsers/{id}/history")
    assert ip.counts("POST /beta/riskyUsers/dismiss")  # beta's legacy root
    assert not ip.counts("GET /v1.0/auditLogs/signIns")


def test_the_second_request_in_a_second_is_refused_in_graphs_shape(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, throttle="graph")
    risky_user(client)  # /_admin is never throttled

    assert client.get(USERS).status_code == 200
    too_many(client.get(USERS))
    too_many(client.get(f"{USERS}/{'0' * 8}"))  # every identity protection resource
    assert client.get("/healthz").status_code == 200


def test_retry_after_is_sent_when_the_profile_says(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, throttle=custom(SLOW, retry_after=True))

    assert client.get(USERS).status_code == 200
    response = client.get(USERS)
    too_many(response, retry_after=response.headers.get("retry-after"))
    assert 55 <= int(response.headers["retry-after"]) <= 60


def test_batch_requests_are_counted_one_by_one(sqlite_database: Database, clock: FakeClock) -> None:
    client = make_client(sqlite_database, clock, throttle=custom({**SLOW, "requests": 2}))
    requests = [
        {"id": str(n), "method": "GET", "url": "/identityProtection/riskyUsers"} for n in range(4)
    ]

    response = client.post("/v1.0/$batch", json={"requests": requests})

    assert response.status_code == 200
    statuses = [item["status"] for item in response.json()["responses"]]
    assert statuses == [200, 200, 429, 429]
    assert response.json()["responses"][2]["body"]["error"]["code"] == "TooManyRequests"


def test_a_bucket_per_app_counts_each_app_apart(
    sqlite_database: Database, clock: FakeClock
) -> None:
    from tests.auth.tokens import READ, app_bearer

    per_app = {**SLOW, "per": "app"}
    client = make_client(sqlite_database, clock, auth="on", throttle=custom(per_app))
    first, second = (app_bearer(client, TENANT, READ, client_id=name) for name in ("a", "b"))

    assert client.get(USERS, headers=first).status_code == 200
    too_many(client.get(USERS, headers=first))
    assert client.get(USERS, headers=second).status_code == 200


def test_a_tenant_has_its_own_profile(sqlite_database: Database, clock: FakeClock) -> None:
    client = make_client(sqlite_database, clock)
    admin = f"/_admin/tenants/{TENANT}/throttle"
    assert client.get(admin).json() == {"profile": "default", "serverProfile": "off"}

    assert client.put(admin, content=custom(SLOW)).status_code == 204
    assert client.get(USERS).status_code == 200
    too_many(client.get(USERS))
    assert client.get(admin).json()["profile"] == "custom"

    assert client.put(admin, json={"profile": "off"}).status_code == 204
    assert client.get(USERS).status_code == 200


BAD_PROFILES = [
    ("not json", "The document is not valid JSON."),
    ("[]", "Invalid document at 'body': Input should be an object."),
    ("{}", "Invalid document at 'profile': Field required."),
    ('{"profile": "fast"}', None),
    ('{"profile": "graph", "buckets": []}', None),
    ('{"profile": "custom"}', None),
    (
        '{"profile": "graph", "extra": 1}',
        "Invalid document at 'extra': Extra inputs are not permitted.",
    ),
    ('{"profile": "off", "retryAfter": "yes"}', None),
    (custom({**SLOW, "requests": 0}), None),
    (custom({**SLOW, "requests": 1.5}), None),
    (custom({**SLOW, "seconds": 0}), None),
    (custom({**SLOW, "seconds": "1"}), None),
    (custom({**SLOW, "burst": 0}), None),
    (custom({**SLOW, "per": "user"}), None),
    (custom({**SLOW, "operations": []}), None),
    (custom({**SLOW, "operations": ["riskyUsers"]}), None),
    (custom({**SLOW, "name": "a b"}), None),
    (custom(SLOW, SLOW), "Invalid document at 'body': bucket names must be unique."),
]


@pytest.mark.parametrize(("document", "message"), BAD_PROFILES)
def test_a_bad_profile_is_a_graph_400(
    sqlite_database: Database, clock: FakeClock, document: str, message: str | None
) -> None:
    client = make_client(sqlite_database, clock)
    response = client.put(
        f"/_admin/tenants/{TENANT}/throttle",
        content=document,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"].startswith(("Invalid document at '", "The document is not"))
    if message is not None:
        assert error["message"] == message


def test_a_bad_server_profile_is_refused_at_start(tmp_path: Any) -> None:
    from idprotect.ops.config import server_throttle

    with pytest.raises(ValueError, match="Invalid document"):
        server_throttle('{"profile": "custom"}')
    with pytest.raises(ValueError, match="default"):
        server_throttle('{"profile": "default"}')


def test_processes_on_one_postgresql_database_share_the_limit(
    postgres_url: str, clock: FakeClock
) -> None:
    """Two apps on one database stand for two worker processes: the tenant's bucket of two
    requests a minute admits two requests in all, whichever process they reach."""
    databases = [Database(make_engine(postgres_url)) for _ in range(2)]
    try:
        limit = custom({**SLOW, "requests": 2})
        clients = [make_client(db, clock, throttle=limit) for db in databases]
        statuses = [clients[n % 2].get(USERS).status_code for n in range(6)]
    finally:
        for db in databases:
            db.dispose()

    assert statuses == [200, 200, 429, 429, 429, 429]
