"""Graph's auditLogs/directoryAudits (v1.0 and beta): the tenant's directory audit log, list
and get, with AuditLog.Read.All and the reports' roles (as signIns), keyset paging, and
`$filter` on its properties and on `targetResources/any(t: t/id eq '...')`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response

from idprotect.api import deps, wire
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.auth.permissions import READ_SIGN_INS as READ_AUDIT_LOGS
from idprotect.domain.audits import DirectoryAudit
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.predicates import Operator
from idprotect.errors import BadRequest, NotFound
from idprotect.odata.collections import Collection
from idprotect.odata.options import QueryOptions, Target
from idprotect.odata.schema import DateTimeOffset, Property, Schema, String

ROOTS = ("/v1.0/auditLogs", "/beta/auditLogs")
SET = "auditLogs/directoryAudits"
_EQ = Property.of(String(), [Operator.EQ])
_EQ_STARTSWITH = Property.of(String(), [Operator.EQ, Operator.STARTSWITH])
_DATES = [Operator.EQ, Operator.GE, Operator.LE, Operator.GT, Operator.LT]
DIRECTORY_AUDITS = Collection(
    name="directoryAudits",
    entity_type="microsoft.graph.directoryAudit",
    filter=Schema(
        {
            "id": _EQ,
            "activityDateTime": Property.of(DateTimeOffset(), _DATES),
            "category": _EQ,
            "activityDisplayName": _EQ_STARTSWITH,
            "operationType": _EQ,
            "result": _EQ,
            "correlationId": _EQ,
            "loggedByService": _EQ,
            "initiatedBy/user/id": _EQ,
            "initiatedBy/user/userPrincipalName": _EQ_STARTSWITH,
            "initiatedBy/app/appId": _EQ,
            "initiatedBy/app/displayName": _EQ_STARTSWITH,
            "initiatedBy/app/servicePrincipalId": _EQ,
        }
    ),
    select=(
        "id",
        "category",
        "correlationId",
        "result",
        "resultReason",
        "activityDisplayName",
        "activityDateTime",
        "loggedByService",
        "operationType",
        "initiatedBy",
        "targetResources",
        "additionalDetails",
    ),
    orderby=("activityDateTime",),
)
# `targetResources/any(t: t/id eq 'x')`, as Graph documents it: one, joined to the rest by `and`.
_TARGET = re.compile(
    r"targetResources/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'((?:[^']|'')*)'\s*\)", re.IGNORECASE
)
_FILTER_NAMES = ("$filter", "filter")


class AuditLog(Protocol):
    def list_audits(
        self, tenant_id: str, page: PageRequest, target: str | None
    ) -> Page[DirectoryAudit]: ...
    def get_audit(self, tenant_id: str, audit_id: str) -> DirectoryAudit | None: ...


LogOf = Callable[[RiskStore], AuditLog]


def split_target(filter_text: str) -> tuple[str, str | None]:
    """The filter without its targetResources clause, and the target id that clause names."""
    found = list(_TARGET.finditer(filter_text))
    if not found:
        if "targetresources" in filter_text.lower():
            raise BadRequest("targetResources is filtered with any(t: t/id eq '...') only.")
        return filter_text, None
    if len(found) > 1:
        raise BadRequest("Only one targetResources/any(...) clause is supported.")
    match = found[0]
    joined = BadRequest("targetResources/any(...) must be joined to the filter with 'and'.")
    before, after = filter_text[: match.start()].rstrip(), filter_text[match.end() :].lstrip()
    if before:
        if not before.lower().endswith(" and"):
            raise joined
        before = before[:-4].rstrip()
    if after:
        if not after.lower().startswith("and "):
            raise joined
        after = after[4:].lstrip()
    rest = " and ".join(part for part in (before, after) if part)
    return rest, match.group(2).replace("''", "'")


def _options(call: Call) -> tuple[QueryOptions, str | None]:
    """The request's options, its targetResources clause taken out of $filter (and put back
    in the nextLink's options)."""
    raw = call.scope["query_string"].decode("utf-8", "replace")
    pairs = parse_qsl(raw, keep_blank_values=True)
    target, kept, original = None, [], None
    for name, value in pairs:
        if name.lower() in _FILTER_NAMES:
            original = (name, value)
            value, target = split_target(value)
            if not value.strip():
                continue
        kept.append((name, value))
    scope = {**call.scope, "query_string": urlencode(kept).encode()}
    options = deps.query_options(scope, call.root, DIRECTORY_AUDITS, Target.COLLECTION)
    if target is not None and original is not None:
        others = [pair for pair in options.original if pair[0].lower() not in _FILTER_NAMES]
        options = replace(options, original=(*others, original))
    return options, target


def _listing(log_of: LogOf) -> Callable[[Call], Any]:
    async def list_directory_audits(call: Call) -> Response:
        options, target = _options(call)
        params = {"target": target} if target is not None else {}
        listing = await deps.list_request(call.services, options, call.principal, params)
        tenant_id = call.principal.tenant_id

        def read(store: RiskStore) -> Page[DirectoryAudit]:
            return log_of(store).list_audits(tenant_id, listing.page, target)

        page = await deps.read(call.services.database, read)
        return wire.collection(
            call.root,
            SET,
            [directory_audit(a) for a in page.items],
            page=page,
            options=listing.options,
            binding=listing.binding,
            path=call.path,
        )

    return list_directory_audits


def _getting(log_of: LogOf) -> Callable[[Call], Response]:
    def get_directory_audit(call: Call) -> Response:
        assert call.options is not None
        audit_id = call.params["audit_id"]
        found = log_of(call.store).get_audit(call.principal.tenant_id, audit_id)
        if found is None:
            raise NotFound(f"The directoryAudit '{audit_id}' was not found.")
        return wire.entity(call.root, SET, directory_audit(found), select=call.options.select)

    return get_directory_audit


def directory_audit(a: DirectoryAudit) -> dict[str, Any]:
    """A directoryAudit in Graph's JSON, its fields in Graph's order."""
    i = a.initiated_by
    user = {"id": i.id, "displayName": None, "userPrincipalName": i.name, "ipAddress": None}
    app = {"appId": i.app_id, "displayName": i.name, "servicePrincipalId": i.id,
           "servicePrincipalName": None}  # fmt: skip
    return {
        "id": a.id,
        "category": a.category,
        "correlationId": a.correlation_id,
        "result": a.result,
        "resultReason": a.result_reason,
        "activityDisplayName": a.activity_display_name,
        "activityDateTime": wire.graph_datetime(a.activity_at),
        "loggedByService": a.logged_by_service,
        "operationType": a.operation_type,
        "initiatedBy": {
            "app": app if i.kind == "app" else None,
            "user": user if i.kind == "user" else None,
        },
        "targetResources": [
            {
                "id": t.id,
                "displayName": t.display_name,
                "type": t.type,
                "userPrincipalName": t.user_principal_name,
                "groupType": None,
                "modifiedProperties": [],
            }
            for t in a.targets
        ],
        "additionalDetails": [{"key": k, "value": v} for k, v in a.details],
    }


def operations(log_of: LogOf) -> list[Operation]:
    base = "/directoryAudits"
    found = [
        Operation("GET", base, _listing(log_of), Runs.LOOP, READ_AUDIT_LOGS),
        Operation(
            "GET",
            f"{base}/{{audit_id}}",
            _getting(log_of),
            Runs.READ,
            READ_AUDIT_LOGS,
            query=Query(DIRECTORY_AUDITS, Target.ENTITY),
        ),
    ]
    return [operation.under(root) for operation in found for root in ROOTS]
