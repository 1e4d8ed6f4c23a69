"""What every operation needs, worked out once per request: the app's services, the one door
into storage (units of work, and where they run), the caller, the Graph root and the query."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.types import Scope

from idprotect.api.paths import VERSIONS
from idprotect.api.wire import GraphRoot
from idprotect.auth.principal import Principal, local_security_administrator
from idprotect.auth.verifier import TokenVerifier
from idprotect.domain.clock import Clock
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.kinds import MAX_ACTION_IDS
from idprotect.domain.paging import PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.errors import BadRequest
from idprotect.odata.collections import Collection
from idprotect.odata.options import QueryOptions, Target, parse_query_options
from idprotect.odata.skiptoken import TokenBinding
from idprotect.settings import Settings
from idprotect.signals.signing import SetSigner, signing_threads
from idprotect.store.engine import Database, ReadDeferred

T = TypeVar("T")

_UNREADABLE = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and "
    "payload is of valid JSON format."
)
# Threads for work that blocks: units of work that write or may wait, token verification that
# may fetch keys. One pool per process, made on first use; as many threads as PostgreSQL
# connections (store/engine.py), so that no thread waits for a pooled connection.
DATABASE_THREADS = 16
_threads: ThreadPoolExecutor | None = None
_threads_made = threading.Lock()


@dataclass(slots=True)
class Services:
    """The app's state, shared by its requests (`app.state`)."""

    settings: Settings
    clock: Clock
    database: Database
    verifier: TokenVerifier
    # Tenants whose row is known to exist (a tenant first seen in a token is created).
    known_tenants: set[str] = field(default_factory=set)
    # Signs the SETs polls hand out (RFC 8936), on one thread per core.
    signer: SetSigner = field(default_factory=lambda: SetSigner(signing_threads(0)))


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a database thread; the event loop serves other requests meanwhile."""
    global _threads
    if _threads is None:
        with _threads_made:
            if _threads is None:
                _threads = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="idprotect-db")
    return await asyncio.get_running_loop().run_in_executor(_threads, work, *args)


async def read(database: Database, work: Callable[[RiskStore], T]) -> T:
    """`work` in a read-only unit of work: on this thread when that is quick (a SQLite file,
    within the time budget, never waiting for a lock); otherwise again from the start, on a
    database thread. `work` must only read: it may run twice."""
    if database.reads_quickly:
        try:
            with database.quick_unit_of_work() as store:
                return work(store)
        except ReadDeferred:
            pass
    return await in_thread(_unit_of_work, database, work, False)


async def write(database: Database, work: Callable[[RiskStore], T]) -> T:
    """`work` in a write unit of work on a database thread, committed before this returns."""
    return await in_thread(_unit_of_work, database, work, True)


def _unit_of_work(database: Database, work: Callable[[RiskStore], T], writes: bool) -> T:
    with database.unit_of_work(write=writes) as store:
        return work(store)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower case), without building a headers object."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def graph_root(scope: Scope) -> GraphRoot:
    # The path's first segments as routed: no need to parse the whole URL again.
    segments = scope["path"].split("/", 3)
    version = segments[1] if len(segments) > 1 and segments[1] in VERSIONS else "v1.0"
    legacy_root = len(segments) > 2 and segments[2] != "identityProtection"
    return GraphRoot(
        base_url=base_url(scope),
        version=version,
        set_prefix="" if legacy_root else "identityProtection/",
        include_unknown_enum_members=_INCLUDE_UNKNOWN in preferences(scope),
    )


_INCLUDE_UNKNOWN = "include-unknown-enum-members"


def preferences(scope: Scope) -> frozenset[str]:
    """The preferences a request names (RFC 7240): every Prefer header, each preference's
    token in lower case, without its value or parameters."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    names = (
        item.split(";", 1)[0].split("=", 1)[0].strip().lower()
        for key, value in headers
        if key == b"prefer"
        for item in value.decode("latin-1").split(",")
    )
    return frozenset(name for name in names if name)


