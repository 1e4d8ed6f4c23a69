"""Streams: an SSF event stream (push or poll) or a Graph-style subscription (webhook), and the
rules of their configuration (SSF 1.0 section 8.1). Plain Python."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from idprotect.errors import BadRequest
from idprotect.signals.endpoints import header_value, receiver_url
from idprotect.signals.events import EVENTS_SUPPORTED

PUSH, POLL, WEBHOOK = "push", "poll", "webhook"
PUSH_METHOD, POLL_METHOD = "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"
METHODS = {PUSH_METHOD: PUSH, POLL_METHOD: POLL}
STATUSES = ("enabled", "paused", "disabled")
# Transmitter-supplied properties (SSF 1.0 8.1.1); the receiver's are RECEIVER_SUPPLIED, below.
TRANSMITTER_SUPPLIED = ("iss", "aud", "events_supported", "events_delivered", "inactivity_timeout")
MIN_VERIFICATION_INTERVAL = 5
# Kept in the configuration, never shown: when verification was last requested, and who
# created the stream (an application's id; a user's object id for delegated tokens): its
# receiver. Only the receiver's calls restart the inactivity timeout, and a status another
# caller sets is a change the transmitter makes on its own (SSF 1.0 8.1.2: stream-updated).
VERIFIED_AT = "_verified_at"
RECEIVER = "_receiver"


@dataclass(frozen=True, slots=True)
class Stream:
    id: str
    tenant_id: str
    delivery: str  # push, poll, webhook
    status: str
    config: dict[str, Any]
    created_at: datetime
    reason: str | None = None
    expires_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    # SSF streams: the inactivity_timeout in seconds (None: none), and when it runs out unless
    # the receiver acts before (SSF 1.0 8.1.1).
    inactivity_timeout: int | None = None
    inactive_at: datetime | None = None
    # Subscriptions: until when their notifications are authorized (the token that created,
    # renewed or reauthorized them; None: no end), and when reauthorizationRequired is due.
    authorized_until: datetime | None = None
    reauthorize_at: datetime | None = None


def new_stream_id() -> str:
    return uuid.uuid4().hex


def new_ssf_stream(
    *, tenant_id: str, iss: str, body: dict[str, Any], poll_url: str, receiver: str | None,
    now: datetime, allowed_hosts: Sequence[str] = (),
) -> Stream:  # fmt: skip
    """A stream as a receiver asks for it; without `delivery`, a poll stream (SSF 1.0 8.1.1.1)."""
    stream_id = new_stream_id()
    aud = _audience(body.get("aud")) or f"{iss}/receivers/{stream_id}"
    config: dict[str, Any] = {"iss": iss, "aud": aud}
    if receiver is not None:
        config[RECEIVER] = receiver
    stream = Stream(stream_id, tenant_id, POLL, "enabled", config, now)
    return configured(
        stream, body, poll_url=poll_url.format(stream_id=stream_id), allowed_hosts=allowed_hosts
    )


def is_receiver(stream: Stream, caller: str | None) -> bool:
    """Whether `caller` is the stream's receiver (any caller, for a stream that names none)."""
    return stream.config.get(RECEIVER, caller) == caller


def active(stream: Stream, *, caller: str | None, now: datetime, timeout: int | None) -> Stream:
    """The stream after a call of the stream API: the receiver's restarts its inactivity
    timeout, which takes the transmitter's current value (SSF 1.0 8.1.1)."""
    if not is_receiver(stream, caller):
        return stream
    deadline = now + timedelta(seconds=timeout) if timeout is not None else None
    return replace(stream, inactivity_timeout=timeout, inactive_at=deadline)


def configured(
    stream: Stream, body: dict[str, Any], *, poll_url: str, replace_all: bool = False,
    allowed_hosts: Sequence[str] = (),
) -> Stream:  # fmt: skip
    """The stream with the receiver-supplied properties `body` gives (all of them, missing ones
    taking their defaults, when `replace_all`), each checked; transmitter-supplied ones must
    match. A push stream's endpoint is on one of `allowed_hosts` (any host when empty)."""
    _check_transmitter_values(stream, body)
    config = dict(stream.config)
    if replace_all:
        for name in RECEIVER_SUPPLIED:
            config.pop(name, None)
    for name, check in _RECEIVER_CHECKS.items():
        if name in body:
            config[name] = check(body[name])
    delivery = dict(config.get("delivery") or {"method": POLL_METHOD})
    method = METHODS.get(str(delivery.get("method")))
    if method is None:
        raise BadRequest(f"Delivery method '{delivery.get('method')}' is not supported.")
    if method == POLL:
        delivery = {"method": POLL_METHOD, "endpoint_url": poll_url}
    else:
        receiver_url(delivery.get("endpoint_url"), "delivery.endpoint_url", allowed_hosts)
        if "authorization_header" in delivery and delivery["authorization_header"] is not None:
            header_value(delivery["authorization_header"], "delivery.authorization_header")
    config["delivery"] = delivery
    requested = config.get("events_requested")
    config["events_supported"] = list(EVENTS_SUPPORTED)
    config["events_delivered"] = [
        e for e in EVENTS_SUPPORTED if requested is None or e in requested
    ]
    return replace(stream, delivery=method, config=config)


def _check_transmitter_values(stream: Stream, body: dict[str, Any]) -> None:
    current = ssf_view(stream)
    for name in TRANSMITTER_SUPPLIED:
        if name in body and body[name] != current.get(name):
            raise BadRequest(f"'{name}' is set by the transmitter and cannot be changed.")


def _delivery(value: object) -> dict[str, Any] | None:
    """The delivery a receiver asks for (SSF 1.0 8.1.1): an object (its URL, if any, a
    string: a push stream's is checked as a URL above), or null for the default."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("endpoint_url", ""), str):
        raise BadRequest("delivery must be a JSON object with a 'method' (a string).")
    return value


def _description(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadRequest("description must be a string.")
    return value


def _audience(value: object) -> str | list[str] | None:
    """`aud` as a receiver may name it (SSF 1.0 8.1.1): a string or an array of strings."""
    if value is None or value == "":
        return None
    if isinstance(value, str) or (
        isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)
    ):
        return value
    raise BadRequest("aud must be a string or a non-empty array of strings.")


def ssf_view(stream: Stream) -> dict[str, Any]:
    """The stream configuration as SSF 1.0 writes it."""
    shown = {name: value for name, value in stream.config.items() if not name.startswith("_")}
    view: dict[str, Any] = {"stream_id": stream.id, **shown}
    view["min_verification_interval"] = MIN_VERIFICATION_INTERVAL
    if stream.inactivity_timeout is not None:
        view["inactivity_timeout"] = stream.inactivity_timeout
    return view


def status_view(stream: Stream) -> dict[str, Any]:
    view: dict[str, Any] = {"stream_id": stream.id, "status": stream.status}
    if stream.reason:
        view["reason"] = stream.reason
    return view


def with_status(stream: Stream, status: str, reason: str | None) -> Stream:
    if status not in STATUSES:
        raise BadRequest(f"The status must be one of {', '.join(STATUSES)}.")
    return replace(stream, status=status, reason=reason)


def requested_events(value: object) -> Sequence[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest("events_requested must be an array of event type URIs.")
    return value


# The receiver-supplied properties (SSF 1.0 8.1.1), each checked before it is kept.
_RECEIVER_CHECKS: dict[str, Callable[[Any], object]] = {
    "events_requested": requested_events,
    "delivery": _delivery,
    "description": _description,
}
RECEIVER_SUPPLIED = tuple(_RECEIVER_CHECKS)
