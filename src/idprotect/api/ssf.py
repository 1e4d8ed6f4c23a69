"""The Shared Signals transmitter (SSF 1.0): its configuration document, the stream management
API and poll delivery (RFC 8936). Each tenant is a transmitter of its own, issuer
`{base}/ssf/{tenant}`; its streams need `IdentityProtection.Admin` or `IdentityProtection.Signals`.

Errors take Graph's shape (SSF 1.0 gives statuses, not bodies); see docs/signals.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, cast
from urllib.parse import parse_qs

import orjson
from starlette.responses import Response

from idprotect.api import deps
from idprotect.api.admin import _TENANT_ID_MAX, _tenant_id
from idprotect.api.pipeline import Call
from idprotect.api.routing import Caller, Operation, Runs
from idprotect.auth.permissions import MANAGE_SIGNALS
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.domain.clock import utc_now
from idprotect.errors import BadRequest
from idprotect.issuer.service import signing_key
from idprotect.signals import service
from idprotect.signals.streams import POLL_METHOD, PUSH_METHOD, ssf_view, status_view

ROOT = "/ssf/{tenant_id}"
WELL_KNOWN = "/.well-known/ssf-configuration"
# The longest a poll with returnImmediately false waits for events (RFC 8936 2.4.1).
LONG_POLL_SECONDS = 10.0
_LONG_POLL_STEP = 0.1


def _json(payload: object, status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def issuer(call: Call, tenant_id: str) -> str:
    return f"{deps.base_url(call.scope)}/ssf/{tenant_id}"


def configuration(call: Call, tenant_id: str) -> dict[str, Any]:
    """The transmitter configuration metadata (SSF 1.0 7.1) of the tenant's transmitter."""
    iss = issuer(call, tenant_id)
    base = deps.base_url(call.scope)
    return {
        "spec_version": "1_0",
        "issuer": iss,
        "jwks_uri": f"{base}/{tenant_id}/discovery/v2.0/keys",
        "delivery_methods_supported": [PUSH_METHOD, POLL_METHOD],
        "configuration_endpoint": f"{iss}/streams",
        "status_endpoint": f"{iss}/status",
        "add_subject_endpoint": f"{iss}/subjects:add",
        "remove_subject_endpoint": f"{iss}/subjects:remove",
        "verification_endpoint": f"{iss}/verify",
        "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
        "default_subjects": "ALL",
    }


def tenant_configuration(call: Call) -> Response:
    """The issuer path form, public (SSF 1.0 7.2): any tenant id the service could hold."""
    tenant_id = call.params["tenant_id"]
    if not 1 <= len(tenant_id) <= _TENANT_ID_MAX or "\x00" in tenant_id:
        raise BadRequest(f"The tenant id must have from 1 to {_TENANT_ID_MAX} characters.")
    return _json(configuration(call, tenant_id))


async def default_configuration(call: Call) -> Response:
    """The bare path: the caller's tenant (the demo tenant under `--auth off`)."""
    if call.services.settings.auth == "off":
        return _json(configuration(call, DEMO_TENANT_ID))
    caller = await deps.caller(call.services, call.scope)
    return _json(configuration(call, caller.tenant_id))


def _body(call: Call) -> dict[str, Any]:
    body = deps.json_body(call.scope, call.body)
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def _prepared(call: Call) -> tuple[str, dict[str, Any]]:
    return _tenant_id(call), _body(call)


def _input(call: Call) -> tuple[str, dict[str, Any]]:
    return cast(tuple[str, dict[str, Any]], call.input)


def _connection(call: Call) -> Any:
    """The unit of work's connection, for the signals' statements (store/streams.py)."""
    return _connection_of(call.store)


def _connection_of(store: object) -> Any:
    return cast(Any, store).connection


def _query(call: Call, name: str) -> str | None:
    query = call.scope["query_string"].decode("latin-1")
    values = parse_qs(query, keep_blank_values=True).get(name)
    return values[0] if values else None


def _poll_url(call: Call, tenant_id: str) -> str:
    return issuer(call, tenant_id) + "/poll/{stream_id}"


def _stream_call(call: Call, tenant_id: str) -> service.StreamCall:
    """Who calls the stream API, and when: its receiver's calls restart the inactivity timeout
    the server gives streams (docs/signals.md)."""
    principal = call.principal
    return service.StreamCall(
        tenant_id,
        caller=principal.app_id or principal.object_id,
        now=call.services.clock(),
        inactivity_timeout=call.services.settings.ssf_inactivity_timeout_seconds,
        allowed_hosts=call.services.settings.signals_allowed_hosts,
    )


def create_stream(call: Call) -> Response:
    tenant_id, body = _input(call)
    stream = service.create_stream(
        _connection(call),
        _stream_call(call, tenant_id),
        iss=issuer(call, tenant_id),
        body=body,
        poll_url=_poll_url(call, tenant_id),
    )
    return _json(ssf_view(stream), status=201)


def read_streams(call: Call) -> Response:
    """One stream (`?stream_id=`), or every stream of the tenant (a list, maybe empty)."""
    tenant_id = call.input
    assert isinstance(tenant_id, str)
    connection, stream_call = _connection(call), _stream_call(call, tenant_id)
    stream_id = _query(call, "stream_id")
    if stream_id is not None:
        return _json(ssf_view(service.find_stream(connection, stream_call, stream_id)))
    return _json([ssf_view(s) for s in service.list_ssf_streams(connection, stream_call)])


