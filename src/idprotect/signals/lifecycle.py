"""Graph-style subscriptions' lifecycle: one past its expirationDateTime is removed, and its
lifecycleNotificationUrl (if any) is told so with a `subscriptionRemoved` lifecycle event."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from idprotect.signals.posting import Post
from idprotect.signals.streams import Stream
from idprotect.store import streams
from idprotect.store.engine import Database

log = logging.getLogger("idprotect.signals")


def lifecycle_notification(stream: Stream, event: str) -> dict[str, Any]:
    """Graph's lifecycle notification item (`lifecycleEvent`: subscriptionRemoved, ...)."""
    expires = stream.expires_at.isoformat().replace("+00:00", "Z") if stream.expires_at else None
    return {
        "subscriptionId": stream.id,
        "subscriptionExpirationDateTime": expires,
        "tenantId": stream.tenant_id,
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
        url = stream.config.get("lifecycleNotificationUrl")
        if url:
            body = {"value": [lifecycle_notification(stream, "subscriptionRemoved")]}
            try:
                post(url, orjson.dumps(body), {"Content-Type": "application/json"})
            except (OSError, ValueError) as exc:  # best effort, as Graph's own
                log.warning("signals: lifecycle notification to %s failed: %s", url, exc)
    return len(expired)
