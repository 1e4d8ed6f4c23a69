"""A bounded soak: mixed traffic from many clients against `idprotect serve --workers 2` on
PostgreSQL, then the figures (not a test: it prints them).

    .venv/bin/python -m bench.bench_soak [--minutes 10] [--clients 16] [--workers 2]
        [--users 5000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Traffic, by weight: lists, gets by id, filters, histories, actions (confirmCompromised and
dismiss in turns, so each one changes its users), $batch, and ingestion through /_admin (new
users, one detection each). Each client acts on users of its own, so what their history must
hold at the end is known: it is checked item by item (nothing lost, nothing twice), and every
successful action must appear once in auditLogs/directoryAudits.

Figures: requests and 5xx, per-minute p99 latency (the last minute against the second), the
server processes' RSS every 10 seconds (the end against the end of the warm-up minute), and
the history and audit checks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.harness import (
    create_postgres_database,
    drop_postgres_database,
    idprotect_server,
    seed,
    stop,
    user_ids,
    worker_pids,
)
from idprotect.auth.principal import DEMO_TENANT_ID

V1 = "/v1.0/identityProtection"
USERS = f"{V1}/riskyUsers"
ADMIN = f"/_admin/tenants/{DEMO_TENANT_ID}/riskDetections"
FILTER = "riskState eq 'atRisk' and riskLevel eq 'high'"
WEIGHTS = {
    "list": 20,
    "get": 25,
    "filter": 10,
    "history": 15,
    "action": 10,
    "batch": 10,
    "ingest": 10,
}


@dataclass
class Client:
    """One client's users, the state it expects of them, and what it saw."""

    owned: list[str]
    rng: random.Random
    next_action: dict[str, str] = field(default_factory=dict)
    actions: Counter[str] = field(default_factory=Counter)  # successful actions by user
    ingested: list[str] = field(default_factory=list)
    samples: list[tuple[float, str, int, float]] = field(
        default_factory=list
    )  # at, kind, status, s


def request(client: Client, http: httpx.Client, kind: str) -> int:
    rng, user = client.rng, client.rng.choice(client.owned)
    match kind:
        case "list":
            return http.get(USERS, params={"$top": "50"}).status_code
        case "get":
            return http.get(f"{USERS}/{user}").status_code
        case "filter":
            return http.get(USERS, params={"$filter": FILTER, "$top": "20"}).status_code
        case "history":
            return http.get(f"{USERS}/{user}/history").status_code
        case "action":
            return act(client, http, rng.sample(client.owned, rng.randint(1, 3)))
        case "batch":
            requests = [
                {"id": "1", "method": "GET", "url": f"/identityProtection/riskyUsers/{user}"},
                {
                    "id": "2",
                    "method": "GET",
                    "url": f"/identityProtection/riskyUsers/{user}/history",
                },
                {"id": "3", "method": "GET", "url": "/identityProtection/riskyUsers?$top=5"},
            ]
            response = http.post("/v1.0/$batch", json={"requests": requests})
            inner = (
                [r["status"] for r in response.json()["responses"]] if response.is_success else []
            )
            return max([response.status_code, *inner])
        case _:
            return ingest(client, http)


def act(client: Client, http: httpx.Client, ids: list[str]) -> int:
    """The users' next action (confirmCompromised, then dismiss, in turns): all of them in one
    request, so they are grouped by action."""
    by_action: dict[str, list[str]] = defaultdict(list)
    for uid in ids:
        by_action[client.next_action.get(uid, "confirmCompromised")].append(uid)
    status = 204
    for action, group in by_action.items():
        response = http.post(f"{USERS}/{action}", json={"userIds": group})
        status = max(status, response.status_code)
        if response.status_code == 204:
            for uid in group:
                client.actions[uid] += 1
                client.next_action[uid] = (
                    "dismiss" if action == "confirmCompromised" else "confirmCompromised"
                )
    return status


def ingest(client: Client, http: httpx.Client) -> int:
    new = [str(uuid.uuid4()) for _ in range(client.rng.randint(1, 5))]
    body = {"value": [{"userId": uid, "riskEventType": "unfamiliarFeatures", "riskLevel": "medium",
                       "ipAddress": "203.0.113.9"} for uid in new]}  # fmt: skip
    response = http.post(ADMIN, json=body)
    if response.status_code == 201:
        client.ingested += new
    return response.status_code


def drive(client: Client, base: str, until: float) -> None:
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    with httpx.Client(base_url=base, timeout=60) as http:
        while (now := time.monotonic()) < until:
            kind = client.rng.choices(kinds, weights)[0]
            try:
                status = request(client, http, kind)
            except httpx.TransportError:
                status = 599  # no answer: counted with the 5xx
            client.samples.append((now, kind, status, time.monotonic() - now))


