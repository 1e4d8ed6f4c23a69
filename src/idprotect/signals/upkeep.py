"""What the deliverers do beside delivering, every few seconds: streams whose inactivity timeout
ran out are disabled (their receivers told with a stream-updated event, service.py); and the
subscriptions' lifecycle (lifecycle.py): those expired are removed, reauthorizationRequired
reminders that are due go out, refused notifications are reported as missed. A read finds what
is due first: an idle deliverer writes nothing."""

from __future__ import annotations

from datetime import datetime

from idprotect.signals.lifecycle import (
    end_expired_subscriptions,
    remind_reauthorization,
    report_missed,
)
from idprotect.signals.posting import Post
from idprotect.signals.service import disable_inactive_streams
from idprotect.store import streams
from idprotect.store.engine import Database


def keep_up(database: Database, post: Post, now: datetime) -> None:
    with database.unit_of_work() as store:
        due = streams.upkeep_due(store.connection, now)
    if streams.INACTIVE in due:
        with database.unit_of_work(write=True) as store:
            disable_inactive_streams(store.connection, now)
    if streams.EXPIRED in due:
        end_expired_subscriptions(database, post, now)
    if streams.REMINDERS in due:
        remind_reauthorization(database, post, now)
    if streams.REFUSED in due:
        report_missed(database, post)
