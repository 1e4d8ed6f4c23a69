"""Signals benchmark: SETs delivered per second (push to a local receiver, poll), the latency
from a change's commit to its receipt at 1,000 risk changes per second, and what a stream costs
the actions, in process and as `idprotect serve` serves them.

    .venv/bin/python -m bench.bench_signals [--db URL] [--events 5000] [--seconds 10]
        [--rate 1000] [--served-users 40000]

In process: the risk changes go through the domain services in units of work (as the API's
answers call them); the deliverer is the server's (signals/delivery.py), as a thread or as the
process `serve` starts; the receiver is an asyncio server on 127.0.0.1 that reads each SET's
subject without verifying it. The served run starts `idprotect serve` itself. Prints figures
(docs/performance.md, "Signals").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httptools
import httpx

from bench import harness
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.domain.clock import utc_now
from idprotect.domain.detections import ingest_risk_detections
from idprotect.domain.enums import RiskLevel
from idprotect.domain.kinds import USER
from idprotect.domain.models import DetectionReport, User
from idprotect.domain.principals import ActionRequest, apply_action
from idprotect.issuer.service import signing_key
from idprotect.signals import service
from idprotect.signals.delivery import Deliverer
from idprotect.signals.process import DeliveryProcess
from idprotect.signals.settings import DeliverySettings
from idprotect.signals.signing import SetSigner, signing_threads
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database

TENANT = DEMO_TENANT_ID
SETTINGS = DeliverySettings(idle_seconds=0.01, batch=200)
PUSH = "urn:ietf:rfc:8935"
BATCH = 50  # users per dismissal in the latency run
_counter = iter(range(10**9))


class Receipts:
    """What a receiver process took: each subject's first receipt (time.time()), and a count."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> tuple[dict[str, float], int]:
        at: dict[str, float] = {}
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        for line in lines:
            email, moment = line.rsplit(" ", 1)
            at.setdefault(email, float(moment))
        return at, len(lines)

    @property
    def count(self) -> int:
        return self.read()[1]


def serve_receiver(out: str) -> None:
    """The receiver process: 202 to every SET, the subject and the time of receipt noted."""
    with Path(out).open("a", buffering=1) as sink:
        _serve(sink)


