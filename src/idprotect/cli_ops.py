"""Operations on the command line: `serve --throttle`, `tenant set --throttle`, and the
`faults` commands (set, show, clear) on a tenant's fault plan. Checked as /_admin checks them
(ops/config.py), and recorded in the tenant's directory audit log as /_admin's changes are,
initiated by the local operator; a running server applies a change within a second."""

from __future__ import annotations

import getpass
import socket
import uuid
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from idprotect.api.audit_trail import admin_activity, local_operator, record, tenant_target
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.cli_options import DbUrl, TenantId, open_database
from idprotect.domain.audits import Initiator
from idprotect.domain.clock import utc_now
from idprotect.ops.config import FaultSpec, ThrottleSpec, fault_plan, server_throttle, validated
from idprotect.ops.throttle import NAMED
from idprotect.settings import DEFAULT_DATABASE_URL
from idprotect.store import ops_state
from idprotect.store.audits import audit_log
from idprotect.store.repository import SqlRiskStore

# The /_admin changes (method, path below the tenant) the commands make.
SET_THROTTLE, SET_FAULTS, CLEAR_FAULTS = (
    ("PUT", "/throttle"),
    ("PUT", "/faults"),
    ("DELETE", "/faults"),
)

_PROFILES = ", ".join(NAMED)


