"""OKX v5 adapter: every doc fixture parsed field by field, end-to-end Inventory runs, fuzzing.

Payloads built in code are real fixtures MODIFIED (see ``_push``/``_order_row``): the
docs have no sample for SWAP orders, net-mode positions or liquidation fills, and say so
in tests/fixtures/okx/SOURCES.md. They are never presented as doc samples.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Instrument, Inventory, ParseError
from core import events as ev
from core.adapters import okx
from tests.adapters.inventory_state import apply_checked, observed

D = Decimal
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "okx"
SWAP = Instrument(
    symbol="BTC-USDT-SWAP", kind="linear", base="BTC", quote="USDT", contract_size=D("0.01")
)
SPOT = Instrument(symbol="BTC-USDT", kind="spot", base="BTC", quote="USDT")
SPOT_USDC = Instrument(symbol="BTC-USDC", kind="spot", base="BTC", quote="USDC")


def load(name: str) -> Any:
    """A fixture, decoded (``ws_pong.txt`` is bare text)."""
    raw = (FIXTURES / name).read_text()
    return raw if name.endswith(".txt") else json.loads(raw)


# --- every fixture, field by field ------------------------------------------------------


def test_orders_push_spot_filled() -> None:
    order, fill = okx.parse(load("ws_orders_push.json"))
    assert order == ev.OrderReported(
        symbol="BTC-USDT",
        order_id="452197707845865472",
        client_order_id=None,
        side="sell",
        status="filled",
        quantity=D("0.001"),
        price=D("31527.1"),
        filled_quantity=D("0.001"),
        average_price=D("31527.1"),
        version=1654084353264,
        kind="spot",
        order_type="limit",
    )
    assert fill == ev.FillReported(
        symbol="BTC-USDT",
        order_id="452197707845865472",
        client_order_id=None,
        trade_id="242589207",
        side="sell",
        quantity=D("0.001"),
        price=D("31527.1"),
        fee=D("0.02522168"),  # OKX -0.02522168 = charged
        fee_asset="USDT",
        version=1654084353263,  # fillTime
        kind="spot",
        realized_pnl=None,  # fillPnl is not used for spot
        liquidation=False,
    )


def test_account_push() -> None:
    assert okx.parse(load("ws_account_push.json")) == [
        ev.BalanceReported(
            asset="USDT",
            total=D("4750.426970691436"),  # cashBal, not eq
            free=D("4734.371190691436"),  # availBal
            version=1705564213903,  # details[].uTime
        )
    ]


def test_positions_push_fixtures_are_hedge_mode() -> None:
    for name in ("ws_positions_push_single.json", "ws_positions_push_any.json"):
        with pytest.raises(ParseError, match="hedge mode"):
            okx.parse(load(name))


def test_balance_and_position_fixture_is_hedge_mode() -> None:
    with pytest.raises(ParseError, match=r"posData\[0\]\.posSide.*hedge mode"):
        okx.parse(load("ws_balance_and_position_push.json"))


def test_balance_and_position_net_variant() -> None:
    # MODIFIED fixture: posSide net (the doc sample is hedge mode).
    msg = load("ws_balance_and_position_push.json")
    msg["data"][0]["posData"][0]["posSide"] = "net"
    bal, pos = okx.parse(msg)
    assert bal == ev.BalanceReported(
        asset="BTC", total=D("1"), free=None, version=1597026383085, trade_ids=frozenset({"2"})
    )
    assert pos == ev.PositionReported(
        symbol="BTC-USD-191018",
        quantity=D("10"),
        entry_price=D("3320"),
        version=1597026383085,
        kind=None,
        trade_ids=frozenset({"2"}),
    )


def test_orders_algo_push() -> None:
    assert okx.parse(load("ws_orders_algo_push.json")) == [
        ev.OrderReported(
            symbol="BTC-USDC",
            order_id="581878926302093312",
            client_order_id=None,
            side="buy",
            status="new",
            quantity=D("11"),
            price=None,
            filled_quantity=D("0"),
            average_price=None,
            version=1708679675245,
            kind="spot",
            order_type="market",
            conditional=True,
        )
    ]


def test_algo_advance_push() -> None:
    assert okx.parse(load("ws_algo_advance_push.json")) == [
        ev.OrderReported(
            symbol="BTC-USDT",
            order_id="355056228680335360",
            client_order_id=None,
            side="buy",
            status="new",  # "pause": still live
            quantity=D("0.1"),
            price=None,
            filled_quantity=D("0"),
            average_price=None,
            version=1630924295204,  # pTime
            kind="spot",
            order_type="market",
            conditional=True,
        )
    ]


@pytest.mark.parametrize(
    "name",
    [
        "ws_account_subscribe_success.json",
        "ws_balance_and_position_subscribe_success.json",
        "ws_orders_algo_subscribe_success.json",
        "ws_orders_subscribe_success.json",
        "ws_orders_subscribe_success_instfamily.json",
        "ws_positions_subscribe_success.json",
        "ws_subscribe_success_generic.json",
        "ws_login_success.json",
        "ws_channel_conn_count.json",
        "ws_notice.json",
        "ws_pong.txt",
    ],
)
def test_acks_yield_nothing(name: str) -> None:
    assert okx.parse(load(name)) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ws_login_error.json", "error 60009: Login failed."),
        (
            "ws_orders_subscribe_error.json",
            'error 60012: Invalid request: {"op": "subscribe", "argss":[{ "channel" : '
            '"orders", "instType" : "FUTURES"}]}',
        ),
        (
            "ws_balance_and_position_subscribe_error.json",
            'error 60012: Invalid request: {"op": "subscribe", "argss":[{ "channel" : '
            '"balance_and_position"}]}',
        ),
        (
            "ws_channel_conn_count_error.json",
            "channel-conn-count-error channel=orders connCount=30",
        ),
    ],
)
def test_stream_breaks(name: str, reason: str) -> None:
    assert okx.parse(load(name)) == [ev.StreamDisconnected(stream="okx", reason=reason)]


def test_unknown_kinds_are_named() -> None:
    assert okx.parse(load("rest_account_bills.json")) == [
        ev.MessageIgnored(venue="okx", kind="unknown")
    ]
    assert okx.parse({"arg": {"channel": "tickers"}, "data": []}) == [
        ev.MessageIgnored(venue="okx", kind="tickers")
    ]
    assert okx.parse({"event": "somethingNew"}) == [
        ev.MessageIgnored(venue="okx", kind="event:somethingNew")
    ]
    assert okx.parse({"event": "notice", "code": "64099"}) == [
        ev.MessageIgnored(venue="okx", kind="notice:64099")
    ]
    assert okx.parse({"id": "1", "op": "order", "code": "0", "data": []}) == [
        ev.MessageIgnored(venue="okx", kind="op:order")
    ]
    assert okx.parse("ping") == [ev.MessageIgnored(venue="okx", kind="text")]


def test_rest_balance_snapshot() -> None:
    (snap,) = okx.parse_snapshot(balance=load("rest_account_balance.json"))
    assert snap == ev.SnapshotTaken(
        version=1705474164160,  # data[0].uTime: when the venue read the account
        balances=(
            ev.BalanceReported(
                asset="USDT",
                total=D("4850.435693622894"),
                free=D("4834.317093622894"),
                version=1705449605015,
            ),
        ),
        balances_complete=True,
        positions_complete=False,
        orders_complete=False,
    )


def test_rest_positions_margin_is_skipped() -> None:
    (snap,) = okx.parse_snapshot(positions=load("rest_account_positions.json"))
    assert snap == ev.SnapshotTaken(
        version=0, balances_complete=False, positions_complete=True, orders_complete=False
    )


def test_rest_positions_net_swap_variant() -> None:
    # MODIFIED fixture: a net SWAP short (the doc only has a MARGIN sample).
    body = load("rest_account_positions.json")
    row = body["data"][0]
    row.update(instType="SWAP", instId="BTC-USDT-SWAP", pos="-3", avgPx="62961.4")
    (snap,) = okx.parse_snapshot(positions=body)
    assert isinstance(snap, ev.SnapshotTaken)
    assert snap.positions == (
        ev.PositionReported(
            symbol="BTC-USDT-SWAP",
            quantity=D("-3"),
            entry_price=D("62961.4"),
            version=1724742632153,
            trade_ids=frozenset({"785524470"}),
        ),
    )
    assert snap.version == 1724742632153
    row["posSide"] = "short"
    with pytest.raises(ParseError, match="hedge mode"):
        okx.parse_snapshot(positions=body)


def test_rest_orders_pending() -> None:
    (snap,) = okx.parse_snapshot(open_orders=load("rest_trade_orders_pending.json"))
    assert snap == ev.SnapshotTaken(
        version=1724733617998,
        open_orders=(
            ev.OrderReported(
                symbol="BTC-USDT",
                order_id="1752588852617379840",
                client_order_id=None,
                side="buy",
                status="new",
                quantity=D("0.001"),
                price=D("13013.5"),  # post_only is a limit order
                filled_quantity=D("0"),
                average_price=None,
                version=1724733617998,
                kind="spot",
                order_type="limit",
            ),
        ),
        balances_complete=False,
        positions_complete=False,
        orders_complete=True,
    )


def test_rest_fills() -> None:
    (snap,) = okx.parse_snapshot(fills=load("rest_trade_fills.json"))
    assert isinstance(snap, ev.SnapshotTaken)
    assert snap.trades == (
        ev.FillReported(
            symbol="BTC-USDT",
            order_id="680800019749904384",
            client_order_id=None,
            trade_id="744876980",
            side="buy",
            quantity=D("0.00192834"),
            price=D("51858"),
            fee=D("0.00000192834"),
            fee_asset="BTC",
            version=1708587373361,  # fillTime, not ts
            kind="spot",
        ),
    )
    assert (snap.balances_complete, snap.positions_complete, snap.orders_complete) == (
        False,
        False,
        False,
    )


def test_rest_fill_negative_trade_id_is_liquidation() -> None:
    # MODIFIED fixture: a liquidation fill on a swap (docs: negative tradeId, prose only).
    body = load("rest_trade_fills.json")
    body["data"][0].update(
        instType="SWAP", instId="BTC-USDT-SWAP", tradeId="-17", fillPnl="-12.5", feeCcy="USDT"
    )
    (snap,) = okx.parse_snapshot(fills=body)
    assert isinstance(snap, ev.SnapshotTaken)
    (t,) = snap.trades
    assert (t.trade_id, t.liquidation, t.realized_pnl, t.kind) == ("-17", True, D("-12.5"), None)


def test_rest_order_quote_sized_market() -> None:
    # sz "100" is USDT (tgtCcy quote_ccy); the terminal order's base quantity is accFillSz.
    assert okx.parse_order(load("rest_trade_order.json")) == [
        ev.OrderReported(
            symbol="BTC-USDT",
            order_id="680800019749904384",
            client_order_id=None,
            side="buy",
            status="filled",
            quantity=D("0.00192834"),
            price=None,
            filled_quantity=D("0.00192834"),
            average_price=D("51858"),
            version=1708587373362,
            kind="spot",
            order_type="market",
        )
    ]


def test_rest_order_not_found_and_errors() -> None:
    body = {"code": "51603", "msg": "Order does not exist.", "data": []}
    assert okx.parse_order(body, client_order_id="c1") == [ev.OrderNotFound(client_order_id="c1")]
    with pytest.raises(ParseError, match="51603"):
        okx.parse_order(body)
    with pytest.raises(ParseError, match="venue error"):
        okx.parse_snapshot(balance={"code": "50011", "msg": "Rate limit", "data": []})


# --- modified payloads for variants the docs describe only in prose -----------------------


def _order_row(**changes: str) -> dict[str, Any]:
    """The doc's orders push row MODIFIED into a net-mode BTC-USDT-SWAP order, then ``changes``."""
    row: dict[str, Any] = copy.deepcopy(load("ws_orders_push.json")["data"][0])
    row.update(
        instType="SWAP",
        instId="BTC-USDT-SWAP",
        posSide="net",
        tdMode="cross",
        clOrdId="c1",
        ordId="1",
        side="buy",
        sz="10",
        px="50000",
        state="live",
        accFillSz="0",
        avgPx="",
        fillSz="0",
        fillPx="",
        tradeId="",
        fillFee="0",
        fillFeeCcy="",
        fillPnl="0",
        fillTime="",
        fee="0",
        uTime="2000",
    )
    row.update(changes)
    return row


