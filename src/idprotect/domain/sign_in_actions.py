"""Risky sign-ins (Graph's auditLogs/signIns): reading them as the tenant's licence shows them,
and the admin feedback on them (confirmCompromised, confirmSafe, dismiss), which reaches the
sign-in's own risk, the detections it raised (their requestId) and, through the risk core,
its user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from idprotect.domain.clock import Clock
from idprotect.domain.detections import add_detections
from idprotect.domain.enums import (
    NONPREMIUM_RISK_EVENT_TYPES,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
)
from idprotect.domain.history import time_of_change, write_history
from idprotect.domain.ids import new_detection_id
from idprotect.domain.kinds import USER
from idprotect.domain.models import Activity, Principal, Risk, RiskDetection, User
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.domain.tenants import DEFAULT_LICENCES, Licence, Licences, View, refuse
from idprotect.domain.transitions import aggregate_level
from idprotect.errors import BadRequest, NotFound

# Graph's own words when an action names sign-ins it cannot act on.
NOT_RISKY = "These requestIds do not exist in your tenant or they are not risky."
# The actions are feedback on users' sign-in risk (Graph's permissions are the risky users');
# a service principal's risk is acted on through riskyServicePrincipals.
NOT_USERS = (
    "These requestIds are service principals' sign-ins, which {action} does not take "
    "(act on the service principals through riskyServicePrincipals): {ids}."
)


class SignInLog(Protocol):
    """A tenant's sign-ins as the Graph API reads and changes them; nothing here commits."""

    def list_sign_ins(
        self, tenant_id: str, page: PageRequest, view: View, *, service_principals: bool
    ) -> Page[SignIn]:
        """A page of sign-ins, newest first unless ordered otherwise, users' only unless
        `service_principals`; the filter sees the fields as `view` shows them."""
        ...

    def get_sign_in(
        self, tenant_id: str, sign_in_id: str, *, service_principals: bool
    ) -> SignIn | None:
        """The sign-in; None if there is none, or it is a service principal's and
        `service_principals` is false."""
        ...

    def lock_sign_ins(self, tenant_id: str, ids: Sequence[str]) -> dict[str, SignIn]:
        """The sign-ins that exist among `ids`, locked until the unit of work ends."""
        ...

    def set_sign_in_risks(self, tenant_id: str, risks: Mapping[str, SignInRisk]) -> None: ...

    def linked_request_ids(self, tenant_id: str, request_ids: Sequence[str]) -> set[str]:
        """The ids among `request_ids` that some user's detection names as its requestId."""
        ...

    def settle_sign_in_detections(
        self,
        tenant_id: str,
        request_ids: Sequence[str],
        *,
        state: RiskState,
        detail: RiskDetail,
        level: RiskLevel | None,
        at: datetime,
    ) -> None:
        """Every active detection of these sign-ins takes `state`, `detail`, the last update
        time `at` and, when given, the riskLevel `level`."""
        ...


def sign_ins_view(licences: Licences) -> View:
    """Sign-in logs need Entra ID P1 or P2; their risk levels and detail need P2 (signIn's
    page: other licences read `hidden`)."""
    if licences.entra is Licence.FREE:
        return refuse()
    return View.FULL if licences.entra is Licence.P2 else View.LIMITED


def view_of(store: RiskStore, tenant_id: str) -> View:
    return sign_ins_view(store.tenant_licences(tenant_id) or DEFAULT_LICENCES)


def as_seen(sign_in: SignIn, view: View) -> SignIn:
    """LIMITED hides the levels and the detail, and names premium risk event types `generic`,
    as users' detections do for the same licence."""
    if view is View.FULL:
        return sign_in
    risk = sign_in.risk
    event_types = (t if t in NONPREMIUM_RISK_EVENT_TYPES else "generic" for t in risk.event_types)
    hidden = replace(
        risk,
        level_during_sign_in=RiskLevel.HIDDEN,
        level_aggregated=RiskLevel.HIDDEN,
        detail=RiskDetail.HIDDEN,
        event_types=tuple(dict.fromkeys(event_types)),
    )
    return replace(sign_in, risk=hidden)


def list_sign_ins(
    store: RiskStore,
    log: SignInLog,
    *,
    tenant_id: str,
    page: PageRequest,
    service_principals: bool,
) -> Page[SignIn]:
    """Users' sign-ins, and with `service_principals` (beta) service principals' too."""
    view = view_of(store, tenant_id)
    found = log.list_sign_ins(tenant_id, page, view, service_principals=service_principals)
    return Page([as_seen(s, view) for s in found.items], found.next_after, found.count)


