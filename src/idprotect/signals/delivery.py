"""Push delivery from the outbox: SETs to SSF push receivers (RFC 8935), notifications to Graph
webhook receivers. At least once, in outbox order per stream, one deliverer per stream at a time
(its lease); a receiver that fails is tried again after an exponential backoff with jitter.

Runs as a thread of the server process (`Deliverer.start`) or as `idprotect signals deliver`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import orjson

from idprotect.domain.clock import utc_now
from idprotect.issuer.keys import SigningKey
from idprotect.issuer.service import signing_key
from idprotect.signals.lifecycle import end_expired_subscriptions
from idprotect.signals.sets import SET_MEDIA_TYPE, sign_set
from idprotect.signals.settings import DeliverySettings
from idprotect.signals.streams import WEBHOOK, Stream
from idprotect.store import outbox, streams
from idprotect.store.engine import Database
from idprotect.store.outbox import Pending

log = logging.getLogger("idprotect.signals")
# Answers after which the same event is tried again later: the receiver may recover.
RETRYABLE = frozenset({401, 403, 404, 408, 409, 425, 429})
_EXPIRY_CHECK_SECONDS = 5.0


@dataclass(slots=True)
class Outcome:
    delivered: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    failure: str | None = None  # why the rest waits for a retry


def backoff(attempts: int, settings: DeliverySettings, draw: Callable[[], float]) -> float:
    """Seconds before retry number `attempts`: exponential, capped, half of it jittered."""
    ceiling = min(settings.max_backoff_seconds, settings.backoff_seconds * 2.0 ** (attempts - 1))
    return ceiling / 2 + ceiling / 2 * draw()


class Deliverer:
    def __init__(
        self,
        database: Database,
        settings: DeliverySettings,
        *,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._settings = settings
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._now = now
        self._owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._draw = random.random
        self._next_expiry_check = 0.0

    def deliver_once(self) -> int:
        """Deliver one batch of one stream; how many events left the outbox (0: none waited)."""
        lease = timedelta(seconds=self._settings.lease_seconds)
        with self._database.unit_of_work() as store:
            if not outbox.anything_to_deliver(store.connection, owner=self._owner, now=self._now()):
                return 0
        with self._database.unit_of_work(write=True) as store:
            stream_id = outbox.claim_stream(
                store.connection, owner=self._owner, now=self._now(), lease=lease
            )
        if stream_id is None:
            return 0
        try:
            return self._deliver(stream_id)
        finally:
            with self._database.unit_of_work(write=True) as store:
                outbox.release(store.connection, stream_id, self._owner)

    def _deliver(self, stream_id: str) -> int:
        with self._database.unit_of_work() as store:
            stream = streams.get_stream(store.connection, None, stream_id)
            events = outbox.pending(store.connection, stream_id, self._settings.batch)
        if stream is None or not events:
            return 0
        if stream.delivery == WEBHOOK:
            outcome = self._notify(stream, events)
        else:
            outcome = self._push(stream, events, signing_key(self._database, self._now()))
        self._settle(stream, outcome)
        return len(outcome.delivered) + len(outcome.rejected)

    def _push(self, stream: Stream, events: list[Pending], key: SigningKey) -> Outcome:
        """One SET per request, in order; the first failure holds back the rest (RFC 8935)."""
        outcome, started = Outcome(), self._now()
        delivery = stream.config["delivery"]
        headers = {"Content-Type": SET_MEDIA_TYPE, "Accept": "application/json"}
        if delivery.get("authorization_header"):
            headers["Authorization"] = str(delivery["authorization_header"])
        for event in events:
            if (self._now() - started).total_seconds() > self._settings.lease_seconds / 2:
                break
            token = sign_set(event.payload, key, event.created_at)
            failure = self._post(outcome, event, delivery["endpoint_url"], token, headers)
            if failure is not None:
                outcome.failure = failure
                break
        return outcome

    def _post(
        self, outcome: Outcome, event: Pending, url: str, body: str, headers: dict[str, str]
    ) -> str | None:
        """Send one event; None once it is settled (delivered or refused for good)."""
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            outcome.delivered.append(event.id)
            return None
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            return f"HTTP {response.status_code}: {response.text[:500]}"
        # 400 and the like: the receiver refuses this event for good (its body says why).
        outcome.rejected.append((event.id, f"HTTP {response.status_code}: {response.text[:2000]}"))
        return None

    def _notify(self, stream: Stream, events: list[Pending]) -> Outcome:
        """Graph's notification batch: `{"value": [...]}` in one request, 2xx taking all."""
        expires = _graph_date(stream.expires_at) if stream.expires_at else None
        value = [{**e.payload, "subscriptionExpirationDateTime": expires} for e in events]
        body = orjson.dumps({"value": value}).decode()
        headers = {"Content-Type": "application/json"}
        outcome = Outcome()
        url = stream.config["notificationUrl"]
        for event in events[:-1]:
            outcome.delivered.append(event.id)  # settled together with the last one
        failure = self._post(outcome, events[-1], url, body, headers)
        if failure is not None:
            return Outcome(failure=failure)
        if outcome.rejected:
            error = outcome.rejected[0][1]
            return Outcome(rejected=[(e.id, error) for e in events])
        return outcome

    def _settle(self, stream: Stream, outcome: Outcome) -> None:
        attempts = stream.attempts + 1 if outcome.failure else 0
        retry_at = None
        if outcome.failure:
            delay = backoff(attempts, self._settings, self._draw)
            retry_at = self._now() + timedelta(seconds=delay)
            log.warning(
                "signals: stream %s: %s (retry in %.1fs)", stream.id, outcome.failure, delay
            )
        with self._database.unit_of_work(write=True) as store:
            outbox.delivered(store.connection, outcome.delivered)
            for event_id, error in outcome.rejected:
                outbox.reject(store.connection, event_id, error)
            outbox.record_attempt(
                store.connection, stream.id, attempts=attempts, retry_at=retry_at,
                error=outcome.failure,
            )  # fmt: skip

    def run(self) -> None:
        """Deliver until stopped; between busy rounds no wait, when idle `idle_seconds`."""
        while not self._stop.is_set():
            try:
                busy = self.deliver_once()
                if not busy:
                    self._end_expired()
            except Exception:  # a database that went away: the next round tries again
                log.exception("signals: delivery round failed")
                busy = 0
            if not busy:
                self._stop.wait(self._settings.idle_seconds)

    def _end_expired(self) -> None:
        """Expired subscriptions are looked for every few seconds, not every idle round."""
        moment = time.monotonic()
        if moment >= self._next_expiry_check:
            self._next_expiry_check = moment + _EXPIRY_CHECK_SECONDS
            end_expired_subscriptions(self._database, self._client, self._now())

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="idprotect-signals", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """End `run` after its current round (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.timeout_seconds + 1)
        self._client.close()


def _graph_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def start_delivery(database: Database, settings: DeliverySettings) -> Deliverer:
    """The server process's deliverer, running on a thread of its own."""
    deliverer = Deliverer(database, settings)
    deliverer.start()
    return deliverer
