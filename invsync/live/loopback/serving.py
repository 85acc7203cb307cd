"""What every loopback exchange serves alike: an aiohttp app on 127.0.0.1, its private
WebSocket connections (one write queue and one writer each), start, stop and drain.

The Binance spot loopback (``invsync.live.loopback.server``) and the derivative venues'
(``invsync.live.loopback.venues.base``) differ in their routes, their handshakes and how
their fault layer holds pushes back; the server's lifecycle and a connection's writer are
these, so a leaked socket or a stop that hangs is fixed once.
"""

from __future__ import annotations

import asyncio
import collections
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import TracebackType
from typing import Generic, Self, TypeVar

from aiohttp import WSCloseCode, web

from invsync.live.loopback.faults import FaultDice, Faults, PushPlan

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Writer:
    """One served WebSocket's frames: queued, written in order by one task (responses and
    pushes never interleave), then closed after what was queued."""

    def __init__(self, ws: web.WebSocketResponse, number: int) -> None:
        self.ws = ws
        self.number = number  # fault draws go to connections in this order
        self.closing = False
        self.held: list[tuple[str, int]] = []  # (text, copies) held back for reordering
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, text: str, copies: int = 1) -> None:
        """Queue a frame (``copies`` times): responses use this directly, never faulted."""
        for _ in range(copies):
            self.queue.put_nowait(("text", text))

    def push_under(self, text: str, plan: PushPlan, stats: Counter[str]) -> None:
        """One push under the seeded ``plan`` (drop, duplicate, delay, reorder), counted in
        ``stats``; then ``after_push`` (disconnect, shutdown: the venue's own forms)."""
        if plan.drop:
            stats["drop"] += 1
            return
        copies = 2 if plan.duplicate else 1
        if plan.duplicate:
            stats["duplicate"] += 1
        if plan.delay > 0:
            stats["delay"] += 1
            self.delay(text, copies, plan.delay)
        elif plan.reorder:
            stats["reorder"] += 1
            self.hold(text, copies)
        else:
            self.send(text, copies)
            self.flush_held()
        self.after_push(plan, stats)

    def delay(self, text: str, copies: int, seconds: float) -> None:
        """Send ``text`` ``seconds`` from now (the fault layer's delay)."""
        raise NotImplementedError

    def hold(self, text: str, copies: int) -> None:
        """Hold ``text`` back until the next push goes out (reordering)."""
        self.held.append((text, copies))

    def flush_held(self) -> None:
        """Send what reordering held back."""
        held, self.held = self.held, []
        if not self.closing:
            for text, copies in held:
                self.send(text, copies)

    def after_push(self, plan: PushPlan, stats: Counter[str]) -> None:
        """The end of a push: ``disconnect`` closes the socket (code 1011)."""
        if plan.disconnect:
            stats["disconnect"] += 1
            self.close_soon()

    def drop_pending(self) -> None:
        """Forget what the fault layer holds back or delays (the connection is closing)."""

    def close_soon(self, how: str = "close") -> None:
        """Stop pushing; close after what is queued (``how``: see ``end``); held messages
        are lost."""
        if self.closing:
            return
        self.closing = True
        self.drop_pending()
        self.queue.put_nowait((how, ""))

    async def end(self, how: str) -> None:
        """Close the socket: code 1011 (a venue's own farewell overrides this)."""
        await self.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"disconnect")

    async def _write(self) -> None:
        try:
            while True:
                kind, text = await self.queue.get()
                try:
                    if kind == "text":
                        await self.ws.send_str(text)
                    else:
                        await self.end(kind)
                        return
                finally:
                    self.queue.task_done()
        except (ConnectionError, RuntimeError):
            self.closing = True

    def drain(self) -> None:
        """Send every delayed and held message now."""

    async def idle(self) -> None:
        """Wait until everything queued is written (or the connection is gone)."""
        if not self.writer.done():
            waiter = asyncio.ensure_future(self.queue.join())
            await asyncio.wait({waiter, self.writer}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()


W = TypeVar("W", bound=Writer)


class LoopbackServer(Generic[W]):
    """An aiohttp server on ``host:port`` (``port=0``: a free one) with tracked connections,
    the account's keys, the fee rate and the seeded fault layer (``dice``, counted in
    ``stats``)."""

    #: How ``stop`` closes each connection (``Writer.close_soon``'s ``how``).
    farewell = "close"

    def __init__(
        self,
        seed: int,
        faults: Faults | None,
        api_key: str,
        api_secret: str,
        host: str,
        port: int,
        fee_rate: Decimal,
    ) -> None:
        self.seed = seed
        self.faults = faults if faults is not None else Faults()
        self.dice = FaultDice(seed)
        self.stats: collections.Counter[str] = collections.Counter()
        self._key = api_key
        self._secret = api_secret
        self.host = host
        self.port = port
        self.fee_rate = fee_rate
        self.connections: set[W] = set()
        self._runner: web.AppRunner | None = None

    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler) of the venue's REST and WebSocket endpoints."""
        raise NotImplementedError

    @property
    def rest_url(self) -> str:
        """REST base URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve (``port=0`` picks a free port, then ``self.port`` holds it)."""
        app = web.Application()
        for method, path, handler in self.routes():
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        for addr in runner.addresses:
            if isinstance(addr, tuple):
                self.port = int(addr[1])
                break

    async def stop(self) -> None:
        """Close every connection and the listening socket (bounded: about a second)."""
        conns = list(self.connections)
        for conn in conns:
            conn.close_soon(self.farewell)
        if conns:
            await asyncio.wait([c.writer for c in conns], timeout=1.0)
        for conn in conns:
            if not conn.writer.done():
                conn.writer.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def drain(self, timeout: float = 5.0) -> None:
        """Send everything the fault layer still holds or delays, and wait until written."""
        conns = list(self.connections)
        for conn in conns:
            conn.drain()
        if conns:
            await asyncio.wait_for(asyncio.gather(*(c.idle() for c in conns)), timeout)