def get_sign_in(
    store: RiskStore, log: SignInLog, *, tenant_id: str, sign_in_id: str, service_principals: bool
) -> SignIn:
    view = view_of(store, tenant_id)
    found = log.get_sign_in(tenant_id, sign_in_id, service_principals=service_principals)
    if found is None:
        raise NotFound(f"The signIn '{sign_in_id}' was not found.")
    return as_seen(found, view)


@dataclass(frozen=True, slots=True)
class SignInAction:
    """Admin feedback on sign-ins: the sign-in's state and detail after it, and its
    aggregated level (the level during sign-in is what was seen then, and stays)."""

    name: str
    state: RiskState
    detail: RiskDetail
    level: RiskLevel
    needs_risk: bool  # only sign-ins Identity Protection found risky

    def risk_after(self, risk: SignInRisk) -> SignInRisk | None:
        """The sign-in's new risk, or None when it is there already (so a repeat is a no-op)."""
        if (risk.state, risk.detail, risk.level_aggregated) == (
            self.state,
            self.detail,
            self.level,
        ):
            return None
        return replace(risk, state=self.state, detail=self.detail, level_aggregated=self.level)


CONFIRM_COMPROMISED = SignInAction(
    "confirmCompromised",
    RiskState.CONFIRMED_COMPROMISED,
    RiskDetail.ADMIN_CONFIRMED_SIGNIN_COMPROMISED,
    RiskLevel.HIGH,
    needs_risk=False,
)
CONFIRM_SAFE = SignInAction(
    "confirmSafe",
    RiskState.CONFIRMED_SAFE,
    RiskDetail.ADMIN_CONFIRMED_SIGNIN_SAFE,
    RiskLevel.NONE,
    needs_risk=False,
)
DISMISS = SignInAction(
    "dismiss",
    RiskState.DISMISSED,
    RiskDetail.ADMIN_DISMISSED_RISK_FOR_SIGN_IN,
    RiskLevel.NONE,
    needs_risk=True,
)
SIGN_IN_ACTIONS = (CONFIRM_COMPROMISED, CONFIRM_SAFE, DISMISS)


@dataclass(frozen=True, slots=True)
class SignInActionRequest:
    tenant_id: str
    request_ids: Sequence[str]
    actor_id: str | None
    clock: Clock


def apply_sign_in_action(
    store: RiskStore, log: SignInLog, action: SignInAction, request: SignInActionRequest
) -> None:
    """All of the request's sign-ins change, or none do: every check runs before any write."""
    tenant_id = request.tenant_id
    if view_of(store, tenant_id) is not View.FULL:
        refuse()
    ids = sorted(set(request.request_ids))
    found = log.lock_sign_ins(tenant_id, ids)
    _check_targets(action, ids, found)
    changed = {sid: risk for sid in ids if (risk := action.risk_after(found[sid].risk)) is not None}
    if not changed:
        return
    sign_ins = [found[sid] for sid in sorted(changed)]
    users, latest_ticks = _lock_users(store, action, tenant_id, sign_ins)
    now = time_of_change(request.clock, users.values(), latest_ticks)
    log.set_sign_in_risks(tenant_id, changed)
    _settle_detections(store, log, action, tenant_id, sign_ins, users, now)
    user_risks = _user_risks(store, action, tenant_id, sign_ins, users, now)
    event_types = tuple(dict.fromkeys(t for s in sign_ins for t in s.risk.event_types))
    write_history(
        store,
        USER,
        tenant_id=tenant_id,
        changes={uid: (users[uid], risk) for uid, risk in user_risks.items()},
        activities={uid: Activity(risk.detail, event_types) for uid, risk in user_risks.items()},
        actor_id=request.actor_id,
        latest_ticks=latest_ticks,
    )


def _check_targets(action: SignInAction, ids: Sequence[str], found: Mapping[str, SignIn]) -> None:
    """Every id names a sign-in of the tenant, one Identity Protection found risky for an
    action that needs it; else Graph's 400, and nothing changes."""
    missing = any(i not in found for i in ids)
    unrisky = action.needs_risk and any(found[i].risk.state is RiskState.NONE for i in found)
    if missing or unrisky:
        raise BadRequest(NOT_RISKY)
    workloads = sorted(i for i, s in found.items() if s.kind is not USER)
    if workloads:
        raise BadRequest(NOT_USERS.format(action=action.name, ids=", ".join(workloads)))


