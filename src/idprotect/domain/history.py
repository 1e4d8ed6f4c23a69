"""Writing history: each change of a user's risk is saved with one history item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from idprotect.domain.clock import Clock, from_ticks, to_ticks
from idprotect.domain.models import HistoryItem, RiskyUser, User, UserActivity, UserRisk
from idprotect.domain.ports import RiskStore

_STEP = timedelta(microseconds=1)
_LAST = datetime.max.replace(tzinfo=UTC)


def time_of_change(
    clock: Clock, users: Iterable[User], latest_ticks: Mapping[str, int]
) -> datetime:
    """The time of a change to `users`, read once their locks are held (so every change saved
    before is visible): the clock, or just after the latest change saved for any of them if
    that is as late (another process's clock, a clock set back, a fixture dated ahead).

    So a user's riskLastUpdatedDateTime and history ids only ever grow, and one change (one
    action, one batch of detections) has one time for all of its users.
    """
    moment = clock()
    for user in users:
        if user.risk is not None and user.risk.last_updated >= moment:
            moment = _just_after(user.risk.last_updated)
    if latest_ticks:
        # from_ticks rounds down to the microsecond; one step more is past the ticks.
        moment = max(moment, _just_after(from_ticks(max(latest_ticks.values()))))
    return moment


def _just_after(moment: datetime) -> datetime:
    return moment + _STEP if moment < _LAST else moment


def write_history(
    store: RiskStore,
    *,
    tenant_id: str,
    changes: dict[str, tuple[User, UserRisk]],
    activities: dict[str, UserActivity],
    actor_id: str | None,
    latest_ticks: Mapping[str, int],
) -> None:
    """Save each user's new risk and append one history item per user that changed.

    `latest_ticks` are the users' newest history ticks, read with their lock (the same read
    that dated the change: time_of_change).
    """
    items = []
    for uid, (user, risk) in changes.items():
        # Ticks stay strictly increasing per user, so every item keeps a distinct id (a risk a
        # fixture dates before the user's newest item included).
        ticks = max(to_ticks(risk.last_updated), latest_ticks.get(uid, -1) + 1)
        items.append(
            HistoryItem(
                user_id=uid,
                ticks=ticks,
                user=as_risky_user(user, risk),
                activity=activities[uid],
                initiated_by=actor_id,
            )
        )
    store.save_user_risks(tenant_id, {uid: risk for uid, (_, risk) in changes.items()})
    store.add_history_items(tenant_id, items)


def as_risky_user(user: User, risk: UserRisk) -> RiskyUser:
    return RiskyUser(
        id=user.id,
        display_name=user.display_name,
        user_principal_name=user.user_principal_name,
        is_deleted=user.is_deleted,
        is_processing=user.is_processing,
        risk=risk,
    )
