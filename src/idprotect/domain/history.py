"""Writing history: each change of a principal's risk is saved with one history item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from idprotect.domain.changes import RiskChanged
from idprotect.domain.clock import Clock, from_ticks, to_ticks
from idprotect.domain.kinds import PrincipalKind
from idprotect.domain.models import Activity, HistoryItem, Principal, Risk
from idprotect.domain.ports import RiskStore

_STEP = timedelta(microseconds=1)
_LAST = datetime.max.replace(tzinfo=UTC)


def time_of_change(
    clock: Clock, principals: Iterable[Principal], latest_ticks: Mapping[str, int]
) -> datetime:
    """The time of a change to `principals`, read once their locks are held (so every change
    saved before is visible): the clock, or just after the latest change saved for any of them
    if that is as late (another process's clock, a clock set back, a fixture dated ahead).

    So a principal's risk timestamp and history ids only ever grow, and one change (one action,
    one batch of detections) has one time for all of its principals.
    """
    moment = clock()
    for principal in principals:
        if principal.risk is not None and principal.risk.last_updated >= moment:
            moment = _just_after(principal.risk.last_updated)
    if latest_ticks:
        # from_ticks rounds down to the microsecond; one step more is past the ticks.
        moment = max(moment, _just_after(from_ticks(max(latest_ticks.values()))))
    return moment


def _just_after(moment: datetime) -> datetime:
    return moment + _STEP if moment < _LAST else moment


def write_history(
    store: RiskStore,
    kind: PrincipalKind,
    *,
    tenant_id: str,
    changes: dict[str, tuple[Principal, Risk]],
    activities: dict[str, Activity],
    actor_id: str | None,
    latest_ticks: Mapping[str, int],
) -> None:
    """Save each principal's new risk and append one history item per principal that changed.

    `latest_ticks` are the principals' newest history ticks, read with their lock (the same
    read that dated the change: time_of_change).
    """
    items = []
    for pid, (principal, risk) in changes.items():
        # Ticks stay strictly increasing per principal, so every item keeps a distinct id (a
        # risk a fixture dates before the principal's newest item included).
        ticks = max(to_ticks(risk.last_updated), latest_ticks.get(pid, -1) + 1)
        items.append(
            HistoryItem(
                principal_id=pid,
                ticks=ticks,
                principal=principal.with_risk(risk),
                activity=activities[pid],
                initiated_by=actor_id,
            )
        )
    store.save_risks(kind, tenant_id, {pid: risk for pid, (_, risk) in changes.items()})
    store.add_history_items(kind, tenant_id, items)
    # Every change of risk, whoever made it, leaves its event in the same transaction.
    signals = [
        RiskChanged(kind.name, principal, principal.risk, risk, activities[pid], actor_id)
        for pid, (principal, risk) in changes.items()
    ]
    if signals:
        store.record_changes(tenant_id, signals)
