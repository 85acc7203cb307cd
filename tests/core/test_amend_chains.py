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
from core import events as ev
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


def test_a_raise_proved_by_fills_before_its_report_unlocks_no_more_than_it_reserved() -> None:
    """Sell c1 1 BTC; the bot raises it to 1.5 and a fill of 1.5 comes before any report:
    the venue took the raise (its reserve 0.5 more) and the fill released all 1.5. Until
    the raise is reported or a balance report covers the fill, the extra stays held.
    Found by a deep chaos run."""
    inv = spot("10000", btc="10", version=0)
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.amend("c1", quantity=D("1.5"))
    inv.apply(fill("T1", "1.5", "100", 3, side="sell"))
    o = inv.order("c1")
    assert o is not None and o.status == "filled"
    btc = inv.balance("BTC")
    assert (btc.total, btc.free) == (D("8.5"), D("8.5"))
    inv.apply(report("new", "0", 2, qty="1.5", side="sell"))  # the raise, late
    btc = inv.balance("BTC")
    assert (btc.total, btc.free) == (D("8.5"), D("8.5"))
    inv.apply(bal("BTC", "8.5", "8.5", 3))
    assert inv.balance("BTC").free == D("8.5")


def test_states_after_where_the_venue_stopped_never_were() -> None:
    """Chain 100 -> 95 -> 98 -> 110, canceled at v5 showing 98; a balance report caught
    the venue at 95 (v3). Only the rise 95 -> 98 is held (not up to 110): exact."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    for price in (95, 98, 110):
        inv.amend("c1", price=D(price))
    inv.apply(bal("USDT", "10000", "9905", 3))
    inv.apply(report("canceled", "0", 5, price="98"))
    assert _free(inv) == D(10000)


# --- refusals among several amends in flight ---------------------------------------------


def _two_amends() -> Inventory:
    """Buy c1 2 @ 100 (v1); the bot amends to 105, then to 110, neither answered yet."""
    inv = _buy()
    inv.amend("c1", price=D(105))
    inv.amend("c1", price=D(110))
    assert _free(inv) == D(9780)
    return inv


def test_a_refusal_naming_no_amend_refuses_the_newest() -> None:
    """105 taken (the venue reserves 210), 110 refused: the first may stand, so its rise
    stays held until a report shows it."""
    inv = _two_amends()
    inv.apply(ev.AmendFailed("c1", "insufficient balance"))
    assert _free(inv) == D(9790)
    inv.apply(report("new", "0", 2, qty="2", price="105"))
    assert _free(inv) == D(9790)
    assert inv.stats()["pending_changes"] == 2  # the acceptance and the increase at v2


def test_a_refusal_naming_the_first_amend_keeps_the_second() -> None:
    """105 refused, 110 taken on the venue's own values: the chain is 100 -> 110."""
    inv = _two_amends()
    inv.apply(ev.AmendFailed("c1", "rejected", price=D(105)))
    assert _free(inv) == D(9780)
    inv.apply(report("new", "0", 2, qty="2", price="110"))
    assert _free(inv) == D(9780)
    inv.apply(bal("USDT", "10000", "9780", 2))
    assert inv.stats()["pending_changes"] == 0


def test_a_refusal_after_the_taken_amend_was_reported_ends_the_chain() -> None:
    inv = _two_amends()
    inv.apply(report("new", "0", 2, qty="2", price="105"))
    # 110 may still come (9780); the increase to 105 and the chain's whole rise are both
    # held until the answer, on the safe side.
    assert _free(inv) == D(9770)
    inv.apply(ev.AmendFailed("c1", "insufficient balance"))
    assert _free(inv) == D(9790)
    inv.apply(bal("USDT", "10000", "9790", 2))
    assert inv.stats()["pending_changes"] == 0


def test_a_partial_amend_after_a_refused_one_builds_on_the_venues_values() -> None:
    """Quantity 3 refused, then price 110 (quantity unchanged): the venue holds 2 @ 110,
    not 3 @ 110."""
    inv = _buy()
    inv.amend("c1", quantity=D(3))
    inv.amend("c1", price=D(110))
    inv.apply(ev.AmendFailed("c1", "insufficient balance", quantity=D(3)))
    assert inv.exposure("BTC").high == D(2)
    inv.apply(report("new", "0", 2, qty="2", price="110"))
    assert _free(inv) == D(9780)
    assert inv.exposure("BTC").high == D(2)
    o = inv.order("c1")
    assert o is not None and (o.quantity, o.price) == (D(2), D(110))


def test_a_resync_settles_a_chain_back_to_its_first_values() -> None:
    """1 @ 100 -> 0.8 -> 1 (the bot's amends), the report of 0.8 lost: reports of 1 @ 100
    cannot tell "not yet amended" from "amended twice". A snapshot taken after the amend
    calls returned shows where they left the order: the chain is settled and free exact.
    Found by the chaos suite (a lost REST answer, then a resync)."""
    inv = _buy("1")
    inv.amend("c1", quantity=D("0.8"))
    inv.amend("c1", quantity=D(1))
    inv.apply(report("new", "0", 3))
    assert _free(inv) == D(9880)  # the way back up may still be to come: 20 held
    inv.apply(
        ev.SnapshotTaken(
            version=4,
            balances=(
                ev.BalanceReported("USDT", D(10000), D(9900), 4),
                ev.BalanceReported("BTC", D(0), D(0), 4),
            ),
            open_orders=(report("new", "0", 3),),
        )
    )
    assert _free(inv) == D(9900)
    assert inv.stats()["pending_changes"] == 0
