"""The riskyUsers operations: read users and history, and the admin actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idprotect.domain.clock import MAX_TICKS, Clock
from idprotect.domain.detections import action_detection
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.models import (
    HistoryItem,
    RiskyUser,
    User,
    UserActivity,
)
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import DEFAULT_LICENCE, require_risky_users_licence
from idprotect.domain.transitions import (
    CONFIRM_COMPROMISED,
    CONFIRM_SAFE,
    DISMISS,
    AdminAction,
    risk_after_action,
)
from idprotect.errors import BadRequest, NotFound


def _check_licence(store: RiskStore, tenant_id: str) -> None:
    require_risky_users_licence(store.tenant_licence(tenant_id) or DEFAULT_LICENCE)


def list_risky_users(store: RiskStore, *, tenant_id: str, page: PageRequest) -> Page[RiskyUser]:
    _check_licence(store, tenant_id)
    return store.list_risky_users(tenant_id, page)


def count_risky_users(store: RiskStore, *, tenant_id: str, filter: Node | None) -> int:
    _check_licence(store, tenant_id)
    return store.count_risky_users(tenant_id, filter)


def get_risky_user(store: RiskStore, *, tenant_id: str, user_id: str) -> RiskyUser:
    _check_licence(store, tenant_id)
    return _find_risky_user(store, tenant_id, user_id)


def _find_risky_user(store: RiskStore, tenant_id: str, user_id: str) -> RiskyUser:
    user = store.get_risky_user(tenant_id, normalize_object_id(user_id))
    if user is None:
        raise NotFound(f"The riskyUser '{user_id}' was not found.")
    return user


def list_risky_user_history(
    store: RiskStore, *, tenant_id: str, user_id: str, page: PageRequest
) -> Page[HistoryItem]:
    _check_licence(store, tenant_id)
    user = _find_risky_user(store, tenant_id, user_id)
    found = store.list_history(tenant_id, user.id, page)
    latest = store.latest_history_ticks(tenant_id, [user.id]).get(user.id)
    items = [_mark_current(item, latest) for item in found.items]
    return Page(items=items, next_after=found.next_after, count=found.count)


def get_risky_user_history_item(
    store: RiskStore, *, tenant_id: str, user_id: str, item_id: str
) -> HistoryItem:
    _check_licence(store, tenant_id)
    user = _find_risky_user(store, tenant_id, user_id)
    latest = store.latest_history_ticks(tenant_id, [user.id]).get(user.id)
    ticks = _ticks_of_item_id(user.id, item_id, latest)
    item = store.get_history_item(tenant_id, user.id, ticks) if ticks is not None else None
    if item is None:
        raise NotFound(f"The riskyUserHistoryItem '{item_id}' was not found.")
    return _mark_current(item, latest)


def _mark_current(item: HistoryItem, latest_ticks: int | None) -> HistoryItem:
    if item.ticks != latest_ticks:
        return item
    return HistoryItem(
        user_id=item.user_id,
        ticks=item.ticks,
        user=item.user,
        activity=item.activity,
        initiated_by=item.initiated_by,
        is_current=True,
    )


def _ticks_of_item_id(user_id: str, item_id: str, latest_ticks: int | None) -> int | None:
    """The ticks an item id names: the user id alone is the newest item, else `userId+ticks`."""
    prefix = normalize_object_id(item_id[: len(user_id)])  # GUIDs match in any case
    if prefix != user_id:
        return None
    suffix = item_id[len(user_id) :]
    if not suffix:
        return latest_ticks
    # Measured before int(), which refuses more than 4,300 digits: ticks have at most 19.
    if not (suffix.isascii() and suffix.isdigit() and len(suffix) <= 19):
        return None
    ticks = int(suffix)
    # An id is matched as written: `0636…` is not the id of the item `636…`. Beyond the last
    # representable moment no item exists (and no 64-bit column holds it).
    return ticks if str(ticks) == suffix and ticks <= MAX_TICKS else None


# The most users one admin action may name (Graph documents 60 for dismiss on beta; idprotect
# holds all three actions on both versions to it).
MAX_ACTION_IDS = 60


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """An admin action request: who asks, for which users, and the clock that dates it (read
    once the users are locked)."""

    tenant_id: str
    user_ids: Sequence[str]
    actor_id: str | None
    clock: Clock
    # Refuse ids that name no user of the tenant (Graph ignores them).
    strict: bool = False


def dismiss_risky_users(store: RiskStore, request: ActionRequest) -> None:
    """Dismiss: risk level none, state dismissed; every active detection is closed."""
    _apply_admin_action(store, DISMISS, request)


def confirm_compromised_risky_users(store: RiskStore, request: ActionRequest) -> None:
    """Confirm compromised: risk level high; records an adminConfirmedUserCompromised detection."""
    _apply_admin_action(store, CONFIRM_COMPROMISED, request)


def confirm_safe_risky_users(store: RiskStore, request: ActionRequest) -> None:
    """Confirm safe: risk level none, state confirmedSafe; every active detection is closed."""
    _apply_admin_action(store, CONFIRM_SAFE, request)


def _apply_admin_action(store: RiskStore, action: AdminAction, request: ActionRequest) -> None:
    """All of the request's users change, or none do: every check runs before any write."""
    tenant_id = request.tenant_id
    _check_licence(store, tenant_id)
    ids = list(dict.fromkeys(normalize_object_id(i) for i in request.user_ids))
    users, latest_ticks = store.lock_users_and_latest_ticks(tenant_id, sorted(ids))
    _check_action_targets(action, ids, users, strict=request.strict)
    now = time_of_change(request.clock, users.values(), latest_ticks)
    risks = {
        user.id: risk
        for user in users.values()
        if (risk := risk_after_action(user, action, now)) is not None
    }
    if not risks:
        return
    changed = sorted(risks)
    if action.closes_detections_as is not None:
        store.close_active_detections(
            tenant_id, changed, closed_as=action.closes_detections_as, at=now
        )
    if action.records_detection is not None:
        store.add_detections(
            tenant_id,
            [action_detection(users[uid], action.records_detection, now) for uid in changed],
        )
    activity = UserActivity(
        detail=action.detail,
        risk_event_types=(action.records_detection,) if action.records_detection else (),
    )
    write_history(
        store,
        tenant_id=tenant_id,
        changes={uid: (users[uid], risks[uid]) for uid in changed},
        activities=dict.fromkeys(changed, activity),
        actor_id=request.actor_id,
        latest_ticks=latest_ticks,
    )


def _check_action_targets(
    action: AdminAction, ids: list[str], users: dict[str, User], *, strict: bool
) -> None:
    deleted = [i for i in ids if i in users and users[i].is_deleted]
    if deleted:
        raise BadRequest(
            f"{action.name} cannot be applied to deleted users. "
            f"These userIds belong to deleted users: {', '.join(deleted)}."
        )
    unknown = [i for i in ids if i not in users]
    if strict and unknown:
        raise BadRequest(f"These userIds do not exist in your tenant: {', '.join(unknown)}.")
