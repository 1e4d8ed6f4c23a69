"""Request dependencies: the one door into storage, the caller, and the parsed request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, cast

import orjson
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from idprotect.api.paths import VERSIONS
from idprotect.api.wire import GraphRoot
from idprotect.auth.permissions import Requirement, authorize
from idprotect.auth.principal import Principal, local_security_administrator
from idprotect.auth.verifier import TokenVerifier
from idprotect.domain.clock import Clock
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.paging import PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.risky_users import MAX_ACTION_IDS
from idprotect.errors import BadRequest
from idprotect.odata.collections import HISTORY, RISK_DETECTIONS, RISKY_USERS, Collection
from idprotect.odata.options import QueryOptions, Target, parse_query_options
from idprotect.odata.skiptoken import TokenBinding
from idprotect.settings import Settings
from idprotect.store.engine import Database
from idprotect.store.point_reads import PointReader

_UNREADABLE = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and "
    "payload is of valid JSON format."
)


# Dependencies that only read the request are `async def`: FastAPI would run a plain `def` in
# the thread pool, one thread hop each. Only work that may block (the database, a key fetch)
# goes to the pool.


async def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _graph_root(request: Request) -> GraphRoot:
    return graph_root(request)


def graph_root(request: Request) -> GraphRoot:
    # The path's first segments as routed: no need to parse the whole URL again.
    segments = request.scope["path"].split("/", 3)
    version = segments[1] if len(segments) > 1 and segments[1] in VERSIONS else "v1.0"
    legacy_root = len(segments) > 2 and segments[2] != "identityProtection"
    headers = request.headers
    prefer = headers.get("prefer", "").lower()
    return GraphRoot(
        base_url=_base_url(request.scope, headers.get("host")),
        version=version,
        set_prefix="" if legacy_root else "identityProtection/",
        include_unknown_enum_members="include-unknown-enum-members" in prefer,
    )


def _base_url(scope: Scope, host: str | None) -> str:
    server = scope.get("server")
    root_path = scope.get("app_root_path", scope.get("root_path", ""))
    return _base_url_of(scope.get("scheme", "http"), tuple(server or ()), host, root_path)


@lru_cache(maxsize=256)
def _base_url_of(scheme: str, server: tuple[Any, ...], host: str | None, root_path: str) -> str:
    """Starlette's `request.base_url` without its trailing slash, for what it depends on;
    working it out parses a URL, a few µs on every request."""
    scope: Scope = {
        "type": "http",
        "scheme": scheme,
        "server": server or None,
        "path": "/",
        "query_string": b"",
        "root_path": root_path,
        "headers": [(b"host", host.encode("latin-1"))] if host is not None else [],
    }
    return str(Request(scope).base_url).rstrip("/")


def query_options(
    collection: Collection, target: Target = Target.COLLECTION
) -> Callable[..., Awaitable[QueryOptions]]:
    """A dependency parsing the request's query options for `collection`."""

    async def parse(
        request: Request, root: Annotated[GraphRoot, Depends(_graph_root)]
    ) -> QueryOptions:
        return _parse_options(request, root, collection, target)

    return parse


def _parse_options(
    request: Request, root: GraphRoot, collection: Collection, target: Target
) -> QueryOptions:
    # The root comes from the request's cached dependency: it is built once per request.
    return parse_query_options(
        request.url.query,
        collection,
        target=target,
        version=root.version,
        include_unknown_enum_members=root.include_unknown_enum_members,
    )


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A list request: its options, what its $skiptoken binds to, and the page it asks for."""

    options: QueryOptions
    binding: TokenBinding
    page: PageRequest


def list_request(collection: Collection) -> Callable[..., ListRequest]:
    """A dependency giving the caller's list request on `collection` (after authorization)."""

    def build(
        request: Request,
        root: Annotated[GraphRoot, Depends(_graph_root)],
        caller: Annotated[Principal, Depends(_caller)],
        database: Annotated[Database, Depends(_database)],
        settings: Annotated[Settings, Depends(_settings)],
    ) -> ListRequest:
        options = _parse_options(request, root, collection, Target.COLLECTION)
        key, tenant = database.skiptoken_key(), caller.tenant_id
        binding = options.binding(key, tenant, parent=_parent_key(request))
        return ListRequest(options, binding, options.page(settings.default_page_size, binding))

    return build


def _parent_key(request: Request) -> str:
    """The entity a nested collection belongs to, named by its route's path parameters
    (`user_id=…` for a user's history; empty for a top-level collection). Ids are compared as
    the service finds them: GUIDs in any case."""
    params = request.path_params
    return ",".join(f"{name}={normalize_object_id(params[name])}" for name in sorted(params))


