"""Operations on risky principals of every kind (api/kinds.py): list, count, get, history, and
the kind's actions. Made once from each kind's entry; the answers are the same code for all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.deps import json_body, parse_ids
from idprotect.api.kinds import API_KINDS, ApiKind
from idprotect.api.paths import ACTIONS
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.domain import principals as service
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.models import HistoryItem
from idprotect.domain.principals import ActionRequest
from idprotect.domain.transitions import AdminAction
from idprotect.errors import BadRequest
from idprotect.errors import ResourceNotFoundForSegment as SegmentNotFound
from idprotect.odata.options import Target

Answer = Callable[[Call], Response]


def _prepare_action(api: ApiKind) -> Callable[[Call], ActionRequest]:
    def prepare(call: Call) -> ActionRequest:
        """The action's request, its body checked before any database work."""
        action = call.path.rsplit("/", 1)[-1]
        return ActionRequest(
            tenant_id=call.principal.tenant_id,
            ids=parse_ids(
                json_body(call.scope, call.body), action=action, field=api.kind.ids_field
            ),
            actor_id=call.principal.object_id,
            clock=call.services.clock,
            strict=call.services.settings.strict_actions,
        )

    return prepare


def _acting(api: ApiKind, action: AdminAction) -> Answer:
    def answer(call: Call) -> Response:
        assert isinstance(call.input, ActionRequest)
        service.apply_action(call.store, api.kind, action, call.input)
        return Response(status_code=204)

    return answer


def _not_an_action(call: Call) -> Response:
    """An action Graph binds to other kinds only (confirmSafe on service principals)."""
    raise SegmentNotFound(call.path.rsplit("/", 1)[-1])


def _listing(api: ApiKind) -> Answer:
    def answer(call: Call) -> Response:
        listing, root = call.listing, call.root
        assert listing is not None
        tenant_id = call.principal.tenant_id
        page = service.list_risky_principals(
            call.store, api.kind, tenant_id=tenant_id, page=listing.page
        )
        return wire.collection(
            root,
            api.set_name,
            [api.fields(p, root) for p in page.items],
            page=page,
            options=listing.options,
            binding=listing.binding,
            path=call.path,
        )

    return answer


def _counting(api: ApiKind) -> Answer:
    def answer(call: Call) -> Response:
        assert call.options is not None
        total = service.count_risky_principals(
            call.store, api.kind, tenant_id=call.principal.tenant_id, filter=call.options.filter
        )
        return wire.count(total)

    return answer


def _getting(api: ApiKind) -> Answer:
    def answer(call: Call) -> Response:
        assert call.options is not None
        found = service.get_risky_principal(
            call.store, api.kind, tenant_id=call.principal.tenant_id, principal_id=call.params["id"]
        )
        fields = api.fields(found, call.root)
        return wire.entity(call.root, api.set_name, fields, select=call.options.select)

    return answer


def _history_set(api: ApiKind, call: Call) -> str:
    return f"{api.set_name}('{normalize_object_id(call.params['id'])}')/history"


def _item_fields(api: ApiKind) -> Callable[[HistoryItem, wire.GraphRoot], dict[str, Any]]:
    def fields(item: HistoryItem, root: wire.GraphRoot) -> dict[str, Any]:
        return wire.history_item(item, root, fields=api.fields, id_field=api.kind.id_field)

    return fields


def _listing_history(api: ApiKind) -> Answer:
    item_fields = _item_fields(api)

    def answer(call: Call) -> Response:
        listing, root = call.listing, call.root
        assert listing is not None
        page = service.list_history(
            call.store,
            api.kind,
            tenant_id=call.principal.tenant_id,
            principal_id=call.params["id"],
            page=listing.page,
        )
        return wire.collection(
            root,
            _history_set(api, call),
            [item_fields(item, root) for item in page.items],
            page=page,
            options=listing.options,
            binding=listing.binding,
            path=call.path,
        )

    return answer


def _count_history(call: Call) -> Response:
    raise BadRequest("The /$count segment is not supported on history.")


def _getting_history_item(api: ApiKind) -> Answer:
    item_fields = _item_fields(api)

    def answer(call: Call) -> Response:
        assert call.options is not None
        item = service.get_history_item(
            call.store,
            api.kind,
            tenant_id=call.principal.tenant_id,
            principal_id=call.params["id"],
            item_id=call.params["item_id"],
        )
        fields = item_fields(item, call.root)
        return wire.entity(call.root, _history_set(api, call), fields, select=call.options.select)

    return answer


def operations(api: ApiKind) -> list[Operation]:
    """The kind's operations, below its roots (Operation.under places them)."""
    base = f"/{api.set_name}"
    read, write = api.read, api.write
    found = [
        Operation(
            "POST",
            f"{base}/{action.name}",
            _acting(api, action),
            Runs.WRITE,
            write,
            prepare=_prepare_action(api),
        )
        for action in api.kind.actions
    ]
    found += [
        Operation("POST", f"{base}/{name}", _not_an_action, Runs.LOOP, read, documented=False)
        for name in ACTIONS
        if name not in {action.name for action in api.kind.actions}
    ]
    found += [
        Operation(
            "GET",
            base,
            _listing(api),
            Runs.READ,
            read,
            query=Query(api.principals, Target.COLLECTION),
        ),
        Operation(
            "GET",
            f"{base}/$count",
            _counting(api),
            Runs.READ,
            read,
            query=Query(api.principals, Target.COUNT),
        ),
        Operation(
            "GET",
            f"{base}/{{id}}",
            _getting(api),
            Runs.READ,
            read,
            query=Query(api.principals, Target.ENTITY),
        ),
    ]
    if api.history is not None:
        history = api.history
        found += [
            Operation(
                "GET",
                f"{base}/{{id}}/history",
                _listing_history(api),
                Runs.READ,
                read,
                query=Query(history, Target.COLLECTION),
            ),
            Operation(
                "GET",
                f"{base}/{{id}}/history/$count",
                _count_history,
                Runs.LOOP,
                read,
                documented=False,
            ),
            Operation(
                "GET",
                f"{base}/{{id}}/history/{{item_id}}",
                _getting_history_item(api),
                Runs.READ,
                read,
                query=Query(history, Target.ENTITY),
            ),
        ]
    return found


def all_operations() -> list[Operation]:
    """Every kind's operations, each under each of its roots; the legacy root undocumented."""
    return [
        operation.under(root, documented=root != "/beta")
        for api in API_KINDS
        for operation in operations(api)
        for root in api.roots
    ]
