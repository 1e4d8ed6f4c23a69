"""The service's own front door (not Graph): what this is at `/`, and `/health` for probes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from idprotect import __version__
from idprotect.api.deps import base_url
from idprotect.api.kinds import API_KINDS
from idprotect.api.pipeline import Call
from idprotect.api.routing import Caller, Operation, Runs
from idprotect.auth.principal import DEMO_TENANT_ID

# The collections of each version, as its roots serve them (legacy roots aside).
_GRAPH_COLLECTIONS = {
    version: [
        f"identityProtection/{collection}"
        for api in API_KINDS
        if f"/{version}/identityProtection" in api.roots
        for collection in (api.set_name, api.detections_set)
    ]
    + ["auditLogs/signIns"]
    for version in ("v1.0", "beta")
}


def home(call: Call) -> Response:
    """A small map of the service for a person (or a script) who opens its address."""
    base = base_url(call.scope)
    document: dict[str, Any] = {
        "service": "idprotect",
        "version": __version__,
        "description": "A Microsoft Graph-compatible Identity Protection service.",
        "graph": {
            version: [f"{base}/{version}/{path}" for path in paths]
            for version, paths in _GRAPH_COLLECTIONS.items()
        },
        "docs": f"{base}/docs",
        "openapi": f"{base}/openapi.json",
        "health": f"{base}/health",
        "auth": call.services.settings.auth,
        # With --auth off every caller acts in the demo tenant; with tokens, in their own.
        "demoTenant": DEMO_TENANT_ID,
        "tokenEndpoint": f"{base}/{DEMO_TENANT_ID}/oauth2/v2.0/token",
    }
    return _json(document)


def health(call: Call) -> Response:
    """200 once the database answers; a Graph-shaped 503 with Retry-After while it does not."""
    call.services.database.check()
    return _json({"status": "ok"})


def _json(document: dict[str, Any]) -> Response:
    return Response(orjson.dumps(document), media_type="application/json")


OPERATIONS = (
    Operation("GET", "/", home, Runs.LOOP, caller=Caller.NONE, documented=False),
    Operation("GET", "/health", health, Runs.THREAD, caller=Caller.NONE, documented=False),
)
