"""Benchmark plumbing: seeding, tokens, server processes, wrk runs, memory readings."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal

import httpx
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.domain.kinds import USER, PrincipalKind
from idprotect.store.kinds import stored
from idprotect.store.tables import users

AuthMode = Literal["on", "off"]
RISKY = "/v1.0/identityProtection/riskyUsers/"
RISKY_SERVICE_PRINCIPALS = "/v1.0/identityProtection/riskyServicePrincipals/"
_WRK_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


def idprotect_cli(*args: str) -> str:
    """Run `idprotect ARGS` in this interpreter; its stdout, or its stderr in the error."""
    command = [sys.executable, "-m", "idprotect", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"idprotect {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def seed(db_url: str, count: int, *, service_principals: int = 0) -> float:
    """Seed `count` generated users (and `service_principals` risky service principals) into
    the demo tenant; the seconds it took."""
    started = time.perf_counter()
    others = ("--service-principals", str(service_principals)) if service_principals else ()
    idprotect_cli("seed", "--users", str(count), *others, "--db", db_url)
    return time.perf_counter() - started


def mint_token(db_url: str, *, app: str, roles: str, lifetime: str | None = None) -> str:
    """An app-only bearer token of the built-in issuer (the last line `idprotect token` prints);
    `lifetime` (e.g. "4h") overrides the CLI's default of an hour."""
    extra = ("--lifetime", lifetime) if lifetime else ()
    output = idprotect_cli("token", "--db", db_url, "--app", app, "--roles", roles, *extra)
    return output.strip().splitlines()[-1]


def user_ids(db_url: str, state: str, limit: int) -> list[str]:
    """Up to `limit` ids of the demo tenant's users in risk state `state`."""
    return principal_ids(db_url, USER, state, limit)


def principal_ids(db_url: str, kind: PrincipalKind, state: str, limit: int) -> list[str]:
    """Up to `limit` ids of the demo tenant's principals of `kind` in risk state `state`."""
    table = stored(kind).principals
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            query = (
                select(table.c.id)
                .where(table.c.tenant_id == DEMO_TENANT_ID, table.c.risk_state == state)
                .limit(limit)
            )
            return [row.id for row in connection.execute(query)]
    finally:
        engine.dispose()


