"""create_app(settings): the operation table, the other routes, the services, the lifespan.
No logic: the pipeline every request goes through is api/pipeline.py."""

from __future__ import annotations

import os
from collections.abc import Callable

from starlette.routing import Router

from idprotect.api import (
    admin,
    admin_signins,
    batch,
    directory_audits,
    home,
    principals,
    risk_detections,
    sign_ins,
    ssf,
    ssf_receiver,
    subscriptions,
)
from idprotect.api import ops as ops_api
from idprotect.api.audit_trail import audited
from idprotect.api.deps import Services
from idprotect.api.limits import RequestLimits
from idprotect.api.openapi import openapi_routes
from idprotect.api.pipeline import Service
from idprotect.api.rich_notifications import resource_data
from idprotect.api.routing import Operation
from idprotect.auth.keysets import FetchJson
from idprotect.console.routes import routes as console_routes
from idprotect.domain.audits import DirectoryAudit
from idprotect.domain.clock import Clock, utc_now
from idprotect.domain.ports import RiskStore
from idprotect.issuer import endpoints as issuer_endpoints
from idprotect.issuer.trust import build_verifier, fetch_json_over_http
from idprotect.ops.wiring import Ops, build_ops, set_tenant_document, tenant_documents
from idprotect.settings import Settings
from idprotect.signals.delivery import Deliverer, start_delivery
from idprotect.signals.receiver import Poller, Receivers
from idprotect.store.audits import audit_log
from idprotect.store.engine import Database, make_engine
from idprotect.store.health import readiness
from idprotect.store.sign_in_listing import sign_in_log

# How often the remote poll streams of trusted transmitters are polled.
_POLL_SECONDS = 1.0

# Where the Graph operations answer: v1.0 and beta under the identityProtection singleton, and
# beta's legacy root paths (`/beta/riskyUsers/dismiss`) that real clients still call.


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    database: Database | None = None,
    fetch_json: FetchJson = fetch_json_over_http,
) -> Service:
    owned = database is None
    db = database or Database(
        make_engine(settings.database_url, busy_timeout=settings.busy_timeout_seconds)
    )
    db.render_resources(resource_data)  # rich change notifications' entities (wire.py)
    state = Services(
        settings=settings,
        clock=clock,
        database=db,
        verifier=build_verifier(settings, db, clock, fetch_json),
    )
    # Signals: the transmitters the receiver trusts; the outbox's deliverer and the poller of
    # remote streams, threads of this process (serve's; tests start their own).
    refresh = settings.key_refresh_seconds
    receivers = Receivers(settings.ssf_transmitters, fetch_json, refresh_seconds=refresh)
    workers = _signal_workers(settings, db, receivers, clock)
    # Trailing slashes are not redirected: `/docs/` is Graph's 400, as every unknown path.
    other_routes = Router(
        [*issuer_endpoints.routes(), *openapi_routes(), *console_routes()], redirect_slashes=False
    )
    ops = build_ops(settings, db)
    return Service(
        state=state,
        operations=audited(
            [*operations(), *ssf_receiver.operations(receivers), *_ops_operations(ops)],
            _add_audit,
        ),
        other_routes=other_routes,
        limits=_request_limits(settings),
        on_shutdown=_shutdown(db if owned else None, workers),
        guard=ops.guard,
        observer=ops.observer,
    )


def _ops_operations(ops: Ops) -> list[Operation]:
    doors = ops_api.Doors(readiness, tenant_documents, set_tenant_document)
    return ops_api.operations(ops, doors)


def _add_audit(store: RiskStore, tenant_id: str, audit: DirectoryAudit) -> None:
    audit_log(store).add_audit(tenant_id, audit)


def operations() -> list[Operation]:
    """Every operation the service answers, at its full path."""
    graph = [
        *principals.all_operations(),
        *risk_detections.all_operations(),
        *sign_ins.all_operations(sign_in_log),
        *directory_audits.operations(audit_log),
    ]
    admins = [*admin.OPERATIONS, *admin_signins.OPERATIONS]
    signals = [*ssf.OPERATIONS, *subscriptions.OPERATIONS]
    return [*graph, *batch.OPERATIONS, *admins, *signals, *home.OPERATIONS]


def _signal_workers(
    settings: Settings, database: Database, receivers: Receivers, clock: Clock
) -> list[Deliverer | Poller]:
    if not settings.deliver_signals:
        return []
    workers: list[Deliverer | Poller] = [start_delivery(database, settings.delivery_settings())]
    if any(t.poll_url for t in receivers.transmitters):
        poller = Poller(database, receivers, clock=clock, interval=_POLL_SECONDS)
        poller.start()
        workers.append(poller)
    return workers


def _shutdown(database: Database | None, workers: list[Deliverer | Poller]) -> Callable[[], None]:
    def shutdown() -> None:
        for worker in workers:
            worker.stop()
        if database is not None:
            database.dispose()

    return shutdown


def _request_limits(settings: Settings) -> RequestLimits:
    return RequestLimits(
        max_target_bytes=settings.max_url_bytes,
        max_head_bytes=settings.max_head_bytes,
        max_body_bytes=settings.max_body_bytes,
        max_admin_body_bytes=settings.max_admin_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )


def app_from_environ() -> Service:
    """The app of a server worker process, whose settings the CLI passed in the environment."""
    return create_app(Settings.from_environ(os.environ))
