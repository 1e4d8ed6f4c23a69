"""Push delivery (RFC 8935): a stream made through the stream API receives signed, verifiable
SETs for every risk change, in order, and once a failing receiver recovers."""

from __future__ import annotations

from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import V1, risky_user
from tests.signals.helpers import deliver_all, push_stream
from tests.signals.receiver import CAEP, RISC, running_receiver

RISK_LEVEL_CHANGE = CAEP + "risk-level-change"


def test_dismiss_reaches_the_receiver_as_a_signed_risk_level_change(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client: TestClient = make_client(sqlite_database, clock)
    with running_receiver() as receiver:
        push_stream(client, receiver)
        user_id = risky_user(client, riskLevel="high", userPrincipalName="ada@contoso.com")
        response = client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        assert response.status_code == 204

        assert deliver_all(sqlite_database) == 2

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
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock)
    with running_receiver() as receiver:
        push_stream(client, receiver)
        user_id = risky_user(client, riskLevel="low")
        client.post(f"{V1}/riskyUsers/confirmCompromised", json={"userIds": [user_id]})
        deliver_all(sqlite_database)

    types = [next(iter(s["events"])) for s in receiver.sets]
    assert types == [RISK_LEVEL_CHANGE, RISK_LEVEL_CHANGE, RISC + "credential-compromise"]
    compromise = receiver.sets[2]["events"][RISC + "credential-compromise"]
    assert compromise["credential_type"] == "password"
    assert receiver.sets[1]["txn"] == receiver.sets[2]["txn"]
