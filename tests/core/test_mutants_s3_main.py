"""Survivors of the third session's full mutation run in functions this session did not
change: the versions a run of equal reports remembers, and the price the exposure range
takes when a report shows a price outside the bot's amend chain."""

from __future__ import annotations

from decimal import Decimal

from core import Inventory
from core import events as ev
from tests.core.builders import BTCUSDT, bal, fill, report, spot

D = Decimal


def test_a_long_run_of_equal_reports_remembers_every_version() -> None:
    """Sell 1 reported at v2, v4, v6, v8; a balance report at v4; then a late report of
    0.5 at v5: the amend is dated in (4, 5] and back in (5, 6]; the release at 5 and the
    increase at 6 are both newer than the balance report, so free stays 9."""
    inv = spot("10000", btc="10")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    for v in (2, 4, 6, 8):
        inv.apply(report("new", "0", v, side="sell"))
    inv.apply(bal("BTC", "10", "9", 4))
    inv.apply(report("new", "0", 5, qty="0.5", side="sell"))
    b = inv.balance("BTC")
    assert (b.total, b.free) == (D(10), D(9))


def test_a_reported_price_above_the_bots_amend_bounds_the_range() -> None:
    """Buy 1 @ 100; the bot amends to 105; a report shows 110 (an amend from outside):
    an unheard fill may have gone through at 110, the highest."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 2, price="110"))
    assert inv.exposure("USDT").low == D(10000) - D(110)


# --- the chain's answer, read from its reports in version order; a resync settling it ---


def _chain(inv: Inventory, *quantities: str) -> None:
    """Buy c1 1 @ 100 live at v1, then the bot's amends to each quantity in turn."""
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    for q in quantities:
        inv.amend("c1", quantity=D(q))


def test_reports_are_read_in_version_order_not_by_size() -> None:
    """Chain 1 -> 2 -> 3 -> 2, reports of 2 (v2), 3 (v3), 2 (v4): in version order they
    walk the whole chain, so it is answered and the range is back to 2."""
    inv = spot("10000", version=0)
    _chain(inv, "2", "3", "2")
    for v, q in ((2, "2"), (4, "2"), (3, "3")):
        inv.apply(report("new", "0", v, qty=q))
    assert inv.exposure("BTC").high == D(2)


def test_a_report_of_the_start_values_does_not_stop_the_reading() -> None:
    """Chain 1 -> 2 -> 3, reports of 1 (v2, not yet amended), 2 (v3), 3 (v4): answered;
    the timeline alone holds the reserve (free 10,000 - 300)."""
    inv = spot("10000", version=0)
    _chain(inv, "2", "3")
    for v, q in ((2, "1"), (3, "2"), (4, "3")):
        inv.apply(report("new", "0", v, qty=q))
    assert inv.balance("USDT").free == D(9700)


def test_a_snapshot_listing_an_order_dropped_from_history_is_old_news() -> None:
    """A snapshot older than an order's end lists it as open after it left the history."""
    inv = Inventory([BTCUSDT], history=1)
    inv.apply(
        ev.SnapshotTaken(version=0, balances=(ev.BalanceReported("USDT", D(1000), D(1000), 0),))
    )
    for n, v in ((1, 3), (2, 5)):
        inv.submit(f"c{n}", "BTCUSDT", "buy", D(1), D(100))
        inv.apply(report("filled", "1", v, cid=f"c{n}", oid=str(n)))
        inv.apply(fill(f"T{n}", "1", "100", v, cid=f"c{n}", oid=str(n)))
        inv.apply(bal("USDT", str(1000 - 100 * n), str(1000 - 100 * n), v))
        inv.apply(bal("BTC", str(n), str(n), v))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 2, cid="c1", oid="1"),),
        )
    )
    assert inv.balance("USDT").free == D(800)
    assert inv.open_orders() == []


def test_a_snapshot_with_other_values_leaves_the_chain_in_flight() -> None:
    """Buy 1 @ 100, amend to 105 in flight; a snapshot still shows 100: not an answer."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", price=D(105))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(ev.BalanceReported("USDT", D(10000), D(9900), 2),),
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 1),),
        )
    )
    assert inv.balance("USDT").free == D(9895)


def test_a_snapshot_without_balances_settling_a_chain_keeps_its_unheard_rise() -> None:
    """Chain 1 -> 0.8 -> 1 whose 0.8 was never reported; a balance report of v2 caught the
    venue at 0.8 (9920 free); a snapshot of orders only (v3) settles the chain: the rise
    back to 1 stays held until a balance report as new (free 9900, not 9920)."""
    inv = spot("10000", version=0)
    _chain(inv, "0.8", "1")
    inv.apply(bal("USDT", "10000", "9920", 2))
    inv.apply(
        ev.SnapshotTaken(
            version=3,
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 3),),
        )
    )
    assert inv.balance("USDT").free == D(9900)


def test_an_intent_linked_after_fills_reached_its_raised_size_holds_the_raise() -> None:
    """c1 sent 1 @ 100 and raised to 2; a fill of 2 (v3) comes for a venue order not yet
    named; a balance report of v1 (before the raise) and then the v1 report naming c1
    link them: the order ends, and the raise no report showed stays held (free 9800,
    not 9900 above the total)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "2", "100", 3, cid=None, oid="X1"))
    inv.apply(bal("USDT", "10000", "9900", 1))
    inv.apply(report("new", "0", 1, cid="c1", oid="X1"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("filled", D(2))
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D(9800), D(9800))


def test_an_order_ended_with_its_amend_in_flight_keeps_the_lowest_unlock() -> None:
    """Buy 2 @ 100; amended to 104 (reported, v2); amended back to 102 in flight (the
    venue takes it at v3, releasing 4); the balance report of v3; a fill of 2 at v4 ends
    the order. Its unlock stays at the chain's lowest price, 102: at 104 free would read
    4 above the truth (a deep chaos run found this when the unlock was re-priced)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", price=D(104))
    inv.apply(report("new", "0", 2, qty="2", price="104"))
    inv.amend("c1", price=D(102))
    inv.apply(bal("USDT", "10000", "9796", 3))
    inv.apply(fill("T1", "2", "102", 4))
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D(9796), D(9796))


def test_a_report_newer_than_a_fill_reprices_its_unlock_while_the_chain_waits() -> None:
    """Buy 1 @ 100 (v2), amend to 98 in flight; a fill of 0.5 at v4 unlocks at 98 (the
    amend may have come first); a report of v5 still shows 100, so the fill found 100:
    it unlocks 50, and 0.5 left at 100 keeps 50 locked."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(98))
    inv.apply(fill("T1", "0.5", "98", 4))
    assert inv.balance("USDT").free == D(9900)
    inv.apply(report("partially_filled", "0.5", 5, avg="98"))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D("9951"), D("9901"), D(50))
