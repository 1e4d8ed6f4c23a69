"""Graph's lifecycle notifications for subscriptions: reauthorizationRequired before the
subscription's authorization (its token) or its life ends, the reauthorize action, a lapsed
authorization, and `missed` when the receiver refused notifications for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.signals.posting import Connections
from idprotect.signals.upkeep import keep_up
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.auth.tokens import ADMIN_ROLE, READ, TENANT_A
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1, add_detections, detection, risky_user
from tests.signals.helpers import SUBSCRIPTIONS, deliver_all, subscription_request
from tests.signals.receiver import Receiver, running_receiver


def _keep_up(database: Database, clock: FakeClock) -> None:
    connections = Connections(timeout=5)
    try:
        keep_up(database, connections.post, clock.now)
    finally:
        connections.close()


def _events(receiver: Receiver) -> list[str]:
    return [item["lifecycleEvent"] for item in receiver.lifecycle]


def _bearer(client: TestClient, lifetime: timedelta, *roles: str) -> dict[str, str]:
    """An app token of the tenant, issued now (the tokens' clock is the real one)."""
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    app = unregistered_app(TENANT_A, "webhooks")
    token = app_token(
        database, app, now=datetime.now(UTC), lifetime=lifetime, roles=frozenset(roles)
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def test_reauthorization_is_required_in_the_last_hour_then_every_fifteen_minutes(
    database: Database, clock: FakeClock
) -> None:
    client = make_client(database, clock)
    with running_receiver() as receiver:
        subscription = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock)).json()
        clock.advance(days=2, minutes=-61)
        _keep_up(database, clock)
        assert receiver.lifecycle == []
        clock.advance(minutes=2)
        _keep_up(database, clock)
        _keep_up(database, clock)  # a second deliverer: nothing more
        clock.advance(minutes=15)
        _keep_up(database, clock)
        assert _events(receiver) == ["reauthorizationRequired"] * 2

        # Renewing reauthorizes: the next reminder is an hour before the new expiry.
        renewal = {"expirationDateTime": (clock.now + timedelta(days=1)).isoformat()}
        renewed = client.patch(f"{SUBSCRIPTIONS}/{subscription['id']}", json=renewal)
        assert renewed.status_code == 200, renewed.text
        clock.advance(minutes=15)
        _keep_up(database, clock)

    assert _events(receiver) == ["reauthorizationRequired"] * 2
    assert receiver.lifecycle[0] == {
        "subscriptionId": subscription["id"],
        "subscriptionExpirationDateTime": subscription["expirationDateTime"],
        "tenantId": TENANT,
        "organizationId": TENANT,
        "clientState": "secretClientValue",
        "lifecycleEvent": "reauthorizationRequired",
    }


def test_an_authorization_ends_with_its_token_until_the_subscription_is_reauthorized(
    sqlite_database: Database,
) -> None:
    clock = FakeClock(datetime.now(UTC))  # the tokens' clock and the service's agree
    client = make_client(sqlite_database, clock, auth="on")
    client.headers.update(_bearer(client, timedelta(hours=1), ADMIN_ROLE))  # for /_admin
    hour = _bearer(client, timedelta(hours=1), READ)
    with running_receiver() as receiver:
        created = client.post(
            SUBSCRIPTIONS, json=subscription_request(receiver, clock), headers=hour
        )
        assert created.status_code == 201, created.text
        subscription_id = created.json()["id"]
        clock.advance(minutes=44)
        _keep_up(sqlite_database, clock)
        assert receiver.lifecycle == []
        clock.advance(minutes=2)  # a quarter of the hour is left
        _keep_up(sqlite_database, clock)
        assert _events(receiver) == ["reauthorizationRequired"]

        clock.advance(minutes=15)  # the token expired: the notifications stop
        add_detections(client, detection(), tenant=TENANT_A)
        assert deliver_all(sqlite_database, now=clock) == 0
        _keep_up(sqlite_database, clock)
        assert _events(receiver) == ["reauthorizationRequired"]

        reauthorize = f"{SUBSCRIPTIONS}/{subscription_id}/reauthorize"
        fresh = _bearer(client, timedelta(hours=3), READ)
        answer = client.post(reauthorize, headers=fresh)
        assert (answer.status_code, answer.content) == (204, b"")
        add_detections(client, detection(), tenant=TENANT_A)
        assert deliver_all(sqlite_database, now=clock) == 1

    assert [n["changeType"] for n in receiver.notifications] == ["created"]


