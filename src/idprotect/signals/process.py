"""The server's deliverer as a process of its own (`serve --signals-delivery process`, the
default): `idprotect signals deliver`, started before the server listens, stopped after it.

Apart, sending never takes the server's GIL: a deliverer thread in a busy server waits for the
GIL after every signature and every socket call (up to the interpreter's 5 ms switch interval
each time), which holds delivery to a few hundred SETs a second; and what delivery costs shows
as a process of its own. It runs at the lowest CPU priority (`--nice`): when
the machine is short of CPU the actions come first, and the events wait, durable, in the
outbox. It ends by itself when the server is gone, even after a kill -9.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Literal

from idprotect.signals.settings import DeliverySettings

DeliveryMode = Literal["process", "thread"]
# How much lower the deliverer's CPU priority is than the server's (nice(2)'s increment): the
# lowest, so that delivery takes only the CPU the server leaves (with +5, two signing threads
# still took a fifth of the actions' throughput on two busy cores). Who wants another runs
# `serve --no-deliver-signals` beside `idprotect signals deliver --nice N`.
NICENESS = 19
_PARENT_CHECK_SECONDS = 1.0


class DeliveryProcess:
    def __init__(self, database_url: str, settings: DeliverySettings) -> None:
        self._database_url = database_url
        self._settings = settings
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        options = ["--idle", str(self._settings.idle_seconds)]
        options += ["--backoff", str(self._settings.backoff_seconds)]
        options += ["--nice", str(NICENESS), "--parent", str(os.getpid())]
        command = [sys.executable, "-m", "idprotect", "signals", "deliver", *options]
        # The URL (and any password in it) travels in the environment, not in `ps`.
        environment = {**os.environ, "IDPROTECT_DATABASE_URL": self._database_url}
        self._process = subprocess.Popen(command, env=environment)

    def stop(self) -> None:
        """SIGTERM: the deliverer ends its round and gives its streams back; killed if it
        has not ended after a request's timeout."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self._settings.timeout_seconds + 2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def watch_parent(parent: int, stop: Callable[[], None]) -> None:
    """Call `stop` once the process `parent` is no longer this one's parent (it died)."""
    ended = threading.Event()

    def watch() -> None:
        while not ended.wait(_PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                ended.set()
                stop()

    threading.Thread(target=watch, name="idprotect-parent", daemon=True).start()


def lower_priority(niceness: int) -> None:
    if niceness > 0 and hasattr(os, "nice"):  # POSIX
        with contextlib.suppress(OSError):  # not allowed here: run as it is
            os.nice(niceness)