def _push(channel: str, *rows: dict[str, Any]) -> dict[str, Any]:
    return {"arg": {"channel": channel, "uid": "1"}, "data": list(rows)}


def _account(ccy: str, cash: str, avail: str, t: int) -> dict[str, Any]:
    """The doc's account push MODIFIED to one currency with the given amounts."""
    msg: dict[str, Any] = load("ws_account_push.json")
    detail = msg["data"][0]["details"][0]
    detail.update(ccy=ccy, cashBal=cash, availBal=avail, uTime=str(t))
    return msg


def _positions(pos: str, avg: str, t: int, trade: str = "") -> dict[str, Any]:
    """The doc's positions push MODIFIED to a net-mode BTC-USDT-SWAP position."""
    msg: dict[str, Any] = load("ws_positions_push_single.json")
    row = msg["data"][0]
    row.update(
        instType="SWAP",
        instId="BTC-USDT-SWAP",
        posSide="net",
        pos=pos,
        avgPx=avg,
        uTime=str(t),
        tradeId=trade,
    )
    return msg


def _partial_fill(fee: str) -> dict[str, Any]:
    """The swap order (10 contracts) filled 4 at 50000 by trade t1, its fillFee ``fee``."""
    return _order_row(
        state="partially_filled",
        accFillSz="4",
        avgPx="50000",
        fillSz="4",
        fillPx="50000",
        tradeId="t1",
        fillFee=fee,
        fillFeeCcy="USDT",
        fillPnl="0",
        fillTime="3000",
        uTime="3001",
    )


