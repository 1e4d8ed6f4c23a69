"""Commands of the built-in issuer and tenants: token, keys rotate, app create, tenant set."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from idprotect.auth.client_assertion import load_certificate, thumbprints
from idprotect.auth.issuer import AppRegistration
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.auth.roles import ROLE_NAMES
from idprotect.domain.clock import utc_now
from idprotect.domain.tenants import Licence
from idprotect.identity import (
    DEFAULT_ROTATION_GRACE,
    app_token,
    find_app,
    register_app,
    register_certificate_app,
    rotate_signing_keys,
    unregistered_app,
    user_token,
)
from idprotect.settings import DEFAULT_DATABASE_URL
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database

console = Console(stderr=True)
DbUrl = Annotated[
    str, typer.Option("--db", envvar="IDPROTECT_DATABASE_URL", help="SQLAlchemy database URL.")
]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id.")]
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h`, `7d`."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise typer.BadParameter(f"'{text}' is not a duration such as 90s, 15m, 1h or 7d.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _list(text: str) -> frozenset[str]:
    return frozenset(item.strip() for item in text.split(",") if item.strip())


def _role_ids(text: str) -> frozenset[str]:
    """Directory roles by name ("Security Administrator") or template id."""
    by_name = {name.lower(): role_id for name, role_id in ROLE_NAMES.items()}
    return frozenset(by_name.get(role.lower(), role) for role in _list(text))


def _database(url: str) -> Database:
    upgrade_database(url)
    return Database(make_engine(url))


def token(
    app_id: Annotated[
        str | None, typer.Option("--app", help="Client id: an app-only token.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Object id: a delegated token.")
    ] = None,
    scopes: Annotated[str, typer.Option(help="Delegated scopes, comma-separated.")] = "",
    roles: Annotated[str | None, typer.Option(help="App roles, comma-separated.")] = None,
    directory_roles: Annotated[
        str, typer.Option(help="Directory roles (names or template ids), comma-separated.")
    ] = "",
    lifetime: Annotated[str, typer.Option(help="e.g. 15m, 1h, 1d.")] = "1h",
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: Tenant = DEMO_TENANT_ID,
) -> None:
    """Print a bearer token from the built-in issuer (as the last line)."""
    if (app_id is None) == (user is None):
        console.print("[red]Give exactly one of --app or --user.[/red]")
        raise typer.Exit(2)
    duration, now, database = parse_duration(lifetime), utc_now(), _database(db)
    try:
        if app_id is not None:
            registered = find_app(database, tenant, app_id) or unregistered_app(tenant, app_id)
            granted = _list(roles) if roles is not None else None
            printed = app_token(database, registered, now=now, lifetime=duration, roles=granted)
        else:
            assert user is not None
            printed = user_token(
                database, tenant_id=tenant, object_id=user, scopes=_list(scopes),
                directory_roles=_role_ids(directory_roles), now=now, lifetime=duration,
            )  # fmt: skip
    finally:
        database.dispose()
    print(printed)


def keys_rotate(
    grace: Annotated[str, typer.Option(help="How long old keys keep verifying.")] = "24h",
    db: DbUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Start signing with a new key; the old ones stay valid for the grace period."""
    period = parse_duration(grace) if grace else DEFAULT_ROTATION_GRACE
    database = _database(db)
    try:
        key = rotate_signing_keys(database, utc_now(), period)
    finally:
        database.dispose()
    console.print(f"New signing key {key.kid}; older keys verify for another {grace}.")


def app_create(
    name: Annotated[str, typer.Option(help="Display name.")],
    roles: Annotated[str, typer.Option(help="Granted app roles, comma-separated.")] = "",
    certificate: Annotated[
        Path | None,
        typer.Option(
            help="PEM file with the app's certificate (RSA; its public part is kept): the app "
            "signs in with client assertions instead of a client secret.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: Tenant = DEMO_TENANT_ID,
) -> None:
    """Register an app for the client-credentials grant; prints its client id and its secret
    (or, with --certificate, the certificate's thumbprint)."""
    granted, database = _list(roles), _database(db)
    try:
        if certificate is None:
            app, secret = register_app(database, tenant_id=tenant, display_name=name, roles=granted)
        else:
            app = _register_certificate_app(database, tenant, name, granted, certificate)
    finally:
        database.dispose()
    print(f"client_id={app.client_id}")
    if certificate is None:
        print(f"client_secret={secret}")
    else:
        assert app.certificate_pem is not None
        print(f"thumbprint={thumbprints(load_certificate(app.certificate_pem)).sha1_hex}")


def _register_certificate_app(
    database: Database, tenant: str, name: str, roles: frozenset[str], certificate: Path
) -> AppRegistration:
    try:
        return register_certificate_app(
            database, tenant_id=tenant, display_name=name, roles=roles,
            certificate_pem=certificate.read_text(),
        )  # fmt: skip
    except ValueError as error:
        console.print(f"[red]{certificate}: {error}.[/red]")
        raise typer.Exit(2) from error


def tenant_set(
    licence: Annotated[Licence, typer.Option(help="P2, P1 or Free.")],
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: Tenant = DEMO_TENANT_ID,
) -> None:
    """Create a tenant if needed and set its licence."""
    database = _database(db)
    try:
        with database.unit_of_work(write=True) as store:
            store.set_tenant_licence(tenant, licence)
    finally:
        database.dispose()
    console.print(f"Tenant {tenant}: licence {licence.value}.")


def register(app: typer.Typer) -> None:
    app.command("token")(token)
    keys = typer.Typer(help="The built-in issuer's signing keys.", no_args_is_help=True)
    keys.command("rotate")(keys_rotate)
    app.add_typer(keys, name="keys")
    apps = typer.Typer(help="App registrations (client-credentials grant).", no_args_is_help=True)
    apps.command("create")(app_create)
    app.add_typer(apps, name="app")
    tenants = typer.Typer(help="Tenants and their licences.", no_args_is_help=True)
    tenants.command("set")(tenant_set)
    app.add_typer(tenants, name="tenant")
