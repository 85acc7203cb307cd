"""Bybit v5 adapter: every doc fixture parsed field by field, Inventory sequences, fuzzing.

Fixtures in tests/fixtures/bybit/ are verbatim doc samples (see SOURCES.md). Where the
docs show a variant only in prose (linear/spot order pushes, conditional statuses,
Funding/AdlTrade/BustTrade executions, failed auth/subscribe), the test builds it by
MODIFYING a real fixture with ``_mod`` and says so; such payloads are not doc samples.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Instrument, Inventory, ParseError
from core.adapters import bybit
from core.events import (
    BalanceReported,
    CashChanged,
    Event,
    FillReported,
    MessageIgnored,
    OrderNotFound,
    OrderReported,
    PositionReported,
    SnapshotTaken,
    StreamDisconnected,
)
from core.requests import QueryOrder
from core.views import Balance, Exposure
from tests.adapters.inventory_state import apply_checked, observed

D = Decimal
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bybit"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))
REST_KEYS = {
    "rest_wallet_balance.json": "wallet",
    "rest_position_list.json": "positions",
    "rest_open_orders.json": "open_orders",
    "rest_execution_list.json": "executions",
}
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(name: str) -> Any:
    """A fixture as decoded JSON (a fresh copy each time)."""
    return json.loads((FIXTURES / name).read_text())


def _mod(name: str, item: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A fixture MODIFIED for a test: ``item`` overrides data[0] (or result.list[0])."""
    msg: dict[str, Any] = load(name)
    msg.update(top)
    if item:
        rows = msg["data"] if "data" in msg else msg["result"]["list"]
        rows[0] = {**rows[0], **item}
    return msg


def only(events: list[Event]) -> Event:
    assert len(events) == 1, events
    return events[0]


# --- every fixture, field by field -----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "auth_success.json",
        "subscribe_success.private.json",
        "pong.private.json",
        "pong.public_linear_inverse.json",
    ],
)
def test_connection_successes_yield_nothing(name: str) -> None:
    assert bybit.parse(load(name)) == []


def test_bare_pong_text_yields_nothing() -> None:
    assert bybit.parse("pong") == []


def test_execution_fast_fixture() -> None:
    assert bybit.parse(load("execution.fast.json")) == [
        FillReported(
            symbol="ICPUSDT",
            order_id="443d63fa-b4c3-4297-b7b1-23bca88b04dc",
            client_order_id="test-00001",
            trade_id="3510f361-0add-5c7b-a2e7-9679810944fc",
            side="sell",
            quantity=D("3000"),
            price=D("12.015"),
            fee=None,
            fee_asset=None,
            version=1716800399334,
            kind="linear",
            realized_pnl=None,
            liquidation=False,
        )
    ]


def test_execution_fixture_old_field_set_fee_in_settle_coin() -> None:
    # No feeCurrency in this older sample: a linear fee is in the settle coin (USDT).
    assert bybit.parse(load("execution.json")) == [
        FillReported(
            symbol="XRPUSDT",
            order_id="f6e324ff-99c2-4e89-9739-3086e47f9381",
            client_order_id=None,
            trade_id="7e2ae69c-4edf-5800-a352-893d52b446aa",
            side="sell",
            quantity=D("25"),
            price=D("0.3374"),
            fee=D("0.005061"),
            fee_asset="USDT",
            version=1672364174443,
            kind="linear",
            realized_pnl=None,
            liquidation=False,
            order_quantity=D("25"),  # orderQty; leavesQty "0": nothing left after it
            leaves_quantity=D("0"),
        )
    ]


def test_execution_global_page_mirror_fixture_linear_with_pnl() -> None:
    assert bybit.parse(load("execution.global_page_mirror.json")) == [
        FillReported(
            symbol="BTCUSDT",
            order_id="9aac161b-8ed6-450d-9cab-c5cc67c21784",
            client_order_id=None,
            trade_id="0ab1bdf7-4219-438b-b30a-32ec863018f7",
            side="sell",
            quantity=D("0.5"),
            price=D("95900.1"),
            # execFee plus the GST in extraFees (same coin): 26.3725275 + 0.006403779.
            fee=D("26.378931279"),
            fee_asset="USDT",
            version=1746270400353,
            kind="linear",
            realized_pnl=D("0.05"),
            liquidation=False,
            order_quantity=D("0.5"),
            leaves_quantity=D("0"),
        )
    ]


def test_execution_usa_docs_spot_fixture() -> None:
    # Spot realizes no position PnL in the core: execPnl is not passed for spot.
    assert bybit.parse(load("execution.usa_docs_spot.json")) == [
        FillReported(
            symbol="BTCUSDT",
            order_id="9aac161b-8ed6-450d-9cab-c5cc67c21784",
            client_order_id=None,
            trade_id="0ab1bdf7-4219-438b-b30a-32ec863018f7",
            side="sell",
            quantity=D("0.5"),
            price=D("95900.1"),
            fee=D("26.378931279"),  # execFee + extraFees (GST, USDT)
            fee_asset="USDT",
            version=1746270400353,
            kind="spot",
            realized_pnl=None,
            liquidation=False,
            # A spot Market order's orderQty may be quote coin (marketUnit): not read.
        )
    ]


def test_order_fixture_is_an_option_order_and_is_named_not_parsed() -> None:
    assert bybit.parse(load("order.json")) == [MessageIgnored(venue="bybit", kind="order:option")]


def test_position_fixture_is_hedge_mode_and_refused() -> None:
    with pytest.raises(ParseError, match=r"position\[0\]\.positionIdx: .*hedge mode is not"):
        bybit.parse(load("position.json"))


def test_wallet_fixture_one_balance_per_coin() -> None:
    v = 1690873065683
    assert bybit.parse(load("wallet.json")) == [
        BalanceReported(asset="USDC", total=D("0"), free=D("0"), version=v),
        BalanceReported(asset="BTC", total=D("0"), free=D("0"), version=v),
        BalanceReported(asset="USDT", total=D("106.03036732"), free=D("106.03036732"), version=v),
    ]


