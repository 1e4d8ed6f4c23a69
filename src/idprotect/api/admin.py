"""The `/_admin` extension API (not Graph): tenants' users, detections flowing in, fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Runs
from idprotect.auth.permissions import ADMINISTER
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.tenants import Licence
from idprotect.errors import BadRequest, Forbidden, NotFound
from idprotect.fixtures import DetectionFixture, Fixtures, UserFixture, load_fixtures
from idprotect.issuer.service import find_app, register_app

ROOT = "/_admin/tenants/{tenant_id}"
M = TypeVar("M", bound=BaseModel)
_TENANT_ID_MAX = 64  # the length of the tenant_id columns


def _tenant_id(call: Call) -> str:
    """The tenant of the path, which the caller administers; else a Graph 400 or 403."""
    tenant_id = call.params["tenant_id"]
    if not 1 <= len(tenant_id) <= _TENANT_ID_MAX or "\x00" in tenant_id:
        raise BadRequest(
            f"The tenant id must have from 1 to {_TENANT_ID_MAX} characters and no NUL character."
        )
    if call.services.settings.auth == "on" and tenant_id != call.principal.tenant_id:
        raise Forbidden("The token's tenant does not administer this tenant.")
    return tenant_id


class DetectionBatch(BaseModel):
    value: list[DetectionFixture] = Field(min_length=1, max_length=10_000)


class UserBatch(BaseModel):
    value: list[UserFixture] = Field(min_length=1, max_length=10_000)


def _body(model: type[M]) -> Callable[[Call], tuple[str, M]]:
    """What an operation prepares: the tenant, then the JSON body validated against `model`;
    failures are a Graph 400."""

    def parse(call: Call) -> tuple[str, M]:
        tenant_id = _tenant_id(call)
        try:
            # Strict: a value of the wrong JSON type (a number for a date) is refused, never
            # converted; the published schema says exactly what is accepted.
            return tenant_id, model.model_validate_json(call.body, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "json_invalid":
                raise BadRequest("The request body is not valid JSON.") from None
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise BadRequest(f"Invalid request body at '{where}': {first['msg']}.") from None

    return parse


def _input(call: Call, model: type[M]) -> tuple[str, M]:
    """What `_body(model)` prepared."""
    prepared = call.input
    assert isinstance(prepared, tuple)
    tenant_id, body = prepared
    assert isinstance(tenant_id, str)
    assert isinstance(body, model)
    return tenant_id, body


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def add_risk_detections(call: Call) -> Response:
    """Record detections (`{"value": [...]}`); answers them as Graph will show them."""
    tenant_id, batch = _input(call, DetectionBatch)
    reports = [d.to_report() for d in batch.value]
    created = ingest_risk_detections(
        call.store, tenant_id=tenant_id, reports=reports, clock=call.services.clock
    )
    return _json({"value": [wire.risk_detection(d, call.root) for d in created]}, status=201)


def add_users(call: Call) -> Response:
    """Create or update directory users (`{"value": [...]}`), with optional risk states."""
    tenant_id, batch = _input(call, UserBatch)
    fixtures = Fixtures(users=batch.value)
    load_fixtures(call.store, tenant_id=tenant_id, fixtures=fixtures, clock=call.services.clock)
    return Response(status_code=204)


def delete_user(call: Call) -> Response:
    """Mark a directory user deleted: still listed (isDeleted true), refused by actions."""
    tenant_id, user_id = call.input, call.params["user_id"]
    assert isinstance(tenant_id, str)
    uid = normalize_object_id(user_id)
    if uid not in call.store.lock_users(tenant_id, [uid]):
        raise NotFound(f"The user '{user_id}' was not found.")
    call.store.set_users_deleted(tenant_id, [uid], True)
    return Response(status_code=204)


def add_fixtures(call: Call) -> Response:
    """Load a fixtures document (the format of `idprotect seed --file`) into the tenant."""
    tenant_id, fixtures = _input(call, Fixtures)
    load_fixtures(call.store, tenant_id=tenant_id, fixtures=fixtures, clock=call.services.clock)
    return Response(status_code=204)


class TenantUpdate(BaseModel):
    licence: Licence


def update_tenant(call: Call) -> Response:
    """Create the tenant if needed and set its licence (P2, P1 or Free)."""
    tenant_id, update = _input(call, TenantUpdate)
    call.store.set_tenant_licence(tenant_id, update.licence)
    return Response(status_code=204)


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    display_name: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(default_factory=list, max_length=50)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)
    client_secret: str | None = Field(default=None, min_length=16, max_length=256)


def add_application(call: Call) -> Response:
    """Register an app for the client-credentials grant; answers its secret, once."""
    tenant_id, request = _input(call, ApplicationRequest)
    database = call.services.database
    if request.client_id and find_app(database, tenant_id, request.client_id):
        raise BadRequest(f"An application with clientId '{request.client_id}' already exists.")
    app, secret = register_app(
        database,
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


def _admin(
    method: str,
    path: str,
    answer: Callable[[Call], Response],
    *,
    runs: Runs = Runs.WRITE,
    prepare: Callable[[Call], object],
) -> Operation:
    return Operation(method, ROOT + path, answer, runs, ADMINISTER, prepare=prepare)


OPERATIONS = (
    _admin("POST", "/riskDetections", add_risk_detections, prepare=_body(DetectionBatch)),
    _admin("POST", "/users", add_users, prepare=_body(UserBatch)),
    _admin("DELETE", "/users/{user_id}", delete_user, prepare=_tenant_id),
    _admin("POST", "/fixtures", add_fixtures, prepare=_body(Fixtures)),
    _admin("PUT", "", update_tenant, prepare=_body(TenantUpdate)),
    _admin(
        "POST",
        "/applications",
        add_application,
        runs=Runs.THREAD,
        prepare=_body(ApplicationRequest),
    ),
)
