"""JSON batching: `POST /$batch` runs up to 20 Graph requests through the whole app, in order."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from idprotect.api import wire
from idprotect.api.deps import header
from idprotect.api.errors import error_response
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Runs
from idprotect.errors import BadRequest, FailedDependency

MAX_REQUESTS = 20
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_MALFORMED = "Invalid batch payload format."
# What HTTP allows in a request target, a header name and a header value: a sub-request holds
# nothing that could not have been sent alone.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")
# Headers of the batch itself that every sub-request carries (its own are ignored).
_FORWARDED = ("authorization", "client-request-id", "host")
# Hop-by-hop and framing headers describe one HTTP message, never a sub-request or its answer.
_NOT_COPIED = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade", "content-length"}
)
# Graph spells these in responses as below; the rest (request-id...) stay lower case.
_SPELLING = {
    "content-type": "Content-Type",
    "cache-control": "Cache-Control",
    "odata-version": "OData-Version",
    "www-authenticate": "WWW-Authenticate",
    "location": "Location",
    "retry-after": "Retry-After",
}


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One request of a batch, checked: `path` lies under the version root."""

    id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    depends_on: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.id.casefold()  # ids compare without regard to case, as Graph's do


@dataclass(slots=True)
class SubResponse:
    status: int = 500
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


async def batch(call: Call) -> Response:
    if call.scope.get("state", {}).get("in_batch"):
        raise BadRequest("A batch request cannot contain another batch request.")
    requests = parse_batch(_payload(call))
    answered: dict[str, SubResponse] = {}
    for sub in execution_order(requests):
        answered[sub.key] = await _answer(call, sub, answered)
    items = [_response_item(sub.id, answered[sub.key]) for sub in requests]
    return wire.odata_response({"responses": items})


def _payload(call: Call) -> object:
    if not _is_json(header(call.scope, b"content-type") or ""):
        raise BadRequest(_MALFORMED)
    try:
        return orjson.loads(call.body)
    except orjson.JSONDecodeError:
        raise BadRequest(_MALFORMED) from None


def parse_batch(payload: object) -> list[SubRequest]:
    """The batch's requests, or a 400 for the whole batch when any of them is malformed."""
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        raise BadRequest(_MALFORMED)
    items: list[object] = payload["requests"]
    if len(items) > MAX_REQUESTS:
        raise BadRequest(
            f"A batch can hold at most {MAX_REQUESTS} requests; {len(items)} were given."
        )
    requests = [_sub_request(item, index) for index, item in enumerate(items)]
    keys: set[str] = set()
    for sub in requests:
        if sub.key in keys:
            raise BadRequest(f"Request Id {sub.id} has to be unique in a batch.")
        keys.add(sub.key)
    for sub in requests:
        unknown = [name for name in sub.depends_on if name.casefold() not in keys]
        if unknown:
            raise BadRequest(f"Request '{sub.id}' depends on '{unknown[0]}', not in the batch.")
    return requests