def test_rest_wallet_balance_fixture() -> None:
    # This sample has no "locked": free is the wallet balance (the venue reports no lock).
    assert bybit.parse_snapshot(wallet=load("rest_wallet_balance.json")) == [
        SnapshotTaken(
            version=1672125441042,
            balances=(
                BalanceReported(
                    asset="BTC", total=D("0.805994"), free=D("0.805994"), version=1672125441042
                ),
            ),
            balances_complete=True,
            positions_complete=False,
            orders_complete=False,
        )
    ]


def test_rest_position_list_fixture_inverse_short() -> None:
    assert bybit.parse_snapshot(positions=load("rest_position_list.json")) == [
        SnapshotTaken(
            version=1697684980172,
            positions=(
                PositionReported(
                    symbol="BTCUSD",
                    quantity=D("-300"),
                    entry_price=D("27464.50441675"),
                    version=1697673600012,
                    kind="inverse",
                ),
            ),
            balances_complete=False,
            positions_complete=True,
            orders_complete=False,
        )
    ]


def test_rest_open_orders_fixture_is_hedge_mode_and_refused() -> None:
    with pytest.raises(ParseError, match=r"open_orders\.result\.list\[0\]\.positionIdx"):
        bybit.parse_snapshot(open_orders=load("rest_open_orders.json"))


def test_rest_open_orders_one_way() -> None:
    # MODIFIED fixture: positionIdx 1 -> 0 (the doc sample is a hedge-mode order).
    body = _mod("rest_open_orders.json", {"positionIdx": 0})
    assert bybit.parse_snapshot(open_orders=body) == [
        SnapshotTaken(
            version=1684765770483,
            open_orders=(
                OrderReported(
                    symbol="ETHUSDT",
                    order_id="fd4300ae-7847-404e-b947-b46980a4d140",
                    client_order_id="test-000005",
                    side="buy",
                    status="new",
                    quantity=D("0.10"),
                    price=D("1600.00"),
                    filled_quantity=D("0.00"),
                    average_price=None,
                    version=1684738540561,
                    kind="linear",
                    order_type="limit",
                    conditional=False,
                ),
            ),
            balances_complete=False,
            positions_complete=False,
            orders_complete=True,
        )
    ]


def test_rest_execution_list_fixture_usdc_perp_fee_in_usdc() -> None:
    # feeCurrency is "" here: ETHPERP is a USDC perpetual, so the fee is in USDC.
    assert bybit.parse_snapshot(executions=load("rest_execution_list.json")) == [
        SnapshotTaken(
            version=1672283754510,
            trades=(
                FillReported(
                    symbol="ETHPERP",
                    order_id="8c065341-7b52-4ca9-ac2c-37e31ac55c94",
                    client_order_id=None,
                    trade_id="e0cbe81d-0f18-5866-9415-cf319b5dab3b",
                    side="buy",
                    quantity=D("0.1"),
                    price=D("1190.15"),
                    fee=D("0.071409"),
                    fee_asset="USDC",
                    version=1672282722429,
                    kind="linear",
                    realized_pnl=None,
                    liquidation=False,
                    order_quantity=D("0.1"),
                    leaves_quantity=D("0"),
                ),
            ),
            balances_complete=False,
            positions_complete=False,
            orders_complete=False,
        )
    ]


def test_every_fixture_is_covered_above() -> None:
    covered = {
        "auth_success.json",
        "subscribe_success.private.json",
        "pong.private.json",
        "pong.public_linear_inverse.json",
        "execution.fast.json",
        "execution.json",
        "execution.global_page_mirror.json",
        "execution.usa_docs_spot.json",
        "order.json",
        "position.json",
        "wallet.json",
        "wallet.no_locked_2022.json",
        *REST_KEYS,
    }
    assert set(FIXTURE_NAMES) == covered


# --- variants built from fixtures (prose-only in the docs) -----------------------------------

LINEAR_ORDER = {
    "category": "linear",
    "symbol": "BTCUSDT",
    "orderId": "O-1",
    "orderLinkId": "c1",
    "side": "Buy",
    "orderType": "Limit",
    "price": "95000",
    "qty": "0.5",
    "cumExecQty": "0",
    "avgPrice": "",
    "orderStatus": "New",
    "updatedTime": "1000",
    "positionIdx": 0,
}


def order_msg(**over: Any) -> dict[str, Any]:
    """MODIFIED order.json (an option sample) into a linear/spot order push."""
    return _mod("order.json", {**LINEAR_ORDER, **over})


@pytest.mark.parametrize(
    ("venue_status", "status", "conditional"),
    [
        ("New", "new", False),
        ("PartiallyFilled", "partially_filled", False),
        ("Filled", "filled", False),
        ("Cancelled", "canceled", False),
        ("PartiallyFilledCanceled", "canceled", False),
        ("Rejected", "rejected", False),
        ("Deactivated", "canceled", True),
        ("Untriggered", "new", True),
        ("Triggered", "new", False),
    ],
)
def test_order_status_mapping(venue_status: str, status: str, conditional: bool) -> None:
    cum = "0.2" if venue_status in ("PartiallyFilled", "PartiallyFilledCanceled") else "0"
    cum = "0.5" if venue_status == "Filled" else cum
    avg = "95000" if cum != "0" else ""
    e = only(bybit.parse(order_msg(orderStatus=venue_status, cumExecQty=cum, avgPrice=avg)))
    assert e == OrderReported(
        symbol="BTCUSDT",
        order_id="O-1",
        client_order_id="c1",
        side="buy",
        status=status,
        quantity=D("0.5"),
        price=D("95000"),
        filled_quantity=D(cum),
        average_price=D(avg) if avg else None,
        version=1000,
        kind="linear",
        order_type="limit",
        conditional=conditional,
    )


def test_order_unknown_status_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"order\[0\]\.orderStatus: unknown value 'Expired'"):
        bybit.parse(order_msg(orderStatus="Expired"))


def test_order_market_has_no_price_and_empty_client_id_is_none() -> None:
    e = only(bybit.parse(order_msg(orderType="Market", price="94942.5", orderLinkId="")))
    assert isinstance(e, OrderReported)
    assert (e.order_type, e.price, e.client_order_id) == ("market", None, None)


