"""The stream management operations of SSF 1.0 (section 8) and poll delivery (RFC 8936), on the
unit of work's connection. Every operation names its tenant: a stream of another tenant is 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from idprotect.errors import BadRequest, NotFound, TooManyRequests
from idprotect.signals.events import SSF_STREAM_UPDATED, SSF_VERIFICATION, Target, set_claims
from idprotect.signals.streams import (
    MIN_VERIFICATION_INTERVAL,
    POLL,
    VERIFIED_AT,
    WEBHOOK,
    Stream,
    active,
    configured,
    is_receiver,
    new_ssf_stream,
    with_status,
)
from idprotect.signals.subjects import subject_key
from idprotect.signals.subscriptions import authorized, renewed
from idprotect.store import outbox, streams
from idprotect.store.outbox import Pending

# How long a polled event waits for its acknowledgement before a poll hands it out again.
REDELIVER_AFTER = timedelta(seconds=30)
MAX_EVENTS = 1_000


@dataclass(frozen=True, slots=True)
class StreamCall:
    """A call of the stream API: the tenant, who calls (an application's id, or a user's
    object id), when, the transmitter's inactivity_timeout in seconds (None: none), and the
    hosts push streams may name (empty: any)."""

    tenant_id: str
    caller: str | None
    now: datetime
    inactivity_timeout: int | None = None
    allowed_hosts: tuple[str, ...] = ()  # where a push stream may send (endpoints.py)


def create_stream(
    connection: Connection, call: StreamCall, *, iss: str, body: dict[str, Any], poll_url: str
) -> Stream:
    stream = new_ssf_stream(
        tenant_id=call.tenant_id, iss=iss, body=body, poll_url=poll_url, receiver=call.caller,
        now=call.now, allowed_hosts=call.allowed_hosts,
    )  # fmt: skip
    stream = active(stream, caller=call.caller, now=call.now, timeout=call.inactivity_timeout)
    streams.add_stream(connection, stream)
    return stream


def find_stream(connection: Connection, call: StreamCall, stream_id: object) -> Stream:
    """The tenant's SSF stream `stream_id`, locked for the unit of work; else NotFound. A call
    of its receiver that names it restarts its inactivity timeout (SSF 1.0 8.1.1)."""
    if not isinstance(stream_id, str) or not stream_id:
        raise BadRequest("stream_id is required.")
    stream = streams.get_stream(connection, call.tenant_id, stream_id[:64], lock=True)
    if stream is None or stream.delivery == WEBHOOK:
        raise NotFound(f"The stream '{stream_id}' was not found.")
    return _acted_on(connection, call, stream)


def _acted_on(connection: Connection, call: StreamCall, stream: Stream) -> Stream:
    touched = active(stream, caller=call.caller, now=call.now, timeout=call.inactivity_timeout)
    if touched != stream:
        streams.record_activity(connection, touched)
    return touched


def list_ssf_streams(connection: Connection, call: StreamCall) -> list[Stream]:
    """The tenant's streams (the receiver's, named all at once, restart their timeouts)."""
    found = streams.list_streams(connection, call.tenant_id, webhooks=False)
    return [_acted_on(connection, call, stream) for stream in found]


def update_stream(
    connection: Connection, call: StreamCall, *, body: dict[str, Any], poll_url: str,
    replace_all: bool,
) -> Stream:  # fmt: skip
    """PATCH (the properties given) or PUT (all of them) of a stream's configuration."""
    stream = find_stream(connection, call, body.get("stream_id"))
    changed = configured(
        stream, body, poll_url=poll_url.format(stream_id=stream.id), replace_all=replace_all,
        allowed_hosts=call.allowed_hosts,
    )  # fmt: skip
    streams.save_stream(connection, changed)
    return changed


def delete_stream(connection: Connection, call: StreamCall, stream_id: object) -> None:
    streams.delete_stream(connection, find_stream(connection, call, stream_id))


