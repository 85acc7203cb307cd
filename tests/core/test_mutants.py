"""Tests written to kill mutants that survived the mutation campaign (tests/MUTATION.md).

Each test pins one behaviour the rest of the suite left open, with hand-computed
expectations; the comment above a group names the mutants it kills.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import attrs
import pytest

from core import Instrument, InvalidEvent, Inventory
from core import events as ev
from tests.core.builders import BTCUSDT, INVERSE, PERP, D, bal, fill, report, spot

# --- fast constructors of the hot events (core.events.new_*) ------------------------------
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


# --- local intents of unknown orders name what was attempted --------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ev.CancelRequested("zz"), "cancel: unknown client order id 'zz'"),
        (ev.CancelFailed("zz"), "cancel failed: unknown client order id 'zz'"),
        (ev.SubmissionFailed("zz"), "submission failed: unknown client order id 'zz'"),
        (ev.SubmissionTimedOut("zz"), "submission timed out: unknown client order id 'zz'"),
    ],
)
def test_local_intent_for_an_unknown_client_id_is_refused_by_name(
    event: ev.Event, message: str
) -> None:
    inv = spot()
    with pytest.raises(InvalidEvent) as err:
        inv.apply(event)
    assert str(err.value) == message


# --- positions -------------------------------------------------------------------------------


def _linear(wallet: str = "1000") -> Inventory:
    inv = Inventory([PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", wallet, wallet, 1),)))
    return inv


def _lf(tid: str, side: str, qty: str, price: str, v: int, oid: str) -> ev.FillReported:
    return fill(tid, qty, price, v, side=side, oid=oid, cid=None, kind="linear")


def test_position_of_exactly_one_contract_keeps_its_entry_price() -> None:
    inv = _linear()
    inv.apply(_lf("t1", "buy", "1", "100", 2, "1"))
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(1), D(100))


def test_single_pending_flip_fill_realizes_pnl_on_the_reported_quantity_only() -> None:
    # Report: long 1 @ 100. One sell of 2 @ 110 (pending, no venue PnL) closes the 1 long
    # (+10) and opens 1 short @ 110: the wallet moves by +10, not by 2 x 10.
    inv = _linear()
    inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 2, "linear"))
    inv.apply(_lf("t1", "sell", "2", "110", 3, "1"))
    assert inv.balance("USDT").total == 1010
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(-1), D(110))


def test_inverse_fill_covered_by_its_position_report_computes_inverse_pnl() -> None:
    # The report (v3) already covers the fill: long 10 @ 20000, after selling 10 of 20.
    # Fill: sell 10 @ 25000 at v3, no venue PnL. Computed against the state before it:
    # 10 x 100 x (1/20000 - 1/25000) = 0.01 BTC (the linear formula would give 5e6).
    inv = Inventory([INVERSE])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("BTC", "1", "1", 1),)))
    inv.apply(ev.PositionReported("BTCUSD_PERP", D(10), D(20000), 3))
    inv.apply(
        fill(
            "t1",
            "10",
            "25000",
            3,
            side="sell",
            oid="1",
            cid=None,
            fee="0",
            fee_asset="BTC",
            symbol="BTCUSD_PERP",
        )
    )
    assert inv.balance("BTC").total == D("1.01")
    p = inv.position("BTCUSD_PERP")
    assert (p.quantity, p.entry_price) == (D(10), D(20000))


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


# --- stats ------------------------------------------------------------------------------------


def test_stats_counts_every_kind_of_retained_state_by_name() -> None:
    inv = spot()
    inv.submit("c9", "BTCUSDT", "buy", D(1), D(10))  # in flight: no exchange id yet
    inv.apply(report("new", "0", 2))  # c1 (order 1) from the venue
    inv.apply(fill("t1", "0.5", "100", 3))
    inv.apply(ev.MessageIgnored("binance", "newThing"))
    inv.apply(ev.MessageIgnored("binance", "newThing"))
    assert inv.stats() == {
        "orders": 2,
        "live_orders": 2,
        "retired_orders": 0,
        "fills": 1,
        "pending_changes": 4,  # c9's reserve, c1's reserve, t1 on BTC and on USDT
        "pending_position_fills": 0,
        "unsettled_fills": 1,
        "ignored_messages": 2,
    }
    inv.apply(report("filled", "1", 4))
    inv.apply(fill("t2", "0.5", "100", 4))
    inv.apply(bal("USDT", "900", "890", 4))
    inv.apply(bal("BTC", "1", "1", 4))
    s = inv.stats()
    assert (s["orders"], s["live_orders"], s["retired_orders"]) == (2, 1, 1)
    assert (s["fills"], s["pending_changes"], s["unsettled_fills"]) == (0, 1, 0)


# --- second messages of a trade (fee, client id, venue PnL) ---------------------------------


def test_fee_from_the_full_copy_counts_once_and_in_the_order_fees() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("t1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(fill("t2", "1", "100", 3, fee=None, fee_asset=None))
    assert inv.balance("USDT").total == 800
    for _ in range(2):
        inv.apply(fill("t1", "1", "100", 3, fee="0.1"))
        inv.apply(fill("t2", "1", "100", 3, fee="0.2"))
    assert inv.balance("USDT").total == D("799.7")
    o = inv.order("c1")
    assert o is not None and o.fees == (("USDT", D("0.3")),)


def test_fee_of_the_full_copy_is_dropped_by_a_report_listing_its_trade() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 5, fee=None, fee_asset=None))
    inv.apply(fill("t1", "1", "100", 5, fee="0.1"))
    # An older report (v4) that lists t1: it includes the trade and its fee.
    inv.apply(ev.BalanceReported("USDT", D("899.9"), D("899.9"), 4, frozenset({"t1"})))
    assert inv.balance("USDT").total == D("899.9")


def test_third_asset_fee_after_settlement_makes_the_fill_unsettled_again() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    inv.apply(fill("t1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    assert inv.balance("BNB").total == D("-0.01")
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 1
    inv.apply(bal("BNB", "0.99", "0.99", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    assert inv.balance("BNB").total == D("0.99")


def test_third_asset_fee_in_the_first_message_settles_with_its_report() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    inv.apply(ev.BalanceReported("BNB", D("0.99"), D("0.99"), 2, frozenset({"t1"})))
    assert inv.balance("BNB") == inv.balance("BNB").__class__(D("0.99"), D("0.99"), D(0))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


def test_full_copy_with_the_client_id_links_the_venue_order_to_the_intent() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("t1", "1", "100", 3, cid=None, fee=None, fee_asset=None))
    inv.apply(fill("t1", "1", "100", 3, cid="c1", fee="0.1"))
    o = inv.order("c1")
    assert o is not None and o.order_id == "1" and o.filled_quantity == 1
    assert inv.balance("USDT").total == D("899.9")
    assert inv.balance("USDT").free == D("899.9")


def test_venue_pnl_stands_when_a_late_fill_changes_the_computed_one() -> None:
    inv = _linear()
    inv.apply(_lf("t1", "buy", "1", "100", 3, "1"))
    inv.apply(
        fill(
            "t2",
            "1",
            "110",
            4,
            side="sell",
            oid="2",
            cid=None,
            kind="linear",
            fee=None,
            fee_asset=None,
        )
    )
    assert inv.balance("USDT").total == 1010  # computed: 1 x (110 - 100)
    inv.apply(fill("t2", "1", "110", 4, side="sell", oid="2", cid=None, kind="linear", pnl="9.5"))
    assert inv.balance("USDT").total == D("1009.5")
    # A late earlier buy at 90 moves the entry the sell closed against (computed would be
    # 15), but the venue's own 9.5 stands.
    inv.apply(_lf("t0", "buy", "1", "90", 2, "0"))
    assert inv.balance("USDT").total == D("1009.5")
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(1), D(95))


def test_venue_pnl_of_an_opening_fill_is_added_when_nothing_was_computed() -> None:
    inv = _linear()
    inv.apply(
        fill(
            "t1",
            "1",
            "100",
            2,
            side="buy",
            oid="1",
            cid=None,
            kind="linear",
            fee=None,
            fee_asset=None,
        )
    )
    inv.apply(fill("t1", "1", "100", 2, side="buy", oid="1", cid=None, kind="linear", pnl="-0.5"))
    assert inv.balance("USDT").total == D("999.5")
    inv.apply(fill("t1", "1", "100", 2, side="buy", oid="1", cid=None, kind="linear", pnl="-0.5"))
    assert inv.balance("USDT").total == D("999.5")


# --- exposure with a fee rate -------------------------------------------------------------


FEE = Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=D("0.01"))


def _fee_spot() -> Inventory:
    inv = Inventory([FEE])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1), bal("BTC", "10", "10", 1)),
        )
    )
    return inv


def test_open_limit_buy_widens_both_assets_by_remaining_and_fee() -> None:
    inv = _fee_spot()
    inv.submit("b", "BTCUSDT", "buy", D(2), D(100))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    # BTC: up to +2; a fee in BTC could take 2 x 0.01 = 0.02.
    assert (btc.low, btc.expected, btc.high) == (D("9.98"), D(10), D(12))
    # USDT: down to 1000 - 2 x 100 x 1.01 = 798; a buy never raises USDT.
    assert (usdt.low, usdt.expected, usdt.high) == (D(798), D(1000), D(1000))


def test_open_limit_sell_widens_both_assets_by_remaining_and_fee() -> None:
    inv = _fee_spot()
    inv.submit("s", "BTCUSDT", "sell", D(2), D(100))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    assert (btc.low, btc.high) == (D("7.98"), D(10))  # 10 - 2 x 1.01
    assert (usdt.low, usdt.high) == (D(998), Decimal("Infinity"))  # fee 2 x 100 x 0.01


def test_market_orders_make_the_spent_side_unbounded() -> None:
    inv = _fee_spot()
    inv.submit("m", "BTCUSDT", "buy", D(2))
    btc, usdt = inv.exposure("BTC"), inv.exposure("USDT")
    assert (btc.low, btc.high) == (D("9.98"), D(12))
    assert (usdt.low, usdt.high) == (-Decimal("Infinity"), D(1000))
    inv.submit("n", "BTCUSDT", "sell", D(1))
    usdt = inv.exposure("USDT")
    assert (usdt.low, usdt.high) == (-Decimal("Infinity"), Decimal("Infinity"))
    assert inv.exposure("BTC").low == D("8.97")  # 9.98 - 1 x 1.01


def test_fee_less_fill_keeps_exactly_the_fee_room_in_low_and_free() -> None:
    inv = _fee_spot()
    inv.apply(report("new", "0", 2, qty="2", cid="b"))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee=None, fee_asset=None))
    # USDT: 1000 - 200 = 800 total; room for a fee of 200 x 0.01 = 2 in USDT.
    usdt = inv.exposure("USDT")
    assert (usdt.low, usdt.expected, usdt.high) == (D(798), D(800), D(800))
    assert inv.balance("USDT").free == 798
    btc = inv.exposure("BTC")
    assert (btc.low, btc.expected, btc.high) == (D("11.98"), D(12), D(12))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee="0.002", fee_asset="BTC"))
    assert inv.exposure("USDT").low == 800 and inv.balance("USDT").free == 800
    assert inv.balance("BTC").total == D("11.998")


def test_order_with_unknown_quantity_makes_both_assets_unbounded() -> None:
    inv = _fee_spot()
    # A fill of an order never reported: its quantity is unknown.
    inv.apply(fill("t1", "1", "100", 3, cid=None, oid="7", fee="0"))
    for asset in ("BTC", "USDT"):
        e = inv.exposure(asset)
        assert (e.low, e.high) == (-Decimal("Infinity"), Decimal("Infinity"))
    assert inv.exposure("ETH") == inv.exposure("ETH").__class__(D(0), D(0), D(0))


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


# --- balance ledger: reports without free, partial coverage, ties ---------------------------


def test_total_only_report_keeps_the_reported_locked_amount() -> None:
    inv = spot()
    inv.apply(bal("USDT", "1000", "800", 2))
    inv.apply(ev.BalanceReported("USDT", D(950), None, 3))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(950), D(750), D(200))


def test_report_at_the_same_version_replaces_the_balance() -> None:
    inv = spot()
    inv.apply(bal("USDT", "900", "850", 1))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(900), D(850), D(50))


def test_report_drops_changes_up_to_its_version_and_keeps_later_ones() -> None:
    inv = spot()
    inv.apply(ev.CashChanged("USDT", D(10), D(10), 3, "deposit", "a"))
    inv.apply(ev.CashChanged("USDT", D(1), D(1), 4, "deposit", "b"))
    inv.apply(ev.CashChanged("USDT", D(5), D(2), 5, "lock", "c"))
    inv.apply(bal("USDT", "1011", "1011", 4))  # includes a and b, not c
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1016), D(1013), D(3))
    assert inv.stats()["pending_changes"] == 1


def test_report_listing_trade_ids_drops_exactly_those_fills() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))  # reserves 200 USDT at v2
    inv.apply(fill("t1", "1", "100", 6))
    inv.apply(fill("t2", "1", "100", 7))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(800), D(800), D(0))
    # The venue's v5 report includes the reserve (v2) and t1 (by id): 900 total, 100 locked.
    inv.apply(ev.BalanceReported("USDT", D(900), D(800), 5, frozenset({"t1"})))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(800), D(800), D(0))
    assert inv.stats()["pending_changes"] == 3  # t2 on USDT; t1, t2 on BTC


# --- late messages: vanished in-flight orders, forgotten history ----------------------------


def test_fill_as_old_as_a_snapshot_that_omitted_an_in_flight_order_makes_it_unknown() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    inv.apply(fill("t1", "0.5", "100", 5))  # as old as the snapshot, which listed no order
    o = inv.order("c1")
    assert o is not None and o.status == "unknown" and o.filled_quantity == D("0.5")
    assert [r.reason for r in inv.requests()] == ["order fate unknown"]


def test_fill_newer_than_the_snapshot_is_a_plain_fill() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    inv.apply(fill("t1", "0.5", "100", 6))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"


def _done(inv: Inventory, oid: str, cid: str, v: int, usdt: str, btc: str) -> None:
    inv.apply(report("filled", "1", v, oid=oid, cid=cid))
    inv.apply(fill("t" + oid, "1", "100", v, oid=oid, cid=cid))
    inv.apply(bal("USDT", usdt, usdt, v))
    inv.apply(bal("BTC", btc, btc, v))


def test_late_copy_of_a_fill_of_a_forgotten_order_is_ignored() -> None:
    inv = Inventory([BTCUSDT], history=1)
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "1000", "1000", 1),)))
    _done(inv, "1", "a", 2, "900", "1")
    _done(inv, "2", "b", 3, "800", "2")  # pushes order 1 out of the history of one
    assert inv.order("a") is None and inv.stats()["retired_orders"] == 1
    inv.apply(fill("t1", "1", "100", 2, oid="1", cid="a"))  # a late duplicate
    inv.apply(report("filled", "1", 2, oid="1", cid="a"))
    assert inv.order("a") is None
    assert (inv.balance("USDT").total, inv.balance("BTC").total) == (D(800), D(2))
    inv.apply(fill("t9", "1", "100", 4, oid="9", cid=None))  # a newer unknown order counts
    assert inv.balance("BTC").total == 3


# --- conditional submissions and query requests ---------------------------------------------


def test_conditional_submit_reserves_nothing_but_widens_exposure() -> None:
    inv = spot()
    inv.submit("s1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    o = inv.order("s1")
    assert o is not None and o.conditional and o.status == "pending_new"
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(1000), D(0))
    assert (inv.exposure("BTC").high, inv.exposure("USDT").low) == (D(1), D(900))


def test_only_an_unacknowledged_cancel_or_an_unknown_order_asks_for_a_query() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.requests() == []  # in flight, not canceled: nothing to ask yet
    inv.apply(report("new", "0", 2))
    inv.cancel("c1")
    assert inv.requests() == []  # acknowledged: the cancel's answer will come
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.cancel("c2")
    assert [r.reason for r in inv.requests()] == [
        "cancel requested before the venue acknowledged the order"
    ]
