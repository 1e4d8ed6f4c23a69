"""The pipeline's observer (api/pipeline.py, step 8): each answered request's metrics and its
log line. Labels are the operation as the table has it (`GET /v1.0/identityProtection/
riskyUsers/{id}`), never the path as sent, so their number stays that of the operations."""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Scope

from idprotect.ops.logs import REQUESTS, request_line
from idprotect.ops.metrics import Metrics
from idprotect.ops.throttle import operation_key

OTHER = "other"  # a path no operation has (the issuer, the documents, Graph's 400)


class Observer:
    def __init__(self, metrics: Metrics | None, *, log: bool) -> None:
        self._metrics = metrics
        self._log = log
        self._logger = logging.getLogger(REQUESTS)
        self._names: dict[int, str] = {}
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._database: dict[str, Any] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        state = scope.get("state", {})
        operation = state.get("operation")
        name = self._name(operation) if operation is not None else OTHER
        if self._metrics is not None:
            requests, latency = self._series(name, status)
            requests.inc()
            latency.observe(seconds)
            runs = state.get("database_seconds")
            if runs is not None:
                self._database_series(runs[0]).observe(runs[1])
        if self._log and self._logger.isEnabledFor(logging.INFO):
            request_line(_fields(state, name, status, seconds))

    def _name(self, operation: Any) -> str:
        name = self._names.get(id(operation))
        if name is None:
            name = self._names[id(operation)] = operation_key(operation.method, operation.path)
        return name

    def _database_series(self, runs: str) -> Any:
        found = self._database.get(runs)
        if found is None:
            assert self._metrics is not None
            found = self._database[runs] = self._metrics.database.labels(runs)
        return found

    def _series(self, name: str, status: int) -> tuple[Any, Any]:
        """The request counter and latency histogram of an operation and status, made once."""
        found = self._children.get((name, status))
        if found is None:
            assert self._metrics is not None
            found = (
                self._metrics.requests.labels(name, str(status)),
                self._metrics.latency.labels(name),
            )
            self._children[(name, status)] = found
        return found


def _fields(state: dict[str, Any], name: str, status: int, seconds: float) -> dict[str, Any]:
    """A request's log line: ids, tenant, caller, operation, status, duration; nothing the
    request carried (no header, no body, no query)."""
    caller = state.get("caller")
    fields: dict[str, Any] = {
        "requestId": state.get("request_id"),
        "clientRequestId": state.get("client_request_id"),
        "tenant": caller.tenant_id if caller is not None else None,
        "caller": (caller.object_id or caller.app_id) if caller is not None else None,
        "callerType": caller.kind.value if caller is not None else None,
        "operation": name,
        "status": status,
        "durationMs": round(seconds * 1000, 3),
    }
    if state.get("in_batch"):
        fields["inBatch"] = True
    if "fault" in state:
        fields["fault"] = state["fault"]
    return fields
