"""Limits on what a request may send (api/limits.py): its URL, its head, its body's size and the
time the body takes. Each refusal is a Graph error that closes the connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.types import Message

from idprotect.api.pipeline import Service
from idprotect.app import create_app
from idprotect.settings import Settings
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.conftest import FakeClock
from tests.factories import TENANT, V1, new_id, risky_user

LIMITS = {
    "max_url_bytes": 1000,
    "max_head_bytes": 4000,
    "max_body_bytes": 3000,
    "max_admin_body_bytes": 6000,
    "body_timeout_seconds": 0.2,
}
DISMISS = f"{V1}/riskyUsers/dismiss"


@pytest.fixture
def app(sqlite_database: Database, clock: FakeClock) -> Service:
    return create_app(Settings(auth="off", **LIMITS), clock=clock, database=sqlite_database)


@pytest.fixture
def client(app: Service) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def refused(response: httpx.Response, status: int, code: str, message: str) -> None:
    graph_error(response, status, code, message)
    assert response.headers["connection"] == "close"
    assert response.headers["cache-control"] == "no-cache"


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with spaces to exactly `size` bytes."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


class Exchange:
    """One request sent straight to the ASGI app, its body in the given messages."""

    def __init__(self, app: Service, *, path: str, headers: dict[str, str]) -> None:
        self.app = app
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
        }
        self.received = 0  # messages the app took
        self.sent: list[Message] = []

    def run(self, messages: list[Message], *, delay: float = 0.0) -> Exchange:
        async def receive() -> Message:
            if delay:
                await asyncio.sleep(delay)
            self.received += 1
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            self.sent.append(message)

        asyncio.run(self.app(self.scope, receive, send))
        return self

    @property
    def status(self) -> int:
        status: int = self.sent[0]["status"]
        return status

    def error_code(self) -> str:
        code: str = json.loads(self.sent[1]["body"])["error"]["code"]
        return code


def chunk(body: bytes, *, more: bool = True) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_url_at_the_limit_is_served(client: TestClient) -> None:
    url = f"{V1}/riskyUsers?x="
    response = client.get(url + "a" * (LIMITS["max_url_bytes"] - len(url)))

    assert response.status_code == 200, response.text


def test_a_url_over_the_limit_is_414(client: TestClient) -> None:
    url = f"{V1}/riskyUsers?x="
    response = client.get(url + "a" * (LIMITS["max_url_bytes"] - len(url) + 1))

    refused(
        response,
        414,
        "RequestUriTooLong",
        "The request URL is longer than the limit of 1000 bytes.",
    )


def test_a_path_over_the_limit_is_414(client: TestClient) -> None:
    response = client.get(f"{V1}/riskyUsers/{'a' * 1000}")

    refused(
        response,
        414,
        "RequestUriTooLong",
        "The request URL is longer than the limit of 1000 bytes.",
    )


def test_headers_over_the_limit_are_431(client: TestClient) -> None:
    response = client.get(f"{V1}/riskyUsers", headers={"x-padding": "a" * 4000})

    message = "The request line and headers are larger than 4000 bytes."
    refused(response, 431, "RequestHeaderFieldsTooLarge", message)


def test_a_body_at_the_limit_is_served(client: TestClient) -> None:
    body = padded({"userIds": [risky_user(client)]}, LIMITS["max_body_bytes"])

    response = client.post(DISMISS, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 204, response.text


def test_a_content_length_over_the_limit_is_413_before_the_body_is_read(app: Service) -> None:
    headers = {"content-type": "application/json", "content-length": "50000000"}

    exchange = Exchange(app, path=DISMISS, headers=headers).run([chunk(b"{" * 65536)])

    assert (exchange.status, exchange.error_code()) == (413, "RequestEntityTooLarge")
    assert exchange.received == 0


def test_a_chunked_body_is_refused_once_it_passes_the_limit(app: Service) -> None:
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}
    messages = [chunk(b" " * 1000) for _ in range(10)]

    exchange = Exchange(app, path=DISMISS, headers=headers).run(messages)

    assert (exchange.status, exchange.error_code()) == (413, "RequestEntityTooLarge")
    assert exchange.received == 4  # 4,000 bytes: the first past 3,000; the rest never read


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def stream() -> Iterator[bytes]:
        yield from (b" " * 1000 for _ in range(4))

    response = client.post(DISMISS, content=stream(), headers={"Content-Type": "application/json"})

    message = "The request body is larger than the limit of 3000 bytes."
    refused(response, 413, "RequestEntityTooLarge", message)


def test_admin_bodies_have_their_own_limit(client: TestClient) -> None:
    users = {"value": [{"id": new_id()}]}
    headers = {"Content-Type": "application/json"}
    admin = f"/_admin/tenants/{TENANT}/users"

    accepted = client.post(admin, content=padded(users, 6000), headers=headers)
    refused_there = client.post(admin, content=padded(users, 6001), headers=headers)
    refused_on_graph = client.post(
        DISMISS, content=padded({"userIds": ["x"]}, 6000), headers=headers
    )

    assert accepted.status_code == 204, accepted.text
    assert refused_there.status_code == refused_on_graph.status_code == 413


def test_a_batch_over_the_limit_is_413(client: TestClient) -> None:
    batch = {"requests": [{"id": str(i), "method": "GET", "url": "/me"} for i in range(100)]}

    response = client.post("/v1.0/$batch", content=json.dumps(batch))

    assert response.status_code == 413, response.text


def test_a_body_slower_than_the_timeout_is_408(app: Service) -> None:
    headers = {"content-type": "application/json", "content-length": "100"}

    exchange = Exchange(app, path=DISMISS, headers=headers).run([chunk(b"{")] * 5, delay=0.1)

    assert (exchange.status, exchange.error_code()) == (408, "RequestTimeout")
    assert exchange.received <= 3


def test_a_client_gone_before_its_body_came_gets_no_answer(app: Service) -> None:
    headers = {"content-type": "application/json", "content-length": "100"}

    exchange = Exchange(app, path=DISMISS, headers=headers).run([chunk(b"{")])

    assert exchange.sent == []


def test_an_unknown_method_is_405_naming_the_allowed_ones(client: TestClient) -> None:
    response = client.request("FOO", f"{V1}/riskyUsers")

    message = "Specified HTTP method is not allowed for the request target."
    graph_error(response, 405, "Request_BadRequest", message)
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    "setting",
    ["max_url_bytes", "max_body_bytes", "body_timeout_seconds", "header_timeout_seconds"],
)
def test_limits_must_be_positive(setting: str) -> None:
    with pytest.raises(ValueError, match=f"{setting} must be positive"):
        Settings(**{setting: 0})


def test_the_url_limit_lies_within_the_head_limit() -> None:
    with pytest.raises(ValueError, match="max_url_bytes must be less than max_head_bytes"):
        Settings(max_url_bytes=70_000)
