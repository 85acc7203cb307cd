"""The derivative venues' clients against their loopback exchanges on 127.0.0.1.

Each test starts a venue loopback (a real aiohttp server backed by ``ExchangeModel``),
points the venue's client at it and feeds an ``Inventory`` from the client's private
stream and REST snapshots, the way a runner does: connect, snapshot after every
(re)subscription, apply every pushed message, reconnect after a break. The bot places
orders over REST while the venue fills them, moves the price, pays funding and
liquidates. Under seeded faults (drop, duplicate, reorder, delay, disconnect) the
Inventory must converge to the model's truth once the faults stop and a final snapshot
is taken (P2); every failure prints the seed. Servers are stopped by the tests; every
wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from core import events as ev
from core.adapters import bybit
from core.instrument import Instrument
from core.inventory import Inventory
from core.requests import QueryOrder, ResyncAccount
from invsync.live.loopback.faults import Faults
from invsync.live.loopback.venues.base import DerivativeLoopback
from invsync.live.loopback.venues.bybit import BybitLoopback
from invsync.live.venues.bybit.client import BybitClient
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.transport import StreamRefused

D = Decimal
KEY, SECRET = "loopback-key", "loopback-secret"
BTCUSDT = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")

# Every message arrives at least once (P2 needs no snapshot), in any order, some twice.
SHUFFLED = Faults(duplicate=0.15, reorder=0.15, delay=0.15, max_delay=0.05, reorder_hold=0.05)
LOSSY = Faults(drop=0.1, duplicate=0.1, reorder=0.1, delay=0.1, max_delay=0.05, reorder_hold=0.05)
BROKEN = Faults(disconnect=0.08, duplicate=0.05, delay=0.05, max_delay=0.05)


class Follower:
    """What a runner does with a venue client, reduced to the stream and snapshots."""

    def __init__(self, client: Any, inventory: Inventory) -> None:
        self.client = client
        self.inv = inventory
        self.connects = 0
        self.snapshots = 0
        self.refusals = 0
        self.messages = 0
        self.queries = 0
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._run()), loop.create_task(self._requests())]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()

    async def _requests(self) -> None:
        """Answer what the core asks for: order queries and resyncs."""
        while True:
            for r in self.inv.take_requests():
                if isinstance(r, QueryOrder):
                    self.queries += 1
                    answer = await self.client.query_order(r.symbol, r.client_order_id, r.order_id)
                    for e in answer:
                        self.inv.apply(e)
                elif isinstance(r, ResyncAccount):
                    await self.resync()
            await asyncio.sleep(0.02)

    async def resync(self) -> None:
        for e in await self.client.snapshot():
            self.inv.apply(e)
        self.snapshots += 1

    async def _run(self) -> None:
        while True:
            try:
                await self.client.connect()
            except (StreamRefused, aiohttp.ClientError, OSError):
                self.refusals += 1
                await asyncio.sleep(0.05)
                continue
            self.connects += 1
            # The core asks for the snapshot every (re)connection needs (ResyncAccount).
            self.inv.apply(ev.StreamConnected(stream=self.client.stream_name))
            while True:
                try:
                    msg = await self.client.receive()
                except (aiohttp.ClientError, OSError):
                    msg = None
                if msg is None:
                    self.inv.apply(
                        ev.StreamDisconnected(stream=self.client.stream_name, reason="closed")
                    )
                    break
                self.messages += 1
                for e in self.client.parse(msg):
                    self.inv.apply(e)


def differences(inv: Inventory, ex: DerivativeLoopback, keys: list[str]) -> list[str]:
    """Where the Inventory differs from the model's truth (empty: converged)."""
    out = []
    model = ex.model
    for inst in model.instruments.values():
        truth = model.position(inst.symbol)
        mine = inv.position(inst.symbol)
        if (mine.quantity, mine.entry_price) != (truth.quantity, truth.entry_price):
            out.append(f"position {inst.symbol}: {mine} != {truth}")
        settle = inst.settle
        b, t = inv.balance(settle), model.balance(settle)
        if (b.total, b.free) != (t.total, t.free):
            out.append(f"balance {settle}: {b} != {t}")
    for key in keys:
        o, t2 = inv.order(key), model.order(key)
        assert t2 is not None
        status = "open" if t2.status == "new" else t2.status  # the core's name of a live order
        if o is None or (o.status, o.filled_quantity) != (status, t2.filled):
            out.append(f"order {key}: {o} != {t2.status} {t2.filled}")
    return out