def test_swap_partial_fill_keeps_contracts_and_fill_pnl() -> None:
    msg = _push("orders", _partial_fill("-0.1"))
    order, fill = okx.parse(msg)
    assert isinstance(order, ev.OrderReported) and isinstance(fill, ev.FillReported)
    assert (order.status, order.quantity, order.filled_quantity, order.kind) == (
        "partially_filled",
        D("10"),
        D("4"),
        None,
    )
    assert (order.client_order_id, order.version) == ("c1", 3001)
    assert (fill.quantity, fill.fee, fill.realized_pnl, fill.version) == (
        D("4"),
        D("0.1"),
        D("0"),
        3000,
    )


def test_positive_fill_fee_is_a_rebate_credited_to_the_wallet() -> None:
    # OKX signs fillFee from the user's side: negative is charged, positive is a rebate
    # (a maker rebate). The core's fee is the charge: the rebate comes in negative.
    row = _partial_fill("0.02")
    _, fill = okx.parse(_push("orders", row))
    assert isinstance(fill, ev.FillReported)
    assert (fill.fee, fill.fee_asset) == (D("-0.02"), "USDT")
    inv = _synced_swap()
    _apply(inv, _push("orders", row))
    assert inv.balance("USDT").total == D("1000.02")
    assert inv.position("BTC-USDT-SWAP").quantity == D("4")


