"""The listing commands: app list, tenant list and keys list, as aligned text or as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from idprotect.auth.issuer import AppRegistration, SigningKey
from idprotect.cli_options import AsJson, DbUrl, open_database, tenant_id
from idprotect.domain.clock import utc_now
from idprotect.domain.tenants import TenantSummary
from idprotect.identity import list_apps, list_signing_keys
from idprotect.settings import DEFAULT_DATABASE_URL

Row = dict[str, str | int | list[str] | None]

AnyTenant = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        metavar="GUID",
        callback=tenant_id,
        help="Only this tenant's [default: every tenant's].",
    ),
]


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


def tenant_list(as_json: AsJson = False, db: DbUrl = DEFAULT_DATABASE_URL) -> None:
    """List tenants: licence, risky users (as Graph lists them) and those at risk now."""
    database = open_database(db)
    try:
        with database.unit_of_work() as store:
            tenants = store.list_tenants()
    finally:
        database.dispose()
    columns = {"TENANT": "tenant_id", "LICENCE": "licence"}
    columns |= {"RISKY USERS": "risky_users", "AT RISK": "at_risk"}
    show([_tenant_row(t) for t in tenants], columns, as_json=as_json, none="No tenants.")


def _tenant_row(tenant: TenantSummary) -> Row:
    return {
        "tenant_id": tenant.tenant_id,
        "licence": tenant.licence.value,
        "risky_users": tenant.risky_users,
        "at_risk": tenant.at_risk,
    }


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


def show(rows: list[Row], columns: dict[str, str], *, as_json: bool, none: str) -> None:
    """Rows on stdout: a JSON array, or text in aligned columns under `columns`' headings
    (an empty list says so on stderr)."""
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(none, err=True)
        return
    lines = [list(columns)] + [[_text(row[key]) for key in columns.values()] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    for line in lines:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def _text(value: str | int | list[str] | None) -> str:
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "-" if value is None else str(value)
