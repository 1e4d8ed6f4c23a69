"""signins import, lists set, lists leaked and generate: both formats of sign-ins, a second
import, malformed lines, Tor's exit list, range files of breached passwords, the engine's
thresholds; what they load is found through the API."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli import app
from idprotect.engine.settings import DEFAULT_SETTINGS
from idprotect.settings import Settings
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client

runner = CliRunner()
# The API with `--auth off` is the demo tenant's.
TENANT = DEMO_TENANT_ID
OTHER_TENANT = "7d0c6a4e-93b1-4c2f-a8e5-1f6b2d9c0e34"
ALICE = "0f8fad5b-d9cb-469f-a165-70867728950e"
BOB = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TOR_EXIT = "185.220.101.34"
PASSWORD_SHA1 = hashlib.sha1(b"password").hexdigest().upper()
DETECTIONS = "/v1.0/identityProtection/riskDetections"


def graph(number: int, **overrides: Any) -> dict[str, Any]:
    """A sign-in in Graph's shape, `number` minutes after AT."""
    created = (AT + timedelta(minutes=number)).isoformat().replace("+00:00", "Z")
    event = {
        "id": f"graph-{number}",
        "createdDateTime": created,
        "userId": ALICE,
        "userPrincipalName": "alice@contoso.com",
        "ipAddress": "198.51.100.23",
        "status": {"errorCode": 0},
    }
    return event | overrides


def keycloak(number: int, **overrides: Any) -> dict[str, Any]:
    """A Keycloak LOGIN, `number` minutes after AT."""
    event = {
        "id": f"keycloak-{number}",
        "time": int((AT + timedelta(minutes=number)).timestamp() * 1000),
        "type": "LOGIN",
        "realmId": "corp",
        "clientId": "account-console",
        "userId": ALICE,
        "sessionId": f"session-{number}",
        "ipAddress": "198.51.100.23",
        "details": {"auth_method": "openid-connect", "username": "alice"},
    }
    return event | overrides


def write_lines(path: Path, *events: dict[str, Any] | str) -> Path:
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def signins(
    url: str, *arguments: str, tenant: str = TENANT, env: dict[str, str] | None = None
) -> Result:
    return runner.invoke(app, ["signins", *arguments, "--db", url, "--tenant", tenant], env=env)


def imported(
    url: str,
    file: Path,
    *options: str,
    tenant: str = TENANT,
    env: dict[str, str] | None = None,
) -> Any:
    result = signins(url, "import", str(file), "--json", *options, tenant=tenant, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def detections(url: str) -> list[tuple[str, str]]:
    """The tenant's riskDetections as the API lists them: (riskEventType, ipAddress)."""
    database = Database(make_engine(url))
    try:
        client = make_client(database, FakeClock(), auth="off")
        response = client.get(DETECTIONS)
    finally:
        database.dispose()
    assert response.status_code == 200, response.text
    return sorted((d["riskEventType"], d["ipAddress"]) for d in response.json()["value"])


def stored_ids(url: str, ids: list[str]) -> set[str]:
    database = Database(make_engine(url))
    try:
        with database.unit_of_work() as store:
            return store.existing_sign_in_ids(TENANT, ids)
    finally:
        database.dispose()


def test_both_formats_are_imported_line_by_line(tmp_path: Path, database_url: str) -> None:
    file = write_lines(
        tmp_path / "events.jsonl",
        keycloak(0),
        graph(1),
        keycloak(2, type="LOGOUT"),
        "",
        keycloak(3, type="LOGIN_ERROR", error="invalid_user_credentials", sessionId=None),
    )

    summary = imported(database_url, file)

    assert summary == {
        "read": 4,
        "ingested": 3,
        "duplicates": 0,
        "skipped": {"LOGOUT": 1},
        "detections": {},
    }
    assert stored_ids(database_url, ["keycloak-0", "graph-1", "keycloak-2", "keycloak-3"]) == {
        "keycloak-0",
        "graph-1",
        "keycloak-3",
    }


def test_a_second_import_counts_duplicates(tmp_path: Path, sqlite_url: str) -> None:
    file = write_lines(tmp_path / "events.jsonl", *(keycloak(n) for n in range(5)), keycloak(0))

    first = imported(sqlite_url, file, "--batch", "2")
    again = imported(sqlite_url, file, "--batch", "2")

    assert (first["ingested"], first["duplicates"]) == (5, 1)  # the file's own repetition
    assert (again["ingested"], again["duplicates"]) == (0, 6)


def test_the_summary_is_text_and_the_progress_on_stderr(tmp_path: Path, sqlite_url: str) -> None:
    file = write_lines(tmp_path / "events.jsonl", keycloak(0), keycloak(1, type="CODE_TO_TOKEN"))

    result = signins(sqlite_url, "import", str(file))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "read        2",
        "ingested    1",
        "duplicates  0",
        "skipped     1  (CODE_TO_TOKEN 1)",
        "detections  0",
    ]
    assert "Importing sign-ins" in result.stderr
    assert "100%" in result.stderr


