"""Exposure ranges of spot orders with a fee rate (``Instrument.max_fee_rate``).

An open limit buy or sell widens both assets by its remaining quantity and the fee it may
still charge; a market order makes its spent side unbounded; a fee-less fill keeps exactly
its fee room; an order of unknown quantity makes both assets unbounded.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev
from tests.core.builders import D, bal, fill, report

FEE = Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=D("0.01"))


def _fee_spot() -> Inventory:
    inv = Inventory([FEE])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1), bal("BTC", "10", "10", 1)),
        )
    )
    return inv


def test_open_limit_buy_widens_both_assets_by_remaining_and_fee() -> None:
    inv = _fee_spot()
    inv.submit("b", "BTCUSDT", "buy", D(2), D(100))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    # BTC: up to +2; a fee in BTC could take 2 x 0.01 = 0.02.
    assert (btc.low, btc.expected, btc.high) == (D("9.98"), D(10), D(12))
    # USDT: down to 1000 - 2 x 100 x 1.01 = 798; a buy never raises USDT.
    assert (usdt.low, usdt.expected, usdt.high) == (D(798), D(1000), D(1000))


def test_open_limit_sell_widens_both_assets_by_remaining_and_fee() -> None:
    inv = _fee_spot()
    inv.submit("s", "BTCUSDT", "sell", D(2), D(100))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    assert (btc.low, btc.high) == (D("7.98"), D(10))  # 10 - 2 x 1.01
    assert (usdt.low, usdt.high) == (D(998), Decimal("Infinity"))  # fee 2 x 100 x 0.01


def test_market_orders_make_the_spent_side_unbounded() -> None:
    inv = _fee_spot()
    inv.submit("m", "BTCUSDT", "buy", D(2))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    assert (btc.low, btc.high) == (D("9.98"), D(12))
    assert (usdt.low, usdt.high) == (-Decimal("Infinity"), D(1000))
    inv.submit("n", "BTCUSDT", "sell", D(1))
    usdt = inv.exposure("USDT")
    assert (usdt.low, usdt.high) == (-Decimal("Infinity"), Decimal("Infinity"))
    assert inv.exposure("BTC").low == D("8.97")  # 9.98 - 1 x 1.01


def test_fee_less_fill_keeps_exactly_the_fee_room_in_low_and_free() -> None:
    inv = _fee_spot()
    inv.apply(report("new", "0", 2, qty="2", cid="b"))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee=None, fee_asset=None))
    # USDT: 1000 - 200 = 800 total; room for a fee of 200 x 0.01 = 2 in USDT.
    usdt = inv.exposure("USDT")
    assert (usdt.low, usdt.expected, usdt.high) == (D(798), D(800), D(800))
    assert inv.balance("USDT").free == 798
    btc = inv.exposure("BTC")
    assert (btc.low, btc.expected, btc.high) == (D("11.98"), D(12), D(12))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee="0.002", fee_asset="BTC"))
    assert inv.exposure("USDT").low == 800 and inv.balance("USDT").free == 800
    assert inv.balance("BTC").total == D("11.998")


def test_order_with_unknown_quantity_makes_both_assets_unbounded() -> None:
    inv = _fee_spot()
    # A fill of an order never reported: its quantity is unknown.
    inv.apply(fill("t1", "1", "100", 3, cid=None, oid="7", fee="0"))
    for asset in ("BTC", "USDT"):
        e = inv.exposure(asset)
        assert (e.low, e.high) == (-Decimal("Infinity"), Decimal("Infinity"))
    assert inv.exposure("ETH") == inv.exposure("ETH").__class__(D(0), D(0), D(0))