def _serve(sink: Any) -> None:
    """An asyncio server with httptools' parser: a receiver that costs this machine (whose
    cores the transmitter shares) little per SET, as a receiver elsewhere would cost nothing."""

    class Receiving(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport, self.body = transport, bytearray()
            self.parser = httptools.HttpRequestParser(self)

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_body(self, chunk: bytes) -> None:
            self.body += chunk

        def on_message_complete(self) -> None:
            payload = bytes(self.body).split(b".")[1]
            self.body = bytearray()
            claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            sink.write(f"{claims['sub_id'].get('email', '-')} {time.time()}\n")
            self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Receiving, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(serve())


@contextmanager
def receiver(receipts: Receipts) -> Iterator[str]:
    command = [sys.executable, "-m", "bench.bench_signals", "--receive", str(receipts.path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}/events"
    finally:
        process.kill()
        process.wait()


def add_stream(database: Database, body: dict[str, Any]) -> str:
    with database.unit_of_work(write=True) as store:
        stream = service.create_stream(
            store.connection, _call(), iss="https://idprotect.example/ssf/bench",
            body=body, poll_url="https://idprotect.example/poll/{stream_id}",
        )  # fmt: skip
    return stream.id


def raise_users(database: Database, count: int) -> list[str]:
    """`count` new users made risky in one transaction: `count` risk changes; their emails."""
    emails = [f"u{next(_counter)}@bench.example" for _ in range(count)]
    reports = [
        DetectionReport(principal=User(id=e, user_principal_name=e),
                        risk_event_type="unfamiliarFeatures", risk_level=RiskLevel.MEDIUM)
        for e in emails
    ]  # fmt: skip
    with database.unit_of_work(write=True) as store:
        ingest_risk_detections(store, USER, tenant_id=TENANT, reports=reports, clock=utc_now)
    return emails


def drain(deliverer: Deliverer, database: Database, stream_id: str) -> int:
    total = 0
    while (done := deliverer.deliver_once()) or _pending(database, stream_id):
        total += done
    return total


def _pending(database: Database, stream_id: str) -> bool:
    from idprotect.store import outbox

    with database.unit_of_work() as store:
        return outbox.has_pending(store.connection, stream_id)


def push_rate(database: Database, events: int, work: Path) -> float:
    receipts = Receipts(work / "push.txt")
    with receiver(receipts) as url:
        stream_id = add_stream(database, {"delivery": {"method": PUSH, "endpoint_url": url}})
        for _ in range(events // 500):
            raise_users(database, 500)
        deliverer = Deliverer(database, SETTINGS)
        started = time.perf_counter()
        delivered = drain(deliverer, database, stream_id)
        elapsed = time.perf_counter() - started
        deliverer.stop()
    _remove(database, stream_id)
    return delivered / elapsed


def poll_rate(database: Database, events: int) -> float:
    stream_id = add_stream(database, {})
    for _ in range(events // 500):
        raise_users(database, 500)
    key = signing_key(database, utc_now())
    signer = SetSigner(signing_threads(0))  # as the server's (api/deps.py)
    taken, acks, started = 0, [], time.perf_counter()
    while True:
        with database.unit_of_work(write=True) as store:
            polled = service.poll_events(
                store.connection, _call(), stream_id=stream_id,
                request={"maxEvents": 1000, "ack": acks},
            )  # fmt: skip
        signer.sign_all(polled.events, key)  # what the poll's answer carries
        acks = [event.jti for event in polled.events]
        taken += len(acks)
        if not acks:
            break
    elapsed = time.perf_counter() - started
    signer.close()
    _remove(database, stream_id)
    return taken / elapsed


def _remove(database: Database, stream_id: str) -> None:
    with database.unit_of_work(write=True) as store:
        service.delete_stream(store.connection, _call(), stream_id)


def _call() -> service.StreamCall:
    """The stream API called now, by the bench's receiver."""
    return service.StreamCall(TENANT, caller=None, now=utc_now())


def latency(
    database: Database, rate: int, seconds: float, work: Path, *, apart: bool
) -> dict[str, float]:
    """Dismissals at `rate` users per second, as SOAR playbooks send them (BATCH users per
    request), of users made risky before the stream existed; the stream's deliverer a thread
    of this process or (apart) a process of its own: commit-to-receipt latency."""
    receipts = Receipts(work / f"latency-{apart}.txt")
    risky = [
        email for _ in range(int(rate * seconds) // 500 + 1) for email in raise_users(database, 500)
    ]
    with receiver(receipts) as url:
        stream_id = add_stream(database, {"delivery": {"method": PUSH, "endpoint_url": url}})
        stop = _start_deliverer(database, apart=apart)
        _warm_up(database, receipts)
        committed, achieved = _generate(database, risky, rate, seconds)
        deadline = time.monotonic() + 60
        while receipts.count < len(committed) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop()
    _remove(database, stream_id)
    received, _ = receipts.read()
    delays = sorted(received[e] - t for e, t in committed.items() if e in received)
    assert len(delays) == len(committed), "not every change was delivered within a minute"
    return {
        "changes_per_second": round(achieved),
        "received": len(delays),
        "p50_ms": round(1000 * statistics.median(delays), 1),
        "p99_ms": round(1000 * delays[int(len(delays) * 0.99) - 1], 1),
    }


def _warm_up(database: Database, receipts: Receipts) -> None:
    """One change, delivered: the deliverer is running (a process takes seconds to start, as
    a server's does, before any change is made)."""
    expected = receipts.count + 1
    raise_users(database, 1)
    deadline = time.monotonic() + 60
    while receipts.count < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def _start_deliverer(database: Database, *, apart: bool) -> Callable[[], None]:
    if apart:
        process = deliverer_process(database)
        return process.stop
    deliverer = Deliverer(database, SETTINGS)
    deliverer.start()
    return deliverer.stop


def _generate(
    database: Database, risky: list[str], rate: int, seconds: float, writers: int = 4
) -> tuple[dict[str, float], float]:
    """`risky` users dismissed at `rate` per second for `seconds`, BATCH per transaction,
    from `writers` threads: when each user's change was committed, and the rate achieved."""
    committed: dict[str, float] = {}
    started = time.monotonic()
    dismiss = USER.action("dismiss")

    def write(mine: list[str]) -> None:
        next_at = time.monotonic()
        for index in range(0, len(mine), BATCH):
            if time.monotonic() - started >= seconds:
                return
            emails = mine[index : index + BATCH]
            with database.unit_of_work(write=True) as store:
                apply_action(store, USER, dismiss, ActionRequest(TENANT, emails, None, utc_now))
            committed.update(dict.fromkeys(emails, time.time()))
            next_at += BATCH * writers / rate
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=write, args=(risky[i::writers],)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return committed, len(committed) / (time.monotonic() - started)


def action_rate(database: Database, users: list[str], rounds: int, threads: int) -> float:
    """confirmCompromised and dismiss in turn, one user per request, from `threads` writers."""
    kind = USER
    actions = [kind.action("confirmCompromised"), kind.action("dismiss")]

    def work(mine: list[str]) -> None:
        for index in range(rounds):
            for user_id in mine:
                request = ActionRequest(TENANT, [user_id], None, utc_now)
                with database.unit_of_work(write=True) as store:
                    apply_action(store, kind, actions[index % 2], request)

    return _timed(lambda: _in_threads(work, users, threads), len(users) * rounds)


def _in_threads(work: Callable[[list[str]], None], users: list[str], threads: int) -> None:
    workers = [threading.Thread(target=work, args=(users[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _timed(run: Callable[[], None], operations: int) -> float:
    started = time.perf_counter()
    run()
    return operations / (time.perf_counter() - started)


def stream_cost(database: Database, threads: int, work: Path) -> dict[str, float]:
    """Actions per second without any stream, then with a push stream: no deliverer (what
    writing the events costs), its deliverer a thread of this process (as in the server),
    then `idprotect signals deliver` apart (what sending them costs the machine too)."""
    users = raise_users(database, 200)
    quiet = action_rate(database, users, 6, threads)
    with receiver(Receipts(work / "actions.txt")) as url:
        stream_id = add_stream(database, {"delivery": {"method": PUSH, "endpoint_url": url}})
        outbox_only = action_rate(database, users, 6, threads)  # events written, not sent
        deliverer = Deliverer(database, SETTINGS)
        deliverer.start()
        in_process = action_rate(database, users, 6, threads)
        deliverer.stop()
        apart = deliverer_process(database)
        separate = action_rate(database, users, 6, threads)
        apart.stop()
    _remove(database, stream_id)
    return {
        "without_streams": round(quiet),
        "push_stream_no_deliverer": round(outbox_only),
        "change_percent_outbox_writes": round(100 * (outbox_only - quiet) / quiet, 1),
        "push_stream_deliverer_in_process": round(in_process),
        "push_stream_deliverer_apart": round(separate),
        "change_percent_in_process": round(100 * (in_process - quiet) / quiet, 1),
        "change_percent_apart": round(100 * (separate - quiet) / quiet, 1),
    }


def served_cost(db_url: str, work: Path, *, users: int, turns: int = 2) -> dict[str, Any]:
    """What signals cost the actions as the service serves them: `idprotect serve` (its
    deliverer a process of its own, the default), four clients dismissing seeded risky users
    through the API, 60 per request, without a stream and then with a push stream, in turns,
    each run on users of its own. Also how long the deliverer took to send the rest."""
    harness.seed(db_url, users)
    at_risk = harness.user_ids(db_url, "atRisk", users)
    share = len(at_risk) // (2 * turns)
    slices = iter(at_risk[i : i + share] for i in range(0, share * 2 * turns, share))
    rates: dict[str, list[float]] = {"without_streams": [], "push_stream": []}
    drained: list[float] = []
    for _ in range(turns):
        for name in rates:
            server, base = harness.idprotect_server(db_url, work / "serve.log")
            try:
                with receiver(Receipts(work / f"served-{name}.txt")) as url:
                    streams = _served_stream(base, url) if name == "push_stream" else []
                    rate, _ = harness.dismiss_throughput(base, next(slices), clients=4)
                    rates[name].append(round(rate))
                    if streams:
                        drained.append(_drained(db_url, streams[0]))
                    _delete_streams(base, streams)
            finally:
                harness.stop(server)
    mean = {name: statistics.mean(found) for name, found in rates.items()}
    change = 100 * (mean["push_stream"] - mean["without_streams"]) / mean["without_streams"]
    return {
        "users_dismissed_per_second": rates,
        "change_percent": round(change, 1),
        "seconds_to_send_the_rest_after": drained,
    }


def _served_stream(base: str, url: str) -> list[str]:
    config = httpx.get(f"{base}/.well-known/ssf-configuration/ssf/{TENANT}").json()
    body = {"delivery": {"method": PUSH, "endpoint_url": url}}
    created = httpx.post(config["configuration_endpoint"], json=body, timeout=10)
    return [created.json()["stream_id"]]


def _drained(db_url: str, stream_id: str) -> float:
    """Seconds until the stream's outbox is empty (its deliverer caught up)."""
    database = Database(make_engine(db_url))
    started = time.monotonic()
    while _pending(database, stream_id) and time.monotonic() - started < 600:
        time.sleep(0.2)
    database.dispose()
    return round(time.monotonic() - started, 1)


def _delete_streams(base: str, streams: list[str]) -> None:
    for stream_id in streams:
        httpx.delete(f"{base}/ssf/{TENANT}/streams", params={"stream_id": stream_id})


def deliverer_process(database: Database) -> DeliveryProcess:
    """The deliverer as `serve` runs it by default: a process of its own, at a lower priority."""
    url = database.engine.url.render_as_string(hide_password=False)
    process = DeliveryProcess(url, SETTINGS)
    process.start()
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a database URL (default: a fresh SQLite file)")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--served-users", type=int, default=40_000, help="seeded for the served runs (0: none)"
    )
    parser.add_argument("--receive", help=argparse.SUPPRESS)  # the receiver process
    args = parser.parse_args()
    if args.receive:
        serve_receiver(args.receive)
        return
    work = Path(tempfile.mkdtemp())
    url = args.db or f"sqlite:///{work / 'signals.db'}"
    upgrade_database(url)
    database = Database(make_engine(url))
    figures: dict[str, Any] = {"database": url.split(":")[0]}
    figures["push_sets_per_second"] = round(push_rate(database, args.events, work))
    figures["poll_sets_per_second"] = round(poll_rate(database, args.events))
    figures["latency_deliverer_in_process"] = latency(
        database, args.rate, args.seconds, work, apart=False
    )
    figures["latency_deliverer_apart"] = latency(
        database, args.rate, args.seconds, work, apart=True
    )
    figures["actions_per_second"] = stream_cost(database, args.threads, work)
    database.dispose()
    if args.served_users:
        figures["served"] = served_cost(url, work, users=args.served_users)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
