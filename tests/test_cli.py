"""The command line: db upgrade, seed --file, and serve's refusal to start without --auth off."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.domain.enums import RiskState
from idprotect.domain.paging import PageRequest
from idprotect.store.engine import Database, make_engine

runner = CliRunner()

FIXTURES = {
    "users": [
        {"id": "u-remediated", "displayName": "Alex Wilber", "riskLevel": "none",
         "riskState": "remediated", "riskDetail": "userPerformedSecuredPasswordReset",
         "riskLastUpdatedDateTime": "2026-02-20T08:00:00Z"},
        {"id": "u-gone", "displayName": "Former Employee", "isDeleted": True},
    ],
    "riskDetections": [
        {"userId": "u-risky", "userDisplayName": "Adele Vance", "riskEventType": "unlikelyTravel",
         "riskLevel": "high", "detectionTimingType": "offline"},
    ],
}  # fmt: skip


def _states(url: str, tenant: str = DEMO_TENANT_ID) -> dict[str, RiskState]:
    database = Database(make_engine(url))
    with database.unit_of_work() as store:
        users = store.list_risky_users(tenant, PageRequest(limit=100)).items
    database.dispose()
    return {user.id: user.risk.state for user in users}


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert _states(url) == {}


def test_seed_file_loads_users_detections_and_states(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(FIXTURES))
    result = runner.invoke(app, ["seed", "--file", str(fixtures), "--db", url, "--tenant", "t1"])
    assert result.exit_code == 0, result.output
    assert _states(url, "t1") == {
        "u-remediated": RiskState.REMEDIATED,
        "u-risky": RiskState.AT_RISK,
    }


def test_seed_file_with_an_error_loads_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    broken = {**FIXTURES, "riskDetections": [{"userId": "u1", "riskLevel": "severe"}]}
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(broken))
    result = runner.invoke(app, ["seed", "--file", str(fixtures), "--db", url])
    assert result.exit_code == 1
    assert "riskLevel" in result.output
    assert _states(url) == {}


def test_seed_wants_exactly_one_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["seed", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2


def test_serve_refuses_an_unknown_auth_mode(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--auth", "no"])
    assert result.exit_code == 2
    assert "--auth is 'on' or 'off'" in result.output


def test_serve_refuses_an_unknown_http_parser(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--http", "x"])
    assert result.exit_code == 2
    assert "--http is 'httptools' or 'h11'" in result.output


def test_token_prints_a_bearer_token_the_service_accepts(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from idprotect.app import create_app
    from idprotect.settings import Settings

    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(
        app,
        ["token", "--db", url, "--user", "11111111-2222-4333-8444-555555555555",
         "--scopes", "IdentityRiskyUser.Read.All", "--directory-roles", "Security Reader"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    client = TestClient(create_app(Settings(database_url=url)))
    response = client.get(
        "/v1.0/identityProtection/riskyUsers", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text


def test_app_create_prints_credentials_for_the_token_endpoint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["app", "create", "--db", url, "--name", "SOAR", "--roles", "A,B"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    assert set(lines) == {"client_id", "client_secret"}


def test_tenant_set_changes_the_licence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["tenant", "set", "--db", url, "--tenant", "t9", "--licence", "P1"])
    assert result.exit_code == 0, result.output
    database = Database(make_engine(url))
    with database.unit_of_work() as store:
        assert store.tenant_licence("t9") == "P1"
    database.dispose()
