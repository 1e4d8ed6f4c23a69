"""Graph's wire conventions: request ids, content types, and paths as clients spell them."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from idprotect.api.deps import graph_root
from idprotect.api.errors import error_body
from idprotect.errors import BadRequest
from idprotect.store.engine import Database, make_engine
from tests.api.expect import BASE, ODATA_JSON, bad_request, graph_error, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1, act, new_id, risky_user

# (method, URL, JSON body, status); "{id}" is a risky user's id, "{new}" a fresh one.
Request = tuple[str, str, str | None, int]
ANY_REQUEST: list[Request] = [
    ("GET", f"{V1}/riskyUsers", None, 200),
    ("GET", f"{V1}/riskyUsers/{{id}}", None, 200),
    ("GET", f"{V1}/riskyUsers/{{new}}", None, 404),
    ("GET", f"{V1}/riskyUsers?$top=0", None, 400),
    ("POST", f"{V1}/riskyUsers/dismiss", '{"userIds": ["{id}"]}', 204),
    ("POST", f"{V1}/riskyUsers/dismiss", '{"userIds": []}', 400),
    ("GET", f"{V1}/riskyUsers/dismiss", None, 405),
    ("GET", f"{V1}/nothingHere", None, 400),
    ("GET", f"{V1}/riskDetections", None, 200),
    ("POST", f"/_admin/tenants/{TENANT}/users", '{"value": [{"id": "{new}"}]}', 204),
    ("POST", f"/_admin/tenants/{TENANT}/users", '{"value": []}', 400),
]


def send(client: TestClient, request: Request, headers: dict[str, str] | None = None) -> Any:
    method, url, body, status = request
    for placeholder, value in {"{id}": risky_user(client), "{new}": new_id()}.items():
        url = url.replace(placeholder, value)
        body = body and body.replace(placeholder, value)
    sent_headers = {"Content-Type": "application/json"} if body else {}
    response = client.request(
        method, url, content=body, headers={**sent_headers, **(headers or {})}
    )
    assert response.status_code == status, response.text
    return response.headers


@pytest.mark.parametrize("request_", ANY_REQUEST)
def test_every_response_carries_a_request_id(client: TestClient, request_: Request) -> None:
    headers = send(client, request_)

    assert str(uuid.UUID(headers["request-id"])) == headers["request-id"]
    assert headers["client-request-id"] == headers["request-id"]
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("request_", ANY_REQUEST)
def test_client_request_id_is_echoed(client: TestClient, request_: Request) -> None:
    sent = str(uuid.uuid4())

    headers = send(client, request_, headers={"client-request-id": sent})

    assert headers["client-request-id"] == sent
    assert headers["request-id"] != sent


def test_errors_carry_both_ids_in_the_inner_error(client: TestClient) -> None:
    sent = "my-correlation-42"

    response = client.get(f"{V1}/riskyUsers/{new_id()}", headers={"client-request-id": sent})

    inner = response.json()["error"]["innerError"]
    assert (inner["request-id"], inner["client-request-id"]) == (
        response.headers["request-id"],
        sent,
    )


def test_every_request_gets_its_own_request_id(client: TestClient) -> None:
    ids = {client.get(f"{V1}/riskyUsers").headers["request-id"] for _ in range(3)}

    assert len(ids) == 3


def test_payloads_are_odata_json(client: TestClient) -> None:
    user_id = risky_user(client)

    for url in (f"{V1}/riskyUsers", f"{V1}/riskyUsers/{user_id}", f"{V1}/riskDetections"):
        response = client.get(url)
        assert response.headers["content-type"] == ODATA_JSON
        assert response.headers["odata-version"] == "4.0"


def test_errors_are_plain_json(client: TestClient) -> None:
    response = client.get(f"{V1}/riskyUsers/{new_id()}")

    assert response.headers["content-type"] == "application/json"


def test_no_content_has_no_body_and_no_content_type(client: TestClient) -> None:
    response = act(client, "dismiss", [risky_user(client)])

    assert (response.status_code, response.content) == (204, b"")
    assert "content-type" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/v1.0//identityProtection/riskyUsers",
        "/v1.0/identityProtection//riskyUsers",
        "/V1.0/IdentityProtection/RiskyUsers",
        "/v1.0/identityprotection/riskyusers",
        "/v1.0/identityProtection/riskyUsers/",
    ],
)
def test_collection_paths_as_clients_spell_them(client: TestClient, path: str) -> None:
    ids = sorted(risky_user(client) for _ in range(2))

    body = odata_json(client.get(path, params={"$top": "1"}))

    assert body["@odata.context"] == f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers"
    assert body["value"][0]["id"] == ids[0]
    assert body["@odata.nextLink"].startswith(f"{BASE}{V1}/riskyUsers?$top=1&$skiptoken=")


@pytest.mark.parametrize(
    "path",
    [
        "/v1.0/identityProtection/riskyUsers('{id}')",
        "/v1.0/identityProtection/riskyUsers({id})",
        "/v1.0/identityProtection/riskyUsers/{id}/",
        "/V1.0/IDENTITYPROTECTION/RISKYUSERS/{id}",
    ],
)
def test_entity_paths_as_clients_spell_them(client: TestClient, path: str) -> None:
    user_id = risky_user(client)

    body = odata_json(client.get(path.replace("{id}", user_id)))

    assert body["@odata.context"] == (
        f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers/$entity"
    )
    assert body["id"] == user_id


def test_key_syntax_reaches_history(client: TestClient) -> None:
    user_id = risky_user(client)

    body = odata_json(client.get(f"{V1}/riskyUsers('{user_id}')/history"))

    assert body["value"][0]["userId"] == user_id


@pytest.mark.parametrize(
    "path",
    [
        "/v1.0/identityProtection/riskyUsers/microsoft.graph.dismiss",
        "/v1.0/identityProtection/riskyUsers/Microsoft.Graph.Dismiss",
        "/v1.0/identityProtection/riskyUsers/dismiss/",
        "/beta/riskyUsers/microsoft.graph.dismiss",
    ],
)
def test_action_paths_as_clients_spell_them(client: TestClient, path: str) -> None:
    user_id = risky_user(client)

    assert client.post(path, json={"userIds": [user_id]}).status_code == 204

    assert odata_json(client.get(f"{V1}/riskyUsers/{user_id}"))["riskState"] == "dismissed"


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/v1.0/identityProtection/x", "x"),
        ("/v1.0/x/riskyUsers", "x"),
        ("/v1.0/identityProtection/riskyAgents", "riskyAgents"),  # beta only
        ("/v1.0/identityProtection/agentRiskDetections", "agentRiskDetections"),
        ("/beta/identityProtection/riskyAgents/{id}/history", "history"),  # no such navigation
        ("/beta/riskyServicePrincipals", "riskyServicePrincipals"),  # no legacy root
        ("/v2.0/identityProtection/riskyUsers", "v2.0"),
        ("/v1.0/riskyUsers", "riskyUsers"),
        ("/v1.0/identityProtection/riskyUsers/{id}/devices", "devices"),
        ("/v1.0/identityProtection/riskyUsers/{id}/history/{id}/more", "more"),
    ],
)
def test_an_unknown_segment_is_a_bad_request_naming_it(
    client: TestClient, path: str, segment: str
) -> None:
    user_id = risky_user(client)

    bad_request(
        client.get(path.replace("{id}", user_id)),
        f"Resource not found for the segment '{segment}'.",
    )


# A busy or unreachable database: 503 with Retry-After, which Graph clients wait for.
BUSY = "The service is busy. Retry the request."


def _busy_client(url: str, clock: FakeClock) -> tuple[TestClient, Database]:
    database = Database(make_engine(url, busy_timeout=0.2))
    return make_client(database, clock), database


def _service_unavailable(response: Any) -> None:
    graph_error(response, 503, "ServiceUnavailable", BUSY)
    assert response.headers["retry-after"] == "5"


def _in_a_batch(client: TestClient, *requests: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1.0/$batch", json={"requests": list(requests)})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["responses"]
    return items


def _batched_dismiss(user_id: str) -> dict[str, Any]:
    return {
        "id": "1",
        "method": "POST",
        "url": "/identityProtection/riskyUsers/dismiss",
        "headers": {"Content-Type": "application/json"},
        "body": {"userIds": [user_id]},
    }


def test_a_write_lock_held_past_the_busy_timeout_is_503_with_retry_after_on_sqlite(
    sqlite_url: str, clock: FakeClock
) -> None:
    client, database = _busy_client(sqlite_url, clock)
    user_id = risky_user(client)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding the lock

        _service_unavailable(act(client, "dismiss", [user_id]))
        (item,) = _in_a_batch(client, _batched_dismiss(user_id))
        assert (item["status"], item["headers"]["Retry-After"]) == (503, "5")
        assert item["body"]["error"]["code"] == "ServiceUnavailable"
    finally:
        holder.close()
        database.dispose()


def test_a_lock_held_past_the_lock_timeout_is_503_with_retry_after_on_postgres(
    postgres_url: str, clock: FakeClock
) -> None:
    client, database = _busy_client(postgres_url, clock)
    user_id = risky_user(client)
    holder = create_engine(postgres_url)
    try:
        with holder.begin() as connection:
            connection.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))

            _service_unavailable(act(client, "dismiss", [user_id]))
            _service_unavailable(client.get(f"{V1}/riskyUsers/{user_id}"))
            (item,) = _in_a_batch(client, _batched_dismiss(user_id))
            assert (item["status"], item["headers"]["Retry-After"]) == (503, "5")
    finally:
        holder.dispose()
        database.dispose()


def test_an_unreachable_database_is_503_with_retry_after(clock: FakeClock) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens on it
    client, database = _busy_client(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x", clock)
    try:
        _service_unavailable(client.get(f"{V1}/riskyUsers"))
        _service_unavailable(act(client, "dismiss", [new_id()]))
    finally:
        database.dispose()


def test_every_pooled_connection_in_use_is_503_with_retry_after(
    postgres_url: str, clock: FakeClock
) -> None:
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    client = make_client(Database(engine), clock)
    try:
        with engine.connect():  # the pool's only connection, held
            _service_unavailable(client.get(f"{V1}/riskyUsers"))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "broken",
    [
        "idprotect.api.pipeline.canonical_path",  # the pipeline itself, before routing
        "idprotect.api.deps.caller",  # the caller step
        "idprotect.domain.principals.list_risky_principals",  # the operation, in its unit of work
    ],
)
def test_an_unexpected_failure_anywhere_is_a_graph_500(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    def bug(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(broken, bug)
    app = make_client(sqlite_database, clock).app
    response = TestClient(app, raise_server_exceptions=False).get(f"{V1}/riskyUsers")

    body = response.json()
    assert (response.status_code, response.headers["content-type"]) == (500, "application/json")
    assert body["error"]["code"] == "InternalServerError"
    assert body["error"]["message"] == "An internal server error occurred."
    assert response.headers["request-id"] == body["error"]["innerError"]["request-id"]


def test_an_error_message_quoting_a_lone_surrogate_is_still_json() -> None:
    body = json.loads(error_body(BadRequest("The id 'a\ud800b' is not valid."), "r", "c"))
    assert body["error"]["message"] == "The id 'a\\ud800b' is not valid."


@pytest.mark.parametrize("query", [b"$top=\xff", b"$filter=userDisplayName eq '\xc3'", b"\xfe"])
def test_a_query_string_that_is_not_utf8_is_a_graph_400(
    sqlite_database: Database, clock: FakeClock, query: bytes
) -> None:
    """Raw bytes in a request target (HTTP allows them; clients should not send them)."""
    app = make_client(sqlite_database, clock).app
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    path = f"{V1}/riskyUsers"
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))

    body = json.loads(sent[1]["body"])
    assert sent[0]["status"] == 400
    assert body["error"]["code"] == "BadRequest"
    assert body["error"]["message"] == "The query string is not valid UTF-8."


@pytest.mark.parametrize(
    ("headers", "included"),
    [
        ([("Prefer", "include-unknown-enum-members")], True),
        ([("Prefer", "Include-Unknown-Enum-Members")], True),
        ([("Prefer", "odata.maxpagesize=5, include-unknown-enum-members")], True),
        ([("Prefer", "respond-async"), ("Prefer", "include-unknown-enum-members")], True),
        ([("Prefer", 'include-unknown-enum-members; x="y"')], True),
        ([("Prefer", "x-include-unknown-enum-members")], False),
        ([("Prefer", "include-unknown-enum-members-not")], False),
        ([("Prefer", "odata.include-annotations=include-unknown-enum-members")], False),
    ],
)
def test_prefer_names_preferences_as_rfc_7240_writes_them(
    headers: list[tuple[str, str]], included: bool
) -> None:
    scope = {
        "path": f"{V1}/riskyUsers",
        "headers": [(k.lower().encode(), v.encode()) for k, v in [("host", "x"), *headers]],
        "scheme": "http",
        "server": ("x", 80),
        "root_path": "",
    }
    assert graph_root(scope).include_unknown_enum_members is included
