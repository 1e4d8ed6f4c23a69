"""The request pipeline's own edges: paths it must not mistake for others, the prefix a proxy
serves it under, requests no server parser would pass, quick reads given up or cut off."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.settings import Settings
from idprotect.store import engine as engine_module
from idprotect.store.engine import Database, make_engine
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import V1, risky_user

RESOURCE_NOT_FOUND = "Resource not found for the segment '{}'."


def asgi(
    app: Any, method: str, path: str, *, root_path: str = "", headers: list[Any] | None = None
) -> tuple[dict[str, Any], bytes]:
    """One request straight through the ASGI app (no client library in between)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    ("method", "path", "segment"),
    [
        ("GET", "/riskyUsers('')", "riskyUsers('')"),
        ("GET", "/riskyUsers()", "riskyUsers()"),
        ("GET", "/riskyUsers('')/$count", "riskyUsers('')"),
        ("GET", "/riskyUsers('')/history", "riskyUsers('')"),
        ("GET", "/riskDetections('')", "riskDetections('')"),
        ("POST", "/riskyUsers('')/dismiss", "riskyUsers('')"),
    ],
)
def test_an_empty_odata_key_names_nothing(
    client: TestClient, method: str, path: str, segment: str
) -> None:
    user_id = risky_user(client)

    response = client.request(method, V1 + path, json={"userIds": [user_id]})

    graph_error(response, 400, "BadRequest", RESOURCE_NOT_FOUND.format(segment))
    assert client.get(f"{V1}/riskyUsers/{user_id}").json()["riskState"] == "atRisk"


def test_the_prefix_a_proxy_serves_under_is_routed_and_kept_in_links(
    sqlite_database: Database, clock: FakeClock
) -> None:
    app = make_client(sqlite_database, clock).app
    risky_user(TestClient(app))

    start, body = asgi(app, "GET", f"/idp{V1}/riskyUsers", root_path="/idp")

    page = orjson.loads(body)
    assert start["status"] == 200
    assert (
        page["@odata.context"]
        == "http://testserver/idp/v1.0/$metadata#identityProtection/riskyUsers"
    )
    assert len(page["value"]) == 1


@pytest.mark.parametrize("path", ["/docs/", "/openapi.json/", "/docs//", "/docs/assets"])
def test_a_trailing_slash_on_the_service_pages_is_not_redirected(
    client: TestClient, path: str
) -> None:
    response = client.get(path, follow_redirects=False)

    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("BadRequest", "NotFound")


def test_a_content_length_of_thousands_of_digits_is_413(
    sqlite_database: Database, clock: FakeClock
) -> None:
    app = make_client(sqlite_database, clock).app
    length = (b"content-length", b"1" * 5000)

    start, body = asgi(app, "POST", f"{V1}/riskyUsers/dismiss", headers=[length])

    assert start["status"] == 413
    assert orjson.loads(body)["error"]["code"] == "RequestEntityTooLarge"


def test_a_batch_reaches_graph_operations_only(client: TestClient) -> None:
    batch = {"requests": [{"id": "1", "method": "GET", "url": "/discovery/v2.0/keys"}]}

    (item,) = client.post("/v1.0/$batch", json=batch).json()["responses"]

    assert item["status"] == 400
    assert item["body"]["error"]["message"] == RESOURCE_NOT_FOUND.format("discovery")


def _fill(url: str, count: int) -> None:
    database = Database(make_engine(url))
    client = TestClient(create_app(Settings(auth="off"), database=database))
    for start in range(0, count, 500):
        users = [{"id": str(uuid.uuid4()), "riskLevel": "medium"} for _ in range(500)]
        body = {"value": [{**u, "riskState": "atRisk"} for u in users][: count - start]}
        assert client.post(f"/_admin/tenants/{DEMO_TENANT_ID}/users", json=body).status_code == 204
    database.dispose()


def test_a_quick_read_given_up_for_time_answers_the_same_on_a_thread_and_keeps_its_connection(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(sqlite_url, 3000)
    database = Database(make_engine(sqlite_url))
    client = TestClient(create_app(Settings(auth="off"), database=database))
    expected = client.get(f"{V1}/riskyUsers/$count").text
    quick = database.quick_reads
    assert quick is not None
    connects: list[int] = []
    event.listen(quick._engine, "connect", lambda *_: connects.append(1))
    # No time at all: every read on the loop is given up, and read again on a thread.
    monkeypatch.setattr(engine_module, "QUICK_READ_BUDGET_SECONDS", -1.0)

    answers = {client.get(f"{V1}/riskyUsers/$count").text for _ in range(10)}

    database.dispose()
    assert answers == {expected}
    assert expected == "3000"
    assert len(connects) <= 1  # given up for time, the connection stays


def test_quick_reads_never_wait_for_the_pool_the_database_threads_share(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock)
    user_id = risky_user(client)
    pool = sqlite_database.engine.pool
    held = [sqlite_database.engine.connect() for _ in range(pool.size() + 8)]  # type: ignore[attr-defined]
    try:
        started = time.monotonic()
        response = client.get(f"{V1}/riskyUsers/{user_id}")
        waited = time.monotonic() - started
    finally:
        for connection in held:
            connection.close()

    assert response.status_code == 200
    assert waited < 5


def test_after_dispose_reads_take_a_thread_and_leave_no_connection(
    sqlite_url: str, clock: FakeClock
) -> None:
    database = Database(make_engine(sqlite_url))
    client = make_client(database, clock)
    user_id = risky_user(client)
    database.dispose()

    response = client.get(f"{V1}/riskyUsers/{user_id}")

    assert response.status_code == 200
    assert database.quick_reads is not None
    assert database.quick_reads._connection is None
    database.dispose()


def test_a_failure_to_shut_down_is_reported_to_the_server() -> None:
    def broken() -> None:
        raise RuntimeError("the database would not close")

    app = create_app(Settings(auth="off", database_url="sqlite://"))
    app._on_shutdown = broken
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "the database would not close" in sent[1]["message"]
