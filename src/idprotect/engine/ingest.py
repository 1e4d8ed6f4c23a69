"""Sign-ins in: store them, run every detector over each in event time, and hand what they find
to the risk core (domain/detections.py) as riskDetections, which make their users risky."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from idprotect.domain.clock import fixed_clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import SEVERITY, RiskDetectionTimingType, RiskLevel, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.models import Detection, DetectionReport, User
from idprotect.domain.ports import RiskStore
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.domain.transitions import aggregate_level
from idprotect.engine.detectors import DETECTORS
from idprotect.engine.findings import Context, Finding
from idprotect.engine.ports import SignInHistory, ThreatLists
from idprotect.engine.settings import DEFAULT_SETTINGS, EngineSettings
from idprotect.errors import BadRequest

# The most sign-ins one request may carry.
MAX_SIGN_INS = 1_000


class SignInStore(RiskStore, Protocol):
    """The risk store, with the tenant's sign-ins and the deployment's threat lists."""

    def existing_sign_in_ids(self, tenant_id: str, ids: Sequence[str]) -> set[str]: ...

    def add_sign_ins(self, tenant_id: str, sign_ins: Sequence[SignIn]) -> None: ...

    def set_sign_in_risks(self, tenant_id: str, risks: Mapping[str, SignInRisk]) -> None: ...

    def sign_in_history(self, tenant_id: str) -> SignInHistory: ...

    def threat_lists(self, tenant_id: str) -> ThreatLists: ...

    def replace_ip_list(self, tenant_id: str, name: str, networks: Sequence[str]) -> int: ...

    def add_leaked_credentials(self, tenant_id: str, digests: Sequence[str]) -> int: ...


@dataclass(frozen=True, slots=True)
class Ingested:
    """What one batch did: sign-ins taken (those already ingested are ignored) and detections
    recorded."""

    received: int
    ingested: int
    detections: list[Detection]


def ingest_sign_ins(
    store: SignInStore,
    *,
    tenant_id: str,
    sign_ins: Sequence[SignIn],
    settings: EngineSettings = DEFAULT_SETTINGS,
) -> Ingested:
    """All of the batch or none of it (one unit of work). A sign-in whose id was ingested
    before is ignored, so a sender may retry; the findings' detection ids are made from what
    they are, so nothing is recorded twice."""
    if not sign_ins:
        raise BadRequest("At least one sign-in is required.")
    if len(sign_ins) > MAX_SIGN_INS:
        raise BadRequest(f"At most {MAX_SIGN_INS} sign-ins may be sent at once.")
    unique = list({s.id: s for s in reversed(sign_ins)}.values())[::-1]  # the first of each id
    known = store.existing_sign_in_ids(tenant_id, [s.id for s in unique])
    new = sorted((s for s in unique if s.id not in known), key=lambda s: (s.created_at, s.id))
    if not new:
        return Ingested(len(sign_ins), 0, [])
    store.ensure_tenant(tenant_id)
    store.add_sign_ins(tenant_id, new)  # first: each sees the batch's earlier ones
    context = Context(store.sign_in_history(tenant_id), store.threat_lists(tenant_id), settings)
    found = {s.id: [f for detect in DETECTORS for f in detect(s, context)] for s in new}
    store.set_sign_in_risks(
        tenant_id, {s.id: sign_in_risk(found[s.id]) for s in new if found[s.id]}
    )
    reports = _new_reports(store, tenant_id, new, found)
    if not reports:
        return Ingested(len(sign_ins), len(new), [])
    # Event time: the change is dated by the latest sign-in that found something.
    latest = max(r.detected_at for r in reports if r.detected_at is not None)
    created = ingest_risk_detections(
        store, USER, tenant_id=tenant_id, reports=reports, clock=fixed_clock(latest)
    )
    return Ingested(len(sign_ins), len(new), created)


def sign_in_risk(findings: Sequence[Finding]) -> SignInRisk:
    """A sign-in's risk: during sign-in, of its real-time findings; aggregated, of all."""
    realtime = [f.risk_level for f in findings if f.timing is RiskDetectionTimingType.REALTIME]
    return SignInRisk(
        level_during_sign_in=aggregate_level(realtime),
        level_aggregated=aggregate_level([f.risk_level for f in findings]),
        state=RiskState.AT_RISK if findings else RiskState.NONE,
        event_types=tuple(dict.fromkeys(f.risk_event_type for f in findings)),
    )


def _new_reports(
    store: SignInStore,
    tenant_id: str,
    sign_ins: Sequence[SignIn],
    found: Mapping[str, list[Finding]],
) -> list[DetectionReport]:
    reports: dict[str, DetectionReport] = {}
    for sign_in in sign_ins:
        for finding in found[sign_in.id]:
            report = _report(tenant_id, sign_in, finding)
            assert report.id is not None
            reports.setdefault(report.id, report)
    recorded = store.existing_detection_ids(USER, tenant_id, sorted(reports))
    return [r for i, r in reports.items() if i not in recorded]


def _report(tenant_id: str, sign_in: SignIn, finding: Finding) -> DetectionReport:
    linked = finding.activity.value == "signin"
    user = User(
        id=sign_in.user_id,
        display_name=sign_in.user_display_name,
        user_principal_name=sign_in.user_principal_name,
    )
    info = [{"Key": key, "Value": value} for key, value in finding.reasons.items()]
    return DetectionReport(
        principal=user,
        risk_event_type=finding.risk_event_type,
        risk_level=finding.risk_level if finding.risk_level in SEVERITY else RiskLevel.LOW,
        id=finding.detection_id(tenant_id, sign_in),
        activity_at=sign_in.created_at,
        detected_at=finding.detected_at or sign_in.created_at,
        detection_timing_type=finding.timing,
        additional_info=json.dumps(info, separators=(",", ":")),
        details={
            "activity": finding.activity,
            "ip_address": sign_in.ip_address if linked else None,
            "location": sign_in.location if linked else None,
            "request_id": sign_in.id if linked else None,
            "correlation_id": sign_in.correlation_id if linked else None,
        },
    )
