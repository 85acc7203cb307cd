"""Realized PnL of derivative fills reaching the settle asset: the venue's own per-fill
figure, or one computed from the position, before any wallet report and after one.

Figures are worked by hand: (exit - entry) x quantity for a linear contract of size 1.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev

D = Decimal
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")


def _fill(
    tid: str, side: str, price: str, v: int, pnl: str | None = None, fee: str | None = None
) -> ev.FillReported:
    return ev.FillReported(
        symbol="BTCUSDT",
        order_id=f"o{tid}",
        client_order_id=None,
        trade_id=tid,
        side=side,
        quantity=D(1),
        price=D(price),
        fee=None if fee is None else D(fee),
        fee_asset=None if fee is None else "USDT",
        version=v,
        realized_pnl=None if pnl is None else D(pnl),
    )


def _inv(qty: str) -> Inventory:
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(ev.BalanceReported("USDT", D(1000), D(1000), 1),),
            positions=(ev.PositionReported("BTCUSDT", D(qty), D(100), 1),),
        )
    )
    return inv


def test_computed_pnl_counts_before_any_wallet_is_known() -> None:
    # No snapshot: buy 1 @100 (v0), sell it @110 (v1): +10; buy 1 @100 again (v2).
    inv = Inventory([PERP])
    for e in (
        _fill("A", "buy", "100", 0),
        _fill("B", "sell", "110", 1),
        _fill("C", "buy", "100", 2),
    ):
        inv.apply(e)
    assert inv.balance("USDT").total == D(10)
    assert inv.position("BTCUSDT").quantity == D(1)


def test_venue_pnl_of_every_fill_counts() -> None:
    inv = _inv("2")
    inv.apply(_fill("A", "sell", "110", 2, pnl="10", fee="0"))
    inv.apply(_fill("B", "sell", "120", 3, pnl="20", fee="0"))
    assert inv.balance("USDT").total == D(1030)


def test_fills_a_wallet_report_covers_are_settled_for_good() -> None:
    # C (sell 1 @130, v4) first: +30 against the long @100; the wallet at v4 (1020)
    # includes it. The earlier A (sell @110) and B (buy @120) and the flat position
    # report come after: nothing is pending, nothing unsettled.
    inv = _inv("1")
    inv.apply(_fill("C", "sell", "130", 4))
    inv.apply(ev.BalanceReported("USDT", D(1020), D(1020), 4))
    for e in (
        ev.PositionReported("BTCUSDT", D(0), D(0), 4),
        _fill("A", "sell", "110", 2),
        _fill("B", "buy", "120", 3),
    ):
        inv.apply(e)
    assert inv.balance("USDT").total == D(1020)
    assert inv.sync_state == "synced"
    stats = inv.stats()
    assert (stats["pending_changes"], stats["unsettled_fills"]) == (0, 0)


def test_a_repriced_fill_and_another_unsettled_fill_are_each_counted_until_settled() -> None:
    # Flat at v1, a flat report at v3. B (sell @110, v3) settles at once (priced 0: no
    # known fill reaches the report). X (buy, v10, fee 0.1) is unsettled. A (buy @100, v2)
    # then shows B closed a long: +10, B unsettled again. The wallet at v3 settles B
    # only: X is still waiting.
    inv = _inv("0")
    inv.apply(ev.PositionReported("BTCUSDT", D(0), D(0), 3))
    inv.apply(_fill("B", "sell", "110", 3, fee="0"))
    inv.apply(_fill("X", "buy", "100", 10, fee="0.1"))
    inv.apply(_fill("A", "buy", "100", 2, fee="0"))
    assert (inv.sync_state, inv.stats()["unsettled_fills"]) == ("settling", 2)
    inv.apply(ev.BalanceReported("USDT", D(1010), D(1010), 3))
    assert (inv.sync_state, inv.stats()["unsettled_fills"]) == ("settling", 1)
    assert inv.balance("USDT").total == D("1009.9")
