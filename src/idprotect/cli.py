"""The command line: serve, seed and db upgrade, calling the same services as the API."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_ops import ServerThrottle
from idprotect.cli_ops import register as register_fault_commands
from idprotect.cli_options import (
    DbUrl,
    FamiliarityPeriod,
    Lateness,
    LearningPeriod,
    LearningSignIns,
    Port,
    SprayAccounts,
    SprayWindow,
    TenantId,
    TravelMinDistance,
    TravelSpeed,
    byte_count,
    engine_thresholds,
    migrate,
    open_database,
    positive_duration,
    seconds,
)
from idprotect.cli_signals import check_transmitters
from idprotect.cli_signals import register as register_signal_commands
from idprotect.cli_signins import register as register_sign_in_commands
from idprotect.cli_startup import Commands, check_port, shown_url, tls_files
from idprotect.cli_tenants import register as register_tenant_commands
from idprotect.domain.clock import utc_now
from idprotect.fixtures import Fixtures, load_fixtures
from idprotect.issuer.cli import register as register_issuer_commands
from idprotect.odata.options import MAX_TOP
from idprotect.ops.logs import uvicorn_log_config
from idprotect.ops.metrics import MULTIPROCESS_DIR
from idprotect.serving import uvicorn_options
from idprotect.settings import DEFAULT_DATABASE_URL, AuthMode, HttpParser, LogFormat, Settings
from idprotect.signals.process import DeliveryMode, DeliveryProcess
from idprotect.store.engine import Database, make_engine

app = typer.Typer(
    cls=Commands,  # a failure to start is one line on stderr (cli_startup.py)
    help="A Microsoft Graph-compatible Identity Protection service.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
console = Console(stderr=True)

MAX_WORKERS = 64
MAX_USERS = 10_000_000  # seed --users: ten times the largest benchmark tenant


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Port = 8000,
    db: DbUrl = DEFAULT_DATABASE_URL,
    workers: Annotated[
        int, typer.Option(metavar="N", min=1, max=MAX_WORKERS, help="Server processes.")
    ] = 1,
    demo: Annotated[bool, typer.Option(help="Load the demo tenant if it is empty.")] = False,
    auth: Annotated[
        AuthMode,
        typer.Option(
            help="'on': verify bearer tokens. 'off' (development only): no tokens; every "
            "caller is the demo tenant's Security Administrator."
        ),
    ] = "on",
    trust_jwks: Annotated[
        list[str] | None,
        typer.Option(metavar="URL", help="Trust the keys at this JWKS URL (Entra-shaped)."),
    ] = None,
    trust_jwks_file: Annotated[
        list[str] | None,
        typer.Option(metavar="FILE", help="Trust the keys in this JWKS file (Entra-shaped)."),
    ] = None,
    trust_discovery: Annotated[
        list[str] | None,
        typer.Option(metavar="URL", help="Trust the issuer of this OpenID discovery document URL."),
    ] = None,
    ssf_transmitter: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ENTRY",
            help="Take Security Event Tokens from this transmitter: 'tenant=GUID;config="
            "SSF_CONFIGURATION_URL[;aud=AUDIENCE][;poll=URL][;authorization=HEADER]' "
            "(docs/signals.md).",
            callback=check_transmitters,
        ),
    ] = None,
    ssf_inactivity_timeout: Annotated[
        timedelta | None,
        typer.Option(
            metavar="DURATION",
            parser=positive_duration,
            help="Disable an SSF stream whose receiver neither polls nor calls the stream API "
            "for this long, e.g. 7d (its inactivity_timeout) [default: none] (docs/signals.md).",
        ),
    ] = None,
    signals_allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST",
            help="Send subscriptions' notifications and push streams' SETs only to this host "
            "(or, as *.example.com, to those below it); repeatable [default: any host].",
        ),
    ] = None,
    strict_actions: Annotated[
        bool, typer.Option(help="Refuse action requests that name unknown user ids.")
    ] = False,
    page_size: Annotated[
        int, typer.Option(metavar="N", min=1, max=MAX_TOP, help="Default page size.")
    ] = 20,
    busy_timeout: Annotated[
        float | None,
        seconds("How long a request waits for a database lock before answering 503 [default: 30]."),
    ] = None,
    max_body_size: Annotated[
        int | None, byte_count("Largest request body [default: 4 MiB].")
    ] = None,
    max_admin_body_size: Annotated[
        int | None, byte_count("Largest /_admin request body [default: 32 MiB].")
    ] = None,
    body_timeout: Annotated[
        float | None, seconds("How long a request body may take to arrive [default: 30].")
    ] = None,
    header_timeout: Annotated[
        float | None,
        seconds("How long a request line and headers may take to arrive [default: 10]."),
    ] = None,
    keep_alive: Annotated[
        int | None,
        seconds(
            "How long an idle connection stays open between requests [default: 5].", whole=True
        ),
    ] = None,
    http: Annotated[
        HttpParser,
        typer.Option(
            help="HTTP/1.1 parser: 'httptools' (faster) or 'h11' (the service itself answers "
            "every method, 405 for those a path does not take)."
        ),
    ] = "httptools",
    access_log: Annotated[
        bool, typer.Option(help="Log every request: one line with its ids, caller and status.")
    ] = True,
    log_format: Annotated[LogFormat, typer.Option(help="Log lines as 'text' or 'json'.")] = "text",
    max_header_size: Annotated[
        int | None, byte_count("Largest request line and headers together [default: 64 KiB].")
    ] = None,
    shutdown_timeout: Annotated[
        float | None,
        seconds("On SIGTERM, how long requests in flight may take to finish [default: 30]."),
    ] = None,
    throttle: ServerThrottle = None,
    metrics: Annotated[bool, typer.Option(help="Serve /metrics (Prometheus).")] = True,
    deliver_signals: Annotated[
        bool,
        typer.Option(help="Deliver the signals outbox from the server (docs/signals.md)."),
    ] = True,
    signals_delivery: Annotated[
        DeliveryMode,
        typer.Option(
            help="Where the server delivers the outbox: 'process', a process of its own "
            "started and stopped with the server, or 'thread', a thread of the server process."
        ),
    ] = "process",
    tls: Annotated[
        bool, typer.Option(help="Serve HTTPS with a generated development certificate.")
    ] = False,
    tls_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIRECTORY",
            help="Where --tls keeps its CA and certificate [default: .idprotect/tls "
            "beside the SQLite database].",
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Serve HTTPS with this certificate (PEM).")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The private key of --tls-cert (PEM).")
    ] = None,
    learning_sign_ins: LearningSignIns = None,
    learning_period: LearningPeriod = None,
    familiarity_period: FamiliarityPeriod = None,
    travel_speed: TravelSpeed = None,
    travel_min_distance: TravelMinDistance = None,
    spray_accounts: SprayAccounts = None,
    spray_window: SprayWindow = None,
    lateness: Lateness = None,
) -> None:
    """Run the service (migrating the database first)."""
    try:
        ssl_certfile, ssl_keyfile = tls_files(tls, tls_dir, tls_cert, tls_key, db, host)
    except ValueError as exc:
        ctx.fail(str(exc))
    settings = Settings(
        database_url=db,
        auth=auth,
        trusted_jwks_urls=tuple(trust_jwks or ()),
        trusted_jwks_files=tuple(trust_jwks_file or ()),
        trusted_discovery_urls=tuple(trust_discovery or ()),
        ssf_transmitters=tuple(ssf_transmitter or ()),
        ssf_inactivity_timeout_seconds=(
            int(ssf_inactivity_timeout.total_seconds()) if ssf_inactivity_timeout else None
        ),
        signals_allowed_hosts=tuple(signals_allowed_host or ()),
        strict_actions=strict_actions,
        default_page_size=page_size,
        deliver_signals=deliver_signals and signals_delivery == "thread",
        http=http,
        request_log=access_log,
        log_format=log_format,
        throttle=throttle or "off",
        metrics=metrics,
        **_given(
            busy_timeout_seconds=busy_timeout,
            max_body_bytes=max_body_size,
            max_admin_body_bytes=max_admin_body_size,
            body_timeout_seconds=body_timeout,
            header_timeout_seconds=header_timeout,
            keep_alive_seconds=keep_alive,
            max_head_bytes=max_header_size,
            shutdown_timeout_seconds=shutdown_timeout,
        ),
        **engine_thresholds(
            learning_sign_ins=learning_sign_ins,
            learning_period=learning_period,
            familiarity_period=familiarity_period,
            travel_speed=travel_speed,
            travel_min_distance=travel_min_distance,
            spray_accounts=spray_accounts,
            spray_window=spray_window,
            lateness=lateness,
        ),
    )
    check_port(host, port)
    migrate(db)
    if demo:
        _load_demo_if_empty(db)
    scheme = "https" if ssl_certfile else "http"
    typer.echo(
        f"idprotect on {scheme}://{host}:{port}  (database {shown_url(db)}, auth {auth})", err=True
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        # The service logs each request itself (ops/logs.py): one line, in --log-format.
        "access_log": False,
        "log_config": uvicorn_log_config(log_format),
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        **uvicorn_options(settings),
    }
    # uvicorn stops on SIGTERM (no new connections, requests in flight finished within
    # --shutdown-timeout, the database disposed), then raises the signal again for the handler
    # it found: this one, so that a clean stop (or one before uvicorn started) exits with 0.
    signal.signal(signal.SIGTERM, _stopped)
    deliverer = DeliveryProcess(db, settings.delivery_settings())
    if deliver_signals and signals_delivery == "process":
        deliverer.start()
    try:
        if workers == 1:
            uvicorn.run(create_app(settings), **options)
        else:
            _serve_workers(settings, workers, options)
    finally:
        deliverer.stop()


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve_workers(settings: Settings, workers: int, options: dict[str, Any]) -> None:
    """Worker processes, their settings in the environment; their metrics in a directory of
    their own, summed by /metrics (none left from another run: it is made now, removed after)."""
    os.environ.update(settings.to_environ())
    made = None
    if settings.metrics and not os.environ.get(MULTIPROCESS_DIR):
        made = os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="idprotect-metrics-")
    try:
        uvicorn.run("idprotect.app:app_from_environ", factory=True, workers=workers, **options)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _given(**options: float | None) -> dict[str, Any]:
    """The options given on the command line; the others keep the Settings' defaults."""
    return {name: value for name, value in options.items() if value is not None}


