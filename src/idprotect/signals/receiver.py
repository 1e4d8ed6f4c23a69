"""The receiver: SETs from the transmitters a tenant trusts (pushed to it, RFC 8935, or polled
from them, RFC 8936), verified with the transmitter's keys through the same key sources as
tokens (its ssf-configuration names its issuer and jwks_uri; an unknown kid reloads them), a
replayed jti ignored, and what they say taken in as detections (signals/incoming.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from idprotect.auth.keysets import FetchJson, KeySource, discovery_source
from idprotect.domain.clock import Clock, utc_now
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.kinds import USER
from idprotect.domain.ports import RiskStore
from idprotect.signals.incoming import finding_of, report_of, subject_of_set, user_id_for_email
from idprotect.signals.sets import SetRejected, verify_set
from idprotect.signals.settings import Transmitter, parse_transmitter
from idprotect.store import received
from idprotect.store.engine import Database

log = logging.getLogger("idprotect.signals")


class Receivers:
    """Each tenant's trusted transmitters, with their key sources (kept, refreshed on rotation)."""

    def __init__(self, entries: Sequence[str], fetch: FetchJson, *, refresh_seconds: float) -> None:
        self.transmitters = [parse_transmitter(e) for e in entries]
        self._sources = {
            t.config_url: discovery_source(t.config_url, fetch, min_refresh_seconds=refresh_seconds)
            for t in self.transmitters
        }

    def of(self, tenant_id: str) -> list[Transmitter]:
        return [t for t in self.transmitters if t.tenant_id == tenant_id]

    def verify(self, tenant_id: str, token: str) -> dict[str, Any]:
        """The SET's claims, once one of the tenant's transmitters signed it for the tenant."""
        refusal: SetRejected | None = None
        for transmitter in self.of(tenant_id):
            source: KeySource = self._sources[transmitter.config_url]
            try:
                return verify_set(token, source, (transmitter.audience,))
            except SetRejected as exc:
                refusal = refusal or exc
        raise refusal or SetRejected("invalid_issuer", "This tenant trusts no transmitter.")


def take_set(
    store: RiskStore, tenant_id: str, claims: dict[str, Any], *, clock: Clock, now: datetime
) -> int:
    """Take a verified SET in: the detections its events make (how many); a replay makes none."""
    connection = store.connection  # type: ignore[attr-defined]
    issuer, jti = str(claims["iss"]), str(claims["jti"])
    if not received.first_receipt(connection, tenant_id, issuer, jti, now):
        return 0
    findings = [f for t, e in claims["events"].items() if (f := finding_of(t, e)) is not None]
    subject = subject_of_set(claims)
    if not findings or subject is None:
        return 0
    form, value = subject
    email = value if form == "email" else None
    user_id = value if email is None else (
        received.user_id_by_email(connection, tenant_id, email) or user_id_for_email(issuer, email)
    )  # fmt: skip
    reports = [report_of(claims, f, user_id, email) for f in findings]
    ingest_risk_detections(store, USER, tenant_id=tenant_id, reports=reports, clock=clock)
    return len(reports)


def poll_transmitter(
    database: Database, receivers: Receivers, transmitter: Transmitter, http: httpx.Client,
    *, clock: Clock, max_events: int = 100,
) -> int:  # fmt: skip
    """Poll a remote stream (RFC 8936) until it has nothing more: every SET verified and taken
    in, then acknowledged (or reported in setErrs) with the next request. How many SETs."""
    assert transmitter.poll_url is not None
    headers = {"Authorization": transmitter.authorization} if transmitter.authorization else {}
    request: dict[str, Any] = {"maxEvents": max_events, "returnImmediately": True}
    taken = 0
    while True:
        answer = http.post(transmitter.poll_url, json=request, headers=headers)
        answer.raise_for_status()
        body = answer.json()
        sets: dict[str, str] = body.get("sets") or {}
        acks, errors = _take_all(database, receivers, transmitter.tenant_id, sets, clock)
        taken += len(acks)
        request = {"maxEvents": max_events, "returnImmediately": True, "ack": acks}
        if errors:
            request["setErrs"] = errors
        if not body.get("moreAvailable") and not sets:
            return taken
        if not body.get("moreAvailable"):
            request["maxEvents"] = 0  # only the acknowledgements, then done
            http.post(transmitter.poll_url, json=request, headers=headers).raise_for_status()
            return taken


def _take_all(
    database: Database, receivers: Receivers, tenant_id: str, sets: dict[str, str], clock: Clock
) -> tuple[list[str], dict[str, dict[str, str]]]:
    acks: list[str] = []
    errors: dict[str, dict[str, str]] = {}
    for jti, token in sets.items():
        try:
            claims = receivers.verify(tenant_id, token)
        except SetRejected as exc:
            errors[jti] = exc.body()
            continue
        with database.unit_of_work(write=True) as store:
            take_set(store, tenant_id, claims, clock=clock, now=utc_now())
        acks.append(jti)
    return acks, errors


class Poller:
    """Polls the tenants' remote poll streams every `interval` seconds, on a thread."""

    def __init__(
        self, database: Database, receivers: Receivers, *, clock: Clock, interval: float
    ) -> None:
        self._database, self._receivers, self._clock = database, receivers, clock
        self._interval = interval
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=30)
        self._thread = threading.Thread(target=self._run, name="idprotect-ssf-poll", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for transmitter in self._receivers.transmitters:
                if transmitter.poll_url is None:
                    continue
                try:
                    poll_transmitter(
                        self._database, self._receivers, transmitter, self._http, clock=self._clock
                    )
                except Exception:  # the transmitter is down: the next round tries again
                    log.exception("signals: polling %s failed", transmitter.poll_url)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 1)
        self._http.close()
