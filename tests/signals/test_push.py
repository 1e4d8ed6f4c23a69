"""Push delivery (RFC 8935): a stream made through the stream API receives signed, verifiable
SETs for every risk change, in order, and once a failing receiver recovers."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1, add_detections, detection, new_id, risky_user
from tests.signals.helpers import deliver_all, push_stream
from tests.signals.receiver import CAEP, RISC, Receiver, running_receiver

RISK_LEVEL_CHANGE = CAEP + "risk-level-change"


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


@pytest.fixture
def receiver(client: TestClient) -> Iterator[Receiver]:
    """A running receiver with a push stream of the demo tenant."""
    with running_receiver() as found:
        push_stream(client, found)
        yield found


def test_dismiss_reaches_the_receiver_as_a_signed_risk_level_change(
    database: Database, clock: FakeClock
) -> None:
    client: TestClient = make_client(database, clock)
    with running_receiver() as receiver:
        push_stream(client, receiver)
        user_id = risky_user(client, riskLevel="high", userPrincipalName="ada@contoso.com")
        response = client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        assert response.status_code == 204

        assert deliver_all(database) == 2

    assert receiver.errors == []
    raised, dismissed = (s["events"][RISK_LEVEL_CHANGE] for s in receiver.sets)
    assert raised["current_level"] == "HIGH"
    assert "previous_level" not in raised
    assert dismissed == {
        "principal": "USER",
        "current_level": "LOW",
        "previous_level": "HIGH",
        "event_timestamp": dismissed["event_timestamp"],
        "risk_reason": "adminDismissedAllRiskForUser",
        "initiating_entity": "admin",
    }
    assert receiver.sets[1]["sub_id"] == {"format": "email", "email": "ada@contoso.com"}
    assert receiver.authorization == ["Bearer receiver-secret"] * 2


def test_confirm_compromised_sends_a_credential_compromise(
    sqlite_database: Database, client: TestClient, receiver: Receiver
) -> None:
    user_id = risky_user(client, riskLevel="low")
    client.post(f"{V1}/riskyUsers/confirmCompromised", json={"userIds": [user_id]})
    deliver_all(sqlite_database)

    types = [next(iter(s["events"])) for s in receiver.sets]
    assert types == [RISK_LEVEL_CHANGE, RISK_LEVEL_CHANGE, RISC + "credential-compromise"]
    compromise = receiver.sets[2]["events"][RISC + "credential-compromise"]
    assert compromise["credential_type"] == "password"
    assert receiver.sets[1]["txn"] == receiver.sets[2]["txn"]


def test_a_receiver_down_gets_everything_in_order_once_back(
    sqlite_database: Database, client: TestClient, receiver: Receiver
) -> None:
    receiver.status = 503
    names = [f"user{n}@contoso.com" for n in range(5)]
    for name in names:
        risky_user(client, userPrincipalName=name)
    assert deliver_all(sqlite_database) == 0  # refused: held for a retry after the backoff
    receiver.status = 202
    receiver.wait_for(5, timeout=0.5)  # the backoff (FAST: at most 0.2 s) runs out
    assert deliver_all(sqlite_database) == 5

    assert [s["sub_id"]["email"] for s in receiver.sets] == names


def test_a_receiver_refusing_an_event_keeps_the_stream_going(
    sqlite_database: Database, client: TestClient, receiver: Receiver
) -> None:
    """RFC 8935 2.3: a 400 with an error body refuses that SET for good; the next one goes."""
    risky_user(client)
    receiver.status = 400
    assert deliver_all(sqlite_database) == 1
    receiver.status = 202
    risky_user(client)
    assert deliver_all(sqlite_database) == 1
    assert len(receiver.sets) == 1


def test_deliverers_of_several_processes_never_send_an_event_twice(
    database: Database, clock: FakeClock
) -> None:
    """Each stream is held by one deliverer at a time (FOR UPDATE SKIP LOCKED on PostgreSQL):
    four deliverers working at once on a healthy receiver deliver each event exactly once."""
    client = make_client(database, clock)
    with running_receiver() as receiver:
        for _ in range(3):
            push_stream(client, receiver, aud="https://receiver.example.com")
        add_detections(client, *[detection() for _ in range(40)])
        totals: list[int] = []
        workers = [threading.Thread(target=lambda: totals.append(deliver_all(database)))
                   for _ in range(4)]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        while deliver_all(database):  # a stream another one held at the end
            pass

    jtis = [s["jti"] for s in receiver.sets]
    assert receiver.errors == []
    assert len(jtis) == len(set(jtis)) == 120


def test_the_directory_disabling_a_service_principal_sends_account_disabled(
    sqlite_database: Database, client: TestClient, receiver: Receiver
) -> None:
    principal = {"id": new_id(), "displayName": "Build agent", "isEnabled": True}
    admin = f"/_admin/tenants/{TENANT}/servicePrincipals"
    for change in ({}, {"isEnabled": False}, {"displayName": "Renamed"}, {"isEnabled": True}):
        assert client.post(admin, json={"value": [{**principal, **change}]}).status_code == 204
    assert deliver_all(sqlite_database) == 2

    assert [next(iter(s["events"])) for s in receiver.sets] == [
        RISC + "account-disabled",
        RISC + "account-enabled",
    ]
    assert receiver.sets[0]["sub_id"]["sub"] == principal["id"]


def test_the_servers_own_deliverer_pushes_a_dismissal_unasked(
    sqlite_database: Database, clock: FakeClock
) -> None:
    """serve's background deliverer (deliver_signals): the dismissal arrives by itself."""
    settings = {"deliver_signals": True, "signals_idle_seconds": 0.01}
    with make_client(sqlite_database, clock, **settings) as client, running_receiver() as receiver:
        push_stream(client, receiver)
        user_id = risky_user(client)
        client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        arrived = receiver.wait_for(2, timeout=30)
    assert receiver.errors == []
    assert arrived[1]["events"][RISK_LEVEL_CHANGE]["current_level"] == "LOW"
