"""GET …/riskyUsers/{id} with and without the fast path: the same answers, and it serves them."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idprotect.domain.tenants import Licence
from idprotect.errors import ServiceUnavailable
from idprotect.store.engine import Database, make_engine
from tests.auth.tokens import EVENTS, READ, WRITE, app_bearer, seed_risky_user, user_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, add_users, delete_user, directory_user, new_id, risky_user

TENANT_B = "b0b0b0b0-0000-4000-8000-00000000000b"  # seen first in a token, during the test
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
# Ids a client may send; some name a word of the API or are OData keys, which the normal path
# routes elsewhere.
_ODD_IDS = [
    "alex@contoso.com",
    "Mixed.Case-Id_1",
    "spaced id",
    "ünïcödé",
    "quote'd",
    "paren(x)",
    "x('y')",
    "100%",
    "semi;colon,plus+",
    "a:b~c*d",
    "dismiss",
    "History",
    "$count",
    "microsoft.graph.confirmSafe",
    "microsoft.graph.other",
]


Answer = tuple[int, list[tuple[str, str]], Any]


def answer(response: httpx.Response) -> Answer:
    """Status, headers and body, with each request's own ids and dates made placeholders."""
    request_id = response.headers["request-id"]
    uuid.UUID(request_id)

    def ids(value: str) -> str:
        return "<request-id>" if value == request_id else value

    headers = [(name.lower(), ids(value)) for name, value in response.headers.multi_items()]
    body: Any = response.content  # byte for byte, so in the same order too
    if response.status_code >= 400:
        error = response.json()["error"]
        inner = error["innerError"]
        assert _DATE.fullmatch(inner.pop("date"))
        inner.update({name: ids(value) for name, value in inner.items()})
        body = json.dumps(error)
    return response.status_code, headers, body


def same_answers(
    fast: TestClient, slow: TestClient, requests: list[tuple[str, dict[str, str]]]
) -> None:
    """Each request answered alike by both clients (sent to the fast one first)."""
    differences = []
    for path, headers in requests:
        fast_answer = answer(fast.get(path, headers=headers))
        slow_answer = answer(slow.get(path, headers=headers))
        if fast_answer != slow_answer:
            differences.append((path, headers, fast_answer, slow_answer))
    assert differences == []


@pytest.fixture
def clients(database: Database, clock: FakeClock) -> tuple[TestClient, TestClient]:
    """`--auth off` with the fast path, and without it, on one database."""
    return make_client(database, clock), make_client(database, clock, fast_get=False)


def seed_users(client: TestClient) -> list[str]:
    """Users of every kind a GET may meet; their ids, plus ids of no riskyUser."""
    guid = risky_user(client, riskLevel="high")
    dismissed = new_id()
    evolvable = {"riskState": "dismissed", "riskDetail": "m365DAdminDismissedDetection"}
    add_users(
        client,
        directory_user(id=dismissed, riskLevel="none", **evolvable),
        directory_user(id=new_id(), riskLevel="high", riskState="confirmedCompromised"),
        *(directory_user(id=i, riskLevel="low", riskState="atRisk") for i in _ODD_IDS),
    )
    deleted = risky_user(client)
    delete_user(client, deleted)
    plain = new_id()
    add_users(client, directory_user(id=plain))
    return [guid, guid.upper(), dismissed, deleted, plain, new_id(), *_ODD_IDS]


