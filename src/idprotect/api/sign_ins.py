"""Operations on sign-ins (Graph's auditLogs/signIns, v1.0 and beta): list and get, and the
admin feedback on risky sign-ins (confirmCompromised, confirmSafe, dismiss)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.deps import json_body, parse_ids
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.auth.permissions import READ_SIGN_INS, WRITE_SIGN_INS
from idprotect.domain import sign_in_actions as service
from idprotect.domain.ports import RiskStore
from idprotect.domain.sign_in_actions import SignInAction, SignInActionRequest, SignInLog
from idprotect.errors import BadRequest
from idprotect.odata.collections import SIGN_INS_BY_VERSION
from idprotect.odata.options import Target

Answer = Callable[[Call], Response]
# The sign-in log of a unit of work's store (app.py gives the store's).
LogOf = Callable[[RiskStore], SignInLog]

ROOTS = ("/v1.0/auditLogs", "/beta/auditLogs")
SET = "auditLogs/signIns"  # the entity set, as @odata.context names it
IDS_FIELD = "requestIds"


def _listing(log_of: LogOf) -> Answer:
    def list_sign_ins(call: Call) -> Response:
        listing, root = call.listing, call.root
        assert listing is not None
        page = service.list_sign_ins(
            call.store,
            log_of(call.store),
            tenant_id=call.principal.tenant_id,
            page=listing.page,
            service_principals=_both_kinds(root),
        )
        return wire.collection(
            root,
            SET,
            [wire.sign_in(s, root) for s in page.items],
            page=page,
            options=listing.options,
            binding=listing.binding,
            path=call.path,
        )

    return list_sign_ins


def _getting(log_of: LogOf) -> Answer:
    def get_sign_in(call: Call) -> Response:
        assert call.options is not None
        found = service.get_sign_in(
            call.store,
            log_of(call.store),
            tenant_id=call.principal.tenant_id,
            sign_in_id=call.params["sign_in_id"],
            service_principals=_both_kinds(call.root),
        )
        fields = wire.sign_in(found, call.root)
        return wire.entity(call.root, SET, fields, select=call.options.select)

    return get_sign_in


def _both_kinds(root: wire.GraphRoot) -> bool:
    """Beta serves service principals' sign-ins beside users'; v1.0 users' only, as Graph."""
    return root.version == "beta"


def _not_countable(call: Call) -> Response:
    raise BadRequest("The /$count segment is not supported on signIns.")


def _prepare_action(call: Call) -> SignInActionRequest:
    """The action's request, its body checked before any database work."""
    action = call.path.rsplit("/", 1)[-1]
    return SignInActionRequest(
        tenant_id=call.principal.tenant_id,
        request_ids=parse_ids(json_body(call.scope, call.body), action=action, field=IDS_FIELD),
        actor_id=call.principal.object_id,
        clock=call.services.clock,
    )


def _acting(log_of: LogOf, action: SignInAction) -> Answer:
    def act_on_sign_ins(call: Call) -> Response:
        assert isinstance(call.input, SignInActionRequest)
        service.apply_sign_in_action(call.store, log_of(call.store), action, call.input)
        return Response(status_code=204)

    return act_on_sign_ins


def operations(log_of: LogOf, version: str) -> list[Operation]:
    """The sign-in operations of a version, below its root (Operation.under places them)."""
    collection = SIGN_INS_BY_VERSION[version]
    base = "/signIns"
    found = [
        Operation(
            "POST",
            f"{base}/{action.name}",
            _acting(log_of, action),
            Runs.WRITE,
            WRITE_SIGN_INS,
            prepare=_prepare_action,
        )
        for action in service.SIGN_IN_ACTIONS
    ]
    return [
        *found,
        Operation(
            "GET",
            base,
            _listing(log_of),
            Runs.READ,
            READ_SIGN_INS,
            query=Query(collection, Target.COLLECTION),
        ),
        Operation(
            "GET", f"{base}/$count", _not_countable, Runs.LOOP, READ_SIGN_INS, documented=False
        ),
        Operation(
            "GET",
            f"{base}/{{sign_in_id}}",
            _getting(log_of),
            Runs.READ,
            READ_SIGN_INS,
            query=Query(collection, Target.ENTITY),
        ),
    ]


def all_operations(log_of: LogOf) -> list[Operation]:
    return [
        operation.under(root)
        for root in ROOTS
        for operation in operations(log_of, root.split("/")[1])
    ]
