"""Event and instrument validation: what is refused, and the message that names it.

The fast constructors of the hot events (``core.events.new_*``, used by the adapters)
equal the attrs constructors on valid input and refuse what they refuse; ``Instrument``
and the shared validators; ``OrderReported``, ``FillReported`` and ``BalanceReported``
name the first bad field exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import attrs
import pytest

from core import Instrument, InvalidEvent
from core import events as ev
from tests.core.builders import D

# Used by the adapters only, so no core test reached them: every check of their one
# boolean pass, and every field they store, is pinned against the attrs constructor.
ORDER_OK: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "order_id": "1",
    "client_order_id": "c1",
    "side": "buy",
    "status": "new",
    "quantity": D(2),
    "price": D(100),
    "filled_quantity": D(0),
    "average_price": None,
    "version": 0,
    "kind": None,
    "order_type": "limit",
    "conditional": False,
}


FILL_OK: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "order_id": "1",
    "client_order_id": "c1",
    "trade_id": "t1",
    "side": "buy",
    "quantity": D(1),
    "price": D(100),
    "fee": D("0.1"),
    "fee_asset": "USDT",
    "version": 0,
    "kind": None,
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"client_order_id": None, "kind": "linear", "status": "partially_filled"},
        {"filled_quantity": D(2), "average_price": D(0), "status": "filled"},  # f == q, a == 0
        {"price": None, "order_type": "market", "side": "sell", "version": 7},
        {"price": None, "conditional": True},  # an untriggered conditional limit order
    ],
)
def test_new_order_reported_equals_the_constructor_on_valid_input(change: dict[str, Any]) -> None:
    kw = {**ORDER_OK, **change}
    fast = ev.new_order_reported(**kw)
    slow = ev.OrderReported(**kw)
    assert fast is not None and type(fast) is ev.OrderReported
    assert fast == slow and hash(fast) == hash(slow)
    assert attrs.astuple(fast) == attrs.astuple(slow)
    assert fast.triggered_order_id is None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.version = 9  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [
        {"symbol": ""},
        {"symbol": 1},
        {"order_id": ""},
        {"order_id": None},
        {"client_order_id": ""},
        {"client_order_id": 5},
        {"side": "long"},
        {"status": "open"},
        {"quantity": D(0)},
        {"quantity": 2},
        {"quantity": D("Infinity")},
        {"price": D(0)},
        {"price": 100},
        {"price": D("NaN")},
        {"filled_quantity": D(-1)},
        {"filled_quantity": D(3)},  # above the quantity
        {"filled_quantity": 0},
        {"filled_quantity": D("Infinity")},
        {"average_price": D(-1)},
        {"average_price": 1},
        {"average_price": D("NaN")},
        {"version": -1},
        {"version": 1.0},
        {"kind": "option"},
        {"order_type": "stop"},
        {"price": None},  # a limit order needs a price
    ],
)
def test_new_order_reported_refuses_what_the_constructor_refuses(change: dict[str, Any]) -> None:
    kw = {**ORDER_OK, **change}
    assert ev.new_order_reported(**kw) is None
    with pytest.raises(InvalidEvent):
        ev.OrderReported(**kw)


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"client_order_id": None, "kind": "inverse", "side": "sell", "version": 5},
        {"fee": None, "fee_asset": None},  # a fee-less fast copy
        {"fee": D(0), "fee_asset": None},  # no fee, so no asset needed
        {"fee": D("-0.2")},  # a rebate
    ],
)
def test_new_fill_reported_equals_the_constructor_on_valid_input(change: dict[str, Any]) -> None:
    kw = {**FILL_OK, **change}
    fast = ev.new_fill_reported(**kw)
    slow = ev.FillReported(**kw)
    assert fast is not None and type(fast) is ev.FillReported
    assert fast == slow and hash(fast) == hash(slow)
    assert attrs.astuple(fast) == attrs.astuple(slow)
    assert fast.realized_pnl is None and fast.liquidation is False


@pytest.mark.parametrize(
    "change",
    [
        {"symbol": ""},
        {"symbol": None},
        {"order_id": ""},
        {"order_id": 1},
        {"trade_id": ""},
        {"trade_id": 1},
        {"client_order_id": ""},
        {"client_order_id": 1},
        {"side": "short"},
        {"quantity": D(0)},
        {"quantity": 1},
        {"quantity": D("NaN")},
        {"price": D(0)},
        {"price": 100},
        {"price": D("Infinity")},
        {"fee": 1},
        {"fee": D("NaN")},
        {"fee": D("0.1"), "fee_asset": None},  # a fee without its asset
        {"fee_asset": ""},
        {"fee_asset": 7},
        {"version": -1},
        {"version": "1"},
        {"kind": "future"},
    ],
)
def test_new_fill_reported_refuses_what_the_constructor_refuses(change: dict[str, Any]) -> None:
    kw = {**FILL_OK, **change}
    assert ev.new_fill_reported(**kw) is None
    with pytest.raises(InvalidEvent):
        ev.FillReported(**kw)


@pytest.mark.parametrize(
    ("total", "free", "version"),
    [(D(5), D(3), 0), (D(-1), None, 9)],
)
def test_new_balance_reported_equals_the_constructor_on_valid_input(
    total: Decimal, free: Decimal | None, version: int
) -> None:
    fast = ev.new_balance_reported("USDT", total, free, version)
    slow = ev.BalanceReported("USDT", total, free, version)
    assert fast is not None and type(fast) is ev.BalanceReported
    assert fast == slow and hash(fast) == hash(slow)
    assert attrs.astuple(fast) == attrs.astuple(slow) and fast.trade_ids is None


@pytest.mark.parametrize(
    "args",
    [
        ("", D(1), D(1), 0),
        (None, D(1), D(1), 0),
        ("USDT", 1, D(1), 0),
        ("USDT", D("NaN"), D(1), 0),
        ("USDT", D(1), 1, 0),
        ("USDT", D(1), D("Infinity"), 0),
        ("USDT", D(1), D(1), -1),
        ("USDT", D(1), D(1), 1.5),
    ],
)
def test_new_balance_reported_refuses_what_the_constructor_refuses(args: tuple[Any, ...]) -> None:
    assert ev.new_balance_reported(*args) is None
    with pytest.raises(InvalidEvent):
        ev.BalanceReported(*args)


# --- Instrument and the shared validators ---------------------------------------------------
def test_spot_instrument_refuses_a_contract_size_but_derivatives_take_one() -> None:
    with pytest.raises(InvalidEvent, match="contract_size 2 is only for derivatives"):
        Instrument("X", "spot", "A", "B", contract_size=D(2))
    assert Instrument("X", "spot", "A", "B", contract_size=D(1)).contract_size == 1
    assert Instrument("X", "linear", "A", "B", contract_size=D(2)).contract_size == 2
    assert Instrument("X", "inverse", "A", "B").settle == "A"
    assert Instrument("X", "linear", "A", "B").settle == "B"


def test_instrument_refuses_the_same_base_and_quote() -> None:
    with pytest.raises(InvalidEvent, match="Instrument X: base and quote are both A"):
        Instrument("X", "spot", "A", "A")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Instrument("", "spot", "A", "B"), "Instrument.symbol: expected a non-empty id"),
        (lambda: Instrument("X", "swap", "A", "B"), "Instrument.kind: unknown kind 'swap'"),
        (
            lambda: Instrument("X", "linear", "A", "B", contract_size=D(0)),
            "Instrument.contract_size: must be > 0, got 0",
        ),
        (
            lambda: Instrument("X", "spot", "A", "B", tick_size=D(0)),
            "Instrument.tick_size: must be > 0, got 0",
        ),
        (
            lambda: Instrument("X", "spot", "A", "B", lot_size=D("NaN")),
            "Instrument.lot_size: expected a finite Decimal",
        ),
        (
            lambda: Instrument("X", "spot", "A", "B", max_fee_rate=D("-0.1")),
            "Instrument.max_fee_rate: must be >= 0, got -0.1",
        ),
        (
            lambda: ev.PositionReported("P", D(1), D(-1), 1),
            "PositionReported.entry_price: must be >= 0, got -1",
        ),
        (
            lambda: ev.PositionReported("P", D(1), D(1), 1, kind="spot2"),
            "PositionReported.kind: unknown kind 'spot2'",
        ),
        (
            lambda: ev.PositionReported("P", D(1), D(1), 1, trade_ids=frozenset({""})),
            "PositionReported.trade_ids: expected a frozenset of ids",
        ),
        (
            lambda: ev.CashChanged("USDT", D(1), D(1), 1, "deposit", change_id=""),
            "CashChanged.change_id: expected a non-empty id, got ''",
        ),
        (
            lambda: ev.OrderSubmitted("c1", "X", "buy", D(1), price=D(0)),
            "OrderSubmitted.price: must be > 0, got 0",
        ),
        (
            lambda: ev.OrderSubmitted("c1", "X", "buy", D(1), D(1), kind="perp"),
            "OrderSubmitted.kind: unknown kind 'perp'",
        ),
        (
            lambda: ev.OrderNotFound(client_order_id="", order_id="1"),
            "OrderNotFound.client_order_id: expected a non-empty id",
        ),
        (lambda: ev.OrderNotFound(None), "OrderNotFound: needs client_order_id or order_id"),
        (
            lambda: ev.CancelFailed("c1", reason=cast(Any, None)),
            "CancelFailed.reason: expected a str",
        ),
        (
            lambda: ev.SequenceGap("s", 1, True),
            "SequenceGap.received: expected an int >= 0, got True",
        ),
    ],
)
def test_validators_name_the_class_the_field_and_the_value(build: Any, message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        build()
    assert str(err.value).startswith(message)


def test_optional_fields_take_none_and_valid_values() -> None:
    p = ev.PositionReported("P", D(-1), D(0), 0, kind=None, trade_ids=None)
    assert (p.kind, p.trade_ids) == (None, None)
    p = ev.PositionReported("P", D(1), D(5), 0, kind="inverse", trade_ids=frozenset({"t"}))
    assert (p.kind, p.trade_ids) == ("inverse", frozenset({"t"}))
    assert ev.CashChanged("USDT", D(1), D(0), 0, "lock").change_id is None
    assert ev.CashChanged("USDT", D(1), D(0), 0, "lock", change_id="x").change_id == "x"
    o = ev.OrderSubmitted("c1", "X", "sell", D(1), kind="linear", order_type="market")
    assert (o.price, o.kind) == (None, "linear")
    assert ev.OrderNotFound(None, order_id="1").order_id == "1"
    assert ev.OrderNotFound("c1").order_id is None
    i = Instrument("X", "spot", "A", "B", tick_size=D("0.01"), lot_size=D("0.1"))
    assert (i.tick_size, i.lot_size, i.max_fee_rate) == (D("0.01"), D("0.1"), D(0))


# --- FillReported names the first bad field exactly ----------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"symbol": ""}, "FillReported.symbol: expected a non-empty id, got ''"),
        ({"trade_id": 7}, "FillReported.trade_id: expected a non-empty id, got 7"),
        ({"client_order_id": ""}, "FillReported.client_order_id: expected a non-empty id, got ''"),
        ({"fee_asset": ""}, "FillReported.fee_asset: expected a non-empty id, got ''"),
        ({"quantity": D(0)}, "FillReported.quantity: must be > 0, got 0"),
        ({"price": D(-1)}, "FillReported.price: must be > 0, got -1"),
        ({"price": D("NaN")}, "FillReported.price: expected a finite Decimal, got Decimal('NaN')"),
        (
            {"fee": D("Infinity")},
            "FillReported.fee: expected a finite Decimal, got Decimal('Infinity')",
        ),
        ({"realized_pnl": 1}, "FillReported.realized_pnl: expected a finite Decimal, got 1"),
        ({"version": -1}, "FillReported.version: expected an int >= 0, got -1"),
        ({"kind": "swap"}, "FillReported.kind: unknown kind 'swap'"),  # version 0 is fine
        ({"side": "long"}, "FillReported.side: unknown side 'long'"),
    ],
)
def test_fill_reported_error_names_the_bad_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        ev.FillReported(**{**FILL_OK, "realized_pnl": D(1), **change})
    assert str(err.value) == message


# --- OrderReported and BalanceReported name the first bad field exactly -------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"symbol": ""}, "OrderReported.symbol: expected a non-empty id, got ''"),
        ({"order_id": 1}, "OrderReported.order_id: expected a non-empty id, got 1"),
        ({"client_order_id": ""}, "OrderReported.client_order_id: expected a non-empty id, got ''"),
        ({"side": "long"}, "OrderReported.side: unknown side 'long'"),
        ({"status": "open"}, "OrderReported.status: unknown status 'open'"),
        ({"quantity": D(0)}, "OrderReported.quantity: must be > 0, got 0"),
        ({"quantity": 2}, "OrderReported.quantity: expected a finite Decimal, got 2"),
        ({"price": D(0)}, "OrderReported.price: must be > 0, got 0"),
        ({"price": D("NaN")}, "OrderReported.price: expected a finite Decimal, got Decimal('NaN')"),
        ({"filled_quantity": D(-1)}, "OrderReported.filled_quantity: must be >= 0, got -1"),
        ({"average_price": D(-2)}, "OrderReported.average_price: must be >= 0, got -2"),
        ({"average_price": 2}, "OrderReported.average_price: expected a finite Decimal, got 2"),
        ({"version": -1}, "OrderReported.version: expected an int >= 0, got -1"),
        ({"kind": "swap"}, "OrderReported.kind: unknown kind 'swap'"),
        ({"order_type": "stop"}, "OrderReported.order_type: unknown order type 'stop'"),
        (
            {"triggered_order_id": ""},
            "OrderReported.triggered_order_id: expected a non-empty id, got ''",
        ),
        ({"filled_quantity": D(3)}, "OrderReported 1: filled_quantity 3 above quantity 2"),
        ({"price": None}, "OrderReported 1: a limit order needs a price"),
    ],
)
def test_order_reported_error_names_the_bad_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        ev.OrderReported(**{**ORDER_OK, "average_price": D(1), **change})
    assert str(err.value) == message


def test_order_reported_valid_edges_are_accepted() -> None:
    r = ev.OrderReported(**{**ORDER_OK, "filled_quantity": D(2), "triggered_order_id": "9"})
    assert (r.filled_quantity, r.triggered_order_id) == (D(2), "9")
    r = ev.OrderReported(**{**ORDER_OK, "price": None, "order_type": "market", "kind": "inverse"})
    assert (r.price, r.kind) == (None, "inverse")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", D(1), D(1), 0), "BalanceReported.asset: expected a non-empty id, got ''"),
        (
            ("X", D("NaN"), D(1), 0),
            "BalanceReported.total: expected a finite Decimal, got Decimal('NaN')",
        ),
        (("X", D(1), 1, 0), "BalanceReported.free: expected a finite Decimal, got 1"),
        (("X", D(1), D(1), -3), "BalanceReported.version: expected an int >= 0, got -3"),
        (
            ("X", D(1), D(1), 0, frozenset({""})),
            "BalanceReported.trade_ids: expected a frozenset of ids, got frozenset({''})",
        ),
        (
            ("X", D(1), D(1), 0, {"t1"}),
            "BalanceReported.trade_ids: expected a frozenset of ids, got {'t1'}",
        ),
    ],
)
def test_balance_reported_error_names_the_bad_field(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        ev.BalanceReported(*args)
    assert str(err.value) == message


def _same(made: Any, expected: Any) -> None:
    # Equal as attrs values, of the very class, and every field the same (a field left
    # unset by a fast constructor would raise AttributeError here).
    assert type(made) is type(expected)
    assert made == expected
    for field in attrs.fields(type(expected)):
        assert getattr(made, field.name) == getattr(expected, field.name), field.name


@pytest.mark.parametrize(
    ("pnl", "liquidation", "order_quantity"),
    [(None, False, None), (D("-1.25"), True, D(3)), (D(0), False, D("0.5"))],
)
def test_unchecked_fill_reported_builds_the_event_the_constructor_builds(
    pnl: Decimal | None, liquidation: bool, order_quantity: Decimal | None
) -> None:
    args = ("BTCUSDT", "X1", "c1", "t1", "sell", D("0.5"), D(100), D("0.01"), "USDT", 7, "linear")
    made = ev.unchecked_fill_reported(*args, pnl, liquidation, order_quantity)
    expected = ev.FillReported(
        *args[:10],
        kind="linear",
        realized_pnl=pnl,
        liquidation=liquidation,
        order_quantity=order_quantity,
    )
    _same(made, expected)


@pytest.mark.parametrize(
    ("quantity", "entry", "kind"),
    [(D("-2.5"), D("101.5"), "linear"), (D(0), D(0), None), (D(3), D(7), "inverse")],
)
def test_unchecked_position_reported_builds_the_event_the_constructor_builds(
    quantity: Decimal, entry: Decimal, kind: str | None
) -> None:
    made = ev.unchecked_position_reported("BTCUSDT", quantity, entry, 9, kind)
    _same(made, ev.PositionReported("BTCUSDT", quantity, entry, 9, kind))


def test_unchecked_order_and_balance_reported_build_the_events_the_constructors_build() -> None:
    order = ("BTCUSDT", "X1", "c1", "buy", "partially_filled", D(2), D(100), D(1), D(99), 4)
    _same(
        ev.unchecked_order_reported(*order, "spot", "market", True),
        ev.OrderReported(*order, kind="spot", order_type="market", conditional=True),
    )
    _same(
        ev.unchecked_balance_reported("USDT", D(10), D(4), 3),
        ev.BalanceReported("USDT", D(10), D(4), 3),
    )