def test_order_hedge_mode_refused() -> None:
    with pytest.raises(ParseError, match="hedge mode is not supported"):
        bybit.parse(order_msg(positionIdx=2))


def test_order_categorised_topic_and_kind() -> None:
    msg = order_msg(category="spot", positionIdx=0)
    msg["topic"] = "order.spot"
    e = only(bybit.parse(msg))
    assert isinstance(e, OrderReported) and e.kind == "spot"


def test_spot_market_buy_in_quote_units() -> None:
    # qty of a spot market buy is quote coin by default: the base quantity is unknown
    # while it lives, and is what filled once it ended.
    live = order_msg(category="spot", orderType="Market", qty="100", orderStatus="New")
    assert bybit.parse(live) == [MessageIgnored(venue="bybit", kind="order:spot-market-quote-qty")]
    done = order_msg(
        category="spot",
        orderType="Market",
        qty="100",
        orderStatus="Filled",
        cumExecQty="2000000",
        avgPrice="0.00005",
    )
    e = only(bybit.parse(done))
    assert isinstance(e, OrderReported)
    assert (e.quantity, e.filled_quantity, e.status) == (D("2000000"), D("2000000"), "filled")
    base = order_msg(category="spot", orderType="Market", qty="3", marketUnit="baseCoin")
    e = only(bybit.parse(base))
    assert isinstance(e, OrderReported) and e.quantity == D("3")
    with pytest.raises(ParseError, match="marketUnit"):
        bybit.parse(order_msg(category="spot", orderType="Market", marketUnit="lots"))


def test_conditional_sized_by_position_is_named() -> None:
    msg = order_msg(orderStatus="Untriggered", qty="0")
    assert bybit.parse(msg) == [MessageIgnored(venue="bybit", kind="order:conditional-without-qty")]


def exec_msg(**over: Any) -> dict[str, Any]:
    """MODIFIED global-page execution sample (linear BTCUSDT); its extraFees emptied ("", as
    the REST execution sample has it) unless given, so a variant's fee is its execFee."""
    return _mod("execution.global_page_mirror.json", {"extraFees": "", **over})


def test_execution_funding_is_a_cash_change() -> None:
    msg = exec_msg(
        execType="Funding", execFee="0.5", orderType="UNKNOWN", orderId="", execId="fund-1"
    )
    assert bybit.parse(msg) == [
        CashChanged(
            asset="USDT",
            total_delta=D("-0.5"),
            free_delta=D("-0.5"),
            version=1746270400353,
            reason="funding",
            change_id="fund-1",
        )
    ]
    received = exec_msg(execType="Funding", execFee="-0.25", feeCurrency="", execId="fund-2")
    e = only(bybit.parse(received))
    assert isinstance(e, CashChanged) and (e.asset, e.total_delta) == ("USDT", D("0.25"))


@pytest.mark.parametrize("exec_type", ["AdlTrade", "BustTrade"])
def test_liquidation_fills(exec_type: str) -> None:
    e = only(bybit.parse(exec_msg(execType=exec_type, orderLinkId="shared")))
    assert isinstance(e, FillReported)
    assert e.liquidation is True and e.client_order_id is None


def test_execution_other_types() -> None:
    assert bybit.parse(exec_msg(execType="Settle")) == [
        MessageIgnored(venue="bybit", kind="execution:Settle")
    ]
    e = only(bybit.parse(exec_msg(execType="BlockTrade")))
    assert isinstance(e, FillReported) and not e.liquidation
    with pytest.raises(ParseError, match=r"execution\[0\]\.execType: unknown value 'Mystery'"):
        bybit.parse(exec_msg(execType="Mystery"))
    assert bybit.parse(exec_msg(category="option")) == [
        MessageIgnored(venue="bybit", kind="execution:option")
    ]


@pytest.mark.parametrize(
    ("symbol", "category", "asset"),
    [
        ("BTCUSDT", "linear", "USDT"),
        ("BTCUSDT-21FEB25", "linear", "USDT"),
        ("BTCPERP", "linear", "USDC"),
        ("BTC-24MAR23", "linear", "USDC"),
        ("BTCUSD", "inverse", "BTC"),
        ("BTCUSDH23", "inverse", "BTC"),
    ],
)
def test_fee_asset_without_fee_currency_is_the_settle_coin(
    symbol: str, category: str, asset: str
) -> None:
    e = only(bybit.parse(exec_msg(symbol=symbol, category=category, feeCurrency="")))
    assert isinstance(e, FillReported) and e.fee_asset == asset


def test_fee_asset_unknowable_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="feeCurrency"):
        bybit.parse(exec_msg(category="spot", feeCurrency=""))
    with pytest.raises(ParseError, match="feeCurrency"):
        bybit.parse(exec_msg(symbol="WEIRD", feeCurrency=""))
    e = only(bybit.parse(exec_msg(category="spot", feeCurrency="", execFee="0")))
    assert isinstance(e, FillReported) and (e.fee, e.fee_asset) == (D("0"), None)


def test_fast_without_client_id() -> None:
    msg = load("execution.fast.json")
    del msg["data"][0]["orderLinkId"]
    e = only(bybit.parse(msg))
    assert isinstance(e, FillReported) and e.client_order_id is None and e.fee is None


def pos_msg(**over: Any) -> dict[str, Any]:
    """MODIFIED position.json (a hedge-mode sample) into a one-way position push."""
    base = {
        "positionIdx": 0,
        "side": "Buy",
        "size": "1",
        "entryPrice": "95899",
        "updatedTime": "1746270400000",
    }
    return _mod("position.json", {**base, **over})


