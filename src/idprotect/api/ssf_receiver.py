"""The Shared Signals receiver's push endpoint (RFC 8935), one per tenant: a SET from one of
the tenant's trusted transmitters is verified, then taken in as detections. The SET is its own
credential (no bearer token); refusals are RFC 8935's error body, `{"err", "description"}`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.responses import Response

from idprotect.api import deps
from idprotect.api.pipeline import Call
from idprotect.api.routing import Caller, Operation, Runs
from idprotect.domain.clock import utc_now
from idprotect.signals.receiver import Receivers, take_set
from idprotect.signals.sets import SET_MEDIA_TYPE, SetRejected

PATH = "/ssf/{tenant_id}/receiver"


def _refusal(exc: SetRejected) -> Response:
    return Response(orjson.dumps(exc.body()), status_code=400, media_type="application/json")


def receiving(receivers: Receivers) -> Callable[[Call], Awaitable[Response]]:
    async def receive(call: Call) -> Response:
        tenant_id = call.params["tenant_id"]
        media_type = (deps.header(call.scope, b"content-type") or "").split(";")[0].strip()
        if media_type.lower() != SET_MEDIA_TYPE:
            return _refusal(
                SetRejected("invalid_request", f"Content-Type must be {SET_MEDIA_TYPE}.")
            )
        token = call.body.decode("ascii", errors="replace").strip()
        try:
            claims = await deps.in_thread(receivers.verify, tenant_id, token)
        except SetRejected as exc:
            return _refusal(exc)
        clock = call.services.clock
        await deps.write(
            call.services.database,
            lambda store: take_set(store, tenant_id, claims, clock=clock, now=utc_now()),
        )
        return Response(status_code=202)

    return receive


def operations(receivers: Receivers) -> list[Operation]:
    answer = receiving(receivers)
    return [Operation("POST", PATH, answer, Runs.LOOP, caller=Caller.NONE)]
