"""The command line: serve, seed and db upgrade, calling the same services as the API."""

from __future__ import annotations

import os
import socket
import ssl
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_identity import register as register_identity_commands
from idprotect.cli_startup import Commands, StartupError
from idprotect.domain.clock import utc_now
from idprotect.fixtures import Fixtures, load_fixtures
from idprotect.serving import uvicorn_options
from idprotect.settings import DEFAULT_DATABASE_URL, AuthMode, Settings
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database
from idprotect.tls import resolve_tls

app = typer.Typer(
    cls=Commands,  # a failure to start is one line on stderr (cli_startup.py)
    help="A Microsoft Graph-compatible Identity Protection service.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)

DbUrl = Annotated[
    str,
    typer.Option("--db", envvar="IDPROTECT_DATABASE_URL", help="SQLAlchemy database URL."),
]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id.")]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbUrl = DEFAULT_DATABASE_URL,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    demo: Annotated[bool, typer.Option(help="Load the demo tenant if it is empty.")] = False,
    auth: Annotated[
        str,
        typer.Option(
            help="'on': verify bearer tokens. 'off' (development only): no tokens; every "
            "caller is the demo tenant's Security Administrator."
        ),
    ] = "on",
    trust_jwks: Annotated[
        list[str] | None, typer.Option(help="Trust the keys at this JWKS URL (Entra-shaped).")
    ] = None,
    trust_jwks_file: Annotated[
        list[str] | None, typer.Option(help="Trust the keys in this JWKS file (Entra-shaped).")
    ] = None,
    trust_discovery: Annotated[
        list[str] | None,
        typer.Option(help="Trust the issuer of this OpenID discovery document URL."),
    ] = None,
    strict_actions: Annotated[
        bool, typer.Option(help="Refuse action requests that name unknown user ids.")
    ] = False,
    page_size: Annotated[int, typer.Option(min=1, max=500, help="Default page size.")] = 20,
    busy_timeout: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Seconds a request waits for a database lock before answering 503.",
        ),
    ] = 30.0,
    max_body_size: Annotated[
        int | None,
        typer.Option(min=1, help="Largest request body, in bytes [default: 4 MiB]."),
    ] = None,
    max_admin_body_size: Annotated[
        int | None,
        typer.Option(min=1, help="Largest /_admin request body, in bytes [default: 32 MiB]."),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option(min=0.001, help="Seconds a request body may take to arrive [default: 30]."),
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001, help="Seconds a request line and headers may take to arrive [default: 10]."
        ),
    ] = None,
    keep_alive: Annotated[
        int | None,
        typer.Option(
            min=1, help="Seconds an idle connection stays open between requests [default: 5]."
        ),
    ] = None,
    http: Annotated[
        str,
        typer.Option(
            help="HTTP/1.1 parser: 'httptools' (faster) or 'h11' (the service itself answers "
            "every method, 405 for those a path does not take)."
        ),
    ] = "httptools",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    tls: Annotated[
        bool, typer.Option(help="Serve HTTPS with a generated development certificate.")
    ] = False,
    tls_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where --tls keeps its CA and certificate [default: .idprotect/tls "
            "beside the SQLite database]."
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this certificate (PEM).")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="The private key of --tls-cert (PEM).")
    ] = None,
) -> None:
    """Run the service (migrating the database first)."""
    if auth not in ("on", "off"):
        console.print("[red]--auth is 'on' or 'off'.[/red]")
        raise typer.Exit(2)
    if http not in ("httptools", "h11"):
        console.print("[red]--http is 'httptools' or 'h11'.[/red]")
        raise typer.Exit(2)
    ssl_certfile, ssl_keyfile = _tls_files(tls, tls_dir, tls_cert, tls_key, db, host)
    mode: AuthMode = "on" if auth == "on" else "off"
    settings = Settings(
        database_url=db,
        auth=mode,
        trusted_jwks_urls=tuple(trust_jwks or ()),
        trusted_jwks_files=tuple(trust_jwks_file or ()),
        trusted_discovery_urls=tuple(trust_discovery or ()),
        strict_actions=strict_actions,
        default_page_size=page_size,
        busy_timeout_seconds=busy_timeout,
        http="h11" if http == "h11" else "httptools",
        **_given(
            max_body_bytes=max_body_size,
            max_admin_body_bytes=max_admin_body_size,
            body_timeout_seconds=body_timeout,
            header_timeout_seconds=header_timeout,
            keep_alive_seconds=keep_alive,
        ),
    )
    _check_port(host, port)
    upgrade_database(db)
    if demo:
        _load_demo_if_empty(db)
    scheme = "https" if ssl_certfile else "http"
    console.print(f"idprotect on {scheme}://{host}:{port}  (database {db}, auth {mode})")
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            access_log=access_log,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            **uvicorn_options(settings),
        )
        return
    os.environ.update(settings.to_environ())
    uvicorn.run(
        "idprotect.app:app_from_environ",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        **uvicorn_options(settings),
    )


