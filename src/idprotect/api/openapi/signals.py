"""The Shared Signals endpoints in the document (not Graph): the transmitter's configuration,
its stream management API and poll delivery (api/ssf.py), and the receiver's push endpoint
(api/ssf_receiver.py); their bodies are in signal_schemas.py.

The stream API needs `IdentityProtection.Signals` or `IdentityProtection.Admin`; the
configuration of a tenant's transmitter and the receiver are public (a SET is its own
credential). Errors of the stream API take Graph's shape; the receiver's, RFC 8935's."""

from __future__ import annotations

from typing import Any

from idprotect.api.openapi.common import (
    Operation,
    Paths,
    any_permission,
    errors,
    json_body,
    ok,
    path_id,
    public_errors,
    security,
)
from idprotect.api.openapi.schemas import ref
from idprotect.api.openapi.signal_schemas import STREAM_ID
from idprotect.auth.permissions import MANAGE_SIGNALS
from idprotect.signals.sets import SET_MEDIA_TYPE
from idprotect.signals.streams import MIN_VERIFICATION_INTERVAL

_TAG = "signals"
_ROOT = "/ssf/{tenantId}"
_TENANT = path_id("tenantId", "The tenant: its transmitter's issuer is `{base}/ssf/{tenantId}`.")


def _operation(name: str, summary: str, *, answer: dict[str, Any], **fields: Any) -> Operation:
    """A stream API operation: IdentityProtection.Signals or .Admin, Graph's errors."""
    extra: tuple[int, ...] = fields.pop("extra", ())
    parameters = [_TENANT, *fields.pop("parameters", ())]
    return {
        "tags": [_TAG],
        "operationId": name,
        "summary": summary,
        "security": any_permission(*sorted(MANAGE_SIGNALS.permissions, reverse=True)),
        "parameters": parameters,
        **fields,
        "responses": {**answer, **errors(*extra)},
    }


def _body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, **json_body(ref(name))}}


def _query_stream_id(required: bool) -> dict[str, Any]:
    return {"name": "stream_id", "in": "query", "required": required, "schema": STREAM_ID,
            "description": "The stream's id."}  # fmt: skip


_NO_STORE = {"Cache-Control": {"schema": {"const": "no-store"}}}


def signal_paths() -> Paths:
    stream, status = ref("ssf.streamConfiguration"), ref("ssf.streamStatus")
    either = {"oneOf": [stream, {"type": "array", "items": stream}]}
    done = {"204": {"description": "Done.", "headers": _NO_STORE}}
    return {
        "/.well-known/ssf-configuration": {"get": _configuration(public=False)},
        "/.well-known/ssf-configuration/ssf/{tenantId}": {"get": _configuration(public=True)},
        f"{_ROOT}/streams": {
            "post": _operation("create_stream", "Create a stream", **_body("ssf.streamRequest"),
                answer={"201": {"description": "The stream.", **json_body(stream)}}),
            "get": _operation("read_streams", "Read one stream, or all the tenant's",
                parameters=[_query_stream_id(False)], extra=(404,),
                answer=ok("With stream_id, the stream; without, every stream (a list).",
                          either)),
            "patch": _operation("update_stream", "Update a stream (the properties given)",
                **_body("ssf.streamUpdate"), extra=(404,), answer=ok("The stream.", stream)),
            "put": _operation("replace_stream", "Replace a stream's configuration",
                **_body("ssf.streamUpdate"), extra=(404,), answer=ok("The stream.", stream)),
            "delete": _operation("delete_stream", "Delete a stream",
                parameters=[_query_stream_id(True)], extra=(404,), answer=done),
        },
        f"{_ROOT}/status": {
            "get": _operation("read_status", "A stream's status",
                parameters=[_query_stream_id(True)], extra=(404,), answer=ok("Its status.",
                status)),
            "post": _operation("update_status", "Enable, pause or disable a stream",
                **_body("ssf.statusRequest"), extra=(404,), answer=ok("Its status.", status)),
        },
        f"{_ROOT}/subjects:add": {"post": _subjects("add_subject", "Add a subject back")},
        f"{_ROOT}/subjects:remove": {"post": _subjects("remove_subject",
            "Keep a subject's events off a stream")},
        f"{_ROOT}/verify": {"post": _operation("request_verification",
            "Request a verification event", **_body("ssf.verificationRequest"),
            description=f"At most once every {MIN_VERIFICATION_INTERVAL} seconds a stream "
            "(429 TooManyRequests otherwise).", extra=(404, 429), answer=done)},
        f"{_ROOT}/poll/{{stream_id}}": {"post": _operation("poll_events",
            "Poll a stream's SETs (RFC 8936)", **_body("ssf.pollRequest"),
            parameters=[path_id("stream_id", "The poll stream's id.")], extra=(404,),
            answer=ok("The SETs handed out.", ref("ssf.pollResponse")))},
        f"{_ROOT}/receiver": {"post": _receiver()},
    }  # fmt: skip


def _subjects(name: str, summary: str) -> Operation:
    answer = {"200": {"description": "Done (no body).", "headers": _NO_STORE}}
    return _operation(name, summary, **_body("ssf.subjectRequest"), extra=(404,), answer=answer)


def _configuration(public: bool) -> Operation:
    answer = ok("The transmitter's metadata (SSF 1.0 7.1).", ref("ssf.transmitterConfiguration"))
    if public:
        return {
            "tags": [_TAG],
            "operationId": "tenant_ssf_configuration",
            "summary": "A tenant's transmitter configuration (public)",
            "security": [],
            "parameters": [_TENANT],
            "responses": {**answer, **public_errors(400)},
        }
    return {
        "tags": [_TAG],
        "operationId": "ssf_configuration",
        "summary": "The caller's tenant's transmitter configuration",
        "description": "Any verified caller (under `--auth off`, the demo tenant's).",
        "security": security(None),
        "responses": {**answer, **errors()},
    }


def _receiver() -> Operation:
    """Called by the transmitters a tenant trusts (`serve --ssf-transmitter`), not by clients
    of the API: documented so that a transmitter's operator finds its contract."""
    refused = {"description": "The SET is refused (RFC 8935 2.3).", **json_body(
        ref("ssf.setError"))}  # fmt: skip
    return {
        "tags": [_TAG],
        "operationId": "receive_set",
        "summary": "Push a SET to a tenant's receiver (RFC 8935)",
        "description": "A SET from a transmitter the tenant trusts (`serve --ssf-transmitter`) "
        "becomes detections; the SET is its own credential.",
        "security": [],
        "parameters": [_TENANT],
        "requestBody": {"required": True, **json_body(
            {"type": "string", "description": "The SET: a signed JWT."}, SET_MEDIA_TYPE)},
        "responses": {"202": {"description": "Taken in (a replay is taken and ignored)."},
                      "400": refused, **public_errors(503)},
    }  # fmt: skip
