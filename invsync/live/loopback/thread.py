"""A LoopbackExchange on its own event loop in a background thread.

For code that is not asyncio (a sync test, a bot with its own loop in another thread):
the exchange lives on the thread's loop, and ``call`` runs a function there (the model
is not thread-safe, so every driving call must go through it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from invsync.live.loopback.server import LoopbackExchange

T = TypeVar("T")


class LoopbackThread:
    """``with LoopbackThread(ex) as lb: lb.call(ex.match, "BTCUSDT", price)``; stops on exit."""

    def __init__(self, ex: LoopbackExchange, timeout: float = 10.0) -> None:
        self.ex = ex
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        """Start the thread and the server; returns once it listens."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.ex.start(), self._loop).result(self.timeout)

    def stop(self) -> None:
        """Stop the server, the loop and the thread (bounded by ``timeout`` each)."""
        try:
            asyncio.run_coroutine_threadsafe(self.ex.stop(), self._loop).result(self.timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(self.timeout)
            if not self._thread.is_alive():
                self._loop.close()

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` on the exchange's loop and return its result."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller's thread
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(self.timeout)

    def drain(self) -> None:
        """``ex.drain()`` from another thread."""
        asyncio.run_coroutine_threadsafe(self.ex.drain(), self._loop).result(self.timeout)

    def __enter__(self) -> LoopbackThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
