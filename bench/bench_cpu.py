"""CPU time per request, in process: the app driven through ASGI with no server and no socket.

    .venv/bin/python -m bench.bench_cpu --db sqlite:////path/seeded.db [--requests 2000]

On a shared machine a throughput figure moves with everyone else's load; the CPU time this
process spends per request does not (much). It covers the whole app (the pipeline, the
caller with a verified RS256 token from the cache, the database read, the JSON) and leaves out
only the HTTP server, which the bare app measures (bench_pipeline). Run it against two source
trees in turns (PYTHONPATH=tree/src) to compare them; the database is only read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, select

from bench.harness import mint_token
from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.settings import Settings
from idprotect.store.tables import users

V1 = "/v1.0/identityProtection"
FILTER = "riskState eq 'atRisk' and riskLevel eq 'high'"
ROLES = "IdentityRiskyUser.ReadWrite.All,IdentityRiskEvent.Read.All"

# Each shape: the path and query of its i-th request, given some atRisk users' ids.
Shape = Callable[[list[str], int], tuple[str, str]]
SHAPES: dict[str, Shape] = {
    "get_by_id": lambda ids, i: (f"{V1}/riskyUsers/{ids[i % len(ids)]}", ""),
    "list": lambda ids, i: (f"{V1}/riskyUsers", ""),
    "filter": lambda ids, i: (f"{V1}/riskyUsers", f"$filter={quote(FILTER)}&$top=100"),
    "history": lambda ids, i: (f"{V1}/riskyUsers/{ids[i % len(ids)]}/history", ""),
    "detections": lambda ids, i: (f"{V1}/riskDetections", ""),
}


def at_risk_ids(db_url: str, limit: int) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            query = select(users.c.id).where(users.c.risk_state == "atRisk").limit(limit)
            return [str(row.id) for row in connection.execute(query)]
    finally:
        engine.dispose()


async def request(app: Any, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def cpu_per_request(
    app: Any, shape: Shape, ids: list[str], headers: list[tuple[bytes, bytes]], count: int
) -> float:
    """µs of this process's CPU per request (after a warm-up of 50)."""
    for i in range(50):
        status = await request(app, *shape(ids, i), headers)
        if status != 200:
            raise RuntimeError(f"{shape(ids, i)} answered {status}")
    started = time.process_time()
    for i in range(count):
        await request(app, *shape(ids, i), headers)
    return (time.process_time() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a seeded database (only read)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    token = mint_token(args.db, app="bench", roles=ROLES)
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())]
    ids = at_risk_ids(args.db, 2000)
    app = create_app(Settings(database_url=args.db, auth="on"))
    figures = {
        name: round(asyncio.run(cpu_per_request(app, SHAPES[name], ids, headers, args.requests)))
        for name in args.shapes.split(",")
    }
    print(json.dumps({"tenant": DEMO_TENANT_ID, "cpu_us_per_request": figures}))


if __name__ == "__main__":
    main()