def _load_demo_if_empty(url: str) -> None:
    from idprotect.seeding.demo import load_demo_tenant

    database = Database(make_engine(url))
    try:
        with database.unit_of_work() as store:
            empty = not store.has_users(DEMO_TENANT_ID)
        if empty:
            load_demo_tenant(database, tenant_id=DEMO_TENANT_ID, now=utc_now())
            console.print(f"Loaded the demo tenant {DEMO_TENANT_ID}.")
    finally:
        database.dispose()


@app.command()
def seed(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option("--demo", help="The demo tenant.")] = False,
    file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="A fixtures JSON file (docs/fixtures.md)."),
    ] = None,
    users: Annotated[
        int | None, typer.Option(metavar="N", min=1, max=MAX_USERS, help="Generate N users.")
    ] = None,
    service_principals: Annotated[
        int,
        typer.Option(
            metavar="N", min=0, max=MAX_USERS, help="With --users: also N service principals."
        ),
    ] = 0,
    agents: Annotated[
        int, typer.Option(metavar="N", min=0, max=MAX_USERS, help="With --users: also N agents.")
    ] = 0,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Load data into a tenant: the demo, a fixtures file, or N generated users (and risky
    service principals and agents)."""
    if sum((demo, file is not None, users is not None)) != 1:
        ctx.fail("Give exactly one of --demo, --file or --users.")
    if users is None and (service_principals or agents):
        ctx.fail("--service-principals and --agents go with --users.")
    database = open_database(db)
    try:
        if demo:
            from idprotect.seeding.demo import load_demo_tenant

            load_demo_tenant(database, tenant_id=tenant, now=utc_now())
        elif file is not None:
            _seed_file(database, file, tenant)
        elif users is not None:
            _seed_generated(database, tenant, users, service_principals, agents)
    finally:
        database.dispose()
    console.print(f"Seeded tenant {tenant}.")


def _seed_file(database: Database, file: Path, tenant: str) -> None:
    try:
        fixtures = Fixtures.model_validate_json(file.read_text(encoding="utf-8"), strict=True)
    except (OSError, ValueError, ValidationError) as exc:
        console.print(f"[red]Cannot load {file}: {exc}[/red]")
        raise typer.Exit(1) from None
    with database.unit_of_work(write=True) as store:
        load_fixtures(
            store, tenant_id=fixtures.tenant_id or tenant, fixtures=fixtures, clock=utc_now
        )


def _seed_generated(
    database: Database, tenant: str, users: int, service_principals: int, agents: int
) -> None:
    from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, PrincipalKind
    from idprotect.seeding.generate import generate_tenant

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Generating users", total=users)
        indexes = progress.add_task("Building indexes", visible=False, start=False)
        kinds = {
            kind.name: progress.add_task(f"Generating {kind.plural}", total=count, start=False)
            for kind, count in ((SERVICE_PRINCIPAL, service_principals), (AGENT, agents))
            if count
        }

        def indexing(built: int, total: int) -> None:
            progress.start_task(indexes)  # its clock starts with the first index
            progress.update(indexes, completed=built, total=total, visible=True)

        def generating(kind: PrincipalKind, done: int) -> None:
            progress.start_task(kinds[kind.name])  # its clock starts with its first batch
            progress.update(kinds[kind.name], completed=done)

        generate_tenant(
            database,
            tenant_id=tenant,
            users=users,
            service_principals=service_principals,
            agents=agents,
            now=utc_now(),
            progress=lambda done: progress.update(task, completed=done),
            index_progress=indexing,
            kind_progress=generating,
        )


@db_app.command("upgrade")
def db_upgrade(db: DbUrl = DEFAULT_DATABASE_URL) -> None:
    """Apply all schema migrations, and build any index an interrupted seed left out."""
    migrate(db)
    console.print("Database schema is up to date.")


register_issuer_commands(app)
register_tenant_commands(app)
register_sign_in_commands(app)
register_signal_commands(app)
register_fault_commands(app)


def main() -> None:
    app()
