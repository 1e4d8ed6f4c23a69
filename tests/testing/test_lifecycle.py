"""mock_graph as a context manager, a decorator and start/stop; reset; nesting; other hosts."""

from __future__ import annotations

import socket
import ssl
import time

import anyio
import httpx
import pytest
import requests

from idprotect.settings import Settings
from idprotect.testing import MockGraph, SeedingError, current_graph, mock_graph
from tests.testing import integration

RISKY_USERS = f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers"


def _risky_user_ids(url: str, token: str) -> set[str]:
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    return {u["id"] for u in response.raise_for_status().json()["value"]}


def test_routing_ends_with_the_block():
    with mock_graph() as graph:
        assert _risky_user_ids(RISKY_USERS, graph.token()) == set()
    transport = httpx.MockTransport(lambda request: httpx.Response(418))

    # Afterwards the real transports are back: a client of our own answers, not idprotect.
    with httpx.Client(transport=transport) as client:
        assert client.get(RISKY_USERS).status_code == 418
    assert httpx.HTTPTransport.handle_request.__module__ == "httpx._transports.default"


@mock_graph()
def test_as_a_decorator():
    graph = current_graph()
    user_id = graph.add_risky_user()

    assert _risky_user_ids(RISKY_USERS, graph.token()) == {user_id}


@mock_graph(tenant_id="11111111-2222-4333-8444-555555555555")
def test_as_a_decorator_of_an_async_function():
    async def main() -> None:
        graph = current_graph()
        user_id = graph.add_risky_user()
        user = await integration.risky_user_with_async_httpx(graph.token(), user_id)
        assert user["id"] == user_id

    anyio.run(main)


def test_start_and_stop():
    graph = mock_graph().start()
    try:
        assert _risky_user_ids(RISKY_USERS, graph.token()) == set()
    finally:
        graph.stop()
    with pytest.raises(RuntimeError):
        current_graph()


def test_each_activation_starts_empty():
    graph = MockGraph()
    with graph:
        graph.add_risky_user()
    with graph:
        assert _risky_user_ids(RISKY_USERS, graph.token()) == set()


def test_reset_forgets_the_data_but_tokens_keep_working():
    with mock_graph() as graph:
        token = graph.token()
        graph.add_risky_user()
        graph.set_licence("P1")

        graph.reset()

        assert _risky_user_ids(RISKY_USERS, token) == set()  # P2 again: a 200, not a 403


def test_tenants_are_apart():
    with mock_graph() as graph:
        other = "22222222-3333-4444-8555-666666666666"
        mine = graph.add_risky_user()
        theirs = graph.add_risky_user(tenant_id=other)

        assert _risky_user_ids(RISKY_USERS, graph.token()) == {mine}
        assert _risky_user_ids(RISKY_USERS, graph.token(tenant_id=other)) == {theirs}


def test_the_innermost_mock_answers():
    with mock_graph() as outer:
        outer.add_risky_user()
        with mock_graph() as inner:
            assert _risky_user_ids(RISKY_USERS, inner.token()) == set()
        assert len(_risky_user_ids(RISKY_USERS, outer.token())) == 1


def test_other_hosts_can_be_routed():
    with mock_graph(hosts=["graph.microsoft.us"]) as graph:
        user_id = graph.add_risky_user()
        url = "https://graph.microsoft.us/v1.0/identityProtection/riskyUsers"

        assert _risky_user_ids(url, graph.token()) == {user_id}


def test_seed_in_process_check_over_http_and_back():
    with mock_graph() as graph:
        user_id = graph.add_risky_user()
        base_url = graph.serve()
        token = graph.token()

        served = requests.post(
            f"{base_url}/v1.0/identityProtection/riskyUsers/confirmCompromised",
            json={"userIds": [user_id]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        in_process = httpx.get(
            f"{RISKY_USERS}/{user_id}", headers={"Authorization": f"Bearer {token}"}
        )

    assert base_url.startswith("http://127.0.0.1:")
    assert served.status_code == 204
    assert in_process.json()["riskState"] == "confirmedCompromised"


def test_served_over_http_with_the_limits_of_serve():
    """The served copy bounds a request head as `idprotect serve` does: a client that sends
    nothing is cut off after the header timeout, a URL over the limit is a Graph 414."""
    settings = Settings(header_timeout_seconds=0.3)
    with mock_graph(settings=settings) as graph:
        base_url = graph.serve()
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as idle:
            started = time.monotonic()
            closed = idle.recv(1024) == b""
            waited = time.monotonic() - started
        too_long = httpx.get(f"{base_url}/v1.0/identityProtection/riskyUsers?x={'a' * 17000}")

    assert closed
    assert waited < 4
    assert too_long.status_code == 414
    assert too_long.json()["error"]["code"] == "RequestUriTooLong"


def test_served_over_https_with_the_development_ca():
    with mock_graph() as graph:
        base_url = graph.serve(tls=True)
        trust = ssl.create_default_context(cafile=graph.ca_certfile)

        response = httpx.get(f"{base_url}/v1.0/identityProtection/riskyUsers", verify=trust)

    assert base_url.startswith("https://127.0.0.1:")
    assert response.status_code == 401


def test_seeding_errors_say_what_was_refused():
    with mock_graph() as graph, pytest.raises(SeedingError, match="riskLevel"):
        graph.add_risk_detections({"riskLevel": "catastrophic"})


def test_fixtures_and_users():
    ada, grace = "0b5c6c07-7f9b-4c30-a1a2-9d4f8ab0c001", "0b5c6c07-7f9b-4c30-a1a2-9d4f8ab0c002"
    with mock_graph() as graph:
        graph.add_users({"id": ada, "displayName": "Ada", "riskLevel": "low"})
        graph.load_fixtures(
            {"users": [{"id": grace, "displayName": "Grace", "riskState": "remediated"}]}
        )
        token = graph.token()
        users = {uid: _risky_user(uid, token) for uid in (ada, grace)}

    assert (users[ada]["userDisplayName"], users[ada]["riskLevel"]) == ("Ada", "low")
    assert (users[grace]["userDisplayName"], users[grace]["riskState"]) == ("Grace", "remediated")


def _risky_user(user_id: str, token: str) -> dict[str, object]:
    response = httpx.get(f"{RISKY_USERS}/{user_id}", headers={"Authorization": f"Bearer {token}"})
    user: dict[str, object] = response.raise_for_status().json()
    return user


def test_delegated_tokens():
    with mock_graph() as graph:
        reader = graph.user_token(
            "7f0d9a51-1b7c-4c55-9a3e-2c8d4b6e1f00",
            scopes=["IdentityRiskyUser.Read.All"],
            directory_roles=["Security Reader"],
        )
        user_id = graph.add_risky_user()

        response = requests.post(
            f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers/dismiss",
            json={"userIds": [user_id]},
            headers={"Authorization": f"Bearer {reader}"},
            timeout=5,
        )

    assert response.status_code == 403