def _lock_users(
    store: RiskStore, action: SignInAction, tenant_id: str, sign_ins: Sequence[SignIn]
) -> tuple[dict[str, Principal], dict[str, int]]:
    """The sign-ins' users, locked (made in the directory if new, as detections make them)."""
    named = {
        s.user_id: User(
            id=s.user_id,
            display_name=s.user_display_name,
            user_principal_name=s.user_principal_name,
        )
        for s in sign_ins
    }
    store.add_missing_principals(USER, tenant_id, [named[uid] for uid in sorted(named)])
    users, latest = store.lock_principals_and_latest_ticks(USER, tenant_id, sorted(named))
    deleted = sorted(uid for uid, user in users.items() if user.is_deleted)
    if deleted:
        raise BadRequest(
            f"{action.name} cannot be applied to sign-ins of deleted users: {', '.join(deleted)}."
        )
    return users, latest


def _settle_detections(
    store: RiskStore,
    log: SignInLog,
    action: SignInAction,
    tenant_id: str,
    sign_ins: Sequence[SignIn],
    users: Mapping[str, Principal],
    now: datetime,
) -> None:
    """The sign-ins' active detections take the action's state; a compromised sign-in's are
    high, and one that raised none records one, so the user's risk stays high on them."""
    ids = [s.id for s in sign_ins]
    compromised = action is CONFIRM_COMPROMISED
    level = RiskLevel.HIGH if compromised else None
    log.settle_sign_in_detections(
        tenant_id, ids, state=action.state, detail=action.detail, level=level, at=now
    )
    if compromised:
        linked = log.linked_request_ids(tenant_id, ids)
        recorded = [_confirmed(s, users[s.user_id], now) for s in sign_ins if s.id not in linked]
        add_detections(store, USER, tenant_id, recorded)


def _confirmed(sign_in: SignIn, user: Principal, now: datetime) -> RiskDetection:
    """The detection a sign-in confirmed compromised records when it raised none."""
    assert isinstance(user, User)
    return RiskDetection(
        id=new_detection_id(),
        principal_id=user.id,
        risk_event_type="generic",
        risk_level=RiskLevel.HIGH,
        risk_state=RiskState.CONFIRMED_COMPROMISED,
        risk_detail=RiskDetail.ADMIN_CONFIRMED_SIGNIN_COMPROMISED,
        activity_at=sign_in.created_at,
        detected_at=now,
        last_updated_at=now,
        detection_timing_type=RiskDetectionTimingType.OFFLINE,
        ip_address=sign_in.ip_address,
        location=sign_in.location,
        request_id=sign_in.id,
        correlation_id=sign_in.correlation_id,
        user_display_name=user.display_name,
        user_principal_name=user.user_principal_name,
    )


def _user_risks(
    store: RiskStore,
    action: SignInAction,
    tenant_id: str,
    sign_ins: Sequence[SignIn],
    users: Mapping[str, Principal],
    now: datetime,
) -> dict[str, Risk]:
    """Each user's new risk, where it changes: a compromised sign-in makes its user high; once
    a sign-in is safe or dismissed, a user at risk is at the level of what stays active, and
    with nothing active takes the action's state. A user an admin confirmed compromised stays
    so until dismissed as a user."""
    ids = sorted({s.user_id for s in sign_ins})
    levels = store.active_detection_levels(USER, tenant_id, ids)
    risks: dict[str, Risk] = {}
    for uid in ids:
        current = users[uid].risk
        if current is not None and current.state is RiskState.CONFIRMED_COMPROMISED:
            continue
        if action is CONFIRM_COMPROMISED:
            target = Risk(RiskLevel.HIGH, RiskState.AT_RISK, action.detail, now)
        elif current is None or current.state is not RiskState.AT_RISK:
            continue
        elif levels.get(uid):
            target = replace(current, level=aggregate_level(levels[uid]), last_updated=now)
        else:
            target = Risk(RiskLevel.NONE, action.state, action.detail, now)
        if current is None or (current.level, current.state, current.detail) != (
            target.level,
            target.state,
            target.detail,
        ):
            risks[uid] = target
    return risks
