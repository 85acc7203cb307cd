"""Chains of the bot's amends, answered or ended before every state was reported.

The venue walks the chain in order; a balance report may catch it at any state. The
timeline dates an amend only between reports it has heard, so a state no report showed
is invisible to it: the rise from that state to the next is held back from ``free``
until the state is reported or a balance report as new as the answer covers it (P6).
The first two cases were found by the chaos suite once it raised sizes.
"""

from __future__ import annotations

from decimal import Decimal

from core import Inventory
from tests.core.builders import bal, fill, report, spot

D = Decimal


def _buy(qty: str = "2") -> Inventory:
    """Buy c1 ``qty`` @ 100, reported live at v1 (10,000 USDT)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(qty), D(100))
    inv.apply(report("new", "0", 1, qty=qty))
    return inv


def _free(inv: Inventory) -> Decimal:
    return inv.balance("USDT").free


def test_a_balance_report_catching_the_unreported_middle_of_a_chain() -> None:
    """2 @ 100 -> 98 (v2, its report lost for now) -> 99 (v3). The balance report of v2
    (reserve 196) comes, then the report of v3: the timeline sees 100 -> 99 only, a
    release; the venue went 196 -> 198 after that balance report."""
    inv = _buy()
    inv.amend("c1", price=D(98))
    inv.apply(bal("USDT", "10000", "9804", 2))
    inv.amend("c1", price=D(99))
    inv.apply(report("new", "0", 3, qty="2", price="99"))
    assert _free(inv) == D(9802)  # the truth: 10,000 - 2 x 99
    inv.apply(report("new", "0", 2, qty="2", price="98"))  # the middle is heard: exact timeline
    assert _free(inv) == D(9802)
    assert inv.stats()["pending_changes"] == 1  # the increase at v3, nothing held


def test_a_chain_ended_by_a_cancel_before_its_middle_was_reported() -> None:
    """2 @ 100 -> 98 (v2) -> 99 (v3), then canceled at v4; the balance of v2 is heard
    first. The release at the end is of 198, from 196 + the unseen rise of 2."""
    inv = _buy()
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(99))
    inv.apply(bal("USDT", "10000", "9804", 2))
    inv.apply(report("canceled", "0", 4, qty="2", price="99"))
    assert _free(inv) <= D(10000)
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert _free(inv) == D(10000)
    assert inv.stats()["pending_changes"] == 0


def test_states_shown_before_the_chain_do_not_count_as_heard() -> None:
    """2 @ 98 first (v1), amended by the bot to 100 (v2, answered); then a chain 100 -> 98
    -> 99 whose middle is not reported: an old report of 98 does not date it."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(98))
    inv.apply(report("new", "0", 1, qty="2", price="98"))
    inv.amend("c1", price=D(100))
    inv.apply(report("new", "0", 2, qty="2", price="100"))
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(99))
    inv.apply(bal("USDT", "10000", "9804", 3))  # caught at 98 (v3)
    inv.apply(report("new", "0", 4, qty="2", price="99"))
    assert _free(inv) == D(9802)


def test_an_unheard_fill_before_a_lowering_amend_makes_its_rise_larger() -> None:
    """2 @ 100 -> 2.5 @ 99: with nothing filled the reserve goes 200 -> 247.5 (47.5 more);
    with d filled unheard before it, (2 - d) x 100 -> (2.5 - d) x 99, more as d grows, up
    to 0 -> 49.5 as d nears 2. That bound is held back."""
    inv = _buy()
    inv.amend("c1", quantity=D("2.5"), price=D(99))
    assert _free(inv) == D(10000) - D(200) - D("49.5")
    inv.apply(fill("T1", "0.5", "100", 2))
    inv.apply(report("partially_filled", "0.5", 3, qty="2.5", price="99"))
    inv.apply(bal("USDT", "9950", "9752", 3))
    assert _free(inv) == D(9752)