def test_position_one_way_sides() -> None:
    e = only(bybit.parse(pos_msg()))
    assert e == PositionReported(
        symbol="BTCUSDT",
        quantity=D("1"),
        entry_price=D("95899"),
        version=1746270400000,
        kind="linear",
    )
    e = only(bybit.parse(pos_msg(side="Sell", size="0.25")))
    assert isinstance(e, PositionReported) and e.quantity == D("-0.25")
    for flat_side in ("", "None"):
        e = only(bybit.parse(pos_msg(side=flat_side, size="0", entryPrice="123")))
        assert isinstance(e, PositionReported)
        assert (e.quantity, e.entry_price) == (D("0"), D("0"))
    with pytest.raises(ParseError, match="side"):
        bybit.parse(pos_msg(side=""))
    with pytest.raises(ParseError, match="hedge mode is not supported"):
        bybit.parse(pos_msg(positionIdx=1))
    with pytest.raises(ParseError, match="spot has no positions"):
        bybit.parse(pos_msg(category="spot"))


def test_stream_failures_and_unknown_kinds() -> None:
    # MODIFIED: the docs show only successes; a failure is documented as success: false.
    failed_auth = {**load("auth_success.json"), "success": False, "ret_msg": "Params Error"}
    assert bybit.parse(failed_auth) == [
        StreamDisconnected(stream="private", reason="auth failed: Params Error")
    ]
    failed_sub = {**load("subscribe_success.private.json"), "success": False}
    e = only(bybit.parse(failed_sub))
    assert isinstance(e, StreamDisconnected) and e.reason.startswith("subscribe failed")
    assert bybit.parse({"op": "order.create", "retCode": 0}) == [
        MessageIgnored(venue="bybit", kind="op:order.create")
    ]
    assert bybit.parse({"topic": "greeks", "data": []}) == [
        MessageIgnored(venue="bybit", kind="greeks")
    ]
    assert bybit.parse([1, 2]) == [MessageIgnored(venue="bybit", kind="list")]
    assert bybit.parse("hello") == [MessageIgnored(venue="bybit", kind="text")]
    assert bybit.parse({}) == [MessageIgnored(venue="bybit", kind="unknown")]
    with pytest.raises(ParseError, match=r"auth\.success"):
        bybit.parse({"op": "auth", "success": "yes"})
    with pytest.raises(ParseError, match=r"order\.data"):
        bybit.parse({"topic": "order", "data": {}})


def test_wallet_free_subtracts_locked() -> None:
    msg = load("wallet.json")
    msg["data"][0]["coin"] = [{**msg["data"][0]["coin"][2], "locked": "6.03036732"}]
    assert bybit.parse(msg) == [
        BalanceReported(
            asset="USDT", total=D("106.03036732"), free=D("100.00000000"), version=1690873065683
        )
    ]


# --- Decimal edge cases --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1e-8", "1E-8", "0.00000001"])
def test_scientific_quantities_are_exact(raw: str) -> None:
    e = only(bybit.parse(exec_msg(execQty=raw)))
    assert isinstance(e, FillReported) and e.quantity == D("0.00000001")


def test_zero_fee_large_notional_and_exact_subtraction() -> None:
    e = only(
        bybit.parse(
            exec_msg(execFee="0.00000000", execPrice="123456789012345678901234567890.123456789")
        )
    )
    assert isinstance(e, FillReported)
    assert e.fee == 0 and e.price == D("123456789012345678901234567890.123456789")
    msg = load("wallet.json")
    msg["data"][0]["coin"] = [
        {
            "coin": "USDT",
            "walletBalance": "12345678901234567890.123456789012345678",
            "locked": "0.000000000000000001",
        }
    ]
    b = only(bybit.parse(msg))
    assert isinstance(b, BalanceReported)
    assert b.free == D("12345678901234567890.123456789012345677")
    msg["data"][0]["coin"][0]["locked"] = "1e999999"
    with pytest.raises(ParseError, match="locked"):
        bybit.parse(msg)


@pytest.mark.parametrize("field", ["execQty", "execPrice", "execFee", "execPnl"])
def test_floats_refused(field: str) -> None:
    with pytest.raises(ParseError, match=field):
        bybit.parse(exec_msg(**{field: 0.5}))


def test_absurd_times_refused() -> None:
    with pytest.raises(ParseError, match="execTime"):
        bybit.parse(exec_msg(execTime="9" * 5000))
    with pytest.raises(ParseError, match="execId"):
        bybit.parse(exec_msg(execId=10**5000))
    # A value too large to quote in an error message is still a ParseError.
    with pytest.raises(ParseError):
        bybit.parse(exec_msg(symbol=-(10**5000)))
    with pytest.raises(ParseError):
        bybit.parse_snapshot(wallet={"retCode": -(10**5000)})


# --- Inventory sequences -------------------------------------------------------------------------

SPOT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
LINEAR = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")


def wallet_msg(t: int, **coins: tuple[str, str]) -> dict[str, Any]:
    """MODIFIED wallet.json: creationTime and (walletBalance, locked) per coin."""
    msg: dict[str, Any] = load("wallet.json")
    msg["creationTime"] = t
    msg["data"][0]["coin"] = [
        {**msg["data"][0]["coin"][2], "coin": c, "walletBalance": w, "locked": lk}
        for c, (w, lk) in coins.items()
    ]
    return msg


def spot_order(status: str, cum: str, avg: str, t: int, **over: Any) -> dict[str, Any]:
    return order_msg(
        category="spot",
        orderId="S-1",
        orderLinkId="c1",
        side="Buy",
        price="50000",
        qty="0.2",
        orderStatus=status,
        cumExecQty=cum,
        avgPrice=avg,
        updatedTime=str(t),
        **over,
    )


def spot_fill(exec_id: str, qty: str, price: str, t: int, left: str = "0.1") -> dict[str, Any]:
    """MODIFIED usa-docs spot execution: a buy fill of S-1 (limit, 0.2; ``left`` after it),
    fee 0.1% in BTC, no extraFees."""
    return _mod(
        "execution.usa_docs_spot.json",
        {
            "orderId": "S-1",
            "orderLinkId": "c1",
            "side": "Buy",
            "execId": exec_id,
            "execQty": qty,
            "execPrice": price,
            "execFee": str(D(qty) / 1000),
            "feeCurrency": "BTC",
            "execTime": str(t),
            "orderType": "Limit",
            "orderQty": "0.2",
            "leavesQty": left,
            "extraFees": "",
        },
    )


