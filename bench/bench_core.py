"""Core service benchmarks on a seeded tenant: GET by id, dismiss throughput, server memory.

    .venv/bin/python -m bench.bench_core [--users 100000] [--seconds 10] [--db URL]

Needs `wrk` (Debian package). Seeds a fresh SQLite file unless --db is given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.harness import (
    RISKY,
    bare_server,
    dismiss_throughput,
    idprotect_server,
    peak_memory_mb,
    seed,
    stop,
    user_ids,
    wrk_id_script,
    wrk_requests_per_second,
)


def bare_rps(work: Path, args: argparse.Namespace) -> float:
    """The ceiling: a bare ASGI app under the same uvicorn, one fixed path."""
    server, base = bare_server(work / "bare.log")
    try:
        return wrk_requests_per_second(
            base + RISKY + "x", lua=None, seconds=args.seconds, connections=args.connections
        )
    finally:
        stop(server)


def service_figures(db_url: str, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """GET by id under wrk, then dismiss throughput, then the server's peak RSS."""
    lua = wrk_id_script(work / "ids.lua", RISKY, user_ids(db_url, "atRisk", 2_000))
    targets = user_ids(db_url, "atRisk", args.dismiss)
    if len(targets) < args.dismiss:
        raise RuntimeError(f"only {len(targets)} atRisk users to dismiss; seed more users")
    server, base = idprotect_server(db_url, work / "server.log", auth="off")
    try:
        figures = {
            "get_by_id_rps": wrk_requests_per_second(
                base + RISKY, lua=lua, seconds=args.seconds, connections=args.connections
            )
        }
        rate, requests = dismiss_throughput(base, targets, clients=args.clients)
        figures["dismiss_users_per_second"] = rate
        figures["dismiss_requests"] = requests
        figures["server_peak_rss_mb"] = peak_memory_mb(server.pid)
        return figures
    finally:
        stop(server)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dismiss", type=int, default=30_000, help="users to dismiss")
    parser.add_argument("--clients", type=int, default=4, help="concurrent dismiss clients")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file, seeded)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-"))
    try:
        results: dict[str, float] = {"users": args.users}
        db_url = args.db
        if db_url is None:
            db_url = f"sqlite:///{work / 'bench.db'}"
            results["seed_seconds"] = seed(db_url, args.users)
        results["bare_rps"] = bare_rps(work, args)
        results.update(service_figures(db_url, work, args))
        results["get_by_id_vs_bare"] = results["get_by_id_rps"] / results["bare_rps"]
        print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2))
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