def _sub_request(item: object, index: int) -> SubRequest:
    if not isinstance(item, dict):
        raise BadRequest(f"requests[{index}] must be a JSON object.")
    request_id = item.get("id")
    if not isinstance(request_id, str) or not request_id.strip():
        raise BadRequest(f"requests[{index}] needs an 'id' that is a non-empty string.")
    method = item.get("method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise BadRequest(f"Request '{request_id}': the method must be one of {', '.join(METHODS)}.")
    path, query = _target(item.get("url"), request_id)
    headers = _headers(item.get("headers"), request_id)
    return SubRequest(
        id=request_id,
        method=method.upper(),
        path=path,
        query=query,
        headers=headers,
        body=_body(item.get("body"), headers, request_id),
        depends_on=_depends_on(item.get("dependsOn"), request_id),
    )


def _target(url: object, request_id: str) -> tuple[str, str]:
    """The path (under the version root) and query of a relative `url`."""
    if not isinstance(url, str) or not url.strip():
        raise BadRequest(f"Request '{request_id}': the url must be a non-empty string.")
    if _CONTROL.search(url):
        raise BadRequest(f"Request '{request_id}': the url must not hold control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:  # an authority that does not parse ("//[", "http://[::1"): not relative
        parts = None
    if parts is None or parts.scheme or parts.netloc:
        raise BadRequest(f"Request '{request_id}': the url must be relative, not '{url}'.")
    path = "/" + parts.path.lstrip("/")
    if any(segment in (".", "..") for segment in unquote(path).split("/")):
        raise BadRequest(f"Request '{request_id}': the url leaves the version root.")
    return path, parts.query


def _headers(headers: object, request_id: str) -> dict[str, str]:
    if headers is None:
        return {}
    invalid = BadRequest(
        f"Request '{request_id}': headers must map header names to printable ASCII strings."
    )
    if not isinstance(headers, dict):
        raise invalid
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(value, str) or not _is_header(name, value):
            raise invalid
        if name.lower() not in _NOT_COPIED:  # framing is the batch's business, not the client's
            checked[name.lower()] = value
    return checked


def _is_header(name: str, value: str) -> bool:
    return bool(_TOKEN.fullmatch(name) and _FIELD_VALUE.fullmatch(value))


def _body(body: object, headers: dict[str, str], request_id: str) -> bytes:
    """A JSON body as JSON; any other content type's body is sent base64-encoded."""
    if body is None:
        return b""
    content_type = headers.get("content-type")
    if content_type is None:
        raise BadRequest(f"Request '{request_id}': a body needs a Content-Type header.")
    if _is_json(content_type):
        return orjson.dumps(body)
    try:
        if isinstance(body, str):
            return base64.b64decode(body, validate=True)
    except ValueError:  # not base64, or not even ASCII
        pass
    raise BadRequest(f"Request '{request_id}': a body of type '{content_type}' must be base64.")


def _depends_on(depends_on: object, request_id: str) -> tuple[str, ...]:
    if depends_on is None:
        return ()
    if not isinstance(depends_on, list) or not all(isinstance(n, str) for n in depends_on):
        raise BadRequest(f"Request '{request_id}': dependsOn must be an array of request ids.")
    return tuple(depends_on)


def execution_order(requests: list[SubRequest]) -> list[SubRequest]:
    """Requests in batch order, each moved after those it depends on; a cycle is a 400."""
    done: set[str] = set()
    order: list[SubRequest] = []
    pending = list(requests)
    while pending:
        ready = [s for s in pending if done.issuperset(n.casefold() for n in s.depends_on)]
        if not ready:
            raise BadRequest(f"The dependsOn of request '{pending[0].id}' form a cycle.")
        order.append(ready[0])
        done.add(ready[0].key)
        pending.remove(ready[0])
    return order


async def _answer(outer: Call, sub: SubRequest, answered: dict[str, SubResponse]) -> SubResponse:
    failed = [n for n in sub.depends_on if answered[n.casefold()].status >= 400]
    if not failed:
        return await _run(outer, sub)
    error = FailedDependency(f"The request depends on request '{failed[0]}', which failed.")
    response = error_response(Request(outer.scope), error)
    return SubResponse(response.status_code, list(response.headers.items()), bytes(response.body))


async def _run(outer: Call, sub: SubRequest) -> SubResponse:
    """Sends `sub` through the whole pipeline (limits, routing, caller, errors) in-process."""
    answer = SubResponse()
    messages: list[Message] = [{"type": "http.request", "body": sub.body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            raw = message.get("headers", [])
            answer.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await outer.app(_scope(outer, sub), receive, send)
    return answer


def _scope(outer: Call, sub: SubRequest) -> Scope:
    version = outer.path.rsplit("/", 2)[-2]  # the segment before `$batch`
    path = f"/{version}{unquote(sub.path)}"
    given = ((name, header(outer.scope, name.encode())) for name in _FORWARDED)
    forwarded = {name: value for name, value in given if value is not None}
    headers = {**sub.headers, **forwarded}
    if sub.body:
        headers["content-length"] = str(len(sub.body))
    return {
        "type": "http",
        "asgi": outer.scope.get("asgi", {"version": "3.0"}),
        "http_version": outer.scope.get("http_version", "1.1"),
        "scheme": outer.scope.get("scheme", "http"),
        "server": outer.scope.get("server"),
        "client": outer.scope.get("client"),
        "root_path": outer.scope.get("root_path", ""),
        "method": sub.method,
        "path": path,
        "raw_path": f"/{version}{sub.path}".encode(),
        "query_string": sub.query.encode(),
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "state": {"in_batch": True},
    }


def _response_item(request_id: str, answer: SubResponse) -> dict[str, Any]:
    headers = {
        _SPELLING.get(name, name): value
        for name, value in answer.headers
        if name.lower() not in _NOT_COPIED
    }
    item: dict[str, Any] = {"id": request_id, "status": answer.status, "headers": headers}
    if answer.body and answer.status != 204:
        content_type = headers.get("Content-Type", "")
        item["body"] = (
            orjson.loads(answer.body)
            if _is_json(content_type)
            else base64.b64encode(answer.body).decode()
        )
    return item


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


OPERATIONS = tuple(
    Operation("POST", f"/{version}/$batch", batch, Runs.LOOP) for version in ("v1.0", "beta")
)
