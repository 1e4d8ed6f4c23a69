"""Operations of the riskyUsers collection: list, count, get, history, and the three actions."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.deps import json_body, parse_user_ids
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.auth.permissions import READ_RISKY_USERS, WRITE_RISKY_USERS
from idprotect.domain import risky_users as service
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.ports import RiskStore
from idprotect.domain.risky_users import ActionRequest
from idprotect.errors import BadRequest
from idprotect.odata.collections import HISTORY, RISKY_USERS
from idprotect.odata.options import Target

Action = Callable[[RiskStore, ActionRequest], None]


def _action(call: Call) -> ActionRequest:
    """The action's request, its body checked before any database work."""
    action = call.path.rsplit("/", 1)[-1]
    settings = call.services.settings
    return ActionRequest(
        tenant_id=call.principal.tenant_id,
        user_ids=parse_user_ids(json_body(call.scope, call.body), action=action),
        actor_id=call.principal.object_id,
        clock=call.services.clock,
        strict=settings.strict_actions,
    )


def _acting(action: Action) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        assert isinstance(call.input, ActionRequest)
        action(call.store, call.input)
        return Response(status_code=204)

    return answer


dismiss_risky_users = _acting(service.dismiss_risky_users)
confirm_compromised_risky_users = _acting(service.confirm_compromised_risky_users)
confirm_safe_risky_users = _acting(service.confirm_safe_risky_users)


def list_risky_users(call: Call) -> Response:
    listing, root = call.listing, call.root
    assert listing is not None
    page = service.list_risky_users(
        call.store, tenant_id=call.principal.tenant_id, page=listing.page
    )
    values = [wire.risky_user(user, root) for user in page.items]
    return wire.collection(
        root,
        "riskyUsers",
        values,
        page=page,
        options=listing.options,
        binding=listing.binding,
        path=call.path,
    )


def count_risky_users(call: Call) -> Response:
    assert call.options is not None
    total = service.count_risky_users(
        call.store, tenant_id=call.principal.tenant_id, filter=call.options.filter
    )
    return wire.count(total)


def get_risky_user(call: Call) -> Response:
    assert call.options is not None
    user = service.get_risky_user(
        call.store, tenant_id=call.principal.tenant_id, user_id=call.params["user_id"]
    )
    fields = wire.risky_user(user, call.root)
    return wire.entity(call.root, "riskyUsers", fields, select=call.options.select)


def list_risky_user_history(call: Call) -> Response:
    listing, root, user_id = call.listing, call.root, call.params["user_id"]
    assert listing is not None
    page = service.list_risky_user_history(
        call.store, tenant_id=call.principal.tenant_id, user_id=user_id, page=listing.page
    )
    values = [wire.history_item(item, root) for item in page.items]
    return wire.collection(
        root,
        f"riskyUsers('{normalize_object_id(user_id)}')/history",
        values,
        page=page,
        options=listing.options,
        binding=listing.binding,
        path=call.path,
    )


def count_risky_user_history(call: Call) -> Response:
    raise BadRequest("The /$count segment is not supported on history.")


def get_risky_user_history_item(call: Call) -> Response:
    assert call.options is not None
    user_id = call.params["user_id"]
    item = service.get_risky_user_history_item(
        call.store,
        tenant_id=call.principal.tenant_id,
        user_id=user_id,
        item_id=call.params["item_id"],
    )
    fragment = f"riskyUsers('{normalize_object_id(user_id)}')/history"
    fields = wire.history_item(item, call.root)
    return wire.entity(call.root, fragment, fields, select=call.options.select)


def _reading(path: str, answer: Callable[[Call], Response], query: Query) -> Operation:
    return Operation("GET", path, answer, Runs.READ, READ_RISKY_USERS, query=query)


def _acting_on(path: str, answer: Callable[[Call], Response]) -> Operation:
    return Operation("POST", path, answer, Runs.WRITE, WRITE_RISKY_USERS, prepare=_action)


OPERATIONS = (
    _acting_on("/riskyUsers/dismiss", dismiss_risky_users),
    _acting_on("/riskyUsers/confirmCompromised", confirm_compromised_risky_users),
    _acting_on("/riskyUsers/confirmSafe", confirm_safe_risky_users),
    _reading("/riskyUsers", list_risky_users, Query(RISKY_USERS, Target.COLLECTION)),
    _reading("/riskyUsers/$count", count_risky_users, Query(RISKY_USERS, Target.COUNT)),
    _reading("/riskyUsers/{user_id}", get_risky_user, Query(RISKY_USERS, Target.ENTITY)),
    _reading(
        "/riskyUsers/{user_id}/history",
        list_risky_user_history,
        Query(HISTORY, Target.COLLECTION),
    ),
    Operation(
        "GET",
        "/riskyUsers/{user_id}/history/$count",
        count_risky_user_history,
        Runs.LOOP,
        READ_RISKY_USERS,
        documented=False,
    ),
    _reading(
        "/riskyUsers/{user_id}/history/{item_id}",
        get_risky_user_history_item,
        Query(HISTORY, Target.ENTITY),
    ),
)
