"""The request pipeline, in the order a request goes through it; the same for every operation.

1. Limits: the request line and headers (414, 431, 413 by Content-Length), then the body,
   read whole within its size and time limits (limits.py).
2. Ids: a request-id, and the caller's client-request-id (or the request-id again).
3. The canonical path (paths.py), then the operation it names (routing.py): 405 when the
   path names only other methods; a path no operation has goes to the other routes (the
   built-in issuer, the OpenAPI document and Swagger UI), or is Graph's 400 for its segment.
4. The caller: a verified token (a token seen before is known at once), authorized for the
   operation's requirement; then the guard, when there is one: the tenant's throttling and
   injected faults (ops/guard.py), before any database work.
5. The query options, and what the operation reads from the request (`prepare`), both before
   any database work.
6. The answer: in a unit of work where the operation says (deps.read / deps.write).
7. Errors: every failure becomes Graph's error body (errors.py), with the request's ids.
8. The response, with Graph's headers (headers.py); then the observer, when there is one:
   the request's metrics and its log line (ops/observe.py).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Protocol, cast

import starlette.routing
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from idprotect.api import deps
from idprotect.api.asgi import Sender, drop, replay, route_path, send_response
from idprotect.api.deps import ListRequest, Services
from idprotect.api.errors import error_response, http_error, unexpected_error_response
from idprotect.api.headers import add_graph_headers, assign_request_ids
from idprotect.api.limits import RequestLimits, read_body, refusal_of_head
from idprotect.api.paths import UNTOUCHED, canonical_path, quoted_path
from idprotect.api.routing import Caller, MethodNotAllowedHere, Operation, Router, Runs
from idprotect.api.wire import GraphRoot
from idprotect.auth.permissions import authorize
from idprotect.auth.principal import Principal
from idprotect.domain.ports import RiskStore
from idprotect.errors import GraphError, MethodNotAllowed
from idprotect.errors import ResourceNotFoundForSegment as SegmentNotFound
from idprotect.odata.options import QueryOptions, Target
from idprotect.ops.faults import DropConnection

log = logging.getLogger("idprotect")


class Call:
    """One request on its way through the pipeline: what an operation's answer is given."""

    __slots__ = (
        "_committed",
        "_root",
        "_store",
        "app",
        "body",
        "caller",
        "input",
        "listing",
        "options",
        "params",
        "scope",
        "services",
    )

    def __init__(self, scope: Scope, app: Service, params: dict[str, str], body: bytes) -> None:
        self.scope = scope
        self.app = app
        self.services = app.state
        self.params = params
        self.body = body
        self.caller: Principal | None = None
        self.options: QueryOptions | None = None
        self.listing: ListRequest | None = None
        self.input: object = None
        self._root: GraphRoot | None = None
        self._store: RiskStore | None = None
        self._committed: list[Callable[[], None]] | None = None

    @property
    def path(self) -> str:
        return cast(str, self.scope["path"])

    @property
    def root(self) -> GraphRoot:
        if self._root is None:
            self._root = deps.graph_root(self.scope)
        return self._root

    @property
    def principal(self) -> Principal:
        if self.caller is None:
            raise RuntimeError("the operation has no caller")
        return self.caller

    @property
    def store(self) -> RiskStore:
        if self._store is None:
            raise RuntimeError("the operation runs outside a unit of work")
        return self._store

    def after_commit(self, work: Callable[[], None]) -> None:
        """`work`, on the event loop once the answer's unit of work is committed (never when it
        rolls back): what no other request may see before the change, such as a cache the
        change makes stale, is done here rather than inside the transaction."""
        if self._committed is None:
            self._committed = []
        self._committed.append(work)

    def committed(self) -> None:
        for work in self._committed or ():
            work()
        self._committed = None

    def run_in(self, store: RiskStore, answer: Callable[[Call], Response]) -> Response:
        self._store = store
        try:
            return answer(self)
        finally:
            self._store = None


class Guard(Protocol):
    """What may hold a request back once its caller is known (throttling, injected faults)."""

    async def admit(self, call: Call, operation: Operation) -> None: ...


class Observer(Protocol):
    """What sees every request once it is answered (metrics, the request's log line)."""

    def observe(self, scope: Scope, status: int, seconds: float) -> None: ...


