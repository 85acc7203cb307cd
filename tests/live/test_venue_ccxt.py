"""Real ccxt.pro clients of Bybit and OKX against the derivative loopbacks, URLs overridden.

ccxt (4.5.x) loads the account's markets (Bybit ``/v5/market/instruments-info``, OKX
``/api/v5/public/instruments``), reads the balance and positions, places, lists and
cancels orders over signed REST, and watches orders over the authenticated private
WebSocket (Bybit ``auth`` + ``order``; OKX ``login`` + ``orders``) while the venue fills
them; every answer is compared with the loopback's model. ccxt's options used: only
linear (Bybit) / swap (OKX) markets, the unified account (Bybit), single-order placement
(OKX ``privatePostTradeOrder`` instead of its default batch endpoint); currencies are
not loaded (their endpoints are not served).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.pro

from core.instrument import Instrument
from invsync.live.loopback.venues.base import DerivativeLoopback
from invsync.live.loopback.venues.bybit import BybitLoopback
from invsync.live.loopback.venues.okx import OkxLoopback

T = TypeVar("T")
D = Decimal
KEY, SECRET, PASS = "loopback-key", "loopback-secret", "loopback-pass"
LINEAR = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
SWAP = Instrument(
    symbol="BTC-USDT-SWAP", kind="linear", base="BTC", quote="USDT", contract_size=D("0.01")
)
MARKET = "BTC/USDT:USDT"


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """One test coroutine on a fresh loop, failed after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _d(x: Any) -> Decimal:
    return Decimal(str(x))


def bybit_client(ex: BybitLoopback) -> Any:
    """A ccxt.pro Bybit client pointed at the loopback."""
    c = ccxt.pro.bybit(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "options": {
                "fetchMarkets": {"types": ["linear"]},
                "enableUnifiedMargin": False,
                "enableUnifiedAccount": True,
            },
        }
    )
    c.urls["api"] = {k: ex.rest_url for k in ("spot", "futures", "v2", "public", "private")}
    private = ex.ws_private_url
    c.urls["api"]["ws"] = {
        "public": {},
        "private": {"spot": {"unified": private, "nonUnified": private}, "contract": private},
    }
    c.has["fetchCurrencies"] = False
    return c


def okx_client(ex: OkxLoopback) -> Any:
    """A ccxt.pro OKX client pointed at the loopback."""
    c = ccxt.pro.okx(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "password": PASS,
            "options": {
                "fetchMarkets": {"types": ["swap"]},
                "createOrder": "privatePostTradeOrder",
            },
        }
    )
    c.urls["api"] = {"rest": ex.rest_url, "ws": f"{ex.ws_base}/ws/v5"}
    c.has["fetchCurrencies"] = False
    return c


async def life(
    ex: DerivativeLoopback, c: Any, unit: Decimal, symbol: str, extra: dict[str, Any]
) -> None:
    """What a ccxt bot does; every answer checked against the model."""
    markets = await c.load_markets()
    assert list(markets) == [MARKET] and markets[MARKET]["id"] == symbol
    balance = await c.fetch_balance()
    assert _d(balance["total"]["USDT"]) == ex.model.balance("USDT").total
    qty = float(D(1) / unit)
    o = await c.create_order(MARKET, "limit", "buy", qty, 90, {"clientOrderId": "cc1"} | extra)
    model_order = ex.model.order("cc1")
    assert model_order is not None and o["id"] == model_order.order_id
    opened = await c.fetch_open_orders(MARKET)
    assert [(x["id"], _d(x["amount"])) for x in opened] == [(o["id"], model_order.quantity)]
    watch = asyncio.create_task(c.watch_orders(MARKET))
    for _ in range(100):  # until the private stream is subscribed
        if ex.ready_connections:
            break
        await asyncio.sleep(0.02)
    ex.fill("cc1")
    seen = await asyncio.wait_for(watch, 5)
    assert [(x["id"], x["status"], _d(x["filled"])) for x in seen] == [
        (o["id"], "closed", model_order.quantity)
    ]
    positions = [p for p in await c.fetch_positions([MARKET]) if p["contracts"]]
    truth = ex.model.position(symbol)
    assert [(p["side"], _d(p["contracts"])) for p in positions] == [("long", truth.quantity)]
    o2 = await c.create_order(MARKET, "limit", "sell", qty, 150, {"clientOrderId": "cc2"} | extra)
    await c.cancel_order(o2["id"], MARKET)
    ended = ex.model.order("cc2")
    assert ended is not None and ended.status == "canceled"
    assert await c.fetch_open_orders(MARKET) == []
    balance = await c.fetch_balance()
    assert _d(balance["total"]["USDT"]) == ex.model.balance("USDT").total


def test_ccxt_bybit_client_against_the_bybit_loopback() -> None:
    async def go() -> None:
        async with BybitLoopback(
            [LINEAR], {"USDT": D(1000)}, prices={"BTCUSDT": D(100)}, api_key=KEY, api_secret=SECRET
        ) as ex:
            c = bybit_client(ex)
            try:
                await life(ex, c, D(1), "BTCUSDT", {})
            finally:
                await c.close()

    run(go())


def test_ccxt_okx_client_against_the_okx_loopback() -> None:
    async def go() -> None:
        async with OkxLoopback(
            [SWAP],
            {"USDT": D(1000)},
            prices={SWAP.symbol: D(100)},
            api_key=KEY,
            api_secret=SECRET,
            passphrase=PASS,
        ) as ex:
            c = okx_client(ex)
            try:
                await life(ex, c, D("0.01"), SWAP.symbol, {"tdMode": "cross"})
            finally:
                await c.close()

    run(go())