def test_a_malformed_line_stops_the_import_and_its_batch_is_not_saved(
    tmp_path: Path, database_url: str
) -> None:
    file = write_lines(
        tmp_path / "events.jsonl",
        keycloak(0),
        graph(1),
        keycloak(2),
        graph(3, createdDateTime="yesterday"),
        keycloak(4),
    )

    result = signins(database_url, "import", str(file), "--batch", "2", "--json")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: events.jsonl line 4: createdDateTime: Input should be a valid datetime or date, "
        "input is too short; nothing of its batch was saved."
    )
    assert json.loads(result.stdout)["ingested"] == 2
    ids = ["keycloak-0", "graph-1", "keycloak-2", "graph-3", "keycloak-4"]
    assert stored_ids(database_url, ids) == {"keycloak-0", "graph-1"}


@pytest.mark.parametrize(
    ("line", "options", "error"),
    [
        ("{not json", (), "line 2: not JSON (Expecting property name enclosed in double quotes"),
        ('"a string"', (), "line 2: a sign-in is a JSON object"),
        ('{"id": "x"}', (), "line 2: neither a Graph signIn (it has no createdDateTime) nor"),
        (
            json.dumps(keycloak(1)),
            ("--format", "graph"),
            "line 2: createdDateTime: Field required (and",
        ),
        (json.dumps(graph(1)), ("--format", "keycloak"), "line 2: type: Field required"),
        (json.dumps(keycloak(1, userId=None)), (), "line 2: a LOGIN event must name its user"),
        (json.dumps([keycloak(1), keycloak(2, time="now")]), (), "line 2: time: Input should be"),
    ],
)
def test_malformed_lines_are_named(
    tmp_path: Path, sqlite_url: str, line: str, options: tuple[str, ...], error: str
) -> None:
    first = graph(0) if "graph" in options else keycloak(0)
    file = write_lines(tmp_path / "events.jsonl", first, line)

    result = signins(sqlite_url, "import", str(file), *options)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"Error: events.jsonl {error}")
    assert stored_ids(sqlite_url, [first["id"]]) == set()


def test_a_line_may_hold_the_array_keycloaks_api_answers(tmp_path: Path, sqlite_url: str) -> None:
    file = write_lines(tmp_path / "events.json", json.dumps([keycloak(0), keycloak(1)]))

    assert imported(sqlite_url, file)["ingested"] == 2


TOR_BULK_EXIT_LIST = f"""\
# Tor's bulk exit list: an address a line
{TOR_EXIT}
185.220.101.35
2001:67c:e60:c0c:192:42:116:16
"""
EXIT_ADDRESSES = """\
ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E
Published 2026-02-28 20:52:13
LastStatus 2026-02-28 23:00:00
ExitAddress 162.247.74.201 2026-02-28 23:04:44
"""


