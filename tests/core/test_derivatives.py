"""Linear and inverse positions: entry price, flips, realized PnL and fees into the settle asset."""

from __future__ import annotations

import itertools

import pytest

from core import Inventory, InventoryError
from core import events as ev
from core.position import EXACT
from tests.core.builders import BTCUSDT, INVERSE, PERP, D, bal, fill, report


def linear(wallet: str = "1000") -> Inventory:
    inv = Inventory([PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", wallet, wallet, 1),)))
    return inv


def f(
    tid: str, side: str, qty: str, price: str, v: int, oid: str, **kw: str | None
) -> ev.FillReported:
    return fill(tid, qty, price, v, side=side, oid=oid, cid=None, kind="linear", **kw)  # type: ignore[arg-type]


def test_linear_open_add_flip_with_computed_pnl_and_fees() -> None:
    inv = linear()
    inv.apply(f("t1", "buy", "2", "100", 2, "1", fee="0.1"))
    inv.apply(f("t2", "buy", "2", "110", 3, "2", fee="0.1"))
    p = inv.position("BTCUSDT")
    assert p.quantity == 4 and p.entry_price == 105
    inv.apply(f("t3", "sell", "5", "120", 4, "3", fee="0.2"))
    p = inv.position("BTCUSDT")
    assert p.quantity == -1 and p.entry_price == 120
    # 4 closed at 120 against 105: +60; fees 0.4
    assert inv.balance("USDT").total == D("1059.6")


def test_out_of_order_fills_recompute_pnl_against_the_right_entry() -> None:
    msgs = [
        f("t1", "buy", "2", "100", 2, "1"),
        f("t2", "buy", "2", "110", 3, "2"),
        f("t3", "sell", "4", "120", 4, "3"),
    ]
    for perm in itertools.permutations(msgs):
        inv = linear()
        for m in perm:
            inv.apply(m)
        assert inv.position("BTCUSDT").quantity == 0
        assert inv.position("BTCUSDT").entry_price == 0
        assert inv.balance("USDT").total == 1060, perm


def test_venue_pnl_replaces_computed_and_counts_once() -> None:
    inv = linear()
    inv.apply(f("t1", "buy", "1", "100", 2, "1"))
    inv.apply(f("t2", "sell", "1", "110", 3, "2", fee=None, fee_asset=None))  # fast copy: no fee
    assert inv.balance("USDT").total == 1010
    inv.apply(f("t2", "sell", "1", "110", 3, "2", fee="0.05", pnl="9.5"))  # full: venue pnl
    inv.apply(f("t2", "sell", "1", "110", 3, "2", fee="0.05", pnl="9.5"))
    assert inv.balance("USDT").total == D("1009.45")
    inv.apply(bal("USDT", "1009.45", "1009.45", 3))
    inv.apply(f("t2", "sell", "1", "110", 3, "2", fee=None, fee_asset=None))
    assert inv.balance("USDT").total == D("1009.45")


def test_position_report_covers_pending_fills() -> None:
    inv = linear()
    inv.apply(f("t1", "buy", "1", "100", 2, "1", pnl="0"))
    inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 2, "linear"))
    inv.apply(f("t1", "buy", "1", "100", 2, "1", pnl="0"))
    assert inv.position("BTCUSDT").quantity == 1
    inv.apply(ev.PositionReported("BTCUSDT", D(0), D(0), 1, "linear"))  # stale
    assert inv.position("BTCUSDT").quantity == 1


def test_inverse_pnl_in_base() -> None:
    inv = Inventory([INVERSE])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("BTC", "1", "1", 1),)))
    inv.apply(
        fill(
            "a", "10", "20000", 2, oid="1", cid=None, fee="0", fee_asset="BTC", symbol="BTCUSD_PERP"
        )
    )
    inv.apply(
        fill(
            "b", "10", "30000", 3, oid="2", cid=None, fee="0", fee_asset="BTC", symbol="BTCUSD_PERP"
        )
    )
    p = inv.position("BTCUSD_PERP")
    # harmonic mean of 20000 and 30000 with equal weights: 24000
    assert p.quantity == 20 and p.entry_price == 24000
    inv.apply(
        fill(
            "c",
            "20",
            "25000",
            4,
            oid="3",
            cid=None,
            side="sell",
            fee="0",
            fee_asset="BTC",
            symbol="BTCUSD_PERP",
        )
    )
    # 20 * 100 * (1/24000 - 1/25000)
    expected = EXACT.multiply(
        D(2000), EXACT.subtract(EXACT.divide(1, D(24000)), EXACT.divide(1, D(25000)))
    )
    assert inv.balance("BTC").total == 1 + expected
    assert inv.position("BTCUSD_PERP").quantity == 0


def test_position_exposure_counts_open_orders() -> None:
    inv = linear()
    inv.apply(report("new", "0", 2, cid="b", oid="1", qty="3", kind="linear"))
    inv.apply(report("new", "0", 2, cid="s", oid="2", qty="2", side="sell", kind="linear"))
    e = inv.exposure("BTCUSDT")
    assert (e.low, e.expected, e.high) == (D(-2), D(0), D(3))
    assert inv.balance("USDT").free == 1000  # margin is out of scope: no reserve


def test_funding_moves_the_wallet_once() -> None:
    inv = linear()
    fund = ev.CashChanged("USDT", D("-1.5"), D("-1.5"), 3, "FUNDING_FEE", "fund-1")
    inv.apply(fund)
    inv.apply(fund)
    assert inv.balance("USDT").total == D("998.5")


def test_position_of_a_non_derivative_raises_inventory_error() -> None:
    inv = Inventory([BTCUSDT])
    with pytest.raises(InventoryError, match="not a derivative"):
        inv.position("BTCUSDT")
    with pytest.raises(InventoryError):
        inv.position("NOPE")


def test_spot_and_linear_under_one_symbol() -> None:
    inv = Inventory([BTCUSDT, PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "1000", "1000", 1),)))
    inv.submit(
        client_order_id="s1", symbol="BTCUSDT", kind="spot", side="buy", quantity=D(1), price=D(100)
    )
    inv.submit(
        client_order_id="p1",
        symbol="BTCUSDT",
        kind="linear",
        side="sell",
        quantity=D(2),
        price=D(100),
    )
    assert inv.exposure("BTCUSDT").low == -2  # the symbol's derivative
    assert inv.exposure("BTC").high == 1  # the spot asset
    assert inv.balance("USDT").free == 900
    with pytest.raises(InventoryError, match="kind"):
        inv.submit(client_order_id="x", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(1))
