"""What a stream or subscription may name as its receiver: every URL and header value that is
stored can be sent; the rest is a Graph 400 when the stream is made, for every field that
takes one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from idprotect.errors import BadRequest
from idprotect.signals.endpoints import MAX_HEADER_VALUE, MAX_URL, header_value, receiver_url
from idprotect.signals.posting import _request
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT
from tests.signals.helpers import PUSH

STREAMS = f"/ssf/{TENANT}/streams"

GOOD_URLS = [
    "http://127.0.0.1:8080/events",
    "https://receiver.example/ssf/push?tenant=a&x=%20",
    "https://[::1]:443/",
    "http://receiver.example",
]
BAD_URLS: list[Any] = [
    None, 7, "", "ftp://receiver.example/", "receiver.example/events", "http://", "https:///x",
    "http://host:99999/", "http://host:port/", "http://[::1/", "http://user:pw@host/",
    "http://host/a b", "http://host/\r\nX-Injected: 1", "http://host/\x00", "http://hóst/",
    "http://host/#fragment", "https://host/" + "a" * MAX_URL, ["http://host/"],
]  # fmt: skip


@pytest.mark.parametrize("url", GOOD_URLS)
def test_receiver_urls_taken(url: str) -> None:
    assert receiver_url(url, "u") == url


@pytest.mark.parametrize("url", BAD_URLS)
def test_receiver_urls_refused(url: Any) -> None:
    with pytest.raises(BadRequest, match=r"^u must be an absolute http or https URL"):
        receiver_url(url, "u")


@pytest.mark.parametrize(
    "value", [None, 1, "Bearer a\r\nX: y", "a\nb", "tab\there", "é", "x" * (MAX_HEADER_VALUE + 1)]
)
def test_header_values_refused(value: Any) -> None:
    with pytest.raises(BadRequest, match=r"^h must be a string of printable ASCII"):
        header_value(value, "h")


@given(st.text(max_size=300))
def test_any_url_is_refused_or_makes_a_request_line(text: str) -> None:
    """What is taken can be written on the wire: one request line, no line break."""
    try:
        url = receiver_url(text, "u")
    except BadRequest:
        return
    request = _request("/" + url.split("/", 3)[-1], "host", b"", {})
    assert request.count(b"\r\n") == 4  # request line, Host, Content-Length, blank line


@pytest.mark.parametrize("url", BAD_URLS)
def test_push_streams_refuse_bad_endpoint_urls(client: TestClient, url: Any) -> None:
    answer = client.post(STREAMS, json={"delivery": {"method": PUSH, "endpoint_url": url}})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BadRequest"


@pytest.mark.parametrize("value", [7, "Bearer a\r\nX: y", "é"])
def test_push_streams_refuse_bad_authorization_headers(client: TestClient, value: Any) -> None:
    delivery = {"method": PUSH, "endpoint_url": GOOD_URLS[0], "authorization_header": value}
    answer = client.post(STREAMS, json={"delivery": delivery})
    assert answer.status_code == 400, answer.text
    assert "delivery.authorization_header" in answer.json()["error"]["message"]


@pytest.mark.parametrize("field", ["notificationUrl", "lifecycleNotificationUrl"])
@pytest.mark.parametrize("url", ["http://", "http://host:99999/", "http://host/a b", "ftp://h/"])
def test_subscriptions_refuse_bad_urls(client: TestClient, field: str, url: str) -> None:
    body = {
        "changeType": "updated",
        "notificationUrl": "http://127.0.0.1:9/n",
        "resource": "identityProtection/riskyUsers",
        "expirationDateTime": "2099-01-01T00:00:00Z",
        field: url,
    }
    answer = client.post("/v1.0/subscriptions", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"].startswith(f"{field} must be an absolute")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:9/x", ("127.0.0.1",)),
        ("https://SIEM.Example.com/ssf", ("siem.example.com",)),
        ("https://a.b.example.com/", ("localhost", "*.example.com")),
        ("https://[::1]/", ("::1",)),
    ],
)
def test_urls_on_an_allowed_host_are_taken(url: str, allowed: tuple[str, ...]) -> None:
    assert receiver_url(url, "u", allowed) == url


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://169.254.169.254/latest/meta-data/", ("127.0.0.1",)),
        ("https://example.com/", ("*.example.com",)),
        ("https://evilexample.com/", ("*.example.com",)),
        ("http://localhost/", ("127.0.0.1",)),
    ],
)
def test_urls_on_other_hosts_are_refused(url: str, allowed: tuple[str, ...]) -> None:
    with pytest.raises(BadRequest, match=r"^u names a host this service does not send to: '"):
        receiver_url(url, "u", allowed)


def test_streams_and_subscriptions_keep_to_the_allowed_hosts(
    sqlite_database: Database, clock: FakeClock
) -> None:
    """`serve --signals-allowed-host`: a URL elsewhere is refused before anything is sent."""
    client = make_client(sqlite_database, clock, signals_allowed_hosts=("receiver.example",))
    elsewhere = "http://127.0.0.1:9/events"
    message = "names a host this service does not send to: '127.0.0.1'."
    push = {"method": PUSH, "endpoint_url": elsewhere}
    graph_error(client.post(STREAMS, json={"delivery": push}), 400, "BadRequest",
                f"delivery.endpoint_url {message}")  # fmt: skip
    created = client.post(STREAMS, json={"delivery": {**push, "endpoint_url": GOOD_URLS[1]}})
    assert created.status_code == 201, created.text
    subscription = {"changeType": "updated", "notificationUrl": elsewhere,
                    "resource": "identityProtection/riskyUsers",
                    "expirationDateTime": (clock.now + timedelta(days=1)).isoformat()}  # fmt: skip
    graph_error(client.post("/v1.0/subscriptions", json=subscription), 400, "BadRequest",
                f"notificationUrl {message}")  # fmt: skip
