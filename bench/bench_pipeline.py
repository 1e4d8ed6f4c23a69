"""The request pipeline's targets side by side in one run: five GET shapes, dismiss throughput,
two server processes against one, and each worker's peak memory, every figure beside the bare
ASGI app under the same uvicorn; and risky service principals' GET by id, list and dismiss
beside the users'.

    .venv/bin/python -m bench.bench_pipeline [--users 100000] [--service-principals 0]
        [--seconds 5] [--rounds 3] [--connections 32] [--db URL] [--keep]
        [--shapes get_by_id,list,...] [--workers 1] [--no-workers-compare] [--dismiss 30000]
        [--postgres]

Without --db a fresh SQLite file is seeded (`idprotect seed --users N --service-principals M`,
demo tenant); --db takes an already seeded database (SQLite or `postgresql+psycopg://...`). Every
server runs with `--auth on`; requests carry an app-only token of the built-in issuer with the
roles below, and before each measurement one request must answer 200 and the same request
without the token 401. Load is `wrk -t1 -c32`, 2 s of warm-up, then --seconds measured; any
non-2xx fails the run.

Each round runs the bare app, then one server of --workers processes taking the shapes in an
order that rotates from round to round, then (the two alternate) a server of the other worker
count (2, or 1 when --workers is not 1) taking GET by id and the list, then dismiss. Figures
are the medians of the rounds; ratios are ratios of medians. Dismiss always runs on a scratch
copy of the database (a file copy, or CREATE DATABASE ... TEMPLATE), so the one given is left
as it was: 60 ids per POST, 4 client threads, --dismiss atRisk users (or service principals).
--postgres also creates a database of its own on --pg-admin's server (never the test suite's),
seeds --users users (and --service-principals) into it, runs dismiss there with --pg-workers
processes in every round, and drops it at the end.

The service principals' shapes (sp_get_by_id, sp_list, sp_dismiss) run when the database holds
enough atRisk service principals, and each is also given over the users' same shape
(`sp_vs_users`: the median of the rounds' ratios, each taken within one round); their dismiss
alternates with the users' from round to round. List each beside its users' shape in --shapes
(get_by_id,sp_get_by_id,...) so that the two run one after the other.

Peak memory is each worker's VmHWM, read from /proc after its server's load. Prints the
figures as JSON, then a Markdown table. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from sqlalchemy.engine import make_url

from bench.harness import (
    RISKY,
    RISKY_SERVICE_PRINCIPALS,
    bare_server,
    copy_sqlite,
    count_users,
    create_postgres_database,
    dismiss_throughput,
    drop_postgres_database,
    idprotect_server,
    is_sqlite,
    mint_token,
    peak_memory_mb,
    principal_ids,
    seed,
    stop,
    worker_pids,
    wrk_id_script,
    wrk_requests_per_second,
)
from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER, PrincipalKind

ROLES = (
    "IdentityRiskyUser.ReadWrite.All,IdentityRiskEvent.Read.All,"
    "IdentityRiskyServicePrincipal.ReadWrite.All"
)
LIST = "/v1.0/identityProtection/riskyUsers"
SP_LIST = "/v1.0/identityProtection/riskyServicePrincipals"
DETECTIONS = "/v1.0/identityProtection/riskDetections"
FILTER = {"$filter": "riskState eq 'atRisk' and riskLevel eq 'high'", "$top": "100"}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RANDOM_IDS = 2_000
DISMISS = "dismiss"
SP_DISMISS = "sp_dismiss"
DISMISS_CLIENTS = 4
# What each dismiss shape dismisses: its kind, and where (its collection, with a slash).
DISMISSES = {DISMISS: (USER, RISKY), SP_DISMISS: (SERVICE_PRINCIPAL, RISKY_SERVICE_PRINCIPALS)}


@dataclass(frozen=True, slots=True)
class Shape:
    """A GET: one fixed path, or `path` + a random one of the ids of `kind` + `per_id` (a Lua
    script)."""

    name: str
    path: str
    per_id: str | None = None
    kind: PrincipalKind = USER

    def sample(self, ids: dict[str, list[str]]) -> str:
        if self.per_id is None:
            return self.path
        return self.path + ids[self.kind.name][0] + self.per_id


SHAPES = {
    shape.name: shape
    for shape in (
        Shape("get_by_id", RISKY, per_id=""),
        Shape("list", LIST),
        Shape("filter", f"{LIST}?{urlencode(FILTER, quote_via=quote)}"),
        Shape("history", RISKY, per_id="/history"),
        Shape("detections", DETECTIONS),
        Shape("sp_get_by_id", RISKY_SERVICE_PRINCIPALS, per_id="", kind=SERVICE_PRINCIPAL),
        Shape("sp_list", SP_LIST, kind=SERVICE_PRINCIPAL),
    )
}
WORKER_SHAPES = ("get_by_id", "list")  # what the other worker count is measured on
SHAPE_NAMES = ",".join([*SHAPES, *DISMISSES])
KINDS = (USER, SERVICE_PRINCIPAL)
# Each service principals' shape and the users' shape it is held to.
SP_PAIRS = {"sp_get_by_id": "get_by_id", "sp_list": "list", SP_DISMISS: DISMISS}


@dataclass(frozen=True, slots=True)
class Target:
    """A seeded database, the bearer token's headers for it, and the ids wrk asks for (atRisk
    principals of each kind, by the kind's name)."""

    db_url: str
    headers: dict[str, str]
    ids: dict[str, list[str]]


