"""An amend the bot sent that may raise an order's size: fills reaching the old size do
not make the order filled until the venue answers.

Until then the venue may hold either size. Taking the order as filled would end it for
good (a terminal order stays terminal, P4), release its reserve (free read high, P6) and
drop its rest from the exposure range (P3) while the venue may still fill it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from tests.core.builders import bal, fill, report, spot

D = Decimal


def _raised() -> Inventory:
    """Buy c1 1 @ 100, live at v2; the bot amends it to 2 and a fill of 1 comes at v4."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1", "100", 4))
    return inv


def _state(inv: Inventory) -> tuple[str, Decimal, Decimal, Decimal, Decimal]:
    o = inv.order("c1")
    assert o is not None
    usdt = inv.balance("USDT")
    return o.status, usdt.free, usdt.locked, inv.exposure("BTC").high, inv.exposure("USDT").low


def test_fills_reaching_the_old_size_leave_a_raised_order_open() -> None:
    inv = _raised()
    # The venue may have taken the amend before the fill: one more may fill, at 100.
    assert _state(inv) == ("partially_filled", D(9800), D(100), D(2), D(9800))
    assert [o.client_order_id for o in inv.open_orders()] == ["c1"]


def test_the_venue_taking_the_amend_keeps_it_open() -> None:
    inv = _raised()
    inv.apply(report("partially_filled", "1", 5, qty="2"))
    assert _state(inv) == ("partially_filled", D(9800), D(100), D(2), D(9800))
    inv.apply(fill("T2", "1", "100", 6))
    assert _state(inv) == ("filled", D(9800), D(0), D(2), D(9800))


def test_a_refused_amend_lets_the_fills_fill_the_order() -> None:
    inv = _raised()
    inv.apply(ev.AmendFailed("c1", "order already filled"))
    assert _state(inv) == ("filled", D(9900), D(0), D(1), D(9900))
    # Its release is dated by the fill that completed it: a balance report as new covers it.
    inv.apply(bal("USDT", "9900", "9900", 4))
    assert inv.stats()["live_orders"] == 0
    assert inv.balance("USDT").free == D(9900)


def test_a_fill_above_the_old_size_within_the_amend_counts() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1.5", "100", 4))  # the venue took the amend before it
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("partially_filled", D("1.5"))
    assert inv.balance("BTC").total == D("1.5")


def test_a_fill_above_every_size_of_the_chain_is_refused() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    with pytest.raises(InvalidEvent, match="above the order quantity 2"):
        inv.apply(fill("T1", "2.5", "100", 4))
    assert inv.balance("BTC").total == D(0)


def test_an_amend_lowering_the_size_to_the_fills_waits_for_the_answer() -> None:
    """Sent 2; the bot amends to 1.5; fills of 1.5 come: the venue may still hold 2."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.amend("c1", quantity=D("1.5"))
    inv.apply(fill("T1", "1.5", "100", 4))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"
    assert inv.exposure("BTC").high == D(2)
    inv.apply(report("filled", "1.5", 5, qty="1.5"))
    o = inv.order("c1")
    assert o is not None and o.status == "filled"
    assert inv.exposure("BTC").high == D("1.5")
    assert inv.balance("USDT").locked == D(0)


def test_a_report_older_than_the_raise_may_show_a_size_below_the_fills() -> None:
    """Raised 1 -> 3 (v3), filled 3 (v4): a late report of v2 shows 1, below the fills; it
    is old news, not a contradiction. A report newer than the fills showing 2 is one."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(3))
    inv.apply(report("new", "0", 3, qty="3"))
    inv.apply(fill("T1", "3", "100", 4))
    inv.apply(report("new", "0", 2, qty="1"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("filled", D(3))
    with pytest.raises(InvalidEvent, match="quantity 2 below the known fills 3"):
        inv.apply(report("new", "0", 5, qty="2"))


def test_a_retired_order_checks_only_reports_as_new_as_everything_heard() -> None:
    """Once retired an order keeps no fills: an older report below them is old news, one as
    new as everything heard is still checked."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(3))
    inv.apply(report("new", "0", 3, qty="3"))
    inv.apply(report("filled", "3", 4, qty="3"))
    inv.apply(fill("T1", "3", "100", 4))
    inv.apply(bal("USDT", "9700", "9700", 4))
    inv.apply(bal("BTC", "3", "3", 4))
    assert inv.stats()["retired_orders"] == 1
    inv.apply(report("new", "0", 2, qty="1"))
    with pytest.raises(InvalidEvent, match="quantity 2 below the known fills 3"):
        inv.apply(report("new", "0", 4, qty="2"))
