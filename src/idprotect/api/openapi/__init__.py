"""The served OpenAPI document: every Graph operation of every principal kind on the versions
that serve it, sign-ins, directory audits, subscriptions, $batch, /_admin (throttling and
faults too), the Shared Signals transmitter and receiver, and the built-in issuer, with the
query options, bodies, answers and errors the server really has.

The operations are made from the kinds' entries (api/kinds.py, api/admin.py) as the server's
own are; parameters come from the collections' allow-lists (odata/collections.py), limits
from the code that enforces them, entities from entities.py. One module per part of the
surface (graph.py, sign_ins.py, audits.py, subscriptions.py, batch.py, admin.py, ops.py,
signals.py with signal_schemas.py, issuer.py). Not in it: the probes (/healthz, /readyz,
/health, /metrics), the front door `/`, the `$count` refusals and beta's legacy root paths.
tests/api/test_openapi.py holds the document to the app's routes and to real responses;
tests/openapi runs schemathesis on it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from idprotect import __version__
from idprotect.api.kinds import API_KINDS
from idprotect.api.openapi.admin import admin_paths, admin_schemas
from idprotect.api.openapi.audits import audit_paths, audit_schemas
from idprotect.api.openapi.batch import batch_schemas
from idprotect.api.openapi.common import ERROR_RESPONSES, Paths
from idprotect.api.openapi.entities import ENTITIES
from idprotect.api.openapi.graph import VERSIONS, action_bodies, graph_paths, kind_text
from idprotect.api.openapi.issuer import issuer_paths
from idprotect.api.openapi.schemas import ENUMS, ERRORS
from idprotect.api.openapi.sign_ins import sign_in_paths, sign_in_schemas
from idprotect.api.openapi.signal_schemas import signal_schemas
from idprotect.api.openapi.signals import signal_paths
from idprotect.api.openapi.subscriptions import subscription_paths, subscription_schemas

_DESCRIPTION = """\
A Microsoft Graph-compatible Identity Protection service, as Graph serves it (paths match
without regard to case; errors are Graph's `ODataError` body):

{kinds}
- sign-ins (`auditLogs/signIns`) with their risk, and the confirmCompromised / confirmSafe /
  dismiss actions on them, on `/v1.0` and `/beta`

Tokens: Graph access tokens (audience `https://graph.microsoft.com`) from the built-in issuer
(`/{{tenant}}/oauth2/v2.0/token`, client credentials) or a trusted JWKS. Each operation names
the least permission it needs; delegated tokens also need one of the directory roles in
docs/auth.md. `/_admin` (not Graph) needs the app role `IdentityProtection.Admin`.
"""


_ASSETS = "/docs/assets"
_SWAGGER_UI = f"""<!DOCTYPE html>
<html>
<head>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link type="text/css" rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
<link rel="shortcut icon" href="{_ASSETS}/favicon-32x32.png">
<title>idprotect - Swagger UI</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{_ASSETS}/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
</script>
</body>
</html>
"""


def openapi_routes() -> list[BaseRoute]:
    """This document at /openapi.json, and Swagger UI at /docs from the files the
    swagger-ui-bundle package ships: the page works offline."""
    document = orjson.dumps(openapi_document())

    async def serve_document(_: Request) -> Response:
        return Response(document, media_type="application/json")

    async def swagger_ui(_: Request) -> HTMLResponse:
        return HTMLResponse(_SWAGGER_UI)

    return [
        Route("/openapi.json", serve_document, methods=["GET"]),
        Route("/docs", swagger_ui, methods=["GET"]),
        Mount(_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui"),
    ]


def _description() -> str:
    return _DESCRIPTION.format(kinds="\n".join(kind_text(api) for api in API_KINDS))


def openapi_document() -> dict[str, Any]:
    paths: Paths = {}
    for version in VERSIONS:
        paths.update(graph_paths(version))
        paths.update(sign_in_paths(version))
        paths.update(audit_paths(version))
        paths.update(subscription_paths(version))
    paths.update(admin_paths())
    paths.update(signal_paths())
    paths.update(issuer_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "idprotect", "version": __version__, "description": _description()},
        "tags": [
            {"name": version, "description": f"Microsoft Graph {version}"} for version in VERSIONS
        ]
        + [
            {"name": "audit", "description": "The directory audit log (auditLogs)."},
            {
                "name": "signals",
                "description": "Risk signals out and in: Graph-style subscriptions (an "
                "extension), the Shared Signals transmitter and receiver (not Graph).",
            },
            {
                "name": "admin",
                "description": "Seeding, tenant administration, throttling and faults (not Graph).",
            },
            {"name": "issuer", "description": "The built-in token issuer (Entra-shaped)."},
        ],
        "paths": paths,
        "components": {
            "schemas": {
                **ENUMS,
                **ENTITIES,
                **sign_in_schemas(),
                **ERRORS,
                **action_bodies(),
                **batch_schemas(),
                **admin_schemas(),
                **audit_schemas(),
                **subscription_schemas(),
                **signal_schemas(),
            },
            "responses": ERROR_RESPONSES,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Graph access token; see the document's description.",
                }
            },
        },
    }
