"""What bearer-token verification costs: GET riskyUser by id with `--auth on` vs `--auth off`.

    .venv/bin/python -m bench.bench_auth [--users 100000] [--seconds 10] [--rounds 2] [--db URL]

Both modes run on the same seeded database in the same run, in ABBA order (off, on, on, off,
...) so that drift on the machine weighs on both alike. The token is an app-only token of the
built-in issuer (`idprotect token --app bench --roles IdentityRiskyUser.Read.All`) for the demo
tenant the seed used; wrk sends it from its Lua script. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import (
    RISKY,
    AuthMode,
    idprotect_server,
    mint_token,
    seed,
    stop,
    user_ids,
    wrk_id_script,
    wrk_requests_per_second,
)

READ_ROLE = "IdentityRiskyUser.Read.All"
MODES: tuple[AuthMode, ...] = ("off", "on")


@dataclass(frozen=True, slots=True)
class Target:
    """The seeded database, the ids wrk asks for, and the bench token's Authorization value."""

    db_url: str
    work: Path
    ids: list[str]
    authorization: str


def check_auth_is_enforced(base: str, user_id: str, authorization: str) -> None:
    """Under `--auth on`: no token is refused (401) and the bench token is accepted (200)."""
    url = base + RISKY + user_id
    without = httpx.get(url, timeout=10).status_code
    with_token = httpx.get(url, headers={"Authorization": authorization}, timeout=10).status_code
    if (without, with_token) != (401, 200):
        raise RuntimeError(f"auth on: no token -> {without}, bench token -> {with_token}")


def measure(target: Target, mode: AuthMode, args: argparse.Namespace) -> float:
    """GET by id requests/s against a fresh server in `mode` (tokens sent only when on)."""
    lua = target.work / f"ids-{mode}.lua"
    server, base = idprotect_server(target.db_url, target.work / f"server-{mode}.log", auth=mode)
    try:
        if mode == "on":
            check_auth_is_enforced(base, target.ids[0], target.authorization)
        return wrk_requests_per_second(
            base + RISKY, lua=lua, seconds=args.seconds, connections=args.connections
        )
    finally:
        stop(server)


def prepare(db_url: str, work: Path) -> Target:
    """Mint the bench token and write the two wrk scripts (the same ids, with/without it)."""
    ids = user_ids(db_url, "atRisk", 2_000)
    authorization = "Bearer " + mint_token(db_url, app="bench", roles=READ_ROLE)
    wrk_id_script(work / "ids-off.lua", RISKY, ids)
    wrk_id_script(work / "ids-on.lua", RISKY, ids, headers={"Authorization": authorization})
    return Target(db_url=db_url, work=work, ids=ids, authorization=authorization)


def abba_order(rounds: int) -> list[AuthMode]:
    """off, on, on, off, off, on...: drift on the machine weighs on both modes alike."""
    return [mode for i in range(rounds) for mode in (MODES if i % 2 == 0 else MODES[::-1])]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs to run (ABBA)")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file, seeded)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args()


def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    results: dict[str, object] = {"users": args.users}
    db_url = args.db
    if db_url is None:
        db_url = f"sqlite:///{work / 'bench.db'}"
        results["seed_seconds"] = round(seed(db_url, args.users), 3)
    target = prepare(db_url, work)
    runs: dict[AuthMode, list[float]] = {"off": [], "on": []}
    for mode in abba_order(args.rounds):
        runs[mode].append(measure(target, mode, args))
    off, on = statistics.median(runs["off"]), statistics.median(runs["on"])
    results["auth_off_rps"] = [round(r, 1) for r in runs["off"]]
    results["auth_on_rps"] = [round(r, 1) for r in runs["on"]]
    results["auth_on_vs_off"] = round(on / off, 3)  # of the medians
    results["auth_on_vs_off_per_round"] = [
        round(on_rps / off_rps, 3) for off_rps, on_rps in zip(runs["off"], runs["on"], strict=True)
    ]
    return results


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-auth-"))
    try:
        print(json.dumps(run(args, work), indent=2))
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
