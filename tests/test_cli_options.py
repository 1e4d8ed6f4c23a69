"""Values given on the command line: tenant ids, roles, scopes, directory roles and numbers out
of range are refused before anything starts; tokens that cannot work are minted with a warning."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from httpx import Response
from starlette.testclient import TestClient
from typer.testing import CliRunner, Result

from idprotect.app import create_app
from idprotect.auth.permissions import PERMISSIONS
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.auth.roles import ROLE_NAMES, SECURITY_READER
from idprotect.cli import app
from idprotect.domain.tenants import DEFAULT_LICENCE, Licence, Licences
from idprotect.settings import Settings
from idprotect.store.engine import Database, make_engine

runner = CliRunner()

OTHER_TENANT = "7d0c6a4e-93b1-4c2f-a8e5-1f6b2d9c0e34"
USER = "11111111-2222-4333-8444-555555555555"
KNOWN_PERMISSIONS = ", ".join(sorted(PERMISSIONS))
KNOWN_ROLES = f"{', '.join(sorted(ROLE_NAMES))}, or their template ids"
RISKY_USERS = "/v1.0/identityProtection/riskyUsers"


def refused(result: Result, error: str) -> None:
    """Refused as a bad parameter: exit code 2, nothing on stdout, and `error` in one line."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert [line for line in result.stderr.splitlines() if line.startswith("Error")] == [
        f"Error: {error}"
    ]


def token(url: str, *options: str) -> Result:
    return runner.invoke(app, ["token", "--db", url, *options])


def get_risky_users(url: str, bearer: str) -> Response:
    """GET riskyUsers from a server on `url` that verifies tokens."""
    client = TestClient(create_app(Settings(database_url=url)))
    return client.get(RISKY_USERS, headers={"Authorization": f"Bearer {bearer}"})


def minted(result: Result) -> tuple[dict[str, object], list[str]]:
    """The claims of the token a command printed, and the warnings it gave."""
    assert result.exit_code == 0, result.output
    (token,) = result.stdout.splitlines()
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims, result.stderr.splitlines()


# --tenant: a GUID, on every command that takes it.
TENANT_COMMANDS = {
    "token": ["token", "--app", "playbook", "--roles", "IdentityRiskyUser.Read.All"],
    "app create": ["app", "create", "--name", "SOAR"],
    "app list": ["app", "list"],
    "tenant set": ["tenant", "set", "--licence", "P1"],
    "seed": ["seed", "--demo"],
}


@pytest.mark.parametrize("command", TENANT_COMMANDS.values(), ids=TENANT_COMMANDS)
@pytest.mark.parametrize("tenant", ["contoso", "t1", f"{DEMO_TENANT_ID}x", f"{DEMO_TENANT_ID}\n"])
def test_a_tenant_id_that_is_not_a_guid_is_refused(
    command: list[str], tenant: str, tmp_path: Path
) -> None:
    db = tmp_path / "x.db"

    result = runner.invoke(app, [*command, "--db", f"sqlite:///{db}", "--tenant", tenant])

    refused(
        result,
        f"Invalid value for '--tenant': {tenant!r} is not a tenant id "
        f"(a GUID such as {DEMO_TENANT_ID}).",
    )
    assert not db.exists()  # refused before the database was opened