async def _caller(request: Request) -> Principal:
    """The verified caller; under `--auth off`, the local Security Administrator."""
    principal = cached_caller(request)
    if principal is None:
        header = request.headers.get("authorization")
        principal = await run_in_threadpool(_verified_caller, request.app.state, header)
    return principal


def cached_caller(request: Request) -> Principal | None:
    """The caller, when known without leaving the event loop: `--auth off`, or a token verified
    before whose tenant exists. None when finding out may block (a new token, a new tenant)."""
    state = request.app.state
    if state.settings.auth == "off":
        return local_security_administrator()
    verifier: TokenVerifier = state.verifier
    principal = verifier.cached_principal(request.headers.get("authorization"))
    if principal is None or principal.tenant_id not in state.known_tenants:
        return None
    return principal


def _verified_caller(state: Any, header: str | None) -> Principal:
    verifier: TokenVerifier = state.verifier
    principal = verifier.principal_from_header(header)
    _ensure_tenant(state, principal.tenant_id)
    return principal


def _ensure_tenant(state: Any, tenant_id: str) -> None:
    """A tenant first seen in a valid token comes into being (empty, default licence)."""
    known: set[str] = state.known_tenants
    if tenant_id in known:
        return
    database: Database = state.database
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(tenant_id)
    known.add(tenant_id)


Caller = Annotated[Principal, Depends(_caller)]


async def prefetched_risky_user(request: Request, tenant_id: str, user_id: str) -> RiskStore:
    """A store that answers `get_risky_user` (the tenant's licence and the user) from one
    statement: on the event loop for a SQLite file, in the thread pool otherwise."""
    reader: PointReader = request.app.state.point_reader
    key = normalize_object_id(user_id)  # the id the service asks its store for
    if reader.on_loop:
        prefetched = reader.risky_user(tenant_id, key)
    else:
        prefetched = await run_in_threadpool(reader.risky_user, tenant_id, key)
    # It answers only what get_risky_user asks; any other question raises.
    return cast(RiskStore, prefetched)


def require(requirement: Requirement) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency giving the caller, once they hold what `requirement` asks for."""

    async def authorized(caller: Annotated[Principal, Depends(_caller)]) -> Principal:
        authorize(caller, requirement)
        return caller

    return authorized


async def _action_user_ids(request: Request) -> list[str]:
    """The `userIds` of an action body, checked before anything changes."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media_type == "application/json" or media_type.endswith("+json")):
        raise BadRequest(_UNREADABLE)
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Empty Payload. JSON content expected.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(_UNREADABLE) from None
    return parse_user_ids(body, action=request.url.path.rsplit("/", 1)[-1])


def parse_user_ids(body: object, *, action: str) -> list[str]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object with a 'userIds' array.")
    for name in body:
        if name != "userIds" and not name.startswith("@"):
            raise BadRequest(
                f"The parameter '{name}' in the request payload is not a valid parameter "
                f"for the operation '{action}'."
            )
    if "userIds" not in body:
        raise BadRequest(f"The parameter 'userIds' is required for the operation '{action}'.")
    user_ids = body["userIds"]
    if not isinstance(user_ids, list):
        raise BadRequest("The parameter 'userIds' must be an array of strings.")
    if not user_ids:
        raise BadRequest("The parameter 'userIds' must hold at least one id.")
    if len(user_ids) > MAX_ACTION_IDS:
        raise BadRequest(
            f"The parameter 'userIds' can hold at most {MAX_ACTION_IDS} ids; "
            f"{len(user_ids)} were given."
        )
    for index, user_id in enumerate(user_ids):
        if not isinstance(user_id, str) or not user_id.strip():
            raise BadRequest(f"userIds[{index}] must be a non-empty string.")
    return user_ids


Db = Annotated[Database, Depends(_database)]
AppSettings = Annotated[Settings, Depends(_settings)]
Now = Annotated[Clock, Depends(_clock)]
Root = Annotated[GraphRoot, Depends(_graph_root)]
RiskyUsersList = Annotated[ListRequest, Depends(list_request(RISKY_USERS))]
RiskyUserOptions = Annotated[QueryOptions, Depends(query_options(RISKY_USERS, Target.ENTITY))]
RiskyUsersCount = Annotated[QueryOptions, Depends(query_options(RISKY_USERS, Target.COUNT))]
HistoryList = Annotated[ListRequest, Depends(list_request(HISTORY))]
HistoryItemOptions = Annotated[QueryOptions, Depends(query_options(HISTORY, Target.ENTITY))]
RiskDetectionsList = Annotated[ListRequest, Depends(list_request(RISK_DETECTIONS))]
RiskDetectionOptions = Annotated[
    QueryOptions, Depends(query_options(RISK_DETECTIONS, Target.ENTITY))
]
ActionUserIds = Annotated[list[str], Depends(_action_user_ids)]
