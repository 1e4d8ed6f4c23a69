"""Each integration runs unchanged under mock_graph(), under the pytest plugin and against
`idprotect serve --tls`, with the same assertions. docs/clients.md's table names these tests."""

from __future__ import annotations

import anyio
import pytest

from tests.compat.integrations import (
    aiohttp_poller,
    certificate_job,
    collector,
    default_credential_job,
    soar_action,
    stdlib_report,
)
from tests.compat.integrations.conftest import Environment, Served

CREDENTIAL_VARIABLES = (
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TOKEN_CREDENTIALS",
)


def test_async_collector(environment: Environment):
    at_risk = set(environment.add_risky_users(23, riskLevel="medium"))
    confirmed = environment.add_risky_users(1)[0]
    client_id, secret = environment.register_app()
    soar = soar_action.Connector(environment.tenant_id, client_id, secret, cloud=environment.cloud)
    soar_action.confirm_compromised(soar, confirmed)  # no longer at risk

    collected = anyio.run(
        collector.collect, environment.tenant_id, client_id, secret, environment.cloud
    )

    assert {user.id for user in collected.risky_users} == at_risk
    # The 24 seeded, and the one that confirming the user compromised recorded.
    assert len(collected.detections) == 25
    assert {d.user_id for d in collected.detections} == at_risk | {confirmed}


@pytest.mark.parametrize("credential", ["secret", "certificate"])
def test_soar_action(environment: Environment, credential: str):
    (user_id,) = environment.add_risky_users(1)
    if credential == "secret":
        client_id, secret = environment.register_app()
        connector = soar_action.Connector(
            environment.tenant_id, client_id, client_secret=secret, cloud=environment.cloud
        )
    else:
        app = environment.register_certificate_app()
        connector = soar_action.Connector(
            environment.tenant_id, app.client_id, certificate_key=app.key_pem,
            certificate_thumbprint=app.thumbprint, cloud=environment.cloud,
        )  # fmt: skip

    user = soar_action.confirm_compromised(connector, user_id)

    assert (user["id"], user["riskState"], user["riskLevel"]) == (
        user_id, "confirmedCompromised", "high",
    )  # fmt: skip


@pytest.mark.parametrize("credential", ["secret", "certificate"])
def test_default_credential_job(
    environment: Environment, credential: str, monkeypatch: pytest.MonkeyPatch
):
    environment.add_risky_users(3, riskLevel="high")
    environment.add_risky_users(2, riskLevel="low")
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if credential == "secret":
        client_id, secret = environment.register_app()
        monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    else:
        app = environment.register_certificate_app()
        client_id = app.client_id
        monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", app.path)
    monkeypatch.setenv("AZURE_TENANT_ID", environment.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", client_id)
    for name, value in environment.environ.items():
        monkeypatch.setenv(name, value)

    assert default_credential_job.main() == {"high": 3, "low": 2}


def test_certificate_job(environment: Environment):
    cleared, kept = environment.add_risky_users(2), environment.add_risky_users(1)
    names = {environment.risky_user(u)["userPrincipalName"] for u in cleared}
    app = environment.register_certificate_app()

    dismissed = anyio.run(
        certificate_job.dismiss_cleared,
        environment.tenant_id, app.client_id, app.path, names, environment.cloud,
    )  # fmt: skip

    assert set(dismissed) == set(cleared)
    assert {environment.risky_user(u)["riskState"] for u in cleared} == {"dismissed"}
    assert environment.risky_user(kept[0])["riskState"] == "atRisk"


def test_aiohttp_poller(environment: Environment):
    seeded = set(environment.add_risky_users(7))
    client_id, secret = environment.register_app()

    detections = anyio.run(
        aiohttp_poller.poll_detections, environment.tenant_id, client_id, secret,
        environment.cloud,
    )  # fmt: skip

    assert {d["userId"] for d in detections} == seeded
    times = [d["detectedDateTime"] for d in detections]
    assert times == sorted(times, reverse=True)


@pytest.mark.slow
def test_stdlib_report_over_serve(served: Served):
    """urllib.request is not routed in process: it needs a server (or mock_graph's serve())."""
    high = served.add_risky_users(2, riskLevel="high")
    served.add_risky_users(1, riskLevel="low")
    client_id, secret = served.register_app()

    names = stdlib_report.high_risk_user_names(served.tenant_id, client_id, secret, served.cloud)

    assert names == sorted(served.risky_user(u)["userPrincipalName"] for u in high)