def requests_for(user_ids: list[str]) -> list[tuple[str, dict[str, str]]]:
    """The hot requests, and their near misses that must take the normal path."""
    prefer = {"Prefer": "include-unknown-enum-members"}
    requests = []
    for user_id in user_ids:
        key = quote(user_id, safe="")
        for version in ("v1.0", "beta"):
            hot = f"/{version}/identityProtection/riskyUsers/{key}"
            for headers in ({}, prefer, {"client-request-id": "c-1"}, {"client-request-id": ""}):
                requests.append((hot, headers))
            requests.append((f"{hot}?$select=id,riskLevel", prefer))
            requests.append((f"{hot}?$select=bogus", {}))
        requests += [
            (f"/v1.0/identityprotection/riskyusers/{key}", prefer),
            (f"/v1.0/identityProtection/riskyUsers('{key}')", {}),
            (f"/v1.0//identityProtection/riskyUsers/{key}", {}),
            (f"/v1.0/identityProtection/riskyUsers/{key}/", {}),
            (f"/beta/riskyUsers/{key}", prefer),
        ]
    return requests


def test_the_fast_path_answers_as_the_normal_path(
    clients: tuple[TestClient, TestClient],
) -> None:
    fast, slow = clients
    same_answers(fast, slow, requests_for(seed_users(slow)))


@pytest.mark.parametrize("licence", ["P1", "Free"])
def test_an_unlicensed_tenant_is_refused_alike(
    clients: tuple[TestClient, TestClient], licence: str
) -> None:
    fast, slow = clients
    user_ids = seed_users(slow)
    response = slow.put(f"/_admin/tenants/{TENANT}", json={"licence": licence})
    assert response.status_code == 204
    same_answers(fast, slow, requests_for(user_ids[:3]))


def test_a_get_with_a_body_is_answered_alike(clients: tuple[TestClient, TestClient]) -> None:
    fast, slow = clients
    path = f"/v1.0/identityProtection/riskyUsers/{risky_user(slow)}"
    answers = [answer(client.request("GET", path, content=b'{"a": 1}')) for client in (fast, slow)]
    assert answers[0] == answers[1]
    assert answers[0][0] == 200


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    user_id=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
    version=st.sampled_from(["v1.0", "beta"]),
    prefer=st.booleans(),
)
def test_any_id_is_answered_alike(
    clients: tuple[TestClient, TestClient], user_id: str, version: str, prefer: bool
) -> None:
    fast, slow = clients
    headers = {"Prefer": "include-unknown-enum-members"} if prefer else {}
    path = f"/{version}/identityProtection/riskyUsers/{quote(user_id, safe='')}"
    same_answers(fast, slow, [(path, headers)])


# With tokens: a first request verifies the token (the normal path), later ones find it cached.


@pytest.fixture
def secure_clients(database: Database, clock: FakeClock) -> tuple[TestClient, TestClient]:
    fast = make_client(database, clock, auth="on")
    return fast, make_client(database, clock, auth="on", fast_get=False)


def test_callers_with_tokens_are_answered_alike(
    secure_clients: tuple[TestClient, TestClient],
) -> None:
    fast, slow = secure_clients
    user_id = seed_risky_user(slow, TENANT)
    reader_role = ("Security Reader",)
    callers = [
        app_bearer(slow, TENANT, READ),
        app_bearer(slow, TENANT, WRITE),
        app_bearer(slow, TENANT, EVENTS),  # the wrong permission
        app_bearer(slow, TENANT),  # no permission at all
        user_bearer(slow, TENANT, scopes=(READ,), roles=reader_role, oid=new_id()),
        user_bearer(slow, TENANT, scopes=(READ,), roles=(), oid=new_id()),  # no directory role
        app_bearer(slow, TENANT_B, READ),  # a tenant first seen here: the normal path makes it
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {},
    ]
    ids = [user_id, user_id.upper(), new_id()]
    paths = [f"/{v}/identityProtection/riskyUsers/{i}" for v in ("v1.0", "beta") for i in ids]
    for caller in callers:
        for _ in range(2):  # uncached, then cached
            same_answers(fast, slow, [(path, caller) for path in paths])


# The fast path serves the hot requests: with units of work broken, only it can answer.


