"""Routes of the riskyUsers collection: list, get, history, and the three admin actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from idprotect.api import wire
from idprotect.api.deps import (
    ActionUserIds,
    AppSettings,
    Db,
    HistoryItemOptions,
    HistoryList,
    Now,
    RiskyUserOptions,
    RiskyUsersCount,
    RiskyUsersList,
    Root,
    require,
)
from idprotect.api.paths import ACTIONS
from idprotect.auth.permissions import READ_RISKY_USERS, WRITE_RISKY_USERS
from idprotect.auth.principal import Principal
from idprotect.domain import risky_users as service
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.risky_users import ActionRequest
from idprotect.errors import BadRequest, MethodNotAllowed

router = APIRouter()

Reader = Annotated[Principal, Depends(require(READ_RISKY_USERS))]
Writer = Annotated[Principal, Depends(require(WRITE_RISKY_USERS))]


@router.post("/riskyUsers/dismiss", status_code=204)
def dismiss_risky_users(
    caller: Writer, user_ids: ActionUserIds, db: Db, settings: AppSettings, now: Now
) -> Response:
    with db.unit_of_work(write=True) as store:
        service.dismiss_risky_users(store, _action(caller, user_ids, settings, now))
    return Response(status_code=204)


@router.post("/riskyUsers/confirmCompromised", status_code=204)
def confirm_compromised_risky_users(
    caller: Writer, user_ids: ActionUserIds, db: Db, settings: AppSettings, now: Now
) -> Response:
    with db.unit_of_work(write=True) as store:
        service.confirm_compromised_risky_users(store, _action(caller, user_ids, settings, now))
    return Response(status_code=204)


@router.post("/riskyUsers/confirmSafe", status_code=204)
def confirm_safe_risky_users(
    caller: Writer, user_ids: ActionUserIds, db: Db, settings: AppSettings, now: Now
) -> Response:
    with db.unit_of_work(write=True) as store:
        service.confirm_safe_risky_users(store, _action(caller, user_ids, settings, now))
    return Response(status_code=204)


def _action(
    caller: Principal, user_ids: list[str], settings: AppSettings, now: Now
) -> ActionRequest:
    return ActionRequest(
        tenant_id=caller.tenant_id,
        user_ids=user_ids,
        actor_id=caller.object_id,
        clock=now,
        strict=settings.strict_actions,
    )


@router.get("/riskyUsers")
def list_risky_users(
    request: Request, caller: Reader, root: Root, query: RiskyUsersList, db: Db
) -> Response:
    with db.unit_of_work() as store:
        page = service.list_risky_users(store, tenant_id=caller.tenant_id, page=query.page)
    values = [wire.risky_user(user, root) for user in page.items]
    return wire.collection(
        root,
        "riskyUsers",
        values,
        page=page,
        options=query.options,
        binding=query.binding,
        path=request.url.path,
    )


@router.get("/riskyUsers/$count")
def count_risky_users(caller: Reader, options: RiskyUsersCount, db: Db) -> Response:
    with db.unit_of_work() as store:
        total = service.count_risky_users(store, tenant_id=caller.tenant_id, filter=options.filter)
    return wire.count(total)


@router.get("/riskyUsers/{user_id}")
def get_risky_user(
    user_id: str, caller: Reader, root: Root, options: RiskyUserOptions, db: Db
) -> Response:
    if user_id in ACTIONS:
        raise MethodNotAllowed("POST")
    with db.unit_of_work() as store:
        user = service.get_risky_user(store, tenant_id=caller.tenant_id, user_id=user_id)
    fields = wire.risky_user(user, root)
    return wire.entity(root, "riskyUsers", fields, select=options.select)


@router.get("/riskyUsers/{user_id}/history")
def list_risky_user_history(
    request: Request, user_id: str, caller: Reader, root: Root, query: HistoryList, db: Db
) -> Response:
    with db.unit_of_work() as store:
        page = service.list_risky_user_history(
            store, tenant_id=caller.tenant_id, user_id=user_id, page=query.page
        )
    values = [wire.history_item(item, root) for item in page.items]
    return wire.collection(
        root,
        f"riskyUsers('{normalize_object_id(user_id)}')/history",
        values,
        page=page,
        options=query.options,
        binding=query.binding,
        path=request.url.path,
    )


@router.get("/riskyUsers/{user_id}/history/$count", include_in_schema=False)
def count_risky_user_history(user_id: str, caller: Reader) -> Response:
    raise BadRequest("The /$count segment is not supported on history.")


@router.get("/riskyUsers/{user_id}/history/{item_id}")
def get_risky_user_history_item(
    user_id: str, item_id: str, caller: Reader, root: Root, options: HistoryItemOptions, db: Db
) -> Response:
    with db.unit_of_work() as store:
        item = service.get_risky_user_history_item(
            store, tenant_id=caller.tenant_id, user_id=user_id, item_id=item_id
        )
    fragment = f"riskyUsers('{normalize_object_id(user_id)}')/history"
    return wire.entity(root, fragment, wire.history_item(item, root), select=options.select)
