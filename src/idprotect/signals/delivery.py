"""Push delivery from the outbox: SETs to SSF push receivers (RFC 8935), notifications to Graph
webhook receivers. At least once, in outbox order per stream, one deliverer per stream at a time
(its lease); a receiver that fails is tried again after an exponential backoff with jitter.

Runs as a thread of the server process (`Deliverer.start`) or as `idprotect signals deliver`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from idprotect.domain.clock import utc_now
from idprotect.issuer.keys import SigningKey
from idprotect.issuer.service import signing_key
from idprotect.signals.outcomes import RETRYABLE, Outcome, Taken, backoff
from idprotect.signals.posting import Connections, Post
from idprotect.signals.sets import SET_MEDIA_TYPE
from idprotect.signals.settings import DeliverySettings
from idprotect.signals.signing import SetSigner, signing_threads
from idprotect.signals.streams import WEBHOOK, Stream
from idprotect.signals.upkeep import keep_up
from idprotect.store import outbox, streams
from idprotect.store.engine import Database
from idprotect.store.outbox import Pending

log = logging.getLogger("idprotect.signals")
_EXPIRY_CHECK_SECONDS = 5.0
# A lease this close to its end is claimed again (a write) rather than used as it is.
_LEASE_MARGIN = timedelta(seconds=2)
# How many rounds in a row a deliverer keeps a busy stream before letting others have a turn.
HOLD_ROUNDS = 50


class Deliverer:
    def __init__(
        self,
        database: Database,
        settings: DeliverySettings,
        *,
        post: Post | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._settings = settings
        self._connections = Connections(settings.timeout_seconds)
        self._send = post or self._connections.post
        self._signer = SetSigner(signing_threads(settings.sign_threads))
        self._now = now
        self._owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._draw = random.random
        self._next_expiry_check = 0.0
        self._held: str | None = None  # the stream kept from the last round
        self._leased: set[str] = set()  # streams whose lease this deliverer holds
        self._taken = Taken()
        self._rounds = 0
        self._timeout = timedelta(seconds=settings.timeout_seconds)
        # Records of busy streams are written on a thread of their own (`_record_soon`), so
        # that sending goes on while a record waits for the write lock: one at a time.
        self._recorder = ThreadPoolExecutor(1, thread_name_prefix="idprotect-record")
        self._recording: Future[None] | None = None
        self._recorded_up_to: int | None = None  # the last event handed to the recorder
        self._lease_until = datetime.min.replace(tzinfo=UTC)  # the held stream's, as written

    def deliver_once(self) -> int:
        """Deliver one batch of one stream; how many events left the outbox (0: none waited).

        A stream that had events is kept (its lease extended as its batch is settled) for the
        next rounds, up to HOLD_ROUNDS, so that a busy stream costs one write per batch."""
        stream_id = self._held or self._claim()
        if stream_id is None:
            return 0
        self._held, self._rounds = None, self._rounds + 1
        keep = self._rounds < HOLD_ROUNDS
        try:
            done = self._deliver(stream_id, keep=keep)
        except BaseException:
            # Not recorded: sent again later (the same SETs), as after a crash.
            self._taken, self._recorded_up_to = Taken(), None
            with contextlib.suppress(Exception):
                self._wait_for_record()
            self._release(stream_id)
            raise
        if done and keep:
            self._held = stream_id
        else:
            self._rounds = 0
            if self._recording is not None or self._taken.ids():
                # Nothing of this stream's is left in flight when another may be taken next:
                # the recorder's lease and the cursor past the taken events are this stream's.
                self._settle(stream_id, None, keep=True)
        return done

    def _claim(self) -> str | None:
        """A stream with events waiting: one whose lease this deliverer still holds is taken
        without a write (a deliverer keeps its leases when it runs dry)."""
        now = self._now()
        with self._database.unit_of_work() as store:
            found = outbox.next_stream(store.connection, owner=self._owner, now=now)
        if found is None:
            return None
        stream_id, owner, until = found
        if owner == self._owner and until is not None and until > now + _LEASE_MARGIN:
            self._lease_until = _aware(until)
            return stream_id
        lease = timedelta(seconds=self._settings.lease_seconds)
        with self._database.unit_of_work(write=True) as store:
            claimed = outbox.claim_stream(store.connection, owner=self._owner, now=now, lease=lease)
        if claimed is not None:
            self._leased.add(claimed)
            self._lease_until = now + lease
        return claimed

    def _release(self, stream_id: str) -> None:
        self._leased.discard(stream_id)
        with self._database.unit_of_work(write=True) as store:
            outbox.release(store.connection, stream_id, self._owner)

    def _deliver(self, stream_id: str, *, keep: bool) -> int:
        if self._lease_until - self._now() < _LEASE_MARGIN + self._timeout:
            self._settle(stream_id, None, keep=True)  # extended before any more is sent
        with self._database.unit_of_work() as store:
            stream = streams.get_stream(store.connection, None, stream_id)
            after = max(self._taken.last() or 0, self._recorded_up_to or 0) or None
            events = outbox.pending(store.connection, stream_id, self._settings.batch, after=after)
        if stream is None or not events:
            # Run dry: what was taken is recorded, and the lease kept until it runs out.
            if stream is None or self._taken.ids() or self._recording is not None:
                self._settle(stream_id, stream, keep=stream is not None)
            return 0
        if stream.delivery == WEBHOOK:
            outcome = self._notify(stream, events)
        else:
            outcome = self._push(stream, events, signing_key(self._database, self._now()))
        self._taken.add(outcome)
        if outcome.failure or not keep:
            self._settle(stream_id, stream, keep=keep and outcome.failure is None)
        elif self._taken.due(self._settings):
            self._record_soon(stream_id, stream)
        return len(outcome.delivered) + len(outcome.rejected)

    def _push(self, stream: Stream, events: list[Pending], key: SigningKey) -> Outcome:
        """One SET per request, in order; the first failure holds back the rest (RFC 8935)."""
        outcome = Outcome()
        delivery = stream.config["delivery"]
        headers = {"Content-Type": SET_MEDIA_TYPE, "Accept": "application/json"}
        if delivery.get("authorization_header"):
            headers["Authorization"] = str(delivery["authorization_header"])
        tokens = self._signer.tokens(events, key)
        with contextlib.closing(tokens):  # what was signed ahead in vain is dropped
            for event, token in zip(events, tokens, strict=True):
                if self._now() + self._timeout > self._lease_until:
                    break  # the stream's lease must outlast the last request
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
            status, text = self._send(url, body.encode(), headers)
        except (OSError, ValueError) as exc:  # ValueError: a URL stored before it was checked
            return f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            outcome.delivered.append(event.id)
            return None
        if status >= 500 or status in RETRYABLE:
            return f"HTTP {status}: {text[:500]}"
        # 400 and the like: the receiver refuses this event for good (its body says why).
        outcome.rejected.append((event.id, f"HTTP {status}: {text}"))
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

    def _record_soon(self, stream_id: str, stream: Stream) -> None:
        """Hand what a busy stream took to the recorder; while a record is still being written
        (waiting for the write lock), what is taken meanwhile waits for the next one."""
        if self._recording is not None:
            if not self._recording.done():
                return
            self._wait_for_record()  # raises what the last one met
        outcome, self._taken = self._taken.outcome, Taken()
        self._recorded_up_to = max([self._recorded_up_to or 0, *outcome.ids()]) or None
        self._recording = self._recorder.submit(self._record, stream_id, stream, outcome, True)

    def _wait_for_record(self) -> None:
        recording, self._recording = self._recording, None
        if recording is not None:
            recording.result()

    def _settle(self, stream_id: str, stream: Stream | None, *, keep: bool) -> None:
        """Record what was taken, now, after the record in progress (if any)."""
        self._wait_for_record()
        outcome, self._taken, self._recorded_up_to = self._taken.outcome, Taken(), None
        self._record(stream_id, stream, outcome, keep)
        if not keep:
            self._leased.discard(stream_id)

    def _record(self, stream_id: str, stream: Stream | None, outcome: Outcome, keep: bool) -> None:
        """Record what was taken in one transaction: events delivered and refused, the
        attempt, and the lease (extended while the stream is kept, else given back)."""
        with self._database.unit_of_work(write=True) as store:
            outbox.delivered(store.connection, outcome.delivered)
            for event_id, error in outcome.rejected:
                outbox.reject(store.connection, event_id, error)
            if stream is not None:
                self._record_attempt(store.connection, stream, outcome.failure)
            until = self._now() + timedelta(seconds=self._settings.lease_seconds)
            if keep:
                outbox.extend_lease(store.connection, stream_id, self._owner, until)
            else:
                outbox.release(store.connection, stream_id, self._owner)
        if keep:
            self._lease_until = until

    def _record_attempt(self, connection: Any, stream: Stream, failure: str | None) -> None:
        attempts = stream.attempts + 1 if failure else 0
        retry_at = None
        if failure:
            delay = backoff(attempts, self._settings, self._draw)
            retry_at = self._now() + timedelta(seconds=delay)
            log.warning("signals: stream %s: %s (retry in %.1fs)", stream.id, failure, delay)
        outbox.record_attempt(
            connection, stream.id, attempts=attempts, retry_at=retry_at, error=failure
        )

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
        """Upkeep (expired subscriptions, inactive streams: upkeep.py) every few seconds, not
        every idle round."""
        moment = time.monotonic()
        if moment >= self._next_expiry_check:
            self._next_expiry_check = moment + _EXPIRY_CHECK_SECONDS
            keep_up(self._database, self._send, self._now())

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="idprotect-signals", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """End `run` after its current round (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """End `run`, give back the stream kept, close the HTTP client."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.timeout_seconds + 1)
        with contextlib.suppress(Exception):  # a database gone: the leases run out
            if self._held is not None:
                self._settle(self._held, None, keep=False)
            for stream_id in list(self._leased):
                self._release(stream_id)
        self._held = None
        self._recorder.shutdown(wait=True)
        self._connections.close()
        self._signer.close()


def _aware(moment: datetime) -> datetime:
    """A lease end as read back (SQLite's datetimes come back naive, in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _graph_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def start_delivery(database: Database, settings: DeliverySettings) -> Deliverer:
    """The server process's deliverer, running on a thread of its own."""
    deliverer = Deliverer(database, settings)
    deliverer.start()
    return deliverer
