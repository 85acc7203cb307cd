"""Mutation survivors of venue reports and fills (third session, list B).

Pins three behaviours of ``Inventory._on_order_reported`` and ``Inventory._on_fill``:

- a chain of the bot's amends back to the order's own quantity is not answered by reports
  that show only the quantity it started from (``changed_at`` compares with the state
  before the chain, not with the first amend's);
- a fill that a client id matches to the bot's in-flight intent is counted even when its
  version is at or below the forgotten watermark (only unknown orders are old news);
- a fill that completes an order with a raise in flight dates the held-back rise of that
  raise at its own version, not at the newest version heard of the order.
"""

from __future__ import annotations

from decimal import Decimal

from core import Inventory
from core.views import Exposure
from tests.core.builders import BTCUSDT, bal, fill, report, spot

D = Decimal


def test_reports_of_the_start_quantity_do_not_answer_a_quantity_chain_back() -> None:
    """Amends 1 -> 2 -> 1: reports at v3 and v4 showing 1 may predate both amends."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.amend("c1", quantity=D(1))
    inv.apply(report("new", "0", 3))
    inv.apply(report("new", "0", 4))
    # The venue may still take the raise to 2 first: the range keeps room for it.
    assert inv.exposure("BTC") == Exposure(low=D(0), expected=D(0), high=D(2))
    assert inv.exposure("USDT").low == D(9800)
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(10000), D(9800))
    # A balance report at v4 cannot cover what the amends in flight may add.
    inv.apply(bal("USDT", "10000", "9900", 4))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(10000), D(9800))


def test_fill_matched_to_an_intent_by_client_id_is_counted_below_the_watermark() -> None:
    """The watermark (v50) only makes messages of unknown orders old news."""
    inv = Inventory([BTCUSDT], history=1)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    for i in range(18):  # r0 (v50) leaves the id memory: the watermark is 50
        inv.apply(report("rejected", "0", 50 + i, cid=None, oid=f"r{i}"))
    inv.apply(fill("T1", "1", "100", 5, oid="X"))  # delayed: c1 filled at v5
    view = inv.order("c1")
    assert view is not None
    assert (view.order_id, view.status, view.filled_quantity) == ("X", "filled", D(1))
    assert inv.balance("BTC").total == D(1)


def test_completing_fill_dates_the_raise_held_back_at_its_own_version() -> None:
    """Raise 1 -> 2 in flight; fills T2 (v4) then T1 (v3) fill 2: the order ends with its
    last fill on the venue, T2 (v4), and the rise is held back until a balance report
    as new as that (the newest fill), not the newest version heard of any kind."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T2", "1", "100", 4))
    inv.apply(fill("T1", "1", "100", 3))
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.filled_quantity) == ("filled", D(2))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9800))
    # At v3 the venue held 2 @ 100 with 1 filled: 100 locked. The tracker cannot tell
    # from the fills alone that the raise came before v3, so it keeps it held (low).
    inv.apply(bal("USDT", "9900", "9800", 3))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9700))
    inv.apply(bal("USDT", "9800", "9800", 4))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9800))