def _updating(replace_all: bool) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        tenant_id, body = _input(call)
        stream = service.update_stream(
            _connection(call),
            _stream_call(call, tenant_id),
            body=body,
            poll_url=_poll_url(call, tenant_id),
            replace_all=replace_all,
        )
        return _json(ssf_view(stream))

    return answer


def delete_stream(call: Call) -> Response:
    tenant_id = call.input
    assert isinstance(tenant_id, str)
    service.delete_stream(
        _connection(call), _stream_call(call, tenant_id), _query(call, "stream_id")
    )
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def read_status(call: Call) -> Response:
    tenant_id = call.input
    assert isinstance(tenant_id, str)
    stream_call = _stream_call(call, tenant_id)
    stream = service.find_stream(_connection(call), stream_call, _query(call, "stream_id"))
    return _json(status_view(stream))


def update_status(call: Call) -> Response:
    tenant_id, body = _input(call)
    stream = service.set_status(
        _connection(call),
        _stream_call(call, tenant_id),
        stream_id=body.get("stream_id"),
        status=body.get("status"),
        reason=body.get("reason"),
    )
    return _json(status_view(stream))


def _subjects(add: bool) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        tenant_id, body = _input(call)
        stream_call = _stream_call(call, tenant_id)
        service.change_subject(_connection(call), stream_call, body=body, add=add)
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return answer


def verify(call: Call) -> Response:
    tenant_id, body = _input(call)
    service.request_verification(_connection(call), _stream_call(call, tenant_id), body)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


async def poll(call: Call) -> Response:
    """RFC 8936: acknowledge, report errors, take up to maxEvents SETs; with returnImmediately
    false an empty poll waits (at most LONG_POLL_SECONDS) for events to arrive."""
    tenant_id, body = _input(call)
    immediate = body.get("returnImmediately", False)
    if not isinstance(immediate, bool):
        raise BadRequest("'returnImmediately' must be a boolean.")
    deadline = time.monotonic() + LONG_POLL_SECONDS
    request = body
    # The key is read (made, the first time) before the poll's own write transaction.
    key = await deps.in_thread(signing_key, call.services.database, utc_now())
    database, stream_id = call.services.database, call.params["stream_id"]
    while True:
        polled = await deps.write(database, _polling(call, tenant_id, request))
        tokens = await deps.in_thread(call.services.signer.sign_all, polled.events, key)
        answer = {
            "sets": {event.jti: token for event, token in zip(polled.events, tokens, strict=True)},
            "moreAvailable": polled.more_available,
        }
        if tokens or immediate:
            return _json(answer)
        request = {"maxEvents": body.get("maxEvents")}  # acknowledged already
        # Waiting reads (no write lock) until an event is there to hand out, or time is up.
        waiting = partial(_waiting, stream_id=stream_id, clock=call.services.clock)
        while not await deps.read(database, waiting):
            if time.monotonic() >= deadline:
                return _json(answer)
            await asyncio.sleep(_LONG_POLL_STEP)


def _waiting(store: Any, *, stream_id: str, clock: Callable[[], datetime]) -> bool:
    return service.events_waiting(_connection_of(store), stream_id, clock())


def _polling(call: Call, tenant_id: str, request: dict[str, Any]) -> Callable[[Any], Any]:
    def work(store: Any) -> service.Polled:
        return service.poll_events(
            store.connection, _stream_call(call, tenant_id), stream_id=call.params["stream_id"],
            request=request,
        )  # fmt: skip

    return work


def _op(
    method: str, path: str, answer: Any, runs: Runs, prepare: Callable[[Call], object]
) -> Operation:
    return Operation(method, ROOT + path, answer, runs, MANAGE_SIGNALS, prepare=prepare)


OPERATIONS = (
    Operation("GET", WELL_KNOWN, default_configuration, Runs.LOOP, caller=Caller.NONE),
    Operation("GET", f"{WELL_KNOWN}/ssf/{{tenant_id}}", tenant_configuration, Runs.LOOP,
              caller=Caller.NONE),
    _op("POST", "/streams", create_stream, Runs.WRITE, _prepared),
    # Reads too are writes: the receiver's calls restart its streams' inactivity timeouts.
    _op("GET", "/streams", read_streams, Runs.WRITE, _tenant_id),
    _op("PATCH", "/streams", _updating(replace_all=False), Runs.WRITE, _prepared),
    _op("PUT", "/streams", _updating(replace_all=True), Runs.WRITE, _prepared),
    _op("DELETE", "/streams", delete_stream, Runs.WRITE, _tenant_id),
    _op("GET", "/status", read_status, Runs.WRITE, _tenant_id),
    _op("POST", "/status", update_status, Runs.WRITE, _prepared),
    _op("POST", "/subjects:add", _subjects(add=True), Runs.WRITE, _prepared),
    _op("POST", "/subjects:remove", _subjects(add=False), Runs.WRITE, _prepared),
    _op("POST", "/verify", verify, Runs.WRITE, _prepared),
    _op("POST", "/poll/{stream_id}", poll, Runs.LOOP, _prepared),
)  # fmt: skip
