"""The service's operational doors (not Graph): /healthz, /readyz, /metrics, and /_admin's
throttling and fault settings of a tenant (ops/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from idprotect.api.admin import ROOT, _tenant_id
from idprotect.api.pipeline import Call
from idprotect.api.routing import Caller, Operation, Runs
from idprotect.auth.permissions import ADMINISTER
from idprotect.domain.ports import RiskStore
from idprotect.errors import BadRequest, ServiceUnavailable
from idprotect.ops.config import FaultSpec, ThrottleSpec, fault_plan, validated
from idprotect.ops.metrics import CONTENT_TYPE
from idprotect.ops.wiring import Ops

THROTTLE, FAULTS = "throttle", "faults"


@dataclass(frozen=True, slots=True)
class Doors:
    """What the operations below need of the database, given by app.py."""

    readiness: Callable[[Any], str | None]  # the app's Database -> why it is not ready
    documents: Callable[[RiskStore, str], tuple[str | None, str | None]]
    set_document: Callable[[RiskStore, str, str, str | None], None]


def healthz(call: Call) -> Response:
    """The process is up and answers (no database work)."""
    return _json({"status": "ok"})


def _readyz(doors: Doors) -> Callable[[Call], Response]:
    def readyz(call: Call) -> Response:
        """The database answers, at the schema this version of idprotect needs."""
        problem = doors.readiness(call.services.database)
        if problem is not None:
            raise ServiceUnavailable(problem)
        return _json({"status": "ready"})

    return readyz


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(document), status_code=status, media_type="application/json")


def _prepared(model: type[ThrottleSpec] | type[FaultSpec]) -> Callable[[Call], tuple[str, Any]]:
    def prepare(call: Call) -> tuple[str, Any]:
        tenant_id = _tenant_id(call)
        try:
            return tenant_id, validated(model, call.body)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    return prepare


def _getting(ops: Ops, doors: Doors, field: str) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        assert isinstance(call.input, str)
        throttle, faults = doors.documents(call.store, call.input)
        if field == THROTTLE:
            shown = orjson.loads(throttle) if throttle else {"profile": "default"}
            return _json({**shown, "serverProfile": ops.guard.server_profile.name})
        return _json(orjson.loads(faults) if faults else {"rules": []})

    return answer


def _setting(ops: Ops, doors: Doors, field: str) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        prepared = call.input
        assert isinstance(prepared, tuple)
        tenant_id: str = prepared[0]
        spec: ThrottleSpec | FaultSpec = prepared[1]
        if isinstance(spec, FaultSpec) and spec.seed is None:
            spec = spec.model_copy(update={"seed": fault_plan(spec).seed})  # shown, to replay
        document = spec.model_dump_json(by_alias=True, exclude_none=True)
        default = isinstance(spec, ThrottleSpec) and spec.profile == "default"
        doors.set_document(call.store, tenant_id, field, None if default else document)
        call.after_commit(lambda: ops.guard.forget(tenant_id))
        if field == FAULTS:
            return _json(orjson.loads(document))
        return Response(status_code=204)

    return answer


def _clearing(ops: Ops, doors: Doors) -> Callable[[Call], Response]:
    def answer(call: Call) -> Response:
        assert isinstance(call.input, str)
        tenant_id = call.input
        doors.set_document(call.store, tenant_id, FAULTS, None)
        call.after_commit(lambda: ops.guard.forget(tenant_id))
        return Response(status_code=204)

    return answer


def _metrics(ops: Ops) -> Callable[[Call], Response]:
    def metrics(call: Call) -> Response:
        assert ops.metrics is not None
        return Response(ops.metrics.exposition(), media_type=CONTENT_TYPE)

    return metrics


def operations(ops: Ops, doors: Doors) -> list[Operation]:
    def admin(method: str, field: str, answer: Callable[[Call], Response], **kw: Any) -> Operation:
        runs = kw.pop("runs", Runs.WRITE)
        return Operation(method, f"{ROOT}/{field}", answer, runs, ADMINISTER, **kw)

    found = [
        Operation("GET", "/healthz", healthz, Runs.LOOP, caller=Caller.NONE, documented=False),
        Operation(
            "GET", "/readyz", _readyz(doors), Runs.THREAD, caller=Caller.NONE, documented=False
        ),
        admin("GET", THROTTLE, _getting(ops, doors, THROTTLE), runs=Runs.READ, prepare=_tenant_id),
        admin("PUT", THROTTLE, _setting(ops, doors, THROTTLE), prepare=_prepared(ThrottleSpec)),
        admin("GET", FAULTS, _getting(ops, doors, FAULTS), runs=Runs.READ, prepare=_tenant_id),
        admin("PUT", FAULTS, _setting(ops, doors, FAULTS), prepare=_prepared(FaultSpec)),
        admin("DELETE", FAULTS, _clearing(ops, doors), prepare=_tenant_id),
    ]
    if ops.metrics is not None:
        found.append(
            Operation(
                "GET", "/metrics", _metrics(ops), Runs.THREAD, caller=Caller.NONE, documented=False
            )
        )
    return found
