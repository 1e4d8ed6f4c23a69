"""Sign-in commands: signins import (JSON Lines of Graph signIns or Keycloak events, through
the risk engine), signins lists set and leaked (the threat lists and the breach corpus), and
signins generate (a day of sign-ins with attacks)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, BinaryIO, Literal, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_options import (
    AsJson,
    DbUrl,
    FamiliarityPeriod,
    Lateness,
    LearningPeriod,
    LearningSignIns,
    SprayAccounts,
    SprayWindow,
    TenantId,
    TravelMinDistance,
    TravelSpeed,
    engine_thresholds,
    open_database,
)
from idprotect.domain.signins import SignIn
from idprotect.engine.ingest import MAX_SIGN_INS, ingest_sign_ins
from idprotect.engine.settings import EngineSettings
from idprotect.keycloak import NotASignIn
from idprotect.settings import DEFAULT_DATABASE_URL, Settings
from idprotect.sign_in_files import Format, read_digests, read_networks, read_sign_ins
from idprotect.store.engine import Database

ThreatList = Literal["anonymizer", "malicious"]
# Digests added per unit of work: a breach corpus may hold hundreds of millions.
_DIGESTS_PER_UNIT = 100_000
MAX_GENERATED_USERS = 1_000_000


def file_or_directory(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise typer.BadParameter(f"{text!r} does not exist.")
    return path


InputFile = Annotated[
    Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="The file to read.")
]


@dataclass
class Tally:
    """What an import did: events read, sign-ins new and already there, events that were no
    sign-ins (by type), and detections recorded (by riskEventType)."""

    read: int = 0
    ingested: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    detections: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, object]:
        return {
            "read": self.read,
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "skipped": dict(sorted(self.skipped.items())),
            "detections": dict(sorted(self.detections.items())),
        }

    def as_text(self) -> str:
        rows: list[tuple[str, int, Counter[str] | None]] = [
            ("read", self.read, None),
            ("ingested", self.ingested, None),
        ]
        rows += [("duplicates", self.duplicates, None), ("skipped", 0, self.skipped)]
        rows += [("detections", 0, self.detections)]
        return "\n".join(f"{name:<11} {_count(n, by)}" for name, n, by in rows)


def _count(number: int, by: Counter[str] | None) -> str:
    if not by:
        return str(number)
    kinds = ", ".join(f"{name} {n}" for name, n in sorted(by.items()))
    return f"{by.total()}  ({kinds})"


def import_sign_ins(
    file: InputFile,
    format: Annotated[
        Format,
        typer.Option(
            help="'graph': Graph's signIn shape; 'keycloak': Keycloak's events; 'auto': "
            "either, line by line."
        ),
    ] = "auto",
    tenant: TenantId = DEMO_TENANT_ID,
    db: DbUrl = DEFAULT_DATABASE_URL,
    batch: Annotated[
        int,
        typer.Option(metavar="N", min=1, max=MAX_SIGN_INS, help="Sign-ins per transaction."),
    ] = MAX_SIGN_INS,
    as_json: AsJson = False,
    learning_sign_ins: LearningSignIns = None,
    learning_period: LearningPeriod = None,
    familiarity_period: FamiliarityPeriod = None,
    travel_speed: TravelSpeed = None,
    travel_min_distance: TravelMinDistance = None,
    spray_accounts: SprayAccounts = None,
    spray_window: SprayWindow = None,
    lateness: Lateness = None,
) -> None:
    """Run sign-ins (JSON Lines) through the risk engine, a batch per transaction; a sign-in
    already imported is not imported again. A malformed line stops the import: the batches
    before its own are kept."""
    thresholds = engine_thresholds(
        learning_sign_ins=learning_sign_ins,
        learning_period=learning_period,
        familiarity_period=familiarity_period,
        travel_speed=travel_speed,
        travel_min_distance=travel_min_distance,
        spray_accounts=spray_accounts,
        spray_window=spray_window,
        lateness=lateness,
    )
    settings = Settings(database_url=db, **thresholds).engine_settings()
    tally = Tally()
    database = open_database(db)
    try:
        with file.open("rb") as handle, _progress() as progress:
            task = progress.add_task("Importing sign-ins", total=file.stat().st_size)
            lines = _advancing(handle, progress, task)
            run = _Import(database, tenant, settings, batch, tally)
            run.ingest(read_sign_ins(lines, format))
    except ValueError as exc:
        _show(tally, as_json=as_json)
        _fail(f"{file.name} {exc}; nothing of its batch was saved.")
    finally:
        database.dispose()
    _show(tally, as_json=as_json)


@dataclass
class _Import:
    database: Database
    tenant_id: str
    settings: EngineSettings
    batch: int
    tally: Tally

    def ingest(self, events: Iterable[tuple[int, SignIn | NotASignIn]]) -> None:
        pending: list[SignIn] = []
        for _, event in events:
            self.tally.read += 1
            if isinstance(event, NotASignIn):
                self.tally.skipped[event.type] += 1
                continue
            pending.append(event)
            if len(pending) == self.batch:
                self._save(pending)
                pending = []
        if pending:
            self._save(pending)

    def _save(self, sign_ins: Sequence[SignIn]) -> None:
        with self.database.unit_of_work(write=True) as store:
            done = ingest_sign_ins(
                store, tenant_id=self.tenant_id, sign_ins=sign_ins, settings=self.settings
            )
        self.tally.ingested += done.ingested
        self.tally.duplicates += done.received - done.ingested
        self.tally.detections.update(d.risk_event_type for d in done.detections)


def _progress() -> Progress:
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=Console(stderr=True))


def _advancing(handle: BinaryIO, progress: Progress, task: TaskID) -> Iterator[bytes]:
    for line in handle:
        progress.advance(task, len(line))
        yield line


def _show(tally: Tally, *, as_json: bool) -> None:
    typer.echo(json.dumps(tally.as_json()) if as_json else tally.as_text())


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def replace_threat_list(
    name: Annotated[ThreatList, typer.Argument(metavar="LIST", help="The list to replace.")],
    file: InputFile,
    tenant: TenantId = DEMO_TENANT_ID,
    db: DbUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Replace a threat list with the addresses and CIDR ranges of a file: one a line, `#`
    starting a comment, as Tor's bulk exit list is written."""
    try:
        with file.open(encoding="utf-8") as lines:
            networks = read_networks(lines, file.name)
    except ValueError as exc:
        _fail(str(exc))
    database = open_database(db)
    try:
        with database.unit_of_work(write=True) as store:
            count = store.replace_ip_list(tenant, name, networks)
    finally:
        database.dispose()
    typer.echo(f"The {name} list of tenant {tenant} holds {count} networks.")


