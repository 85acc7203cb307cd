"""Positions: entry prices kept, and PnL realized only on what a fill closes."""

from __future__ import annotations

from core import Inventory
from core import events as ev
from tests.core.builders import INVERSE, PERP, D, bal, fill


def _linear(wallet: str = "1000") -> Inventory:
    inv = Inventory([PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", wallet, wallet, 1),)))
    return inv


def _lf(tid: str, side: str, qty: str, price: str, v: int, oid: str) -> ev.FillReported:
    return fill(tid, qty, price, v, side=side, oid=oid, cid=None, kind="linear")


def test_position_of_exactly_one_contract_keeps_its_entry_price() -> None:
    inv = _linear()
    inv.apply(_lf("t1", "buy", "1", "100", 2, "1"))
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(1), D(100))


def test_single_pending_flip_fill_realizes_pnl_on_the_reported_quantity_only() -> None:
    # Report: long 1 @ 100. One sell of 2 @ 110 (pending, no venue PnL) closes the 1 long
    # (+10) and opens 1 short @ 110: the wallet moves by +10, not by 2 x 10.
    inv = _linear()
    inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 2, "linear"))
    inv.apply(_lf("t1", "sell", "2", "110", 3, "1"))
    assert inv.balance("USDT").total == 1010
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(-1), D(110))


def test_inverse_fill_covered_by_its_position_report_computes_inverse_pnl() -> None:
    # The report (v3) already covers the fill: long 10 @ 20000, after selling 10 of 20.
    # Fill: sell 10 @ 25000 at v3, no venue PnL. Computed against the state before it:
    # 10 x 100 x (1/20000 - 1/25000) = 0.01 BTC (the linear formula would give 5e6).
    inv = Inventory([INVERSE])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("BTC", "1", "1", 1),)))
    inv.apply(ev.PositionReported("BTCUSD_PERP", D(10), D(20000), 3))
    inv.apply(
        fill(
            "t1",
            "10",
            "25000",
            3,
            side="sell",
            oid="1",
            cid=None,
            fee="0",
            fee_asset="BTC",
            symbol="BTCUSD_PERP",
        )
    )
    assert inv.balance("BTC").total == D("1.01")
    p = inv.position("BTCUSD_PERP")
    assert (p.quantity, p.entry_price) == (D(10), D(20000))