def test_a_sign_in_from_a_tor_exit_is_anonymized(tmp_path: Path, database_url: str) -> None:
    tor = tmp_path / "torbulkexitlist"
    tor.write_text(TOR_BULK_EXIT_LIST + EXIT_ADDRESSES, encoding="utf-8")

    result = signins(database_url, "lists", "set", "anonymizer", str(tor))
    file = write_lines(tmp_path / "events.jsonl", keycloak(0, ipAddress=TOR_EXIT))
    summary = imported(database_url, file)

    assert result.stdout == f"The anonymizer list of tenant {TENANT} holds 4 networks.\n"
    assert summary["detections"] == {"anonymizedIPAddress": 1}
    assert detections(database_url) == [("anonymizedIPAddress", TOR_EXIT)]


def test_a_sign_in_from_a_malicious_range(tmp_path: Path, sqlite_url: str) -> None:
    ranges = tmp_path / "malicious.txt"
    ranges.write_text("203.0.113.0/24  # a botnet\n\n2001:db8::/32\n", encoding="utf-8")

    result = signins(sqlite_url, "lists", "set", "malicious", str(ranges))
    file = write_lines(tmp_path / "events.jsonl", graph(0, ipAddress="203.0.113.77"))
    imported(sqlite_url, file)

    assert result.stdout == f"The malicious list of tenant {TENANT} holds 2 networks.\n"
    assert detections(sqlite_url) == [("maliciousIPAddress", "203.0.113.77")]


def test_setting_a_list_again_replaces_it(tmp_path: Path, sqlite_url: str) -> None:
    tor = tmp_path / "tor.txt"
    tor.write_text(f"{TOR_EXIT}\n", encoding="utf-8")
    signins(sqlite_url, "lists", "set", "anonymizer", str(tor))
    tor.write_text("# emptied\n", encoding="utf-8")

    result = signins(sqlite_url, "lists", "set", "anonymizer", str(tor))
    imported(sqlite_url, write_lines(tmp_path / "e.jsonl", keycloak(0, ipAddress=TOR_EXIT)))

    assert result.stdout == f"The anonymizer list of tenant {TENANT} holds 0 networks.\n"
    assert detections(sqlite_url) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("10.0.0.1\nnot-an-address\n", "line 2: 'not-an-address' must be an IP address or a CIDR"),
        ("10.0.0.1 10.0.0.2\n", "line 1: an address or CIDR range is one word"),
    ],
)
def test_a_malformed_list_changes_nothing(
    tmp_path: Path, sqlite_url: str, text: str, error: str
) -> None:
    file = tmp_path / "list.txt"
    file.write_text(text, encoding="utf-8")

    result = signins(sqlite_url, "lists", "set", "anonymizer", str(file))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: list.txt {error}")


def range_directory(tmp_path: Path) -> Path:
    """Range files as the breached-password range API serves them: CRLF lines of the suffix
    and its count, padded with entries of count 0."""
    directory = tmp_path / "ranges"
    directory.mkdir()
    suffix = PASSWORD_SHA1[5:]
    (directory / f"{PASSWORD_SHA1[:5]}.txt").write_text(
        f"003D68EB55068C33ACE09247EE4C639306B:3\r\n{suffix}:10434004\r\n"
        "0123456789ABCDEF0123456789ABCDEF012:0\r\n",
        encoding="ascii",
    )
    (directory / "00000").write_text("0005AD76BD555C1D6D771DE417A4B87E4B4:10\n", encoding="ascii")
    return directory


def test_a_sign_in_with_a_leaked_credential(tmp_path: Path, database_url: str) -> None:
    result = signins(database_url, "lists", "leaked", str(range_directory(tmp_path)))
    file = write_lines(tmp_path / "events.jsonl", graph(0, credentialHashes=[PASSWORD_SHA1]))
    summary = imported(database_url, file)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Added 3 digests to the breach corpus of tenant {TENANT}.\n"
    assert summary["detections"] == {"leakedCredentials": 1}
    assert detections(database_url) == [("leakedCredentials", None)]


