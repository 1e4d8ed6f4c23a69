"""CPU time per request, in process: the app driven through ASGI with no server and no socket.

    .venv/bin/python -m bench.bench_cpu --db sqlite:////path/seeded.db [--requests 2000]
        [--shapes get_by_id,list,...] [--rounds 3] [--dismiss 3000]

On a shared machine a throughput figure moves with everyone else's load; the CPU time this
process spends per request does not (much). It covers the whole app (the pipeline, the
caller with a verified RS256 token from the cache, the database read, the JSON) and leaves out
only the HTTP server, which the bare app measures (bench_pipeline). Run it against two source
trees in turns (PYTHONPATH=tree/src) to compare them; the database is only read.

Users' and service principals' shapes are measured side by side: in each round the shapes take
turns, --block requests at a time, until each has had --requests (so a change in the machine's
load falls on all of them alike), and the figures are the medians of the rounds, with the ratio
of each service principals' shape to the users' one (`sp_get_by_id` to `get_by_id`, ...). Seed
both kinds for them:

    .venv/bin/idprotect seed --users 20000 --service-principals 20000 --db sqlite:////path/t.db

--dismiss N also dismisses N atRisk principals of each kind, 60 ids per POST, one after another,
each kind on a scratch copy of the (SQLite) database made for the round, the kinds taking turns
10 POSTs at a time: principals dismissed per second of this process's wall time and of its CPU
time (the database threads' included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.harness import DISMISS_BATCH, copy_sqlite, mint_token, principal_ids
from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.settings import Settings

V1 = "/v1.0/identityProtection"
FILTER = "riskState eq 'atRisk' and riskLevel eq 'high'"
ROLES = (
    "IdentityRiskyUser.ReadWrite.All,IdentityRiskEvent.Read.All,"
    "IdentityRiskyServicePrincipal.ReadWrite.All"
)
COLLECTIONS = {
    USER.name: f"{V1}/riskyUsers",
    SERVICE_PRINCIPAL.name: f"{V1}/riskyServicePrincipals",
}
Request = tuple[str, str, bytes]  # method, path?query, body


@dataclass(frozen=True, slots=True)
class Shape:
    """GETs of one kind: the path and query of the i-th request, given atRisk ids of it."""

    kind: PrincipalKind
    request: Callable[[list[str], int], tuple[str, str]]


def _by_id(kind: PrincipalKind, suffix: str = "") -> Shape:
    collection = COLLECTIONS[kind.name]
    return Shape(kind, lambda ids, i: (f"{collection}/{ids[i % len(ids)]}{suffix}", ""))


def _fixed(kind: PrincipalKind, path: str, query: str = "") -> Shape:
    return Shape(kind, lambda ids, i: (path, query))


_TOP_HIGH = f"$filter={quote(FILTER)}&$top=100"
SHAPES: dict[str, Shape] = {
    "get_by_id": _by_id(USER),
    "list": _fixed(USER, COLLECTIONS[USER.name]),
    "filter": _fixed(USER, COLLECTIONS[USER.name], _TOP_HIGH),
    "history": _by_id(USER, "/history"),
    "detections": _fixed(USER, f"{V1}/riskDetections"),
    "sp_get_by_id": _by_id(SERVICE_PRINCIPAL),
    "sp_list": _fixed(SERVICE_PRINCIPAL, COLLECTIONS[SERVICE_PRINCIPAL.name]),
    "sp_filter": _fixed(SERVICE_PRINCIPAL, COLLECTIONS[SERVICE_PRINCIPAL.name], _TOP_HIGH),
    "sp_history": _by_id(SERVICE_PRINCIPAL, "/history"),
}
# Each service principals' shape and the users' shape it is held to.
PAIRS = {name: name.removeprefix("sp_") for name in SHAPES if name.startswith("sp_")}


async def request(
    app: Any, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
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
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def cpu_per_request(
    app: Any,
    shapes: dict[str, Shape],
    ids: dict[str, list[str]],
    headers: list[tuple[bytes, bytes]],
    *,
    count: int,
    block: int,
) -> dict[str, float]:
    """µs of this process's CPU per request of each shape (after a warm-up of 50 each): the
    shapes take turns, `block` requests at a time, so that a change in the machine's load
    falls on all of them alike."""
    spent: dict[str, float] = defaultdict(float)
    for shape in shapes.values():
        kind_ids = ids[shape.kind.name]
        for i in range(50):
            status = await request(app, *shape.request(kind_ids, i), headers)
            if status != 200:
                raise RuntimeError(f"{shape.request(kind_ids, i)} answered {status}")
    for start in range(0, count, block):
        for name, shape in shapes.items():
            kind_ids = ids[shape.kind.name]
            started = time.process_time()
            for i in range(start, min(start + block, count)):
                await request(app, *shape.request(kind_ids, i), headers)
            spent[name] += time.process_time() - started
    return {name: seconds / count * 1e6 for name, seconds in spent.items()}


@dataclass(slots=True)
class Dismissing:
    """One kind's dismiss requests against its own scratch copy, and the time they took."""

    kind: PrincipalKind
    app: Any
    bodies: list[bytes]
    wall: float = 0.0
    cpu: float = 0.0


async def dismissed_per_second(
    runs: list[Dismissing], headers: list[tuple[bytes, bytes]], *, block: int
) -> None:
    """Each kind's POSTs in turns of `block` requests, timed apart (wall and CPU)."""
    for start in range(0, max(len(run.bodies) for run in runs), block):
        for run in runs:
            path = f"{COLLECTIONS[run.kind.name]}/dismiss"
            wall, cpu = time.perf_counter(), time.process_time()
            for body in run.bodies[start : start + block]:
                length = str(len(body)).encode()
                sent = [
                    *headers,
                    (b"content-type", b"application/json"),
                    (b"content-length", length),
                ]
                status = await request(run.app, path, "", sent, body)
                if status != 204:
                    raise RuntimeError(f"POST {path} answered {status}")
            run.wall += time.perf_counter() - wall
            run.cpu += time.process_time() - cpu