async def converge(
    inv: Inventory,
    ex: DerivativeLoopback,
    follower: Follower,
    keys: list[str],
    seed: int,
    resync: bool,
) -> None:
    """Stop the faults, deliver what is held, resync if messages may be lost, and wait
    (bounded) for equality."""
    ex.faults = Faults()
    await ex.drain()
    if resync:
        await follower.resync()
    for _ in range(100):
        if not differences(inv, ex, keys):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"seed {seed}: no convergence: {differences(inv, ex, keys)}; stats {dict(ex.stats)}"
    )


async def bot_and_venue(
    ex: DerivativeLoopback,
    place: Callable[[str, str, str, Decimal, Decimal | None], Awaitable[list[ev.Event]]],
    inv: Inventory,
    symbol: str,
    unit: Decimal,
) -> list[str]:
    """The account's life: open, add, flip, close by liquidation, funding both ways."""
    keys = []

    async def order(key: str, side: str, qty: str, price: str | None) -> None:
        q = D(qty) / unit
        p = None if price is None else D(price)
        inv.submit(client_order_id=key, symbol=symbol, side=side, quantity=q, price=p)
        for e in await place(key, symbol, side, q, p):
            inv.apply(e)
        keys.append(key)
        await asyncio.sleep(0.01)

    await order("b1", "buy", "2", "99")  # rests below the last price (100)
    ex.fill("b1", D("0.5") / unit)  # open long, partial
    await asyncio.sleep(0.01)
    ex.match(symbol, D("98"))  # fills the rest
    await order("s1", "sell", "3", None)  # market: flips to short 1
    ex.funding(symbol, D("-1.5"))
    ex.funding(symbol, D("0.25"))
    await order("b2", "buy", "0.5", "97")
    ex.cancel("b2")
    await order("s2", "sell", "1", "120")  # rests
    ex.match(symbol, D("121"))  # fills s2: short 2
    ex.liquidate(symbol, D("5") / unit, D("125"))  # closes the short
    await order("b3", "buy", "1", "90")  # stays open
    await asyncio.sleep(0.05)
    return keys


async def _bybit_run(seed: int, faults: Faults) -> tuple[Follower, BybitLoopback]:
    ex = BybitLoopback(
        [BTCUSDT],
        {"USDT": D("10000")},
        seed=seed,
        faults=faults,
        prices={"BTCUSDT": D("100")},
        api_key=KEY,
        api_secret=SECRET,
    )
    await ex.start()
    client = BybitClient(
        rest_url=ex.rest_url,
        ws_url=ex.ws_private_url,
        credentials=Credentials(KEY, SECRET),
        timeout=2.0,
    )
    inv = Inventory([BTCUSDT])
    follower = Follower(client, inv)
    follower.start()
    try:
        await _wait(lambda: ex.ready_connections > 0 and follower.snapshots > 0, seed)
        keys = await bot_and_venue(ex, client.place, inv, "BTCUSDT", D(1))
        lossy = bool(faults.drop or faults.disconnect)
        await converge(inv, ex, follower, keys, seed, resync=lossy)
    finally:
        await follower.stop()
        await ex.stop()
    return follower, ex


async def _wait(condition: Callable[[], bool], seed: int, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"seed {seed}: timed out waiting")


def test_bybit_client_follows_a_perfect_loopback() -> None:
    follower, ex = asyncio.run(asyncio.wait_for(_bybit_run(1, Faults()), 30))
    assert follower.connects == 1 and follower.snapshots == 1 and follower.messages > 20
    assert ex.model.position("BTCUSDT").quantity == 0  # the liquidation closed it


