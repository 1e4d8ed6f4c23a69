"""The console's routes: its page, its settings for the browser, and its packaged assets.

The page is a client of the Graph API like any other: it holds a bearer token from the built-in
issuer's code flow (none under `--auth off`) and no cookie carries authority.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from idprotect.issuer.sign_in import CONSOLE_CLIENT_ID

STATIC = Path(__file__).parent / "static"
# No inline script or style, nothing from elsewhere; the API and the issuer are this origin.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def routes() -> list[BaseRoute]:
    return [
        Route("/console", _to_console, methods=["GET"]),
        Route("/console/", page, methods=["GET"]),
        Route("/console/config.json", config, methods=["GET"]),
        Mount("/console/static", StaticFiles(directory=STATIC), name="console-static"),
    ]


async def _to_console(_: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


async def page(_: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers=HEADERS, media_type="text/html")


async def config(request: Request) -> Response:
    """What the page needs to sign in: the auth mode, its client id and the authority."""
    base = str(request.base_url).rstrip("/")
    body = {
        "auth": request.app.state.settings.auth,
        "clientId": CONSOLE_CLIENT_ID,
        "authority": f"{base}/organizations/oauth2/v2.0",
        "redirectUri": f"{base}/console/",
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=HEADERS)
