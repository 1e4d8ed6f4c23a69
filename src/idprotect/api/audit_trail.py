"""What the directory audit log records of each change (every risk action, every /_admin
change, and the command line's changes of a tenant's settings), made from the operation table:
the answer of each such operation is wrapped so that, once it succeeded, its record is written
in the same unit of work, before the commit. A change that fails (400, 403, a rollback) records
nothing, as it changed nothing. Every record is made by `record`.

The command line (cli_ops.py, cli_tenants.py) makes the same changes as /_admin's operations,
and records them as those operations do (`admin_activity`), initiated by the local operator.

Activity names, categories and operation types are idprotect's (Graph documents none for
Identity Protection's actions): see docs/compatibility.md, "Directory audits".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from starlette.responses import Response

from idprotect.api.admin import ROOT
from idprotect.api.paths import ACTIONS
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Runs
from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.domain.audits import AuditTarget, DirectoryAudit, Initiator
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.ports import RiskStore

RISK = "IdentityProtection"
# Each set's noun in activity names, and its targets' type.
_SETS = {
    "riskyUsers": ("user", "User"),
    "riskyServicePrincipals": ("service principal", "ServicePrincipal"),
    "riskyAgents": ("agent", "Agent"),
    "signIns": ("sign-in", "Other"),
}
_VERBS = {"dismiss": "Dismiss {} risk", "confirmCompromised": "Confirm {} compromised",
          "confirmSafe": "Confirm {} safe"}  # fmt: skip
_APPS = "ApplicationManagement"
# /_admin's changes: (method, path below the tenant) -> name, category, operation type.
_ADMIN = {
    ("POST", "/riskDetections"): ("Add risk detections", "Other", "Add"),
    ("POST", "/servicePrincipalRiskDetections"): (
        "Add service principal risk detections", "Other", "Add"
    ),
    ("POST", "/agentRiskDetections"): ("Add agent risk detections", "Other", "Add"),
    ("POST", "/users"): ("Add or update users", "UserManagement", "Add"),
    ("POST", "/servicePrincipals"): ("Add or update service principals", _APPS, "Add"),
    ("POST", "/agents"): ("Add or update agents", _APPS, "Add"),
    ("DELETE", "/users/{id}"): ("Delete user", "UserManagement", "Delete"),
    ("DELETE", "/servicePrincipals/{id}"): ("Delete service principal", _APPS, "Delete"),
    ("DELETE", "/agents/{id}"): ("Delete agent", _APPS, "Delete"),
    ("POST", "/fixtures"): ("Load fixtures", "Other", "Add"),
    ("PUT", ""): ("Update tenant licences", "Policy", "Update"),
    ("POST", "/applications"): ("Register application", _APPS, "Add"),
    ("POST", "/signIns"): ("Add sign-ins", "Other", "Add"),
    ("PUT", "/threatLists/{list}"): ("Replace threat list", "Policy", "Update"),
    ("POST", "/leakedCredentials"): ("Add leaked credentials", "Policy", "Add"),
    ("PUT", "/throttle"): ("Set throttling", "Policy", "Update"),
    ("PUT", "/faults"): ("Set faults", "Policy", "Update"),
    ("DELETE", "/faults"): ("Remove faults", "Policy", "Delete"),
}  # fmt: skip
# What the principals a /_admin collection names are, as targets.
_TARGET_TYPES = {
    "servicePrincipals": "ServicePrincipal",
    "servicePrincipalRiskDetections": "ServicePrincipal",
    "agents": "Agent",
    "agentRiskDetections": "Agent",
}
_SETTINGS = frozenset({"", "/throttle", "/faults", "/threatLists/{list}"})  # their body is a detail
_DETAIL_MAX = 2_000
_ID_FIELDS = ("user_id", "service_principal_id", "agent_id", "id")
# The lengths of the log's columns (store/tables/ops.py directory_audits).
_TARGET_MAX, _ID_MAX, _NAME_MAX = 128, 64, 256


@dataclass(frozen=True, slots=True)
class Activity:
    name: str
    category: str
    operation_type: str
    target_type: str  # for targets named by ids
    details: bool = False  # the request body is recorded (settings only: never a secret)


AddAudit = Callable[[RiskStore, str, DirectoryAudit], None]


def audited(operations: Sequence[Operation], add: AddAudit) -> list[Operation]:
    """The operations, each change's answer recording its audit."""
    return [
        _audited(op, activity, add) if (activity := activity_of(op)) else op for op in operations
    ]


def activity_of(operation: Operation) -> Activity | None:
    segments = operation.path.split("/")
    if operation.method == "POST" and segments[-1] in ACTIONS and operation.runs is Runs.WRITE:
        noun, target_type = _SETS[segments[-2]]
        return Activity(_VERBS[segments[-1]].format(noun), RISK, "Update", target_type)
    if not operation.path.startswith(ROOT):
        return None
    below = operation.path[len(ROOT) :]
    return admin_activity(operation.method, below) if (operation.method, below) in _ADMIN else None


