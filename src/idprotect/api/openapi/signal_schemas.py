"""SSF 1.0's objects in the document: the transmitter's configuration, a stream's configuration
and status, and what receivers send (streams, status, subjects, verification, polls), as
signals/streams.py and service.py check them; the receiver's error body (RFC 8935)."""

from __future__ import annotations

from idprotect.api.openapi.schemas import BOOLEAN, STRING, JsonSchema, nullable
from idprotect.api.ssf import LONG_POLL_SECONDS
from idprotect.signals.endpoints import MAX_HEADER_VALUE
from idprotect.signals.events import EVENTS_SUPPORTED
from idprotect.signals.service import MAX_EVENTS
from idprotect.signals.streams import (
    METHODS,
    MIN_VERIFICATION_INTERVAL,
    STATUSES,
    TRANSMITTER_SUPPLIED,
)
from idprotect.signals.subjects import FORMATS

STREAM_ID: JsonSchema = {"type": "string", "minLength": 1}
_STRINGS: JsonSchema = {"type": "array", "items": STRING}
_AUD: JsonSchema = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    ]
}
_SUBJECT_FIELDS = {"email": ("email",), "iss_sub": ("iss", "sub"), "opaque": ("id",)}


def _closed(required: list[str], properties: dict[str, JsonSchema]) -> JsonSchema:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _request(required: list[str], properties: dict[str, JsonSchema], text: str) -> JsonSchema:
    """A request body: other properties are ignored, as SSF 1.0 lets a transmitter do."""
    return {"type": "object", "required": required, "properties": properties, "description": text}


def _delivery() -> JsonSchema:
    return {
        "type": ["object", "null"],
        "properties": {
            "method": {"type": "string", "enum": list(METHODS)},
            "endpoint_url": {
                "type": "string",
                "description": "push: the receiver's http or https URL, to a host the server "
                "sends to; poll: the transmitter's (what is given is ignored).",
            },
            "authorization_header": {
                "type": "string",
                "maxLength": MAX_HEADER_VALUE,
                "pattern": "^[ -~]*$",
                "description": "push: the Authorization header sent with each SET.",
            },
        },
        "description": "Without it (or without a method), a poll stream (SSF 1.0 8.1.1.1).",
    }


def _stream_request(update: bool) -> JsonSchema:
    properties: dict[str, JsonSchema] = {
        "delivery": _delivery(),
        "events_requested": {**_STRINGS, "type": ["array", "null"]},
        "description": nullable(STRING),
        **{name: {"description": "Set by the transmitter: only its own value is accepted."}
           for name in TRANSMITTER_SUPPLIED},
        "aud": {**_AUD, "description": "At creation, the audience of the stream's SETs "
                "[default: `{issuer}/receivers/{stream_id}`]; after, only its own value."},
    }  # fmt: skip
    if update:
        properties = {"stream_id": STREAM_ID, **properties}
    return _request(["stream_id"] if update else [], properties, "A stream's configuration.")


def signal_schemas() -> dict[str, JsonSchema]:
    """SSF 1.0's objects, as the transmitter writes them and the receivers send them."""
    urls = dict.fromkeys(
        ("issuer", "jwks_uri", "configuration_endpoint", "status_endpoint",
         "add_subject_endpoint", "remove_subject_endpoint", "verification_endpoint"), STRING,
    )  # fmt: skip
    configuration = {
        "spec_version": {"const": "1_0"},
        **urls,
        "delivery_methods_supported": {"type": "array", "items": {"enum": list(METHODS)}},
        "authorization_schemes": {"type": "array", "items": _closed(["spec_urn"], {
            "spec_urn": STRING})},
        "default_subjects": {"const": "ALL"},
    }  # fmt: skip
    events = {"type": "array", "items": {"type": "string", "enum": list(EVENTS_SUPPORTED)}}
    stream = {
        "stream_id": STRING,
        "iss": STRING,
        "aud": _AUD,
        "delivery": {"type": "object", "required": ["method", "endpoint_url"],
                     "properties": _delivery()["properties"]},
        "events_requested": {**_STRINGS, "type": ["array", "null"]},
        "description": nullable(STRING),
        "events_supported": events,
        "events_delivered": events,
        "min_verification_interval": {"const": MIN_VERIFICATION_INTERVAL},
    }  # fmt: skip
    status = {"stream_id": STRING, "status": {"type": "string", "enum": list(STATUSES)},
              "reason": STRING}  # fmt: skip
    return {
        "ssf.transmitterConfiguration": _closed(list(configuration), configuration),
        "ssf.streamConfiguration": _closed(
            [
                "stream_id",
                "iss",
                "aud",
                "delivery",
                "events_supported",
                "events_delivered",
                "min_verification_interval",
            ],
            stream,
        ),
        "ssf.streamRequest": _stream_request(update=False),
        "ssf.streamUpdate": _stream_request(update=True),
        "ssf.streamStatus": _closed(["stream_id", "status"], status),
        "ssf.statusRequest": _request(
            ["stream_id", "status"],
            {
                "stream_id": STREAM_ID,
                "status": status["status"],
                "reason": nullable(STRING),
            },
            "enabled; paused: events are held; disabled: events are dropped.",
        ),
        "ssf.subjectRequest": _request(
            ["stream_id", "subject"],
            {
                "stream_id": STREAM_ID,
                "subject": _subject(),
            },
            "Streams carry every subject: removing one keeps its events off the stream.",
        ),
        "ssf.verificationRequest": _request(
            ["stream_id"],
            {
                "stream_id": STREAM_ID,
                "state": nullable({"type": "string", "maxLength": 1024}),
            },
            "A verification event for the stream, `state` echoed in it.",
        ),
        "ssf.pollRequest": _poll_request(),
        "ssf.pollResponse": _closed(
            ["sets", "moreAvailable"],
            {
                "sets": {
                    "type": "object",
                    "additionalProperties": STRING,
                    "description": "Each SET (a signed JWT) by its jti.",
                },
                "moreAvailable": BOOLEAN,
            },
        ),
        "ssf.setError": _closed(
            ["err", "description"],
            {
                "err": {
                    "type": "string",
                    "enum": [
                        "invalid_request",
                        "invalid_key",
                        "invalid_issuer",
                        "invalid_audience",
                        "authentication_failed",
                    ],
                },
                "description": STRING,
            },
        ),
    }


def _subject() -> JsonSchema:
    """A subject identifier (RFC 9493) in one of the formats streams match subjects by."""
    field = {"type": "string", "minLength": 1, "maxLength": 240}
    return {
        "oneOf": [
            {
                "type": "object",
                "required": ["format", *fields],
                "properties": {"format": {"const": fmt}, **dict.fromkeys(fields, field)},
            }
            for fmt, fields in _SUBJECT_FIELDS.items()
        ],
        "description": f"Formats: {', '.join(FORMATS)}.",
    }


def _poll_request() -> JsonSchema:
    refusal = _request(["err"], {"err": STRING, "description": STRING}, "Why it is refused.")
    return {
        "type": "object",
        "properties": {
            "ack": {**_STRINGS, "description": "The jtis of SETs taken: out of the queue."},
            "setErrs": {"type": "object", "additionalProperties": refusal,
                        "description": "SETs refused for good, by jti."},
            "maxEvents": {"type": "integer", "minimum": 0,
                          "description": f"At most this many SETs (at most {MAX_EVENTS})."},
            "returnImmediately": {**BOOLEAN, "description": "false (the default): an empty "
                                  f"poll waits up to {LONG_POLL_SECONDS:g} s for events."},
        },
        "description": "RFC 8936 2.4.",
    }  # fmt: skip