SPOT_FLOW = [
    wallet_msg(1000, USDT=("20000", "0"), BTC=("0", "0")),
    spot_order("New", "0", "", 1100),
    wallet_msg(1101, USDT=("20000", "10000"), BTC=("0", "0")),
    spot_fill("e1", "0.1", "50000", 1200),
    spot_order("PartiallyFilled", "0.1", "50000", 1200),
    wallet_msg(1201, USDT=("15000", "5000"), BTC=("0.0999", "0")),
    spot_fill("e2", "0.1", "49000", 1300, left="0"),
    spot_order("Filled", "0.2", "49500", 1300),
    wallet_msg(1301, USDT=("10100", "0"), BTC=("0.1998", "0")),
]


def feed(inv: Inventory, msg: Any) -> None:
    for e in bybit.parse(msg):
        inv.apply(e)


def assert_spot_final(inv: Inventory) -> None:
    usdt, btc = inv.balance("USDT"), inv.balance("BTC")
    assert (usdt.total, usdt.free) == (D("10100"), D("10100"))
    assert (btc.total, btc.free) == (D("0.1998"), D("0.1998"))
    o = inv.order("c1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.average_price) == ("filled", D("0.2"), D("49500"))
    assert o.fees == (("BTC", D("0.0002")),)
    assert inv.open_orders() == []


def test_spot_new_partial_fill_fill_balance_in_order() -> None:
    inv = Inventory([SPOT])
    feed(inv, SPOT_FLOW[0])
    feed(inv, SPOT_FLOW[1])
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D("20000"), D("10000"))
    feed(inv, SPOT_FLOW[2])
    feed(inv, SPOT_FLOW[3])
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D("15000"), D("10000"), D("5000"))
    assert inv.balance("BTC").total == D("0.0999")
    o = inv.order("c1")
    assert o is not None and (o.status, o.remaining_quantity) == ("partially_filled", D("0.1"))
    for msg in SPOT_FLOW[4:]:
        feed(inv, msg)
    assert_spot_final(inv)


@FUZZ
@given(st.permutations(list(range(len(SPOT_FLOW)))), st.lists(st.integers(0, 8), max_size=6))
def test_spot_flow_any_order_with_duplicates(order: list[int], dups: list[int]) -> None:
    inv = Inventory([SPOT])
    for i in order + dups:
        feed(inv, SPOT_FLOW[i])
    # Wallet reports are absolute: the newest must win whichever came last.
    assert_spot_final(inv)


def test_spot_cancel_after_partial_fill() -> None:
    inv = Inventory([SPOT])
    for msg in SPOT_FLOW[:4]:
        feed(inv, msg)
    feed(inv, spot_order("PartiallyFilledCanceled", "0.1", "50000", 1250))
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D("15000"), D("15000"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.remaining_quantity) == ("canceled", D("0"))
    feed(inv, wallet_msg(1251, USDT=("15000", "0"), BTC=("0.0999", "0")))
    assert inv.balance("USDT").free == D("15000") and inv.balance("BTC").total == D("0.0999")


def test_spot_reject_releases_local_reserve() -> None:
    inv = Inventory([SPOT])
    feed(inv, SPOT_FLOW[0])
    inv.submit(
        client_order_id="c1",
        symbol="BTCUSDT",
        side="buy",
        quantity=D("0.2"),
        price=D("50000"),
        kind="spot",
    )
    assert inv.balance("USDT").free == D("10000")
    feed(inv, spot_order("Rejected", "0", "", 1100))
    o = inv.order("c1")
    assert o is not None and o.status == "rejected"
    assert inv.balance("USDT").free == D("20000")


# The fast + full merge on a linear instrument (every arrival order, duplicates).
OID = "9aac161b-8ed6-450d-9cab-c5cc67c21784"
XID = "0ab1bdf7-4219-438b-b30a-32ec863018f7"
T0, T_NEW, T_FILL, T_W = 1746270400000, 1746270400350, 1746270400353, 1746270400360


def linear_order(status: str, cum: str, avg: str, t: int) -> dict[str, Any]:
    return order_msg(
        orderId=OID,
        orderLinkId="test-00001",
        side="Sell",
        orderType="Market",
        price="94942.5",
        qty="0.5",
        orderStatus=status,
        cumExecQty=cum,
        avgPrice=avg,
        updatedTime=str(t),
    )


def fast_fill() -> dict[str, Any]:
    """MODIFIED execution.fast sample: the same trade as the global-page execution sample."""
    return _mod(
        "execution.fast.json",
        {
            "symbol": "BTCUSDT",
            "execId": XID,
            "execPrice": "95900.1",
            "execQty": "0.5",
            "orderId": OID,
            "side": "Sell",
            "execTime": str(T_FILL),
        },
    )


def full_fill() -> dict[str, Any]:
    """The global-page execution sample, MODIFIED only to carry the taker's orderLinkId."""
    return exec_msg(orderLinkId="test-00001")


SETUP = [
    wallet_msg(T0, USDT=("10000", "0")),
    pos_msg(size="1", entryPrice="95899", updatedTime=str(T0)),
]
MERGE = {
    "new": linear_order("New", "0", "", T_NEW),
    "fast": fast_fill(),
    "full": full_fill(),
    "filled": linear_order("Filled", "0.5", "95900.1", T_FILL),
    "pos": pos_msg(size="0.5", entryPrice="95899", updatedTime=str(T_FILL)),
    "wallet": wallet_msg(T_W, USDT=("9973.6774725", "0")),
}
FEE = D("26.3725275")


def check_merge(inv: Inventory, seen: set[str]) -> None:
    """Hand-computed state after any subset of MERGE has been delivered (any order)."""
    p = inv.position("BTCUSDT")
    traded = bool(seen & {"fast", "full", "pos"})
    assert (p.quantity, p.entry_price) == (D("0.5") if traded else D("1"), D("95899"))
    if "wallet" in seen:
        usdt = D("9973.6774725")
    elif "full" in seen:
        usdt = D("10000") + D("0.05") - FEE  # the venue's execPnl replaces a computed one
    elif "fast" in seen:
        usdt = D("10000") + D("0.55")  # 0.5 x (95900.1 - 95899), no fee known yet
    else:
        usdt = D("10000")
    b = inv.balance("USDT")
    assert (b.total, b.free) == (usdt, usdt)
    o = inv.order("test-00001")
    if o is not None:
        assert o.fees == ((("USDT", FEE),) if "full" in seen else ())


