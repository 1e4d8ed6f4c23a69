"""Benchmark plumbing: seeding, tokens, server processes, wrk runs, memory readings."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import httpx
from sqlalchemy import create_engine, select

from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.store.tables import users

AuthMode = Literal["on", "off"]
RISKY = "/v1.0/identityProtection/riskyUsers/"
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


def seed(db_url: str, count: int) -> float:
    """Seed `count` generated users into the demo tenant; the seconds it took."""
    started = time.perf_counter()
    idprotect_cli("seed", "--users", str(count), "--db", db_url)
    return time.perf_counter() - started


def mint_token(db_url: str, *, app: str, roles: str) -> str:
    """An app-only bearer token of the built-in issuer (the last line `idprotect token` prints)."""
    output = idprotect_cli("token", "--db", db_url, "--app", app, "--roles", roles)
    return output.strip().splitlines()[-1]


def user_ids(db_url: str, state: str, limit: int) -> list[str]:
    """Up to `limit` ids of the demo tenant's users in risk state `state`."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            query = (
                select(users.c.id)
                .where(users.c.tenant_id == DEMO_TENANT_ID, users.c.risk_state == state)
                .limit(limit)
            )
            return [row.id for row in connection.execute(query)]
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
    db_url: str, log: Path, *, auth: AuthMode = "off"
) -> tuple[subprocess.Popen[bytes], str]:
    """`idprotect serve` (one process, no access log); `serve` itself defaults to auth on."""
    command = [sys.executable, "-m", "idprotect", "serve", "--auth", auth, "--db", db_url]
    return start([*command, "--no-access-log"], ready_path="/v1.0/identityProtection", log=log)


def bare_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--no-access-log"]
    return start([*command, "--log-level", "warning"], ready_path="/", log=log)


def run_wrk(url: str, *, lua: Path | None, seconds: int, connections: int) -> str:
    """wrk's report; one wrk thread, since the server has the other core."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if lua is not None:
        command += ["-s", str(lua)]
    return subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout


def wrk_requests_per_second(
    url: str, *, lua: Path | None, seconds: int, connections: int, warmup: int = 2
) -> float:
    """Requests/s as wrk measures them, after `warmup` seconds of unmeasured load.

    Any non-2xx/3xx response or socket error fails the run: a fast error is no result.
    """
    if warmup > 0:
        run_wrk(url, lua=lua, seconds=warmup, connections=connections)
    output = run_wrk(url, lua=lua, seconds=seconds, connections=connections)
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
    path: Path, url_prefix: str, ids: list[str], headers: dict[str, str] | None = None
) -> Path:
    """A wrk Lua script that asks for a random one of `ids` on every request.

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
        f'  return wrk.format("GET", {_lua_string(url_prefix)} .. ids[math.random(#ids)])\n'
        "end\n"
    )
    return path


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")
