"""app list, tenant list and keys list: aligned text for people, --json for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.issuer.client_assertion import new_certificate

runner = CliRunner()

OTHER_TENANT = "7d0c6a4e-93b1-4c2f-a8e5-1f6b2d9c0e34"
FIXTURES = {
    "users": [
        {"id": "u-remediated", "riskLevel": "none", "riskState": "remediated",
         "riskDetail": "userPerformedSecuredPasswordReset",
         "riskLastUpdatedDateTime": "2026-02-20T08:00:00Z"},
        {"id": "u-calm", "displayName": "Never risky"},
    ],
    "riskDetections": [
        {"userId": "u-risky", "riskEventType": "unlikelyTravel", "riskLevel": "high"},
    ],
}  # fmt: skip


def run(*command: str) -> Result:
    result = runner.invoke(app, list(command))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


def test_app_list_shows_each_app_and_its_credential_never_a_secret(
    url: str, tmp_path: Path
) -> None:
    created = run("app", "create", "--db", url, "--name", "SOAR", "--roles",
                  "IdentityRiskyUser.ReadWrite.All,IdentityRiskEvent.Read.All").stdout  # fmt: skip
    soar = dict(line.split("=", 1) for line in created.splitlines())
    pem = tmp_path / "cert.pem"
    pem.write_text(new_certificate("collector", datetime.now(UTC))[1])
    created = run("app", "create", "--db", url, "--name", "Collector", "--certificate", str(pem),
                  "--tenant", OTHER_TENANT).stdout  # fmt: skip
    collector = created.splitlines()[0].removeprefix("client_id=")

    every = run("app", "list", "--db", url).stdout
    one = run("app", "list", "--db", url, "--tenant", OTHER_TENANT, "--json").stdout

    id_width = len(soar["client_id"])
    assert every.splitlines() == [
        f"{'TENANT'.ljust(36)}  {'CLIENT ID'.ljust(id_width)}  NAME       CREDENTIAL   ROLES",
        f"{DEMO_TENANT_ID}  {soar['client_id']}  SOAR       secret       "
        "IdentityRiskEvent.Read.All,IdentityRiskyUser.ReadWrite.All",
        f"{OTHER_TENANT}  {collector}  Collector  certificate  -",
    ]
    assert soar["client_secret"] not in every
    assert json.loads(one) == [
        {"tenant_id": OTHER_TENANT, "client_id": collector, "display_name": "Collector",
         "credential": "certificate", "roles": []},
    ]  # fmt: skip


def test_tenant_list_counts_risky_users_in_one_line_per_tenant(url: str, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(FIXTURES))
    run("seed", "--file", str(fixtures), "--db", url)
    run("tenant", "set", "--db", url, "--tenant", OTHER_TENANT, "--licence", "Free")
    run("tenant", "set", "--db", url, "--tenant", OTHER_TENANT, "--no-workload-identities")

    text = run("tenant", "list", "--db", url).stdout
    as_json = run("tenant", "list", "--db", url, "--json").stdout

    assert text.splitlines() == [
        f"{'TENANT'.ljust(36)}  LICENCE  WORKLOAD ID  RISKY USERS  AT RISK",
        f"{DEMO_TENANT_ID}  P2       Premium      2            1",
        f"{OTHER_TENANT}  Free     -            0            0",
    ]
    assert json.loads(as_json) == [
        {
            "tenant_id": DEMO_TENANT_ID,
            "licence": "P2",
            "workload_identities": "Premium",
            "risky_users": 2,
            "at_risk": 1,
        },
        {
            "tenant_id": OTHER_TENANT,
            "licence": "Free",
            "workload_identities": "-",
            "risky_users": 0,
            "at_risk": 0,
        },
    ]


def test_keys_list_shows_which_key_signs_and_until_when_the_others_verify(url: str) -> None:
    run("token", "--db", url, "--app", "p", "--roles", "IdentityRiskyUser.Read.All")
    rotated_at = datetime.now(UTC).replace(microsecond=0)
    run("keys", "rotate", "--db", url, "--grace", "2h")

    keys = json.loads(run("keys", "list", "--db", url, "--json").stdout)
    text = run("keys", "list", "--db", url).stdout.splitlines()

    assert (keys[0]["state"], keys[0]["valid_until"]) == ("signs", None)
    assert keys[1]["state"] == "verifies"
    valid_until = datetime.strptime(keys[1]["valid_until"], "%Y-%m-%dT%H:%M:%S%z")
    assert timedelta(hours=2) <= valid_until - rotated_at <= timedelta(hours=2, seconds=5)
    assert keys[0]["created"] >= keys[1]["created"]
    assert text[0].split() == ["KID", "CREATED", "VALID", "UNTIL", "STATE"]
    assert text[1].split() == [keys[0]["kid"], keys[0]["created"], "-", "signs"]
    assert text[2].split() == [
        keys[1]["kid"],
        keys[1]["created"],
        keys[1]["valid_until"],
        "verifies",
    ]


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["app", "list"], "No app registrations."),
        (["tenant", "list"], "No tenants."),
        (["keys", "list"], "No signing key yet: the first token makes one."),
    ],
    ids=["app list", "tenant list", "keys list"],
)
def test_an_empty_list_says_so_and_its_json_is_empty(
    command: list[str], said: str, url: str
) -> None:
    text = run(*command, "--db", url)
    as_json = run(*command, "--db", url, "--json")

    assert (text.stdout, text.stderr) == ("", f"{said}\n")
    assert json.loads(as_json.stdout) == []
