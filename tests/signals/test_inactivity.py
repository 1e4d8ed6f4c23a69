"""SSF streams' inactivity_timeout (SSF 1.0 8.1.1) and the stream-updated event (8.1.5): a
stream whose receiver stays away is disabled and told so; the receiver's own calls restart the
timeout, another caller's do not; a status another caller sets is announced to the receiver."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.settings import Settings
from idprotect.signals.posting import Connections
from idprotect.signals.upkeep import keep_up
from idprotect.store import outbox
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.auth.tokens import TENANT_A, app_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, add_detections, detection, risky_user
from tests.signals.helpers import deliver_all, discover, local, push_stream
from tests.signals.receiver import CAEP, SSF, Receiver, running_receiver, validate_set

HOUR = 3600
STREAMS = f"/ssf/{TENANT}/streams"
STATUS = f"/ssf/{TENANT}/status"
INACTIVE = "No activity from the receiver for 3600 seconds."


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock, ssf_inactivity_timeout_seconds=HOUR)


def _keep_up(database: Database, clock: FakeClock) -> None:
    connections = Connections(timeout=5)
    try:
        keep_up(database, connections.post, clock.now)
    finally:
        connections.close()


def _events(receiver: Receiver) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(s["events"].items())) for s in receiver.sets]


def test_streams_report_the_servers_inactivity_timeout(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    untimed = make_client(sqlite_database, clock).post(STREAMS, json={}).json()
    assert "inactivity_timeout" not in untimed
    stream = client.post(STREAMS, json={}).json()
    assert stream["inactivity_timeout"] == HOUR

    change = {"stream_id": stream["stream_id"], "inactivity_timeout": 60}
    message = "'inactivity_timeout' is set by the transmitter and cannot be changed."
    graph_error(client.patch(STREAMS, json=change), 400, "BadRequest", message)
    assert client.put(STREAMS, json=stream).json() == stream
    # The server's timeout reaches an older stream with its receiver's next call.
    read = client.get(STREAMS, params={"stream_id": untimed["stream_id"]}).json()
    assert read["inactivity_timeout"] == HOUR


def test_a_push_stream_left_alone_is_disabled_and_its_receiver_told(
    database: Database, clock: FakeClock
) -> None:
    client = make_client(database, clock, ssf_inactivity_timeout_seconds=HOUR)
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver)["stream_id"]
        clock.advance(minutes=59)
        _keep_up(database, clock)
        assert deliver_all(database, now=clock) == 0

        clock.advance(minutes=2)
        _keep_up(database, clock)
        _keep_up(database, clock)  # a second deliverer: nothing more
        assert deliver_all(database, now=clock) == 1
        risky_user(client)
        assert deliver_all(database, now=clock) == 0

    (updated,) = receiver.sets
    assert updated["sub_id"] == {"format": "opaque", "id": stream_id}
    assert updated["events"] == {SSF + "stream-updated": {"status": "disabled", "reason": INACTIVE}}
    status = client.get(STATUS, params={"stream_id": stream_id}).json()
    assert status == {"stream_id": stream_id, "status": "disabled", "reason": INACTIVE}


def test_the_receivers_calls_restart_the_timeout(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver)["stream_id"]
        clock.advance(minutes=50)
        assert client.get(STATUS, params={"stream_id": stream_id}).status_code == 200
        clock.advance(minutes=50)
        _keep_up(sqlite_database, clock)
        risky_user(client)
        assert deliver_all(sqlite_database, now=clock) == 1
        assert _events(receiver)[0][0] == CAEP + "risk-level-change"

        clock.advance(minutes=11)
        _keep_up(sqlite_database, clock)
        assert deliver_all(sqlite_database, now=clock) == 1
        # The receiver enables its stream again: its own change, not announced.
        enabled = client.post(STATUS, json={"stream_id": stream_id, "status": "enabled"})
        assert enabled.json() == {"stream_id": stream_id, "status": "enabled"}
        assert deliver_all(sqlite_database, now=clock) == 0
    assert [event for event, _ in _events(receiver)] == [
        CAEP + "risk-level-change",
        SSF + "stream-updated",
    ]


def test_a_poll_stream_is_kept_alive_by_its_polls_and_told_at_its_next_poll(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    receiver = Receiver()
    config = discover(client, receiver)
    stream = client.post(local(config["configuration_endpoint"]), json={}).json()
    receiver.aud = stream["aud"]
    poll = local(stream["delivery"]["endpoint_url"])
    clock.advance(minutes=50)
    assert client.post(poll, json={"returnImmediately": True}).json()["sets"] == {}
    clock.advance(minutes=50)
    _keep_up(sqlite_database, clock)
    risky_user(client)  # waits for a poll that does not come
    clock.advance(minutes=11)
    _keep_up(sqlite_database, clock)

    answer = client.post(poll, json={"returnImmediately": True}).json()
    (token,) = answer["sets"].values()
    claims = validate_set(token, receiver.keys, iss=receiver.iss, aud=receiver.aud)
    assert claims["events"] == {SSF + "stream-updated": {"status": "disabled", "reason": INACTIVE}}
    assert answer["moreAvailable"] is False


def test_another_callers_calls_neither_keep_the_stream_alive_nor_go_unannounced(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, auth="on", ssf_inactivity_timeout_seconds=HOUR)
    receiver_app = app_bearer(client, TENANT_A, "IdentityProtection.Signals", client_id="siem")
    admin_app = app_bearer(client, TENANT_A, "IdentityProtection.Admin", client_id="console")
    streams, status = f"/ssf/{TENANT_A}/streams", f"/ssf/{TENANT_A}/status"
    receiver = Receiver()
    config = client.get(f"/.well-known/ssf-configuration/ssf/{TENANT_A}").json()
    receiver.keys = client.get(local(config["jwks_uri"])).json()
    receiver.iss = config["issuer"]
    stream = client.post(streams, json={}, headers=receiver_app).json()
    receiver.aud = stream["aud"]
    poll, stream_id = local(stream["delivery"]["endpoint_url"]), stream["stream_id"]

    def updates() -> list[dict[str, Any]]:
        answer = client.post(poll, json={"returnImmediately": True}, headers=receiver_app).json()
        found = [validate_set(t, receiver.keys, iss=receiver.iss, aud=receiver.aud)
                 for t in answer["sets"].values()]  # fmt: skip
        client.post(poll, json={"ack": list(answer["sets"]), "maxEvents": 0}, headers=receiver_app)
        return [c["events"][SSF + "stream-updated"] for c in found]

    pause = {"stream_id": stream_id, "status": "paused", "reason": "Maintenance"}
    assert client.post(status, json=pause, headers=admin_app).status_code == 200
    assert updates() == [{"status": "paused", "reason": "Maintenance"}]
    enable = {"stream_id": stream_id, "status": "enabled"}
    assert client.post(status, json=enable, headers=receiver_app).status_code == 200
    assert updates() == []

    clock.advance(minutes=50)
    client.get(status, params={"stream_id": stream_id}, headers=admin_app)
    clock.advance(minutes=11)
    _keep_up(sqlite_database, clock)
    assert updates() == [{"status": "disabled", "reason": INACTIVE}]


def test_a_paused_push_stream_is_told_before_it_stops_and_holds_the_rest(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, auth="on")
    admin_app = app_bearer(client, TENANT_A, "IdentityProtection.Admin", client_id="console")
    client.headers.update(app_bearer(client, TENANT_A, "IdentityProtection.Admin", client_id="x"))
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver, TENANT_A)["stream_id"]
        status = f"/ssf/{TENANT_A}/status"
        pause = {"stream_id": stream_id, "status": "paused"}
        assert client.post(status, json=pause, headers=admin_app).status_code == 200
        add_detections(client, detection(), tenant=TENANT_A)
        assert deliver_all(sqlite_database, now=clock) == 1
        enable = {"stream_id": stream_id, "status": "enabled", "reason": "Back"}
        assert client.post(status, json=enable, headers=admin_app).status_code == 200
        assert deliver_all(sqlite_database, now=clock) == 2

    assert _events(receiver) == [
        (SSF + "stream-updated", {"status": "paused"}),
        (CAEP + "risk-level-change", _events(receiver)[1][1]),
        (SSF + "stream-updated", {"status": "enabled", "reason": "Back"}),
    ]


def test_the_inactivity_timeout_is_a_whole_number_of_seconds() -> None:
    with pytest.raises(ValueError, match="ssf_inactivity_timeout_seconds must be a whole"):
        Settings(ssf_inactivity_timeout_seconds=0)


def test_a_refused_stream_update_is_dropped_not_kept(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        push_stream(client, receiver)
        clock.advance(minutes=61)
        _keep_up(sqlite_database, clock)
        receiver.status = 400
        assert deliver_all(sqlite_database, now=clock) == 1  # refused
    with sqlite_database.unit_of_work() as store:
        assert outbox.next_stream(store.connection, owner="any", now=clock.now) is None
        assert not outbox.has_pending(store.connection, receiver.aud.rsplit("/", 1)[-1])
