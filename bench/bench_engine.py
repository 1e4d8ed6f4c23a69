"""The risk engine on a labelled population: recall and false-positive rate per detector,
ingestion throughput with detection on, and memory as the history grows.

    .venv/bin/python -m bench.bench_engine [--users 2000 | --sign-ins 1000000] [--days 14]
        [--seed 7] [--postgres] [--pg-admin URL] [--keep]

Loads the generated threat lists, ingests `--days` ordinary days and then the labelled day
through ingest_sign_ins in batches of 1,000 (one unit of work each), as the /_admin route
does, on a fresh SQLite file (and, with --postgres, a database of its own on --pg-admin's
server). A detection of a sign-in (its requestId) or, for leakedCredentials, of a user labelled
with its riskEventType is a true positive; one of an ordinary sign-in (or user) a false
positive; one of another attack's sign-in is counted apart ("other attacks").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bench.harness import create_postgres_database, drop_postgres_database
from idprotect.domain.signins import SignIn
from idprotect.engine.ingest import MAX_SIGN_INS, ingest_sign_ins
from idprotect.seeding.sign_ins import (
    LabelledSignIn,
    generated_day,
    history_days,
    threat_feeds,
)
from idprotect.sign_in_events import SignInEvent
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database
from idprotect.store.tables import risk_detections

TENANT = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
START = datetime(2026, 11, 16, tzinfo=UTC)  # the labelled day, a Monday
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DETECTORS = (
    "unlikelyTravel",
    "anonymizedIPAddress",
    "maliciousIPAddress",
    "passwordSpray",
    "newCountry",
    "unfamiliarFeatures",
    "leakedCredentials",
)
_SIGN_INS_PER_USER_DAY = 3.0  # what the generator draws, typos and weekends included


@dataclass
class Labels:
    """What the labelled day should raise, kept small: attacks by requestId, leaked users."""

    attacks: dict[str, str] = field(default_factory=dict)
    leaked_users: set[str] = field(default_factory=set)
    day_ids: set[str] = field(default_factory=set)
    ordinary: int = 0  # the labelled day's unlabelled sign-ins
    users: set[str] = field(default_factory=set)

    def add(self, labelled: LabelledSignIn, sign_in: SignIn) -> None:
        self.users.add(sign_in.user_id)
        self.day_ids.add(sign_in.id)
        if labelled.attack is None:
            self.ordinary += 1
        elif labelled.attack == "leakedCredentials":
            self.leaked_users.add(sign_in.user_id)
        else:
            self.attacks[sign_in.id] = labelled.attack


@dataclass
class Run:
    ingested: int = 0
    ingest_seconds: float = 0.0
    ingest_cpu_seconds: float = 0.0  # this process's: the machine may be shared
    parse_seconds: float = 0.0
    rss_mb_by_day: list[float] = field(default_factory=list)


def rss_mb(field_name: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name}")


def parsed(day: list[LabelledSignIn]) -> list[SignIn]:
    return [SignInEvent.model_validate(s.event).to_domain() for s in day]


def load_lists(database: Database, users: int, seed: int) -> None:
    feeds = threat_feeds(users, seed)
    with database.unit_of_work(write=True) as store:
        store.replace_ip_list(TENANT, "anonymizer", feeds.anonymizers)
        store.replace_ip_list(TENANT, "malicious", feeds.malicious)
        store.add_leaked_credentials(TENANT, feeds.leaked)


def ingest_day(database: Database, sign_ins: list[SignIn], run: Run) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(sign_ins), MAX_SIGN_INS):
        with database.unit_of_work(write=True) as store:
            done = ingest_sign_ins(
                store, tenant_id=TENANT, sign_ins=sign_ins[first : first + MAX_SIGN_INS]
            )
        run.ingested += done.ingested
    run.ingest_seconds += time.perf_counter() - started
    run.ingest_cpu_seconds += time.process_time() - cpu
    run.rss_mb_by_day.append(rss_mb())


def days(args: argparse.Namespace) -> Iterator[tuple[bool, list[LabelledSignIn]]]:
    for day in history_days(args.users, START, args.days, args.seed):
        yield False, day
    yield True, generated_day(args.users, START, args.seed)


def ingest_all(database: Database, args: argparse.Namespace) -> tuple[Run, Labels]:
    run, labels = Run(), Labels()
    for labelled, day in days(args):
        started = time.perf_counter()
        sign_ins = parsed(day)
        run.parse_seconds += time.perf_counter() - started
        if labelled:
            for item, sign_in in zip(day, sign_ins, strict=True):
                labels.add(item, sign_in)
        del day
        ingest_day(database, sign_ins, run)
    return run, labels


def detections(database: Database) -> list[tuple[str, str | None, str]]:
    c = risk_detections.c
    query = select(c.risk_event_type, c.request_id, c.user_id).where(c.tenant_id == TENANT)
    with database.unit_of_work() as store:
        return [(r[0], r[1], r[2]) for r in store.connection.execute(query)]


def scores(
    found: list[tuple[str, str | None, str]], labels: Labels, history_sign_ins: int
) -> dict[str, dict[str, float]]:
    """Per detector: labelled, true positives, recall; false positives on the labelled day
    (and their rate among its ordinary sign-ins, or users for leakedCredentials), on the
    history days, and hits on other attacks' sign-ins."""
    tp: dict[str, set[str]] = {d: set() for d in DETECTORS}
    fp: Counter[str] = Counter()
    history_fp: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for kind, request_id, user_id in found:
        if kind == "leakedCredentials":
            if user_id in labels.leaked_users:
                tp[kind].add(user_id)
            else:
                fp[kind] += 1
        elif request_id is None or request_id not in labels.day_ids:
            history_fp[kind] += 1
        elif labels.attacks.get(request_id) == kind:
            tp[kind].add(request_id)
        elif request_id in labels.attacks:
            other[kind] += 1
        else:
            fp[kind] += 1
    labelled = Counter(labels.attacks.values())
    labelled["leakedCredentials"] = len(labels.leaked_users)
    ordinary_users = len(labels.users) - len(labels.leaked_users)
    table = {}
    for kind in DETECTORS:
        negatives = ordinary_users if kind == "leakedCredentials" else labels.ordinary
        table[kind] = {
            "labelled": labelled[kind],
            "true_positives": len(tp[kind]),
            "recall": len(tp[kind]) / labelled[kind] if labelled[kind] else float("nan"),
            "false_positives": fp[kind],
            "fp_rate": fp[kind] / negatives if negatives else float("nan"),
            "other_attacks": other[kind],
            "history_false_positives": history_fp[kind],
            "history_fp_rate": history_fp[kind] / history_sign_ins if history_sign_ins else 0.0,
        }
    return table


