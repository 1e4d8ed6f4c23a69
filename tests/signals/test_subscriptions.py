"""Graph-style subscriptions (an idprotect extension): Graph's subscription contract, and
notifications delivered from the outbox as Graph sends them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from idprotect.signals.lifecycle import end_expired_subscriptions
from idprotect.signals.posting import Connections
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.auth.tokens import TENANT_A, app_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1, add_detections, detection, risky_user
from tests.signals.helpers import SUBSCRIPTIONS, deliver_all, subscription_request
from tests.signals.receiver import Receiver, running_receiver


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def test_a_subscriber_receives_graphs_notification_for_a_dismissal(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        user_id = risky_user(client)
        created = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock))
        assert created.status_code == 201, created.text
        subscription = created.json()
        assert len(receiver.validations) == 2  # notification and lifecycle URLs
        client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        deliver_all(sqlite_database, now=clock)

    assert (
        subscription["@odata.context"] == "http://testserver/v1.0/$metadata#subscriptions/$entity"
    )
    assert subscription["changeType"] == "created,updated"
    assert receiver.notifications == [
        {
            "subscriptionId": subscription["id"],
            "subscriptionExpirationDateTime": subscription["expirationDateTime"],
            "changeType": "updated",
            "resource": f"identityProtection/riskyUsers('{user_id}')",
            "resourceData": {
                "@odata.type": "#microsoft.graph.riskyUser",
                "@odata.id": f"identityProtection/riskyUsers('{user_id}')",
                "id": user_id,
            },
            "clientState": "secretClientValue",
            "tenantId": TENANT,
        }
    ]


def test_new_detections_are_notified_as_created(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        body = subscription_request(receiver, clock, resource="identityProtection/riskDetections",
                        changeType="created")  # fmt: skip
        assert client.post(SUBSCRIPTIONS, json=body).status_code == 201
        (created,) = add_detections(client, detection())
        deliver_all(sqlite_database, now=clock)
    (notification,) = receiver.notifications
    assert notification["changeType"] == "created"
    assert notification["resourceData"]["id"] == created["id"]


def test_a_subscription_is_renewed_read_and_deleted(client: TestClient, clock: FakeClock) -> None:
    with running_receiver() as receiver:
        subscription = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock)).json()
    one = f"{SUBSCRIPTIONS}/{subscription['id']}"
    later = (clock.now + timedelta(days=2, hours=12)).isoformat()
    renewed = client.patch(one, json={"expirationDateTime": later})
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"] != subscription["expirationDateTime"]
    assert client.get(one).json() == renewed.json()
    assert [s["id"] for s in client.get(SUBSCRIPTIONS).json()["value"]] == [subscription["id"]]
    assert client.delete(one).status_code == 204
    missing = client.get(one)
    graph_error(missing, 404, "NotFound", f"The subscription '{subscription['id']}' was not found.")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"resource": "users"}, "Subscriptions are offered for identityProtection/riskyUsers and "
                                "identityProtection/riskDetections; not for 'users'."),
        ({"changeType": "deleted"}, "changeType for 'identityProtection/riskyUsers' must be one "
                                    "or more of created, updated."),
        ({"expirationDateTime": "2026-03-05T00:00:00Z"},
         "expirationDateTime must be at most 4230 minutes from now."),
        ({"expirationDateTime": "yesterday"},
         "expirationDateTime must be an ISO 8601 date and time."),
        ({"includeResourceData": True},
         "includeResourceData needs encryptionCertificate: a base64-encoded X.509 certificate "
         "with an RSA public key."),
        ({"latestSupportedTlsVersion": "v2_0"},
         "latestSupportedTlsVersion must be one of v1_0, v1_1, v1_2, v1_3."),
    ],
)  # fmt: skip
def test_bad_subscriptions_are_graph_400s(
    client: TestClient, clock: FakeClock, overrides: dict[str, object], message: str
) -> None:
    receiver = Receiver(url="http://127.0.0.1:9")
    graph_error(client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock, **overrides)),
                400, "BadRequest", message)  # fmt: skip


def test_a_notification_url_that_fails_validation_is_refused(
    client: TestClient, clock: FakeClock
) -> None:
    receiver = Receiver(url="http://127.0.0.1:9")  # nothing listens there
    answer = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock))
    graph_error(answer, 400, "BadRequest", "Subscription validation request failed. Notification "
                "endpoint 'http://127.0.0.1:9/graph' could not be reached.")  # fmt: skip


def test_a_host_name_no_http_client_can_encode_is_refused(
    client: TestClient, clock: FakeClock
) -> None:
    """IDNA refuses `xn--a`: httpx raised its error, which is no HTTPError (a 500)."""
    receiver = Receiver(url="http://xn--a")
    answer = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock))
    graph_error(answer, 400, "BadRequest", "Subscription validation request failed. Notification "
                "endpoint 'http://xn--a/graph' could not be reached.")  # fmt: skip


def test_subscribing_needs_read_permission_on_the_resource(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, auth="on")
    headers = app_bearer(client, TENANT_A, "IdentityRiskEvent.Read.All")
    receiver = Receiver(url="http://127.0.0.1:9")
    answer = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock), headers=headers)
    graph_error(
        answer,
        403,
        "Forbidden",
        "You cannot perform the requested operation, required scopes are missing in the token.",
    )


def test_an_expired_subscription_is_removed_with_a_lifecycle_notification(
    sqlite_database: Database, client: TestClient, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        subscription = client.post(SUBSCRIPTIONS, json=subscription_request(receiver, clock)).json()
        connections = Connections(timeout=5)
        later = clock.now + timedelta(days=3)
        ended = end_expired_subscriptions(sqlite_database, connections.post, later)
        connections.close()
    assert ended == 1
    (lifecycle,) = receiver.lifecycle
    assert lifecycle["lifecycleEvent"] == "subscriptionRemoved"
    assert lifecycle["subscriptionId"] == subscription["id"]
    assert client.get(f"{SUBSCRIPTIONS}/{subscription['id']}").status_code == 404
