"""create_app(settings): routers, middleware, error handlers and lifespan. No logic."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from idprotect import __version__
from idprotect.api import admin, batch, home, risk_detections, risky_users
from idprotect.api.errors import install_error_handlers
from idprotect.api.fast_get import GetRiskyUserFastPath
from idprotect.api.headers import GraphHeadersMiddleware
from idprotect.api.limits import RequestLimits, RequestLimitsMiddleware
from idprotect.api.openapi import install_openapi
from idprotect.api.paths import CanonicalPathMiddleware
from idprotect.auth.keysets import FetchJson
from idprotect.domain.clock import Clock, utc_now
from idprotect.issuer import endpoints as issuer_endpoints
from idprotect.issuer.trust import build_verifier, fetch_json_over_http
from idprotect.settings import Settings
from idprotect.store.engine import Database, make_engine
from idprotect.store.point_reads import PointReader

# Where the Graph routers answer: v1.0 and beta under the identityProtection singleton, and
# beta's legacy root paths (`/beta/riskyUsers/dismiss`) that real clients still call.
GRAPH_ROOTS = ("/v1.0/identityProtection", "/beta/identityProtection", "/beta")


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    database: Database | None = None,
    fetch_json: FetchJson = fetch_json_over_http,
) -> FastAPI:
    owned = database is None
    db = database or Database(
        make_engine(settings.database_url, busy_timeout=settings.busy_timeout_seconds)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            db.dispose()

    app = FastAPI(
        title="idprotect",
        version=__version__,
        description="A Microsoft Graph-compatible Identity Protection service.",
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # install_openapi serves Swagger UI from packaged files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.database = db
    app.state.verifier = build_verifier(settings, db, clock, fetch_json)
    app.state.known_tenants = set()
    for prefix in GRAPH_ROOTS:
        documented = prefix != "/beta"  # the legacy root paths repeat the same operations
        app.include_router(risky_users.router, prefix=prefix, include_in_schema=documented)
        app.include_router(risk_detections.router, prefix=prefix, include_in_schema=documented)
    app.include_router(batch.router)
    app.include_router(admin.router)
    app.router.routes.extend(issuer_endpoints.routes())
    app.include_router(home.router)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(CanonicalPathMiddleware)
    app.add_middleware(GraphHeadersMiddleware)
    if settings.fast_get:
        # Ahead of the two above, behind the limits; FastAPI's error and telemetry layers wrap it.
        app.state.point_reader = PointReader(db.engine)
        app.add_middleware(GetRiskyUserFastPath)
    app.add_middleware(RequestLimitsMiddleware, limits=_request_limits(settings))  # outermost
    return app


def _request_limits(settings: Settings) -> RequestLimits:
    return RequestLimits(
        max_target_bytes=settings.max_url_bytes,
        max_head_bytes=settings.max_head_bytes,
        max_body_bytes=settings.max_body_bytes,
        max_admin_body_bytes=settings.max_admin_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )


def app_from_environ() -> FastAPI:
    """The app of a server worker process, whose settings the CLI passed in the environment."""
    return create_app(Settings.from_environ(os.environ))
