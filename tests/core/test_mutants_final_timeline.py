"""Focused examples for the last surviving mutants of the amend timeline and the fill path.

Each pins a value computed through the public surface: a late report splitting a run of
an amended order (and the retirement that follows once a balance report covers it all), a
fill arriving while the bot's amend is in flight (with and without runs), the end release
of an amended order withdrawn when a later report counts every unit as filled, the order
type a report brings (spot, conditional, first known by a fill) as seen by an amend's
reserve, and the client id of orders first known by a fill.
"""

from __future__ import annotations

from decimal import Decimal

from core import Inventory
from core import events as ev
from tests.core.builders import bal, fill, report, spot

D = Decimal


def _free(inv: Inventory, asset: str = "USDT") -> tuple[Decimal, Decimal]:
    b = inv.balance(asset)
    return b.total, b.free


def _typed(
    version: int, order_type: str, *, conditional: bool = False, status: str = "new"
) -> ev.OrderReported:
    """A report of buy c1/1, 1 @ 100, with the given order type."""
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id="1",
        client_order_id="c1",
        side="buy",
        status=status,
        quantity=D(1),
        price=D(100),
        filled_quantity=D("0.5") if status == "partially_filled" else D(0),
        average_price=None,
        version=version,
        order_type=order_type,
        conditional=conditional,
    )


# --- runs of (quantity, price): a late report inside a run ------------------------------


def test_late_report_inside_a_run_splits_it_and_the_order_retires_once_covered() -> None:
    """Runs (1, 100) at v2..v4 and (2, 100) from v6; a late v3 report shows (2, 100): the
    first run is split in three. Every later report walks past two runs."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 4))
    inv.apply(report("new", "0", 6, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    inv.apply(report("new", "0", 3, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 4
    inv.apply(bal("USDT", "10000", "9800", 3))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    inv.apply(report("canceled", "0", 7, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    stats = inv.stats()
    assert (stats["live_orders"], stats["retired_orders"], stats["pending_changes"]) == (0, 0, 3)
    inv.apply(bal("USDT", "10000", "10000", 7))
    stats = inv.stats()
    assert (stats["live_orders"], stats["retired_orders"], stats["pending_changes"]) == (0, 1, 0)


# --- a fill while the bot's amend is in flight ---------------------------------------------


def test_fill_of_an_amended_order_while_a_new_amend_is_in_flight() -> None:
    """Runs (1, 100) then (1, 95); the bot asks for 90; a newer fill of 0.5 unlocks at the
    lowest price of the chain."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, price="95"))
    inv.amend("c1", price=D(90))
    assert _free(inv) == (D(10000), D(9905))
    inv.apply(fill("T1", "0.5", "90", 4))
    assert _free(inv) == (D("9955.0"), D("9905.0"))
    assert _free(inv, "BTC") == (D("0.5"), D("0.5"))


def test_fill_while_an_amend_is_in_flight_unlocks_at_the_lowest_price() -> None:
    """No runs yet: 1 @ 100 accepted, the bot asks for 90, a fill of 0.5 @ 90 arrives."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(90))
    inv.apply(fill("T1", "0.5", "90", 3))
    assert _free(inv) == (D("9955.0"), D("9900.0"))
    assert _free(inv, "BTC") == (D("0.5"), D("0.5"))


# --- the end release of an amended order ---------------------------------------------------


def test_end_release_of_an_amended_order_leaves_when_all_is_reported_filled() -> None:
    """1 -> 2 @ 100, canceled at v4: 200 released. A v5 report counts 2 filled: nothing is
    left to release, and the implied fills keep the quote low."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("canceled", "0", 4, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 3
    inv.apply(report("canceled", "2", 5, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    exp = inv.exposure("USDT")
    assert (exp.low, exp.expected, exp.high) == (D(9800), D(10000), D(10000))


# --- the order type a report brings ----------------------------------------------------------


def test_first_report_of_a_spot_intent_sets_its_type() -> None:
    """Sent as a limit, reported as a market order: an amend's size raise reserves nothing."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_typed(2, "market"))
    inv.amend("c1", quantity=D(2))
    assert _free(inv) == (D(10000), D(9900))


def test_conditional_intent_keeps_its_own_type() -> None:
    """A conditional limit buy reported with type market keeps the bot's limit: a size
    raise reserves one more unit at 100."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    inv.apply(_typed(2, "market", conditional=True))
    inv.amend("c1", quantity=D(2))
    assert _free(inv) == (D(10000), D(9900))
    exp = inv.exposure("USDT")
    assert (exp.low, exp.expected, exp.high) == (D(9800), D(10000), D(10000))


def test_order_first_known_by_a_fill_takes_the_type_of_its_first_report() -> None:
    """A market buy reserves nothing, even with a price in its report."""
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2))
    inv.apply(_typed(3, "market", status="partially_filled"))
    assert _free(inv) == (D("9950.0"), D("9950.0"))


