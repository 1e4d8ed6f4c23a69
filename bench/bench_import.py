"""Sign-ins through the product's own path, streamed: `idprotect signins generate` writes
`--days` ordinary days and a day with attacks (JSON Lines, one process), then `idprotect signins
import` runs them through the risk engine into a fresh SQLite database (another process), as an
operator would feed a day of their identity provider's log. The import's memory is what the
engine holds, not a population held by the benchmark.

    .venv/bin/python -m bench.bench_import [--sign-ins 1000000 | --users N] [--days 14]
        [--seed 7] [--keep]

Prints: sign-ins imported, wall and CPU seconds, sign-ins per second and per CPU second, the
import process's RSS sampled every second (by each tenth of the run) and its peak, and the
detections by riskEventType (the import's tally).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

DAY = datetime(2026, 11, 16, tzinfo=UTC)
_SIGN_INS_PER_USER_DAY = 3.0  # what the generator draws, typos and weekends included


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "idprotect", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"idprotect {' '.join(args)} failed:\n{done.stderr}")
    return done


def memory_mb(pid: int) -> tuple[float, float] | None:
    """The process's RSS and its peak so far (VmRSS, VmHWM); None once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
    if "VmRSS" not in found or "VmHWM" not in found:
        return None
    return int(found["VmRSS"].split()[0]) / 1024, int(found["VmHWM"].split()[0]) / 1024


def generate(work: Path, args: argparse.Namespace) -> tuple[Path, float]:
    out, feeds = work / "signins.jsonl", work / "feeds"
    started = time.perf_counter()
    cli(
        *("signins", "generate", "--users", str(args.users), "--seed", str(args.seed)),
        *("--day", DAY.date().isoformat(), "--history-days", str(args.days)),
        *("--out", str(out), "--feeds", str(feeds)),
    )
    return out, time.perf_counter() - started


def load_lists(work: Path, db: str) -> None:
    feeds = work / "feeds"
    for name in ("anonymizer", "malicious"):
        cli("signins", "lists", "set", name, str(feeds / f"{name}.txt"), "--db", db)
    cli("signins", "lists", "leaked", str(feeds / "leaked.txt"), "--db", db)


def run_import(file: Path, db: str) -> dict[str, object]:
    """The import in a process of its own, its RSS read every second."""
    command = [sys.executable, "-m", "idprotect", "signins", "import", str(file)]
    samples: list[tuple[float, float]] = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with subprocess.Popen(
        [*command, "--db", db, "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                found = memory_mb(process.pid)
                if found is not None:
                    samples.append(found)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output, _ = process.communicate()
        stop.set()
        sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"import failed ({process.returncode})")
    tally = json.loads(output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tenths = [samples[min(len(samples) - 1, len(samples) * i // 10)][0] for i in range(11)]
    return {
        "tally": tally,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        # VmHWM at the last reading, a second at most before the import ended.
        "peak_rss_mb": round(samples[-1][1]) if samples else None,
        "rss_mb_by_tenth": [round(mb) for mb in tenths] if samples else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--sign-ins", type=int, help="about this many in all (sets --users)")
    parser.add_argument("--days", type=int, default=14, help="ordinary days before")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.sign_ins:
        per_user = _SIGN_INS_PER_USER_DAY * (args.days + 1)
        args.users = max(100, round(args.sign_ins / per_user))
    work = Path(tempfile.mkdtemp(prefix="idprotect-bench-import-"))
    database = work / "engine.db"
    db = f"sqlite:///{database}"
    try:
        file, generate_seconds = generate(work, args)
        cli("db", "upgrade", "--db", db)
        load_lists(work, db)
        figures = run_import(file, db)
        imported = int(figures["tally"]["ingested"])  # type: ignore[index]
        result = {
            "users": args.users,
            "file_mb": round(file.stat().st_size / 2**20),
            "generate_seconds": round(generate_seconds, 1),
            **figures,
            "sign_ins_per_second": round(imported / float(figures["wall_seconds"])),  # type: ignore[arg-type]
            "sign_ins_per_cpu_second": round(imported / float(figures["cpu_seconds"])),  # type: ignore[arg-type]
            "database_mb": round(database.stat().st_size / 2**20),
        }
        print(json.dumps(result, indent=2))
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
