"""Binance Spot adapter: every doc fixture parsed, Inventory sequences, fuzzing, decimal edges.

Fixtures in tests/fixtures/binance_spot/ are official doc samples (SOURCES.md). The docs
show only the NEW executionReport; every other execution type here is that sample with
fields changed in the test (marked "derived"), never presented as a doc sample.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Instrument, Inventory, ParseError
from core.adapters import binance_spot as bs
from core.events import (
    BalanceReported,
    CancelFailed,
    CashChanged,
    Event,
    FillReported,
    MessageIgnored,
    OrderNotFound,
    OrderReported,
    SnapshotTaken,
    StreamDisconnected,
    SubmissionFailed,
    SubmissionTimedOut,
)
from tests.adapters.inventory_state import apply_checked, observed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance_spot"
D = Decimal


def load(name: str) -> Any:
    """One fixture, decoded afresh (tests may mutate it)."""
    return json.loads((FIXTURES / name).read_text())


def same(a: Decimal | None, b: str | None) -> bool:
    """Exact: equal value and the venue's own digits (exponent) kept."""
    if a is None or b is None:
        return a is None and b is None
    return a.as_tuple() == Decimal(b).as_tuple()


# --- every fixture -------------------------------------------------------------------------

NEW_REPORT = OrderReported(
    symbol="ETHBTC",
    order_id="4293153",
    client_order_id="mUvoqJxFIILMdfAW5iGSOW",
    side="buy",
    status="new",
    quantity=D("1.00000000"),
    price=D("0.10264410"),
    filled_quantity=D("0.00000000"),
    average_price=None,
    version=1499405658657,
    kind="spot",
    order_type="limit",
    conditional=False,
)


@pytest.mark.parametrize(
    "name", ["executionReport_new.json", "executionReport_new.wsapi_envelope.json"]
)
def test_execution_report_new_both_forms(name: str) -> None:
    (r,) = bs.parse(load(name))
    assert r == NEW_REPORT
    assert isinstance(r, OrderReported)
    assert same(r.quantity, "1.00000000")
    assert same(r.price, "0.10264410")
    assert same(r.filled_quantity, "0.00000000")


@pytest.mark.parametrize(
    "name", ["outboundAccountPosition.json", "outboundAccountPosition.wsapi_envelope.json"]
)
def test_outbound_account_position_both_forms(name: str) -> None:
    (b,) = bs.parse(load(name))
    assert isinstance(b, BalanceReported)
    assert b.asset == "ETH"
    assert same(b.free, "10000.000000")
    assert b.total == D("10000.000000") and b.locked == 0
    assert b.version == 1564034571073  # u, not E (1564034571105)
    assert b.trade_ids is None


@pytest.mark.parametrize("name", ["balanceUpdate.json", "balanceUpdate.wsapi_envelope.json"])
def test_balance_update_both_forms(name: str) -> None:
    assert bs.parse(load(name)) == [
        CashChanged(
            asset="BTC",
            total_delta=D("100.00000000"),
            free_delta=D("100.00000000"),
            version=1573200697068,
            reason="balanceUpdate",
            change_id=None,
        )
    ]


def test_external_lock_update_moves_free_only() -> None:
    (c,) = bs.parse(load("externalLockUpdate.wsapi_envelope.json"))
    assert c == CashChanged(
        asset="NEO",
        total_delta=D(0),
        free_delta=D("-10.00000000"),
        version=1581557507268,
        reason="externalLockUpdate",
        change_id=None,
    )
    assert isinstance(c, CashChanged) and str(c.free_delta) == "-10.00000000"


def test_external_lock_update_raw_form() -> None:
    # Derived: the testnet doc shows the raw form with the same values; unwrapped here.
    assert bs.parse(load("externalLockUpdate.wsapi_envelope.json")["event"]) == bs.parse(
        load("externalLockUpdate.wsapi_envelope.json")
    )


@pytest.mark.parametrize(
    "name",
    [
        "listStatus.json",
        "listStatus.wsapi_envelope.json",
        "serverShutdown.wsapi.json",
        "wsapi_userDataStream_subscribe_response.json",
    ],
)
def test_acks_and_warnings_yield_nothing(name: str) -> None:
    assert bs.parse(load(name)) == []


def test_listen_key_expired_breaks_the_stream() -> None:
    # Its doc sample has E as a string; E is not read, so that quirk cannot break it.
    assert bs.parse(load("listenKeyExpired.json")) == [
        StreamDisconnected(stream="binance_spot.user_data", reason="listenKeyExpired")
    ]


def test_event_stream_terminated_names_its_subscription() -> None:
    assert bs.parse(load("eventStreamTerminated.wsapi_envelope.json")) == [
        StreamDisconnected(stream="binance_spot.user_data.0", reason="eventStreamTerminated")
    ]
    # Derived: the older testnet form has no subscriptionId.
    bare = {"event": load("eventStreamTerminated.wsapi_envelope.json")["event"]}
    assert bs.parse(bare) == [
        StreamDisconnected(stream="binance_spot.user_data", reason="eventStreamTerminated")
    ]


