"""Mutation survivors of session 3, part C: order ends, the amend timeline and the ledger.

Pins what the survivors of ``Inventory._ended``, ``Inventory._reconcile`` and
``_Order.__init__`` could change: a market buy reported with a price reserves nothing,
the in-flight estimate of a first report with other values leaves no digits behind, a
rejected order's amend chain holds nothing back, the bot's own submission is no report
(it neither dates a release nor counts as hearing a state of a chain), and an order
canceled on the values its amend chain started from holds back the rise through the
state no report showed. The last test was a core bug found on the way, fixed since: the
rise an ended chain holds back was dated at the fill that ended the order, which may be
older than the newest fill.
"""

from __future__ import annotations

from decimal import Decimal

from core import Inventory
from core import events as ev
from tests.core.builders import bal, fill, report, spot

D = Decimal


def _usdt(inv: Inventory) -> tuple[str, str, str]:
    """USDT (total, free, locked) as strings: the exponent counts too."""
    b = inv.balance("USDT")
    return str(b.total), str(b.free), str(b.locked)


def test_market_buy_first_reported_with_a_price_reserves_nothing() -> None:
    """Sent as a market buy (no price), reported as 1 @ 100: the values differ, so the
    order gets a timeline, but a market buy locks nothing (as without one, in
    test_market_buy_with_a_price_reserves_nothing)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), order_type="market")
    inv.apply(report("new", "0", 3, qty="1", price="100"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_first_report_with_other_values_leaves_no_digits_of_the_estimate() -> None:
    """Sent 1 @ 100.5, first reported as 3 @ 90: 270.0 reserved, with the digits of the
    order's own amounts only (the in-flight estimate it replaces is max(q x limit))."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D("100.5"))
    inv.apply(report("new", "0", 3, qty="3", price="90"))
    assert _usdt(inv) == ("10000", "9730.0", "270.0")


def test_rejected_order_with_an_amend_in_flight_holds_nothing() -> None:
    """Sent 2 @ 100, amended to 101 before any answer, then rejected: the venue never had
    it, so nothing is held back for the amend and nothing stays pending."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(101))
    assert _usdt(inv) == ("10000", "9798", "202")
    inv.apply(ev.SubmissionFailed("c1"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_cancel_on_the_start_values_of_a_back_and_forth_chain_holds_its_rise() -> None:
    """2 @ 100 -> 98 (v2) -> 100, canceled at v4 on 100: the report does not answer the
    chain (the same values), and 98 was never shown. A balance report of v2 (at 98,
    reserve 196) then misses the rise of 4 back to 100 that the end releases: it is held
    back, dated v4, until a balance report as new covers it."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(100))
    inv.apply(bal("USDT", "10000", "9804", 2))
    inv.apply(report("canceled", "0", 4, qty="2"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 2  # the end release and the held-back rise
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_the_submission_is_not_a_report_dating_a_release() -> None:
    """Sent 2 @ 100; reports 2 @ 100 at v3 and v0, 2 @ 98 at v2 (amended outside the bot
    and back). The release 100 -> 98 may be as early as v1 (no report showed 100 there),
    and the balance report of v1 caught it at 98: free is exact, not 4 high."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("new", "0", 0, qty="2"))
    inv.apply(report("new", "0", 2, qty="2", price="98"))
    inv.apply(bal("USDT", "10000", "9804", 1))
    assert _usdt(inv) == ("10000", "9800", "200")


def test_submitted_values_do_not_count_as_heard_for_a_chain_sent_before_any_report() -> None:
    """Sent 2 @ 100, amended to 98, back to 100, then to 97 before any report; 97 (v3)
    answers the chain and 98 is heard late (v2). The return to 100 was never reported
    (the bot's own submission is no report of it): its rise of 4 stays held back until a
    balance report as new as the answer covers it."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(100))
    inv.amend("c1", price=D(97))
    inv.apply(report("new", "0", 3, qty="2", price="97"))
    inv.apply(report("new", "0", 2, qty="2", price="98"))
    inv.apply(bal("USDT", "10000", "9804", 2))
    assert _usdt(inv) == ("10000", "9802", "198")
    inv.apply(bal("USDT", "10000", "9806", 3))
    assert _usdt(inv) == ("10000", "9806", "194")
    assert inv.stats()["pending_changes"] == 0


def test_a_raise_ended_by_a_late_older_fill_is_held_back_past_the_newest_fill() -> None:
    """Sent 2 @ 100 (live at v1), amended to 3; T1 (2, v5) comes before T2 (1, v3). The
    venue: T2 at v3, the balance report of v4 (9900 / 9800: 1 left at 100), the raise to
    3 after it, T1 at v5. The end is heard with T2, but the rise it holds back may come as
    late as the newest fill: the report of v4 must not cover it (free 9700, not 9800)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", quantity=D(3))
    inv.apply(fill("T1", "2", "100", 5))
    inv.apply(fill("T2", "1", "100", 3))
    assert _usdt(inv) == ("9700", "9700", "0")
    inv.apply(bal("USDT", "9900", "9800", 4))
    assert _usdt(inv) == ("9700", "9700", "0")
