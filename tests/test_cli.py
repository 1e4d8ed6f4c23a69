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