def test_combined_stream_wrapper_is_unwrapped() -> None:
    # Derived: {"stream", "data"} is the general combined-stream wrapper (FACTS §1).
    raw = load("balanceUpdate.json")
    assert bs.parse({"stream": "someListenKey", "data": raw}) == bs.parse(raw)


def test_rest_snapshot_all_parts() -> None:
    (s,) = bs.parse_snapshot(
        account=load("rest_account.json"),
        open_orders=load("rest_openOrders.json"),
        trades=load("rest_myTrades.json"),
    )
    assert isinstance(s, SnapshotTaken)
    assert s.version == 123456789
    assert s.balances == (
        BalanceReported("BTC", D("4723846.89208129"), D("4723846.89208129"), 123456789),
        BalanceReported("LTC", D("4763368.68006011"), D("4763368.68006011"), 123456789),
    )
    assert same(s.balances[0].total, "4723846.89208129")
    assert s.open_orders == (
        OrderReported(
            symbol="LTCBTC",
            order_id="1",
            client_order_id="myOrder1",
            side="buy",
            status="new",
            quantity=D("1.0"),
            price=D("0.1"),
            filled_quantity=D("0.0"),
            average_price=None,
            version=1499827319559,
            kind="spot",
        ),
    )
    assert s.trades == (
        FillReported(
            symbol="BNBBTC",
            order_id="100234",
            client_order_id=None,
            trade_id="28457",
            side="buy",
            quantity=D("12.00000000"),
            price=D("4.00000100"),
            fee=D("10.10000000"),
            fee_asset="BNB",
            version=1499865549590,
            kind="spot",
        ),
    )
    assert (s.balances_complete, s.orders_complete, s.positions_complete) == (True, True, False)
    assert s.positions == ()


def test_rest_snapshot_parts_left_out_are_incomplete() -> None:
    (s,) = bs.parse_snapshot(open_orders=load("rest_openOrders.json"))
    assert isinstance(s, SnapshotTaken)
    assert (s.balances_complete, s.orders_complete) == (False, True)
    assert s.version == 1499827319559 and s.balances == ()
    (s,) = bs.parse_snapshot(trades=load("rest_myTrades.json"))
    assert isinstance(s, SnapshotTaken)
    assert (s.balances_complete, s.orders_complete) == (False, False)
    assert s.version == 1499865549590
    (s,) = bs.parse_snapshot(open_orders=load("rest_openOrders.json"), open_orders_complete=False)
    assert isinstance(s, SnapshotTaken) and not s.orders_complete
    with pytest.raises(ParseError, match="at least one"):
        bs.parse_snapshot()


def test_rest_snapshot_accepts_the_ws_api_envelope() -> None:
    # Derived: the same body as the "result" of a WebSocket-API request.
    wrapped = load("wsapi_userDataStream_subscribe_response.json")
    wrapped["result"] = load("rest_account.json")
    assert bs.parse_snapshot(account=wrapped) == bs.parse_snapshot(
        account=load("rest_account.json")
    )


def test_rest_snapshot_refuses_an_error_body() -> None:
    with pytest.raises(ParseError, match=r"account: the venue answered with an error.*-1121"):
        bs.parse_snapshot(account=load("error_generic.json"))
    with pytest.raises(ParseError, match="open_orders: expected a list"):
        bs.parse_snapshot(open_orders=load("rest_account.json"))


def test_parse_order_query() -> None:
    assert bs.parse_order(load("rest_order_query.json")) == [
        OrderReported(
            symbol="LTCBTC",
            order_id="1",
            client_order_id="myOrder1",
            side="buy",
            status="new",
            quantity=D("1.0"),
            price=D("0.1"),
            filled_quantity=D("0.0"),
            average_price=None,
            version=1499827319559,
            kind="spot",
        )
    ]


def test_parse_order_full_new_order_answer_lists_its_fills() -> None:
    r, *fills = bs.parse_order(load("rest_order_new_full.json"))
    assert r == OrderReported(
        symbol="BTCUSDT",
        order_id="28",
        client_order_id="6gCrw2kRUAF9CvJDGP16IP",
        side="sell",
        status="filled",
        quantity=D("10.00000000"),
        price=None,
        filled_quantity=D("10.00000000"),
        average_price=D(1),  # the doc sample's cummulativeQuoteQty is 10, taken as given
        version=1507725176595,
        kind="spot",
        order_type="market",
    )
    expected = [
        ("56", "1.00000000", "4000.00000000", "4.00000000"),
        ("57", "5.00000000", "3999.00000000", "19.99500000"),
        ("58", "2.00000000", "3998.00000000", "7.99600000"),
        ("59", "1.00000000", "3997.00000000", "3.99700000"),
        ("60", "1.00000000", "3995.00000000", "3.99500000"),
    ]
    assert len(fills) == len(expected)
    for f, (tid, qty, price, fee) in zip(fills, expected, strict=True):
        assert isinstance(f, FillReported)
        assert (f.trade_id, f.order_id, f.client_order_id, f.side) == (
            tid,
            "28",
            "6gCrw2kRUAF9CvJDGP16IP",
            "sell",
        )
        assert same(f.quantity, qty) and same(f.price, price) and same(f.fee, fee)
        assert f.fee_asset == "USDT" and f.version == 1507725176595 and f.kind == "spot"