def test_liquidation_fill_on_orders_channel() -> None:
    row = _order_row(
        clOrdId="",
        category="full_liquidation",
        side="sell",
        state="filled",
        accFillSz="10",
        avgPx="49000",
        fillSz="10",
        fillPx="49000",
        tradeId="-5",
        fillFee="-0.5",
        fillFeeCcy="USDT",
        fillPnl="-100",
        fillTime="5000",
        uTime="5001",
    )
    order, fill = okx.parse(_push("orders", row))
    assert isinstance(order, ev.OrderReported) and isinstance(fill, ev.FillReported)
    assert order.client_order_id is None
    assert (fill.client_order_id, fill.liquidation, fill.realized_pnl) == (None, True, D("-100"))


def test_order_row_without_trade_id_or_with_zero_fill() -> None:
    # Market orders may end "filled" with fillSz 0 (orders-ch): no fill event.
    row = _order_row(state="filled", ordType="market", px="", accFillSz="10", avgPx="50000")
    (order,) = okx.parse(_push("orders", row))
    assert isinstance(order, ev.OrderReported)
    assert (order.order_type, order.price, order.status) == ("market", None, "filled")
    # tradeId "0" is the order-level placeholder for liquidations: not a trade id.
    row = _order_row(state="filled", accFillSz="10", fillSz="10", fillPx="1", tradeId="0")
    assert len(okx.parse(_push("orders", row))) == 1


def test_order_state_mapping_and_unknown_state() -> None:
    for state, status in okx.ORDER_STATES.items():
        filled = "10" if state == "filled" else "0"
        (order,) = okx.parse(_push("orders", _order_row(state=state, accFillSz=filled)))
        assert isinstance(order, ev.OrderReported) and order.status == status
    with pytest.raises(ParseError, match=r"orders\.data\[0\]\.state: unknown value"):
        okx.parse(_push("orders", _order_row(state="mystery")))
    with pytest.raises(ParseError, match="hedge mode"):
        okx.parse(_push("orders", _order_row(posSide="long")))


def test_algo_triggered_and_failed() -> None:
    msg = load("ws_orders_algo_push.json")
    row = msg["data"][0]
    row.update(state="effective", ordId="", ordIdList=["777"], uTime="1708679675300")
    (o,) = okx.parse(msg)
    assert isinstance(o, ev.OrderReported)
    assert (o.status, o.triggered_order_id, o.conditional) == ("triggered", "777", True)
    row.update(ordId="778")
    (o,) = okx.parse(msg)
    assert isinstance(o, ev.OrderReported) and o.triggered_order_id == "778"
    row.update(state="order_failed")
    (o,) = okx.parse(msg)
    assert isinstance(o, ev.OrderReported)
    assert (o.status, o.triggered_order_id) == ("expired", None)
    row.update(sz="", closeFraction="1")
    assert okx.parse(msg) == [ev.MessageIgnored(venue="okx", kind="orders-algo:no-size")]


