"""docs/clients.md's table of client stacks is backed by tests: a "yes" names tests that exist
(a `[*]` integration test in each environment of its column), a "no" names none, and every
integration test has a row."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
INTEGRATIONS = "tests/compat/integrations/test_integrations.py"
# What `[*]` stands for in each column.
ENVIRONMENTS = {"tests in process": ("mock_graph", "pytest_plugin"), "tests served": ("served",)}
CLAIMS = [("tests in process", "in process"), ("tests served", "served")]  # (tests, status)


def _rows() -> list[dict[str, str]]:
    table = (ROOT / "docs" / "clients.md").read_text().split("## Client stacks", 1)[1]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


def _named(row: dict[str, str], column: str) -> list[str]:
    """The test ids a column names, `[*]` expanded to the column's environments."""
    patterns = re.findall(r"`([^`]+::[^`]+)`", row[column])
    return [
        pattern.replace("*", environment)
        for pattern in patterns
        for environment in (ENVIRONMENTS[column] if "*" in pattern else ("",))
    ]


@cache
def _collected() -> frozenset[str]:
    named = {test for row in ROWS for column in ENVIRONMENTS for test in _named(row, column)}
    files = sorted({test.split("::")[0] for test in named} | {INTEGRATIONS})
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return frozenset(line for line in listing.splitlines() if "::" in line)


ROWS = _rows()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['library']}, {r['credential']}" for r in ROWS])
@pytest.mark.parametrize(("column", "claim"), CLAIMS)
def test_each_claim_names_tests_that_exist(row: dict[str, str], column: str, claim: str):
    named = _named(row, column)

    if row[claim].startswith("yes"):
        assert named, f"{claim}: yes, but no test named"
        assert set(named) <= _collected(), f"no such test: {set(named) - _collected()}"
    else:
        assert row[claim] == "no"
        assert named == []


def test_every_integration_has_a_row():
    named = {test for row in ROWS for column in ENVIRONMENTS for test in _named(row, column)}
    integrations = {test for test in _collected() if test.startswith(INTEGRATIONS)}

    assert integrations - named == set()