def test_parse_order_cancel_answer_has_no_version() -> None:
    # The 2023 DELETE /api/v3/order sample has no time field: wait for the stream instead.
    with pytest.raises(ParseError, match=r"order\.updateTime: missing field"):
        bs.parse_order(load("rest_order_cancel.json"))


def test_parse_order_cancel_answer_uses_the_original_client_id() -> None:
    # Derived: the cancel sample with an updateTime added.
    body = load("rest_order_cancel.json")
    body["updateTime"] = 1499827320000
    (r,) = bs.parse_order(body)
    assert isinstance(r, OrderReported)
    assert r.client_order_id == "myOrder1" and r.status == "canceled" and r.order_id == "4"


def test_parse_order_refuses_an_error_body() -> None:
    with pytest.raises(ParseError, match="use parse_error"):
        bs.parse_order(load("error_generic.json"))


def test_error_generic_is_a_definite_rejection() -> None:
    assert bs.parse_error(load("error_generic.json"), "c9") == [
        SubmissionFailed(client_order_id="c9", reason="-1121: Invalid symbol.")
    ]
    # On the stream, an error body is not a known kind.
    assert bs.parse(load("error_generic.json")) == [
        MessageIgnored(venue="binance_spot", kind="unknown")
    ]


def error(code: int, msg: str) -> dict[str, Any]:
    """Derived: error_generic.json with another code (errors.md lists codes, not bodies)."""
    body: dict[str, Any] = load("error_generic.json")
    body.update(code=code, msg=msg)
    return body


def test_error_codes() -> None:
    assert bs.parse_error(error(-2013, "Order does not exist."), "c1") == [
        OrderNotFound(client_order_id="c1")
    ]
    assert bs.parse_error(error(-2013, "Order does not exist."), None, order_id="42") == [
        OrderNotFound(client_order_id=None, order_id="42")
    ]
    for code in (-1006, -1007):
        (e,) = bs.parse_error(error(code, "Execution status unknown."), "c1")
        assert isinstance(e, SubmissionTimedOut) and e.client_order_id == "c1"
    (e,) = bs.parse_error(error(-2011, "Unknown order sent."), "c1")
    assert e == CancelFailed(client_order_id="c1", reason="-2011: Unknown order sent.")
    (e,) = bs.parse_error(error(-2010, "Account has insufficient balance."), "c1")
    assert isinstance(e, SubmissionFailed)
    # Derived: the WebSocket-API error envelope; a 5xx status leaves the outcome unknown.
    ws = {"id": "x", "status": 400, "error": error(-2013, "Order does not exist.")}
    assert bs.parse_error(ws, "c1") == [OrderNotFound(client_order_id="c1")]
    ws = {"id": "x", "status": 503, "error": error(-1121, "Invalid symbol.")}
    assert isinstance(bs.parse_error(ws, "c1")[0], SubmissionTimedOut)
    with pytest.raises(ParseError):
        bs.parse_error(error(-2010, "x"), None)
    with pytest.raises(ParseError, match=r"error\.code"):
        bs.parse_error({"code": "-2013", "msg": "x"}, "c1")


def test_ws_api_failure_breaks_the_stream() -> None:
    # Derived: the subscribe response with an error instead of a result.
    body = load("wsapi_userDataStream_subscribe_response.json")
    del body["result"]
    body.update(status=401, error={"code": -2015, "msg": "Invalid API-key"})
    (e,) = bs.parse(body)
    assert isinstance(e, StreamDisconnected) and "-2015" in e.reason


def test_unknown_kinds_are_named_not_raised() -> None:
    # Derived: the NEW report under a type name the adapter does not know.
    msg = load("executionReport_new.json")
    msg["e"] = "orderExpiryNotice"
    assert bs.parse(msg) == [MessageIgnored(venue="binance_spot", kind="orderExpiryNotice")]
    env = load("executionReport_new.wsapi_envelope.json")
    env["event"]["e"] = "somethingNew"
    assert bs.parse(env) == [MessageIgnored(venue="binance_spot", kind="somethingNew")]
    assert bs.parse("pong") == []
    assert bs.parse([]) == [MessageIgnored(venue="binance_spot", kind="list")]
    assert bs.parse({}) == [MessageIgnored(venue="binance_spot", kind="unknown")]
    with pytest.raises(ParseError):
        bs.parse(None)
    with pytest.raises(ParseError, match=r"message\.e: expected a string"):
        bs.parse({"e": 5})


# --- executionReport variants (derived from the NEW sample) ----------------------------------