# --- end to end -------------------------------------------------------------------------------


def _status(inv: Inventory, key: str) -> str:
    o = inv.order(key)
    assert o is not None, key
    return o.status


def _apply(inv: Inventory, message: Any) -> None:
    for e in okx.parse(message):
        inv.apply(e)


def _synced_swap(usdt: str = "1000") -> Inventory:
    inv = Inventory([SWAP])
    bal = load("rest_account_balance.json")
    bal["data"][0]["uTime"] = "1000"
    bal["data"][0]["details"][0].update(cashBal=usdt, availBal=usdt, uTime="1000")
    empty = {"code": "0", "msg": "", "data": []}
    for e in okx.parse_snapshot(balance=bal, positions=empty, open_orders=empty):
        inv.apply(e)
    return inv


def _swap_story() -> list[Any]:
    """Open 10 contracts long in two fills, then close them with fillPnl 100."""
    fill1 = {"fillFeeCcy": "USDT", "fillPnl": "0"}
    return [
        _push("orders", _order_row()),
        _push(
            "orders",
            _order_row(
                state="partially_filled",
                accFillSz="4",
                avgPx="50000",
                fillSz="4",
                fillPx="50000",
                tradeId="t1",
                fillFee="-0.1",
                fillTime="3000",
                uTime="3001",
                **fill1,
            ),
        ),
        _push(
            "orders",
            _order_row(
                state="filled",
                accFillSz="10",
                avgPx="50000",
                fillSz="6",
                fillPx="50000",
                tradeId="t2",
                fillFee="-0.15",
                fillTime="4000",
                uTime="4001",
                **fill1,
            ),
        ),
        _positions("10", "50000", 4000, "t2"),
        _account("USDT", "999.75", "900", 4000),
        _push(
            "orders",
            _order_row(
                clOrdId="c2",
                ordId="2",
                side="sell",
                px="51000",
                state="filled",
                accFillSz="10",
                avgPx="51000",
                fillSz="10",
                fillPx="51000",
                tradeId="t3",
                fillFee="-0.2",
                fillFeeCcy="USDT",
                fillPnl="100",  # 10 contracts x 0.01 BTC x (51000 - 50000)
                fillTime="5000",
                uTime="5001",
            ),
        ),
        _positions("0", "", 6000),
        _account("USDT", "1099.55", "1099.55", 6000),
    ]


def test_swap_end_to_end_in_order() -> None:
    inv = _synced_swap()
    story = _swap_story()
    inv.submit(
        client_order_id="c1", symbol="BTC-USDT-SWAP", side="buy", quantity=D(10), price=D(50000)
    )
    assert _status(inv, "c1") == "pending_new"
    _apply(inv, story[0])
    assert _status(inv, "c1") == "open"
    _apply(inv, story[1])
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("partially_filled", D(4))
    assert inv.position("BTC-USDT-SWAP").quantity == D(4)
    assert inv.balance("USDT").total == D("999.9")
    _apply(inv, story[2])
    assert _status(inv, "c1") == "filled"
    assert inv.position("BTC-USDT-SWAP").quantity == D(10)
    assert inv.balance("USDT").total == D("999.75")
    _apply(inv, story[3])
    _apply(inv, story[4])
    assert inv.balance("USDT").total == D("999.75") and inv.balance("USDT").free == D("900")
    assert inv.position("BTC-USDT-SWAP").entry_price == D("50000")
    _apply(inv, story[5])
    assert inv.position("BTC-USDT-SWAP").quantity == 0
    assert inv.balance("USDT").total == D("1099.55")  # 999.75 + 100 - 0.2
    _apply(inv, story[6])
    _apply(inv, story[7])
    assert inv.balance("USDT").total == D("1099.55")
    assert _status(inv, "1") == _status(inv, "2") == "filled"
    assert inv.sync_state == "synced"


def _final(inv: Inventory) -> tuple[Any, ...]:
    o1, o2 = inv.order("1"), inv.order("2")
    assert o1 is not None and o2 is not None
    return (
        inv.balance("USDT"),
        inv.position("BTC-USDT-SWAP"),
        (o1.status, o1.filled_quantity, o1.fees),
        (o2.status, o2.filled_quantity, o2.fees),
    )


