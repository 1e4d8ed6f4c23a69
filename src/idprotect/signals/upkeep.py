"""What the deliverers do beside delivering, every few seconds: streams whose inactivity timeout
ran out are disabled (their receivers told with a stream-updated event, service.py), and
subscriptions that expired are removed (lifecycle.py)."""

from __future__ import annotations

from datetime import datetime

from idprotect.signals.lifecycle import end_expired_subscriptions
from idprotect.signals.posting import Post
from idprotect.signals.service import disable_inactive_streams
from idprotect.store.engine import Database


def keep_up(database: Database, post: Post, now: datetime) -> None:
    with database.unit_of_work(write=True) as store:
        disable_inactive_streams(store.connection, now)
    end_expired_subscriptions(database, post, now)
