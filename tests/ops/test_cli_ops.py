"""The command line of operations: `faults set/show/clear`, `tenant set --throttle` and
`serve --throttle`, each bad value refused before anything starts (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idprotect.cli import app

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