def test_swap_reordered_and_duplicated_delivery_converges() -> None:
    story = _swap_story()
    want = _final(_apply_all(_synced_swap(), story))
    assert want[0].total == D("1099.55") and want[1].quantity == 0
    rng = random.Random(7)
    for _ in range(40):
        msgs = story + rng.sample(story, 3)  # three duplicates
        rng.shuffle(msgs)
        assert _final(_apply_all(_synced_swap(), msgs)) == want


def _apply_all(inv: Inventory, msgs: list[Any]) -> Inventory:
    for m in msgs:
        _apply(inv, m)
    return inv


def test_balance_and_position_covers_by_trade_id() -> None:
    # MODIFIED fixture: a net-mode swap push whose uTime (3500) is older than fill t2 (4000)
    # but which names both trades: coverage is by id, so nothing is counted twice.
    inv = _synced_swap()
    story = _swap_story()
    for m in story[:3]:
        _apply(inv, m)
    msg = load("ws_balance_and_position_push.json")
    data = msg["data"][0]
    data.update(eventType="filled", pTime="3500")
    data["balData"][0].update(ccy="USDT", cashBal="999.75", uTime="3500")
    data["posData"][0].update(
        instId="BTC-USDT-SWAP",
        instType="SWAP",
        posSide="net",
        pos="10",
        avgPx="50000",
        tradeId="t2",
        uTime="3500",
    )
    data["trades"] = [
        {"instId": "BTC-USDT-SWAP", "tradeId": "t1"},
        {"instId": "BTC-USDT-SWAP", "tradeId": "t2"},
    ]
    events = okx.parse(msg)
    assert [type(e) for e in events] == [ev.BalanceReported, ev.PositionReported]
    assert isinstance(events[0], ev.BalanceReported)
    assert events[0].trade_ids == frozenset({"t1", "t2"})
    for e in events:
        inv.apply(e)
    assert inv.balance("USDT").total == D("999.75")
    assert inv.position("BTC-USDT-SWAP").quantity == D(10)
    assert inv.sync_state == "synced"


def test_cancel_and_client_id_reuse() -> None:
    inv = _synced_swap()
    _apply(inv, _push("orders", _order_row(ordId="A", clOrdId="c9", uTime="2000")))
    _apply(
        inv, _push("orders", _order_row(ordId="A", clOrdId="c9", state="canceled", uTime="2100"))
    )
    a = inv.order("A")
    assert a is not None and (a.status, a.remaining_quantity) == ("canceled", D(0))
    # OKX lets a terminal order's client id be reused: a different ordId, same clOrdId.
    _apply(inv, _push("orders", _order_row(ordId="B", clOrdId="c9", uTime="2200")))
    a, b, c = inv.order("A"), inv.order("B"), inv.order("c9")
    assert a is not None and b is not None and c is not None
    assert (a.status, b.status, c.order_id) == ("canceled", "open", "B")
    assert [o.order_id for o in inv.open_orders()] == ["B"]


def test_exchange_made_orders_never_collide() -> None:
    inv = _synced_swap()
    _apply(inv, _positions("10", "50000", 1500))
    liq = {
        "clOrdId": "",
        "category": "partial_liquidation",
        "side": "sell",
        "sz": "5",
        "state": "filled",
        "accFillSz": "5",
        "avgPx": "49000",
        "fillSz": "5",
        "fillPx": "49000",
        "fillFee": "-0.05",
        "fillFeeCcy": "USDT",
        "fillPnl": "-50",  # 5 x 0.01 x (49000 - 50000)
    }
    _apply(
        inv,
        _push("orders", _order_row(ordId="L1", tradeId="-1", fillTime="2000", uTime="2001", **liq)),
    )
    _apply(
        inv,
        _push("orders", _order_row(ordId="L2", tradeId="-2", fillTime="2100", uTime="2101", **liq)),
    )
    l1, l2 = inv.order("L1"), inv.order("L2")
    assert l1 is not None and l2 is not None
    assert (l1.client_order_id, l2.client_order_id) == (None, None)
    assert (l1.filled_quantity, l2.filled_quantity) == (D(5), D(5))
    assert inv.position("BTC-USDT-SWAP").quantity == 0
    assert inv.balance("USDT").total == D("1000") - D("0.1") - D("100")


