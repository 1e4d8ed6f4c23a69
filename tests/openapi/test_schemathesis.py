"""Schemathesis against the live server (`idprotect serve`, tokens verified): thousands of
generated requests, valid and invalid, find no 5xx and no answer that breaks /openapi.json.

Bounded: a fixed number of examples per operation (about a minute in all). Every check runs
but `positive_data_acceptance`: a `$filter`, a `$skiptoken` or an action on a deleted user can
be schema-valid and still be refused with Graph's 400, which JSON Schema cannot express.
Two runs, two tenants: the Graph surface and the issuer with the demo tenant, and `/_admin`
with a tenant of its own, so that fuzzed licence changes and deletions there do not hide the
Graph operations behind 403s.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.identity import app_token, unregistered_app
from idprotect.store.engine import Database, make_engine
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow  # a server process

GRAPH_ROLES = frozenset({"IdentityRiskyUser.ReadWrite.All", "IdentityRiskEvent.Read.All"})
ADMIN_ROLES = frozenset({"IdentityProtection.Admin"})
ADMIN_TENANT = "5c4b3a29-1807-4f6e-9d5c-4b3a29180706"
MAX_EXAMPLES = 25
# A fixed seed in CI (the same requests on every run); elsewhere a new one each time.
SEED = ["--seed", "1"] if os.environ.get("CI") else []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("schemathesis")
    process = ServerProcess(
        f"sqlite:///{directory / 'idprotect.db'}", directory, "--demo", auth="on"
    )
    try:
        yield process.start()
    finally:
        process.stop()


def _token(server: ServerProcess, tenant_id: str, roles: frozenset[str]) -> str:
    database = Database(make_engine(server.db_url))
    try:
        app = unregistered_app(tenant_id, "schemathesis")
        return app_token(
            database, app, now=datetime.now(UTC), lifetime=timedelta(hours=1), roles=roles
        )
    finally:
        database.dispose()


def _schemathesis(
    server: ServerProcess, token: str, tmp_path: Path, config: str, *options: str
) -> None:
    """`st run` on the live server with `config` as its schemathesis.toml, and `options`."""
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config)
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config_file),
        "run",
        f"{server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-database",
        "none",
        "--no-color",
        *SEED,
        *options,
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    summary = run.stdout[run.stdout.find("FAILURES") :] or run.stdout
    assert run.returncode == 0, summary[-20_000:] + run.stderr[-2_000:]
    assert "passed" in run.stdout


def test_graph_surface_and_issuer(server: ServerProcess, tmp_path: Path) -> None:
    token = _token(server, DEMO_TENANT_ID, GRAPH_ROLES)
    _schemathesis(server, token, tmp_path, "", "--exclude-tag", "admin")


def test_admin_api(server: ServerProcess, tmp_path: Path) -> None:
    token = _token(server, ADMIN_TENANT, ADMIN_ROLES)
    # The tenant in the path is the token's own: another tenant is (rightly) a 403 every time.
    config = f'[parameters]\n"path.tenantId" = "{ADMIN_TENANT}"\n'
    _schemathesis(server, token, tmp_path, config, "--include-tag", "admin")
