"""Sign-ins in: store them, run the detectors of each sign-in's principal kind over it in event
time, and hand what they find to the risk core (domain/detections.py) as detections of that
kind (users' riskDetections, servicePrincipalRiskDetections), which make their principals
risky."""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from idprotect.domain.clock import fixed_clock
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import SEVERITY, RiskDetectionTimingType, RiskLevel, RiskState
from idprotect.domain.kinds import SERVICE_PRINCIPAL, PrincipalKind
from idprotect.domain.models import Detection, DetectionReport, Principal, ServicePrincipal, User
from idprotect.domain.ports import RiskStore
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.domain.transitions import aggregate_level
from idprotect.engine.detectors import DETECTORS
from idprotect.engine.findings import Context, Finding
from idprotect.engine.ports import ReadAhead, SignInHistory, ThreatLists
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
    history = store.sign_in_history(tenant_id)
    history.lock()  # first: a batch of the tenant's sent at the same time is seen whole
    unique = list({s.id: _normalized(s) for s in reversed(sign_ins)}.values())[::-1]
    known = store.existing_sign_in_ids(tenant_id, [s.id for s in unique])
    new = sorted((s for s in unique if s.id not in known), key=_event_order)
    if not new:
        return Ingested(len(sign_ins), 0, [])
    store.ensure_tenant(tenant_id)
    affected = _affected(history, new, settings)  # before the batch is stored: not the batch
    store.add_sign_ins(tenant_id, new)  # before evaluation: each sees the batch's earlier ones
    context = Context(history, store.threat_lists(tenant_id), settings)
    evaluated = [*new, *affected]
    _read_ahead(evaluated, context)
    found = _evaluate(evaluated, context)
    reports = _new_reports(store, tenant_id, found)
    _record_sign_in_risks(store, tenant_id, found, {s.id for s in new}, reports)
    created = [d for kind, of_kind in reports for d in _record(store, kind, tenant_id, of_kind)]
    return Ingested(len(sign_ins), len(new), created)


def _record(
    store: SignInStore, kind: PrincipalKind, tenant_id: str, reports: Sequence[DetectionReport]
) -> list[Detection]:
    """One kind's new detections, through the risk core; the change is dated in event time, by
    the latest sign-in that found something."""
    latest = max(r.detected_at for r in reports if r.detected_at is not None)
    return ingest_risk_detections(
        store, kind, tenant_id=tenant_id, reports=reports, clock=fixed_clock(latest)
    )


def _event_order(sign_in: SignIn) -> tuple[datetime, str]:
    return sign_in.created_at, sign_in.id


def _normalized(sign_in: SignIn) -> SignIn:
    """The sign-in with its address in normal form (`2001:DB8:0::1` is `2001:db8::1`): sign-ins
    from one address are compared as the same address, however the sender spelled it."""
    ip = _normal_address(sign_in.ip_address)
    return replace(sign_in, ip_address=ip) if ip != sign_in.ip_address else sign_in


# An office's or a carrier's addresses come back all day: each is parsed once.
@functools.lru_cache(maxsize=1 << 16)
def _normal_address(ip_address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip_address or "").strip()))
    except ValueError:
        return ip_address


def _affected(
    history: SignInHistory, new: Sequence[SignIn], settings: EngineSettings
) -> list[SignIn]:
    """The sign-ins already stored that come after a new one (within `lateness` of the latest)
    and share its user or address: a late sign-in may change what they find."""
    start, end = new[0].created_at, new[-1].created_at + settings.lateness
    users = [s.principal_id for s in new]
    ips = [s.ip_address for s in new if s.ip_address is not None]
    later = history.later_sign_ins(start, end, user_ids=users, ips=ips)
    return [s for s in later if _event_order(s) > _event_order(new[0])]


def _read_ahead(sign_ins: Sequence[SignIn], context: Context) -> None:
    """What the sign-ins' detectors read by address or digest, read at once: the windows of
    their addresses (passwordSpray) and their credentials (leakedCredentials)."""
    first, last = min(s.created_at for s in sign_ins), max(s.created_at for s in sign_ins)
    ips = frozenset(s.ip_address for s in sign_ins if s.ip_address is not None)
    context.history.read_ahead(ReadAhead(ips, first - context.settings.spray_window, last))
    digests = {h.upper() for s in sign_ins for h in s.credential_hashes}
    if digests:
        context.lists.read_ahead(digests)


def _evaluate(
    sign_ins: Sequence[SignIn], context: Context
) -> dict[str, tuple[SignIn, list[Finding]]]:
    """The detectors of its principal's kind over each sign-in, in event time; the findings by
    the sign-in they are about (a finding may be about an earlier sign-in than the one
    evaluated)."""
    found: dict[str, tuple[SignIn, list[Finding]]] = {}
    for evaluated in sorted(sign_ins, key=_event_order):
        found.setdefault(evaluated.id, (evaluated, []))
        detectors = DETECTORS[evaluated.kind.name]
        for finding in (f for detect in detectors for f in detect(evaluated, context)):
            about = finding.about(evaluated)
            found.setdefault(about.id, (about, []))[1].append(replace(finding, sign_in=None))
    return dict(sorted(found.items(), key=lambda item: _event_order(item[1][0])))


