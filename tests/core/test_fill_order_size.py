"""A fill's stated order size (``order_quantity``, ``leaves_quantity``): what is refused.

Each refusal names the field and the bound it broke, in the form every other field of
``FillReported`` uses (``FillReported.<field>: must be <bound>, got <value>``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core import InvalidEvent
from core.events import FillReported
from tests.core.builders import D


def _fill(**over: Any) -> FillReported:
    fields: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "order_id": "o1",
        "client_order_id": None,
        "trade_id": "t1",
        "side": "buy",
        "quantity": D(1),
        "price": D(100),
        "fee": None,
        "fee_asset": None,
        "version": 1,
    }
    fields.update(over)
    return FillReported(**fields)


def _refusal(**over: Any) -> str:
    with pytest.raises(InvalidEvent) as info:
        _fill(**over)
    return str(info.value)


def test_order_quantity_zero_is_refused_naming_the_field_and_bound() -> None:
    assert _refusal(order_quantity=D(0)) == "FillReported.order_quantity: must be > 0, got 0"


def test_order_quantity_negative_is_refused_even_with_a_leaves_quantity() -> None:
    msg = _refusal(order_quantity=D(-2), leaves_quantity=D(0))
    assert msg == "FillReported.order_quantity: must be > 0, got -2"


def test_order_quantity_not_a_finite_decimal_is_refused() -> None:
    msg = _refusal(order_quantity=Decimal("Infinity"))
    assert msg == "FillReported.order_quantity: expected a finite Decimal, got Decimal('Infinity')"


def test_leaves_quantity_negative_is_refused_naming_the_field_and_bound() -> None:
    msg = _refusal(order_quantity=D(5), leaves_quantity=D(-1))
    assert msg == "FillReported.leaves_quantity: must be >= 0, got -1"


def test_leaves_quantity_without_order_quantity_is_refused() -> None:
    assert _refusal(leaves_quantity=D(0)) == (
        "FillReported t1: leaves_quantity 0 without order_quantity"
    )


def test_order_quantity_alone_below_the_fill_is_refused() -> None:
    # No leaves_quantity: the fill itself must fit the order; the message counts the
    # missing leaves as 0.
    assert _refusal(quantity=D(3), order_quantity=D(2)) == (
        "FillReported t1: quantity 3 plus leaves_quantity 0 above the order_quantity 2"
    )


def test_fill_plus_leaves_above_the_order_is_refused() -> None:
    assert _refusal(quantity=D(2), order_quantity=D(5), leaves_quantity=D(4)) == (
        "FillReported t1: quantity 2 plus leaves_quantity 4 above the order_quantity 5"
    )


def test_order_quantity_alone_is_accepted_and_kept() -> None:
    f = _fill(quantity=D(1), order_quantity=D(1))
    assert (f.order_quantity, f.leaves_quantity) == (D(1), None)


def test_order_size_that_fits_exactly_is_accepted() -> None:
    f = _fill(quantity=D(2), order_quantity=D(5), leaves_quantity=D(3))
    assert (f.order_quantity, f.leaves_quantity) == (D(5), D(3))


def test_bad_quantity_is_named_before_the_order_size() -> None:
    # The order size cannot be judged against a bad fill quantity: the quantity's own
    # error is the one raised.
    msg = _refusal(quantity=D(0), order_quantity=D(1), leaves_quantity=D(0))
    assert msg == "FillReported.quantity: must be > 0, got 0"
