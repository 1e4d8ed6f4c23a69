"""Commands of the built-in issuer: token, keys rotate and list, app create and list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_lists import Row, show
from idprotect.cli_options import (
    AsJson,
    DbUrl,
    TenantId,
    app_roles,
    directory_roles,
    grace,
    lifetime,
    object_id,
    open_database,
    parse_duration,
    scopes,
    tenant_id,
)
from idprotect.domain.clock import utc_now
from idprotect.domain.tenants import DEFAULT_LICENCE
from idprotect.issuer.apps import AppRegistration, unregistered_app
from idprotect.issuer.client_assertion import load_certificate, thumbprints
from idprotect.issuer.keys import SigningKey
from idprotect.issuer.service import (
    app_token,
    find_app,
    list_apps,
    list_signing_keys,
    register_app,
    register_certificate_app,
    rotate_signing_keys,
    user_token,
)
from idprotect.issuer.users_cli import register as register_sign_in_commands
from idprotect.settings import DEFAULT_DATABASE_URL
from idprotect.store.engine import Database

_NAME_LENGTH = 256  # app_registrations.display_name

AnyTenant = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        metavar="GUID",
        callback=tenant_id,
        help="Only this tenant's [default: every tenant's].",
    ),
]


def token(
    app_id: Annotated[
        str | None, typer.Option("--app", metavar="CLIENT_ID", help="An app-only token.")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="OBJECT_ID", callback=object_id, help="A delegated token."),
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
        known = store.tenant_licences(tenant) is not None
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


def keys_list(as_json: AsJson = False, db: DbUrl = DEFAULT_DATABASE_URL) -> None:
    """List the signing keys: which one signs, until when the others verify."""
    now, database = utc_now(), open_database(db)
    try:
        keys, signer = list_signing_keys(database, now)
    finally:
        database.dispose()
    rows = [_key_row(key, signer, now) for key in keys]
    columns = {"KID": "kid", "CREATED": "created", "VALID UNTIL": "valid_until", "STATE": "state"}
    show(rows, columns, as_json=as_json, none="No signing key yet: the first token makes one.")


def _key_row(key: SigningKey, signer: str | None, now: datetime) -> Row:
    if key.kid == signer:
        state = "signs"
    elif key.retired_at is None or key.retired_at > now:
        state = "verifies"
    else:
        state = "expired"
    return {
        "kid": key.kid,
        "created": _instant(key.created_at),
        "valid_until": _instant(key.retired_at) if key.retired_at else None,
        "state": state,
    }


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def app_list(
    tenant: AnyTenant = None, as_json: AsJson = False, db: DbUrl = DEFAULT_DATABASE_URL
) -> None:
    """List app registrations: client id, name, credential and granted roles (never a secret)."""
    database = open_database(db)
    try:
        apps = list_apps(database, tenant)
    finally:
        database.dispose()
    columns = {"TENANT": "tenant_id", "CLIENT ID": "client_id", "NAME": "display_name"}
    columns |= {"CREDENTIAL": "credential", "ROLES": "roles"}
    show([_app_row(app) for app in apps], columns, as_json=as_json, none="No app registrations.")


def _app_row(app: AppRegistration) -> Row:
    return {
        "tenant_id": app.tenant_id,
        "client_id": app.client_id,
        "display_name": app.display_name,
        "credential": "certificate" if app.certificate_pem else "secret",
        "roles": sorted(app.app_roles),
    }


def register(app: typer.Typer) -> None:
    app.command("token")(token)
    keys = _group("The built-in issuer's signing keys.")
    keys.command("rotate")(keys_rotate)
    keys.command("list")(keys_list)
    app.add_typer(keys, name="keys")
    apps = _group("App registrations (client-credentials grant).")
    apps.command("create")(app_create)
    apps.command("list")(app_list)
    register_sign_in_commands(app, apps)
    app.add_typer(apps, name="app")


def _group(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
