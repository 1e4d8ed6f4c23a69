"""Commands of the built-in issuer and tenants: token, keys rotate, app create, tenant set."""

from __future__ import annotations

from typing import Annotated

import typer

from idprotect.auth.client_assertion import load_certificate, thumbprints
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_lists import app_list, keys_list, tenant_list
from idprotect.cli_options import (
    DbUrl,
    TenantId,
    app_roles,
    directory_roles,
    grace,
    lifetime,
    open_database,
    parse_duration,
    scopes,
)
from idprotect.domain.clock import utc_now
from idprotect.domain.tenants import DEFAULT_LICENCE, Licence
from idprotect.identity import (
    app_token,
    find_app,
    register_app,
    register_certificate_app,
    rotate_signing_keys,
    unregistered_app,
    user_token,
)
from idprotect.settings import DEFAULT_DATABASE_URL
from idprotect.store.engine import Database

_NAME_LENGTH = 256  # app_registrations.display_name


def token(
    app_id: Annotated[
        str | None, typer.Option("--app", metavar="CLIENT_ID", help="An app-only token.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="OBJECT_ID", help="A delegated token.")
    ] = None,
    granted_scopes: Annotated[
        frozenset[str] | None,
        typer.Option(
            "--scopes", metavar="SCOPES", parser=scopes, help="Delegated scopes, comma-separated."
        ),
    ] = None,
    roles: Annotated[
        frozenset[str] | None,
        typer.Option(
            metavar="ROLES",
            parser=app_roles,
            help="App roles, comma-separated [default: a registered app's].",
        ),
    ] = None,
    wids: Annotated[
        frozenset[str] | None,
        typer.Option(
            "--directory-roles",
            metavar="ROLES",
            parser=directory_roles,
            help="Directory roles (names or template ids), comma-separated.",
        ),
    ] = None,
    life: Annotated[
        str,
        typer.Option("--lifetime", metavar="DURATION", callback=lifetime, help="e.g. 15m, 1h, 1d."),
    ] = "1h",
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Print a bearer token from the built-in issuer (as the last line)."""
    if (app_id is None) == (user is None):
        raise typer.BadParameter("give exactly one of them.", param_hint=["--app", "--user"])
    duration, now, database = parse_duration(life), utc_now(), open_database(db)
    try:
        _warn_of_unknown_tenant(database, tenant)
        if app_id is not None:
            registered = find_app(database, tenant, app_id) or unregistered_app(tenant, app_id)
            _warn_of_no_access(
                registered.app_roles if roles is None else roles, "app roles", "--roles"
            )
            printed = app_token(database, registered, now=now, lifetime=duration, roles=roles)
        else:
            assert user is not None
            _warn_of_no_access(granted_scopes, "scopes", "--scopes and --directory-roles")
            if granted_scopes:
                _warn_of_no_access(wids, "directory roles", "--directory-roles")
            printed = user_token(
                database, tenant_id=tenant, object_id=user, scopes=granted_scopes or frozenset(),
                directory_roles=wids or frozenset(), now=now, lifetime=duration,
            )  # fmt: skip
    finally:
        database.dispose()
    print(printed)


def _warn_of_unknown_tenant(database: Database, tenant: str) -> None:
    with database.unit_of_work() as store:
        known = store.tenant_licence(tenant) is not None
    if not known:
        _warn(
            f"tenant {tenant} has no data here; it comes into being, with licence "
            f"{DEFAULT_LICENCE.value}, when a server first accepts a token of it."
        )


def _warn_of_no_access(held: frozenset[str] | None, what: str, give: str) -> None:
    if not held:
        _warn(f"the token holds no {what}: every Graph endpoint will answer 403 (give {give}).")


def _warn(line: str) -> None:
    typer.echo(f"Warning: {line}", err=True)


def keys_rotate(
    grace_period: Annotated[
        str,
        typer.Option(
            "--grace", metavar="DURATION", callback=grace, help="How long old keys keep verifying."
        ),
    ] = "24h",
    db: DbUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Start signing with a new key; the old ones stay valid for the grace period."""
    period = parse_duration(grace_period)
    database = open_database(db)
    try:
        key = rotate_signing_keys(database, utc_now(), period)
    finally:
        database.dispose()
    typer.echo(
        f"New signing key {key.kid}; older keys verify for another {grace_period}.", err=True
    )


def display_name(name: str) -> str:
    if not name.strip() or len(name) > _NAME_LENGTH:
        raise typer.BadParameter(f"a display name has 1 to {_NAME_LENGTH} characters.")
    return name


def certificate_pem(path: str) -> str:
    """The PEM text of a certificate file, once it is known to hold an RSA certificate."""
    try:
        with open(path, encoding="utf-8") as file:
            pem = file.read()
        load_certificate(pem)
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}.") from None
    except ValueError as error:  # not UTF-8 text either
        raise typer.BadParameter(f"{path}: {error}.") from None
    return pem


def app_create(
    name: Annotated[str, typer.Option(metavar="NAME", callback=display_name, help="Display name.")],
    roles: Annotated[
        frozenset[str] | None,
        typer.Option(metavar="ROLES", parser=app_roles, help="Granted app roles, comma-separated."),
    ] = None,
    certificate: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            parser=certificate_pem,
            help="PEM file with the app's certificate (RSA; its public part is kept): the app "
            "signs in with client assertions instead of a client secret.",
        ),
    ] = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Register an app for the client-credentials grant; prints its client id and its secret
    (or, with --certificate, the certificate's thumbprint)."""
    granted, database = roles or frozenset(), open_database(db)
    try:
        if certificate is None:
            app, secret = register_app(database, tenant_id=tenant, display_name=name, roles=granted)
        else:
            app = register_certificate_app(
                database, tenant_id=tenant, display_name=name, roles=granted,
                certificate_pem=certificate,
            )  # fmt: skip
    finally:
        database.dispose()
    print(f"client_id={app.client_id}")
    if certificate is None:
        print(f"client_secret={secret}")
    else:
        print(f"thumbprint={thumbprints(load_certificate(certificate)).sha1_hex}")


def tenant_set(
    licence: Annotated[Licence, typer.Option(help="The licence.")],
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Create a tenant if needed and set its licence."""
    database = open_database(db)
    try:
        with database.unit_of_work(write=True) as store:
            store.set_tenant_licence(tenant, licence)
    finally:
        database.dispose()
    typer.echo(f"Tenant {tenant}: licence {licence.value}.", err=True)


def register(app: typer.Typer) -> None:
    app.command("token")(token)
    keys = _group("The built-in issuer's signing keys.")
    keys.command("rotate")(keys_rotate)
    keys.command("list")(keys_list)
    app.add_typer(keys, name="keys")
    apps = _group("App registrations (client-credentials grant).")
    apps.command("create")(app_create)
    apps.command("list")(app_list)
    app.add_typer(apps, name="app")
    tenants = _group("Tenants and their licences.")
    tenants.command("set")(tenant_set)
    tenants.command("list")(tenant_list)
    app.add_typer(tenants, name="tenant")


def _group(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