def add_leaked_credentials(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            parser=file_or_directory,
            help="SHA-1 digests, a line each; or a range file named by its prefix (PREFIX or "
            "PREFIX.txt, lines SUFFIX:COUNT), or a directory of them.",
        ),
    ],
    tenant: TenantId = DEMO_TENANT_ID,
    db: DbUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Add breached credentials' SHA-1 digests to the tenant's corpus."""
    added = 0
    database = open_database(db)
    try:
        for chunk in _chunks(read_digests(path), _DIGESTS_PER_UNIT):
            with database.unit_of_work(write=True) as store:
                added += store.add_leaked_credentials(tenant, chunk)
    except ValueError as exc:
        _fail(f"{exc}; the {added} digests before it were added.")
    finally:
        database.dispose()
    typer.echo(f"Added {added} digests to the breach corpus of tenant {tenant}.")


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def generate_sign_ins(
    users: Annotated[int, typer.Option(metavar="N", min=1, max=MAX_GENERATED_USERS, help="Users.")],
    day: Annotated[
        datetime, typer.Option(metavar="YYYY-MM-DD", formats=["%Y-%m-%d"], help="The day (UTC).")
    ],
    out: Annotated[Path, typer.Option(metavar="FILE", dir_okay=False, help="Where to write.")],
    seed: Annotated[
        int, typer.Option(metavar="S", help="The same seed gives the same sign-ins.")
    ] = 0,
    feeds: Annotated[
        Path | None,
        typer.Option(
            metavar="DIRECTORY",
            file_okay=False,
            help="Also write there the threat lists the attacks are on: anonymizer.txt and "
            "malicious.txt for 'lists set', leaked.txt for 'lists leaked'.",
        ),
    ] = None,
    history_days: Annotated[
        int,
        typer.Option(
            metavar="D",
            min=0,
            max=90,
            help="Ordinary days written first, for the detectors to learn the users (14: the "
            "longest learning period).",
        ),
    ] = 14,
) -> None:
    """Write a day of N users' sign-ins with attacks (JSON Lines, Graph's signIn shape),
    after the ordinary days before it."""
    from idprotect.seeding.sign_ins import generated_day
    from idprotect.seeding.sign_ins import history_days as ordinary_days

    if feeds is not None:
        _write_feeds(feeds, users, seed)
    start = day.replace(tzinfo=UTC)
    labelled = generated_day(users, start, seed)
    written = 0
    with out.open("w", encoding="utf-8") as file:
        # A day at a time: the days before are made as they are written, never held together.
        for days in itertools.chain(ordinary_days(users, start, history_days, seed), [labelled]):
            for sign_in in days:
                file.write(json.dumps(sign_in.event, separators=(",", ":")) + "\n")
                written += 1
    attacks = Counter(s.attack for s in labelled if s.attack is not None)
    shown = ", ".join(f"{name} {n}" for name, n in sorted(attacks.items())) or "none"
    typer.echo(f"Wrote {written} sign-ins to {out}; attacks: {shown}.", err=True)


def _write_feeds(directory: Path, users: int, seed: int) -> None:
    from idprotect.seeding.sign_ins import threat_feeds

    found = threat_feeds(users, seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in (
        ("anonymizer.txt", found.anonymizers),
        ("malicious.txt", found.malicious),
        ("leaked.txt", found.leaked),
    ):
        (directory / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def register(app: typer.Typer) -> None:
    sign_ins = typer.Typer(
        help="Sign-ins through the risk engine, and what it matches them against.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    sign_ins.command("import")(import_sign_ins)
    sign_ins.command("generate")(generate_sign_ins)
    lists = typer.Typer(
        help="Threat lists and breached credentials.", no_args_is_help=True, rich_markup_mode=None
    )
    lists.command("set")(replace_threat_list)
    lists.command("leaked")(add_leaked_credentials)
    sign_ins.add_typer(lists, name="lists")
    app.add_typer(sign_ins, name="signins")