def _record_sign_in_risks(
    store: SignInStore,
    tenant_id: str,
    found: Mapping[str, tuple[SignIn, list[Finding]]],
    new_ids: set[str],
    reports: Sequence[tuple[PrincipalKind, list[DetectionReport]]],
) -> None:
    """The risk of each new sign-in with findings, and of each earlier one a new detection is
    about (a sign-in evaluated again, or found by another's evaluation)."""
    recorded = {r.details["request_id"] for _, of_kind in reports for r in of_kind}
    risks = {
        s.id: _merged_risk(s, findings)
        for s, findings in found.values()
        if findings and (s.id in new_ids or s.id in recorded)
    }
    store.set_sign_in_risks(tenant_id, risks)


def sign_in_risk(findings: Sequence[Finding]) -> SignInRisk:
    """A sign-in's risk: during sign-in, of its real-time findings; aggregated, of all."""
    realtime = [f.risk_level for f in findings if f.timing is RiskDetectionTimingType.REALTIME]
    return SignInRisk(
        level_during_sign_in=aggregate_level(realtime),
        level_aggregated=aggregate_level([f.risk_level for f in findings]),
        state=RiskState.AT_RISK if findings else RiskState.NONE,
        event_types=tuple(dict.fromkeys(f.risk_event_type for f in findings)),
    )


def _merged_risk(sign_in: SignIn, findings: Sequence[Finding]) -> SignInRisk:
    """The sign-in's risk with new findings added to what it had (a sign-in evaluated again, or
    found by another's evaluation, keeps what was found before)."""
    before, found = sign_in.risk, sign_in_risk(findings)
    if before.state is RiskState.NONE:
        return found
    return replace(
        before,
        level_during_sign_in=aggregate_level(
            [before.level_during_sign_in, found.level_during_sign_in]
        ),
        level_aggregated=aggregate_level([before.level_aggregated, found.level_aggregated]),
        event_types=tuple(dict.fromkeys([*before.event_types, *found.event_types])),
    )


def _new_reports(
    store: SignInStore, tenant_id: str, found: Mapping[str, tuple[SignIn, list[Finding]]]
) -> list[tuple[PrincipalKind, list[DetectionReport]]]:
    """The reports not recorded yet, by principal kind (each sign-in's own)."""
    reports: dict[str, tuple[PrincipalKind, dict[str, DetectionReport]]] = {}
    for sign_in, findings in found.values():
        kind = sign_in.kind
        for finding in findings:
            report = _report(tenant_id, sign_in, finding)
            assert report.id is not None
            reports.setdefault(kind.name, (kind, {}))[1].setdefault(report.id, report)
    fresh = []
    for kind, of_kind in reports.values():
        recorded = store.existing_detection_ids(kind, tenant_id, sorted(of_kind))
        new = [r for i, r in of_kind.items() if i not in recorded]
        if new:
            fresh.append((kind, new))
    return fresh


def _principal(sign_in: SignIn) -> Principal:
    """Whom the sign-in's detections are about, named as the sign-in names them."""
    if sign_in.kind is SERVICE_PRINCIPAL:
        return ServicePrincipal(
            id=sign_in.principal_id,
            app_id=sign_in.app_id,
            display_name=sign_in.service_principal_name,
        )
    return User(
        id=sign_in.user_id,
        display_name=sign_in.user_display_name,
        user_principal_name=sign_in.user_principal_name,
    )


def _details(sign_in: SignIn, finding: Finding) -> dict[str, Any]:
    """What the detection takes from the sign-in: what it was a risk event of (a finding about
    the principal is not the sign-in's), and a service principal's credential."""
    linked = finding.activity.value == "signin"
    details: dict[str, Any] = {
        "activity": finding.activity,
        "ip_address": sign_in.ip_address if linked else None,
        "location": sign_in.location if linked else None,
        "request_id": sign_in.id if linked else None,
        "correlation_id": sign_in.correlation_id if linked else None,
    }
    key_id = sign_in.service_principal_credential_key_id
    if sign_in.kind is SERVICE_PRINCIPAL:
        details["key_ids"] = (key_id,) if key_id else ()
    return details


def _report(tenant_id: str, sign_in: SignIn, finding: Finding) -> DetectionReport:
    info = [{"Key": key, "Value": value} for key, value in finding.reasons.items()]
    return DetectionReport(
        principal=_principal(sign_in),
        risk_event_type=finding.risk_event_type,
        risk_level=finding.risk_level if finding.risk_level in SEVERITY else RiskLevel.LOW,
        id=finding.detection_id(tenant_id, sign_in),
        activity_at=sign_in.created_at,
        detected_at=finding.detected_at or sign_in.created_at,
        detection_timing_type=finding.timing,
        additional_info=json.dumps(info, separators=(",", ":")),
        details=_details(sign_in, finding),
    )