def _given(**options: float | None) -> dict[str, Any]:
    """The options given on the command line; the others keep the Settings' defaults."""
    return {name: value for name, value in options.items() if value is not None}


def _tls_files(
    tls: bool, tls_dir: Path | None, cert: Path | None, key: Path | None, db: str, host: str
) -> tuple[str | None, str | None]:
    """The certificate and key files for uvicorn, from the TLS options (None: plain HTTP)."""
    try:
        files = resolve_tls(
            tls=tls, tls_dir=tls_dir, tls_cert=cert, tls_key=key, database_url=db, host=host
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if files is None:
        return None, None
    try:  # as uvicorn will, so that a certificate it cannot use is said before it starts
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.certfile, files.keyfile, password=lambda: b"")
    except ssl.SSLError as exc:
        raise StartupError(
            f"cannot serve HTTPS with {files.certfile}: it is not a PEM certificate with its "
            f"unencrypted private key ({exc.strerror})"
        ) from None
    if files.ca_certfile is not None:
        console.print(f"Development CA certificate (let clients trust it): {files.ca_certfile}")
    return str(files.certfile), str(files.keyfile) if files.keyfile else None


def _check_port(host: str, port: int) -> None:
    """Bind as uvicorn will, so that a port in use is said before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


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
    demo: Annotated[bool, typer.Option("--demo", help="The demo tenant.")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="A fixtures JSON file (docs/fixtures.md).")
    ] = None,
    users: Annotated[int | None, typer.Option("--users", min=1, help="Generate N users.")] = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: Tenant = DEMO_TENANT_ID,
) -> None:
    """Load data into a tenant: the demo, a fixtures file, or N generated users."""
    if sum((demo, file is not None, users is not None)) != 1:
        console.print("[red]Give exactly one of --demo, --file or --users.[/red]")
        raise typer.Exit(2)
    upgrade_database(db)
    database = Database(make_engine(db))
    try:
        if demo:
            from idprotect.seeding.demo import load_demo_tenant

            load_demo_tenant(database, tenant_id=tenant, now=utc_now())
        elif file is not None:
            _seed_file(database, file, tenant)
        elif users is not None:
            _seed_generated(database, users, tenant)
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


def _seed_generated(database: Database, users: int, tenant: str) -> None:
    from idprotect.seeding.generate import generate_tenant

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Generating users", total=users)
        generate_tenant(
            database,
            tenant_id=tenant,
            users=users,
            now=utc_now(),
            progress=lambda done: progress.update(task, completed=done),
        )


@db_app.command("upgrade")
def db_upgrade(db: DbUrl = DEFAULT_DATABASE_URL) -> None:
    """Apply all schema migrations."""
    upgrade_database(db)
    console.print("Database schema is up to date.")


register_identity_commands(app)


def main() -> None:
    app()
