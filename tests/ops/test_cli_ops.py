"""The command line of operations: `faults set/show/clear`, `tenant set --throttle` and
`serve --throttle`, each bad value refused before anything starts (exit code 2), each change
recorded in the directory audit log in its own unit of work."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.store.audits import SqlAuditLog
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_plan_is_set_shown_and_cleared(sqlite_url: str) -> None:
    options = ["--error-rate", "503=0.25", "--error-rate", "429=0.1", "--seed", "7"]
    options += ["--latency", "uniform:5-20", "--operations", "GET /v1.0/*"]
    code, _ = run("faults", "set", "--db", sqlite_url, *options, "--fail-next", "2",
                  "--fail-status", "504")  # fmt: skip
    assert code == 0
    code, shown = run("faults", "show", "--db", sqlite_url)
    assert json.loads(shown) == {
        "seed": 7,
        "rules": [{
            "operations": ["GET /v1.0/*"], "errorRates": {"503": 0.25, "429": 0.1},
            "dropRate": 0.0, "latency": {"uniformMs": {"min": 5.0, "max": 20.0}},
            "failNext": 2, "failStatus": 504,
        }],
    }  # fmt: skip
    assert run("faults", "clear", "--db", sqlite_url)[0] == 0
    assert json.loads(run("faults", "show", "--db", sqlite_url)[1]) == {"rules": []}


def test_a_plan_from_a_file(sqlite_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"seed": 1, "rules": [{"dropRate": 0.5}]}))
    assert run("faults", "set", "--db", sqlite_url, "--file", str(plan))[0] == 0
    assert json.loads(run("faults", "show", "--db", sqlite_url)[1])["rules"][0]["dropRate"] == 0.5


@pytest.mark.parametrize(
    "args",
    [
        ["--error-rate", "503"],
        ["--error-rate", "503=x"],
        ["--error-rate", "418=0.1"],
        ["--error-rate", "503=2"],
        ["--error-rate", "503=0.7", "--drop-rate", "0.5"],
        ["--drop-rate", "1.5"],
        ["--latency", "slow"],
        ["--latency", "fixed:x"],
        ["--latency", "uniform:9-1"],
        ["--latency", "fixed:-1"],
        ["--fail-next", "-1"],
        ["--fail-status", "404"],
        ["--seed", "-3"],
        ["--operations", "riskyUsers"],
        ["--file", "/nonexistent.json"],
        ["--file", "/dev/null", "--drop-rate", "0.1"],
        ["--tenant", "not-a-guid"],
    ],
)
def test_a_bad_faults_option_is_refused(sqlite_url: str, args: list[str]) -> None:
    code, output = run("faults", "set", "--db", sqlite_url, *args)
    assert code == 2, output
    assert "Error" in output
    assert json.loads(run("faults", "show", "--db", sqlite_url)[1]) == {"rules": []}


def test_tenant_set_throttle(sqlite_url: str, tmp_path: Path) -> None:
    assert run("tenant", "set", "--db", sqlite_url, "--throttle", "graph")[0] == 0
    profile = tmp_path / "p.json"
    bucket = {"name": "b", "operations": ["*"], "requests": 5, "seconds": 1}
    profile.write_text(json.dumps({"profile": "custom", "buckets": [bucket]}))
    assert run("tenant", "set", "--db", sqlite_url, "--throttle", str(profile))[0] == 0
    assert run("tenant", "set", "--db", sqlite_url, "--throttle", "default")[0] == 0


@pytest.mark.parametrize("value", ["fast", "/nonexistent.json", "{}"])
def test_a_bad_throttle_is_refused(sqlite_url: str, value: str, tmp_path: Path) -> None:
    for command in (["tenant", "set"], ["serve", "--port", "1"]):
        code, output = run(*command, "--db", sqlite_url, "--throttle", value)
        assert code == 2, output


def test_a_bad_throttle_file_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text('{"profile": "custom", "buckets": [{"name": "b"}]}')
    code, output = run("serve", "--db", sqlite_url, "--throttle", str(profile))
    assert code == 2
    assert "Invalid document at 'buckets.0.operations'" in output


def _records(sqlite_url: str) -> list[dict[str, Any]]:
    """The demo tenant's directory audit log, oldest first, as Graph shows it."""
    database = Database(make_engine(sqlite_url))
    try:
        client = make_client(database, FakeClock())
        response = client.get("/v1.0/auditLogs/directoryAudits", params={"$top": "50"})
        assert response.status_code == 200, response.text
        return list(reversed(response.json()["value"]))
    finally:
        database.dispose()


def test_each_change_of_the_command_line_is_recorded_once(sqlite_url: str) -> None:
    """As /_admin records the same change, initiated by the local operator (docs/compatibility.md,
    Directory audits)."""
    assert run("faults", "set", "--db", sqlite_url, "--fail-next", "1", "--seed", "3")[0] == 0
    assert run("faults", "clear", "--db", sqlite_url)[0] == 0
    assert run("tenant", "set", "--db", sqlite_url, "--throttle", "graph")[0] == 0
    assert (
        run("tenant", "set", "--db", sqlite_url, "--licence", "P1", "--throttle", "default")[0] == 0
    )
    assert run("faults", "set", "--db", sqlite_url, "--fail-status", "404")[0] == 2  # refused

    records = _records(sqlite_url)
    assert [(r["activityDisplayName"], r["category"], r["operationType"]) for r in records] == [
        ("Set faults", "Policy", "Update"),
        ("Remove faults", "Policy", "Delete"),
        ("Set throttling", "Policy", "Update"),
        ("Update tenant licences", "Policy", "Update"),
        ("Set throttling", "Policy", "Update"),
    ]
    operator = f"{getpass.getuser()}@{socket.gethostname()}"
    for r in records:
        assert r["initiatedBy"] == {
            "app": None,
            "user": {
                "id": None,
                "displayName": None,
                "userPrincipalName": operator,
                "ipAddress": None,
            },
        }
        assert [(t["id"], t["type"]) for t in r["targetResources"]] == [
            (DEMO_TENANT_ID, "Directory")
        ]
    details = [{d["key"]: d["value"] for d in r["additionalDetails"]} for r in records]
    assert details == [
        {"request": _stored_plan(), "command": "idprotect faults set"},
        {"command": "idprotect faults clear"},
        {"request": '{"profile":"graph","retryAfter":false}', "command": "idprotect tenant set"},
        {"request": '{"licence":"P1"}', "command": "idprotect tenant set"},
        {"request": '{"profile":"default","retryAfter":false}', "command": "idprotect tenant set"},
    ]
    assert len({r["correlationId"] for r in records}) == len(records)


def _stored_plan() -> str:
    rule = {"operations": ["*"], "errorRates": {}, "dropRate": 0.0, "failNext": 1}
    return json.dumps({"seed": 3, "rules": [{**rule, "failStatus": 503}]}, separators=(",", ":"))


def test_a_change_whose_record_fails_is_not_made(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is written in the change's unit of work: one without the other is never
    committed."""

    def failing(self: object, tenant_id: str, audit: object) -> None:
        raise RuntimeError("the log is full")

    monkeypatch.setattr(SqlAuditLog, "add_audit", failing)
    code, _ = run("faults", "set", "--db", sqlite_url, "--fail-next", "1")
    assert code != 0
    monkeypatch.undo()
    assert json.loads(run("faults", "show", "--db", sqlite_url)[1]) == {"rules": []}
    assert _records(sqlite_url) == []