def measure_dismiss(
    db_url: str, count: int, headers: list[tuple[bytes, bytes]], kinds: list[PrincipalKind]
) -> dict[str, tuple[float, float]]:
    """Dismiss `count` atRisk principals of each kind, each kind in a scratch copy of the
    database, in turns of 10 requests: per kind, principals dismissed per second of wall time
    and of CPU time."""
    with tempfile.TemporaryDirectory(prefix="idprotect-bench-cpu-") as work:
        runs = []
        for kind in kinds:
            copy = copy_sqlite(db_url, Path(work) / f"{kind.name}.db")
            ids = principal_ids(copy, kind, "atRisk", count)
            if len(ids) < count:
                raise RuntimeError(f"{len(ids)} atRisk {kind.plural} to dismiss, not {count}")
            bodies = [
                json.dumps({kind.ids_field: ids[i : i + DISMISS_BATCH]}).encode()
                for i in range(0, len(ids), DISMISS_BATCH)
            ]
            runs.append(
                Dismissing(kind, create_app(Settings(database_url=copy, auth="on")), bodies)
            )
        try:
            asyncio.run(dismissed_per_second(runs, headers, block=10))
        finally:
            for run in runs:
                run.app.state.database.dispose()
    return {run.kind.name: (count / run.wall, count / run.cpu) for run in runs}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="a seeded database (only read)")
    parser.add_argument("--requests", type=int, default=2000, help="of each shape per round")
    parser.add_argument("--block", type=int, default=100, help="requests of a shape per turn")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dismiss", type=int, default=0, help="atRisk principals of each kind to dismiss"
    )
    return parser.parse_args()


def run_round(
    round_: int, args: argparse.Namespace, figures: dict[str, list[float]], context: Any
) -> None:
    """Every shape, then dismiss of each kind, in orders rotated by the round."""
    app, headers, ids = context
    names = args.shapes.split(",")
    names = names[round_ % len(names) :] + names[: round_ % len(names)]
    shapes = {name: SHAPES[name] for name in names}
    found = asyncio.run(
        cpu_per_request(app, shapes, ids, headers, count=args.requests, block=args.block)
    )
    for name, figure in found.items():
        figures[name].append(figure)
    kinds = [USER, SERVICE_PRINCIPAL] if round_ % 2 == 0 else [SERVICE_PRINCIPAL, USER]
    if args.dismiss:
        for kind, (wall, cpu) in measure_dismiss(args.db, args.dismiss, headers, kinds).items():
            figures[f"dismiss_{kind}_per_s"].append(wall)
            figures[f"dismiss_{kind}_per_cpu_s"].append(cpu)


def summary(figures: dict[str, list[float]]) -> dict[str, object]:
    medians = {name: statistics.median(runs) for name, runs in figures.items()}
    ratios = {
        f"{sp}/{user}": medians[sp] / medians[user]
        for sp, user in PAIRS.items()
        if sp in medians and user in medians
    }
    for per in ("per_s", "per_cpu_s"):
        sp, user = f"dismiss_{SERVICE_PRINCIPAL.name}_{per}", f"dismiss_{USER.name}_{per}"
        if sp in medians:
            ratios[f"{sp}/{user}"] = medians[sp] / medians[user]
    return {
        "cpu_us_per_request": {n: round(m) for n, m in medians.items() if "dismiss" not in n},
        "dismissed": {n: round(m) for n, m in medians.items() if "dismiss" in n},
        "ratios": {n: round(r, 3) for n, r in ratios.items()},
        "rounds": {n: [round(r) for r in runs] for n, runs in figures.items()},
    }


def main() -> None:
    args = parse_args()
    token = mint_token(args.db, app="bench", roles=ROLES)
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())]
    ids = {
        kind.name: principal_ids(args.db, kind, "atRisk", 2000)
        for kind in (USER, SERVICE_PRINCIPAL)
    }
    app = create_app(Settings(database_url=args.db, auth="on"))
    figures: dict[str, list[float]] = defaultdict(list)
    for round_ in range(args.rounds):
        run_round(round_, args, figures, (app, headers, ids))
    result = summary(figures)
    print(json.dumps({"tenant": DEMO_TENANT_ID, "load_average": _load_average(), **result}))
    print()
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    """The medians, and each service principals' figure beside the users' one."""
    cpu, dismissed, ratios = result["cpu_us_per_request"], result["dismissed"], result["ratios"]
    lines = ["| shape | users | service principals | service principals / users |"]
    lines.append("|---|---:|---:|---:|")
    for sp, user in PAIRS.items():
        if sp in cpu and user in cpu:
            ratio = ratios[f"{sp}/{user}"]
            lines.append(f"| {user} (CPU µs/request) | {cpu[user]} | {cpu[sp]} | {ratio:.3f} |")
    for per, unit in (("per_s", "per s"), ("per_cpu_s", "per CPU s")):
        sp, user = f"dismiss_{SERVICE_PRINCIPAL.name}_{per}", f"dismiss_{USER.name}_{per}"
        if sp in dismissed:
            ratio = ratios[f"{sp}/{user}"]
            lines.append(
                f"| dismiss (dismissed {unit}) | {dismissed[user]:,} | {dismissed[sp]:,} "
                f"| {ratio:.3f} |"
            )
    return "\n".join(lines)


def _load_average() -> str:
    return Path("/proc/loadavg").read_text().strip()


if __name__ == "__main__":
    main()