def er(**changes: Any) -> dict[str, Any]:
    """Derived: the doc's NEW executionReport with fields changed."""
    msg: dict[str, Any] = load("executionReport_new.json")
    msg.update(changes)
    return msg


def test_trade_yields_order_then_fill() -> None:
    msg = er(
        x="TRADE", X="PARTIALLY_FILLED", l="0.40000000", z="0.40000000", L="0.10264410",
        Z="0.04105764", n="0.00040000", N="ETH", t=77, T=1499405658700,
    )  # fmt: skip
    r, f = bs.parse(msg)
    assert isinstance(r, OrderReported) and isinstance(f, FillReported)
    assert r.status == "partially_filled" and same(r.filled_quantity, "0.40000000")
    assert r.average_price == D("0.102644100") and r.version == 1499405658700
    assert f == FillReported(
        symbol="ETHBTC",
        order_id="4293153",
        client_order_id="mUvoqJxFIILMdfAW5iGSOW",
        trade_id="77",
        side="buy",
        quantity=D("0.40000000"),
        price=D("0.10264410"),
        fee=D("0.00040000"),
        fee_asset="ETH",
        version=1499405658700,
        kind="spot",
    )


def test_trade_without_a_trade_id_is_refused() -> None:
    msg = er(x="TRADE", X="FILLED", l="1", z="1", L="0.1", Z="0.1")  # t stays -1
    with pytest.raises(ParseError, match=r"executionReport\.t"):
        bs.parse(msg)


def test_average_price_does_not_need_to_terminate() -> None:
    (r,) = bs.parse(er(X="PARTIALLY_FILLED", x="NEW", q="3", z="3", Z="1"))
    assert isinstance(r, OrderReported)
    assert r.average_price == D("0.3333333333333333333333333333")


def test_cancel_uses_the_original_client_id() -> None:
    (r,) = bs.parse(er(x="CANCELED", X="CANCELED", c="cancelReq7", C="mUvoqJxFIILMdfAW5iGSOW"))
    assert isinstance(r, OrderReported)
    assert r.status == "canceled" and r.client_order_id == "mUvoqJxFIILMdfAW5iGSOW"


@pytest.mark.parametrize(
    ("x", "status", "filled", "expected"),
    [
        ("NEW", "NEW", "0", "new"),
        ("REPLACED", "NEW", "0", "new"),
        ("REPLACED", "PARTIALLY_FILLED", "0.5", "partially_filled"),
        ("REJECTED", "REJECTED", "0", "rejected"),
        ("EXPIRED", "EXPIRED", "0.2", "expired"),
        ("TRADE_PREVENTION", "EXPIRED_IN_MATCH", "0", "expired"),
        ("TRADE_PREVENTION", "EXPIRED", "0", "expired"),
        ("CANCELED", "CANCELED", "0.3", "canceled"),
        ("NEW", "PENDING_CANCEL", "0", "new"),
        ("NEW", "PENDING_CANCEL", "0.3", "partially_filled"),
        ("NEW", "PENDING_NEW", "0", "new"),
    ],
)
def test_every_execution_type_and_status(x: str, status: str, filled: str, expected: str) -> None:
    (r,) = bs.parse(er(x=x, X=status, z=filled, Z="0"))
    assert isinstance(r, OrderReported)
    assert r.status == expected and r.filled_quantity == D(filled)
    assert r.conditional is (status == "PENDING_NEW")


def test_replaced_reports_the_amended_quantity() -> None:
    (r,) = bs.parse(er(x="REPLACED", X="NEW", q="0.50000000", c="amendedId"))
    assert isinstance(r, OrderReported)
    assert same(r.quantity, "0.50000000") and r.client_order_id == "amendedId"


def test_unknown_status_or_execution_type_is_refused() -> None:
    with pytest.raises(ParseError, match=r"executionReport\.X: unknown order status 'HALTED'"):
        bs.parse(er(X="HALTED"))
    with pytest.raises(ParseError, match=r"executionReport\.x: unknown value 'AMENDED'"):
        bs.parse(er(x="AMENDED"))
    with pytest.raises(ParseError, match=r"executionReport\.S"):
        bs.parse(er(S="LONG"))


def test_market_order_has_no_price() -> None:
    (r,) = bs.parse(er(o="MARKET", p="0.00000000"))
    assert isinstance(r, OrderReported)
    assert r.price is None and r.order_type == "market"
    # A stop-market order (STOP_LOSS) also has p = 0.
    (r,) = bs.parse(er(o="STOP_LOSS", p="0.00000000", P="0.09"))
    assert isinstance(r, OrderReported) and r.order_type == "market" and r.price is None
    (r,) = bs.parse(er(o="STOP_LOSS_LIMIT", P="0.09"))
    assert isinstance(r, OrderReported) and r.order_type == "limit" and not r.conditional


