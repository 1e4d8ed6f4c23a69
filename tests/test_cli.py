"""The command line: db upgrade, seed --file, its help, and start-up failures said in one line
(another application's database among them)."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.domain.enums import RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.paging import PageRequest
from idprotect.domain.tenants import Licence, Licences, View
from idprotect.store.engine import Database, make_engine

runner = CliRunner()
TENANT = "7d0c6a4e-93b1-4c2f-a8e5-1f6b2d9c0e34"

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
        users = store.list_risky_principals(USER, tenant, PageRequest(limit=100), View.FULL).items
    database.dispose()
    return {user.id: user.risk.state for user in users}


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert _states(url) == {}


def test_db_upgrade_builds_the_indexes_a_seed_left_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    engine = create_engine(url)
    with engine.begin() as connection:  # as a seed killed after dropping them leaves it
        connection.exec_driver_sql("DROP INDEX ix_users_tenant_upn")
        connection.exec_driver_sql("DROP INDEX ix_risk_detections_tenant_detected")
    engine.dispose()
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert "Built 2 missing indexes: ix_risk_detections_tenant_detected, ix_users_tenant_upn." in (
        " ".join(result.output.split())
    )
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert "missing" not in result.output


def test_seed_file_loads_users_detections_and_states(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(FIXTURES))
    result = runner.invoke(app, ["seed", "--file", str(fixtures), "--db", url, "--tenant", TENANT])
    assert result.exit_code == 0, result.output
    assert _states(url, TENANT) == {
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


def test_token_prints_a_bearer_token_the_service_accepts(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

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
    roles = "IdentityRiskyUser.ReadWrite.All,IdentityRiskEvent.Read.All"
    result = runner.invoke(app, ["app", "create", "--db", url, "--name", "SOAR", "--roles", roles])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    assert set(lines) == {"client_id", "client_secret"}


def test_tenant_set_changes_the_licence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(
        app, ["tenant", "set", "--db", url, "--tenant", TENANT, "--licence", "P1"]
    )
    assert result.exit_code == 0, result.output
    database = Database(make_engine(url))
    with database.unit_of_work() as store:
        assert store.tenant_licences(TENANT) == Licences(Licence.P1)
    database.dispose()


# Start-up failures: one line on stderr and exit code 1, whatever the command (cli_startup.py).
def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


UNREACHABLE = f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{_unused_port()}/idprotect"
COMMANDS = {
    "db upgrade": ["db", "upgrade"],
    "seed": ["seed", "--demo"],
    "token": ["token", "--app", "00000000-0000-0000-0000-00000000000a"],
    "app create": ["app", "create", "--name", "SOAR"],
    "tenant set": ["tenant", "set", "--tenant", TENANT, "--licence", "P1"],
    "keys rotate": ["keys", "rotate"],
    "keys list": ["keys", "list"],
    "app list": ["app", "list"],
    "tenant list": ["tenant", "list"],
    "serve": ["serve", "--auth", "off", "--port", str(_unused_port())],
}
BAD_DATABASES = {
    "bad syntax": ("not a url", "the database URL not a url is not valid: Could not parse"),
    "unknown driver": ("nosuchdb://h/x", "names an unknown or missing driver: Can't load plugin"),
    "missing driver": ("mysql://u@127.0.0.1/x", "missing driver: No module named 'MySQLdb'"),
    "unreachable": (UNREACHABLE, "cannot use the database postgresql+psycopg://postgres:***@"),
    "no such directory": ("sqlite:////nonexistent/dir/x.db", "unable to open database file"),
}


def failed_to_start(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert message in line
    assert "s3cret" not in line


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS)
@pytest.mark.parametrize(("url", "message"), BAD_DATABASES.values(), ids=BAD_DATABASES)
def test_a_database_that_cannot_be_used_is_one_line(
    command: list[str], url: str, message: str
) -> None:
    failed_to_start(runner.invoke(app, [*command, "--db", url]), message)


def test_the_database_url_may_come_from_the_environment() -> None:
    result = runner.invoke(app, ["db", "upgrade"], env={"IDPROTECT_DATABASE_URL": UNREACHABLE})

    failed_to_start(result, "cannot use the database postgresql+psycopg://postgres:***@")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not SQLite")

    result = runner.invoke(app, ["db", "upgrade", "--db", f"sqlite:///{path}"])

    failed_to_start(result, "file is not a database")


def test_a_read_only_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///file:{path}?mode=ro&uri=true"

    failed_to_start(runner.invoke(app, ["db", "upgrade", "--db", url]), "readonly database")


def test_unknown_connection_options_are_one_line(postgres_server_url: str) -> None:
    url = f"{postgres_server_url}?no_such_option=1"

    failed_to_start(runner.invoke(app, ["db", "upgrade", "--db", url]), "no_such_option")


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ({"database": "no_such_database"}, 'database "no_such_database" does not exist'),
        ({"username": "no_such_role"}, 'role "no_such_role" does not exist'),
    ],
)
def test_a_server_that_refuses_the_connection_is_one_line(
    postgres_server_url: str, part: dict[str, str], message: str
) -> None:
    url = make_url(postgres_server_url).set(**part).render_as_string(hide_password=False)

    failed_to_start(runner.invoke(app, ["db", "upgrade", "--db", url]), message)


def test_a_role_without_rights_on_the_database_is_one_line(postgres_server_url: str) -> None:
    role = f"idprotect_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    url = make_url(postgres_server_url).set(username=role).render_as_string(hide_password=False)
    try:
        result = runner.invoke(app, ["db", "upgrade", "--db", url])
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()

    failed_to_start(result, "permission denied")


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = f"sqlite:///{tmp_path / 'x.db'}"
        result = runner.invoke(app, ["serve", "--auth", "off", "--db", db, "--port", str(port)])

    failed_to_start(result, f"cannot listen on 127.0.0.1:{port}: Address already in use")


def test_a_certificate_that_is_not_pem_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    port = str(_unused_port())

    result = runner.invoke(
        app, ["serve", "--db", db, "--port", port, "--tls-cert", str(tmp_path / "cert.pem")]
    )

    failed_to_start(result, "it is not a PEM certificate with its unencrypted private key")


def test_a_certificate_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    tls_dir = str(tmp_path / "a-file" / "tls")

    port = str(_unused_port())
    result = runner.invoke(app, ["serve", "--db", db, "--port", port, "--tls-dir", tls_dir])

    failed_to_start(result, f"Not a directory: {tls_dir}")


def test_a_failure_that_is_a_bug_keeps_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(url: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("idprotect.cli_options.upgrade_database", broken)

    result = runner.invoke(app, ["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}"])

    assert isinstance(result.exception, RuntimeError)


# Another application's database: refused by every command, and left as it was.
def _other_application(path: Path, *statements: str) -> str:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def not_idprotects(url: str, reason: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return (
        f"the database {shown} is not empty and not this idprotect's ({reason}): "
        "idprotect migrates only an empty database or its own"
    )


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS)
def test_another_applications_database_is_refused_and_left_alone(
    command: list[str], tmp_path: Path
) -> None:
    url = _other_application(
        tmp_path / "shop.db",
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY)",
    )

    result = runner.invoke(app, [*command, "--db", url])

    failed_to_start(result, not_idprotects(url, "it holds the tables customers, orders"))
    assert _tables(url) == {"customers", "orders"}


@pytest.mark.parametrize("revision", ["3f2c1b0a9e8d", "0099"], ids=["another", "a newer idprotect"])
def test_a_schema_at_a_revision_this_idprotect_does_not_know_is_refused(
    revision: str, sqlite_url: str
) -> None:
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()

    result = runner.invoke(app, ["db", "upgrade", "--db", sqlite_url])

    reason = (
        f"its schema is at revision '{revision}', which this version of idprotect does not know"
    )
    failed_to_start(result, not_idprotects(sqlite_url, reason))


def test_another_applications_postgresql_database_is_refused(postgres_server_url: str) -> None:
    name = f"idprotect_other_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    other = create_engine(url)
    try:
        with other.begin() as connection:
            connection.execute(text("CREATE TABLE invoices (id integer PRIMARY KEY)"))
        result = runner.invoke(app, ["db", "upgrade", "--db", url])
        tables = set(inspect(other).get_table_names())
    finally:
        other.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    failed_to_start(result, not_idprotects(url, "it holds the tables invoices"))
    assert tables == {"invoices"}


# Help: plain text, every value named, flags as flags, choices as choices.
def _command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[list[str]]:
    yield list(path)
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


COMMAND_PATHS = list(_command_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("command", COMMAND_PATHS, ids=lambda path: " ".join(path) or "idprotect")
def test_help_names_every_value(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])

    assert result.exit_code == 0, result.output
    assert re.search(r"<(bool|str|int|float|list|path)", result.stdout) is None
    assert "╭" not in result.stdout


def test_help_shows_flags_choices_and_ranges() -> None:
    serve = runner.invoke(app, ["serve", "--help"]).stdout
    licence = runner.invoke(app, ["tenant", "set", "--help"]).stdout

    for shown in ("--demo / --no-demo", "--auth <on|off>", "--http <httptools|h11>",
                  "--port PORT", "--db URL", "1<=x<=65535"):  # fmt: skip
        assert shown in serve
    assert "--licence <P2|P1|Free>" in licence


@pytest.mark.parametrize("command", [["--help"], ["serve", "--help"]], ids=" ".join)
def test_help_into_a_pipe_closed_early_says_nothing_more(command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # as `idprotect --help | head -1` once head has exited
    try:
        done = subprocess.run(
            [sys.executable, "-m", "idprotect", *command],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)

    assert done.stderr == ""
    assert done.returncode == 1


def test_the_installed_command_says_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "idprotect", "db", "upgrade", "--db", UNREACHABLE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("Error: cannot use the database postgresql+psycopg://postgres:***@")
