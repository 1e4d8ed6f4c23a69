"""Risk detections: reading them, and taking new ones in (which is how users become risky)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from idprotect.domain.clock import Clock
from idprotect.domain.enums import (
    SEVERITY,
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import new_detection_id, normalize_object_id
from idprotect.domain.models import DetectionReport, RiskDetection, User, UserActivity, UserRisk
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.tenants import (
    DEFAULT_LICENCE,
    Licence,
    as_seen_with,
    require_detections_licence,
)
from idprotect.domain.transitions import ACTIVE_DETECTION_STATES, risk_after_detections
from idprotect.errors import BadRequest, NotFound


def _licence(store: RiskStore, tenant_id: str) -> Licence:
    licence = store.tenant_licence(tenant_id) or DEFAULT_LICENCE
    require_detections_licence(licence)
    return licence


def list_risk_detections(
    store: RiskStore, *, tenant_id: str, page: PageRequest
) -> Page[RiskDetection]:
    licence = _licence(store, tenant_id)
    found = store.list_risk_detections(tenant_id, page, licence=licence)
    return Page(
        items=[as_seen_with(d, licence) for d in found.items],
        next_after=found.next_after,
        count=found.count,
    )


def get_risk_detection(store: RiskStore, *, tenant_id: str, detection_id: str) -> RiskDetection:
    licence = _licence(store, tenant_id)
    detection = store.get_risk_detection(tenant_id, detection_id)
    if detection is None:
        raise NotFound(f"The riskDetection '{detection_id}' was not found.")
    return as_seen_with(detection, licence)


def action_detection(user: User, risk_event_type: str, now: datetime) -> RiskDetection:
    """The detection an admin action records (confirmCompromised): user activity, offline."""
    return RiskDetection(
        id=new_detection_id(),
        user_id=user.id,
        user_display_name=user.display_name,
        user_principal_name=user.user_principal_name,
        risk_event_type=risk_event_type,
        risk_level=RiskLevel.HIGH,
        risk_state=RiskState.CONFIRMED_COMPROMISED,
        risk_detail=RiskDetail.ADMIN_CONFIRMED_USER_COMPROMISED,
        activity=ActivityType.USER,
        activity_at=now,
        detected_at=now,
        last_updated_at=now,
        detection_timing_type=RiskDetectionTimingType.OFFLINE,
    )


def new_detection(report: DetectionReport, user: User, now: datetime) -> RiskDetection:
    activity_at = report.activity_at or now
    return RiskDetection(
        id=report.id or new_detection_id(),
        user_id=user.id,
        user_display_name=user.display_name,
        user_principal_name=user.user_principal_name,
        risk_event_type=report.risk_event_type,
        risk_level=report.risk_level,
        risk_state=report.risk_state,
        risk_detail=report.risk_detail,
        activity=report.activity,
        activity_at=activity_at,
        detected_at=report.detected_at or max(activity_at, now),
        last_updated_at=now,
        detection_timing_type=report.detection_timing_type,
        source=report.source,
        token_issuer_type=report.token_issuer_type,
        ip_address=report.ip_address,
        location=report.location,
        request_id=report.request_id,
        correlation_id=report.correlation_id,
        additional_info=report.additional_info,
        mitre_technique_id=report.mitre_technique_id,
    )


def ingest_risk_detections(
    store: RiskStore, *, tenant_id: str, reports: Sequence[DetectionReport], clock: Clock
) -> list[RiskDetection]:
    """Record detections; users they put at risk become (or stay) risky, with history.

    Users named for the first time are created in the directory. All-or-nothing, like actions.
    The time of the change is read from `clock` once the users are locked.
    """
    _check_reports(reports)
    _check_new_detection_ids(store, tenant_id, reports)
    store.ensure_tenant(tenant_id)
    store.add_missing_users(tenant_id, _users_named_by(reports))
    user_ids = sorted({normalize_object_id(r.user_id) for r in reports})
    users, latest_ticks = store.lock_users_and_latest_ticks(tenant_id, user_ids)
    deleted = [uid for uid in user_ids if users[uid].is_deleted]
    if deleted:
        raise BadRequest(f"Detections cannot be added for deleted users: {', '.join(deleted)}.")
    now = time_of_change(clock, users.values(), latest_ticks)
    created = [new_detection(r, users[normalize_object_id(r.user_id)], now) for r in reports]
    store.add_detections(tenant_id, created)

    raised: dict[str, list[str]] = defaultdict(list)
    for detection in created:
        if detection.risk_state in ACTIVE_DETECTION_STATES:
            raised[detection.user_id].append(detection.risk_event_type)
    levels: dict[str, list[RiskLevel]] = defaultdict(list)
    for active in store.active_detections(tenant_id, sorted(raised)):
        levels[active.user_id].append(active.risk_level)
    changes: dict[str, tuple[User, UserRisk]] = {}
    for uid in raised:
        risk = risk_after_detections(users[uid], levels[uid], now)
        if risk is not None:
            changes[uid] = (users[uid], risk)
    write_history(
        store,
        tenant_id=tenant_id,
        changes=changes,
        activities={
            uid: UserActivity(detail=None, risk_event_types=tuple(dict.fromkeys(raised[uid])))
            for uid in changes
        },
        actor_id=None,
        latest_ticks=latest_ticks,
    )
    return created


def _check_reports(reports: Sequence[DetectionReport]) -> None:
    if not reports:
        raise BadRequest("At least one risk detection is required.")
    for report in reports:
        if report.risk_state in ACTIVE_DETECTION_STATES and report.risk_level not in SEVERITY:
            raise BadRequest(
                f"A detection in state '{report.risk_state}' needs riskLevel low, medium or "
                f"high, not '{report.risk_level}'."
            )
        if not report.user_id or not report.risk_event_type:
            raise BadRequest("Each risk detection needs a userId and a riskEventType.")


def _check_new_detection_ids(
    store: RiskStore, tenant_id: str, reports: Sequence[DetectionReport]
) -> None:
    given = Counter(r.id for r in reports if r.id is not None)
    repeated = sorted(i for i, count in given.items() if count > 1)
    if repeated:
        raise BadRequest(
            f"These risk detection ids are given more than once: {', '.join(repeated)}."
        )
    existing = store.existing_detection_ids(tenant_id, sorted(given)) if given else set()
    if existing:
        raise BadRequest(f"These risk detection ids already exist: {', '.join(sorted(existing))}.")


def _users_named_by(reports: Sequence[DetectionReport]) -> list[User]:
    users: dict[str, User] = {}
    for report in reports:
        uid = normalize_object_id(report.user_id)
        users.setdefault(
            uid,
            User(
                id=uid,
                display_name=report.user_display_name,
                user_principal_name=report.user_principal_name,
            ),
        )
    # In id order: concurrent writers lock rows in the same order, so they cannot deadlock.
    return sorted(users.values(), key=lambda user: user.id)
