"""The `/_admin` extension API (not Graph): tenants' users, service principals and agents,
detections flowing in, fixtures, licences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from idprotect.api.kinds import AGENTS, SERVICE_PRINCIPALS, USERS, ApiKind
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Runs
from idprotect.auth.permissions import ADMINISTER
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.ids import normalize_object_id
from idprotect.domain.tenants import Licence
from idprotect.errors import BadRequest, Forbidden, NotFound
from idprotect.fixtures import (
    AgentDetectionFixture,
    AgentFixture,
    DetectionFixture,
    Fixtures,
    ServicePrincipalDetectionFixture,
    ServicePrincipalFixture,
    UserFixture,
    load_fixtures,
)
from idprotect.issuer.service import find_app, register_app

ROOT = "/_admin/tenants/{tenant_id}"
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
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


_BATCH = 10_000


class Batch(BaseModel, Generic[T]):
    value: list[T] = Field(min_length=1, max_length=_BATCH)


# Named: the OpenAPI document's schemas take these names.
class UserBatch(Batch[UserFixture]):
    pass


class DetectionBatch(Batch[DetectionFixture]):
    pass


class ServicePrincipalBatch(Batch[ServicePrincipalFixture]):
    pass


class ServicePrincipalDetectionBatch(Batch[ServicePrincipalDetectionFixture]):
    pass


class AgentBatch(Batch[AgentFixture]):
    pass


class AgentDetectionBatch(Batch[AgentDetectionFixture]):
    pass


@dataclass(frozen=True, slots=True)
class AdminKind:
    """What /_admin takes in of a principal kind: its collections and their bodies."""

    api: ApiKind
    principals: str  # the collection of its principals: users
    principal_batch: type[Batch[Any]]
    detection_batch: type[Batch[Any]]
    fixtures_field: str  # the Fixtures field of its principals
    detections_field: str


ADMIN_KINDS = (
    AdminKind(USERS, "users", UserBatch, DetectionBatch, "users", "risk_detections"),
    AdminKind(
        SERVICE_PRINCIPALS,
        "servicePrincipals",
        ServicePrincipalBatch,
        ServicePrincipalDetectionBatch,
        "service_principals",
        "service_principal_risk_detections",
    ),
    AdminKind(
        AGENTS,
        "agents",
        AgentBatch,
        AgentDetectionBatch,
        "agents",
        "agent_risk_detections",
    ),
)


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


def _adding_detections(admin: AdminKind) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        """Record detections (`{"value": [...]}`); answers them as Graph will show them."""
        tenant_id, batch = _input(call, admin.detection_batch)
        reports = [d.to_report() for d in batch.value]
        created = ingest_risk_detections(
            call.store,
            admin.api.kind,
            tenant_id=tenant_id,
            reports=reports,
            clock=call.services.clock,
        )
        fields = admin.api.detection_fields
        return _json({"value": [fields(d, call.root) for d in created]}, status=201)

    return answer


def _adding_principals(admin: AdminKind) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        """Create or update principals (`{"value": [...]}`), with optional risk states."""
        tenant_id, batch = _input(call, admin.principal_batch)
        fixtures = Fixtures.model_validate({admin.fixtures_field: batch.value})
        load_fixtures(call.store, tenant_id=tenant_id, fixtures=fixtures, clock=call.services.clock)
        return Response(status_code=204)

    return answer


def _deleting(admin: AdminKind) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        """Mark a principal deleted: still listed (isDeleted true), refused by actions."""
        tenant_id, principal_id = call.input, call.params["id"]
        assert isinstance(tenant_id, str)
        kind = admin.api.kind
        pid = normalize_object_id(principal_id)
        if pid not in call.store.lock_principals(kind, tenant_id, [pid]):
            raise NotFound(f"The {kind.plural[:-1]} '{principal_id}' was not found.")
        call.store.set_deleted(kind, tenant_id, [pid], True)
        return Response(status_code=204)

    return answer


def add_fixtures(call: Call) -> Response:
    """Load a fixtures document (the format of `idprotect seed --file`) into the tenant."""
    tenant_id, fixtures = _input(call, Fixtures)
    load_fixtures(call.store, tenant_id=tenant_id, fixtures=fixtures, clock=call.services.clock)
    return Response(status_code=204)


class TenantUpdate(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    licence: Licence | None = None
    workload_identities: bool | None = None


def update_tenant(call: Call) -> Response:
    """Create the tenant if needed and set what is given of its licences: Entra ID (P2, P1
    or Free) and Workload Identities Premium."""
    tenant_id, update = _input(call, TenantUpdate)
    call.store.set_tenant_licences(
        tenant_id, entra=update.licence, workload_identities=update.workload_identities
    )
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


def _kind_operations(admin: AdminKind) -> list[Operation]:
    detections = f"/{admin.api.detections_set}"
    return [
        _admin("POST", detections, _adding_detections(admin), prepare=_body(admin.detection_batch)),
        _admin(
            "POST",
            f"/{admin.principals}",
            _adding_principals(admin),
            prepare=_body(admin.principal_batch),
        ),
        _admin("DELETE", f"/{admin.principals}/{{id}}", _deleting(admin), prepare=_tenant_id),
    ]


OPERATIONS = (
    *(operation for admin in ADMIN_KINDS for operation in _kind_operations(admin)),
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
