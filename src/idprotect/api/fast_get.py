"""The hot `GET …/riskyUsers/{id}`, answered ahead of the app's middleware and routers.

It serves one exact request shape without FastAPI's dependency machinery or a thread hop
(docs/performance.md). Every other request passes through untouched, and so does a hot one
whose answer needs something that may block (a new token, a new tenant, a busy database) or
that fails unexpectedly. What it answers, the normal path would answer too: the same caller,
authorization, service rule, wire functions, error bodies and headers.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idprotect.api import wire
from idprotect.api.deps import cached_caller, graph_root, prefetched_risky_user
from idprotect.api.errors import error_response
from idprotect.api.headers import add_graph_headers, assign_request_ids
from idprotect.api.paths import is_plain_key
from idprotect.auth.permissions import READ_RISKY_USERS, authorize
from idprotect.domain import risky_users as service
from idprotect.errors import GraphError, ServiceUnavailable

log = logging.getLogger("idprotect")

# Exactly as the routers spell it: other spellings are made canonical on the normal path.
_HOT_PATH = re.compile(r"/(?:v1\.0|beta)/identityProtection/riskyUsers/([^/]+)")


class GetRiskyUserFastPath:
    """Answers `GET /{v1.0|beta}/identityProtection/riskyUsers/{id}` with no query and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user_id = _hot_user_id(scope)
        response = await _get_risky_user(scope, user_id) if user_id is not None else None
        if response is None:
            await self.app(scope, receive, send)
            return
        status, headers = response.status_code, response.raw_headers
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        state = scope["state"]
        add_graph_headers(start, state["request_id"], state["client_request_id"])
        await send(start)
        await send({"type": "http.response.body", "body": response.body})


def _hot_user_id(scope: Scope) -> str | None:
    """The id of a hot request, or None for anything else."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
        return None
    match = _HOT_PATH.fullmatch(scope["path"])
    if match is None or scope.get("root_path") or _has_body(scope):
        return None
    user_id = match[1]
    return user_id if is_plain_key(user_id) and "\x00" not in user_id else None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


async def _get_risky_user(scope: Scope, user_id: str) -> Response | None:
    """The normal path's answer, or None to let the normal path give it."""
    request = Request(scope)
    assign_request_ids(scope)  # assigned again if the request passes through
    try:
        caller = cached_caller(request)
        if caller is None:
            return None
        authorize(caller, READ_RISKY_USERS)
        root = graph_root(request)
        try:
            store = await prefetched_risky_user(request, caller.tenant_id, user_id)
        except ServiceUnavailable:
            return None  # the normal path waits for the database, or answers 503
        user = service.get_risky_user(store, tenant_id=caller.tenant_id, user_id=user_id)
        return wire.entity(root, "riskyUsers", wire.risky_user(user, root))
    except GraphError as error:
        return error_response(request, error)
    except Exception:
        log.exception("the fast path failed; the request takes the normal path")
        return None
