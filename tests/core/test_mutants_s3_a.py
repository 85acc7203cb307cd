"""Mutants of the bot's amend chains (session 3, list A): pins what survived.

Covers `_Amend`, `_Order.cap`, `Inventory._hold_unheard`, `_heard`, `_set_amending`,
`_on_amend_failed`, `_on_amend_requested`, `_filled_by`: the rise held back for chain
states no report showed (added up over chains, dropped once each is heard), a refusal
that leaves a chain already answered, a second amend building on the first, and the
fills an old report must count. Two of them were core bugs found on the way, fixed
since (a chain answered by a report that is not its answer).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from tests.core.builders import BTCUSDT, bal, fill, report, spot
from tests.core.test_amend_chains import _buy, _free

D = Decimal


def _pending(inv: Inventory) -> int:
    return inv.stats()["pending_changes"]


# --- the rise held for unheard states, over two chains ----------------------------------


def test_unheard_states_of_two_chains_add_up_until_each_is_heard() -> None:
    """1 @ 100 -> 95 -> 105 (answered at v3, 95 unheard: 10 held), then 105 -> 96 -> 106
    (answered at v5, 96 unheard: 10 more). Both holds add up; hearing 95 keeps the hold
    (96 still unheard), hearing 96 too leaves the exact timeline."""
    inv = _buy("1")
    inv.amend("c1", price=D(95))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 3, price="105"))
    assert (_free(inv), _pending(inv)) == (D(9885), 3)  # 10000 - 105 - 10 held
    inv.amend("c1", price=D(96))
    inv.amend("c1", price=D(106))
    inv.apply(report("new", "0", 5, price="106"))
    assert (_free(inv), _pending(inv)) == (D(9874), 4)  # 10000 - 106 - 20 held
    inv.apply(report("new", "0", 2, price="95"))
    assert _free(inv) == D(9874)
    inv.apply(report("new", "0", 4, price="96"))
    assert _free(inv) == D(9894)  # exact: 10000 - 106


def test_a_start_valued_state_after_the_chain_began_is_not_heard() -> None:
    """1 @ 100 -> 110 -> 100 -> 120; 110 reported at v2, a balance report at v3 catches
    the venue back at 100, the answer (120) at v4. The report of 100 at v1 (before the
    chain) does not show the return to 100: its rise stays held (free never high)."""
    inv = _buy("1")
    for price in (110, 100, 120):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="110"))
    inv.apply(bal("USDT", "10000", "9900", 3))
    inv.apply(report("new", "0", 4, price="120"))
    assert _free(inv) == D(9870)  # at most the truth, 10000 - 120
    inv.apply(bal("USDT", "10000", "9880", 4))
    assert (_free(inv), _pending(inv)) == (D(9880), 0)


def test_states_after_where_the_venue_stopped_are_not_waited_for() -> None:
    """100 -> 95 -> 98 -> 110, canceled at v5 showing 98: 110 never was. Once 95 is
    heard, nothing is held any more (the end and the timeline's increase remain)."""
    inv = _buy("1")
    for price in (95, 98, 110):
        inv.amend("c1", price=D(price))
    inv.apply(bal("USDT", "10000", "9905", 3))
    inv.apply(report("canceled", "0", 5, price="98"))
    assert _free(inv) == D(10000)
    inv.apply(report("new", "0", 3, price="95"))
    assert (_free(inv), _pending(inv)) == (D(10000), 2)
    inv.apply(bal("USDT", "10000", "10000", 5))
    assert (_free(inv), _pending(inv)) == (D(10000), 0)


def test_an_unheard_state_of_a_chain_that_only_lowers_holds_nothing() -> None:
    """100 -> 98 -> 95 answered at v3 with 98 unheard: no rise, no held change."""
    inv = _buy("1")
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(95))
    inv.apply(report("new", "0", 3, price="95"))
    assert (_free(inv), _pending(inv)) == (D(9905), 2)  # the acceptance and the release


def test_a_chain_answered_at_version_zero_holds_its_unheard_rise() -> None:
    """No balance report yet (the ledger covers nothing); 1 @ 100 -> 95 -> 105 answered
    by the order's first report, at version 0: the rise through 95 is held at v0."""
    inv = Inventory([BTCUSDT])
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", price=D(95))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 0, price="105"))
    assert _free(inv) == D(-115)  # reserve 105, and 10 held until 95 is heard
    inv.apply(bal("USDT", "10000", "9895", 0))
    assert (_free(inv), _pending(inv)) == (D(9895), 0)


