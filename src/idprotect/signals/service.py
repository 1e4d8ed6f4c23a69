"""The stream management operations of SSF 1.0 (section 8) and poll delivery (RFC 8936), on the
unit of work's connection. Every operation names its tenant: a stream of another tenant is 404.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from idprotect.errors import BadRequest, NotFound, TooManyRequests
from idprotect.signals.events import SSF_VERIFICATION, Target, set_claims
from idprotect.signals.streams import (
    MIN_VERIFICATION_INTERVAL,
    POLL,
    VERIFIED_AT,
    WEBHOOK,
    Stream,
    configured,
    new_ssf_stream,
    with_status,
)
from idprotect.signals.subjects import subject_key
from idprotect.signals.subscriptions import renewed
from idprotect.store import outbox, streams
from idprotect.store.outbox import Pending

# How long a polled event waits for its acknowledgement before a poll hands it out again.
REDELIVER_AFTER = timedelta(seconds=30)
MAX_EVENTS = 1_000


def create_stream(
    connection: Connection, *, tenant_id: str, iss: str, body: dict[str, Any], poll_url: str,
    now: datetime,
) -> Stream:  # fmt: skip
    stream = new_ssf_stream(tenant_id=tenant_id, iss=iss, body=body, poll_url=poll_url, now=now)
    streams.add_stream(connection, stream)
    return stream


def find_stream(connection: Connection, tenant_id: str, stream_id: object) -> Stream:
    """The tenant's SSF stream `stream_id`, locked for the unit of work; else NotFound."""
    if not isinstance(stream_id, str) or not stream_id:
        raise BadRequest("stream_id is required.")
    stream = streams.get_stream(connection, tenant_id, stream_id[:64], lock=True)
    if stream is None or stream.delivery == WEBHOOK:
        raise NotFound(f"The stream '{stream_id}' was not found.")
    return stream


def list_ssf_streams(connection: Connection, tenant_id: str) -> list[Stream]:
    return streams.list_streams(connection, tenant_id, webhooks=False)


def update_stream(
    connection: Connection, *, tenant_id: str, body: dict[str, Any], poll_url: str,
    replace_all: bool,
) -> Stream:  # fmt: skip
    """PATCH (the properties given) or PUT (all of them) of a stream's configuration."""
    stream = find_stream(connection, tenant_id, body.get("stream_id"))
    changed = configured(
        stream, body, poll_url=poll_url.format(stream_id=stream.id), replace_all=replace_all
    )
    streams.save_stream(connection, changed)
    return changed


def delete_stream(connection: Connection, tenant_id: str, stream_id: object) -> None:
    streams.delete_stream(connection, find_stream(connection, tenant_id, stream_id))


def set_status(
    connection: Connection, *, tenant_id: str, stream_id: object, status: object, reason: object
) -> Stream:
    """enabled, paused (events are held) or disabled (events are dropped, now and later)."""
    stream = find_stream(connection, tenant_id, stream_id)
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("reason must be a string.")
    changed = with_status(stream, str(status), reason)
    if changed.status == "disabled":
        outbox.drop_stream_events(connection, stream.id)
    streams.save_stream(connection, changed)
    return changed


def change_subject(
    connection: Connection, *, tenant_id: str, body: dict[str, Any], add: bool
) -> None:
    """Streams carry every subject (default_subjects ALL): removing one keeps its events
    off the stream; adding it back lets them through again."""
    stream = find_stream(connection, tenant_id, body.get("stream_id"))
    key = subject_key(body.get("subject"))
    if add:
        streams.include_subject(connection, stream.id, key)
    else:
        streams.exclude_subject(connection, stream.id, key)


def request_verification(
    connection: Connection, *, tenant_id: str, body: dict[str, Any], now: datetime
) -> None:
    """Queue the verification event (SSF 1.0 8.1.4), its `state` echoed back."""
    stream = _verifiable(find_stream(connection, tenant_id, body.get("stream_id")), now)
    streams.save_stream(connection, stream)
    state = body.get("state")
    if state is not None and not (isinstance(state, str) and len(state) <= 1024):
        raise BadRequest("state must be a string of at most 1,024 characters.")
    target = Target(stream.id, stream.delivery, iss=stream.config["iss"], aud=stream.config["aud"])
    event = {"state": state} if state is not None else {}
    subject = {"format": "opaque", "id": stream.id}
    claims = set_claims(target, subject, SSF_VERIFICATION, event, txn=stream.id)
    outbox.add_event(connection, stream.id, claims, now)


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
    connection: Connection, *, tenant_id: str, stream_id: str, request: dict[str, Any],
    now: datetime,
) -> Polled:  # fmt: skip
    """One poll (RFC 8936 2.4): settle the acknowledgements and errors, then take up to
    maxEvents events to hand out, oldest first."""
    stream = find_stream(connection, tenant_id, stream_id)
    if stream.delivery != POLL:
        raise BadRequest("The stream is not a poll stream.")
    outbox.acknowledge(connection, stream.id, _strings(request.get("ack", []), "ack"))
    outbox.refuse_by_jti(connection, stream.id, _set_errors(request.get("setErrs", {})))
    limit = _max_events(request.get("maxEvents"))
    if stream.status != "enabled" or limit == 0:
        return Polled([], more_available=False)
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
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise BadRequest("'setErrs' must map each jti to an object with 'err' and 'description'.")
    return {str(jti): f"{e.get('err')}: {e.get('description')}" for jti, e in value.items()}


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
    now: datetime,
) -> Stream:  # fmt: skip
    stream = renewed(find_subscription(connection, tenant_id, subscription_id), body, now)
    streams.save_stream(connection, stream)
    return stream


def delete_subscription(connection: Connection, tenant_id: str, subscription_id: str) -> None:
    streams.delete_stream(connection, find_subscription(connection, tenant_id, subscription_id))
