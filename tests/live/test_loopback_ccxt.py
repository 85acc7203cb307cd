"""A real ccxt (4.5.x, ccxt.pro) Binance client against the loopback, URLs overridden.

ccxt's spot user data goes through the WebSocket API (``userDataStream.subscribe.signature``
on ``urls.api.ws.ws-api.spot``), which the loopback serves; REST through ``urls.api.public``
and ``urls.api.private``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt

from invsync.live.loopback import Faults
from tests.live.conftest import ccxt_binance, make_loopback, run


def _d(x: Any) -> Decimal:
    return Decimal(str(x))


def test_ccxt_loads_markets_trades_and_queries_through_rest() -> None:
    async def go() -> None:
        async with make_loopback() as ex:
            c = ccxt_binance(ex)
            try:
                markets = await c.load_markets()
                assert list(markets) == ["BTC/USDT"]
                assert markets["BTC/USDT"]["id"] == "BTCUSDT"
                bal = await c.fetch_balance()
                assert _d(bal["total"]["USDT"]) == ex.model.balance("USDT").total
                o = await c.create_order("BTC/USDT", "limit", "buy", 0.01, 49000)
                assert o["status"] == "open" and o["id"] == "1"
                cid = o["clientOrderId"]
                assert ex.model.order(cid) is not None
                opened = await c.fetch_open_orders("BTC/USDT")
                assert [x["id"] for x in opened] == ["1"]
                got = await c.fetch_order("1", "BTC/USDT")
                assert (got["status"], got["clientOrderId"]) == ("open", cid)
                bal = await c.fetch_balance()
                assert _d(bal["used"]["USDT"]) == Decimal("490")
                ex.match("BTCUSDT", Decimal("48000"))
                filled = await c.fetch_order("1", "BTC/USDT")
                assert filled["status"] == "closed" and _d(filled["filled"]) == Decimal("0.01")
                trades = await c.fetch_my_trades("BTC/USDT")
                assert [(t["id"], t["order"], t["side"]) for t in trades] == [("1", "1", "buy")]
                assert _d(trades[0]["fee"]["cost"]) == Decimal("0.00001")
                sell = await c.create_order("BTC/USDT", "limit", "sell", 0.5, 60000)
                canceled = await c.cancel_order(sell["id"], "BTC/USDT")
                assert canceled["status"] == "canceled"
                assert await c.fetch_open_orders("BTC/USDT") == []
                last = ex.model.prices["BTCUSDT"]  # the last trade: the fill at 49000
                market = await c.create_order("BTC/USDT", "market", "sell", 0.1)
                assert market["status"] == "closed" and _d(market["average"]) == last
                bal = await c.fetch_balance()
                for asset in ("BTC", "USDT"):
                    truth = ex.model.balance(asset)
                    assert (_d(bal["free"][asset]), _d(bal["used"][asset])) == (
                        truth.free,
                        truth.locked,
                    )
            finally:
                await c.close()

    run(go(), 30)


def test_ccxt_watches_orders_trades_and_balance_over_the_websocket_api() -> None:
    async def go() -> None:
        async with make_loopback() as ex:
            c = ccxt_binance(ex)
            try:
                await c.load_markets()
                o = await c.create_order("BTC/USDT", "limit", "buy", 0.02, 49000)
                orders = asyncio.ensure_future(c.watch_orders("BTC/USDT"))
                trades = asyncio.ensure_future(c.watch_my_trades("BTC/USDT"))
                balance = asyncio.ensure_future(c.watch_balance())
                for _ in range(50):  # the subscription is up once the loopback counts it
                    if ex.subscriptions:
                        break
                    await asyncio.sleep(0.05)
                assert ex.subscriptions == 1  # one connection serves all three watches
                ex.fill(o["clientOrderId"], Decimal("0.005"))
                got = await asyncio.wait_for(orders, 5)
                assert [(x["id"], x["status"], _d(x["filled"])) for x in got] == [
                    ("1", "open", Decimal("0.005"))
                ]
                [t] = await asyncio.wait_for(trades, 5)
                assert (t["id"], t["order"], _d(t["amount"]), _d(t["price"])) == (
                    "1",
                    "1",
                    Decimal("0.005"),
                    Decimal("49000"),
                )
                bal = await asyncio.wait_for(balance, 5)
                assert _d(bal["BTC"]["free"]) == ex.model.balance("BTC").free
                ex.match("BTCUSDT", Decimal("48000"))
                got = await asyncio.wait_for(c.watch_orders("BTC/USDT"), 5)
                assert got[-1]["status"] == "closed" and _d(got[-1]["filled"]) == Decimal("0.02")
                # A deposit: balanceUpdate (ccxt adds its delta to free) wakes the watcher.
                deposit = asyncio.ensure_future(c.watch_balance())
                await asyncio.sleep(0.1)
                ex.deposit("USDT", Decimal("7"))
                bal = await asyncio.wait_for(deposit, 5)
                assert _d(bal["USDT"]["free"]) == ex.model.balance("USDT").free
            finally:
                await c.close()

    run(go(), 30)


def test_ccxt_maps_the_loopback_errors_to_its_binance_exceptions() -> None:
    async def go() -> None:
        async with make_loopback(seed=5) as ex:
            c = ccxt_binance(ex)
            try:
                await c.load_markets()
                cases: list[tuple[type[Exception], Any]] = [
                    (ccxt.InsufficientFunds, c.create_order("BTC/USDT", "limit", "buy", 5, 49000)),
                    (ccxt.OrderNotFound, c.cancel_order("99", "BTC/USDT")),
                    (ccxt.OrderNotFound, c.fetch_order("99", "BTC/USDT")),
                ]
                for expected, call in cases:
                    try:
                        await call
                        raise AssertionError(f"no {expected.__name__}")
                    except expected:
                        pass
                wrong = ccxt_binance(ex, secret="not-the-secret")
                try:
                    await wrong.fetch_balance()
                    raise AssertionError("a wrong secret was accepted")
                except ccxt.AuthenticationError:
                    pass
                finally:
                    await wrong.close()
                ex.faults = Faults(unknown_outcome=1.0, executed_share=0.0)
                try:
                    await c.create_order("BTC/USDT", "limit", "buy", 0.01, 49000)
                    raise AssertionError("an unknown outcome was reported as success")
                except (ccxt.OperationFailed, ccxt.BadResponse, ccxt.RequestTimeout):
                    pass
                ex.faults = Faults(rate_limit=1.0)
                try:
                    await c.fetch_balance()
                    raise AssertionError("a 429 was reported as success")
                except ccxt.DDoSProtection:  # what ccxt raises on 429 and 418
                    pass
                assert ex.model.orders == {}
            finally:
                await c.close()

    run(go(), 30)
