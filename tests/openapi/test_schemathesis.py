"""Schemathesis against the live server (`idprotect serve`, tokens verified): thousands of
generated requests, valid and invalid, find no 5xx and no answer that breaks /openapi.json.

Every check runs but `positive_data_acceptance`: a `$filter`, a `$skiptoken` or an action on a
deleted principal can be schema-valid and still be refused with Graph's 400, which JSON Schema
cannot express. Three tests, three tenants, so that what one fuzzes cannot hold back another:
- the Graph surface of every principal kind, sign-ins, directory audits and the issuer, with
  the demo tenant;
- `/_admin` with a tenant of its own, so that fuzzed licence changes and deletions there do not
  hide the Graph operations behind 403s. Its throttle profiles and fault plans are fuzzed too:
  they apply to that tenant's requests alone, and this test sends it only `/_admin`'s, which
  are never throttled nor failed (ops/guard.py), so no plan can fail the run it came from;
- the signals (subscriptions, the Shared Signals transmitter and receiver) with a tenant of
  their own. The server sends to 127.0.0.1 only (`--signals-allowed-host`): a fuzzed URL on
  another host is a 400 before any request leaves, and one on 127.0.0.1 is refused by whatever
  listens there, or by nobody, at once. A poll asks `returnImmediately`, so that none waits
  for events (RFC 8936's long poll, 10 s) on a stream the run created.

Bounded: a fixed number of examples per operation (about a minute and a half in all). In CI
each test runs on the fixed seed (the same requests every run), then on the session's fresh
seed (tests/hypothesis_passes.py; pytest's header shows it) with fewer examples; elsewhere
once, on a seed of schemathesis' choosing. A request found answered wrongly becomes a row of
test_found_requests.py, which asks it again on every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.store.engine import Database, make_engine
from tests.hypothesis_passes import fresh_seed
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow  # a server process

# Every kind's operations: users', service principals' and agents', and their detections;
# sign-ins (the log, and the actions an application takes with the risk events' permission).
GRAPH_ROLES = frozenset(
    {
        "IdentityRiskyUser.ReadWrite.All",
        "IdentityRiskyServicePrincipal.ReadWrite.All",
        "IdentityRiskyAgent.ReadWrite.All",
        "IdentityRiskEvent.Read.All",
        "IdentityRiskEvent.ReadWrite.All",
        "AuditLog.Read.All",
    }
)
ADMIN_ROLES = frozenset({"IdentityProtection.Admin"})
ADMIN_TENANT = "5c4b3a29-1807-4f6e-9d5c-4b3a29180706"
# Streams, and subscriptions to both resources.
SIGNALS_ROLES = frozenset(
    {"IdentityProtection.Signals", "IdentityRiskyUser.Read.All", "IdentityRiskEvent.Read.All"}
)
SIGNALS_TENANT = "3e2d1c0b-5a49-4837-a615-e4d3c2b1a098"
FIXED_SEED = 1
MAX_EXAMPLES = 25
FRESH_EXAMPLES = 10
# The fresh run keeps to the phases that explore; the examples and coverage phases build their
# requests from the document's examples and constraints, which the fixed run has sent.
RANDOM_PHASES = ("fuzzing", "stateful")


@dataclass(frozen=True)
class Run:
    """One `st run`: its seed (None: schemathesis picks one), examples per operation, phases."""

    seed: int | None
    max_examples: int
    phases: tuple[str, ...] = ()

    def options(self) -> list[str]:
        seed = [] if self.seed is None else ["--seed", str(self.seed)]
        phases = ["--phases", ",".join(self.phases)] if self.phases else []
        return [*seed, "--max-examples", str(self.max_examples), *phases]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    fresh = fresh_seed(metafunc.config)
    runs = {"unseeded": Run(None, MAX_EXAMPLES)}
    if fresh is not None:
        fresh_run = Run(fresh, FRESH_EXAMPLES, RANDOM_PHASES)
        runs = {"fixed": Run(FIXED_SEED, MAX_EXAMPLES), "fresh": fresh_run}
    metafunc.parametrize("run", list(runs.values()), ids=list(runs))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("schemathesis")
    process = ServerProcess(
        f"sqlite:///{directory / 'idprotect.db'}",
        directory,
        "--demo",
        "--signals-allowed-host",
        "127.0.0.1",
        auth="on",
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
    server: ServerProcess, run: Run, token: str, tmp_path: Path, config: str, *options: str
) -> None:
    """`run` on the live server with `config` as its schemathesis.toml, and `options`."""
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
        "--generation-database",
        "none",
        "--no-color",
        *run.options(),
        *options,
    ]
    hooks = {"SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py"))}
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, **hooks},
        capture_output=True,
        text=True,
        timeout=600,
    )
    seed = next((line for line in done.stdout.splitlines() if line.startswith("Seed:")), "")
    summary = done.stdout[done.stdout.find("FAILURES") :] or done.stdout
    assert done.returncode == 0, f"{seed}\n{summary[-20_000:]}{done.stderr[-2_000:]}"
    assert "passed" in done.stdout


def _own_tenant(tenant_id: str) -> str:
    """The tenant in the path is the token's own: another tenant is (rightly) a 403 every time."""
    return f'[parameters]\n"path.tenantId" = "{tenant_id}"\n'


def test_graph_surface_and_issuer(server: ServerProcess, run: Run, tmp_path: Path) -> None:
    token = _token(server, DEMO_TENANT_ID, GRAPH_ROLES)
    excluded = ["--exclude-tag", "admin", "--exclude-tag", "signals"]
    _schemathesis(server, run, token, tmp_path, "", *excluded)


def test_admin_api(server: ServerProcess, run: Run, tmp_path: Path) -> None:
    token = _token(server, ADMIN_TENANT, ADMIN_ROLES)
    _schemathesis(server, run, token, tmp_path, _own_tenant(ADMIN_TENANT), "--include-tag", "admin")


def test_signals(server: ServerProcess, run: Run, tmp_path: Path) -> None:
    token = _token(server, SIGNALS_TENANT, SIGNALS_ROLES)
    config = _own_tenant(SIGNALS_TENANT) + (
        '\n[[operations]]\ninclude-operation-id = "poll_events"\n'
        '[operations.parameters]\n"body.returnImmediately" = true\n'
    )
    _schemathesis(server, run, token, tmp_path, config, "--include-tag", "signals")