# --- refusals leaving a chain that a report already answered -----------------------------


def test_a_refusal_leaving_a_chain_a_report_answered_holds_its_unheard_state() -> None:
    """100 -> 95 -> 105 -> 110; 105 reported at v3; 110 refused: the rest of the chain is
    answered by that report, and its unheard 95 keeps 10 held until it is heard."""
    inv = _buy("1")
    for price in (95, 105, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 3, price="105"))
    inv.apply(ev.AmendFailed("c1", "insufficient balance"))
    assert _free(inv) == D(9885)  # 10000 - 105 - 10 held
    inv.apply(report("new", "0", 2, price="95"))
    assert _free(inv) == D(9895)


def test_a_refusal_leaving_a_chain_back_to_its_start_that_a_report_answered() -> None:
    """100 -> 105 -> 100 -> 110; 105 at v2 and 100 at v3 reported; 110 refused: the chain
    back to 100 is answered by the report of v3, newer than the one showing 105."""
    inv = _buy("1")
    for price in (105, 100, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="105"))
    inv.apply(report("new", "0", 3, price="100"))
    inv.apply(ev.AmendFailed("c1", "insufficient balance", price=D(110)))
    assert _free(inv) == D(9900)
    inv.apply(bal("USDT", "10000", "9900", 3))
    assert (_free(inv), _pending(inv)) == (D(9900), 0)


# --- a second amend, a third after a report of the middle --------------------------------


def test_a_price_amend_after_a_raise_builds_on_the_raised_size() -> None:
    """1 @ 100 raised to 2; 1.5 fills (the venue took the raise); a price amend keeps the
    size 2, above the fills: it is accepted, and the venue may still hold 0.5 more."""
    inv = _buy("1")
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1.5", "100", 3))
    inv.amend("c1", price=D(99))
    assert inv.exposure("BTC").high == D(2)
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"


def test_an_amend_after_a_report_of_the_middle_of_a_chain_rises_from_its_start() -> None:
    """2 @ 100 -> 110 -> 105; a report shows 110 (not the answer); then -> 120: the venue
    may have been at 100 at the last balance report, so the rise held is 2 x 20."""
    inv = _buy("2")
    inv.amend("c1", price=D(110))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 2, qty="2", price="110"))
    inv.amend("c1", price=D(120))
    assert _free(inv) == D(10000) - D(200) - D(20) - D(40)  # increase to 110 + chain rise
    inv.apply(report("new", "0", 4, qty="2", price="120"))
    inv.apply(bal("USDT", "10000", "9760", 4))
    assert _free(inv) == D(9760)


# --- an old report and the fills it must count -------------------------------------------


def test_a_report_as_new_as_a_fill_below_it_is_refused() -> None:
    """1 @ 100 raised to 2, 1.5 filled at v4: a report at v4 of size 1 cannot be (a report
    reflects every fill of its version and before)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1.5", "100", 4))
    with pytest.raises(InvalidEvent, match=r"quantity 1 below the known fills 1\.5"):
        inv.apply(report("new", "0", 4))


# --- core bugs ---------------------------------------------------------------------------


def test_late_copies_of_reports_from_before_a_chain_do_not_answer_it() -> None:
    """1 @ 100 raised to 2 (answered at v2); then 2 -> 3 -> 2 in flight. Late copies of
    the v1 and v2 reports come: neither is a state of the chain (both before it), so the
    venue may still hold 3, and a fill of 2 leaves it partially filled."""
    inv = _buy("1")
    inv.amend("c1", quantity=D(2))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.amend("c1", quantity=D(3))
    inv.amend("c1", quantity=D(2))
    assert inv.exposure("BTC").high == D(3)
    inv.apply(report("new", "0", 1))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("T1", "2", "100", 5))
    o = inv.order("c1")
    assert o is not None
    assert (o.status, inv.exposure("BTC").high) == ("partially_filled", D(3))


def test_a_chain_returning_to_an_earlier_state_is_not_answered_by_its_first_report() -> None:
    """1 @ 100 -> 110 -> 100 -> 110. The report of v2 shows the first 110; a balance
    report at v3 catches the venue back at 100; the report of v4 shows the last 110. The
    venue reserves 110: free is at most 9890 (P6)."""
    inv = _buy("1")
    for price in (110, 100, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="110"))
    inv.apply(bal("USDT", "10000", "9900", 3))
    inv.apply(report("new", "0", 4, price="110"))
    assert _free(inv) <= D(9890)
