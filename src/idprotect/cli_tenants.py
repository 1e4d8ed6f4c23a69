"""Tenant commands: tenant set (a tenant and its licence) and tenant list."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_lists import Row, show
from idprotect.cli_ops import TenantThrottle, record_change, set_throttle
from idprotect.cli_options import AsJson, DbUrl, TenantId, open_database
from idprotect.domain.tenants import Licence, TenantSummary
from idprotect.settings import DEFAULT_DATABASE_URL

UPDATE_TENANT = ("PUT", "")  # /_admin's PUT of the tenant: its licences
COMMAND = "idprotect tenant set"


def tenant_set(
    licence: Annotated[Licence | None, typer.Option(help="The Microsoft Entra ID licence.")] = None,
    workload_identities: Annotated[
        bool | None,
        typer.Option(
            "--workload-identities/--no-workload-identities",
            help="Whether the tenant has Workload Identities Premium (service principals' "
            "riskLevel and riskDetail, and their actions).",
        ),
    ] = None,
    throttle: TenantThrottle = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Create a tenant if needed and set its licences and throttling (what is given)."""
    given = {"licence": licence, "workloadIdentities": workload_identities}
    request = {name: value for name, value in given.items() if value is not None}
    database = open_database(db)
    try:
        with database.unit_of_work(write=True) as store:
            store.set_tenant_licences(
                tenant, entra=licence, workload_identities=workload_identities
            )
            licences = store.tenant_licences(tenant)
            if request:  # each change, one record, as /_admin's PUT of the tenant writes
                body = orjson.dumps(request).decode()
                record_change(store, tenant, UPDATE_TENANT, request=body, command=COMMAND)
            if throttle is not None:
                set_throttle(store, tenant, throttle, command=COMMAND)
    finally:
        database.dispose()
    assert licences is not None
    workload = "with" if licences.workload_identities else "without"
    typer.echo(
        f"Tenant {tenant}: licence {licences.entra.value}, {workload} Workload Identities Premium.",
        err=True,
    )


def tenant_list(as_json: AsJson = False, db: DbUrl = DEFAULT_DATABASE_URL) -> None:
    """List tenants: licence, risky users (as Graph lists them) and those at risk now."""
    database = open_database(db)
    try:
        with database.unit_of_work() as store:
            tenants = store.list_tenants()
    finally:
        database.dispose()
    columns = {"TENANT": "tenant_id", "LICENCE": "licence", "WORKLOAD ID": "workload_identities"}
    columns |= {"RISKY USERS": "risky_users", "AT RISK": "at_risk"}
    show([_tenant_row(t) for t in tenants], columns, as_json=as_json, none="No tenants.")


def _tenant_row(tenant: TenantSummary) -> Row:
    return {
        "tenant_id": tenant.tenant_id,
        "licence": tenant.licence.value,
        "workload_identities": "Premium" if tenant.workload_identities else "-",
        "risky_users": tenant.risky_users,
        "at_risk": tenant.at_risk,
    }


def register(app: typer.Typer) -> None:
    tenants = typer.Typer(
        help="Tenants and their licences.", no_args_is_help=True, rich_markup_mode=None
    )
    tenants.command("set")(tenant_set)
    tenants.command("list")(tenant_list)
    app.add_typer(tenants, name="tenant")
