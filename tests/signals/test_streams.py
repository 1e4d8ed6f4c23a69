"""The stream management API (SSF 1.0 sections 7 and 8): discovery, create / read / update /
replace / delete, status, subjects, verification; tenants apart; the permission required."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.auth.tokens import TENANT_A, TENANT_B, app_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1, risky_user
from tests.signals.helpers import POLL, PUSH, deliver_all, push_stream
from tests.signals.receiver import CAEP, SSF, running_receiver

STREAMS = f"/ssf/{TENANT}/streams"


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def test_configuration_documents_name_every_endpoint(client: TestClient) -> None:
    tenant_form = client.get(f"/.well-known/ssf-configuration/ssf/{TENANT}").json()
    assert tenant_form == client.get("/.well-known/ssf-configuration").json()
    issuer = f"http://testserver/ssf/{TENANT}"
    assert tenant_form == {
        "spec_version": "1_0",
        "issuer": issuer,
        "jwks_uri": f"http://testserver/{TENANT}/discovery/v2.0/keys",
        "delivery_methods_supported": [PUSH, POLL],
        "configuration_endpoint": f"{issuer}/streams",
        "status_endpoint": f"{issuer}/status",
        "add_subject_endpoint": f"{issuer}/subjects:add",
        "remove_subject_endpoint": f"{issuer}/subjects:remove",
        "verification_endpoint": f"{issuer}/verify",
        "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
        "default_subjects": "ALL",
    }


def test_a_stream_is_created_read_updated_replaced_and_deleted(client: TestClient) -> None:
    created = client.post(STREAMS, json={"description": "SIEM"})
    assert created.status_code == 201
    stream = created.json()
    stream_id = stream["stream_id"]
    assert stream["delivery"] == {
        "method": POLL,
        "endpoint_url": f"http://testserver/ssf/{TENANT}/poll/{stream_id}",
    }
    assert stream["events_delivered"] == stream["events_supported"]
    assert stream["min_verification_interval"] == 5
    assert client.get(STREAMS).json() == [stream]
    assert client.get(STREAMS, params={"stream_id": stream_id}).json() == stream

    patch = {"stream_id": stream_id, "events_requested": [CAEP + "risk-level-change"]}
    patched = client.patch(STREAMS, json=patch).json()
    assert patched["events_delivered"] == [CAEP + "risk-level-change"]
    assert patched["description"] == "SIEM"
    replaced = client.put(STREAMS, json={"stream_id": stream_id}).json()
    assert "description" not in replaced
    assert replaced["events_delivered"] == stream["events_supported"]

    assert client.delete(STREAMS, params={"stream_id": stream_id}).status_code == 204
    missing = client.get(STREAMS, params={"stream_id": stream_id})
    graph_error(missing, 404, "NotFound", f"The stream '{stream_id}' was not found.")


URL_REFUSED = (
    "delivery.endpoint_url must be an absolute http or https URL of at most 2047 characters, "
    "with a host and neither user information nor a fragment."
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"delivery": {"method": "urn:x"}}, "Delivery method 'urn:x' is not supported."),
        ({"delivery": {"method": PUSH}}, URL_REFUSED),
        ({"iss": "https://elsewhere"}, "'iss' is set by the transmitter and cannot be changed."),
        ([], "The request body must be a JSON object."),
        # These were 500s: each value was kept as it came, then used as what it was not.
        ({"events_requested": 5}, "events_requested must be an array of event type URIs."),
        ({"delivery": "push"}, "delivery must be a JSON object with a 'method' (a string)."),
        ({"delivery": [["method", PUSH]]}, "delivery must be a JSON object with a 'method' "
                                           "(a string)."),
        ({"delivery": {"method": POLL, "endpoint_url": 7}}, "delivery must be a JSON object "
                                                            "with a 'method' (a string)."),
        ({"description": {"text": "SIEM"}}, "description must be a string."),
        ({"aud": 7}, "aud must be a string or a non-empty array of strings."),
        ({"aud": ["a", ""]}, "aud must be a string or a non-empty array of strings."),
    ],
)  # fmt: skip
def test_bad_stream_requests_are_graph_400s(client: TestClient, body: Any, message: str) -> None:
    graph_error(client.post(STREAMS, json=body), 400, "BadRequest", message)


def test_a_blank_stream_id_is_a_400_not_every_stream(client: TestClient) -> None:
    client.post(STREAMS, json={})
    for method in ("GET", "DELETE"):
        answer = client.request(method, f"{STREAMS}?stream_id=")
        graph_error(answer, 400, "BadRequest", "stream_id is required.")


def test_status_paused_holds_events_and_disabled_drops_them(
    sqlite_database: Database, client: TestClient
) -> None:
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver)["stream_id"]
        status = f"/ssf/{TENANT}/status"
        paused = client.post(status, json={"stream_id": stream_id, "status": "paused"})
        assert paused.json() == {"stream_id": stream_id, "status": "paused"}
        risky_user(client)
        assert deliver_all(sqlite_database) == 0
        client.post(status, json={"stream_id": stream_id, "status": "enabled"})
        assert deliver_all(sqlite_database) == 1

        client.post(status, json={"stream_id": stream_id, "status": "disabled", "reason": "x"})
        risky_user(client)
        client.post(status, json={"stream_id": stream_id, "status": "enabled"})
        assert deliver_all(sqlite_database) == 0
    assert len(receiver.sets) == 1


def test_a_removed_subject_gets_no_events_until_added_again(
    sqlite_database: Database, client: TestClient
) -> None:
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver)["stream_id"]
        subject = {"format": "email", "email": "Grace@Contoso.com"}
        body = {"stream_id": stream_id, "subject": subject}
        assert client.post(f"/ssf/{TENANT}/subjects:remove", json=body).status_code == 200
        user_id = risky_user(client, userPrincipalName="grace@contoso.com")
        assert deliver_all(sqlite_database) == 0
        assert client.post(f"/ssf/{TENANT}/subjects:add", json=body).status_code == 200
        client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        assert deliver_all(sqlite_database) == 1


def test_verification_event_echoes_the_state(sqlite_database: Database, client: TestClient) -> None:
    with running_receiver() as receiver:
        stream_id = push_stream(client, receiver)["stream_id"]
        body = {"stream_id": stream_id, "state": "VGhpcyBpcyBhIHN0YXRl"}
        assert client.post(f"/ssf/{TENANT}/verify", json=body).status_code == 204
        deliver_all(sqlite_database)
        again = client.post(f"/ssf/{TENANT}/verify", json=body)
        graph_error(again, 429, "TooManyRequests",
                    "Verification may be requested once every 5 seconds.")  # fmt: skip
    (verification,) = receiver.sets
    assert verification["sub_id"] == {"format": "opaque", "id": stream_id}
    assert verification["events"] == {SSF + "verification": {"state": "VGhpcyBpcyBhIHN0YXRl"}}


def test_streams_need_the_role_and_stay_in_their_tenant(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = make_client(sqlite_database, clock, auth="on")
    streams_a = f"/ssf/{TENANT_A}/streams"
    reader = app_bearer(client, TENANT_A, "IdentityRiskyUser.ReadWrite.All")
    refused = client.post(streams_a, json={}, headers=reader)
    graph_error(
        refused,
        403,
        "Forbidden",
        "You cannot perform the requested operation, required scopes are missing in the token.",
    )
    signals_a = app_bearer(client, TENANT_A, "IdentityProtection.Signals")
    stream_id = client.post(streams_a, json={}, headers=signals_a).json()["stream_id"]

    signals_b = app_bearer(client, TENANT_B, "IdentityProtection.Signals")
    other_path = client.get(streams_a, headers=signals_b)
    graph_error(other_path, 403, "Forbidden", "The token's tenant does not administer this tenant.")
    own_path = client.get(f"/ssf/{TENANT_B}/streams", params={"stream_id": stream_id},
                          headers=signals_b)  # fmt: skip
    graph_error(own_path, 404, "NotFound", f"The stream '{stream_id}' was not found.")
    assert client.get(f"/ssf/{TENANT_B}/streams", headers=signals_b).json() == []
