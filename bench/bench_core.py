"""Core service benchmarks on a seeded tenant: GET by id, dismiss throughput, server memory.

    .venv/bin/python -m bench.bench_core [--users 100000] [--seconds 10] [--db URL]

Needs `wrk` (Debian package). Seeds a fresh SQLite file unless --db is given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from bench.harness import (
    bare_server,
    idprotect_server,
    peak_memory_mb,
    wrk_id_script,
    wrk_requests_per_second,
)
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.store.tables import users

RISKY = "/v1.0/identityProtection/riskyUsers/"


def seed(db_url: str, count: int) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "idprotect", "seed", "--users", str(count), "--db", db_url]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def user_ids(db_url: str, state: str, limit: int) -> list[str]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        query = (
            select(users.c.id)
            .where(users.c.tenant_id == DEMO_TENANT_ID, users.c.risk_state == state)
            .limit(limit)
        )
        found = [row.id for row in connection.execute(query)]
    engine.dispose()
    return found


def dismiss_throughput(base: str, ids: list[str], *, clients: int) -> tuple[float, int]:
    """Users dismissed per second: `clients` threads posting 60 ids per request."""
    batches = [ids[i : i + 60] for i in range(0, len(ids), 60)]
    shares = [batches[i::clients] for i in range(clients)]
    failures: list[str] = []

    def run(share: list[list[str]]) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            for batch in share:
                response = client.post(f"{RISKY}dismiss", json={"userIds": batch})
                if response.status_code != 204:
                    failures.append(response.text)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} dismiss requests failed: {failures[0]}")
    return len(ids) / elapsed, len(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dismiss", type=int, default=30_000, help="users to dismiss")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-"))
    db_url = args.db or f"sqlite:///{work / 'bench.db'}"
    results: dict[str, float] = {"users": args.users}
    results["seed_seconds"] = seed(db_url, args.users)

    lua = wrk_id_script(work / "ids.lua", RISKY, user_ids(db_url, "atRisk", 2_000))
    bare, bare_base = bare_server(work / "bare.log")
    try:
        results["bare_rps"] = wrk_requests_per_second(
            bare_base + RISKY + "x", lua=None, seconds=args.seconds, connections=args.connections
        )
    finally:
        bare.terminate()
    server, base = idprotect_server(db_url, work / "server.log")
    try:
        results["get_by_id_rps"] = wrk_requests_per_second(
            base + RISKY, lua=lua, seconds=args.seconds, connections=args.connections
        )
        targets = user_ids(db_url, "atRisk", args.dismiss)
        rate, requests = dismiss_throughput(base, targets, clients=4)
        results["dismiss_users_per_second"] = rate
        results["dismiss_requests"] = requests
        results["server_peak_rss_mb"] = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    results["get_by_id_vs_bare"] = results["get_by_id_rps"] / results["bare_rps"]
    print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
