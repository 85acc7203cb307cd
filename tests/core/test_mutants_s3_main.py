"""Survivors of the third session's full mutation run in functions this session did not
change: the versions a run of equal reports remembers, and the price the exposure range
takes when a report shows a price outside the bot's amend chain."""

from __future__ import annotations

from decimal import Decimal

from tests.core.builders import bal, report, spot

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
