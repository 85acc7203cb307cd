"""Derivative orders sized by their fills' messages (most often exchange-made ADL/bust orders).

A fill's message may state its order's size (``order_quantity``) and what is left after
it (``leaves_quantity``): the order is then bounded, what the venue counts as filled is
``order_quantity - leaves_quantity``, and a position report newer than the fill includes
every part of that count not heard of. Expected ranges are worked from a long 1 BTC.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument
from core import events as ev
from core.requests import QueryOrder
from core.views import Exposure
from tests.core.builders import perp

D = Decimal
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")


def _adl(quantity: str, order_quantity: str, leaves: str | None) -> ev.FillReported:
    return ev.FillReported(
        symbol="BTCUSDT",
        order_id="adl-1",
        client_order_id=None,
        trade_id="x1",
        side="sell",
        quantity=D(quantity),
        price=D(110),
        fee=D(0),
        fee_asset="USDT",
        version=3,
        kind="linear",
        realized_pnl=D(2),
        liquidation=True,
        order_quantity=D(order_quantity),
        leaves_quantity=None if leaves is None else D(leaves),
    )


def _x(low: str, expected: str, high: str) -> Exposure:
    return Exposure(low=D(low), expected=D(expected), high=D(high))


def test_stated_order_size_without_leaves_bounds_the_order_by_its_size() -> None:
    inv = perp("1", "100")
    inv.apply(_adl("0.2", "0.5", None))
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.quantity, o.filled_quantity) == ("partially_filled", D("0.5"), D("0.2"))
    # 0.3 more may still sell: 1 - 0.2 known, down to 1 - 0.5.
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.8", "0.8")


def test_order_with_something_left_is_not_ended() -> None:
    inv = perp("1", "100")
    inv.apply(_adl("0.2", "5", "1"))
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == (
        "partially_filled",
        D(4),
        D(1),
    )
    # 3.8 of the 4 filled were never heard: their price, so the average, is unknown.
    assert o.average_price is None


def test_order_with_nothing_left_ends_though_fills_are_unheard() -> None:
    inv = perp("1", "100")
    inv.apply(_adl("0.2", "0.5", "0"))
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == ("filled", D("0.5"), D(0))


def test_position_report_after_the_fill_includes_the_filled_part_not_heard_of() -> None:
    # 0.2 heard, 0.4 filled by the venue's count (0.5 - 0.1 left): the report at v4
    # (long 0.6) includes the unheard 0.2; only the 0.1 left can still sell.
    inv = perp("1", "100")
    inv.apply(_adl("0.2", "0.5", "0.1"))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.8", "0.8")
    inv.apply(ev.PositionReported("BTCUSDT", D("0.6"), D(100), 4))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.6", "0.6")


def _adl_fill(tid: str, quantity: str, order_quantity: str | None) -> ev.FillReported:
    return ev.FillReported(
        symbol="BTCUSDT",
        order_id="adl-1",
        client_order_id=None,
        trade_id=tid,
        side="sell",
        quantity=D(quantity),
        price=D(110),
        fee=D(0),
        fee_asset="USDT",
        version=3,
        kind="linear",
        order_quantity=None if order_quantity is None else D(order_quantity),
        leaves_quantity=None if order_quantity is None else D(0),
    )


def test_order_size_stated_later_equal_to_what_filled_is_accepted() -> None:
    inv = perp("1", "100")
    inv.apply(_adl_fill("x1", "0.4", None))
    inv.apply(_adl_fill("x2", "0.1", "0.5"))
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.quantity, o.filled_quantity) == ("filled", D("0.5"), D("0.5"))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.5", "0.5")


def test_order_size_below_what_filled_is_refused_naming_the_order_by_its_id() -> None:
    inv = perp("1", "100")
    inv.apply(_adl_fill("x1", "0.4", None))
    try:
        inv.apply(_adl_fill("x2", "0.2", "0.5"))
    except ValueError as e:
        assert str(e) == (
            "FillReported x2: order_quantity 0.5 below what order adl-1 has filled (0.6)"
        )
    else:
        raise AssertionError("an order size below its known fills was accepted")


def _sell_9(quantity: Decimal, version: int, size: Decimal, left: Decimal) -> ev.FillReported:
    """Trade t1 of sell order 9 (c9) at 110, fee-free, stating the order's size and what is
    left of it."""
    return ev.FillReported(
        "BTCUSDT",
        "9",
        "c9",
        "t1",
        "sell",
        quantity,
        D(110),
        D(0),
        "USDT",
        version,
        order_quantity=size,
        leaves_quantity=left,
    )


def test_fill_stating_a_size_other_than_the_reported_one_does_not_end_the_order() -> None:
    # The report says 1; the fill says an order of 0.5 with nothing left (a size change
    # not heard of): the reported size stands until a report says otherwise.
    inv = perp("1", "100")
    inv.apply(ev.OrderReported("BTCUSDT", "9", "c9", "sell", "new", D(1), D(110), D(0), None, 2))
    inv.apply(_sell_9(D("0.5"), 3, D("0.5"), D(0)))
    o = inv.order("c9")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == (
        "partially_filled",
        D("0.5"),
        D("0.5"),
    )
    assert inv.exposure("BTCUSDT") == _x("0", "0.5", "0.5")


def test_fill_leaving_nothing_of_a_reported_order_asks_for_the_fills_not_heard() -> None:
    # Sell 2 reported (v2); a fill of 1 (v4) says nothing is left: the order is filled,
    # 1 of it unheard. It is asked for, and the unheard 1 still widens the position.
    inv = perp("1", "100")
    inv.apply(ev.OrderReported("BTCUSDT", "9", "c9", "sell", "new", D(2), D(110), D(0), None, 2))
    inv.apply(_sell_9(D(1), 4, D(2), D(0)))
    o = inv.order("c9")
    assert o is not None
    assert (o.status, o.filled_quantity) == ("filled", D(2))
    assert [(r.order_id, r.reason) for r in inv.requests() if isinstance(r, QueryOrder)] == [
        ("9", "fills missing: reported 2, known 1")
    ]
    assert inv.exposure("BTCUSDT") == _x("-1", "0", "0")


def test_fill_stating_the_count_already_reported_keeps_the_reports_figure() -> None:
    # Reported 0.40 of 0.5 filled; a fill (0.2, 0.1 left) states the same count, 0.4:
    # the figure the venue reported stands, as written.
    inv = perp("1", "100")
    inv.apply(
        ev.OrderReported(
            "BTCUSDT", "9", "c9", "sell", "partially_filled", D("0.5"), D(110), D("0.40"), D(110), 2
        )
    )
    inv.apply(_sell_9(D("0.2"), 3, D("0.5"), D("0.1")))
    o = inv.order("c9")
    assert o is not None
    assert (o.status, str(o.filled_quantity), o.remaining_quantity) == (
        "partially_filled",
        "0.40",
        D("0.1"),
    )