@dataclass(slots=True)
class Figures:
    """Per-round figures by name: req/s (or users/s for dismiss), and workers' peak RSS."""

    rates: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_mb: dict[str, list[list[float]]] = field(default_factory=lambda: defaultdict(list))


def check_answers(base: str, path: str, headers: dict[str, str]) -> None:
    """The request answers 200 with the token and 401 without it."""
    with_token = httpx.get(base + path, headers=headers, timeout=30).status_code
    without = httpx.get(base + path, timeout=30).status_code
    if (with_token, without) != (200, 401):
        raise RuntimeError(f"GET {path}: {with_token} with the token, {without} without")


def measure_bare(target: Target, work: Path, args: argparse.Namespace) -> float:
    """The ceiling: the bare app under the same uvicorn, GET by id's URL, the same headers."""
    server, base = bare_server(work / "bare.log")
    try:
        url = base + SHAPES["get_by_id"].sample(target.ids)
        if httpx.get(url, timeout=30).status_code != 200:
            raise RuntimeError("the bare app did not answer 200")
        return wrk_requests_per_second(
            url,
            lua=None,
            seconds=args.seconds,
            connections=args.connections,
            headers=target.headers,
        )
    finally:
        stop(server)


def serve(db_url: str, log: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """`idprotect serve --auth on`, once each of its `workers` processes has started."""
    logged = log.stat().st_size if log.exists() else 0
    server, base = idprotect_server(db_url, log, auth="on", workers=workers)
    deadline = time.monotonic() + 60
    while log.read_bytes()[logged:].count(b"Application startup complete") < workers:
        if time.monotonic() > deadline or server.poll() is not None:
            stop(server)
            raise RuntimeError(f"{workers} workers did not all start; see {log}")
        time.sleep(0.1)
    return server, base


def measure_service(
    target: Target, shapes: Sequence[Shape], workers: int, work: Path, args: argparse.Namespace
) -> tuple[dict[str, float], list[float]]:
    """Req/s of each shape against one `idprotect serve --auth on` of `workers` processes,
    and the peak RSS of each of its workers."""
    server, base = serve(target.db_url, work / f"server-workers{workers}.log", workers)
    try:
        rates = {}
        for shape in shapes:
            check_answers(base, shape.sample(target.ids), target.headers)
            lua = work / f"{shape.name}.lua" if shape.per_id is not None else None
            rates[shape.name] = wrk_requests_per_second(
                base + shape.path,
                lua=lua,
                seconds=args.seconds,
                connections=args.connections,
                headers=target.headers,
            )
        return rates, [peak_memory_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        stop(server)


@contextmanager
def scratch_copy(db_url: str, work: Path, name: str) -> Iterator[str]:
    """A copy of the database to dismiss users in, removed afterwards."""
    if is_sqlite(db_url):
        path = work / f"{name}.db"
        try:
            yield copy_sqlite(db_url, path)
        finally:
            for leftover in work.glob(f"{name}.db*"):
                leftover.unlink()
        return
    source = make_url(db_url).database
    copy_url = create_postgres_database(db_url, f"{source}_{name}", template=source)
    try:
        yield copy_url
    finally:
        drop_postgres_database(copy_url)


def measure_dismiss(
    target: Target,
    workers: int,
    work: Path,
    args: argparse.Namespace,
    *,
    name: str,
    dismiss: str = DISMISS,
) -> tuple[float, list[float]]:
    """Principals/s dismissing --dismiss atRisk principals of a scratch copy (users, or the kind
    of `dismiss`), and the workers' peak RSS."""
    kind, collection = DISMISSES[dismiss]
    with scratch_copy(target.db_url, work, name) as db_url:
        ids = principal_ids(db_url, kind, "atRisk", args.dismiss)
        if len(ids) < args.dismiss:
            raise RuntimeError(f"{len(ids)} atRisk {kind.plural} to dismiss, not {args.dismiss}")
        server, base = serve(db_url, work / f"{name}.log", workers)
        try:
            check_answers(base, LIST, target.headers)
            refused = httpx.post(
                f"{base}{collection}dismiss", json={kind.ids_field: ids[:1]}, timeout=30
            )
            if refused.status_code != 401:
                raise RuntimeError(f"dismiss without a token answered {refused.status_code}")
            rate, _ = dismiss_throughput(
                base,
                ids,
                clients=DISMISS_CLIENTS,
                headers=target.headers,
                collection=collection,
                ids_field=kind.ids_field,
            )
            return rate, [peak_memory_mb(pid) for pid in worker_pids(server.pid)]
        finally:
            stop(server)


def rotated(items: Sequence[Shape], by: int) -> list[Shape]:
    if not items:
        return []
    by %= len(items)
    return [*items[by:], *items[:by]]


def run_round(
    round_: int,
    targets: dict[str, Target],
    work: Path,
    args: argparse.Namespace,
    figures: Figures,
) -> None:
    """Bare, the two servers (in alternating order, shapes rotated), then dismiss."""
    seeded = targets["seeded"]
    figures.rates["bare"].append(measure_bare(seeded, work, args))
    shapes = [SHAPES[name] for name in args.shapes if name in SHAPES]
    blocks: list[tuple[int, list[Shape]]] = [(args.workers, rotated(shapes, round_))]
    if args.workers_compare:
        compared = [shape for shape in shapes if shape.name in WORKER_SHAPES]
        blocks.append((other_workers(args), rotated(compared, round_)))
    for workers, block in blocks if round_ % 2 == 0 else blocks[::-1]:
        if not block:
            continue
        rates, rss = measure_service(seeded, block, workers, work, args)
        for name, rate in rates.items():
            figures.rates[label(name, workers, args)].append(rate)
        figures.rss_mb[f"GET shapes, workers {workers}"].append(rss)
    dismisses = [name for name in DISMISSES if name in args.shapes]
    for dismiss in dismisses if round_ % 2 == 0 else dismisses[::-1]:
        for backend, target in targets.items():
            workers = args.pg_workers if backend == "postgres" else args.workers
            rate, rss = measure_dismiss(
                target, workers, work, args, name=f"d{round_}", dismiss=dismiss
            )
            key = f"{dismiss} {backend_name(target.db_url)}, workers {workers}"
            figures.rates[key].append(rate)
            figures.rss_mb[key].append(rss)


def other_workers(args: argparse.Namespace) -> int:
    return 2 if args.workers == 1 else 1


def label(shape: str, workers: int, args: argparse.Namespace) -> str:
    return shape if workers == args.workers else f"{shape}, workers {workers}"


def backend_name(db_url: str) -> str:
    return "sqlite" if is_sqlite(db_url) else "postgresql"


def prepare(db_url: str, work: Path) -> Target:
    """Mint the bench token for `db_url` and write the wrk scripts of the per-id shapes."""
    ids = {kind.name: principal_ids(db_url, kind, "atRisk", RANDOM_IDS) for kind in KINDS}
    token = mint_token(db_url, app="bench", roles=ROLES, lifetime="1d")
    headers = {"Authorization": f"Bearer {token}"}
    for shape in SHAPES.values():
        if shape.per_id is not None and ids[shape.kind.name]:
            wrk_id_script(
                work / f"{shape.name}.lua",
                shape.path,
                ids[shape.kind.name],
                url_suffix=shape.per_id,
            )
    return Target(db_url=db_url, headers=headers, ids=ids)


@contextmanager
def postgres_target(args: argparse.Namespace) -> Iterator[Target]:
    """A database of our own on the PostgreSQL server, seeded with --users users, dropped after."""
    db_url = create_postgres_database(args.pg_admin, f"bench_{os.getpid()}")
    try:
        seed(db_url, args.users, service_principals=args.service_principals)
        token = mint_token(db_url, app="bench", roles=ROLES, lifetime="1d")
        yield Target(db_url=db_url, headers={"Authorization": f"Bearer {token}"}, ids={})
    finally:
        drop_postgres_database(db_url)


@dataclass(frozen=True, slots=True)
class Summary:
    """Medians of the rounds, their ratios to the bare app's, and the rounds themselves."""

    median: dict[str, float]
    vs_bare: dict[str, float]  # GET shapes only: dismiss is users/s
    rounds: dict[str, list[float]]
    peak_rss_mb: dict[str, list[list[float]]]
    workers_ratio: dict[str, float]  # more workers / fewer, of the medians
    workers_ratio_name: str
    sp_vs_users: dict[str, float]  # a service principals' figure / the users', by round

    def as_json(self) -> dict[str, object]:
        figures: dict[str, object] = {
            "median": _rounded(self.median, 1),
            "vs_bare": _rounded(self.vs_bare, 3),
            "rounds": {name: [round(r, 1) for r in runs] for name, runs in self.rounds.items()},
            "peak_rss_mb": {
                name: [[round(mb, 1) for mb in rss] for rss in runs]
                for name, runs in self.peak_rss_mb.items()
            },
        }
        if self.workers_ratio:
            figures[self.workers_ratio_name] = _rounded(self.workers_ratio, 3)
        if self.sp_vs_users:
            figures["sp_vs_users"] = _rounded(self.sp_vs_users, 3)
        return figures

    def markdown(self) -> str:
        """A table of the figures (name, median, ratio to bare, each round) and one of memory."""
        lines = ["| shape | median | / bare | rounds |", "|---|---:|---:|---|"]
        for name, median in self.median.items():
            unit = "req/s" if _is_get(name) else "principals/s"
            ratio = f"{self.vs_bare[name]:.3f}" if name in self.vs_bare else "-"
            each = ", ".join(f"{r:,.0f}" for r in self.rounds[name])
            lines.append(f"| {name} | {median:,.0f} {unit} | {ratio} | {each} |")
        for shape, workers_ratio in self.workers_ratio.items():
            lines.append(f"| {shape}: {self.workers_ratio_name} | {workers_ratio:.3f} | | |")
        for name, over_users in self.sp_vs_users.items():
            lines.append(f"| {name}: service principals / users | {over_users:.3f} | | |")
        lines += ["", "| server | peak RSS per worker, MB (each round) |", "|---|---|"]
        for name, runs in self.peak_rss_mb.items():
            each = " / ".join(", ".join(f"{mb:.1f}" for mb in rss) for rss in runs)
            lines.append(f"| {name} | {each} |")
        return "\n".join(lines)


def _rounded(values: dict[str, float], digits: int) -> dict[str, float]:
    return {name: round(value, digits) for name, value in values.items()}


def _is_get(name: str) -> bool:
    return not any(name.startswith(dismiss) for dismiss in DISMISSES)


def sp_vs_users(rates: dict[str, list[float]]) -> dict[str, float]:
    """For each service principals' shape, the median over the rounds of its figure over the
    users' same shape (and workers, and database, for dismiss) in that round: two figures of
    one round were taken within a minute of each other, under much the same load."""
    ratios = {}
    for name, runs in rates.items():
        for sp, user in SP_PAIRS.items():
            if name == sp or name.startswith(f"{sp} ") or name.startswith(f"{sp},"):
                paired = rates.get(user + name.removeprefix(sp))
                if paired:
                    ratios[name] = statistics.median(
                        a / b for a, b in zip(runs, paired, strict=True)
                    )
    return ratios


def summarize(figures: Figures, args: argparse.Namespace) -> Summary:
    medians = {name: statistics.median(rates) for name, rates in figures.rates.items()}
    bare = medians["bare"]
    other = other_workers(args)
    more, fewer = max(args.workers, other), min(args.workers, other)
    ratios = {}
    for shape in WORKER_SHAPES:
        many, few = label(shape, more, args), label(shape, fewer, args)
        if many in medians and few in medians:
            ratios[shape] = medians[many] / medians[few]
    return Summary(
        median=medians,
        vs_bare={n: m / bare for n, m in medians.items() if _is_get(n)},
        rounds=dict(figures.rates),
        peak_rss_mb=dict(figures.rss_mb),
        workers_ratio=ratios,
        workers_ratio_name=f"workers_{more}_vs_{fewer}",
        sp_vs_users=sp_vs_users(figures.rates),
    )


def load_average() -> str:
    return Path("/proc/loadavg").read_text().strip()


def served_code() -> str:
    """Where the servers' `idprotect` comes from (they inherit this environment)."""
    command = [sys.executable, "-c", "import idprotect; print(idprotect.__file__)"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def run(args: argparse.Namespace, work: Path) -> tuple[dict[str, object], Summary]:
    """Seed (without --db), prepare, run the rounds; the JSON figures and their summary."""
    result: dict[str, object] = {"idprotect": served_code(), "load_average_start": load_average()}
    db_url = args.db or f"sqlite:///{work / 'bench.db'}"
    if args.db is None:
        seconds = seed(db_url, args.users, service_principals=args.service_principals)
        result["seed_seconds"] = round(seconds, 1)
    at_risk = count_users(db_url, "atRisk")
    if DISMISS in args.shapes and at_risk < args.dismiss:
        raise SystemExit(f"--dismiss {args.dismiss}: the database has {at_risk} atRisk users")
    result |= {"db": db_url, "users": count_users(db_url), "at_risk_users": at_risk}
    args.shapes = _with_service_principals(args, db_url, result)
    result |= {name: getattr(args, name) for name in ("rounds", "seconds", "connections")}
    result |= {"workers": args.workers, "dismiss_users": args.dismiss}
    targets = {"seeded": prepare(db_url, work)}
    figures = Figures()
    with _maybe_postgres(args) as postgres:
        if postgres is not None:
            targets["postgres"] = postgres
        for round_ in range(args.rounds):
            run_round(round_, targets, work, args, figures)
    summary = summarize(figures, args)
    result |= summary.as_json()
    result["load_average_end"] = load_average()
    return result, summary


def _with_service_principals(
    args: argparse.Namespace, db_url: str, result: dict[str, object]
) -> list[str]:
    """The shapes to run: a service principals' one only if the database has the atRisk
    service principals it needs (the result says which were left out, and why)."""
    needs = {name: args.dismiss if name == SP_DISMISS else 1 for name in SP_PAIRS}
    wanted = max((needs[name] for name in args.shapes if name in needs), default=0)
    found = len(principal_ids(db_url, SERVICE_PRINCIPAL, "atRisk", wanted)) if wanted else 0
    result["at_risk_service_principals_up_to"] = found
    left_out = [name for name in args.shapes if needs.get(name, 0) > found]
    if left_out:
        result["left_out"] = f"{left_out}: {found} atRisk service principals"
    return [name for name in args.shapes if name not in left_out]


@contextmanager
def _maybe_postgres(args: argparse.Namespace) -> Iterator[Target | None]:
    if not args.postgres:
        yield None
        return
    with postgres_target(args) as target:
        yield target


def shape_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in {*SHAPES, *DISMISSES}]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown shapes {unknown}; the shapes: {SHAPE_NAMES}")
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--users", type=int, default=100_000, help="users to seed (default 100,000)")
    add("--service-principals", type=int, default=0, help="service principals to seed")
    add("--seconds", type=int, default=5, help="measured seconds per wrk run")
    add("--rounds", type=int, default=3)
    add("--connections", type=int, default=32, help="wrk connections")
    add("--db", help="a seeded database URL (default: a fresh SQLite file, seeded)")
    add("--keep", action="store_true", help="keep the work directory (and its seeded file)")
    add(
        "--shapes",
        type=shape_list,
        default=[*SHAPES, *DISMISSES],
        help=f"a subset of {SHAPE_NAMES}",
    )
    add("--workers", type=int, default=1, help="server processes (default 1)")
    add("--workers-compare", action=argparse.BooleanOptionalAction, default=True)
    add(
        "--dismiss",
        type=int,
        default=30_000,
        help="atRisk users dismissed per round (a seed makes about 83%% of its users atRisk)",
    )
    add("--postgres", action="store_true", help="also dismiss on PostgreSQL (own database)")
    add("--pg-admin", default=PG_ADMIN, help="a URL of the PostgreSQL server to use")
    add("--pg-workers", type=int, default=2, help="server processes for dismiss on PostgreSQL")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-pipeline-"))
    try:
        result, summary = run(args, work)
        print(json.dumps(result, indent=2))
        print()
        print(summary.markdown())
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
