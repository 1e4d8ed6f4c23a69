"""Commands of the code flow: directory users' passwords and public clients' registrations."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_options import DbUrl, TenantId, directory_roles, open_database
from idprotect.domain.clock import utc_now
from idprotect.issuer.passwords import MIN_PASSWORD_LENGTH
from idprotect.issuer.sign_in import register_public_app, set_password
from idprotect.settings import DEFAULT_DATABASE_URL

Roles = Annotated[
    frozenset[str],
    typer.Option(
        "--roles",
        metavar="ROLES",
        parser=directory_roles,
        help="Directory roles (names or template ids, comma-separated): what the user may do.",
    ),
]


def user_set_password(
    user_principal_name: Annotated[
        str, typer.Option("--user", metavar="UPN", help="The user's sign-in name.")
    ],
    roles: Roles,
    name: Annotated[str | None, typer.Option(metavar="NAME", help="Display name.")] = None,
    object_id: Annotated[
        str | None, typer.Option(metavar="GUID", help="Object id [default: from the name].")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input, not a prompt.")
    ] = False,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Let a directory user sign in (the console, MSAL public clients) with a password."""
    password = _read_password(password_stdin)
    database = open_database(db)
    try:
        user = set_password(
            database, tenant_id=tenant, user_principal_name=user_principal_name,
            password=password, directory_roles=roles, now=utc_now(),
            object_id=object_id, display_name=name,
        )  # fmt: skip
    finally:
        database.dispose()
    print(f"user={user.user_principal_name} object_id={user.object_id} tenant={user.tenant_id}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise typer.BadParameter(f"the password needs {MIN_PASSWORD_LENGTH} characters or more")
    return password


def app_create_public(
    name: Annotated[str, typer.Option(metavar="NAME", help="Display name.")],
    redirect_uri: Annotated[
        list[str],
        typer.Option(
            metavar="URI",
            help="A redirect URI (repeatable); http://localhost matches any port.",
        ),
    ],
    client_id: Annotated[str | None, typer.Option(metavar="GUID", help="Its client id.")] = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Register a public client (authorization code with PKCE): prints its client id."""
    database = open_database(db)
    try:
        app = register_public_app(
            database, tenant_id=tenant, display_name=name,
            redirect_uris=tuple(redirect_uri), client_id=client_id,
        )  # fmt: skip
    finally:
        database.dispose()
    print(f"client_id={app.client_id}")


def register(app: typer.Typer, apps: typer.Typer) -> None:
    users = typer.Typer(
        help="Directory users who sign in.", no_args_is_help=True, rich_markup_mode=None
    )
    users.command("set-password")(user_set_password)
    app.add_typer(users, name="user")
    apps.command("create-public")(app_create_public)
