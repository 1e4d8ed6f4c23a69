"""Risk detections of every principal kind: reading them, and taking new ones in (which is how
principals become risky)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from idprotect.domain.changes import DetectionAdded
from idprotect.domain.clock import Clock
from idprotect.domain.enums import (
    NONPREMIUM_RISK_EVENT_TYPES,
    SEVERITY,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import new_detection_id, normalize_object_id
from idprotect.domain.kinds import PrincipalKind
from idprotect.domain.models import Activity, Detection, DetectionReport, Principal, Risk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.tenants import DEFAULT_LICENCES, View
from idprotect.domain.transitions import (
    ACTIVE_DETECTION_STATES,
    AdminAction,
    risk_after_detections,
)
from idprotect.errors import BadRequest, NotFound

D = TypeVar("D", bound=Detection)


def detections_view(store: RiskStore, kind: PrincipalKind, tenant_id: str) -> View:
    return kind.detections_view(store.tenant_licences(tenant_id) or DEFAULT_LICENCES)


def as_seen(detection: D, kind: PrincipalKind, view: View) -> D:
    """A detection as the view shows it: LIMITED hides riskLevel and riskDetail, and for users
    premium riskEventTypes read `generic` (graph-facts 6)."""
    if view is View.FULL:
        return detection
    event_type = detection.risk_event_type
    if kind.hides_premium_event_types and event_type not in NONPREMIUM_RISK_EVENT_TYPES:
        event_type = "generic"
    return replace(
        detection,
        risk_level=RiskLevel.HIDDEN,
        risk_detail=RiskDetail.HIDDEN,
        risk_event_type=event_type,
    )


def list_risk_detections(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, page: PageRequest
) -> Page[Detection]:
    view = detections_view(store, kind, tenant_id)
    found = store.list_risk_detections(kind, tenant_id, page, view)
    return Page(
        items=[as_seen(d, kind, view) for d in found.items],
        next_after=found.next_after,
        count=found.count,
    )


def get_risk_detection(
    store: RiskStore, kind: PrincipalKind, *, tenant_id: str, detection_id: str
) -> Detection:
    view = detections_view(store, kind, tenant_id)
    detection = store.get_risk_detection(kind, tenant_id, detection_id)
    if detection is None:
        name = kind.detection_type.__name__
        raise NotFound(f"The {name[0].lower()}{name[1:]} '{detection_id}' was not found.")
    return as_seen(detection, kind, view)


def add_detections(
    store: RiskStore, kind: PrincipalKind, tenant_id: str, detections: Sequence[Detection]
) -> None:
    """Save new detections, and their change notifications in the same unit of work."""
    store.add_detections(kind, tenant_id, detections)
    if detections:
        store.record_changes(tenant_id, [DetectionAdded(kind.name, d) for d in detections])


def action_detection(
    kind: PrincipalKind, principal: Principal, action: AdminAction, now: datetime
) -> Detection:
    """The detection an admin action records (confirmCompromised): offline, high."""
    assert action.records_detection is not None
    return kind.detection_type(
        id=new_detection_id(),
        principal_id=principal.id,
        risk_event_type=action.records_detection,
        risk_level=RiskLevel.HIGH,
        risk_state=RiskState.CONFIRMED_COMPROMISED,
        risk_detail=action.detail,
        activity_at=now,
        detected_at=now,
        last_updated_at=now,
        detection_timing_type=RiskDetectionTimingType.OFFLINE,
        **kind.copied(principal),
        **kind.action_details,
    )


def new_detection(
    kind: PrincipalKind, report: DetectionReport, principal: Principal, now: datetime
) -> Detection:
    activity_at = report.activity_at or now
    return kind.detection_type(
        id=report.id or new_detection_id(),
        principal_id=principal.id,
        risk_event_type=report.risk_event_type,
        risk_level=report.risk_level,
        risk_state=report.risk_state,
        risk_detail=report.risk_detail,
        activity_at=activity_at,
        detected_at=report.detected_at or max(activity_at, now),
        last_updated_at=now,
        detection_timing_type=report.detection_timing_type,
        source=report.source,
        additional_info=report.additional_info,
        **kind.copied(principal),
        **report.details,
    )


def ingest_risk_detections(
    store: RiskStore,
    kind: PrincipalKind,
    *,
    tenant_id: str,
    reports: Sequence[DetectionReport],
    clock: Clock,
) -> list[Detection]:
    """Record detections; principals they put at risk become (or stay) risky, with history.

    Principals named for the first time are created in the directory. All-or-nothing, like
    actions. The time of the change is read from `clock` once the principals are locked.
    """
    _check_reports(kind, reports)
    _check_new_detection_ids(store, kind, tenant_id, reports)
    store.ensure_tenant(tenant_id)
    store.add_missing_principals(kind, tenant_id, _principals_named_by(reports))
    ids = sorted({normalize_object_id(r.principal.id) for r in reports})
    found, latest_ticks = store.lock_principals_and_latest_ticks(kind, tenant_id, ids)
    deleted = [pid for pid in ids if found[pid].is_deleted]
    if deleted:
        raise BadRequest(
            f"Detections cannot be added for deleted {kind.plural}: {', '.join(deleted)}."
        )
    now = time_of_change(clock, found.values(), latest_ticks)
    created = [
        new_detection(kind, r, found[normalize_object_id(r.principal.id)], now) for r in reports
    ]
    add_detections(store, kind, tenant_id, created)

    raised: dict[str, list[str]] = defaultdict(list)
    for detection in created:
        if detection.risk_state in ACTIVE_DETECTION_STATES:
            raised[detection.principal_id].append(detection.risk_event_type)
    levels = store.active_detection_levels(kind, tenant_id, sorted(raised))
    changes: dict[str, tuple[Principal, Risk]] = {}
    for pid in raised:
        risk = risk_after_detections(found[pid], levels.get(pid, []), now)
        if risk is not None:
            changes[pid] = (found[pid], risk)
    write_history(
        store,
        kind,
        tenant_id=tenant_id,
        changes=changes,
        activities={
            pid: Activity(detail=None, risk_event_types=tuple(dict.fromkeys(raised[pid])))
            for pid in changes
        },
        actor_id=None,
        latest_ticks=latest_ticks,
    )
    return created


def _check_reports(kind: PrincipalKind, reports: Sequence[DetectionReport]) -> None:
    if not reports:
        raise BadRequest("At least one risk detection is required.")
    for report in reports:
        if report.risk_state in ACTIVE_DETECTION_STATES and report.risk_level not in SEVERITY:
            raise BadRequest(
                f"A detection in state '{report.risk_state}' needs riskLevel low, medium or "
                f"high, not '{report.risk_level}'."
            )
        if not report.principal.id or not report.risk_event_type:
            raise BadRequest(f"Each risk detection needs a {kind.id_field} and a riskEventType.")


def _check_new_detection_ids(
    store: RiskStore, kind: PrincipalKind, tenant_id: str, reports: Sequence[DetectionReport]
) -> None:
    given = Counter(r.id for r in reports if r.id is not None)
    repeated = sorted(i for i, count in given.items() if count > 1)
    if repeated:
        raise BadRequest(
            f"These risk detection ids are given more than once: {', '.join(repeated)}."
        )
    existing = store.existing_detection_ids(kind, tenant_id, sorted(given)) if given else set()
    if existing:
        raise BadRequest(f"These risk detection ids already exist: {', '.join(sorted(existing))}.")


def _principals_named_by(reports: Sequence[DetectionReport]) -> list[Principal]:
    named: dict[str, Principal] = {}
    for report in reports:
        pid = normalize_object_id(report.principal.id)
        named.setdefault(pid, replace(report.principal, id=pid))
    # In id order: concurrent writers lock rows in the same order, so they cannot deadlock.
    return sorted(named.values(), key=lambda principal: principal.id)