class Service:
    """The ASGI application: the pipeline above over an operation table, and other routes."""

    def __init__(
        self,
        *,
        state: Services,
        operations: list[Operation],
        other_routes: starlette.routing.Router,
        limits: RequestLimits,
        on_shutdown: Callable[[], None] = lambda: None,
        guard: Guard | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.state = state
        self.router = Router(operations)
        self.other_routes = other_routes
        self._limits = limits
        self._on_shutdown = on_shutdown
        self._guard = guard
        self._observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        sender = Sender(send)
        started = perf_counter()
        try:
            await self._handle(scope, receive, sender)
        except DropConnection:
            raise  # a batch's request: the batch's own connection is dropped
        except Exception as exc:
            # A failure outside every step's own handling (none is expected): still Graph's 500.
            if sender.started:
                raise
            if "request_id" not in scope.get("state", {}):
                assign_request_ids(scope)
            state = scope["state"]
            ids = (state["request_id"], state["client_request_id"])
            await send_response(sender, unexpected_error_response(Request(scope), exc), ids)
        finally:
            if self._observer is not None:
                self._observer.observe(scope, sender.status, perf_counter() - started)

    async def _handle(self, scope: Scope, receive: Receive, send: Sender) -> None:
        scope["app"] = self
        # Routed without the prefix a proxy serves the app under (as Starlette's routers do);
        # links keep it (deps.base_url).
        scope["path"] = route_path(scope)
        ids = assign_request_ids(scope)
        limit = self._limits.body_limit(scope["path"])
        try:
            refusal = refusal_of_head(scope, self._limits, limit)
            if refusal is not None:
                raise refusal
            body = await read_body(scope, receive, limit, self._limits.body_timeout_seconds)
        except GraphError as exc:
            await send_response(send, error_response(Request(scope), exc), ids)
            return
        if body is None:
            return  # the client went away
        try:
            response = await self._respond(scope, body, receive, send)
        except DropConnection:
            await drop(scope, send)
            return
        except Exception as exc:
            if send.started:
                raise
            response = _error_response(scope, exc)
        if response is not None:
            await send_response(send, response, ids)

    async def _respond(
        self, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> Response | None:
        """The operation's response; None when another route sent its own."""
        path = scope["path"]
        if not path.startswith(UNTOUCHED):
            path = scope["path"] = canonical_path(path)
            scope["raw_path"] = quoted_path(path)
        try:
            match = self.router.match(scope["method"], path)
        except MethodNotAllowedHere as exc:
            raise MethodNotAllowed(exc.allow) from None
        if match is not None:
            scope["state"]["operation"] = match.operation
            return await self.answer(match.operation, Call(scope, self, match.params, body))
        if scope.get("state", {}).get("in_batch"):
            # A batch carries Graph requests only: the issuer and the documents are not Graph.
            raise SegmentNotFound(self.router.unmatched_segment(path))
        state = scope["state"]
        # What a 404 of the other routes names, found only then (api/errors.py http_error).
        state["router"] = self.router
        ids = (state["request_id"], state["client_request_id"])

        async def with_graph_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_graph_headers(message, *ids)
            await send(message)

        await self.other_routes(scope, replay(body, receive), with_graph_headers)
        return None

    async def answer(self, operation: Operation, call: Call) -> Response:
        """Steps 4 to 6 of the pipeline for one operation."""
        services = call.services
        if operation.caller is Caller.REQUIRED:
            call.caller = await deps.caller(services, call.scope)
            call.scope["state"]["caller"] = call.caller
            if operation.requirement is not None:
                authorize(call.caller, operation.requirement)
            if self._guard is not None:
                await self._guard.admit(call, operation)
        query = operation.query
        if query is not None:
            call.options = deps.query_options(call.scope, call.root, query.collection, query.target)
            if query.target is Target.COLLECTION:
                call.listing = await deps.list_request(
                    services, call.options, call.principal, call.params
                )
        if operation.prepare is not None:
            call.input = operation.prepare(call)
        return await _run(operation, call)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    self._on_shutdown()
                except Exception as exc:  # the server logs it and exits all the same
                    await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _run(operation: Operation, call: Call) -> Response:
    response = await _answered(operation, call)
    call.committed()
    return response


async def _answered(operation: Operation, call: Call) -> Response:
    answer = cast(Callable[[Call], Response], operation.answer)
    database = call.services.database
    match operation.runs:
        case Runs.READ:
            started = perf_counter()
            try:
                return await deps.read(database, lambda store: call.run_in(store, answer))
            finally:
                call.scope["state"]["database_seconds"] = ("read", perf_counter() - started)
        case Runs.WRITE:
            started = perf_counter()
            try:
                return await deps.write(database, lambda store: call.run_in(store, answer))
            finally:
                call.scope["state"]["database_seconds"] = ("write", perf_counter() - started)
        case Runs.THREAD:
            return await deps.in_thread(answer, call)
        case Runs.LOOP:
            result: Response | Awaitable[Response] = operation.answer(call)
            return await result if inspect.isawaitable(result) else result


def _error_response(scope: Scope, exc: Exception) -> Response:
    request = Request(scope)
    if isinstance(exc, GraphError):
        return error_response(request, exc)
    if isinstance(exc, HTTPException):
        router = scope.get("state", {}).get("router")
        segment = router.unmatched_segment(scope["path"]) if router is not None else ""
        return error_response(request, http_error(exc, segment))
    return unexpected_error_response(request, exc)