def test_spot_fill_then_balance() -> None:
    inv = Inventory([SPOT])
    acct = _account("BTC", "1", "1", 1654084300000)
    acct["data"][0]["details"].append(
        dict(acct["data"][0]["details"][0], ccy="USDT", cashBal="0", availBal="0")
    )
    _apply(inv, acct)
    _apply(inv, load("ws_orders_push.json"))
    assert inv.balance("BTC").total == D("0.999")
    assert inv.balance("USDT").total == D("31.5271") - D("0.02522168")
    o = inv.order("452197707845865472")
    assert o is not None and o.status == "filled" and o.fees == (("USDT", D("0.02522168")),)
    # A later account push covering the fill replaces, never adds.
    acct2 = _account("USDT", "31.50187832", "31.50187832", 1654084353300)
    _apply(inv, acct2)
    _apply(inv, load("ws_orders_push.json"))  # duplicate
    assert inv.balance("USDT").total == D("31.50187832")
    assert inv.balance("BTC").total == D("0.999")


def test_algo_order_lifecycle_in_inventory() -> None:
    inv = Inventory([SPOT_USDC])
    msg = load("ws_orders_algo_push.json")
    _apply(inv, msg)
    o = inv.order("581878926302093312")
    assert o is not None and o.conditional and o.status == "open"
    msg["data"][0].update(state="order_failed", uTime="1708679675300")
    _apply(inv, msg)
    o = inv.order("581878926302093312")
    assert o is not None and o.status == "expired"


def test_stream_error_makes_account_stale() -> None:
    inv = _synced_swap()
    _apply(inv, load("ws_login_error.json"))
    assert inv.sync_state == "stale"
    _apply(inv, load("ws_notice.json"))
    assert inv.sync_state == "stale"


# --- decimals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-8", D("1e-8")),
        ("1E-8", D("1E-8")),
        ("0.00000000", D("0.00000000")),
        ("123456789012345678901234567890.123456789", D("123456789012345678901234567890.123456789")),
    ],
)
def test_decimal_edges(text: str, value: Decimal) -> None:
    (b,) = okx.parse(_account("USDT", text, text, 1))
    assert isinstance(b, ev.BalanceReported)
    assert b.total == value and str(b.total) == str(value)


def test_large_fee_negation_is_exact() -> None:
    big = "-123456789012345678901234567890.123456789"
    row = _order_row(
        state="filled",
        accFillSz="10",
        fillSz="10",
        fillPx="1",
        tradeId="t",
        fillFee=big,
        fillFeeCcy="USDT",
        fillTime="1",
        uTime="2",
    )
    _, fill = okx.parse(_push("orders", row))
    assert isinstance(fill, ev.FillReported) and fill.fee == D(big[1:])


@pytest.mark.parametrize("bad", [0.5, "nan", "Infinity", " 1", "1,5", True, None, [], {}])
def test_bad_numbers_are_refused(bad: Any) -> None:
    row = _order_row(
        state="partially_filled",
        accFillSz="4",
        fillSz="4",
        fillPx="1",
        tradeId="t",
        fillTime="1",
        uTime="2",
    )
    row["fillSz"] = bad
    if bad is None:  # a missing fill size means "no fill": only the order
        assert len(okx.parse(_push("orders", row))) == 1
        return
    with pytest.raises(ParseError, match=r"fillSz"):
        okx.parse(_push("orders", row))


