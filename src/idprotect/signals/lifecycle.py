"""Graph-style subscriptions' lifecycle notifications, to the lifecycleNotificationUrl of those
that have one: `subscriptionRemoved` (one past its expirationDateTime is removed),
`reauthorizationRequired` (its authorization or its life is about to end) and `missed` (its
receiver refused notifications for good). Each is one POST, tried once (docs/signals.md)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from idprotect.signals.posting import Post
from idprotect.signals.streams import Stream
from idprotect.signals.subscriptions import reminded
from idprotect.store import streams
from idprotect.store.engine import Database

log = logging.getLogger("idprotect.signals")
SUBSCRIPTION_REMOVED = "subscriptionRemoved"
REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
MISSED = "missed"


def lifecycle_notification(stream: Stream, event: str) -> dict[str, Any]:
    """Graph's lifecycle notification item (`lifecycleEvent`: subscriptionRemoved, ...)."""
    expires = _graph_date(stream.expires_at) if stream.expires_at else None
    return {
        "subscriptionId": stream.id,
        "subscriptionExpirationDateTime": expires,
        "tenantId": stream.tenant_id,
        "organizationId": stream.tenant_id,
        "clientState": stream.config.get("clientState"),
        "lifecycleEvent": event,
    }


def end_expired_subscriptions(database: Database, post: Post, now: datetime) -> int:
    """Remove the subscriptions that expired (their undelivered notifications with them)."""
    with database.unit_of_work(write=True) as store:
        expired = streams.expired_subscriptions(store.connection, now)
        for stream in expired:
            streams.delete_stream(store.connection, stream)
    for stream in expired:
        _tell(post, stream, SUBSCRIPTION_REMOVED)
    return len(expired)


def remind_reauthorization(database: Database, post: Post, now: datetime) -> int:
    """Send the reauthorizationRequired notifications that are due; how many."""
    with database.unit_of_work(write=True) as store:
        due = [
            stream
            for stream in streams.due_reminders(store.connection, now)
            if streams.remind(store.connection, stream, reminded(stream, now).reauthorize_at)
        ]
    for stream in due:
        _tell(post, stream, REAUTHORIZATION_REQUIRED)
    return len(due)


def report_missed(database: Database, post: Post) -> int:
    """Tell the subscriptions whose receiver refused notifications for good (they are dropped:
    Graph's advice is a full resync) with a `missed` notification; how many."""
    with database.unit_of_work(write=True) as store:
        found = streams.refused_notifications(store.connection)
        told = [
            stream
            for stream, previous, through in found
            if streams.report_missed(store.connection, stream.id, previous, through)
        ]
    for stream in told:
        _tell(post, stream, MISSED)
    return len(told)


def _tell(post: Post, stream: Stream, event: str) -> None:
    """One lifecycle notification, best effort (as Graph's own): a failure is logged."""
    url = stream.config.get("lifecycleNotificationUrl")
    if not url:
        return
    body = orjson.dumps({"value": [lifecycle_notification(stream, event)]})
    try:
        status, text = post(url, body, {"Content-Type": "application/json"})
    except (OSError, ValueError) as exc:  # nothing answered; a URL no longer allowed
        log.warning("signals: lifecycle notification to %s failed: %s", url, exc)
        return
    if not 200 <= status < 300:
        log.warning("signals: lifecycle notification to %s: HTTP %s: %s", url, status, text[:200])


def _graph_date(moment: datetime) -> str:
    """As Graph writes a DateTimeOffset: UTC, seven fractional digits, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"