def _break_units_of_work(monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    def broken(*, write: bool = False) -> Iterator[Any]:
        raise RuntimeError("the normal path was taken")

    monkeypatch.setattr(database, "unit_of_work", broken)


def test_hot_gets_never_reach_the_normal_path(
    database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(database, clock)
    user_id = risky_user(client)
    _break_units_of_work(monkeypatch, database)
    path = f"/v1.0/identityProtection/riskyUsers/{user_id}"

    assert client.get(path).status_code == 200
    assert client.get(path.replace("v1.0", "beta")).status_code == 200
    assert client.get(f"/v1.0/identityProtection/riskyUsers/{new_id()}").status_code == 404
    assert client.get(f"{path}?$select=id").status_code == 500  # the normal path, broken


def test_a_cached_token_is_served_by_the_fast_path(
    database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(database, clock, auth="on")
    user_id = seed_risky_user(client, TENANT)
    reader = app_bearer(client, TENANT, READ)
    path = f"/v1.0/identityProtection/riskyUsers/{user_id}"
    assert client.get(path, headers=reader).status_code == 200  # verified, then cached
    _break_units_of_work(monkeypatch, database)

    assert client.get(path, headers=reader).status_code == 200
    assert client.get(path, headers=app_bearer(client, TENANT, EVENTS)).status_code == 403
    assert client.get(path, headers=app_bearer(client, TENANT_B, READ)).status_code == 500


def test_a_licence_change_is_honoured_at_once_in_every_process(
    database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(database, clock)
    path = f"/v1.0/identityProtection/riskyUsers/{risky_user(client)}"
    assert client.get(path).status_code == 200
    # Another process (the CLI, another worker) on its own engine changes the licence.
    other = Database(make_engine(database.engine.url.render_as_string(hide_password=False)))
    _break_units_of_work(monkeypatch, database)
    try:
        for licence, status in [(Licence.P1, 403), (Licence.P2, 200), (Licence.FREE, 403)]:
            with other.unit_of_work(write=True) as store:
                store.set_tenant_licence(TENANT, licence)
            assert client.get(path).status_code == status
    finally:
        other.dispose()


def test_a_licence_change_through_the_admin_api_is_honoured_at_once(
    database: Database, clock: FakeClock
) -> None:
    client = make_client(database, clock)
    path = f"/v1.0/identityProtection/riskyUsers/{risky_user(client)}"
    assert client.get(path).status_code == 200

    assert client.put(f"/_admin/tenants/{TENANT}", json={"licence": "P1"}).status_code == 204
    refused = client.get(path)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Your tenant is not licensed for this feature."


# Failures of the fast path itself: the request takes the normal path.


class _LockedConnection:
    def execute(self, *args: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")


def test_a_busy_database_passes_the_request_to_the_normal_path(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = make_client(sqlite_database, clock)
    slow = make_client(sqlite_database, clock, fast_get=False)
    path = f"/v1.0/identityProtection/riskyUsers/{risky_user(fast)}"
    reader = fast.app.state.point_reader  # type: ignore[attr-defined]
    monkeypatch.setattr(reader, "_driver", _LockedConnection)
    assert fast.get(path).status_code == 200  # the normal path waits for its lock

    def busy(*, write: bool = False) -> Iterator[Any]:
        raise ServiceUnavailable("The service is busy. Retry the request.")

    monkeypatch.setattr(sqlite_database, "unit_of_work", busy)
    same_answers(fast, slow, [(path, {})])
    assert fast.get(path).status_code == 503


def test_an_unexpected_failure_passes_the_request_to_the_normal_path(
    any_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/v1.0/identityProtection/riskyUsers/{risky_user(any_client)}"
    reader = any_client.app.state.point_reader  # type: ignore[attr-defined]

    def broken(tenant_id: str, user_id: str) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(reader, "risky_user", broken)
    with caplog.at_level(logging.ERROR, logger="idprotect"):
        response = any_client.get(path)
    assert response.status_code == 200
    assert response.json()["id"] == path.rsplit("/", 1)[-1]
    assert "the fast path failed" in caplog.text