# --- client ids of orders first known by a fill ------------------------------------------------


def test_order_created_by_a_fill_carries_its_client_id() -> None:
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2, cid="c9", oid="9"))
    o = inv.order("c9")
    assert o is not None
    assert (o.client_order_id, o.order_id) == ("c9", "9")


def test_fill_of_another_order_id_does_not_take_a_live_orders_client_id() -> None:
    """c1 names the open order 1; a fill of order 2 carrying c1 makes a new order, and c1
    still names order 1."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.5", "100", 3, oid="2"))
    o1, o2 = inv.order("c1"), inv.order("2")
    assert o1 is not None and o2 is not None
    assert (o1.order_id, o1.status) == ("1", "open")
    assert (o2.order_id, o2.client_order_id, o2.filled_quantity) == ("2", "c1", D("0.5"))


def test_late_fill_of_an_order_whose_client_id_was_reused_does_not_take_it_back() -> None:
    """c1 was reused (OKX) for order 2; a late fill of order 1 naming c1 leaves c1 on 2."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0.5", 2))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, oid="2"))
    inv.apply(fill("T1", "0.5", "100", 2))
    o = inv.order("c1")
    assert o is not None
    assert o.order_id == "2"


def _counts(inv: Inventory) -> tuple[int, int, int]:
    s = inv.stats()
    return s["live_orders"], s["retired_orders"], s["pending_changes"]


def test_late_report_splits_the_third_run_and_keeps_the_first() -> None:
    """Runs (1, 100) v2, (2, 100) v4..v6, (1, 100) v8; a late v5 report shows (1, 100):
    the middle run is split, the first run (the acceptance's size) stays."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    for v, q in ((2, "1"), (4, "2"), (6, "2"), (8, "1")):
        inv.apply(report("new", "0", v, qty=q))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 3)
    inv.apply(report("new", "0", 5, qty="1"))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 5)
    inv.apply(bal("USDT", "10000", "9900", 5))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 2)


def test_withdrawn_end_release_keeps_the_pending_count_for_retirement() -> None:
    """The end release withdrawn by a report counting 2 filled; the fills then come and the
    balance reports cover the rest one asset at a time: the order retires only at the end."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("canceled", "0", 4, qty="2"))
    inv.apply(report("canceled", "2", 5, qty="2"))
    inv.apply(fill("T1", "2", "100", 5))
    assert _counts(inv) == (0, 0, 4)
    assert inv.sync_state == "settling"
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert _counts(inv) == (0, 0, 2)
    inv.apply(bal("BTC", "2", "2", 5))
    assert _counts(inv) == (0, 0, 1)
    assert inv.sync_state == "settling"
    inv.apply(bal("USDT", "9800", "9800", 5))
    assert _counts(inv) == (0, 1, 0)
    assert inv.sync_state == "synced"