def test_missing_and_malformed_fields_are_named() -> None:
    for key in ("s", "i", "c", "S", "x", "X", "q", "p", "o", "z", "Z", "T"):
        msg = er()
        del msg[key]
        with pytest.raises(ParseError, match=rf"executionReport\.{key}: missing field"):
            bs.parse(msg)
    with pytest.raises(ParseError, match=r"executionReport\.z"):
        bs.parse(er(z=None))
    with pytest.raises(ParseError, match=r"outboundAccountPosition\.B\[0\]\.f"):
        msg = load("outboundAccountPosition.json")
        del msg["B"][0]["f"]
        bs.parse(msg)
    with pytest.raises(ParseError, match=r"balanceUpdate\.T"):
        bs.parse({**load("balanceUpdate.json"), "T": -5})
    with pytest.raises(ParseError, match="above quantity"):
        bs.parse(er(z="2"))


# --- decimals --------------------------------------------------------------------------------


def test_scientific_strings_are_exact() -> None:
    (b,) = bs.parse({**load("balanceUpdate.json"), "d": "1e-8"})
    assert isinstance(b, CashChanged) and b.total_delta == D("0.00000001")
    (b,) = bs.parse({**load("balanceUpdate.json"), "d": "1E-8"})
    assert isinstance(b, CashChanged) and b.free_delta == D("0.00000001")


def test_zero_and_huge_balances_are_exact() -> None:
    msg = load("outboundAccountPosition.json")
    msg["B"] = [
        {"a": "BTC", "f": "0.00000000", "l": "0.00000000"},
        {"a": "USDT", "f": "123456789012345678901234567890.12345678", "l": "0.00000001"},
    ]
    zero, big = bs.parse(msg)
    assert isinstance(zero, BalanceReported) and isinstance(big, BalanceReported)
    assert zero.total == 0 and zero.free == 0
    assert str(big.total) == "123456789012345678901234567890.12345679"
    assert big.locked == D("0.00000001")


HUGE = "99999999999999999999.99999999"


def test_huge_notional_fill() -> None:
    r, f = bs.parse(
        er(x="TRADE", X="FILLED", q=HUGE, z=HUGE, l=HUGE, L="999999999.12345678",
           Z="99999999912345677999999999999.999999990000000", t=1)
    )  # fmt: skip
    assert isinstance(f, FillReported) and same(f.quantity, HUGE)
    assert isinstance(r, OrderReported) and r.average_price is not None
    assert abs(r.average_price - D("999999999.12345678")) < D("1e-15")


def test_floats_are_refused() -> None:
    with pytest.raises(ParseError, match=r"executionReport\.q: expected a decimal string"):
        bs.parse(er(q=1.0))
    with pytest.raises(ParseError, match=r"balanceUpdate\.d"):
        bs.parse({**load("balanceUpdate.json"), "d": 100.0})
    with pytest.raises(ParseError, match=r"executionReport\.T"):
        bs.parse(er(T=1499405658657.0))


def test_out_of_range_numbers_are_parse_errors() -> None:
    msg = load("outboundAccountPosition.json")
    msg["B"][0].update(f="9e999999", l="9e999999")
    with pytest.raises(ParseError, match="no exact decimal value"):
        bs.parse(msg)
    with pytest.raises(ParseError, match=r"executionReport\.Z"):
        bs.parse(er(X="PARTIALLY_FILLED", z="1e-999999", Z="1e999999"))
    with pytest.raises(ParseError, match=r"balanceUpdate\.T"):
        bs.parse({**load("balanceUpdate.json"), "T": "1" * 5000})
    with pytest.raises(ParseError, match=r"NaN|finite"):
        bs.parse({**load("balanceUpdate.json"), "d": "NaN"})


# --- Inventory sequences -------------------------------------------------------------------

ETHBTC = Instrument(symbol="ETHBTC", kind="spot", base="ETH", quote="BTC")


def account(version: int, **balances: tuple[str, str]) -> dict[str, Any]:
    """Derived: the GET /api/v3/account sample with our balances and updateTime."""
    body: dict[str, Any] = load("rest_account.json")
    body["updateTime"] = version
    body["balances"] = [{"asset": a, "free": f, "locked": lk} for a, (f, lk) in balances.items()]
    return body


def position(u: int, **balances: tuple[str, str]) -> dict[str, Any]:
    """Derived: the outboundAccountPosition sample with our balances and u."""
    body: dict[str, Any] = load("outboundAccountPosition.json")
    body["u"] = u
    body["B"] = [{"a": a, "f": f, "l": lk} for a, (f, lk) in balances.items()]
    return body


def order_msg(**changes: Any) -> dict[str, Any]:
    """Derived: the NEW sample as the bot's order c1: buy 1 ETH at 0.1 BTC, order id 7."""
    base = {"c": "c1", "p": "0.10000000", "q": "1.00000000", "i": 7, "T": 2000}
    return er(**{**base, **changes})