@pytest.mark.parametrize("seed", [7, 8])
def test_bybit_stream_alone_converges_under_duplicates_reorders_and_delays(seed: int) -> None:
    follower, ex = asyncio.run(asyncio.wait_for(_bybit_run(seed, SHUFFLED), 30))
    assert follower.snapshots == 1, seed  # no resync: the pushes alone converged
    assert ex.stats["duplicate"] + ex.stats["reorder"] + ex.stats["delay"] > 0, seed


@pytest.mark.parametrize("seed", [3, 4])
def test_bybit_client_converges_after_lossy_pushes(seed: int) -> None:
    _, ex = asyncio.run(asyncio.wait_for(_bybit_run(seed, LOSSY), 30))
    assert ex.stats["drop"] + ex.stats["duplicate"] + ex.stats["reorder"] > 0, seed


@pytest.mark.parametrize("seed", [5, 6])
def test_bybit_client_reconnects_and_resyncs_after_disconnects(seed: int) -> None:
    follower, ex = asyncio.run(asyncio.wait_for(_bybit_run(seed, BROKEN), 30))
    assert ex.stats["disconnect"] > 0 and follower.connects > 1, (seed, dict(ex.stats))


def test_bybit_failed_auth_is_refused_and_makes_the_account_stale() -> None:
    async def run() -> None:
        ex = BybitLoopback([BTCUSDT], {"USDT": D("100")}, api_key=KEY, api_secret=SECRET)
        async with ex:
            bad = BybitClient(
                rest_url=ex.rest_url,
                ws_url=ex.ws_private_url,
                credentials=Credentials(KEY, "wrong-secret"),
                timeout=2.0,
            )
            with pytest.raises(StreamRefused, match="auth failed"):
                await bad.connect()
            await bad.close()
            # The answer itself, read by the adapter, breaks the stream for the core.
            async with aiohttp.ClientSession() as s, s.ws_connect(ex.ws_private_url) as ws:
                await ws.send_str(json.dumps({"op": "auth", "args": [KEY, 1, "00"]}))
                answer = json.loads((await ws.receive(timeout=2)).data)
                await ws.send_str(json.dumps({"op": "subscribe", "args": ["order"]}))
                refused = json.loads((await ws.receive(timeout=2)).data)
            inv = Inventory([BTCUSDT])
            for e in bybit.parse(answer) + bybit.parse(refused):
                assert isinstance(e, ev.StreamDisconnected)
                inv.apply(e)
            assert inv.sync_state in ("stale", "unknown")
            assert ex.ready_connections == 0

    asyncio.run(asyncio.wait_for(run(), 20))


def test_bybit_order_query_and_refusals_over_rest() -> None:
    async def run() -> None:
        ex = BybitLoopback(
            [BTCUSDT],
            {"USDT": D("100")},
            prices={"BTCUSDT": D("100")},
            api_key=KEY,
            api_secret=SECRET,
        )
        async with ex:
            client = BybitClient(
                rest_url=ex.rest_url,
                ws_url=ex.ws_private_url,
                credentials=Credentials(KEY, SECRET),
                timeout=2.0,
            )
            assert await client.place("q1", "BTCUSDT", "buy", D("1"), D("90")) == []
            [report] = await client.query_order("BTCUSDT", "q1", None)
            assert isinstance(report, ev.OrderReported) and report.status == "new"
            assert report.client_order_id == "q1"
            [missing] = await client.query_order("BTCUSDT", "nope", None)
            assert missing == ev.OrderNotFound(client_order_id="nope", order_id=None)
            [dup] = await client.place("q1", "BTCUSDT", "buy", D("1"), D("90"))
            assert isinstance(dup, ev.SubmissionFailed)
            [gone] = await client.cancel("nope", "BTCUSDT")
            assert isinstance(gone, ev.CancelFailed) and "110001" in gone.reason
            wrong = BybitClient(
                rest_url=ex.rest_url,
                ws_url=ex.ws_private_url,
                credentials=Credentials(KEY, "bad"),
                timeout=2.0,
            )
            [refused] = await wrong.place("q2", "BTCUSDT", "buy", D("1"), D("90"))
            assert isinstance(refused, ev.SubmissionFailed) and "10004" in refused.reason
            await client.close()
            await wrong.close()

    asyncio.run(asyncio.wait_for(run(), 20))