def test_late_report_moving_the_last_pending_amend_under_a_balance_retires_the_order() -> None:
    """1 -> 2 @ 100 first seen at v6, filled by T1 at v7. A USDT report at v5 listing T1
    leaves only the increase (dated v6) pending; a late v4 report of (2, 100) dates it at
    v4, which that report covers: nothing is pending and the filled order retires."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 6, qty="2"))
    inv.apply(fill("T1", "2", "100", 7))
    o = inv.order("c1")
    assert o is not None and o.status == "filled"
    assert _counts(inv) == (0, 0, 4)
    inv.apply(bal("BTC", "2", "2", 7))
    inv.apply(ev.BalanceReported("USDT", D(9800), D(9800), 5, frozenset({"T1"})))
    assert _free(inv) == (D(9800), D(9700))
    assert _counts(inv) == (0, 0, 1)
    inv.apply(report("new", "0", 4, qty="2"))
    assert _free(inv) == (D(9800), D(9800))
    assert _counts(inv) == (0, 1, 0)


def test_first_report_with_other_values_than_sent_moves_the_acceptance_once() -> None:
    """Sent 1 @ 100, first reported as 2 @ 100: the in-flight acceptance is replaced by a
    versioned one, and the order retires once a balance report covers its cancel."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert _counts(inv) == (1, 0, 1)
    inv.apply(report("new", "0", 2, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert _counts(inv) == (1, 0, 2)
    inv.apply(report("canceled", "0", 3, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 0, 3)
    inv.apply(bal("USDT", "10000", "9800", 2))  # covers the acceptance and the raise
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 0, 1)
    inv.apply(bal("USDT", "10000", "10000", 3))
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 1, 0)


def test_first_report_with_other_values_keeps_the_reserve_exact() -> None:
    """Sent 1 @ 100, first reported as 3 @ 90: 270 reserved, to the unit (no digits left
    over from the in-flight estimate it replaces)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, qty="3", price="90"))
    b = inv.balance("USDT")
    assert (str(b.total), str(b.free), str(b.locked)) == ("10000", "9730", "270")


def test_order_filled_by_its_fills_then_reported_larger_takes_a_further_fill() -> None:
    """Sent 1 @ 100 and filled by T1 (1) before any report; the venue then reports it
    amended to 2 with 1 filled, and T2 (0.5) comes: it is counted, not refused."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 2))
    assert _free(inv) == (D(9900), D(9900))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    assert _free(inv) == (D(9900), D(9800))
    assert inv.stats()["pending_changes"] == 4
    inv.apply(fill("T2", "0.5", "100", 4))
    o = inv.order("c1")
    assert o is not None and o.filled_quantity == D("1.5")
    assert _free(inv) == (D("9850.0"), D("9800.0"))
    assert _free(inv, "BTC") == (D("1.5"), D("1.5"))


def test_a_raise_made_outside_the_bot_after_the_fills_reached_the_size_is_documented() -> None:
    """Sent 1 @ 100; T1 fills 1 before any report; the venue then reports 2 with 1 filled:
    a raise the bot did not announce (spec/accounting.md, "Orders"). The order stays
    filled (P4), and the balances follow the venue exactly: the rest's reserve and fill."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 2))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.quantity) == ("filled", D(2))
    assert _free(inv) == (D(9900), D(9800))
    inv.apply(fill("T2", "1", "100", 4))
    assert _free(inv) == (D(9800), D(9800))
    assert inv.balance("BTC").total == D(2)


def test_a_raise_the_bot_announced_keeps_the_order_open() -> None:
    """The same, announced with inv.amend: the order stays open and the rest counts."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1", "100", 2))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"
    assert inv.exposure("BTC").high == D(2)
    assert _free(inv) == (D(9900), D(9800))


def test_late_report_of_the_next_runs_values_joins_that_run() -> None:
    """Sell sent 2 @ 100; reports (3, 105) v3, (3, 90) 0.5 filled v4, then a late v2 of
    (3, 105): it joins the v3 run, and the base reserve stays exact (3, not 3.0)."""
    inv = spot("100000", btc="10")
    inv.submit("c1", "BTCUSDT", "sell", D(2), D(100))
    inv.apply(report("new", "0", 3, qty="3", price="105", side="sell", cid=None))
    inv.apply(report("partially_filled", "0.5", 4, qty="3", price="90", side="sell"))
    inv.apply(report("new", "0", 2, qty="3", price="105", side="sell"))
    b = inv.balance("BTC")
    assert (str(b.total), str(b.free), str(b.locked)) == ("10", "7", "3")