NEW_C1 = order_msg()
TRADE_1 = order_msg(
    x="TRADE", X="PARTIALLY_FILLED", l="0.40000000", z="0.40000000", L="0.10000000",
    Z="0.04000000", n="0.00040000", N="ETH", t=1, T=3000,
)  # fmt: skip
TRADE_2 = order_msg(
    x="TRADE", X="FILLED", l="0.60000000", z="1.00000000", L="0.10000000",
    Z="0.10000000", n="0.00060000", N="ETH", t=2, T=4000,
)  # fmt: skip
BAL_2000 = position(2000, BTC=("9.9", "0.1"))
BAL_3000 = position(3000, BTC=("9.9", "0.06"), ETH=("0.3996", "0"))
BAL_4000 = position(4000, BTC=("9.9", "0"), ETH=("0.999", "0"))


def fresh() -> Inventory:
    """An Inventory synced from a snapshot: 10 BTC, no ETH, no open orders."""
    inv = Inventory([ETHBTC])
    feed_snapshot(inv, account=account(1000, BTC=("10", "0"), ETH=("0", "0")), open_orders=[])
    return inv


def feed(inv: Inventory, *messages: Any) -> None:
    """Parse and apply stream messages in order."""
    for m in messages:
        for e in bs.parse(m):
            inv.apply(e)


def feed_snapshot(inv: Inventory, **bodies: Any) -> None:
    """Parse and apply one REST snapshot."""
    for e in bs.parse_snapshot(**bodies):
        inv.apply(e)


def bal(inv: Inventory, asset: str) -> tuple[object, object, object]:
    """(total, free, locked) of an asset (object: compared with ints and Decimals alike)."""
    b = inv.balance(asset)
    return b.total, b.free, b.locked


def test_new_partial_fill_fill_and_balance_updates() -> None:
    inv = fresh()
    assert inv.sync_state == "synced"
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    assert bal(inv, "BTC") == (10, D("9.9"), D("0.1"))
    feed(inv, NEW_C1)
    o = inv.order("c1")
    assert o is not None and o.status == "open" and o.order_id == "7"
    assert inv.order("7") == o
    feed(inv, BAL_2000)
    assert bal(inv, "BTC") == (10, D("9.9"), D("0.1"))
    feed(inv, TRADE_1)
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"
    assert o.filled_quantity == D("0.4") and o.remaining_quantity == D("0.6")
    assert o.average_price == D("0.1") and o.fees == (("ETH", D("0.0004")),)
    assert bal(inv, "BTC") == (D("9.96"), D("9.9"), D("0.06"))
    assert bal(inv, "ETH") == (D("0.3996"), D("0.3996"), 0)
    assert inv.sync_state == "settling"
    feed(inv, BAL_3000)
    assert inv.sync_state == "synced"
    assert bal(inv, "BTC") == (D("9.96"), D("9.9"), D("0.06"))
    feed(inv, TRADE_2)
    o = inv.order("c1")
    assert o is not None and o.status == "filled" and o.filled_quantity == 1
    assert o.remaining_quantity == 0 and o.fees == (("ETH", D("0.001")),)
    assert bal(inv, "BTC") == (D("9.9"), D("9.9"), 0)
    assert bal(inv, "ETH") == (D("0.999"), D("0.999"), 0)
    feed(inv, BAL_4000)
    assert bal(inv, "BTC") == (D("9.9"), D("9.9"), 0)
    assert bal(inv, "ETH") == (D("0.999"), D("0.999"), 0)
    assert inv.open_orders() == [] and inv.sync_state == "synced"


def final_state(inv: Inventory) -> tuple[object, ...]:
    """What must converge: balances and the order."""
    o = inv.order("7")
    assert o is not None
    return (
        bal(inv, "BTC"),
        bal(inv, "ETH"),
        o.status,
        o.filled_quantity,
        o.average_price,
        o.fees,
    )


EXPECTED_FINAL = (
    (D("9.9"), D("9.9"), 0),
    (D("0.999"), D("0.999"), 0),
    "filled",
    D(1),
    D("0.1"),
    (("ETH", D("0.001")),),
)


def test_every_delivery_order_converges() -> None:
    messages = [NEW_C1, TRADE_1, TRADE_2, BAL_2000, BAL_3000, BAL_4000]
    for perm in itertools.permutations(messages):
        inv = fresh()
        feed(inv, *perm)
        assert final_state(inv) == EXPECTED_FINAL, perm


@pytest.mark.parametrize("seed", range(20))
def test_duplicated_and_shuffled_delivery_converges(seed: int) -> None:
    rng = random.Random(seed)
    messages = [NEW_C1, TRADE_1, TRADE_2, BAL_2000, BAL_3000, BAL_4000]
    stream = messages + [rng.choice(messages) for _ in range(8)]
    rng.shuffle(stream)
    inv = fresh()
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    feed(inv, *stream)
    assert final_state(inv) == EXPECTED_FINAL, f"seed {seed}"


