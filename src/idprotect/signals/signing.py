"""Signing a stream's SETs on every core: an RS256 signature with a 2048-bit key (what the CAEP
interoperability profile requires) costs about a millisecond, far more than sending the SET,
and `cryptography` lets go of the GIL while it signs. So a pool of threads signs the events
ahead of the one that sends them, in order."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice

from idprotect.issuer.keys import SigningKey
from idprotect.signals.sets import sign_set
from idprotect.store.outbox import Pending

# How many SETs wait signed ahead of the sender, per signing thread.
_AHEAD_PER_THREAD = 4


def signing_threads(asked: int) -> int:
    """`asked` threads, or with 0 one per core (the sender's own thread waits meanwhile)."""
    return asked if asked > 0 else os.cpu_count() or 1


class SetSigner:
    """Signs outbox events into SETs, on `threads` threads (1: on the caller's thread)."""

    def __init__(self, threads: int) -> None:
        pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="idprotect-sign")
            if threads > 1
            else None
        )
        self._pool = pool
        self._ahead = threads * _AHEAD_PER_THREAD

    def tokens(self, events: Sequence[Pending], key: SigningKey) -> Generator[str, None, None]:
        """The events' SETs, in order, the later ones signed while the earlier are used. A
        caller that stops early (its receiver failed) leaves at most a window signed in vain."""
        if self._pool is None:
            for event in events:
                yield sign_set(event.payload, key, event.created_at)
            return
        pool, upcoming = self._pool, iter(events)
        ahead: deque[Future[str]] = deque(
            pool.submit(sign_set, e.payload, key, e.created_at)
            for e in islice(upcoming, self._ahead)
        )
        try:
            while ahead:
                token = ahead.popleft().result()
                following = next(upcoming, None)
                if following is not None:
                    ahead.append(
                        pool.submit(sign_set, following.payload, key, following.created_at)
                    )
                yield token
        finally:
            for future in ahead:
                future.cancel()

    def sign_all(self, events: Sequence[Pending], key: SigningKey) -> list[str]:
        return list(self.tokens(events, key))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