def test_a_file_of_digests(tmp_path: Path, sqlite_url: str) -> None:
    file = tmp_path / "leaked.txt"
    file.write_text(f"# from a breach\n{PASSWORD_SHA1.lower()}\n{'A' * 40}:12\n", "utf-8")

    result = signins(sqlite_url, "lists", "leaked", str(file))

    assert result.stdout == f"Added 2 digests to the breach corpus of tenant {TENANT}.\n"


def test_a_range_file_given_alone(tmp_path: Path, sqlite_url: str) -> None:
    file = range_directory(tmp_path) / f"{PASSWORD_SHA1[:5]}.txt"

    result = signins(sqlite_url, "lists", "leaked", str(file))

    assert result.stdout == f"Added 2 digests to the breach corpus of tenant {TENANT}.\n"


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("leaked.txt", f"{PASSWORD_SHA1[5:]}:3\n", "leaked.txt line 1: '"),
        ("5BAA6.txt", "not-a-digest\n", "5BAA6.txt line 1: 'not-a-digest' is not a SHA-1 digest"),
        ("README.md", "ranges\n", "a directory holds range files, each named by its prefix"),
    ],
)
def test_malformed_digests_are_named(
    tmp_path: Path, sqlite_url: str, name: str, text: str, error: str
) -> None:
    directory = tmp_path / "corpus"
    directory.mkdir()
    (directory / name).write_text(text, encoding="utf-8")
    given = directory if name == "README.md" else directory / name

    result = signins(sqlite_url, "lists", "leaked", str(given))

    assert result.exit_code == 1
    assert error in result.stderr
    assert "the 0 digests before it were added" in result.stderr


def spray(tmp_path: Path, accounts: int) -> Path:
    """`accounts` accounts failing from one address within minutes."""
    events = [
        keycloak(
            n,
            type="LOGIN_ERROR",
            error="user_not_found",
            userId=None,
            sessionId=None,
            ipAddress="203.0.113.9",
            details={"username": f"user{n}"},
        )
        for n in range(accounts)
    ]
    return write_lines(tmp_path / "spray.jsonl", *events)


def test_the_engine_thresholds_are_options(tmp_path: Path, sqlite_url: str) -> None:
    file = spray(tmp_path, 3)

    default = imported(sqlite_url, file, tenant=OTHER_TENANT)
    lowered = imported(sqlite_url, file, "--spray-accounts", "3")

    assert default["detections"] == {}
    assert lowered["detections"] == {"passwordSpray": 3}
    assert detections(sqlite_url) == [("passwordSpray", "203.0.113.9")] * 3


def test_the_engine_thresholds_may_come_from_the_environment(
    tmp_path: Path, sqlite_url: str
) -> None:
    summary = imported(sqlite_url, spray(tmp_path, 3), env={"IDPROTECT_SPRAY_ACCOUNTS": "3"})

    assert summary["detections"] == {"passwordSpray": 3}


def test_the_api_takes_the_thresholds_of_its_settings(sqlite_database: Database) -> None:
    client = make_client(sqlite_database, FakeClock(), spray_accounts=3)
    failures = [
        graph(n, userId=f"{n:08d}-0000-4000-8000-000000000000", status={"errorCode": 50126})
        for n in range(3)
    ]

    response = client.post(f"/_admin/tenants/{TENANT}/signIns", json={"value": failures})

    assert response.status_code == 200, response.text
    assert {d["riskEventType"] for d in response.json()["detections"]} == {"passwordSpray"}


