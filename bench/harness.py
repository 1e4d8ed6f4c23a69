"""Benchmark plumbing: server processes, wrk runs, memory readings. Figures are printed."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], *, ready_path: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server process on a free port (the command gets `--port`), wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited; see {log}")
        try:
            httpx.get(base + ready_path, timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start; see {log}")


def idprotect_server(db_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "idprotect", "serve", "--auth", "off", "--db", db_url]
    return start([*command, "--no-access-log"], ready_path="/v1.0/identityProtection", log=log)


def bare_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--no-access-log"]
    return start([*command, "--log-level", "warning"], ready_path="/", log=log)


def wrk_requests_per_second(url: str, *, lua: Path | None, seconds: int, connections: int) -> float:
    """Requests/s as wrk measures them (one wrk thread: the server has the other core)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if lua is not None:
        command += ["-s", str(lua)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} failed responses:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(output)
    return float(match.group(1))


def wrk_id_script(path: Path, url_prefix: str, ids: list[str]) -> Path:
    """A wrk Lua script that asks for a random one of `ids` on every request."""
    listed = ",".join(f'"{i}"' for i in ids)
    path.write_text(
        f"local ids = {{{listed}}}\n"
        "math.randomseed(7)\n"
        "request = function()\n"
        f'  return wrk.format("GET", "{url_prefix}" .. ids[math.random(#ids)])\n'
        "end\n"
    )
    return path


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")