def count_users(db_url: str, state: str | None = None) -> int:
    """How many users the demo tenant has (in risk state `state`, if given)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(users)
            query = query.where(users.c.tenant_id == DEMO_TENANT_ID)
            if state is not None:
                query = query.where(users.c.risk_state == state)
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], *, ready_path: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server process on a free port (the command gets `--port`), wait until it answers."""
    port = free_port()
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited; see {log}")
        try:
            httpx.get(base + ready_path, timeout=1)  # any answer, even a 401, means it is up
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{command} did not start; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server we started and reap it (killed if it does not stop in 10 s)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def idprotect_server(
    db_url: str, log: Path, *, auth: AuthMode = "off", workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """`idprotect serve` (no access log; `workers` processes); `serve` defaults to auth on."""
    command = [sys.executable, "-m", "idprotect", "serve", "--auth", auth, "--db", db_url]
    command += ["--workers", str(workers), "--no-access-log"]
    return start(command, ready_path="/v1.0/identityProtection", log=log)


def bare_server(log: Path, *, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """bench/bare_app.py under uvicorn with the options `idprotect serve` gives it."""
    command = [sys.executable, "-m", "bench.bare_app", "--workers", str(workers)]
    return start(command, ready_path="/", log=log)


def worker_pids(pid: int) -> list[int]:
    """The processes that serve requests: `pid` itself, or with uvicorn's `--workers` > 1 its
    children that multiprocessing spawned (not its resource tracker)."""
    children = [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    workers = [c for c in children if b"multiprocessing.spawn" in _cmdline(c)]
    return sorted(workers) or [pid]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it exited meanwhile
        return b""


def run_wrk(
    url: str,
    *,
    lua: Path | None,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
) -> str:
    """wrk's report; one wrk thread, since the server has the other core. `headers` are sent
    with every request (`-H`; a Lua script may set its own)."""
    # A 10 s timeout: a request slower than wrk's default 2 s under saturation is a tail, not
    # a failure (docs/performance.md reports the tails).
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if lua is not None:
        command += ["-s", str(lua)]
    return subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout


def wrk_requests_per_second(
    url: str,
    *,
    lua: Path | None,
    seconds: int,
    connections: int,
    warmup: int = 2,
    headers: dict[str, str] | None = None,
) -> float:
    """Requests/s as wrk measures them, after `warmup` seconds of unmeasured load.

    Any non-2xx/3xx response or socket error fails the run: a fast error is no result.
    """
    if warmup > 0:
        run_wrk(url, lua=lua, seconds=warmup, connections=connections, headers=headers)
    output = run_wrk(url, lua=lua, seconds=seconds, connections=connections, headers=headers)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} failed responses:\n{output}")
    socket_errors = _WRK_SOCKET_ERRORS.search(output)
    if socket_errors and any(int(n) for n in socket_errors.groups()):
        raise RuntimeError(f"wrk saw socket errors:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_id_script(
    path: Path,
    url_prefix: str,
    ids: list[str],
    headers: dict[str, str] | None = None,
    *,
    url_suffix: str = "",
) -> Path:
    """A wrk Lua script that asks for `url_prefix` + a random one of `ids` + `url_suffix` on
    every request.

    `headers` (e.g. Authorization) go into `wrk.headers`, which `wrk.format` sends.
    """
    listed = ",".join(_lua_string(i) for i in ids)
    header_lines = "".join(
        f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}\n"
        for name, value in (headers or {}).items()
    )
    path.write_text(
        f"local ids = {{{listed}}}\n"
        f"{header_lines}"
        "math.randomseed(7)\n"
        "request = function()\n"
        f"  local path = {_lua_string(url_prefix)} .. ids[math.random(#ids)]"
        f" .. {_lua_string(url_suffix)}\n"
        '  return wrk.format("GET", path)\n'
        "end\n"
    )
    return path


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


DISMISS_BATCH = 60  # the most ids one action request may carry


def dismiss_throughput(
    base: str,
    ids: list[str],
    *,
    clients: int,
    headers: dict[str, str] | None = None,
    collection: str = RISKY,
    ids_field: str = "userIds",
) -> tuple[float, int]:
    """Principals (users, unless `collection` and `ids_field` name another kind's) dismissed
    per second: `clients` threads posting 60 ids per request, with `headers` (e.g. a bearer
    token) on every request."""
    batches = [ids[i : i + DISMISS_BATCH] for i in range(0, len(ids), DISMISS_BATCH)]
    shares = [batches[i::clients] for i in range(clients)]
    failures: list[str] = []

    def run(share: list[list[str]]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for batch in share:
                response = client.post(f"{collection}dismiss", json={ids_field: batch})
                if response.status_code != 204:
                    failures.append(f"{response.status_code} {response.text}")

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


def is_sqlite(db_url: str) -> bool:
    return make_url(db_url).get_backend_name() == "sqlite"


def copy_sqlite(db_url: str, path: Path) -> str:
    """A consistent copy of the SQLite database at `db_url` (its WAL included) in `path`."""
    source_path = make_url(db_url).database
    if not source_path:
        raise ValueError(f"{db_url} names no SQLite file")
    source, copy = sqlite3.connect(source_path), sqlite3.connect(path)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return f"sqlite:///{path}"


def _postgres_admin(db_url: str) -> Engine:
    """An autocommit engine on the server's `postgres` database: CREATE/DROP DATABASE."""
    admin_url = make_url(db_url).set(database="postgres")
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def create_postgres_database(db_url: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` on `db_url`'s server (a copy of `template`, if given); its URL.

    A template must have no other sessions while it is copied."""
    statement = f'CREATE DATABASE "{name}"'
    if template is not None:
        statement += f' TEMPLATE "{template}"'
    engine = _postgres_admin(db_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
    return make_url(db_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(db_url: str) -> None:
    """Drop the database `db_url` names, closing its sessions (only databases we created)."""
    name = make_url(db_url).database
    engine = _postgres_admin(db_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