def test_both_stream_forms_give_the_same_inventory() -> None:
    def envelope(m: dict[str, Any]) -> dict[str, Any]:
        return {"subscriptionId": 0, "event": m}

    a, b = fresh(), fresh()
    messages = [NEW_C1, TRADE_1, BAL_3000, TRADE_2, BAL_4000]
    feed(a, *messages)
    feed(b, *(envelope(copy.deepcopy(m)) for m in messages))
    assert final_state(a) == final_state(b) == EXPECTED_FINAL


def test_cancel() -> None:
    inv = fresh()
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    feed(inv, NEW_C1, BAL_2000)
    inv.cancel("c1")
    o = inv.order("c1")
    assert o is not None and o.status == "pending_cancel"
    # Binance gives the cancel request its own id in c and the order's in C.
    feed(inv, order_msg(x="CANCELED", X="CANCELED", c="cxl1", C="c1", T=2500))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled" and o.remaining_quantity == 0
    assert inv.order("cxl1") is None
    assert bal(inv, "BTC") == (10, 10, 0)
    feed(inv, position(2500, BTC=("10", "0")))
    assert bal(inv, "BTC") == (10, 10, 0) and inv.open_orders() == []


def test_cancel_report_before_the_balance_report_and_the_new() -> None:
    inv = fresh()
    feed(inv, order_msg(x="CANCELED", X="CANCELED", c="cxl1", C="c1", T=2500), NEW_C1)
    assert bal(inv, "BTC") == (10, 10, 0)
    feed(inv, BAL_2000)  # older than the cancel: the release is still pending on top
    assert bal(inv, "BTC") == (10, 10, 0)


def test_reject() -> None:
    inv = fresh()
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    assert bal(inv, "BTC") == (10, D("9.9"), D("0.1"))
    feed(inv, order_msg(x="REJECTED", X="REJECTED", r="INSUFFICIENT_BALANCES"))
    o = inv.order("c1")
    assert o is not None and o.status == "rejected"
    assert bal(inv, "BTC") == (10, 10, 0) and inv.open_orders() == []


def test_replaced_lowers_the_reserve() -> None:
    inv = fresh()
    feed(inv, NEW_C1, BAL_2000)
    assert bal(inv, "BTC") == (10, D("9.9"), D("0.1"))
    feed(inv, order_msg(x="REPLACED", X="NEW", q="0.50000000", c="c1", T=2600))
    assert bal(inv, "BTC") == (10, D("9.95"), D("0.05"))
    o = inv.order("c1")
    assert o is not None and o.quantity == D("0.5") and o.status == "open"


def test_cash_changes_count_once_and_are_covered_by_reports() -> None:
    inv = fresh()
    deposit = {**load("balanceUpdate.json"), "T": 5000, "d": "1.50000000"}
    feed(inv, deposit, deposit)
    assert bal(inv, "BTC") == (D("11.5"), D("11.5"), 0)
    lock = {**load("externalLockUpdate.wsapi_envelope.json")["event"], "a": "BTC", "T": 5100}
    lock["d"] = "2.00000000"
    feed(inv, lock)
    assert bal(inv, "BTC") == (D("11.5"), D("9.5"), D(2))
    feed(inv, position(5100, BTC=("9.5", "2")))
    assert bal(inv, "BTC") == (D("11.5"), D("9.5"), D(2))
    feed(inv, deposit, lock)  # late duplicates: already covered by the report
    assert bal(inv, "BTC") == (D("11.5"), D("9.5"), D(2))


def test_stream_break_and_resync() -> None:
    inv = fresh()
    feed(inv, load("serverShutdown.wsapi.json"))
    assert inv.sync_state == "synced"
    feed(inv, load("listenKeyExpired.json"))
    assert inv.sync_state == "stale"
    feed_snapshot(inv, account=account(1000, BTC=("10", "0")), open_orders=[], trades=[])
    assert inv.sync_state == "synced"
    feed(inv, load("eventStreamTerminated.wsapi_envelope.json"))
    assert inv.sync_state == "stale"


def test_snapshot_with_open_order_and_trades() -> None:
    inv = fresh()
    oo = load("rest_openOrders.json")
    oo[0].update(symbol="ETHBTC", orderId=7, clientOrderId="c1", executedQty="0.4",
                 cummulativeQuoteQty="0.04", status="PARTIALLY_FILLED", updateTime=3000,
                 origQty="1.0")  # fmt: skip
    tr = load("rest_myTrades.json")
    tr[0].update(symbol="ETHBTC", id=1, orderId=7, price="0.1", qty="0.4", quoteQty="0.04",
                 commission="0.0004", commissionAsset="ETH", time=3000)  # fmt: skip
    feed_snapshot(
        inv,
        account=account(3000, BTC=("9.9", "0.06"), ETH=("0.3996", "0")),
        open_orders=oo,
        trades=tr,
    )
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled" and o.filled_quantity == D("0.4")
    assert bal(inv, "BTC") == (D("9.96"), D("9.9"), D("0.06"))
    assert bal(inv, "ETH") == (D("0.3996"), D("0.3996"), 0)
    feed(inv, TRADE_1, TRADE_2, BAL_4000)  # the stream repeats trade 1: counted once
    assert final_state(inv) == EXPECTED_FINAL


