"""A receiver of Security Event Tokens and Graph change notifications, written from RFC 8417,
RFC 8935, RFC 8936 and SSF 1.0 with joserfc (the server signs with PyJWT): every SET it takes
is checked for its signature (keys from the transmitter's jwks_uri), typ, iss, aud and events.

It serves real HTTP on 127.0.0.1 (a thread), as a receiver would, and can be told to fail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from joserfc import jws
from joserfc.jwk import KeySet

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
SSF = "https://schemas.openid.net/secevent/ssf/event-type/"
LEVELS = {"LOW", "MEDIUM", "HIGH"}
REFUSAL = b'{"err": "invalid_request", "description": "refused"}'


class Invalid(Exception):
    """A SET this receiver refuses (RFC 8935 2.3 `err`)."""

    def __init__(self, err: str, description: str) -> None:
        super().__init__(f"{err}: {description}")
        self.err = err


def validate_set(token: str, keys: dict[str, Any], *, iss: str, aud: str) -> dict[str, Any]:
    """The claims of a SET, once its JOSE header, signature and claims hold (RFC 8417 and
    SSF 1.0 4.1); Invalid otherwise."""
    try:
        verified = jws.deserialize_compact(token, KeySet.import_key_set(keys), algorithms=["RS256"])
    except Exception as exc:
        raise Invalid("authentication_failed", str(exc)) from None
    if verified.protected.get("typ") != "secevent+jwt":
        raise Invalid("invalid_request", "typ is not secevent+jwt")
    claims: dict[str, Any] = json.loads(verified.payload)
    if claims.get("iss") != iss:
        raise Invalid("invalid_issuer", f"iss {claims.get('iss')!r}")
    audience = claims.get("aud")
    if aud not in (audience if isinstance(audience, list) else [audience]):
        raise Invalid("invalid_audience", f"aud {audience!r}")
    _check_claims(claims)
    return claims


def _check_claims(claims: dict[str, Any]) -> None:
    if "sub" in claims or "exp" in claims:
        raise Invalid("invalid_request", "sub or exp present")
    if not isinstance(claims.get("iat"), int) or not isinstance(claims.get("jti"), str):
        raise Invalid("invalid_request", "iat or jti missing")
    if not isinstance(claims.get("sub_id"), dict) or "format" not in claims["sub_id"]:
        raise Invalid("invalid_request", "sub_id missing")
    events = claims.get("events")
    if not isinstance(events, dict) or len(events) != 1:
        raise Invalid("invalid_request", "events must hold one event")
    ((event_type, event),) = events.items()
    check_event(event_type, event)


def check_event(event_type: str, event: dict[str, Any]) -> None:
    """The event's own schema (CAEP 3.9 risk-level-change, RISC 2.7 credential-compromise)."""
    if event_type == CAEP + "risk-level-change":
        assert event["current_level"] in LEVELS
        assert event.get("previous_level", "LOW") in LEVELS
        assert isinstance(event["principal"], str)
        assert isinstance(event.get("event_timestamp", 0), int)
    elif event_type == RISC + "credential-compromise":
        assert isinstance(event["credential_type"], str)
    elif event_type == SSF + "verification":
        assert set(event) <= {"state"}
    elif event_type == SSF + "stream-updated":  # SSF 1.0 8.1.5
        assert event["status"] in {"enabled", "paused", "disabled"}
        assert set(event) <= {"status", "reason"}
        assert isinstance(event.get("reason", ""), str)
    elif event_type not in (RISC + "account-disabled", RISC + "account-enabled"):
        raise Invalid("invalid_request", f"unknown event type {event_type}")


@dataclass
class Receiver:
    """What arrived, and how the receiver answers now."""

    keys: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    iss: str = ""
    aud: str = ""
    status: int = 202  # what it answers: 202, or 503 while "down", or 400 to refuse
    sets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    lifecycle: list[dict[str, Any]] = field(default_factory=list)
    validations: list[str] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)
    url: str = ""
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def take(
        self, path: str, query: dict[str, list[str]], body: bytes, auth: str | None
    ) -> tuple[int, bytes, str]:
        if "validationToken" in query:  # Graph's handshake: echo the token, as text
            token = query["validationToken"][0]
            self.validations.append(token)
            return 200, token.encode(), "text/plain"
        if self.status != 202:
            return self.status, REFUSAL, "application/json"
        with self.arrived:
            self._record(path, body, auth)
            self.arrived.notify_all()
        return 202, b"", "text/plain"

    def _record(self, path: str, body: bytes, auth: str | None) -> None:
        self.authorization.append(auth)
        if path.endswith("/lifecycle"):
            self.lifecycle.extend(json.loads(body)["value"])
        elif path.endswith("/graph"):
            self.notifications.extend(json.loads(body)["value"])
        else:
            try:
                self.sets.append(validate_set(body.decode(), self.keys, iss=self.iss, aud=self.aud))
            except (Invalid, AssertionError, KeyError) as exc:
                self.errors.append(repr(exc))

    def wait_for(
        self, count: int, *, what: str = "sets", timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(getattr(self, what)) >= count, timeout=timeout)
        found: list[dict[str, Any]] = getattr(self, what)
        return found


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver on a free port of 127.0.0.1: `{url}/events` for SETs, `{url}/graph` for
    notifications, `{url}/lifecycle` for lifecycle notifications."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            url = urlparse(self.path)
            status, body, media = receiver.take(
                url.path,
                parse_qs(url.query),
                self.rfile.read(length),
                self.headers.get("Authorization"),
            )
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