def set_status(
    connection: Connection, call: StreamCall, *, stream_id: object, status: object,
    reason: object,
) -> Stream:  # fmt: skip
    """enabled, paused (events are held) or disabled (events are dropped, now and later). A
    change made by another caller than the receiver (an administrator of the tenant) is the
    transmitter's own: the receiver is told with a stream-updated event (SSF 1.0 8.1.2)."""
    stream = find_stream(connection, call, stream_id)
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("reason must be a string.")
    changed = with_status(stream, str(status), reason)
    if changed.status == "disabled":
        outbox.drop_stream_events(connection, stream.id)
    streams.save_stream(connection, changed)
    if changed.status != stream.status and not is_receiver(stream, call.caller):
        announce_status(connection, changed, call.now)
    return changed


def announce_status(connection: Connection, stream: Stream, now: datetime) -> None:
    """Queue the stream-updated event (SSF 1.0 8.1.5) of the stream's new status: a control
    event, sent before a paused or disabled stream stops."""
    event: dict[str, Any] = {"status": stream.status}
    if stream.reason:
        event["reason"] = stream.reason
    claims = set_claims(
        _target(stream), _itself(stream), SSF_STREAM_UPDATED, event, uuid.uuid4().hex
    )
    outbox.add_event(connection, stream.id, claims, now, control=True)


def disable_inactive_streams(connection: Connection, now: datetime) -> list[Stream]:
    """Disable the streams whose inactivity timeout ran out, each told so with a stream-updated
    event (SSF 1.0 8.1.1 lets the transmitter pause, disable or delete: docs/signals.md)."""
    disabled = []
    for stream in streams.inactive_streams(connection, now):
        reason = f"No activity from the receiver for {stream.inactivity_timeout} seconds."
        if streams.disable_inactive(connection, stream, now, reason):
            outbox.drop_stream_events(connection, stream.id)
            changed = replace(stream, status="disabled", reason=reason, inactive_at=None)
            announce_status(connection, changed, now)
            disabled.append(changed)
    return disabled


def _target(stream: Stream) -> Target:
    return Target(stream.id, stream.delivery, iss=stream.config["iss"], aud=stream.config["aud"])


def _itself(stream: Stream) -> dict[str, str]:
    """The subject of the stream's own events: the stream (SSF 1.0 8.1.4, 8.1.5)."""
    return {"format": "opaque", "id": stream.id}


def change_subject(
    connection: Connection, call: StreamCall, *, body: dict[str, Any], add: bool
) -> None:
    """Streams carry every subject (default_subjects ALL): removing one keeps its events
    off the stream; adding it back lets them through again."""
    stream = find_stream(connection, call, body.get("stream_id"))
    key = subject_key(body.get("subject"))
    if add:
        streams.include_subject(connection, stream.id, key)
    else:
        streams.exclude_subject(connection, stream.id, key)


def request_verification(connection: Connection, call: StreamCall, body: dict[str, Any]) -> None:
    """Queue the verification event (SSF 1.0 8.1.4), its `state` echoed back."""
    stream = _verifiable(find_stream(connection, call, body.get("stream_id")), call.now)
    streams.save_stream(connection, stream)
    state = body.get("state")
    if state is not None and not (isinstance(state, str) and len(state) <= 1024):
        raise BadRequest("state must be a string of at most 1,024 characters.")
    event = {"state": state} if state is not None else {}
    claims = set_claims(_target(stream), _itself(stream), SSF_VERIFICATION, event, txn=stream.id)
    outbox.add_event(connection, stream.id, claims, call.now)


def _verifiable(stream: Stream, now: datetime) -> Stream:
    """The stream with this verification's time; TooManyRequests within the minimum
    interval of the last one (SSF 1.0 8.1.1: min_verification_interval)."""
    last = stream.config.get(VERIFIED_AT)
    if isinstance(last, float) and now.timestamp() - last < MIN_VERIFICATION_INTERVAL:
        raise TooManyRequests(
            f"Verification may be requested once every {MIN_VERIFICATION_INTERVAL} seconds."
        )
    return replace(stream, config={**stream.config, VERIFIED_AT: now.timestamp()})


