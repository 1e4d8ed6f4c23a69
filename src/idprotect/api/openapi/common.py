"""What every operation of the document shares: error answers, security, bodies, ids, and
the names made from a kind's entry."""

from __future__ import annotations

import re
from typing import Any

from idprotect.api.kinds import ApiKind
from idprotect.api.openapi.schemas import ODATA_ERROR, JsonSchema, ref
from idprotect.auth.permissions import ADMINISTER, Requirement

Operation = dict[str, Any]
Paths = dict[str, dict[str, Operation]]

_ERROR_TEXT = {
    "400": "A malformed request or query option (Graph's BadRequest and friends).",
    "401": "No token, or one that failed verification (InvalidAuthenticationToken).",
    "403": "The token lacks the permission, role or licence the operation needs.",
    "404": "No such item in the caller's tenant.",
    "408": "The request's head or body did not arrive in time; the connection is closed.",
    "413": "The body is over the size limit (docs/compatibility.md, Limits on requests).",
    "414": "The URL is over the length limit.",
    "429": "Too many requests: a verification asked again within the stream's minimum "
    "interval, or a throttle profile's limit (docs/operations.md).",
    "431": "The request line and headers are over the size limit.",
    "503": "The database is busy or unreachable; nothing changed, retrying is safe.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
ERROR_RESPONSES: dict[str, Any] = {
    f"error{status}": {
        "description": text,
        "content": {"application/json": {"schema": ref(ODATA_ERROR)}},
        **({"headers": _RETRY_AFTER} if status in ("429", "503") else {}),
    }
    for status, text in _ERROR_TEXT.items()
}
# What any request may meet before its operation runs (api/limits.py, serving.py).
_LIMITS = (408, 413, 414, 431)


def errors(*statuses: int) -> dict[str, Any]:
    """The Graph errors an operation may answer: 400, 401, 403, `statuses`, the request
    limits' and 503."""
    codes = (400, 401, 403, *statuses, *_LIMITS, 503)
    return {str(code): {"$ref": f"#/components/responses/error{code}"} for code in codes}


def public_errors(*statuses: int) -> dict[str, Any]:
    """The Graph errors an operation anybody may call (no token) may answer: `statuses` and
    the request limits'."""
    return {str(code): {"$ref": f"#/components/responses/error{code}"} for code in (
        *statuses, *_LIMITS)}  # fmt: skip


def security(requirement: Requirement | None) -> list[dict[str, list[str]]]:
    """A bearer token; OpenAPI 3.1 lets it list the roles it needs: the least permission.
    None: any verified caller."""
    return [{"bearer": sorted(requirement.permissions)[:1] if requirement else []}]


def any_permission(*permissions: str) -> list[dict[str, list[str]]]:
    """A bearer token holding any one of `permissions` (OpenAPI's alternatives)."""
    return [{"bearer": [permission]} for permission in permissions]


def operation_id(name: str, version: str) -> str:
    """`list_risky_users` on v1.0: list_risky_users_v1_0."""
    return f"{name}_{version.replace('.', '_')}"


def graph_operation(
    version: str,
    name: str,
    summary: str,
    requirement: Requirement | None,
    *,
    responses: dict[str, Any],
    extra: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> Operation:
    """A Graph operation of `version` (and `tags`): its answers, then the errors with `extra`
    ones."""
    return {
        "tags": [version, *tags],
        "operationId": operation_id(name, version),
        "summary": summary,
        "security": security(requirement),
        **fields,
        "responses": {**responses, **errors(*extra)},
    }


def admin_operation(
    name: str,
    summary: str,
    *,
    body: JsonSchema | None,
    responses: dict[str, Any],
    extra: tuple[int, ...] = (),
) -> Operation:
    """An /_admin operation (not Graph): IdentityProtection.Admin, its answers and errors."""
    operation: Operation = {
        "tags": ["admin"],
        "operationId": name,
        "summary": summary,
        "security": security(ADMINISTER),
        "responses": {**responses, **errors(*extra)},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, **json_body(body)}
    return operation


def json_body(schema: JsonSchema, media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}


def ok(description: str, schema: JsonSchema) -> dict[str, Any]:
    return {"200": {"description": description, **json_body(schema)}}


def path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def snake(name: str) -> str:
    """riskyServicePrincipals: risky_service_principals."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def singular(api: ApiKind) -> str:
    """One principal of the kind, in words: service principal."""
    return api.kind.plural[:-1]


def a(noun: str) -> str:
    """`noun` with its indefinite article: an agent, a user (its u sounds as in "you")."""
    return f"{'an' if noun[0] in 'aeio' else 'a'} {noun}"
