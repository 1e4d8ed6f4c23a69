"""Real answers of the signals surface validate against /openapi.json: the transmitter's
configuration, every stream operation and poll, the receiver's push endpoint, subscriptions on
both versions, and their errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.app import create_app
from idprotect.settings import Settings
from idprotect.signals.delivery import Deliverer
from idprotect.signals.sets import SET_MEDIA_TYPE
from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, risky_user
from tests.openapi.document import validate
from tests.signals.helpers import FAST, POLL, PUSH, local
from tests.signals.receiver import running_receiver

SSF = f"/ssf/{TENANT}"
NO_SUCH_STREAM = "0" * 32
RECEIVING = "c0c0c0c0-0000-4000-8000-00000000000c"


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def _check(client: TestClient, requests: list[tuple[str, str, Any, int]]) -> list[Any]:
    """Each request answered with its status, validated; the answers."""
    document = client.get("/openapi.json").json()
    answers = []
    for method, path, body, status in requests:
        params = body if method in ("get", "delete") else None
        json = None if method in ("get", "delete") else body
        response = client.request(method, path, params=params, json=json)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        validate(document, method, response)
        answers.append(response)
    return answers


def test_stream_answers_validate(client: TestClient) -> None:
    with running_receiver() as receiver:
        delivery = {"method": PUSH, "endpoint_url": f"{receiver.url}/events",
                    "authorization_header": "Bearer x"}  # fmt: skip
        push = {"delivery": delivery, "description": "SIEM"}
        created, polled = _check(client, [
            ("post", f"{SSF}/streams", push, 201),
            ("post", f"{SSF}/streams", {"delivery": {"method": POLL}, "aud": ["a", "b"]}, 201),
        ])  # fmt: skip
        one, poll = created.json()["stream_id"], polled.json()["stream_id"]
        stream, subject = {"stream_id": one}, {"format": "email", "email": "ada@contoso.com"}
        risky_user(client)
        _check(client, [
            ("get", "/.well-known/ssf-configuration", None, 200),
            ("get", f"/.well-known/ssf-configuration/ssf/{TENANT}", None, 200),
            ("get", f"/.well-known/ssf-configuration/ssf/{'x' * 65}", None, 400),
            ("get", f"{SSF}/streams", None, 200),
            ("get", f"{SSF}/streams", stream, 200),
            ("get", f"{SSF}/streams", {"stream_id": NO_SUCH_STREAM}, 404),
            ("get", f"{SSF}/streams", {"stream_id": ""}, 400),
            ("patch", f"{SSF}/streams", {**stream, "events_requested": []}, 200),
            ("put", f"{SSF}/streams", {**stream, **push}, 200),
            ("patch", f"{SSF}/streams", {**stream, "delivery": "push"}, 400),
            ("get", f"{SSF}/status", stream, 200),
            ("post", f"{SSF}/status", {**stream, "status": "paused", "reason": "x"}, 200),
            ("post", f"{SSF}/status", {**stream, "status": "off"}, 400),
            ("post", f"{SSF}/subjects:remove", {**stream, "subject": subject}, 200),
            ("post", f"{SSF}/subjects:add", {**stream, "subject": subject}, 200),
            ("post", f"{SSF}/verify", {**stream, "state": "s"}, 204),
            ("post", f"{SSF}/verify", stream, 429),
            ("post", f"{SSF}/poll/{poll}", {"returnImmediately": True}, 200),
            ("post", f"{SSF}/poll/{poll}", {"maxEvents": -1}, 400),
            ("post", f"{SSF}/poll/{NO_SUCH_STREAM}", {}, 404),
            ("delete", f"{SSF}/streams", stream, 204),
        ])  # fmt: skip


def test_receiver_answers_validate(sqlite_database: Database, clock: FakeClock) -> None:
    """A SET from a trusted transmitter (the service's own, for another tenant) is 202; one
    from nobody it trusts, RFC 8935's 400."""
    config = f"http://testserver/.well-known/ssf-configuration/ssf/{TENANT}"
    settings = Settings(auth="off", ssf_transmitters=(f"tenant={RECEIVING};config={config}",))
    holder: dict[str, TestClient] = {}
    app = create_app(settings, clock=clock, database=sqlite_database,
                     fetch_json=lambda url: holder["client"].get(local(url)).json())  # fmt: skip
    client = holder["client"] = TestClient(app)
    document = client.get("/openapi.json").json()
    delivery = {"method": PUSH, "endpoint_url": f"http://testserver/ssf/{RECEIVING}/receiver"}
    client.post(f"{SSF}/streams", json={"aud": f"idprotect:{RECEIVING}", "delivery": delivery})
    risky_user(client)
    answers: list[Any] = []

    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        answers.append(client.post(local(url), content=body, headers=headers))
        return answers[-1].status_code, answers[-1].text

    Deliverer(sqlite_database, FAST, post=post, now=clock).deliver_once()
    headers = {"Content-Type": SET_MEDIA_TYPE}
    answers.append(client.post(f"/ssf/{TENANT}/receiver", content=b"x.y.z", headers=headers))
    assert [answer.status_code for answer in answers] == [202, 400]
    for answer in answers:
        validate(document, "post", answer)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_subscription_answers_validate(client: TestClient, clock: FakeClock, version: str) -> None:
    base = f"/{version}/subscriptions"
    with running_receiver() as receiver:
        request = {
            "changeType": "created",
            "notificationUrl": f"{receiver.url}/graph",
            "resource": "identityProtection/riskDetections",
            "expirationDateTime": (clock.now + timedelta(days=1)).isoformat(),
        }
        (created,) = _check(client, [("post", base, request, 201)])
        one = f"{base}/{created.json()['id']}"
        later = {"expirationDateTime": (clock.now + timedelta(days=2)).isoformat()}
        _check(client, [
            ("get", base, None, 200),
            ("get", one, None, 200),
            ("patch", one, later, 200),
            ("patch", one, {"clientState": "x"}, 400),
            ("post", base, {**request, "resource": "identityProtection/riskyAgents"}, 400),
            ("post", base, {**request, "notificationUrl": "http://x:port/"}, 400),
            ("delete", one, None, 204),
            ("get", one, None, 404),
        ])  # fmt: skip