@pytest.mark.parametrize("user", ["alice", "", f"{USER}x", f"{USER}\n", "x" * 200])
def test_a_user_that_is_not_an_object_id_is_refused(user: str, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    scopes = ["--scopes", "IdentityRiskyUser.Read.All"]

    result = runner.invoke(app, ["token", "--db", f"sqlite:///{db}", "--user", user, *scopes])

    refused(
        result,
        f"Invalid value for '--user': {user!r} is not an object id "
        "(a GUID such as 8f5c0a4e-1b2d-4c3e-9f60-7a8b9c0d1e2f).",
    )
    assert not db.exists()  # refused before the database was opened


def test_a_user_object_id_is_kept_in_lower_case(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"

    claims, _ = minted(token(url, "--user", USER.upper(), "--scopes", "IdentityRiskyUser.Read.All"))

    assert claims["oid"] == USER


def test_a_token_for_a_tenant_unknown_here_warns_and_the_server_creates_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    reader = ["--app", "playbook", "--roles", "IdentityRiskyUser.Read.All"]

    result = token(url, "--tenant", OTHER_TENANT.upper(), *reader)

    claims, warnings = minted(result)
    assert claims["tid"] == OTHER_TENANT  # in lower case, as Entra writes tenant ids
    assert warnings == [
        f"Warning: tenant {OTHER_TENANT} has no data here; it comes into being, with licence "
        f"{DEFAULT_LICENCE.value}, when a server first accepts a token of it."
    ]
    assert get_risky_users(url, result.stdout.strip()).json()["value"] == []
    database = Database(make_engine(url))
    with database.unit_of_work() as store:
        assert store.tenant_licences(OTHER_TENANT) == Licences(DEFAULT_LICENCE)
    assert DEFAULT_LICENCE is Licence.P2
    database.dispose()


def test_a_token_for_a_known_tenant_says_nothing_more(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    runner.invoke(app, ["tenant", "set", "--db", url, "--tenant", OTHER_TENANT, "--licence", "P2"])

    result = token(
        url, "--tenant", OTHER_TENANT, "--app", "p", "--roles", "IdentityRiskyUser.Read.All"
    )

    assert minted(result)[1] == []


# Roles, scopes and directory roles: the ones idprotect checks, by any case.
UNKNOWN = {
    "app role": (
        ["token", "--app", "playbook", "--roles", "IdentityRiskyUser.Read.All,Bogus.Role"],
        f"Invalid value for '--roles': unknown app role 'Bogus.Role'; the known ones: "
        f"{KNOWN_PERMISSIONS}.",
    ),
    "app role of app create": (
        ["app", "create", "--name", "SOAR", "--roles", "User.Read.All"],
        f"Invalid value for '--roles': unknown app role 'User.Read.All'; the known ones: "
        f"{KNOWN_PERMISSIONS}.",
    ),
    "scope": (
        ["token", "--user", USER, "--scopes", "IdentityRiskyUser.Read"],
        f"Invalid value for '--scopes': unknown scope 'IdentityRiskyUser.Read'; the known ones: "
        f"{KNOWN_PERMISSIONS}.",
    ),
    "directory role name": (
        ["token", "--user", USER, "--directory-roles", "Security Reader, Chief Wizard"],
        f"Invalid value for '--directory-roles': unknown directory role 'Chief Wizard'; the "
        f"known ones: {KNOWN_ROLES}.",
    ),
    "directory role template id": (
        ["token", "--user", USER, "--directory-roles", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"],
        "Invalid value for '--directory-roles': unknown directory role "
        f"'88d8e3e3-8f55-4a1e-953a-9b9898b8876b'; the known ones: {KNOWN_ROLES}.",
    ),
}


@pytest.mark.parametrize(("command", "error"), UNKNOWN.values(), ids=UNKNOWN)
def test_unknown_roles_and_scopes_are_refused_naming_the_known_ones(
    command: list[str], error: str, tmp_path: Path
) -> None:
    refused(runner.invoke(app, [*command, "--db", f"sqlite:///{tmp_path / 'x.db'}"]), error)


def test_roles_scopes_and_directory_roles_are_taken_in_any_case(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    roles = "identityriskyuser.read.all, IDENTITYPROTECTION.ADMIN"
    directory_roles = f"security reader,{SECURITY_READER.upper()}"

    app_claims, _ = minted(token(url, "--app", "p", "--roles", roles))
    user_claims, _ = minted(
        token(url, "--user", USER, "--scopes", "identityriskevent.read.all",
              "--directory-roles", directory_roles)
    )  # fmt: skip

    assert app_claims["roles"] == ["IdentityProtection.Admin", "IdentityRiskyUser.Read.All"]
    assert user_claims["scp"] == "IdentityRiskEvent.Read.All"
    assert user_claims["wids"] == [SECURITY_READER]


# Tokens that every Graph endpoint refuses: minted (they test 403s), with a warning.
def test_an_unregistered_app_without_roles_gets_a_token_and_a_warning(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    runner.invoke(app, ["tenant", "set", "--db", url, "--licence", "P2"])

    result = token(url, "--app", "playbook")

    claims, warnings = minted(result)
    assert claims["roles"] == []
    assert warnings == [
        "Warning: the token holds no app roles: every Graph endpoint will answer 403 "
        "(give --roles)."
    ]
    assert get_risky_users(url, result.stdout.strip()).status_code == 403


def test_a_registered_app_gets_its_granted_roles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    created = runner.invoke(
        app,
        ["app", "create", "--db", url, "--name", "SOAR", "--roles", "IdentityRiskyUser.Read.All"],
    )
    client_id = created.stdout.splitlines()[0].removeprefix("client_id=")

    claims, warnings = minted(token(url, "--app", client_id))

    assert claims["roles"] == ["IdentityRiskyUser.Read.All"]
    assert warnings == []


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        (
            [],
            "no scopes: every Graph endpoint will answer 403 (give --scopes and --directory-roles)",
        ),
        (
            ["--scopes", "IdentityRiskyUser.Read.All"],
            "no directory roles: every Graph endpoint will answer 403 (give --directory-roles)",
        ),
    ],
    ids=["no scopes", "no directory roles"],
)
def test_a_user_token_without_scopes_or_roles_warns(
    options: list[str], warning: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    runner.invoke(app, ["tenant", "set", "--db", url, "--licence", "P2"])

    _, warnings = minted(token(url, "--user", USER, *options))

    assert warnings == [f"Warning: the token holds {warning}."]


def test_a_token_names_exactly_one_principal(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["token", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--app", "p", "--user", USER]
    )

    refused(result, "Invalid value for '--app' / '--user': give exactly one of them.")


# Numbers and durations: in a range that makes sense, or refused before anything starts.
OUT_OF_RANGE = {
    "port too large": (["serve", "--port", "99999"], "--port", "less than or equal to 65535"),
    "port 0": (["serve", "--port", "0"], "--port", "greater than or equal to 1"),
    "no workers": (["serve", "--workers", "0"], "--workers", "greater than or equal to 1"),
    "workers": (["serve", "--workers", "1000"], "--workers", "less than or equal to 64"),
    "page size 0": (["serve", "--page-size", "0"], "--page-size", "greater than or equal to 1"),
    "page size": (["serve", "--page-size", "501"], "--page-size", "less than or equal to 500"),
    "busy timeout 0": (["serve", "--busy-timeout", "0"], "--busy-timeout", "greater than"),
    "busy timeout": (["serve", "--busy-timeout", "1e9"], "--busy-timeout", "less than"),
    "busy timeout nan": (["serve", "--busy-timeout", "nan"], "--busy-timeout", "Input should"),
    "body size": (["serve", "--max-body-size", "0"], "--max-body-size", "greater than"),
    "admin body size": (
        ["serve", "--max-admin-body-size", "2000000000"],
        "--max-admin-body-size",
        "less than or equal to 1073741824",
    ),
    "body timeout": (["serve", "--body-timeout", "-1"], "--body-timeout", "greater than"),
    "header timeout": (["serve", "--header-timeout", "inf"], "--header-timeout", "less than"),
    "keep alive": (["serve", "--keep-alive", "0"], "--keep-alive", "greater than"),
    "no inactivity": (
        ["serve", "--ssf-inactivity-timeout", "0s"],
        "--ssf-inactivity-timeout",
        "1s at least",
    ),
    "auth": (["serve", "--auth", "no"], "--auth", "'no' is not one of 'on', 'off'"),
    "http": (["serve", "--http", "x"], "--http", "'x' is not one of 'httptools', 'h11'"),
    "no users": (["seed", "--users", "0"], "--users", "greater than or equal to 1"),
    "users": (["seed", "--users", "100000000"], "--users", "less than or equal to 10000000"),
    "no lifetime": (["token", "--app", "p", "--lifetime", "0s"], "--lifetime", "1s at least"),
    "lifetime": (["token", "--app", "p", "--lifetime", "366d"], "--lifetime", "than a year"),
    "huge lifetime": (
        ["token", "--app", "p", "--lifetime", "9" * 5000 + "d"],
        "--lifetime",
        "is longer than a year (365d)",
    ),
    "not a lifetime": (["token", "--app", "p", "--lifetime", "1 hour"], "--lifetime", "such as"),
    "grace": (["keys", "rotate", "--grace", "24"], "--grace", "not a duration such as 90s"),
    "licence": (
        ["tenant", "set", "--licence", "P3"],
        "--licence",
        "'P3' is not one of 'P2', 'P1', 'Free'",
    ),
}


@pytest.mark.parametrize(("command", "option", "message"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE)
def test_a_value_out_of_range_is_refused_before_anything_starts(
    command: list[str], option: str, message: str, tmp_path: Path
) -> None:
    db = tmp_path / "x.db"

    result = runner.invoke(app, [*command, "--db", f"sqlite:///{db}"])

    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert line.startswith(f"Error: Invalid value for '{option}': ")
    assert message in line
    assert not db.exists()


def test_a_grace_of_no_time_retires_the_old_keys_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    runner.invoke(app, ["keys", "rotate", "--db", url])

    result = runner.invoke(app, ["keys", "rotate", "--db", url, "--grace", "0s"])

    assert result.exit_code == 0, result.output
    states = [
        line.split()[-1]
        for line in runner.invoke(app, ["keys", "list", "--db", url]).stdout.splitlines()[1:]
    ]
    assert states == ["signs", "expired"]
