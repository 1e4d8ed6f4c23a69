"""Poll delivery (RFC 8936): maxEvents, moreAvailable, acknowledgements, setErrs, and
returnImmediately; every SET handed out verifies with the transmitter's keys."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from idprotect.api import ssf
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, risky_user
from tests.signals.helpers import discover, local
from tests.signals.receiver import Receiver, validate_set


def _poll_stream(client: TestClient, receiver: Receiver) -> str:
    config = discover(client, receiver)
    stream = client.post(local(config["configuration_endpoint"]), json={}).json()
    receiver.aud = stream["aud"]
    return local(stream["delivery"]["endpoint_url"])


def test_poll_hands_out_acknowledges_and_reports_errors(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock)
    receiver = Receiver()
    url = _poll_stream(client, receiver)
    for _ in range(3):
        risky_user(client)

    first = client.post(url, json={"maxEvents": 2, "returnImmediately": True}).json()
    assert first["moreAvailable"] is True
    claims = [validate_set(t, receiver.keys, iss=receiver.iss, aud=receiver.aud)
              for t in first["sets"].values()]  # fmt: skip
    assert [c["jti"] for c in claims] == list(first["sets"])

    acked = list(first["sets"])
    second = client.post(url, json={"ack": acked, "maxEvents": 5, "returnImmediately": True}).json()
    assert second["moreAvailable"] is False
    (jti,) = second["sets"]
    errors = {jti: {"err": "invalid_key", "description": "unknown kid"}}
    third = client.post(url, json={"setErrs": errors, "returnImmediately": True}).json()
    assert third == {"sets": {}, "moreAvailable": False}


def test_an_unacknowledged_event_is_handed_out_again_later(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(sqlite_database, clock)
    url = _poll_stream(client, Receiver())
    risky_user(client)
    first = client.post(url, json={"returnImmediately": True}).json()["sets"]
    assert client.post(url, json={"returnImmediately": True}).json()["sets"] == {}
    monkeypatch.setattr("idprotect.signals.service.REDELIVER_AFTER", timedelta(0))
    assert client.post(url, json={"returnImmediately": True}).json()["sets"].keys() == first.keys()


def test_a_long_poll_without_events_answers_empty(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssf, "LONG_POLL_SECONDS", 0.2)
    client = make_client(sqlite_database, clock)
    url = _poll_stream(client, Receiver())
    answer = client.post(url, json={"returnImmediately": False})
    assert answer.json() == {"sets": {}, "moreAvailable": False}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"maxEvents": -1}, "'maxEvents' must be a non-negative integer."),
        ({"ack": "x"}, "'ack' must be an array of jti strings."),
        ({"returnImmediately": "yes"}, "'returnImmediately' must be a boolean."),
    ],
)
def test_bad_polls_are_graph_400s(
    sqlite_database: Database, clock: FakeClock, body: object, message: str
) -> None:
    client = make_client(sqlite_database, clock)
    url = _poll_stream(client, Receiver())
    graph_error(client.post(url, json=body), 400, "BadRequest", message)


def test_polling_another_tenants_stream_finds_nothing(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock)
    url = _poll_stream(client, Receiver())
    stream_id = url.rsplit("/", 1)[1]
    other = url.replace(TENANT, "c0c0c0c0-0000-4000-8000-00000000000c")
    answer = client.post(other, json={"returnImmediately": True})
    graph_error(answer, 404, "NotFound", f"The stream '{stream_id}' was not found.")


def test_a_long_poll_answers_once_an_event_arrives(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssf, "LONG_POLL_SECONDS", 30.0)
    client = make_client(sqlite_database, clock)
    url = _poll_stream(client, Receiver())
    later = threading.Timer(0.3, lambda: risky_user(client))
    later.start()
    answer = client.post(url, json={"returnImmediately": False}).json()
    later.join()
    assert len(answer["sets"]) == 1