def test_reauthorizing_needs_the_resources_permission(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, auth="on")
    reader = _bearer(client, timedelta(hours=1), READ)
    with running_receiver() as receiver:
        created = client.post(
            SUBSCRIPTIONS, json=subscription_request(receiver, clock), headers=reader
        )
    subscription_id = created.json()["id"]
    admin = _bearer(client, timedelta(hours=1), ADMIN_ROLE)

    refused = client.post(f"{SUBSCRIPTIONS}/{subscription_id}/reauthorize", headers=admin)
    graph_error(refused, 403, "Forbidden", _MISSING_SCOPES)
    renewal = {"expirationDateTime": (clock.now + timedelta(days=1)).isoformat()}
    renewed = client.patch(f"{SUBSCRIPTIONS}/{subscription_id}", json=renewal, headers=admin)
    graph_error(renewed, 403, "Forbidden", _MISSING_SCOPES)
    unknown = client.post(f"{SUBSCRIPTIONS}/nope/reauthorize", headers=reader)
    graph_error(unknown, 404, "NotFound", "The subscription 'nope' was not found.")


_MISSING_SCOPES = (
    "You cannot perform the requested operation, required scopes are missing in the token."
)


def test_without_a_lifecycle_url_nothing_is_reminded_and_nothing_ends(
    sqlite_database: Database,
) -> None:
    clock = FakeClock(datetime.now(UTC))
    client = make_client(sqlite_database, clock, auth="on")
    client.headers.update(_bearer(client, timedelta(hours=1), ADMIN_ROLE))  # for /_admin
    hour = _bearer(client, timedelta(hours=1), READ)
    with running_receiver() as receiver:
        body = subscription_request(receiver, clock, lifecycleNotificationUrl=None)
        assert client.post(SUBSCRIPTIONS, json=body, headers=hour).status_code == 201
        clock.advance(minutes=90)
        _keep_up(sqlite_database, clock)
        add_detections(client, detection(), tenant=TENANT_A)
        assert deliver_all(sqlite_database, now=clock) == 1
    assert receiver.lifecycle == []
    assert len(receiver.notifications) == 1


def test_notifications_refused_for_good_are_reported_as_missed(
    database: Database, clock: FakeClock
) -> None:
    client = make_client(database, clock)
    with running_receiver() as receiver:
        client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock))
        untold = subscription_request(receiver, clock, lifecycleNotificationUrl=None)
        plain = client.post(SUBSCRIPTIONS, json=untold)
        assert plain.status_code == 201
        user_id = risky_user(client)
        receiver.status = 400  # refuses the notifications
        while deliver_all(database, now=clock):
            pass
        receiver.status = 202
        _keep_up(database, clock)
        _keep_up(database, clock)
        assert _events(receiver) == ["missed"]

        client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        receiver.status = 400
        while deliver_all(database, now=clock):
            pass
        receiver.status = 202
        _keep_up(database, clock)
    assert _events(receiver) == ["missed", "missed"]
    assert receiver.notifications == []


def test_lifecycle_notifications_follow_graphs_shape(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        subscription: dict[str, Any] = client.post(
            SUBSCRIPTIONS, json=subscription_request(receiver, clock, clientState=None)
        ).json()
        clock.advance(days=3)
        _keep_up(sqlite_database, clock)
    (removed,) = receiver.lifecycle
    assert removed["subscriptionExpirationDateTime"] == subscription["expirationDateTime"]
    assert removed["clientState"] is None
    assert removed["lifecycleEvent"] == "subscriptionRemoved"