# --- fuzzing ------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_STREAM_FIXTURES = sorted(p.name for p in FIXTURES.glob("ws_*.json"))
_KEYS = st.sampled_from(
    [
        "arg",
        "data",
        "event",
        "channel",
        "code",
        "state",
        "sz",
        "fillSz",
        "posSide",
        "tradeId",
        "details",
        "balData",
        "posData",
        "trades",
        "uTime",
        "ordId",
        "instType",
        "instId",
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, names: list[str]) -> Any:
    """A real fixture with one value dropped or replaced by another JSON value."""
    msg = load(draw(st.sampled_from(names)))
    if isinstance(msg, dict) and draw(st.booleans()):
        # Make the hedge-mode samples net so mutations reach deeper fields.
        for path in _paths(msg):
            if path and path[-1] == "posSide":
                _set(msg, path, "net")
    paths = [p for p in _paths(msg) if p]
    path = draw(st.sampled_from(paths))
    if draw(st.booleans()) and isinstance(path[-1], str):
        parent = _get(msg, path[:-1])
        del parent[path[-1]]
    else:
        _set(msg, path, draw(JSON))
    return msg


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    _get(value, path[:-1])[path[-1]] = new


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(JSON)
def test_fuzz_parse_arbitrary(message: Any) -> None:
    with contextlib.suppress(ParseError):
        okx.parse(message)


@FUZZ
@given(st.dictionaries(_KEYS, JSON, max_size=5))
def test_fuzz_parse_keyed(message: dict[str, Any]) -> None:
    with contextlib.suppress(ParseError):
        okx.parse(message)


@FUZZ
@given(mutated(_STREAM_FIXTURES))
def test_fuzz_parse_mutated_fixtures(message: Any) -> None:
    with contextlib.suppress(ParseError):
        okx.parse(message)


_REST = {
    "balance": "rest_account_balance.json",
    "positions": "rest_account_positions.json",
    "open_orders": "rest_trade_orders_pending.json",
    "fills": "rest_trade_fills.json",
}


@FUZZ
@given(st.sampled_from(sorted(_REST)), mutated(sorted(_REST.values())), JSON)
def test_fuzz_parse_snapshot(part: str, body: Any, junk: Any) -> None:
    for value in (body, junk):
        with contextlib.suppress(ParseError):
            okx.parse_snapshot(**{part: value})
    with contextlib.suppress(ParseError):
        okx.parse_order(body)


def _state(inv: Inventory) -> Any:
    return observed(inv, ("USDT", "BTC"), ("c1", "1"))


@FUZZ
@given(
    st.lists(
        mutated(["ws_orders_push.json", "ws_account_push.json", "ws_positions_push_single.json"]),
        max_size=5,
    )
)
def test_rejected_message_changes_nothing(messages: list[Any]) -> None:
    inv = _synced_swap()
    _apply(inv, _push("orders", _order_row()))
    for m in messages:
        before = _state(inv)
        try:
            events = okx.parse(m)
        except ParseError:
            assert _state(inv) == before
            continue
        # A well-formed but contradictory mutation: the core refuses it, changing nothing.
        apply_checked(inv, events, ("USDT", "BTC"), ("c1", "1"))


# --- bills: funding and transfers -------------------------------------------------------


def test_trade_bill_yields_nothing() -> None:
    assert okx.parse_bills(load("rest_account_bills.json")) == []


def test_funding_bill_is_a_deduplicated_cash_change() -> None:
    # Built by modifying the documented trade bill: type 8 (funding), subType 173
    # ("Funding fee expense", FACTS §4); the docs show no funding bill sample.
    body = load("rest_account_bills.json")
    row = dict(body["data"][0], type="8", subType="173", balChg="-0.5", tradeId="", ordId="")
    events = okx.parse_bills({**body, "data": [row]})
    assert events == [
        ev.CashChanged(
            asset="USDT",
            total_delta=D("-0.5"),
            free_delta=D("-0.5"),
            version=1695033476167,
            reason="okx bill type 8 subType 173",
            change_id="623950854533513219",
        )
    ]
    inv = Inventory([SWAP])
    start = ev.BalanceReported("USDT", D(100), D(100), 1)
    inv.apply(ev.SnapshotTaken(version=1, balances=(start,)))
    for e in events * 2:
        inv.apply(e)
    assert inv.balance("USDT").total == D("99.5")
    # A later balance push includes it: not counted again.
    inv.apply(ev.BalanceReported("USDT", D("99.5"), D("99.5"), 1695033476200))
    for e in events:
        inv.apply(e)
    assert inv.balance("USDT").total == D("99.5")


def test_bill_without_id_is_a_parse_error() -> None:
    body = load("rest_account_bills.json")
    row = {k: v for k, v in body["data"][0].items() if k != "billId"}
    row["type"] = "8"
    with pytest.raises(ParseError, match="billId"):
        okx.parse_bills({**body, "data": [row]})


# --- real-payload findings (issue 14) ------------------------------------------------------


def test_live_quote_sized_market_order_is_not_read_in_base_units() -> None:
    # MODIFIED get-order sample (tgtCcy quote_ccy, sz "100" USDT) still live: its base
    # quantity is not known yet, so it is named, not read as 100 BTC.
    body = load("rest_trade_order.json")
    body["data"][0].update(state="live", accFillSz="0", avgPx="", fillSz="0")
    assert okx.parse_order(body) == [
        ev.MessageIgnored(venue="okx", kind="orders:spot-market-quote-sized")
    ]
    body["data"][0].update(state="partially_filled", accFillSz="0.001")
    assert okx.parse_order(body) == [
        ev.MessageIgnored(venue="okx", kind="orders:spot-market-quote-sized")
    ]
    body["data"][0].update(state="filled", accFillSz="0")
    assert okx.parse_order(body) == [
        ev.MessageIgnored(venue="okx", kind="orders:spot-market-quote-sized")
    ]
