"""Wiring a test receiver to the service: discovery, keys, a stream, the deliverer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from starlette.testclient import TestClient

from idprotect.domain.clock import Clock, utc_now
from idprotect.signals.delivery import Deliverer
from idprotect.signals.posting import Post
from idprotect.signals.settings import DeliverySettings
from idprotect.store.engine import Database
from tests.conftest import FakeClock
from tests.factories import TENANT
from tests.signals.receiver import Receiver

PUSH = "urn:ietf:rfc:8935"
POLL = "urn:ietf:rfc:8936"
BASE = "http://testserver"
FAST = DeliverySettings(idle_seconds=0.01, backoff_seconds=0.05, max_backoff_seconds=0.2)


def local(url: str) -> str:
    return url.removeprefix(BASE)


def discover(client: httpx.Client, receiver: Receiver, tenant: str = TENANT) -> dict[str, Any]:
    """What a receiver learns first: the configuration, then the keys at its jwks_uri."""
    config: dict[str, Any] = client.get(f"/.well-known/ssf-configuration/ssf/{tenant}").json()
    receiver.keys = client.get(local(config["jwks_uri"])).json()
    receiver.iss = config["issuer"]
    return config


def push_stream(
    client: httpx.Client, receiver: Receiver, tenant: str = TENANT, **body: Any
) -> dict[str, Any]:
    """A push stream to `receiver`, made through the stream API (an app's TestClient, or an
    httpx client of a server process)."""
    config = discover(client, receiver, tenant)
    request = {
        "delivery": {
            "method": PUSH,
            "endpoint_url": f"{receiver.url}/events",
            "authorization_header": "Bearer receiver-secret",
        },
        **body,
    }
    response = client.post(local(config["configuration_endpoint"]), json=request)
    assert response.status_code == 201, response.text
    stream: dict[str, Any] = response.json()
    receiver.aud = stream["aud"]
    return stream


def deliver_all(database: Database, settings: DeliverySettings = FAST, now: Clock = utc_now) -> int:
    """Deliver until nothing is left to push now."""
    deliverer = Deliverer(database, settings, now=now)
    total = 0
    try:
        while delivered := deliverer.deliver_once():
            total += delivered
    finally:
        deliverer.stop()
    return total


def posting_through(client: TestClient) -> Post:
    """The deliverer's POSTs sent to the app under test (its receiver endpoints)."""

    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        answer = client.post(local(url), content=body, headers=headers)
        return answer.status_code, answer.text

    return post


SUBSCRIPTIONS = "/v1.0/subscriptions"


def subscription_request(
    receiver: Receiver, clock: FakeClock, *, lifecycle: bool = True, **overrides: object
) -> dict[str, object]:
    """A Graph subscription to riskyUsers, notified at `receiver` (and told of its lifecycle
    there, unless `lifecycle` is false), expiring two days after the clock's time."""
    request: dict[str, object] = {
        "changeType": "created,updated",
        "notificationUrl": f"{receiver.url}/graph",
        "resource": "identityProtection/riskyUsers",
        "expirationDateTime": (clock.now + timedelta(days=2)).isoformat(),
        "clientState": "secretClientValue",
    }
    if lifecycle:
        request["lifecycleNotificationUrl"] = f"{receiver.url}/lifecycle"
    return {**request, **overrides}