def test_timed_out_submission_then_not_found() -> None:
    inv = fresh()
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    for e in bs.parse_error(
        error(-1007, "Timeout waiting for response from backend server."), "c1"
    ):
        inv.apply(e)
    o = inv.order("c1")
    assert o is not None and o.status == "unknown"
    assert bal(inv, "BTC") == (10, D("9.9"), D("0.1"))
    for e in bs.parse_error(error(-2013, "Order does not exist."), "c1"):
        inv.apply(e)
    o = inv.order("c1")
    assert o is not None and o.status == "rejected"
    assert bal(inv, "BTC") == (10, 10, 0)


def test_timed_out_submission_then_query_finds_it() -> None:
    inv = fresh()
    inv.submit(client_order_id="c1", symbol="ETHBTC", side="buy", quantity=D(1), price=D("0.1"))
    for e in bs.parse_error(error(-1006, "Execution status unknown."), "c1"):
        inv.apply(e)
    body = load("rest_order_query.json")
    body.update(symbol="ETHBTC", orderId=7, clientOrderId="c1", updateTime=2000)
    for e in bs.parse_order(body):
        inv.apply(e)
    o = inv.order("c1")
    assert o is not None and o.status == "open" and o.order_id == "7"


# --- fuzzing ---------------------------------------------------------------------------------

STREAM_FIXTURES = [
    "executionReport_new.json",
    "executionReport_new.wsapi_envelope.json",
    "outboundAccountPosition.json",
    "outboundAccountPosition.wsapi_envelope.json",
    "balanceUpdate.json",
    "balanceUpdate.wsapi_envelope.json",
    "externalLockUpdate.wsapi_envelope.json",
    "eventStreamTerminated.wsapi_envelope.json",
    "listStatus.json",
    "listenKeyExpired.json",
    "serverShutdown.wsapi.json",
    "wsapi_userDataStream_subscribe_response.json",
]
SEEDS: list[Any] = [load(n) for n in STREAM_FIXTURES] + [TRADE_1, BAL_3000]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["0", "1e-8", "-1", "NaN", "Infinity", "", "TRADE", "FILLED", "NEW"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON value."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((*prefix, i))
            out.extend(paths(v, (*prefix, i)))
    return out


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A real message with a few keys dropped or values replaced by any JSON value."""
    msg = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        ps = paths(msg)
        if not ps:
            break
        path = draw(st.sampled_from(ps))
        parent = msg
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return msg


def only_parse_errors(fn: Any, *args: Any, **kwargs: Any) -> list[Event] | None:
    """Call a parser; a ParseError is fine, any other exception fails the test."""
    try:
        out: list[Event] = fn(*args, **kwargs)
    except ParseError:
        return None
    return out


@given(json_values)
def test_fuzz_parse_arbitrary_json(value: Any) -> None:
    only_parse_errors(bs.parse, value)


@given(mutated(SEEDS))
def test_fuzz_parse_mutated_fixtures(msg: Any) -> None:
    only_parse_errors(bs.parse, msg)


REST_SEEDS: list[Any] = [
    {"account": load("rest_account.json")},
    {"open_orders": load("rest_openOrders.json")},
    {"trades": load("rest_myTrades.json")},
]


@given(mutated(REST_SEEDS))
def test_fuzz_parse_snapshot_mutated(kwargs: Any) -> None:
    if isinstance(kwargs, dict) and kwargs and set(kwargs) <= {"account", "open_orders", "trades"}:
        only_parse_errors(bs.parse_snapshot, **kwargs)


@given(json_values, json_values, json_values)
def test_fuzz_parse_snapshot_arbitrary(a: Any, o: Any, t: Any) -> None:
    only_parse_errors(bs.parse_snapshot, account=a, open_orders=o, trades=t)


@given(mutated([load("rest_order_query.json"), load("rest_order_new_full.json")]) | json_values)
def test_fuzz_parse_order(body: Any) -> None:
    only_parse_errors(bs.parse_order, body)


@given(mutated([load("error_generic.json")]) | json_values, st.none() | st.text(max_size=4))
def test_fuzz_parse_error(body: Any, cid: str | None) -> None:
    only_parse_errors(bs.parse_error, body, cid)


@settings(deadline=None)
@given(st.lists(mutated(SEEDS), min_size=1, max_size=4))
def test_a_refused_message_leaves_the_inventory_unchanged(messages: list[Any]) -> None:
    inv = fresh()
    feed(inv, NEW_C1, TRADE_1)
    assets, keys = ("BTC", "ETH", "USDT", "BNB"), ("c1", "c2")
    for m in messages:
        before = observed(inv, assets, keys)
        try:
            events = bs.parse(m)
        except ParseError:
            assert observed(inv, assets, keys) == before
            continue
        # Well-formed but contradictory: the core refuses the event, and nothing changes.
        apply_checked(inv, events, assets, keys)