def base_url(scope: Scope) -> str:
    """The URL the service answers at, as the request names it, without a trailing slash."""
    server = scope.get("server")
    root_path = scope.get("app_root_path", scope.get("root_path", ""))
    host = header(scope, b"host")
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
    scope: Scope, root: GraphRoot, collection: Collection, target: Target
) -> QueryOptions:
    """The request's query options for `collection`, checked."""
    try:
        query = scope["query_string"].decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The query string is not valid UTF-8.") from None
    return parse_query_options(
        query,
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


async def list_request(
    services: Services, options: QueryOptions, caller: Principal, params: dict[str, str]
) -> ListRequest:
    """The caller's list request: its $skiptoken must have been written for this list of
    this tenant (and of the parent the path names, for a nested collection)."""
    database = services.database
    key = database.cached_skiptoken_key()
    if key is None:
        key = await in_thread(database.skiptoken_key)
    binding = options.binding(key, caller.tenant_id, parent=_parent_key(params))
    return ListRequest(options, binding, options.page(services.settings.default_page_size, binding))


def _parent_key(params: dict[str, str]) -> str:
    """The entity a nested collection belongs to, named by its path parameters (`user_id=…`
    for a user's history; empty for a top-level collection). Ids are compared as the service
    finds them: GUIDs in any case."""
    return ",".join(f"{name}={normalize_object_id(params[name])}" for name in sorted(params))


async def caller(services: Services, scope: Scope) -> Principal:
    """The verified caller; under `--auth off`, the local Security Administrator. A token
    seen before is known at once; a new one is verified on a thread (it may fetch keys)."""
    if services.settings.auth == "off":
        return local_security_administrator()
    authorization = header(scope, b"authorization")
    principal = services.verifier.cached_principal(authorization)
    if principal is None or principal.tenant_id not in services.known_tenants:
        principal = await in_thread(_verified_caller, services, authorization)
    return principal


def _verified_caller(services: Services, authorization: str | None) -> Principal:
    principal = services.verifier.principal_from_header(authorization)
    _ensure_tenant(services, principal.tenant_id)
    return principal


def _ensure_tenant(services: Services, tenant_id: str) -> None:
    """A tenant first seen in a valid token comes into being (empty, default licence)."""
    if tenant_id in services.known_tenants:
        return
    with services.database.unit_of_work(write=True) as store:
        store.ensure_tenant(tenant_id)
    services.known_tenants.add(tenant_id)


def json_body(scope: Scope, body: bytes) -> object:
    """A JSON request body (Content-Type JSON, not empty, well-formed), parsed."""
    content_type = header(scope, b"content-type") or ""
    media_type = content_type.split(";")[0].strip().lower()
    if not (media_type == "application/json" or media_type.endswith("+json")):
        raise BadRequest(_UNREADABLE)
    if not body.strip():
        raise BadRequest("Empty Payload. JSON content expected.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest(_UNREADABLE) from None


def parse_ids(body: object, *, action: str, field: str) -> list[str]:
    """The ids an action names in its body's `field` (userIds, servicePrincipalIds, ...)."""
    if not isinstance(body, dict):
        raise BadRequest(f"The request body must be a JSON object with a '{field}' array.")
    for name in body:
        if name != field and not name.startswith("@"):
            raise BadRequest(
                f"The parameter '{name}' in the request payload is not a valid parameter "
                f"for the operation '{action}'."
            )
    if field not in body:
        raise BadRequest(f"The parameter '{field}' is required for the operation '{action}'.")
    ids = body[field]
    if not isinstance(ids, list):
        raise BadRequest(f"The parameter '{field}' must be an array of strings.")
    if not ids:
        raise BadRequest(f"The parameter '{field}' must hold at least one id.")
    if len(ids) > MAX_ACTION_IDS:
        raise BadRequest(
            f"The parameter '{field}' can hold at most {MAX_ACTION_IDS} ids; {len(ids)} were given."
        )
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"{field}[{index}] must be a non-empty string.")
    return ids