def server_profile(value: str | None) -> str | None:
    """`serve --throttle`: a profile's name, or a custom profile's JSON file (its text)."""
    if value is None or value in NAMED:
        return value
    text = _read(value, "--throttle")
    try:
        server_throttle(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{value}: {exc}") from None
    return text


def tenant_profile(value: str | None) -> str | None:
    """`tenant set --throttle`: a name (`default`: the server's), or a custom profile's file;
    the document to store (None: the server's profile)."""
    if value is None:
        return None
    text = orjson.dumps({"profile": value}).decode() if value in (*NAMED, "default") else None
    text = text or _read(value, "--throttle")
    try:
        spec = validated(ThrottleSpec, text)
    except ValueError as exc:
        raise typer.BadParameter(f"{value}: {exc}") from None
    return spec.model_dump_json(by_alias=True, exclude_none=True)


def _read(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(
            f"{path!r} is neither a profile ({_PROFILES}) nor a readable JSON file: {exc}",
            param_hint=option,
        ) from None


ServerThrottle = Annotated[
    str | None,
    typer.Option(
        "--throttle",
        metavar="PROFILE|FILE",
        callback=server_profile,
        help=f"Throttling of Graph's requests: {_PROFILES}, or a custom profile's JSON file "
        "(docs/operations.md) [default: off].",
    ),
]
TenantThrottle = Annotated[
    str | None,
    typer.Option(
        "--throttle",
        metavar="PROFILE|FILE",
        callback=tenant_profile,
        help=f"The tenant's throttling: {_PROFILES}, default (the server's), or a custom "
        "profile's JSON file.",
    ),
]


def operator() -> Initiator:
    """Who runs this command: the local account (its uid when it has no name), on this host."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        login = "unknown"
    return local_operator(login, socket.gethostname())


def record_change(
    store: SqlRiskStore, tenant: str, change: tuple[str, str], *, request: str, command: str
) -> None:
    """The directory audit record of a change this command made in `store`'s unit of work:
    the record of the /_admin `change` (its method and path below the tenant), initiated by the
    local operator, `command` a detail."""
    audit = record(
        admin_activity(*change),
        at=utc_now(),
        initiated_by=operator(),
        targets=[tenant_target(tenant)],
        correlation_id=str(uuid.uuid4()),
        request=request,
        more=[("command", command)],
    )
    audit_log(store).add_audit(tenant, audit)


def store_faults(
    db: str, tenant: str, change: tuple[str, str], document: str | None, *, command: str
) -> None:
    """Set (or, with None, remove) the tenant's fault plan, and record it, in one unit of
    work."""
    database = open_database(db)
    try:
        with database.unit_of_work(write=True) as store:
            ops_state.set_tenant_document(store.connection, tenant, "faults", document)
            record_change(store, tenant, change, request=document or "", command=command)
    finally:
        database.dispose()


def faults_set(
    file: Annotated[
        Path | None, typer.Option(metavar="FILE", help="A fault plan (JSON), as /_admin takes it.")
    ] = None,
    operations: Annotated[
        list[str] | None,
        typer.Option("--operations", metavar="GLOB", help="'METHOD /path' globs [default: *]."),
    ] = None,
    error_rate: Annotated[
        list[str] | None,
        typer.Option(metavar="STATUS=RATE", help="e.g. 503=0.1 (429, 500, 502, 503, 504)."),
    ] = None,
    drop_rate: Annotated[
        float | None,
        typer.Option(
            metavar="RATE", min=0, max=1, help="Share of requests whose connection drops."
        ),
    ] = None,
    latency: Annotated[
        str | None,
        typer.Option(metavar="KIND:MS", help="fixed:100, uniform:50-200 or exponential:80."),
    ] = None,
    fail_next: Annotated[
        int | None,
        typer.Option(metavar="N", min=0, max=1_000_000, help="The next N requests fail."),
    ] = None,
    fail_status: Annotated[
        int | None,
        typer.Option(metavar="STATUS", help="How --fail-next fails: 429, 500, 502, 503 or 504."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            min=0,
            max=2**63 - 1,
            help="The seed of a reproducible run [default: drawn].",
        ),
    ] = None,
    db: DbUrl = DEFAULT_DATABASE_URL,
    tenant: TenantId = DEMO_TENANT_ID,
) -> None:
    """Set the tenant's fault plan: from a file, or one rule from the options."""
    rule = _rule(operations, error_rate, drop_rate, latency, fail_next, fail_status)
    if file is not None and rule:
        raise typer.BadParameter("give a --file or the rule's options, not both")
    text = _read(str(file), "--file") if file is not None else None
    document = text or orjson.dumps({"seed": seed, "rules": [rule]}).decode()
    try:
        spec = validated(FaultSpec, document)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    spec = spec.model_copy(update={"seed": fault_plan(spec).seed})
    document = spec.model_dump_json(by_alias=True, exclude_none=True)
    store_faults(db, tenant, SET_FAULTS, document, command="idprotect faults set")
    typer.echo(f"Tenant {tenant}: fault plan set, seed {spec.seed}.", err=True)


def _rule(
    operations: list[str] | None,
    error_rate: list[str] | None,
    drop_rate: float | None,
    latency: str | None,
    fail_next: int | None,
    fail_status: int | None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"operations": operations, "dropRate": drop_rate}
    rule |= {"failNext": fail_next, "failStatus": fail_status}
    if error_rate:
        rule["errorRates"] = dict(_pair(item) for item in error_rate)
    if latency is not None:
        rule["latency"] = _latency(latency)
    return {name: value for name, value in rule.items() if value is not None}


def _pair(item: str) -> tuple[str, float]:
    status, _, rate = item.partition("=")
    try:
        return status.strip(), float(rate)
    except ValueError:
        raise typer.BadParameter(f"{item!r} is not STATUS=RATE (503=0.1)") from None


def _latency(text: str) -> dict[str, Any]:
    kind, _, value = text.partition(":")
    try:
        if kind == "uniform":
            low, _, high = value.partition("-")
            return {"uniformMs": {"min": float(low), "max": float(high)}}
        if kind in ("fixed", "exponential"):
            return {f"{kind}Ms": float(value)}
    except ValueError:
        pass
    raise typer.BadParameter(f"{text!r} is not fixed:MS, uniform:MIN-MAX or exponential:MEAN")


def faults_show(db: DbUrl = DEFAULT_DATABASE_URL, tenant: TenantId = DEMO_TENANT_ID) -> None:
    """Print the tenant's fault plan (JSON), or {"rules": []} when there is none."""
    database = open_database(db)
    try:
        with database.unit_of_work() as store:
            _, faults = ops_state.tenant_documents(store.connection, tenant)
    finally:
        database.dispose()
    typer.echo(faults or '{"rules": []}')


def faults_clear(db: DbUrl = DEFAULT_DATABASE_URL, tenant: TenantId = DEMO_TENANT_ID) -> None:
    """Remove the tenant's fault plan."""
    store_faults(db, tenant, CLEAR_FAULTS, None, command="idprotect faults clear")
    typer.echo(f"Tenant {tenant}: no faults.", err=True)


def register(app: typer.Typer) -> None:
    faults = typer.Typer(
        help="Fault injection: a tenant's failing requests.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    faults.command("set")(faults_set)
    faults.command("show")(faults_show)
    faults.command("clear")(faults_clear)
    app.add_typer(faults, name="faults")


def set_throttle(store: SqlRiskStore, tenant_id: str, document: str, *, command: str) -> None:
    """Stores what `tenant set --throttle` was given (`default`: nothing, the server's), and
    records it."""
    default = validated(ThrottleSpec, document).profile == "default"
    stored = None if default else document
    ops_state.set_tenant_document(store.connection, tenant_id, "throttle", stored)
    record_change(store, tenant_id, SET_THROTTLE, request=document, command=command)