def admin_activity(method: str, below: str) -> Activity:
    """The activity of the /_admin change `method` on `below` (a path below the tenant's:
    `/faults`); the command line's changes of a tenant are these same ones."""
    kind = _TARGET_TYPES.get(below.split("/")[1] if below else "", "User")
    return Activity(*_ADMIN[(method, below)], target_type=kind, details=below in _SETTINGS)


def _audited(operation: Operation, activity: Activity, add: AddAudit) -> Operation:
    answer: Callable[[Call], Response] = operation.answer  # type: ignore[assignment]
    in_unit_of_work = operation.runs is Runs.WRITE

    def audited_answer(call: Call) -> Response:
        response = answer(call)
        if response.status_code < 400:
            tenant_id, audit = audit_of(call, activity)
            if in_unit_of_work:
                add(call.store, tenant_id, audit)
            else:  # the issuer's registry has its own transaction: the audit follows it
                with call.services.database.unit_of_work(write=True) as store:
                    add(store, tenant_id, audit)
        return response

    return replace(operation, answer=audited_answer)


def audit_of(call: Call, activity: Activity) -> tuple[str, DirectoryAudit]:
    """The change's record, and the tenant whose log it goes to."""
    tenant_id = call.params.get("tenant_id") or call.principal.tenant_id
    state = call.scope["state"]
    audit = record(
        activity,
        at=call.services.clock(),
        initiated_by=initiator(call.principal),
        targets=_targets(call, activity, tenant_id),
        correlation_id=_optional(state.get("client_request_id"), _ID_MAX) or state["request_id"],
        request=call.body.decode("utf-8", "replace"),
    )
    return tenant_id, audit


def record(
    activity: Activity,
    *,
    at: datetime,
    initiated_by: Initiator,
    targets: Sequence[AuditTarget],
    correlation_id: str,
    request: str = "",
    more: Sequence[tuple[str, str]] = (),
) -> DirectoryAudit:
    """The record of one change: `request` (the document that set a setting) is kept for the
    activities whose body is a detail, when there is one; `more`, details besides."""
    details = (("request", request[:_DETAIL_MAX]),) if activity.details and request else ()
    return DirectoryAudit(
        id=str(uuid.uuid4()),
        activity_at=at,
        category=activity.category,
        activity_display_name=activity.name,
        operation_type=activity.operation_type,
        initiated_by=initiated_by,
        targets=tuple(targets),
        correlation_id=correlation_id,
        details=(*details, *more),
    )


def initiator(principal: Principal) -> Initiator:
    object_id = _optional(principal.object_id, _ID_MAX)
    if principal.kind is PrincipalKind.APP:
        return Initiator("app", object_id, None, _optional(principal.app_id, _ID_MAX))
    return Initiator("user", object_id)


def local_operator(login: str, host: str) -> Initiator:
    """Who runs the command line: a user with no object id, its userPrincipalName the local
    account and the machine, `login@host` (docs/compatibility.md, Directory audits)."""
    return Initiator("user", None, _stored(f"{login}@{host}", _NAME_MAX))


def tenant_target(tenant_id: str) -> AuditTarget:
    """The tenant itself, as the target of a change of its settings."""
    return AuditTarget(tenant_id, "Directory")


def _targets(call: Call, activity: Activity, tenant_id: str) -> list[AuditTarget]:
    ids = _target_ids(call)
    if ids is None:
        return [tenant_target(tenant_id)]
    unique = dict.fromkeys(_stored(normalize_object_id(i), _TARGET_MAX) for i in ids)
    return [AuditTarget(i, activity.target_type) for i in unique]


def _stored(text: str, limit: int) -> str:
    """A value as the log can keep it: no NUL (PostgreSQL refuses it), at most `limit`
    characters. An action ignores ids that name nothing (too long, or holding NUL, none can);
    its record names them as far as it can."""
    return text.replace("\x00", "\ufffd")[:limit]


def _optional(text: str | None, limit: int) -> str | None:
    return _stored(text, limit) if text is not None else None


def _target_ids(call: Call) -> Sequence[str] | None:
    """The principals (or sign-ins) a change names: an action's ids, a path's id, or those of
    the items of a `{"value": [...]}` body; None when it names the tenant itself."""
    given: Any = call.input
    for field in ("ids", "request_ids"):
        if hasattr(given, field):
            ids: Sequence[str] = getattr(given, field)
            return ids
    if "id" in call.params:
        return [call.params["id"]]
    body = given[1] if isinstance(given, tuple) and len(given) == 2 else None
    items = getattr(body, "value", None)
    if not isinstance(items, list) or not items or not hasattr(items[0], "__dict__"):
        return None
    named = [f for f in _ID_FIELDS if hasattr(items[0], f)]
    if not named:
        return None
    # Each item's first id that is set: a sign-in names a user or a service principal.
    return [next((v for f in named if (v := getattr(item, f))), "") for item in items]
