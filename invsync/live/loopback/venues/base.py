"""What the derivative venues' loopbacks share: the model, the server, pushes under faults.

A ``DerivativeLoopback`` is an aiohttp server on 127.0.0.1 backed by ``ExchangeModel``. A
venue subclass adds its routes, its WebSocket handshake (auth, login, listen key) and its
``StreamEncoder``. Every model change is published: the encoder renders the batch and each
live private connection gets each message under a seeded ``PushPlan`` (drop, duplicate,
reorder, delay, disconnect), drawn from the Binance spot loopback's ``FaultDice`` so the
knobs and their meaning are the same (``invsync.live.loopback.faults``). REST requests
draw a ``RestPlan`` (429, 5xx, timeout; a mutation's outcome then executed or not).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from aiohttp import web

from core import events as ev
from core.instrument import Instrument
from invsync.live.loopback.faults import Faults, PushPlan, RestPlan
from invsync.live.loopback.serving import Handler, LoopbackServer, Writer
from invsync.live.venues.wire import Clock
from models.exchange import ExchangeModel, ModelOrder, Rejection, Trade

__all__ = ["Connection", "DerivativeLoopback", "Encoder", "Handler"]


class Encoder(Protocol):
    """A venue's ``StreamEncoder``."""

    def encode(self, batch: Iterable[ev.Event | tuple[str, ev.Event]]) -> list[dict[str, Any]]:
        """The venue messages of one model batch."""
        ...


class Connection(Writer):
    """One private WebSocket: one writer task, so frames keep their order. Responses are
    ``send`` directly (never subject to faults); pushes go through ``push``."""

    def __init__(self, ex: DerivativeLoopback, ws: web.WebSocketResponse, number: int) -> None:
        self.ex = ex
        self.ready = False  # authenticated and subscribed: pushes flow
        self.topics: set[str] | None = None  # subscribed topics, where the venue has them
        self.delayed: dict[int, tuple[asyncio.TimerHandle, str, int]] = {}
        self._keys = 0
        super().__init__(ws, number)

    def push(self, message: dict[str, Any], plan: PushPlan) -> None:
        """One private push under ``plan``."""
        if self.closing or not self.ready:
            return
        if self.topics is not None and self.ex.topic_of(message) not in self.topics:
            return
        self.push_under(json.dumps(message), plan, self.ex.stats)

    def after_push(self, plan: PushPlan, stats: Counter[str]) -> None:
        """``shutdown`` in the venue's own form where it has one, else a disconnect."""
        if plan.shutdown and not plan.disconnect and self.ex.end_connection(self):
            stats["shutdown"] += 1
        elif plan.disconnect or plan.shutdown:
            stats["disconnect"] += 1
            self.close_soon()

    def delay(self, text: str, copies: int, seconds: float) -> None:
        """Send after ``seconds`` (one timer per delayed push)."""
        key = self._keys
        self._keys += 1
        handle = asyncio.get_running_loop().call_later(seconds, self._release, key)
        self.delayed[key] = (handle, text, copies)

    def _release(self, key: int) -> None:
        entry = self.delayed.pop(key, None)
        if entry is not None and not self.closing:
            self.send(entry[1], entry[2])

    def drain(self) -> None:
        """Send every delayed and held message now."""
        for key in sorted(self.delayed):
            handle, text, copies = self.delayed.pop(key)
            handle.cancel()
            if not self.closing:
                self.send(text, copies)
        self.flush_held()

    def drop_pending(self) -> None:
        """Cancel the delayed pushes and forget the held ones (closing: code 1011)."""
        for handle, _, _ in self.delayed.values():
            handle.cancel()
        self.delayed.clear()
        self.held.clear()