def run_merge(names: list[str]) -> Inventory:
    inv = Inventory([LINEAR])
    for msg in SETUP:
        feed(inv, msg)
    seen: set[str] = set()
    for name in names:
        feed(inv, MERGE[name])
        seen.add(name)
        check_merge(inv, seen)
    o = inv.order("test-00001")
    assert o is not None
    assert (o.status, o.filled_quantity, o.average_price) == ("filled", D("0.5"), D("95900.1"))
    assert inv.open_orders() == []
    return inv


def test_fast_and_full_merge_every_arrival_order() -> None:
    for names in itertools.permutations(MERGE):
        run_merge(list(names))


@FUZZ
@given(
    st.permutations(list(MERGE)),
    st.lists(st.sampled_from(list(MERGE)), max_size=8),
    st.randoms(use_true_random=False),
)
def test_fast_and_full_merge_with_duplicates(names: list[str], extra: list[str], rnd: Any) -> None:
    seq = names + extra
    rnd.shuffle(seq)
    run_merge(seq)


def test_funding_counted_once_then_covered() -> None:
    inv = Inventory([LINEAR])
    feed(inv, SETUP[0])
    funding = exec_msg(
        execType="Funding", execFee="1.5", execId="f-1", orderId="", execTime=str(T0 + 5)
    )
    feed(inv, funding)
    feed(inv, funding)
    assert inv.balance("USDT").total == D("9998.5")
    feed(inv, wallet_msg(T0 + 9, USDT=("9998.5", "0")))
    feed(inv, funding)
    assert inv.balance("USDT").total == D("9998.5")


