"""Exposure when a balance or position report includes fills only an order report told of.

An order report at version v stating cumulative c says fills at or before v add up to c;
a balance report at V >= v includes all of them, so only what is neither heard nor inside
the balance report (nor left to fill) widens the range (P8). Each expected range is worked
from the snapshot (USDT 1000, BTC 0 or 2) by hand.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev
from core.views import Exposure

D = Decimal
SPOT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")


def _spot(btc: str = "0") -> Inventory:
    inv = Inventory([SPOT])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(
                ev.BalanceReported("USDT", D(1000), D(1000), 1),
                ev.BalanceReported("BTC", D(btc), D(btc), 1),
            ),
        )
    )
    return inv


def _report(
    status: str, cum: str, v: int, *, oid: str = "1", cid: str | None = "c1", side: str = "buy"
) -> ev.OrderReported:
    return ev.OrderReported(
        "BTCUSDT", oid, cid, side, status, D(1), D(100), D(cum), D(100) if D(cum) else None, v
    )


def _fill(tid: str, qty: str, v: int) -> ev.FillReported:
    return ev.FillReported("BTCUSDT", "1", "c1", tid, "buy", D(qty), D(100), D(0), "USDT", v)


def _x(low: str, expected: str, high: str) -> Exposure:
    return Exposure(low=D(low), expected=D(expected), high=D(high))


def _buy_half_filled() -> Inventory:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("partially_filled", "0.5", 3))
    return inv


def test_sold_order_covered_by_balance_reports_leaves_the_quote_bounded() -> None:
    inv = _spot(btc="2")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.apply(_report("new", "0", 2, side="sell"))
    inv.apply(_report("filled", "1", 3, side="sell"))
    assert inv.exposure("USDT").high == D("Infinity")  # its fill's price is unheard
    inv.apply(ev.BalanceReported("BTC", D(1), D(1), 4))
    inv.apply(ev.BalanceReported("USDT", D(1100), D(1100), 4))
    assert inv.exposure("USDT") == _x("1100", "1100", "1100")
    assert inv.exposure("BTC") == _x("1", "1", "1")


def test_a_covered_order_does_not_hide_an_uncovered_one_after_it() -> None:
    # Two buys reported filled with no fill heard: the first (v3) is inside the BTC
    # balance at v4, the second (v5) is not, so 1 BTC may still come.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("filled", "1", 3))
    inv.apply(ev.BalanceReported("BTC", D(1), D(1), 4))
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 5, oid="2", cid="c2"))
    inv.apply(_report("filled", "1", 6, oid="2", cid="c2"))
    assert inv.exposure("BTC") == _x("1", "1", "2")


def test_implied_fills_widen_while_no_balance_of_the_asset_is_known() -> None:
    # No snapshot: nothing includes the 0.5 the report counts; 1 BTC may still come.
    inv = Inventory([SPOT])
    inv.apply(_report("partially_filled", "0.5", 1))
    assert inv.exposure("BTC") == _x("0", "0", "1")


def test_balance_at_the_order_reports_version_includes_its_implied_fills() -> None:
    inv = _buy_half_filled()
    inv.apply(ev.BalanceReported("BTC", D("0.5"), D("0.5"), 3))
    assert inv.exposure("BTC") == _x("0.5", "0.5", "1")  # only the 0.5 left can come


def test_fill_heard_at_the_balance_version_counts_against_the_implied_part() -> None:
    # 0.5 counted at v3, 0.2 of it heard (v4); the balance at v4 includes all 0.5.
    inv = _buy_half_filled()
    inv.apply(_fill("t1", "0.2", 4))
    inv.apply(ev.BalanceReported("BTC", D("0.5"), D("0.5"), 4))
    assert inv.exposure("BTC") == _x("0.5", "0.5", "1")


def test_heard_fills_beyond_the_reported_count_cover_nothing_more() -> None:
    # 0.7 heard by v4, more than the 0.5 counted at v3: only the 0.3 left can come.
    inv = _buy_half_filled()
    inv.apply(_fill("t1", "0.7", 4))
    inv.apply(ev.BalanceReported("BTC", D("0.7"), D("0.7"), 4))
    assert inv.exposure("BTC") == _x("0.7", "0.7", "1")


def test_the_newest_count_before_the_balance_is_the_one_covered() -> None:
    inv = _buy_half_filled()
    inv.apply(_report("partially_filled", "0.6", 4))
    inv.apply(ev.BalanceReported("BTC", D("0.6"), D("0.6"), 5))
    assert inv.exposure("BTC") == _x("0.6", "0.6", "1")


def test_a_covered_derivative_order_does_not_hide_an_uncovered_one_after_it() -> None:
    # Long 2; two sells of 1 reported filled with no fill heard: the first (v3) is inside
    # the position report at v4 (long 1), the second (v6) is not: down to 0 still possible.
    perp = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
    inv = Inventory([perp])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(ev.BalanceReported("USDT", D(1000), D(1000), 1),),
            positions=(ev.PositionReported("BTCUSDT", D(2), D(100), 1),),
        )
    )

    def sold(oid: str, status: str, cum: str, v: int) -> ev.OrderReported:
        avg = D(110) if D(cum) else None
        return ev.OrderReported("BTCUSDT", oid, None, "sell", status, D(1), D(110), D(cum), avg, v)

    inv.apply(sold("1", "new", "0", 2))
    inv.apply(sold("1", "filled", "1", 3))
    inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 4))
    inv.apply(sold("2", "new", "0", 5))
    inv.apply(sold("2", "filled", "1", 6))
    assert inv.exposure("BTCUSDT") == _x("0", "1", "1")