def rss_mb(pid: int) -> float:
    pids = [pid, *worker_pids(pid)]
    total = 0.0
    for p in set(pids):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def history_checks(base: str, clients: list[Client], initial: dict[str, int]) -> dict[str, int]:
    """Every owned user's history: its initial items plus one per successful action, none
    twice; every ingested user: one item."""
    found = Counter()
    with httpx.Client(base_url=base, timeout=60) as http:
        for client in clients:
            for uid in client.owned:
                ids = history_ids(http, uid)
                found["duplicated"] += len(ids) - len(set(ids))
                found["lost"] += max(0, initial[uid] + client.actions[uid] - len(set(ids)))
                found["extra"] += max(0, len(set(ids)) - initial[uid] - client.actions[uid])
            for uid in client.ingested:
                found["ingested_wrong"] += len(history_ids(http, uid)) != 1
        audits = audit_count(http)
    actions = sum(sum(c.actions.values()) for c in clients)
    return {**found, "actions": actions, "audited_user_actions": audits}


def history_ids(http: httpx.Client, uid: str) -> list[str]:
    ids, url = [], f"{USERS}/{uid}/history?$top=500"
    while url:
        page = http.get(url).raise_for_status().json()
        ids += [item["id"] + item["riskLastUpdatedDateTime"] for item in page["value"]]
        url = page.get("@odata.nextLink")
    return ids


def audit_count(http: httpx.Client) -> int:
    """Users named by the risk actions in the audit log (one target per user and action)."""
    count, url = 0, "/v1.0/auditLogs/directoryAudits?$filter=category eq 'IdentityProtection'"
    while url:
        page = http.get(url).raise_for_status().json()
        count += sum(len(a["targetResources"]) for a in page["value"])
        url = page.get("@odata.nextLink")
    return count


def p99(latencies: list[float]) -> float:
    return (
        statistics.quantiles(latencies, n=100)[98]
        if len(latencies) >= 100
        else max(latencies, default=0)
    )


def report(
    clients: list[Client], started: float, rss: list[tuple[float, float]], checks: dict[str, int]
) -> None:
    samples = [s for c in clients for s in c.samples]
    statuses = Counter(s[2] for s in samples)
    minutes: dict[int, list[float]] = defaultdict(list)
    for at, _, _, seconds in samples:
        minutes[int((at - started) // 60)].append(seconds)
    print(f"requests {len(samples)}, by status {dict(sorted(statuses.items()))}")
    print(f"5xx {sum(n for s, n in statuses.items() if s >= 500)}")
    for minute, latencies in sorted(minutes.items()):
        p50 = statistics.median(latencies) * 1000
        shown = f"{len(latencies)} requests, p50 {p50:.1f} ms, p99 {p99(latencies) * 1000:.1f} ms"
        print(f"minute {minute + 1}: {shown}")
    ordered = [p99(minutes[m]) for m in sorted(minutes)]
    if len(ordered) >= 3:
        print(f"p99 last minute / second minute: {ordered[-1] / ordered[1]:.2f}")
    warm = next((mb for at, mb in rss if at - started >= 60), rss[0][1])
    print("RSS (MB, server processes) every 10 s: " + ", ".join(f"{mb:.0f}" for _, mb in rss))
    print(f"RSS end / after warm-up: {rss[-1][1] / warm:.3f}")
    print("checks: " + ", ".join(f"{name} {value}" for name, value in sorted(checks.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    url = create_postgres_database(args.postgres, f"idprotect_soak_{uuid.uuid4().hex[:8]}")
    try:
        soak(url, args)
    finally:
        drop_postgres_database(url)


def soak(url: str, args: argparse.Namespace) -> None:
    print(f"seeding {args.users} users: {seed(url, args.users):.0f} s")
    owned = user_ids(url, "atRisk", 20 * args.clients)
    clients = [Client(owned[n :: args.clients], random.Random(n)) for n in range(args.clients)]
    log = Path(tempfile.mkdtemp(prefix="idprotect-soak-")) / "server.log"
    process, base = idprotect_server(url, log, workers=args.workers)
    try:
        with httpx.Client(base_url=base) as http:
            initial = {uid: len(history_ids(http, uid)) for uid in owned}
        started = time.monotonic()
        until = started + args.minutes * 60
        threads = [threading.Thread(target=drive, args=(c, base, until)) for c in clients]
        for thread in threads:
            thread.start()
        rss = []
        while time.monotonic() < until:
            rss.append((time.monotonic(), rss_mb(process.pid)))
            time.sleep(10)
        for thread in threads:
            thread.join()
        checks = history_checks(base, clients, initial)
    finally:
        stop(process)
    report(clients, started, rss, checks)


if __name__ == "__main__":
    main()
