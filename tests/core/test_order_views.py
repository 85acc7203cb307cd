"""The ``Order`` view, and what one order adds to ``exposure``.

A submitted intent, an order known only from a fill, the reported average price while
fills are unheard; a terminal order widens by its implied fills only, and an amend that
lowers the size narrows nothing before the venue says. Covers ``core.inventory.exposure``
(``view``). Values are computed by hand through the public surface.
"""

from __future__ import annotations

from core.views import Exposure, Order
from tests.core.builders import D, fill, order_view, report, spot


# --- the Order view ------------------------------------------------------------------------
def test_view_of_a_submitted_intent_names_every_field() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.order("c1") == Order(
        symbol="BTCUSDT",
        kind="spot",
        side="buy",
        status="pending_new",
        quantity=D(1),
        price=D(100),
        filled_quantity=D(0),
        remaining_quantity=D(1),
        average_price=None,
        fees=(),
        client_order_id="c1",
        order_id=None,
        conditional=False,
    )
    inv.apply(fill("T1", "0.25", "100", 2))
    view = order_view(inv, "c1")
    assert (view.remaining_quantity, view.average_price) == (D("0.75"), D(100))


def test_view_of_an_order_known_only_from_a_fill() -> None:
    """A venue order heard of through a fill: quantity, price and client id still unknown."""
    inv = spot("10000")
    inv.apply(fill("T1", "0.25", "100", 2, cid=None, oid="7"))
    assert inv.order("7") == Order(
        symbol="BTCUSDT",
        kind="spot",
        side="buy",
        status="partially_filled",
        quantity=None,
        price=None,
        filled_quantity=D("0.25"),
        remaining_quantity=D(0),
        average_price=D(100),
        fees=(),
        client_order_id=None,
        order_id="7",
        conditional=False,
    )


def test_view_takes_the_reported_average_while_fills_are_unheard() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("partially_filled", "0.5", 2, avg="99"))
    view = order_view(inv, "c1")
    assert (view.filled_quantity, view.remaining_quantity, view.average_price) == (
        D("0.5"),
        D("0.5"),
        D(99),
    )
    # A later report with the same cumulative quantity and no average keeps the first one.
    inv.apply(report("canceled", "0.5", 3))
    view = order_view(inv, "c1")
    assert (view.status, view.remaining_quantity, view.average_price) == (
        "canceled",
        D(0),
        D(99),
    )


# --- exposure: what an order may still do ---------------------------------------------------
def test_terminal_order_widens_by_its_implied_fills_only() -> None:
    """Canceled with 0.5 filled, 0.25 of it heard: 0.25 BTC may still arrive unheard."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "0.25", "100", 2))
    inv.apply(report("canceled", "0.5", 3, avg="100"))
    exp = inv.exposure("BTC")
    assert (exp.low, exp.expected, exp.high) == (D("0.25"), D("0.25"), D("0.5"))
    # USDT: 10000 - 25 spent; low 25 lower still (0.25 at the price 100).
    assert inv.exposure("USDT") == Exposure(low=D(9950), expected=D(9975), high=D(9975))


def test_amend_lowering_the_size_does_not_narrow_exposure_before_the_venue_says() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D("0.5"))
    assert inv.exposure("BTC").high == D(1)  # the venue may still fill the whole 1
    assert inv.exposure("USDT").low == D(9900)