def test_settings_carry_the_thresholds_to_worker_processes() -> None:
    settings = Settings(spray_accounts=3, spray_window_seconds=600, lateness_seconds=0)

    assert Settings().engine_settings() == DEFAULT_SETTINGS
    assert Settings.from_environ(settings.to_environ()) == settings
    engine = settings.engine_settings()
    assert (engine.spray_accounts, engine.spray_window, engine.lateness) == (
        3,
        timedelta(minutes=10),
        timedelta(0),
    )


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--spray-window", "0s", "'0s' is no time at all: give 1s at least."),
        ("--learning-period", "2y", "'2y' is not a duration such as 90s, 15m, 1h or 7d."),
        ("--spray-accounts", "0", "Input should be greater than or equal to 1"),
    ],
)
def test_thresholds_out_of_range_are_refused(
    tmp_path: Path, sqlite_url: str, option: str, value: str, error: str
) -> None:
    file = write_lines(tmp_path / "events.jsonl", keycloak(0))

    result = signins(sqlite_url, "import", str(file), option, value)

    assert result.exit_code == 2
    assert error in result.stderr


def test_serve_passes_the_thresholds_to_the_app(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    built: list[Settings] = []
    monkeypatch.setattr("idprotect.cli.create_app", built.append)
    monkeypatch.setattr("idprotect.cli.uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("idprotect.cli.check_port", lambda *args: None)

    result = runner.invoke(
        app,
        ["serve", "--db", sqlite_url, "--travel-speed", "1200", "--lateness", "2h"],
        env={"IDPROTECT_SPRAY_WINDOW": "5m"},
    )

    assert result.exit_code == 0, result.output
    engine = built[0].engine_settings()
    assert (engine.travel_speed_kmh, engine.lateness, engine.spray_window) == (
        1200.0,
        timedelta(hours=2),
        timedelta(minutes=5),
    )
    assert engine.spray_accounts == DEFAULT_SETTINGS.spray_accounts


def test_a_generated_day_is_written_and_imported(tmp_path: Path, sqlite_url: str) -> None:
    pytest.importorskip("idprotect.seeding.sign_ins")
    out = tmp_path / "day.jsonl"
    command = ["signins", "generate", "--users", "20", "--day", "2026-03-02", "--seed", "7"]

    result = runner.invoke(app, [*command, "--out", str(out)])
    alone = tmp_path / "alone.jsonl"
    runner.invoke(app, [*command, "--history-days", "0", "--out", str(alone)])
    days = {json.loads(line)["createdDateTime"][:10] for line in alone.read_text().splitlines()}
    assert min(days) == "2026-03-02"  # no ordinary day before it
    first = out.read_text(encoding="utf-8")
    runner.invoke(app, [*command, "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == first  # the same seed, the same day
    events = [json.loads(line) for line in first.splitlines()]
    assert events
    # The two weeks before the day come first, for the detectors to learn the users.
    assert min(e["createdDateTime"] for e in events).startswith("2026-02-16")
    assert max(e["createdDateTime"] for e in events) < "2026-03-04"  # the day, from its start
    assert result.stderr.startswith(f"Wrote {len(events)} sign-ins to {out}; attacks: ")
    assert imported(sqlite_url, out)["ingested"] == len({e["id"] for e in events})


def test_a_generated_day_with_its_feeds_finds_its_attacks(tmp_path: Path, sqlite_url: str) -> None:
    pytest.importorskip("idprotect.seeding.sign_ins")
    out, feeds = tmp_path / "day.jsonl", tmp_path / "feeds"
    command = ["signins", "generate", "--users", "20", "--day", "2026-03-02", "--seed", "7"]

    result = runner.invoke(app, [*command, "--out", str(out), "--feeds", str(feeds)])
    for name in ("anonymizer", "malicious"):
        listed = signins(sqlite_url, "lists", "set", name, str(feeds / f"{name}.txt"))
        assert listed.exit_code == 0, listed.output
    assert signins(sqlite_url, "lists", "leaked", str(feeds / "leaked.txt")).exit_code == 0
    summary = imported(sqlite_url, out)

    assert result.exit_code == 0, result.output
    found = set(summary["detections"])
    assert {"anonymizedIPAddress", "maliciousIPAddress", "leakedCredentials"} <= found