class DerivativeLoopback(LoopbackServer[Connection]):
    """The common part of the Binance USD-M, Bybit and OKX loopbacks (see the module doc)."""

    #: Name used in reprs and errors.
    venue = "derivative"

    def __init__(
        self,
        instruments: Iterable[Instrument],
        balances: Mapping[str, Decimal],
        *,
        seed: int = 0,
        faults: Faults | None = None,
        api_key: str = "loopback-key",
        api_secret: str = "loopback-secret",
        passphrase: str = "loopback-pass",
        host: str = "127.0.0.1",
        port: int = 0,
        prices: Mapping[str, Decimal] | None = None,
        fee_rate: Decimal = Decimal("0.0004"),
        time_base_ms: int | None = None,
        model_options: Mapping[str, Any] | None = None,
    ) -> None:
        insts = list(instruments)
        for inst in insts:
            if not inst.is_derivative:
                raise ValueError(f"{type(self).__name__}: {inst.symbol} is spot; derivatives only")
        self.model = ExchangeModel(
            insts, balances, prices=prices, seed=seed, **dict(model_options or {})
        )
        super().__init__(seed, faults, api_key, api_secret, host, port, fee_rate)
        self._passphrase = passphrase
        base = int(time.time() * 1000) if time_base_ms is None else time_base_ms
        self.clock = Clock(base)
        self.encoder = self._encoder()
        self._count = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed}, port={self.port}, faults={self.faults!r})"

    # --- what a venue provides ----------------------------------------------------------------

    def _encoder(self) -> Encoder:
        raise NotImplementedError

    def end_connection(self, conn: Connection) -> bool:
        """The ``shutdown`` fault in the venue's own form; False: close the socket instead."""
        return False

    def topic_of(self, message: dict[str, Any]) -> str | None:
        """The subscription topic a push belongs to (None: every subscriber gets it)."""
        return None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def ws_base(self) -> str:
        """WebSocket base URL."""
        return f"ws://{self.host}:{self.port}"

    # --- driving the venue --------------------------------------------------------------------

    def publish(self) -> None:
        """Render what the model emitted and push it to every ready connection."""
        messages = self.encoder.encode(self.model.take_emitted())
        conns = sorted(
            (c for c in self.connections if c.ready and not c.closing), key=lambda c: c.number
        )
        for message in messages:
            for conn in conns:
                conn.push(message, self.dice.push(self.faults))

    def fill(
        self, key: str, quantity: Decimal | None = None, price: Decimal | None = None
    ) -> Trade | Rejection:
        """One fill of an open order (client or model id); pushed."""
        result = self.model.fill(key, quantity, price, fee_rate=self.fee_rate)
        self.publish()
        return result

    def match(self, symbol: str, price: Decimal) -> list[Trade]:
        """Move the price: resting orders it crosses fill at their limit; pushed."""
        trades = self.model.set_price(symbol, price, self.fee_rate)
        self.publish()
        return trades

    def funding(self, symbol: str, amount: Decimal) -> None:
        """A funding payment (received if > 0); pushed."""
        result = self.model.funding(symbol, amount)
        if isinstance(result, Rejection):
            raise ValueError(result.reason)
        self.publish()

    def liquidate(self, symbol: str, quantity: Decimal, price: Decimal) -> Trade | Rejection:
        """The venue closes up to ``quantity`` of the position; pushed."""
        result = self.model.liquidate(symbol, quantity, price)
        self.publish()
        return result

    def cancel(self, key: str) -> ModelOrder | Rejection:
        """The venue cancels an open order; pushed."""
        result = self.model.cancel(key)
        self.publish()
        return result

    def disconnect_all(self) -> None:
        """Close every private connection now."""
        for conn in list(self.connections):
            conn.close_soon()

    @property
    def ready_connections(self) -> int:
        """Connections authenticated and subscribed."""
        return sum(1 for c in self.connections if c.ready and not c.closing)

    def event_now(self) -> int:
        """ "Now" on the events' time line: the time of the model's latest change.

        Event times are ``base + version`` (``venues.wire.Clock``), not the wall clock, so a
        REST body stamped with its own time (Bybit ``time``) must use this one: a wall-clock
        stamp would claim to cover events the model has not made yet.
        """
        return self.clock.ms(self.model.version)

    def now_ms(self) -> int:
        """Server time: the wall clock, never behind the newest event time."""
        return max(int(time.time() * 1000), self.clock.ms(self.model.version))

    # --- helpers for venue handlers -----------------------------------------------------------

    def place(
        self,
        client_order_id: str | None,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
    ) -> ModelOrder | Rejection:
        """Submit; a market order, or a limit crossing the last price, trades at once."""
        result = self.model.submit(client_order_id, symbol, side, quantity, price)
        if isinstance(result, Rejection):
            return result
        last = self.model.prices.get(symbol)
        crosses = last is not None and (
            price is None or (price >= last if side == "buy" else price <= last)
        )
        if crosses and last is not None:
            self.model.fill(result.order_id, price=last, fee_rate=self.fee_rate)
        return result

    def rest_plan(self, mutation: bool) -> RestPlan:
        """The fate of one REST request, counted in ``stats``."""
        plan = self.dice.rest(self.faults, mutation)
        if plan.rate_limit:
            self.stats["rate_limit"] += 1
        elif plan.unknown is not None:
            self.stats["unknown_outcome"] += 1
        elif plan.fail_5xx:
            self.stats["rest_5xx"] += 1
        elif plan.timeout:
            self.stats["rest_timeout"] += 1
        return plan

    async def hang(self) -> None:
        """A timed-out request: answer only after ``faults.timeout`` (the client gave up)."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(self.faults.timeout)

    async def websocket(
        self,
        request: web.Request,
        on_text: Callable[[Connection, str], Awaitable[None]],
        on_open: Callable[[Connection], Awaitable[None]] | None = None,
    ) -> web.WebSocketResponse:
        """Serve one WebSocket: frames go to ``on_text``; the connection is tracked."""
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        self._count += 1
        conn = Connection(self, ws, self._count)
        self.connections.add(conn)
        try:
            if on_open is not None:
                await on_open(conn)
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    await on_text(conn, msg.data)
                elif msg.type in (web.WSMsgType.ERROR, web.WSMsgType.CLOSE):
                    break
        finally:
            conn.closing = True
            self.connections.discard(conn)
            if not conn.writer.done():
                conn.queue.put_nowait(("close", ""))
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(conn.writer), 0.5)
        return ws
