"""Query benchmarks on a large tenant: a filtered, ordered page of 500, the last page against the
first, walking every page of the tenant, and the server's memory meanwhile.

    .venv/bin/python -m bench.bench_query [--db URL] [--users 1000000] [--samples 30]

Without --db a fresh SQLite file is seeded with `idprotect seed --users N`; give a seeded
database URL (SQLite or PostgreSQL) to measure that one. Figures are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.harness import idprotect_server, peak_memory_mb

LIST = "/v1.0/identityProtection/riskyUsers"
HIGH_AT_RISK = {
    "$filter": "riskLevel eq 'high' and riskState eq 'atRisk'",
    "$orderby": "riskLastUpdatedDateTime desc",
    "$top": "500",
}
NEWEST_FIRST = {"$orderby": "riskLastUpdatedDateTime desc", "$top": "500"}


def seed(db_url: str, count: int) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "idprotect", "seed", "--users", str(count), "--db", db_url]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def timed_get(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> Any:
    """The JSON body and the milliseconds the request took."""
    started = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return response.json(), elapsed


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def repeat(client: httpx.Client, url: str, samples: int, params: dict[str, str] | None) -> float:
    """p50 milliseconds of `samples` requests (after two to warm up)."""
    for _ in range(2):
        timed_get(client, url, params)
    return p50([timed_get(client, url, params)[1] for _ in range(samples)])


def walk(client: httpx.Client, params: dict[str, str]) -> tuple[list[str], list[float], int]:
    """Every page, following nextLinks: the links, each page's milliseconds, the rows."""
    links, times, rows = [], [], 0
    body, elapsed = timed_get(client, LIST, params)
    while True:
        times.append(elapsed)
        rows += len(body["value"])
        link = body.get("@odata.nextLink")
        if link is None:
            return links, times, rows
        links.append(link)
        body, elapsed = timed_get(client, link)


def linearity(times: list[float]) -> dict[str, float]:
    """Pages per second in each tenth of the walk: flat when the total grows linearly."""
    tenth = max(1, len(times) // 10)
    rates = [
        1000 * len(chunk) / sum(chunk)
        for chunk in (times[i : i + tenth] for i in range(0, len(times), tenth))
        if len(chunk) == tenth
    ]
    return {
        "pages_per_second": 1000 * len(times) / sum(times),
        "pages_per_second_first_tenth": rates[0],
        "pages_per_second_last_tenth": rates[-1],
        "page_ms_p50": p50(times),
        "page_ms_max": max(times),
    }


@contextmanager
def rss_sampler(pid: int) -> Iterator[list[float]]:
    """The process's resident set size (MB), sampled every 100 ms while the block runs."""
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    samples.append(int(line.split()[1]) / 1024)
            done.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()


def measure(base: str, pid: int, samples: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=120) as client, rss_sampler(pid) as rss:
        figures["first_page_ms_p50"] = repeat(client, LIST, samples, HIGH_AT_RISK)
        links, times, rows = walk(client, HIGH_AT_RISK)
        figures["high_at_risk_rows"] = rows
        figures["high_at_risk_pages"] = len(times)
        figures["high_at_risk_walk"] = linearity(times)
        # The last page holds the remainder; the one before it is the deepest full page.
        figures["last_page_ms_p50"] = repeat(client, links[-1], samples, None)
        figures["last_full_page_ms_p50"] = repeat(client, links[-2], samples, None)
        figures["middle_page_ms_p50"] = repeat(client, links[len(links) // 2], samples, None)
        first = figures["first_page_ms_p50"]
        figures["last_vs_first"] = figures["last_page_ms_p50"] / first
        figures["last_full_vs_first"] = figures["last_full_page_ms_p50"] / first
        started = time.perf_counter()
        _, times, rows = walk(client, NEWEST_FIRST)
        figures["tenant_walk_seconds"] = time.perf_counter() - started
        figures["tenant_rows"] = rows
        figures["tenant_walk"] = linearity(times)
        figures["server_rss_mb_max_while_walking"] = max(rss)
    figures["server_peak_rss_mb"] = peak_memory_mb(pid)
    return figures


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a seeded database URL (default: seed a SQLite file)")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-query-"))
    try:
        results: dict[str, Any] = {}
        db_url = args.db
        if db_url is None:
            db_url = f"sqlite:///{work / 'bench.db'}"
            results["seed_seconds"] = seed(db_url, args.users)
        server, base = idprotect_server(db_url, work / "server.log")
        try:
            results.update(measure(base, server.pid, args.samples))
        finally:
            stop(server)
        print(json.dumps(results, indent=2, default=lambda v: round(v, 3)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