def test_conditional_untriggered_triggered_new_filled() -> None:
    inv = Inventory([LINEAR])
    feed(inv, order_msg(orderStatus="Untriggered", updatedTime="1000"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.conditional) == ("open", True)
    assert inv.exposure("BTCUSDT").high == D("0.5")
    feed(inv, order_msg(orderStatus="Triggered", updatedTime="1001"))
    feed(inv, order_msg(orderStatus="New", updatedTime="1002"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.conditional) == ("open", False)
    feed(
        inv, order_msg(orderStatus="Filled", cumExecQty="0.5", avgPrice="95000", updatedTime="1003")
    )
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("filled", D("0.5"))


def test_spot_and_linear_under_one_symbol() -> None:
    inv = Inventory([SPOT, LINEAR])
    # MODIFIED: both samples share order and trade ids (they are the same doc example);
    # distinct client ids let the test find each order.
    spot_fill_msg = _mod("execution.usa_docs_spot.json", {"orderLinkId": "s1"})
    linear_fill_msg = exec_msg(orderLinkId="l1")
    spot_new = order_msg(
        category="spot",
        orderId=OID,
        orderLinkId="s1",
        side="Sell",
        orderType="Market",
        qty="0.5",
        updatedTime=str(T_NEW),
    )
    linear_new = order_msg(
        orderId=OID,
        orderLinkId="l1",
        side="Sell",
        orderType="Market",
        qty="0.5",
        updatedTime=str(T_NEW),
    )
    spot_done = order_msg(
        category="spot",
        orderId=OID,
        orderLinkId="s1",
        side="Sell",
        orderType="Market",
        qty="0.5",
        orderStatus="Filled",
        cumExecQty="0.5",
        avgPrice="95900.1",
        updatedTime=str(T_FILL),
    )
    linear_done = order_msg(
        orderId=OID,
        orderLinkId="l1",
        side="Sell",
        orderType="Market",
        qty="0.5",
        orderStatus="Filled",
        cumExecQty="0.5",
        avgPrice="95900.1",
        updatedTime=str(T_FILL),
    )
    start = [
        wallet_msg(T0, USDT=("10000", "0"), BTC=("1", "0")),
        pos_msg(size="1", entryPrice="95899", updatedTime=str(T0)),
    ]
    msgs = [spot_new, linear_new, spot_fill_msg, linear_fill_msg, spot_done, linear_done]
    for order in itertools.permutations(msgs):
        inv = Inventory([SPOT, LINEAR])
        for msg in [*start, *order, order[0], order[3]]:
            feed(inv, msg)
        assert inv.balance("BTC").total == D("0.5")
        # spot: +0.5 x 95900.1 - fee (execFee + the GST of extraFees); linear: + execPnl - fee
        spot_fee = FEE + D("0.006403779")
        assert inv.balance("USDT").total == D("10000") + D("47950.05") - spot_fee - FEE + D("0.05")
        assert inv.position("BTCUSDT").quantity == D("0.5")
        s, lin = inv.order("s1"), inv.order("l1")
        assert s is not None and lin is not None
        assert (s.kind, s.status, s.filled_quantity) == ("spot", "filled", D("0.5"))
        assert (lin.kind, lin.status, lin.filled_quantity) == ("linear", "filled", D("0.5"))


def test_snapshot_applied_to_inventory() -> None:
    inv = Inventory(
        [
            Instrument(symbol="BTCUSD", kind="inverse", base="BTC", quote="USD"),
            Instrument(symbol="ETHUSDT", kind="linear", base="ETH", quote="USDT"),
            Instrument(symbol="ETHPERP", kind="linear", base="ETH", quote="USDC"),
        ]
    )
    # MODIFIED open orders: positionIdx 0 (the sample is hedge mode).
    (snap,) = bybit.parse_snapshot(
        wallet=load("rest_wallet_balance.json"),
        positions=[load("rest_position_list.json")],
        open_orders=_mod("rest_open_orders.json", {"positionIdx": 0}),
        executions=load("rest_execution_list.json"),
    )
    assert isinstance(snap, SnapshotTaken) and snap.version == 1672125441042
    inv.apply(snap)
    assert inv.balance("BTC").total == D("0.805994")
    p = inv.position("BTCUSD")
    assert (p.quantity, p.entry_price) == (D("-300"), D("27464.50441675"))
    # The ETHPERP trade is newer than the wallet read: it stays on top of it.
    assert inv.position("ETHPERP").quantity == D("0.1")
    assert inv.balance("USDC").total == D("-0.071409")
    o = inv.order("test-000005")
    assert o is not None and (o.status, o.remaining_quantity) == ("open", D("0.10"))
    assert inv.sync_state in ("synced", "settling")


def test_snapshot_errors() -> None:
    with pytest.raises(ParseError, match="no REST body"):
        bybit.parse_snapshot()
    with pytest.raises(ParseError, match=r"wallet\.retCode: 10001"):
        bybit.parse_snapshot(wallet={"retCode": 10001, "retMsg": "bad", "result": {}, "time": 1})
    with pytest.raises(ParseError, match="empty list"):
        bybit.parse_snapshot(positions=[])
    page = load("rest_position_list.json")
    with pytest.raises(ParseError, match="listed twice"):
        bybit.parse_snapshot(positions=[page, page])


def test_fast_fill_without_client_id_then_order_report_links_client_id() -> None:
    # A maker trade's execution.fast has no orderLinkId (MODIFIED sample: key removed).
    inv = Inventory([LINEAR])
    fast = fast_fill()
    del fast["data"][0]["orderLinkId"]
    feed(inv, fast)
    feed(inv, MERGE["filled"])
    assert inv.order("test-00001") is not None


def test_local_intent_then_fast_fill_without_client_id_is_one_order() -> None:
    inv = Inventory([LINEAR])
    for msg in SETUP:
        feed(inv, msg)
    inv.submit(
        client_order_id="test-00001",
        symbol="BTCUSDT",
        side="sell",
        quantity=D("0.5"),
        kind="linear",
    )
    fast = fast_fill()
    del fast["data"][0]["orderLinkId"]
    for msg in (fast, MERGE["filled"], MERGE["full"]):
        feed(inv, msg)
    assert inv.open_orders() == []
    assert inv.position("BTCUSDT").quantity == D("0.5")
    ex = inv.exposure("BTCUSDT")
    assert (ex.low, ex.high) == (D("0.5"), D("0.5"))


def test_spot_conditional_reserves_once_triggered() -> None:
    inv = Inventory([SPOT])
    feed(inv, SPOT_FLOW[0])
    feed(inv, spot_order("Untriggered", "0", "", 1100))
    assert inv.balance("USDT").free == D("20000")
    feed(inv, spot_order("Triggered", "0", "", 1101))
    assert inv.balance("USDT").free == D("10000")


# Known fills reaching the quantity make the order filled, even before its first report.
def test_fill_before_new_report_is_filled() -> None:
    inv = Inventory([LINEAR])
    feed(inv, full_fill())
    feed(inv, MERGE["new"])
    o = inv.order("test-00001")
    assert o is not None and o.status == "filled"


# --- fuzzing --------------------------------------------------------------------------------------

KEYS = sorted(
    {
        "topic",
        "op",
        "data",
        "success",
        "ret_msg",
        "category",
        "symbol",
        "orderId",
        "orderLinkId",
        "side",
        "orderStatus",
        "orderType",
        "qty",
        "price",
        "cumExecQty",
        "avgPrice",
        "updatedTime",
        "positionIdx",
        "execType",
        "execId",
        "execQty",
        "execPrice",
        "execFee",
        "execTime",
        "execPnl",
        "feeCurrency",
        "size",
        "entryPrice",
        "coin",
        "walletBalance",
        "locked",
        "creationTime",
        "marketUnit",
        "retCode",
        "result",
        "list",
        "time",
    }
)
WORDS = [
    "",
    "0",
    "1",
    "-1",
    "1e-8",
    "1E400",
    "NaN",
    "Infinity",
    " 1",
    "Buy",
    "Sell",
    "None",
    "linear",
    "spot",
    "inverse",
    "option",
    "order",
    "execution",
    "execution.fast",
    "position",
    "wallet",
    "New",
    "Filled",
    "Untriggered",
    "Triggered",
    "Trade",
    "Funding",
    "AdlTrade",
    "Settle",
    "Limit",
    "Market",
    "quoteCoin",
    "auth",
    "subscribe",
    "pong",
    "order.linear",
    "execution.fast.spot",
    "BTCUSDT",
    "BTCUSD",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=25,
)
WS_FIXTURES = [n for n in FIXTURE_NAMES if n not in REST_KEYS]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, names: list[str]) -> tuple[str, Any]:
    name = draw(st.sampled_from(names))
    msg = load(name)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(msg)))
        if not where:
            msg = draw(json_values)
            continue
        parent = msg
        for k in where[:-1]:
            parent = parent[k]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[where[-1]]
        else:
            parent[where[-1]] = draw(json_values)
        if not isinstance(msg, (dict, list)):
            break
    return name, msg


@FUZZ
@given(json_values)
def test_fuzz_parse_arbitrary_json(message: Any) -> None:
    with contextlib.suppress(ParseError):
        bybit.parse(message)


@FUZZ
@given(mutated(WS_FIXTURES))
def test_fuzz_parse_mutated_fixtures(case: tuple[str, Any]) -> None:
    with contextlib.suppress(ParseError):
        bybit.parse(case[1])


@FUZZ
@given(mutated(sorted(REST_KEYS)), json_values)
def test_fuzz_parse_snapshot(case: tuple[str, Any], other: Any) -> None:
    name, body = case
    for kwargs in ({REST_KEYS[name]: body}, {REST_KEYS[name]: [body]}, {"wallet": other}):
        with contextlib.suppress(ParseError):
            bybit.parse_snapshot(**kwargs)


STATE_ASSETS = ("USDT", "BTC", "USDC")
STATE_KEYS = ("c1", "test-00001", "l1", "s1", OID)


def state(inv: Inventory) -> Any:
    return observed(inv, STATE_ASSETS, STATE_KEYS)