def measure(db_url: str, args: argparse.Namespace) -> dict[str, object]:
    """Migrate, load the lists, ingest every day, score; the figures."""
    upgrade_database(db_url)
    database = Database(make_engine(db_url, pool_size=1))
    try:
        started = time.perf_counter()
        load_lists(database, args.users, args.seed)
        lists_seconds = time.perf_counter() - started
        run, labels = ingest_all(database, args)
        history = run.ingested - len(labels.day_ids)
        table = scores(detections(database), labels, history)
    finally:
        database.dispose()
    return {
        "users": args.users,
        "sign_ins": run.ingested,
        "lists_seconds": round(lists_seconds, 2),
        "ingest_seconds": round(run.ingest_seconds, 2),
        "sign_ins_per_second": round(run.ingested / run.ingest_seconds),
        "sign_ins_per_cpu_second": round(run.ingested / run.ingest_cpu_seconds),
        "parse_per_second": round(run.ingested / run.parse_seconds),
        "rss_mb_by_day": [round(mb) for mb in run.rss_mb_by_day],
        "peak_rss_mb": round(rss_mb("VmHWM")),
        "detectors": {k: {n: round(v, 4) for n, v in row.items()} for k, row in table.items()},
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--sign-ins", type=int, help="about this many in all (sets --users)")
    parser.add_argument("--days", type=int, default=14, help="ordinary days before")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.sign_ins:
        args.users = max(100, round(args.sign_ins / (_SIGN_INS_PER_USER_DAY * (args.days + 1))))
    return args


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-engine-"))
    results: dict[str, object] = {}
    try:
        results["sqlite"] = measure(f"sqlite:///{work / 'engine.db'}", args)
        if args.postgres:
            db_url = create_postgres_database(args.pg_admin, f"bench_engine_{os.getpid()}")
            try:
                results["postgres"] = measure(db_url, args)
            finally:
                drop_postgres_database(db_url)
        print(json.dumps(results, indent=2))
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
