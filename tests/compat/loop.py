"""One event loop per test, in a thread, for the SDKs' async calls."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal

T = TypeVar("T")


class Loop:
    """The event loop of one test, in a thread: the SDK's async calls run on it, one after the
    other, and its connections are closed on it when the test ends."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._closers: list[Callable[[], object]] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        async def main() -> T:
            return await coroutine

        return self._portal.call(main)

    def close_later(self, closer: Callable[[], object]) -> None:
        """Call `closer` (sync or async) on this loop when the test ends."""
        self._closers.append(closer)

    def close(self) -> None:
        async def close_all() -> None:
            for closer in reversed(self._closers):
                result = closer()
                if inspect.isawaitable(result):
                    await result

        self._portal.call(close_all)