@FUZZ
@given(st.lists(mutated(WS_FIXTURES), min_size=1, max_size=5))
def test_rejected_message_leaves_inventory_unchanged(cases: list[tuple[str, Any]]) -> None:
    inv = Inventory([SPOT, LINEAR])
    for msg in [*SETUP, MERGE["new"], MERGE["fast"]]:
        feed(inv, msg)
    for _, msg in cases:
        before = state(inv)
        try:
            events = bybit.parse(copy.deepcopy(msg))
        except ParseError:
            assert state(inv) == before
            continue
        # A well-formed but contradictory mutation: the core refuses it, changing nothing.
        apply_checked(inv, events, STATE_ASSETS, STATE_KEYS)


# --- real-payload findings (issue 14) ------------------------------------------------------


def test_rejected_after_a_partial_fill_ends_the_order_and_releases_the_rest() -> None:
    # orderStatus "Rejected" with cumExecQty > 0: the venue refused the rest after a fill.
    inv = Inventory([SPOT])
    for msg in (
        wallet_msg(1000, USDT=("20000", "0"), BTC=("0", "0")),
        spot_order("New", "0", "", 1100),
        spot_fill("e1", "0.1", "50000", 1200),
        spot_order("Rejected", "0.1", "50000", 1300),
    ):
        feed(inv, msg)
    o = inv.order("c1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == ("canceled", D("0.1"), D(0))
    assert inv.open_orders() == []
    assert [r for r in inv.requests() if isinstance(r, QueryOrder)] == []
    # 20000 - 0.1 x 50000 spent; the reserve of the other 0.1 (5000) is released.
    assert inv.balance("USDT") == Balance(D(15000), D(15000), D(0))
    assert inv.balance("BTC").total == D("0.0999")


def test_extra_fee_in_another_coin_is_a_cash_change_of_its_execution() -> None:
    # MODIFIED usa-docs spot sample: execFee in BTC (a buy), its GST still in USDT.
    msg = _mod("execution.usa_docs_spot.json", {"side": "Buy", "feeCurrency": "BTC"})
    fill, extra = bybit.parse(msg)
    assert isinstance(fill, FillReported) and (fill.fee, fill.fee_asset) == (
        D("26.3725275"),
        "BTC",
    )
    assert extra == CashChanged(
        asset="USDT",
        total_delta=D("-0.006403779"),
        free_delta=D("-0.006403779"),
        version=1746270400353,
        reason="fee",
        change_id="0ab1bdf7-4219-438b-b30a-32ec863018f7:extraFees:0",
    )


def test_extra_fees_counted_in_the_wallet() -> None:
    inv = Inventory([LINEAR])
    for msg in SETUP:
        feed(inv, msg)
    feed(inv, load("execution.global_page_mirror.json"))
    # + execPnl 0.05 - execFee 26.3725275 - GST 0.006403779
    assert inv.balance("USDT").total == D("10000") + D("0.05") - D("26.378931279")


def test_adl_execution_bounds_and_ends_its_exchange_made_order() -> None:
    # MODIFIED global-page sample: execType AdlTrade (exchange-made: no client id). Its
    # orderQty 0.5 / leavesQty 0 say the order is done: the range closes.
    inv = Inventory([LINEAR])
    for msg in SETUP:
        feed(inv, msg)
    feed(inv, exec_msg(execType="AdlTrade"))
    o = inv.order(OID)
    assert o is not None
    assert (o.status, o.quantity, o.filled_quantity) == ("filled", D("0.5"), D("0.5"))
    half = Exposure(low=D("0.5"), expected=D("0.5"), high=D("0.5"))
    assert inv.exposure("BTCUSDT") == half
    feed(inv, pos_msg(size="0.5", entryPrice="95899", updatedTime=str(T_FILL)))
    feed(inv, wallet_msg(T_W, USDT=("9973.6774725", "0")))
    assert inv.exposure("BTCUSDT") == half
    assert [r for r in inv.requests() if isinstance(r, QueryOrder)] == []


def test_parse_order_answers_a_query() -> None:
    # MODIFIED fixture: positionIdx 1 -> 0 (the doc sample is a hedge-mode order).
    body = _mod("rest_open_orders.json", {"positionIdx": 0})
    (o,) = bybit.parse_order(body)
    assert isinstance(o, OrderReported)
    assert (o.order_id, o.client_order_id, o.status, o.quantity, o.version) == (
        "fd4300ae-7847-404e-b947-b46980a4d140",
        "test-000005",
        "new",
        D("0.10"),
        1684738540561,
    )
    empty = load("rest_open_orders.json")
    empty["result"]["list"] = []  # MODIFIED: no such order
    assert bybit.parse_order(empty, client_order_id="c9") == [
        OrderNotFound(client_order_id="c9", order_id=None)
    ]
    with pytest.raises(ParseError, match="no id was given"):
        bybit.parse_order(empty)


def test_wallet_without_locked_reads_free_as_available_to_withdraw() -> None:
    # The older wallet push has no locked: free is availableToWithdraw (USDC: 0 while its
    # margin is in use), never the whole wallet balance.
    by_coin = {
        b.asset: (b.total, b.free)
        for b in bybit.parse(load("wallet.no_locked_2022.json"))
        if isinstance(b, BalanceReported)
    }
    assert by_coin["USDC"] == (D("201.34882644"), D("0"))
    assert by_coin["USDT"] == (D("11728.54414904"), D("11723.92075829"))
    assert by_coin["BTC"] == (D("0.06488393"), D("0.06488393"))


def test_wallet_without_locked_never_overstates_free() -> None:
    # P6: a sell of 0.04 BTC holds 0.04; the push (MODIFIED old sample) says 0.02488393 is
    # available. Without availableToWithdraw (MODIFIED: removed) nothing is taken as free.
    inv = Inventory([SPOT])
    msg = load("wallet.no_locked_2022.json")
    btc = dict(msg["data"][0]["coin"][1], availableToWithdraw="0.02488393")
    msg["data"][0]["coin"] = [btc]
    feed(inv, msg)
    assert inv.balance("BTC") == Balance(D("0.06488393"), D("0.02488393"), D("0.04"))
    del btc["availableToWithdraw"]
    msg["data"][0]["coin"] = [btc]
    msg["creationTime"] += 1
    feed(inv, msg)
    assert inv.balance("BTC").free == 0
