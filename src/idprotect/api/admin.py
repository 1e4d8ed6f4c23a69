"""The `/_admin` extension API (not Graph): tenants' users, detections flowing in, fixtures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from idprotect.api import wire
from idprotect.api.deps import AppSettings, Db, Now, Root, require
from idprotect.auth.permissions import ADMINISTER
from idprotect.auth.principal import Principal
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.tenants import Licence
from idprotect.errors import BadRequest, Forbidden, NotFound
from idprotect.fixtures import DetectionFixture, Fixtures, UserFixture, load_fixtures
from idprotect.issuer.service import find_app, register_app

router = APIRouter(prefix="/_admin/tenants/{tenant_id}")

Admin = Annotated[Principal, Depends(require(ADMINISTER))]
M = TypeVar("M", bound=BaseModel)
_TENANT_ID_MAX = 64  # the length of the tenant_id columns


def _tenant_id(tenant_id: str, caller: Admin, settings: AppSettings) -> str:
    """The tenant of the path, which the caller administers; else a Graph 400 or 403."""
    if not 1 <= len(tenant_id) <= _TENANT_ID_MAX or "\x00" in tenant_id:
        raise BadRequest(
            f"The tenant id must have from 1 to {_TENANT_ID_MAX} characters and no NUL character."
        )
    if settings.auth == "on" and tenant_id != caller.tenant_id:
        raise Forbidden("The token's tenant does not administer this tenant.")
    return tenant_id


TenantId = Annotated[str, Depends(_tenant_id)]


class DetectionBatch(BaseModel):
    value: list[DetectionFixture] = Field(min_length=1, max_length=10_000)


class UserBatch(BaseModel):
    value: list[UserFixture] = Field(min_length=1, max_length=10_000)


def _body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency: the JSON body validated against `model`; failures are a Graph 400."""

    async def parse(request: Request) -> M:
        try:
            # Strict: a value of the wrong JSON type (a number for a date) is refused, never
            # converted; the published schema says exactly what is accepted.
            return model.model_validate_json(await request.body(), strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "json_invalid":
                raise BadRequest("The request body is not valid JSON.") from None
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise BadRequest(f"Invalid request body at '{where}': {first['msg']}.") from None

    return parse


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


@router.post("/riskDetections", status_code=201)
def add_risk_detections(
    tenant_id: TenantId,
    batch: Annotated[DetectionBatch, Depends(_body(DetectionBatch))],
    db: Db,
    now: Now,
    root: Root,
) -> Response:
    """Record detections (`{"value": [...]}`); answers them as Graph will show them."""
    reports = [d.to_report() for d in batch.value]
    with db.unit_of_work(write=True) as store:
        created = ingest_risk_detections(store, tenant_id=tenant_id, reports=reports, clock=now)
    return _json({"value": [wire.risk_detection(d, root) for d in created]}, status=201)


@router.post("/users", status_code=204)
def add_users(
    tenant_id: TenantId,
    batch: Annotated[UserBatch, Depends(_body(UserBatch))],
    db: Db,
    now: Now,
) -> Response:
    """Create or update directory users (`{"value": [...]}`), with optional risk states."""
    with db.unit_of_work(write=True) as store:
        load_fixtures(store, tenant_id=tenant_id, fixtures=Fixtures(users=batch.value), clock=now)
    return Response(status_code=204)


@router.delete("/users/{user_id}", status_code=204)
def delete_user(tenant_id: TenantId, user_id: str, db: Db) -> Response:
    """Mark a directory user deleted: still listed (isDeleted true), refused by actions."""
    uid = normalize_object_id(user_id)
    with db.unit_of_work(write=True) as store:
        if uid not in store.lock_users(tenant_id, [uid]):
            raise NotFound(f"The user '{user_id}' was not found.")
        store.set_users_deleted(tenant_id, [uid], True)
    return Response(status_code=204)


@router.post("/fixtures", status_code=204)
def add_fixtures(
    tenant_id: TenantId,
    fixtures: Annotated[Fixtures, Depends(_body(Fixtures))],
    db: Db,
    now: Now,
) -> Response:
    """Load a fixtures document (the format of `idprotect seed --file`) into the tenant."""
    with db.unit_of_work(write=True) as store:
        load_fixtures(store, tenant_id=tenant_id, fixtures=fixtures, clock=now)
    return Response(status_code=204)


class TenantUpdate(BaseModel):
    licence: Licence


@router.put("", status_code=204)
def update_tenant(
    tenant_id: TenantId,
    update: Annotated[TenantUpdate, Depends(_body(TenantUpdate))],
    db: Db,
) -> Response:
    """Create the tenant if needed and set its licence (P2, P1 or Free)."""
    with db.unit_of_work(write=True) as store:
        store.set_tenant_licence(tenant_id, update.licence)
    return Response(status_code=204)


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    display_name: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(default_factory=list, max_length=50)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)
    client_secret: str | None = Field(default=None, min_length=16, max_length=256)


@router.post("/applications", status_code=201)
def add_application(
    tenant_id: TenantId,
    request: Annotated[ApplicationRequest, Depends(_body(ApplicationRequest))],
    db: Db,
) -> Response:
    """Register an app for the client-credentials grant; answers its secret, once."""
    if request.client_id and find_app(db, tenant_id, request.client_id):
        raise BadRequest(f"An application with clientId '{request.client_id}' already exists.")
    app, secret = register_app(
        db,
        tenant_id=tenant_id,
        display_name=request.display_name,
        roles=frozenset(request.roles),
        client_id=request.client_id,
        client_secret=request.client_secret,
    )
    return _json(
        {
            "clientId": app.client_id,
            "clientSecret": secret,
            "objectId": app.object_id,
            "displayName": app.display_name,
            "roles": sorted(app.app_roles),
        },
        status=201,
    )
