"""The operations on risky principals of every kind: read them and their history, and the admin
actions (dismiss, confirmCompromised, confirmSafe), as domain/kinds.py describes each kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from idprotect.domain.changes import EnabledChanged
from idprotect.domain.clock import MAX_TICKS, Clock
from idprotect.domain.detections import action_detection, add_detections
from idprotect.domain.enums import RiskDetail, RiskLevel
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.kinds import PrincipalKind
from idprotect.domain.models import Activity, HistoryItem, Principal
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.predicates import Node
from idprotect.domain.tenants import DEFAULT_LICENCES, View, refuse
from idprotect.domain.transitions import AdminAction, risk_after_action
from idprotect.errors import BadRequest, NotFound

P = TypeVar("P", bound=Principal)


def view_of(store: RiskStore, kind: PrincipalKind, tenant_id: str) -> View:
    """What the tenant's licences let it see of the kind's risky principals (or Forbidden)."""
    return kind.view(store.tenant_licences(tenant_id) or DEFAULT_LICENCES)


def as_seen(principal: P, view: View) -> P:
    """A principal as the view shows it: LIMITED hides its riskLevel and riskDetail."""
    if view is View.FULL or principal.risk is None:
        return principal
    hidden = replace(principal.risk, level=RiskLevel.HIDDEN, detail=RiskDetail.HIDDEN)
    return principal.with_risk(hidden)


def list_risky_principals(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, page: PageRequest
) -> Page[Principal]:
    view = view_of(store, kind, tenant_id)
    found = store.list_risky_principals(kind, tenant_id, page, view)
    return Page([as_seen(p, view) for p in found.items], found.next_after, found.count)


def count_risky_principals(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, filter: Node | None
) -> int:
    view = view_of(store, kind, tenant_id)
    return store.count_risky_principals(kind, tenant_id, filter, view)


def get_risky_principal(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, principal_id: str
) -> Principal:
    view = view_of(store, kind, tenant_id)
    return as_seen(_find(store, kind, tenant_id, principal_id), view)


def _find(store: RiskStore, kind: PrincipalKind, tenant_id: str, principal_id: str) -> Principal:
    found = store.get_risky_principal(kind, tenant_id, normalize_object_id(principal_id))
    if found is None:
        raise NotFound(f"The {kind.entity} '{principal_id}' was not found.")
    return found


def list_history(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, principal_id: str, page: PageRequest
) -> Page[HistoryItem]:
    view = view_of(store, kind, tenant_id)
    principal = _find(store, kind, tenant_id, principal_id)
    found = store.list_history(kind, tenant_id, principal.id, page, view)
    latest = store.latest_history_ticks(kind, tenant_id, [principal.id]).get(principal.id)
    items = [_seen_item(item, latest, view) for item in found.items]
    return Page(items=items, next_after=found.next_after, count=found.count)


def get_history_item(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, principal_id: str, item_id: str
) -> HistoryItem:
    view = view_of(store, kind, tenant_id)
    principal = _find(store, kind, tenant_id, principal_id)
    latest = store.latest_history_ticks(kind, tenant_id, [principal.id]).get(principal.id)
    ticks = _ticks_of_item_id(principal.id, item_id, latest)
    item = (
        store.get_history_item(kind, tenant_id, principal.id, ticks) if ticks is not None else None
    )
    if item is None:
        raise NotFound(f"The {kind.entity}HistoryItem '{item_id}' was not found.")
    return _seen_item(item, latest, view)


def _seen_item(item: HistoryItem, latest_ticks: int | None, view: View) -> HistoryItem:
    """An item as the view shows it (LIMITED also hides what the activity's detail was)."""
    activity = item.activity
    if view is View.LIMITED and activity.detail is not None:
        activity = replace(activity, detail=RiskDetail.HIDDEN)
    return replace(
        item,
        principal=as_seen(item.principal, view),
        activity=activity,
        is_current=item.ticks == latest_ticks,
    )


def _ticks_of_item_id(principal_id: str, item_id: str, latest_ticks: int | None) -> int | None:
    """The ticks an item id names: the principal id alone is the newest item, else
    `principalId+ticks`."""
    prefix = normalize_object_id(item_id[: len(principal_id)])  # GUIDs match in any case
    if prefix != principal_id:
        return None
    suffix = item_id[len(principal_id) :]
    if not suffix:
        return latest_ticks
    # Measured before int(), which refuses more than 4,300 digits: ticks have at most 19.
    if not (suffix.isascii() and suffix.isdigit() and len(suffix) <= 19):
        return None
    ticks = int(suffix)
    # An id is matched as written: `0636…` is not the id of the item `636…`. Beyond the last
    # representable moment no item exists (and no 64-bit column holds it).
    return ticks if str(ticks) == suffix and ticks <= MAX_TICKS else None


def update_profiles(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, principals: Sequence[Principal],
    clock: Clock,
) -> None:  # fmt: skip
    """Set existing principals' descriptive fields; a principal the directory enables or
    disables (isEnabled, for the kinds that have it) is a change signals report."""
    before = store.lock_principals(kind, tenant_id, sorted(p.id for p in principals))
    store.update_profiles(kind, tenant_id, principals)
    flipped = [
        EnabledChanged(kind.name, p, bool(_enabled(p)), clock())
        for p in principals
        if p.id in before and _enabled(before[p.id]) != _enabled(p)
    ]
    if flipped:
        store.record_changes(tenant_id, flipped)


def _enabled(principal: Principal) -> bool | None:
    """isEnabled, for the kinds whose principals have it (None for the others)."""
    value = getattr(principal, "is_enabled", None)
    return value if isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """An admin action request: who asks, on which principals, and the clock that dates it
    (read once the principals are locked)."""

    tenant_id: str
    ids: Sequence[str]
    actor_id: str | None
    clock: Clock
    # Refuse ids that name no principal of the tenant (Graph ignores them).
    strict: bool = False


def apply_action(
    store: RiskStore, kind: PrincipalKind, action: AdminAction, request: ActionRequest
) -> None:
    """All of the request's principals change, or none do: every check runs before any write."""
    tenant_id = request.tenant_id
    if view_of(store, kind, tenant_id) is not View.FULL:
        refuse()
    ids = list(dict.fromkeys(normalize_object_id(i) for i in request.ids))
    found, latest_ticks = store.lock_principals_and_latest_ticks(kind, tenant_id, sorted(ids))
    _check_targets(kind, action, ids, found, strict=request.strict)
    now = time_of_change(request.clock, found.values(), latest_ticks)
    risks = {
        p.id: risk
        for p in found.values()
        if (risk := risk_after_action(p, action, now)) is not None
    }
    if not risks:
        return
    changed = sorted(risks)
    if action.closes_detections_as is not None:
        store.close_active_detections(
            kind, tenant_id, changed, closed_as=action.closes_detections_as, at=now
        )
    if action.records_detection is not None:
        recorded = [action_detection(kind, found[pid], action, now) for pid in changed]
        add_detections(store, kind, tenant_id, recorded)
    activity = Activity(
        detail=action.detail,
        risk_event_types=(action.records_detection,) if action.records_detection else (),
    )
    write_history(
        store,
        kind,
        tenant_id=tenant_id,
        changes={pid: (found[pid], risks[pid]) for pid in changed},
        activities=dict.fromkeys(changed, activity),
        actor_id=request.actor_id,
        latest_ticks=latest_ticks,
    )


def _check_targets(
    kind: PrincipalKind,
    action: AdminAction,
    ids: list[str],
    found: dict[str, Principal],
    *,
    strict: bool,
) -> None:
    deleted = [i for i in ids if i in found and found[i].is_deleted]
    if deleted:
        raise BadRequest(
            f"{action.name} cannot be applied to deleted {kind.plural}. "
            f"These {kind.ids_field} belong to deleted {kind.plural}: {', '.join(deleted)}."
        )
    unknown = [i for i in ids if i not in found]
    if strict and unknown:
        raise BadRequest(
            f"These {kind.ids_field} do not exist in your tenant: {', '.join(unknown)}."
        )