@dataclass(frozen=True, slots=True)
class Polled:
    """The events a poll hands out, oldest first (signed once the poll's transaction is
    committed, so that no lock is held while they are), and whether more wait."""

    events: list[Pending]
    more_available: bool


def poll_events(
    connection: Connection, call: StreamCall, *, stream_id: str, request: dict[str, Any]
) -> Polled:
    """One poll (RFC 8936 2.4): settle the acknowledgements and errors, then take up to
    maxEvents events to hand out, oldest first (a stream not enabled hands out its control
    events alone)."""
    stream = find_stream(connection, call, stream_id)
    if stream.delivery != POLL:
        raise BadRequest("The stream is not a poll stream.")
    outbox.acknowledge(connection, stream.id, _strings(request.get("ack", []), "ack"))
    outbox.refuse_by_jti(connection, stream.id, _set_errors(request.get("setErrs", {})))
    limit = _max_events(request.get("maxEvents"))
    if limit == 0:
        return Polled([], more_available=False)
    now = call.now
    found = outbox.poll(connection, stream.id, limit=limit, now=now, redeliver=REDELIVER_AFTER)
    more = len(found) == limit and outbox.has_pending(connection, stream.id)
    return Polled(found, more_available=more)


def events_waiting(connection: Connection, stream_id: str, now: datetime) -> bool:
    """Whether a poll of the stream would hand out an event now (a read)."""
    return outbox.pollable(connection, stream_id, now=now, redeliver=REDELIVER_AFTER)


def _strings(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{name}' must be an array of jti strings.")
    return value


def _set_errors(value: object) -> dict[str, str]:
    """RFC 8936 2.4: each jti to its error, `err` (a string) and `description` (a string, if
    given), kept as `err: description`."""
    if not isinstance(value, dict) or not all(_set_error(e) for e in value.values()):
        raise BadRequest(
            "'setErrs' must map each jti to an object with 'err' and 'description' (strings)."
        )
    return {str(jti): f"{e['err']}: {e.get('description', '')}" for jti, e in value.items()}


def _set_error(error: object) -> bool:
    return (
        isinstance(error, dict)
        and isinstance(error.get("err"), str)
        and isinstance(error.get("description", ""), str)
    )


def _max_events(value: object) -> int:
    if value is None:
        return MAX_EVENTS
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadRequest("'maxEvents' must be a non-negative integer.")
    return min(value, MAX_EVENTS)


def add_subscription(connection: Connection, stream: Stream) -> None:
    streams.add_stream(connection, stream)


def find_subscription(connection: Connection, tenant_id: str, subscription_id: str) -> Stream:
    stream = streams.get_stream(connection, tenant_id, subscription_id[:64])
    if stream is None or stream.delivery != WEBHOOK:
        raise NotFound(f"The subscription '{subscription_id}' was not found.")
    return stream


def list_subscriptions(connection: Connection, tenant_id: str) -> list[Stream]:
    return streams.list_streams(connection, tenant_id, webhooks=True)


def renew_subscription(
    connection: Connection, tenant_id: str, subscription_id: str, body: dict[str, Any],
    *, until: datetime | None, now: datetime, allowed_hosts: Sequence[str] = (),
) -> Stream:  # fmt: skip
    """PATCH: renewed, and reauthorized by the caller (authorized until its token expires)."""
    found = find_subscription(connection, tenant_id, subscription_id)
    stream = authorized(renewed(found, body, now, allowed_hosts), until=until, now=now)
    streams.save_stream(connection, stream)
    return stream


def reauthorize_subscription(
    connection: Connection, tenant_id: str, subscription_id: str, *, until: datetime | None,
    now: datetime,
) -> None:  # fmt: skip
    """Graph's reauthorize action: authorized until the caller's token expires, the expiry left
    as it is; a subscription whose authorization had ended gets notifications again."""
    stream = find_subscription(connection, tenant_id, subscription_id)
    streams.save_stream(connection, authorized(stream, until=until, now=now))


def delete_subscription(connection: Connection, tenant_id: str, subscription_id: str) -> None:
    streams.delete_stream(connection, find_subscription(connection, tenant_id, subscription_id))
