"""Binance USDⓈ-M adapter: each doc fixture field by field, Inventory runs, merge, fuzzing.

The docs have one ORDER_TRADE_UPDATE sample (a hedge-mode trailing stop), no trade,
cancel or liquidation sample, and only hedge-mode samples of several REST bodies (see
tests/fixtures/binance_usdm/SOURCES.md). Payloads for those variants are built here by
MODIFYING a real fixture (``_otu``, ``_account_update``, ``_one_way``); they are test
inputs, never doc samples.
"""

from __future__ import annotations

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
from core import events as ev
from core.adapters import binance_usdm as usdm
from core.views import Position
from tests.adapters.inventory_state import apply_checked, observed

D = Decimal
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance_usdm"
BTC = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))


def load(name: str) -> Any:
    """A fixture, decoded."""
    return json.loads((FIXTURES / name).read_text())


def _one_way(rows: Any, key: str = "positionSide") -> Any:
    """A hedge-mode doc sample MODIFIED to one-way mode (position side BOTH)."""
    rows = copy.deepcopy(rows)
    for r in rows if isinstance(rows, list) else [rows]:
        r[key] = "BOTH"
    return rows


def _otu(t: int, /, **o: Any) -> dict[str, Any]:
    """The doc's ORDER_TRADE_UPDATE sample MODIFIED: one-way, version ``t``, fields ``o``."""
    msg: dict[str, Any] = load("ORDER_TRADE_UPDATE_new_trailing_stop.json")
    msg["T"] = t
    msg["E"] = t + 1
    base = {"o": "LIMIT", "ot": "LIMIT", "ps": "BOTH", "T": t, "sp": "0", "AP": "0", "cr": "0"}
    msg["o"].update(base)
    msg["o"].update(o)
    return msg


def _account_update(
    t: int, reason: str, balances: list[dict[str, Any]], positions: list[dict[str, str]]
) -> dict[str, Any]:
    """The doc's ACCOUNT_UPDATE sample MODIFIED: version ``t``, reason, rows (one-way)."""
    msg: dict[str, Any] = load("ACCOUNT_UPDATE_order.json")
    msg["T"] = t
    msg["E"] = t + 1
    msg["a"]["m"] = reason
    msg["a"]["B"] = balances
    template = msg["a"]["P"][0]
    msg["a"]["P"] = [{**template, **p} for p in positions]
    return msg


def apply_all(inv: Inventory, *messages: Any) -> Inventory:
    """Parse and apply each message in order."""
    for m in messages:
        for e in usdm.parse(m):
            inv.apply(e)
    return inv


# --- every fixture, field by field ------------------------------------------------------


def test_every_fixture_is_covered_below() -> None:
    covered = {
        "ACCOUNT_CONFIG_UPDATE_leverage.json",
        "ACCOUNT_CONFIG_UPDATE_multi_assets.json",
        "ACCOUNT_UPDATE_deposit_2020.json",
        "ACCOUNT_UPDATE_order.json",
        "ALGO_UPDATE_canceled.json",
        "MARGIN_CALL.json",
        "ORDER_TRADE_UPDATE_new_trailing_stop.json",
        "TRADE_LITE.json",
        "error_generic.json",
        "listenKeyExpired.json",
        "rest_account_v2_multi_assets.json",
        "rest_account_v3_multi_assets.json",
        "rest_account_v3_single_asset.json",
        "rest_openOrders.json",
        "rest_order_query.json",
        "rest_positionRisk_v2_hedge.json",
        "rest_positionRisk_v2_oneway.json",
        "rest_positionRisk_v3_hedge.json",
        "rest_positionRisk_v3_oneway.json",
        "rest_userTrades.json",
    }
    assert set(ALL_FIXTURES) == covered


@pytest.mark.parametrize(
    "name", ["ACCOUNT_CONFIG_UPDATE_leverage.json", "ACCOUNT_CONFIG_UPDATE_multi_assets.json"]
)
def test_account_config_update_changes_nothing(name: str) -> None:
    assert usdm.parse(load(name)) == []


def test_margin_call_changes_nothing() -> None:
    assert usdm.parse(load("MARGIN_CALL.json")) == []


def test_listen_key_expired_breaks_the_stream() -> None:
    assert usdm.parse(load("listenKeyExpired.json")) == [
        ev.StreamDisconnected(stream="binance_usdm.user_data", reason="listenKeyExpired")
    ]


def test_trade_lite_is_a_fill_without_fee() -> None:
    assert usdm.parse(load("TRADE_LITE.json")) == [
        ev.FillReported(
            symbol="BTCUSDT",
            order_id="8886774",
            client_order_id="z8hcUoOsqEdKMeKPSABslD",
            trade_id="109100866",
            side="buy",
            quantity=D("0.040"),
            price=D("64089.20"),
            fee=None,
            fee_asset=None,
            version=1721895408214,
            kind="linear",
            realized_pnl=None,
            liquidation=False,
        )
    ]


def test_account_update_deposit_2020_reports_the_listed_asset_only() -> None:
    # The 2020 format has no ``bc``: no CashChanged, the absolute report carries it.
    # Its cw is "0" for BNB (not margin in single-asset mode): cw is not what is free, and
    # the push carries no available amount (free=None: the last reported locked part stays).
    assert usdm.parse(load("ACCOUNT_UPDATE_deposit_2020.json")) == [
        ev.BalanceReported(asset="BNB", total=D("0.02575839"), free=None, version=1603093193280)
    ]


def test_account_update_order_sample_is_hedge_mode() -> None:
    with pytest.raises(ParseError, match=r"a\.P\[1\]\.ps.*hedge mode is not supported"):
        usdm.parse(load("ACCOUNT_UPDATE_order.json"))


def test_account_update_order_one_way() -> None:
    msg = load("ACCOUNT_UPDATE_order.json")
    msg["a"]["P"] = msg["a"]["P"][:1]  # MODIFIED: the LONG/SHORT (hedge) rows dropped
    assert usdm.parse(msg) == [
        ev.BalanceReported(
            asset="USDT", total=D("122624.12345678"), free=None, version=1564745798938
        ),
        ev.BalanceReported(asset="BUSD", total=D("1.00000000"), free=None, version=1564745798938),
        ev.PositionReported(
            symbol="BTCUSDT",
            quantity=D("0"),
            entry_price=D("0.00000"),
            version=1564745798938,
            kind="linear",
        ),
    ]


def test_account_update_cash_reason_adds_cash_changed_at_the_same_version() -> None:
    msg = load("ACCOUNT_UPDATE_order.json")
    msg["a"]["P"] = []  # MODIFIED: a transfer moves no position
    msg["a"]["m"] = "ASSET_TRANSFER"
    v = 1564745798938
    assert usdm.parse(msg) == [
        ev.BalanceReported(asset="USDT", total=D("122624.12345678"), free=None, version=v),
        ev.CashChanged(
            asset="USDT",
            total_delta=D("50.12345678"),
            free_delta=D("50.12345678"),
            version=v,
            reason="ASSET_TRANSFER",
        ),
        ev.BalanceReported(asset="BUSD", total=D("1.00000000"), free=None, version=v),
        ev.CashChanged(
            asset="BUSD",
            total_delta=D("-49.12345678"),
            free_delta=D("-49.12345678"),
            version=v,
            reason="ASSET_TRANSFER",
        ),
    ]


def test_algo_update_canceled() -> None:
    assert usdm.parse(load("ALGO_UPDATE_canceled.json")) == [
        ev.OrderReported(
            symbol="BNBUSDT",
            order_id="algo-2148719",
            client_order_id="Q5xaq5EGKgXXa0fD7fs0Ip",
            side="sell",
            status="canceled",
            quantity=D("0.01"),
            price=D("750"),
            filled_quantity=D("0"),
            average_price=None,
            version=1750515742297,
            kind="linear",
            order_type="limit",
            conditional=True,
        )
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("NEW", "new"),
        ("TRIGGERING", "new"),
        ("TRIGGERED", "triggered"),
        ("FINISHED", "triggered"),
        ("REJECTED", "rejected"),
        ("EXPIRED", "expired"),
    ],
)
def test_algo_update_statuses(status: str, expected: str) -> None:
    msg = load("ALGO_UPDATE_canceled.json")
    msg["o"].update(X=status, ai="8886774" if expected == "triggered" else "")  # MODIFIED
    (r,) = usdm.parse(msg)
    assert isinstance(r, ev.OrderReported)
    assert r.status == expected
    assert r.conditional
    assert r.triggered_order_id == ("8886774" if expected == "triggered" else None)


def test_algo_update_unknown_status_is_a_parse_error() -> None:
    msg = load("ALGO_UPDATE_canceled.json")
    msg["o"]["X"] = "PAUSED"
    with pytest.raises(ParseError, match=r"ALGO_UPDATE\.o\.X: unknown value 'PAUSED'"):
        usdm.parse(msg)


def test_order_trade_update_sample_is_hedge_mode() -> None:
    with pytest.raises(ParseError, match=r"ORDER_TRADE_UPDATE\.o\.ps.*hedge mode is not supported"):
        usdm.parse(load("ORDER_TRADE_UPDATE_new_trailing_stop.json"))


def test_order_trade_update_new_trailing_stop_one_way() -> None:
    msg = _one_way(load("ORDER_TRADE_UPDATE_new_trailing_stop.json")["o"], "ps")
    full = {**load("ORDER_TRADE_UPDATE_new_trailing_stop.json"), "o": msg}
    assert usdm.parse(full) == [
        ev.OrderReported(
            symbol="BTCUSDT",
            order_id="8886774",
            client_order_id="TEST",
            side="sell",
            status="new",
            quantity=D("0.001"),
            price=None,
            filled_quantity=D("0"),
            average_price=None,
            version=1568879465650,
            kind="linear",
            order_type="market",
            conditional=True,
        )
    ]


def test_error_generic_is_a_definite_rejection() -> None:
    assert usdm.parse_error(load("error_generic.json"), "c1") == [
        ev.SubmissionFailed(client_order_id="c1", reason="-1121: Invalid symbol.")
    ]
    # The same body arriving on the stream is no event kind the adapter knows.
    assert usdm.parse(load("error_generic.json")) == [
        ev.MessageIgnored(venue="binance_usdm", kind="unknown")
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (-2013, ev.OrderNotFound(client_order_id="c1")),
        (-1006, ev.SubmissionTimedOut(client_order_id="c1", reason="-1006: m")),
        (-1007, ev.SubmissionTimedOut(client_order_id="c1", reason="-1007: m")),
        (-2011, ev.CancelFailed(client_order_id="c1", reason="-2011: m")),
        (-2022, ev.SubmissionFailed(client_order_id="c1", reason="-2022: m")),
    ],
)
def test_error_codes(code: int, expected: ev.Event) -> None:
    assert usdm.parse_error({"code": code, "msg": "m"}, "c1") == [expected]


def test_error_wsapi_5xx_is_unknown_and_bad_bodies_are_parse_errors() -> None:
    body = {"id": 1, "status": 503, "error": {"code": -1008, "msg": "busy"}}
    assert usdm.parse_error(body, "c1") == [
        ev.SubmissionTimedOut(client_order_id="c1", reason="-1008: busy")
    ]
    assert usdm.parse_error({"code": -2013, "msg": "x"}, None, order_id="7") == [
        ev.OrderNotFound(client_order_id=None, order_id="7")
    ]
    bad: Any
    for bad in ({"code": 200, "msg": "ok"}, {"msg": "x"}, {"code": "-2013"}, [], "x"):
        with pytest.raises(ParseError):
            usdm.parse_error(bad, "c1")
    with pytest.raises(ParseError):
        usdm.parse_error({"code": -2013, "msg": "x"}, None)


def test_account_v2_multi_assets_snapshot() -> None:
    (s,) = usdm.parse_snapshot(account=load("rest_account_v2_multi_assets.json"))
    v = 1625474304765
    assert s == ev.SnapshotTaken(
        version=v,
        balances=(
            ev.BalanceReported(
                asset="USDT", total=D("23.72469206"), free=D("23.72469206"), version=v
            ),
            ev.BalanceReported(
                asset="BUSD", total=D("103.12345678"), free=D("103.12345678"), version=v
            ),
        ),
        positions=(),
        open_orders=(),
        trades=(),
        balances_complete=True,
        positions_complete=False,
        orders_complete=False,
    )


@pytest.mark.parametrize(
    ("name", "second"),
    [
        ("rest_account_v3_multi_assets.json", "BUSD"),
        ("rest_account_v3_single_asset.json", "USDC"),
    ],
)
def test_account_v3_snapshot(name: str, second: str) -> None:
    (s,) = usdm.parse_snapshot(account=load(name))
    assert isinstance(s, ev.SnapshotTaken)
    v = 1625474304765
    assert s.version == v
    assert s.balances == (
        ev.BalanceReported(asset="USDT", total=D("23.72469206"), free=D("23.72469206"), version=v),
        ev.BalanceReported(
            asset=second, total=D("103.12345678"), free=D("103.12345678"), version=v
        ),
    )
    assert (s.balances_complete, s.positions_complete, s.orders_complete) == (True, False, False)


def test_position_risk_v2_one_way() -> None:
    (s,) = usdm.parse_snapshot(positions=load("rest_positionRisk_v2_oneway.json"))
    assert s == ev.SnapshotTaken(
        version=0,
        positions=(
            ev.PositionReported(
                symbol="BTCUSDT",
                quantity=D("0.000"),
                entry_price=D("0.00000"),
                version=0,
                kind="linear",
            ),
        ),
        balances_complete=False,
        positions_complete=True,
        orders_complete=False,
    )


def test_position_risk_v3_one_way() -> None:
    (s,) = usdm.parse_snapshot(positions=load("rest_positionRisk_v3_oneway.json"))
    v = 1720736417660
    assert s == ev.SnapshotTaken(
        version=v,
        positions=(
            ev.PositionReported(
                symbol="ADAUSDT", quantity=D("30"), entry_price=D("0.385"), version=v, kind="linear"
            ),
        ),
        balances_complete=False,
        positions_complete=True,
        orders_complete=False,
    )


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("positions", "rest_positionRisk_v2_hedge.json"),
        ("positions", "rest_positionRisk_v3_hedge.json"),
        ("open_orders", "rest_openOrders.json"),
        ("trades", "rest_userTrades.json"),
    ],
)
def test_hedge_mode_rest_bodies_are_refused(part: str, name: str) -> None:
    with pytest.raises(ParseError, match="hedge mode is not supported"):
        usdm.parse_snapshot(**{part: load(name)})


def test_order_query_sample_is_hedge_mode() -> None:
    with pytest.raises(ParseError, match=r"order\.positionSide.*hedge mode is not supported"):
        usdm.parse_order(load("rest_order_query.json"))


def _trailing_buy(version: int) -> ev.OrderReported:
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id="1917641",
        client_order_id="abc",
        side="buy",
        status="new",
        quantity=D("0.40"),
        price=None,
        filled_quantity=D("0"),
        average_price=None,
        version=version,
        kind="linear",
        order_type="market",
        conditional=True,
    )


def test_order_query_one_way() -> None:
    assert usdm.parse_order(_one_way(load("rest_order_query.json"))) == [
        _trailing_buy(1579276756075)
    ]


def test_open_orders_and_trades_one_way() -> None:
    (s,) = usdm.parse_snapshot(
        open_orders=_one_way(load("rest_openOrders.json")),
        trades=_one_way(load("rest_userTrades.json")),
    )
    assert s == ev.SnapshotTaken(
        version=1579276756075,  # the newest updateTime; trade times are not a cut
        open_orders=(_trailing_buy(1579276756075),),
        trades=(
            ev.FillReported(
                symbol="BTCUSDT",
                order_id="25851813",
                client_order_id=None,
                trade_id="698759",
                side="sell",
                quantity=D("0.002"),
                price=D("7819.01"),
                fee=D("0.07819010"),
                fee_asset="USDT",
                version=1569514978020,
                kind="linear",
                realized_pnl=D("-0.91539999"),
            ),
        ),
        balances_complete=False,
        positions_complete=False,
        orders_complete=True,
    )


def test_snapshot_needs_a_body_and_refuses_error_bodies() -> None:
    with pytest.raises(ParseError, match="no REST body"):
        usdm.parse_snapshot()
    with pytest.raises(ParseError, match="venue error -1121"):
        usdm.parse_snapshot(account=load("error_generic.json"))
    with pytest.raises(ParseError, match="venue error -1121"):
        usdm.parse_snapshot(positions=load("error_generic.json"))
    with pytest.raises(ParseError, match="parse_error"):
        usdm.parse_order(load("error_generic.json"))


def test_hedge_account_positions_are_refused() -> None:
    body = load("rest_account_v3_single_asset.json")
    body["positions"][0]["positionSide"] = "LONG"  # MODIFIED
    with pytest.raises(ParseError, match=r"account\.positions\[0\]\.positionSide.*hedge"):
        usdm.parse_snapshot(account=body)


# --- message kinds, ids, statuses -----------------------------------------------------------


def test_acks_pongs_unknown_kinds_and_wrappers() -> None:
    assert usdm.parse("pong") == []
    assert usdm.parse({"result": None, "id": 1}) == []
    assert usdm.parse({"e": "GRID_UPDATE", "E": 1}) == [
        ev.MessageIgnored(venue="binance_usdm", kind="GRID_UPDATE")
    ]
    assert usdm.parse("hello") == [ev.MessageIgnored(venue="binance_usdm", kind="text")]
    assert usdm.parse([1]) == [ev.MessageIgnored(venue="binance_usdm", kind="list")]
    wrapped = {"stream": "key", "data": load("TRADE_LITE.json")}
    assert usdm.parse(wrapped) == usdm.parse(load("TRADE_LITE.json"))
    for bad in (None, 1, 1.5, True, {"e": 5}, {"e": None}):
        with pytest.raises(ParseError):
            usdm.parse(bad)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("NEW", "new"),
        ("PARTIALLY_FILLED", "partially_filled"),
        ("FILLED", "filled"),
        ("CANCELED", "canceled"),
        ("EXPIRED", "expired"),
        ("EXPIRED_IN_MATCH", "expired"),
        ("REJECTED", "rejected"),
    ],
)
def test_order_statuses(raw: str, status: str) -> None:
    (r,) = usdm.parse(_otu(5, X=raw, x="NEW", p="100", q="1"))
    assert isinstance(r, ev.OrderReported)
    assert r.status == status


def test_unknown_status_or_execution_type_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"o\.X: unknown value 'NEW_ADL'"):
        usdm.parse(_otu(5, X="NEW_ADL"))
    with pytest.raises(ParseError, match=r"o\.x: unknown value 'FUNDING'"):
        usdm.parse(_otu(5, x="FUNDING"))


def _trade(t: int, /, **o: Any) -> dict[str, Any]:
    """A MODIFIED ORDER_TRADE_UPDATE for a trade of order 8886774."""
    fields = {
        "c": "bot-1",
        "S": "BUY",
        "q": "0.002",
        "p": "60000",
        "x": "TRADE",
        "X": "PARTIALLY_FILLED",
        "i": 8886774,
        "l": "0.001",
        "z": "0.001",
        "L": "60000",
        "ap": "60000",
        "N": "USDT",
        "n": "0.02400000",
        "t": 101,
        "rp": "0",
    }
    fields.update(o)
    return _otu(t, **fields)


def test_trade_yields_order_then_fill() -> None:
    order, fill = usdm.parse(_trade(7))
    assert order == ev.OrderReported(
        symbol="BTCUSDT",
        order_id="8886774",
        client_order_id="bot-1",
        side="buy",
        status="partially_filled",
        quantity=D("0.002"),
        price=D("60000"),
        filled_quantity=D("0.001"),
        average_price=D("60000"),
        version=7,
        kind="linear",
    )
    assert fill == ev.FillReported(
        symbol="BTCUSDT",
        order_id="8886774",
        client_order_id="bot-1",
        trade_id="101",
        side="buy",
        quantity=D("0.001"),
        price=D("60000"),
        fee=D("0.02400000"),
        fee_asset="USDT",
        version=7,
        kind="linear",
        realized_pnl=D("0"),
    )


def test_trade_without_commission_fields_has_zero_fee() -> None:
    msg = _trade(7)
    del msg["o"]["n"], msg["o"]["N"]  # "will not push if no commission"
    _, fill = usdm.parse(msg)
    assert isinstance(fill, ev.FillReported)
    assert (fill.fee, fill.fee_asset) == (D("0"), None)


def test_fee_without_asset_is_a_parse_error() -> None:
    msg = _trade(7)
    del msg["o"]["N"]
    with pytest.raises(ParseError, match="without fee_asset"):
        usdm.parse(msg)


def test_negative_commission_is_a_rebate() -> None:
    _, fill = usdm.parse(_trade(7, n="-0.00600000"))
    assert isinstance(fill, ev.FillReported)
    assert fill.fee == D("-0.006")


def test_liquidation_fill() -> None:
    msg = _trade(
        9,
        c="autoclose-1700000000000001",
        x="CALCULATED",
        o="LIQUIDATION",
        S="SELL",
        X="FILLED",
        q="0.001",
        rp="-12.50000000",
    )
    order, fill = usdm.parse(msg)
    assert isinstance(order, ev.OrderReported)
    assert isinstance(fill, ev.FillReported)
    assert (order.client_order_id, fill.client_order_id) == (None, None)
    assert fill.liquidation
    assert fill.realized_pnl == D("-12.5")


@pytest.mark.parametrize("cid", ["adl_autoclose", "settlement_autoclose-5", "autoclose-x"])
def test_exchange_made_client_ids_are_none_and_liquidation(cid: str) -> None:
    _, fill = usdm.parse(_trade(9, c=cid))
    assert isinstance(fill, ev.FillReported)
    assert fill.client_order_id is None
    assert fill.liquidation
    lite = load("TRADE_LITE.json")
    lite["c"] = cid
    (fast,) = usdm.parse(lite)
    assert isinstance(fast, ev.FillReported)
    assert (fast.client_order_id, fast.liquidation) == (None, True)


def test_empty_client_id_is_none_but_not_liquidation() -> None:
    _, fill = usdm.parse(_trade(9, c=""))
    assert isinstance(fill, ev.FillReported)
    assert (fill.client_order_id, fill.liquidation) == (None, False)


def test_trade_execution_without_quantity_is_no_fill() -> None:
    assert len(usdm.parse(_trade(9, l="0.00000000", x="CALCULATED"))) == 1


def test_close_position_order_without_quantity() -> None:
    msg = _otu(9, o="STOP_MARKET", q="0", p="0", cp=True)
    assert usdm.parse(msg) == [
        ev.MessageIgnored(venue="binance_usdm", kind="ORDER_TRADE_UPDATE:closePosition")
    ]
    with pytest.raises(ParseError, match="quantity"):
        usdm.parse(_otu(9, q="0", p="0", cp=False))


def test_hedge_and_unknown_position_sides() -> None:
    with pytest.raises(ParseError, match="hedge mode is not supported"):
        usdm.parse(_trade(9, ps="SHORT"))
    with pytest.raises(ParseError, match="unknown position side"):
        usdm.parse(_trade(9, ps="NET"))
    msg = _trade(9)
    del msg["o"]["ps"]
    with pytest.raises(ParseError, match=r"o\.ps: missing field"):
        usdm.parse(msg)


# --- Decimal edge cases ----------------------------------------------------------------


def test_scientific_and_zero_strings() -> None:
    lite = load("TRADE_LITE.json")
    for raw in ("1e-8", "1E-8"):
        lite["l"] = raw
        (f,) = usdm.parse(lite)
        assert isinstance(f, ev.FillReported)
        assert f.quantity == D("0.00000001")
    au = _account_update(5, "ORDER", [{"a": "USDT", "wb": "0.00000000", "cw": "0.00000000"}], [])
    assert usdm.parse(au) == [ev.BalanceReported(asset="USDT", total=D(0), free=None, version=5)]


def test_very_large_notional_stays_exact() -> None:
    big = "123456789012345678901234567890.12345678"
    au = _account_update(5, "ORDER", [{"a": "USDT", "wb": big, "cw": big}], [])
    (b,) = usdm.parse(au)
    assert isinstance(b, ev.BalanceReported)
    assert b.total == D(big)
    assert str(b.total) == big


def test_floats_are_refused() -> None:
    with pytest.raises(ParseError, match=r"o\.q: expected a decimal string"):
        usdm.parse(_trade(7, q=0.002))
    with pytest.raises(ParseError, match=r"B\[0\]\.wb: expected a decimal string"):
        usdm.parse(_account_update(5, "ORDER", [{"a": "USDT", "wb": 1.5, "cw": "1"}], []))
    lite = load("TRADE_LITE.json")
    lite["L"] = 64089.2
    with pytest.raises(ParseError, match=r"TRADE_LITE\.L"):
        usdm.parse(lite)


# --- end to end on an Inventory ------------------------------------------------------------

T0 = 1_700_000_000_000


def _synced(wallet: str = "1000", pa: str = "0", ep: str = "0.0") -> Inventory:
    """An Inventory resynced from REST bodies (MODIFIED doc samples: one USDT asset, BTCUSDT)."""
    acct = load("rest_account_v3_single_asset.json")
    acct["assets"] = acct["assets"][:1]
    acct["assets"][0].update(walletBalance=wallet, crossWalletBalance=wallet, updateTime=T0)
    pos = load("rest_positionRisk_v2_oneway.json")
    pos[0].update(positionAmt=pa, entryPrice=ep, updateTime=T0)
    inv = Inventory([BTC])
    for e in usdm.parse_snapshot(account=acct, positions=pos, open_orders=[]):
        inv.apply(e)
    assert inv.sync_state == "synced"
    return inv


def _au(t: int, wb: str, pa: str, ep: str, reason: str = "ORDER") -> dict[str, Any]:
    return _account_update(
        t,
        reason,
        [{"a": "USDT", "wb": wb, "cw": wb, "bc": "0"}],
        [{"s": "BTCUSDT", "pa": pa, "ep": ep}],
    )


def test_new_partial_fill_balance_sequence() -> None:
    inv = _synced()
    inv.submit(
        client_order_id="bot-1", symbol="BTCUSDT", side="buy", quantity=D("0.002"), price=D("60000")
    )
    new = _trade(T0 + 1, x="NEW", X="NEW", l="0", z="0", L="0", ap="0", n="0", t=0)
    part = _trade(T0 + 2)
    au1 = _au(T0 + 2, "999.97600000", "0.001", "60000")
    full = _trade(T0 + 3, X="FILLED", z="0.002", L="59990", ap="59995", t=102, n="0.02399600")
    au2 = _au(T0 + 3, "999.95200400", "0.002", "59995")

    apply_all(inv, new)
    o = inv.order("bot-1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.order_id) == ("open", D(0), "8886774")
    x = inv.exposure("BTCUSDT")
    assert (x.low, x.expected, x.high) == (D(0), D(0), D("0.002"))
    apply_all(inv, part)
    assert inv.position("BTCUSDT").quantity == D("0.001")
    assert inv.balance("USDT").total == D("999.976")
    assert inv.sync_state == "settling"
    apply_all(inv, au1)
    assert inv.sync_state == "synced"
    apply_all(inv, full)
    o = inv.order("bot-1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == ("filled", D("0.002"), D(0))
    assert inv.position("BTCUSDT").quantity == D("0.002")
    assert inv.position("BTCUSDT").entry_price == D("59995")
    assert inv.balance("USDT").total == D("999.952004")
    apply_all(inv, au2)
    assert inv.balance("USDT").total == D("999.952004")
    assert inv.open_orders() == []
    assert inv.sync_state == "synced"

    # Any delivery order, with duplicates, converges to the same state.
    for seq in ([au2, full, part, new, au1], [full, full, au1, new, part, part, au2, new]):
        other = _synced()
        apply_all(other, *seq)
        assert other.balance("USDT") == inv.balance("USDT")
        assert other.position("BTCUSDT") == inv.position("BTCUSDT")
        oo = other.order("8886774")
        assert oo is not None
        assert (oo.status, oo.filled_quantity) == ("filled", D("0.002"))


def test_cancel_sequence() -> None:
    inv = _synced()
    inv.submit(
        client_order_id="bot-1", symbol="BTCUSDT", side="sell", quantity=D("0.5"), price=D("70000")
    )
    assert inv.exposure("BTCUSDT").low == D("-0.5")
    inv.cancel("bot-1")
    new = _otu(T0 + 1, c="bot-1", S="SELL", q="0.5", p="70000")
    cancel = _otu(T0 + 2, c="bot-1", S="SELL", q="0.5", p="70000", x="CANCELED", X="CANCELED")
    apply_all(inv, cancel, new, cancel)
    o = inv.order("bot-1")
    assert o is not None
    assert (o.status, o.remaining_quantity) == ("canceled", D(0))
    assert inv.exposure("BTCUSDT").low == D(0)
    assert inv.balance("USDT").total == D(1000)


def test_reject_timeout_and_order_query() -> None:
    inv = _synced()
    inv.submit(client_order_id="c2", symbol="BTCUSDT", side="buy", quantity=D("1"), price=D("1"))
    for e in usdm.parse_error(load("error_generic.json"), "c2"):
        inv.apply(e)
    o = inv.order("c2")
    assert o is not None
    assert o.status == "rejected"

    inv.submit(
        client_order_id="abc", symbol="BTCUSDT", side="buy", quantity=D("0.40"), price=D("9000")
    )
    for e in usdm.parse_error({"code": -1007, "msg": "Timeout"}, "abc"):
        inv.apply(e)
    o = inv.order("abc")
    assert o is not None
    assert o.status == "unknown"
    for e in usdm.parse_order(_one_way(load("rest_order_query.json"))):
        inv.apply(e)
    o = inv.order("abc")
    assert o is not None
    assert (o.status, o.order_id, o.conditional) == ("open", "1917641", True)

    inv.submit(client_order_id="c3", symbol="BTCUSDT", side="buy", quantity=D("1"), price=D("1"))
    for e in usdm.parse_error({"code": -1006, "msg": "x"}, "c3"):
        inv.apply(e)
    for e in usdm.parse_error({"code": -2013, "msg": "Order does not exist."}, "c3"):
        inv.apply(e)
    o = inv.order("c3")
    assert o is not None
    assert o.status == "rejected"


def test_liquidation_closes_the_position_by_order_id() -> None:
    inv = _synced(pa="0.001", ep="60000")
    liq = _trade(
        T0 + 5,
        c="autoclose-1700000000000001",
        x="CALCULATED",
        o="LIQUIDATION",
        S="SELL",
        X="FILLED",
        q="0.001",
        z="0.001",
        L="50000",
        ap="50000",
        n="0.02000000",
        rp="-10.00000000",
        i=555,
        t=777,
    )
    apply_all(inv, liq, liq)
    assert inv.position("BTCUSDT").quantity == 0
    assert inv.balance("USDT").total == D("1000") - D("10") - D("0.02")
    o = inv.order("555")
    assert o is not None
    assert (o.client_order_id, o.status, o.filled_quantity) == (None, "filled", D("0.001"))


def test_two_adl_orders_with_the_shared_client_id_stay_apart() -> None:
    inv = _synced(pa="0.002", ep="60000")
    a = _trade(
        T0 + 5,
        c="adl_autoclose",
        S="SELL",
        X="FILLED",
        q="0.001",
        z="0.001",
        i=1,
        t=11,
        rp="1",
        n="0",
    )
    b = _trade(
        T0 + 6,
        c="adl_autoclose",
        S="SELL",
        X="FILLED",
        q="0.001",
        z="0.001",
        i=2,
        t=12,
        rp="1",
        n="0",
    )
    apply_all(inv, a, b, a)
    assert inv.position("BTCUSDT").quantity == 0
    assert inv.balance("USDT").total == D("1002")
    assert inv.order("adl_autoclose") is None
    for key in ("1", "2"):
        o = inv.order(key)
        assert o is not None
        assert o.filled_quantity == D("0.001")


def test_funding_fee_counts_once_and_report_covers_it() -> None:
    inv = _synced(pa="0.001", ep="60000")
    funding = _account_update(
        T0 + 8,
        "FUNDING_FEE",
        [{"a": "USDT", "wb": "999.50000000", "cw": "999.50000000", "bc": "-0.50000000"}],
        [],
    )
    events = usdm.parse(funding)
    assert events[1] == ev.CashChanged(
        asset="USDT",
        total_delta=D("-0.5"),
        free_delta=D("-0.5"),
        version=T0 + 8,
        reason="FUNDING_FEE",
    )
    apply_all(inv, funding, funding)
    assert inv.balance("USDT").total == D("999.5")
    # The CashChanged alone (as a consumer replaying only cash events would) also counts once.
    inv2 = _synced()
    inv2.apply(events[1])
    inv2.apply(events[1])
    assert inv2.balance("USDT").total == D("999.5")
    inv2.apply(events[0])
    assert inv2.balance("USDT").total == D("999.5")


def test_listen_key_expiry_makes_the_account_stale_until_a_snapshot() -> None:
    inv = _synced()
    apply_all(inv, load("listenKeyExpired.json"))
    assert inv.sync_state == "stale"
    acct = load("rest_account_v3_single_asset.json")
    for e in usdm.parse_snapshot(
        account=acct, positions=load("rest_positionRisk_v2_oneway.json"), open_orders=[]
    ):
        inv.apply(e)
    assert inv.sync_state == "synced"


def test_algo_order_triggers_into_a_real_order() -> None:
    inv = Inventory([Instrument(symbol="BNBUSDT", kind="linear", base="BNB", quote="USDT")])
    algo = load("ALGO_UPDATE_canceled.json")
    new = copy.deepcopy(algo)
    new["o"]["X"] = "NEW"  # MODIFIED
    trig = copy.deepcopy(algo)
    trig["T"] += 10
    trig["o"].update(X="TRIGGERED", ai="9001")  # MODIFIED
    apply_all(inv, new)
    assert inv.exposure("BNBUSDT").low == D("-0.01")
    apply_all(inv, trig)
    o = inv.order("algo-2148719")
    assert o is not None
    assert (o.status, o.conditional) == ("triggered", True)


# --- fast (TRADE_LITE) / full (ORDER_TRADE_UPDATE) merge ------------------------------------

TL = 1721895408214
FEE = D("1.02542720")  # 0.040 * 64089.20 * 0.0004
RP = D("36.43200000")  # closing 0.040 of a short from 65000 at 64089.20


def _lite() -> dict[str, Any]:
    lite: dict[str, Any] = load("TRADE_LITE.json")
    lite["q"] = "0.040"  # MODIFIED: the doc sample's q (0.001) is below its own l (0.040)
    return lite


def _full(rp: D = RP) -> dict[str, Any]:
    lite = load("TRADE_LITE.json")
    return _otu(
        TL,
        c=lite["c"],
        S="BUY",
        q="0.040",
        p="64100",
        ap="64089.20",
        x="TRADE",
        X="FILLED",
        i=lite["i"],
        l="0.040",
        z="0.040",
        L="64089.20",
        N="USDT",
        n=str(FEE),
        t=lite["t"],
        rp=str(rp),
    )


def _short_book() -> Inventory:
    """A short of 0.040 BTCUSDT at 65000 and a 1000 USDT wallet, reported before the trade."""
    return apply_all(Inventory([BTC]), _au(TL - 1000, "1000", "-0.040", "65000"))


def _after(wallet: D) -> dict[str, Any]:
    """The covering ACCOUNT_UPDATE of the trade (same T)."""
    return _au(TL, str(wallet), "0", "0.0")


def _arrivals(*names: str) -> list[tuple[str, ...]]:
    return sorted(set(itertools.permutations(names)))


MERGE_ORDERS = (
    _arrivals("lite", "full")
    + _arrivals("lite", "lite", "full")
    + _arrivals("lite", "full", "full")
    + _arrivals("lite", "lite", "full", "full")
    + _arrivals("lite", "lite", "full", "full", "account")
)


@pytest.mark.parametrize("arrival", MERGE_ORDERS, ids="-".join)
def test_fast_full_merge_counts_once_in_any_arrival_order(arrival: tuple[str, ...]) -> None:
    wallet = D("1000") + RP - FEE
    msgs = {"lite": _lite(), "full": _full(), "account": _after(wallet)}
    inv = _short_book()
    seen_full = False
    for name in arrival:
        apply_all(inv, msgs[name])
        seen_full = seen_full or name in ("full", "account")
        pos = inv.position("BTCUSDT")
        assert pos.quantity == 0
        # Before the full message the PnL is computed from the entry price (same here) and
        # the fee is unknown; after it, the venue's rp and fee are in, each once.
        assert inv.balance("USDT").total == (wallet if seen_full else D("1000") + RP)
        o = inv.order("z8hcUoOsqEdKMeKPSABslD")
        if name == "account" and o is None:
            continue  # the report came first: no message of the order yet
        assert o is not None
        assert o.filled_quantity == D("0.040")
    assert inv.balance("USDT").total == D("1035.40657280")
    o = inv.order("8886774")
    assert o is not None
    assert (o.status, o.filled_quantity, o.average_price) == ("filled", D("0.040"), D("64089.20"))
    assert o.fees == (("USDT", FEE),)  # the fee is known once, whatever came first


FUNDING = D("-0.50000000")


def _funding_after(wallet: D) -> dict[str, Any]:
    """A FUNDING_FEE ACCOUNT_UPDATE after the trade (cross margin: the balance row only,
    no position row, as the docs say), its wallet including the trade and the funding."""
    wb = str(wallet)
    return _account_update(
        TL + 5, "FUNDING_FEE", [{"a": "USDT", "wb": wb, "cw": wb, "bc": str(FUNDING)}], []
    )


@pytest.mark.parametrize("arrival", _arrivals("lite", "full", "funding"), ids="-".join)
def test_funding_fee_update_covering_a_closing_fill_prices_it_once(
    arrival: tuple[str, ...],
) -> None:
    # The closing fill's PnL and fee are inside the funding update's wallet: once that
    # update is in, the wallet is its figure whatever else came, before or after.
    wallet = D("1000") + RP - FEE + FUNDING
    msgs = {"lite": _lite(), "full": _full(), "funding": _funding_after(wallet)}
    inv = _short_book()
    seen = set()
    for name in arrival:
        apply_all(inv, msgs[name])
        seen.add(name)
        if "funding" in seen:
            expected = wallet
        elif "full" in seen:
            expected = D("1000") + RP - FEE
        else:
            expected = D("1000") + RP  # computed from the entry price; the fee still unknown
        assert inv.balance("USDT").total == expected, name
    assert inv.position("BTCUSDT") == Position(quantity=D(0), entry_price=D(0))


@pytest.mark.parametrize("arrival", _arrivals("lite", "lite", "full", "full"), ids="-".join)
def test_venue_rp_replaces_the_computed_pnl_once(arrival: tuple[str, ...]) -> None:
    # MODIFIED rp: the venue's figure (e.g. with a liquidation charge) differs from the
    # entry-price computation and must win, exactly once.
    rp = D("30.00000000")
    msgs = {"lite": _lite(), "full": _full(rp)}
    inv = apply_all(_short_book(), *(msgs[n] for n in arrival))
    assert inv.balance("USDT").total == D("1000") + rp - FEE
    assert inv.position("BTCUSDT").quantity == 0


def test_fast_full_merge_with_a_local_submit() -> None:
    inv = _short_book()
    inv.submit(
        client_order_id="z8hcUoOsqEdKMeKPSABslD",
        symbol="BTCUSDT",
        side="buy",
        quantity=D("0.040"),
        price=D("64100"),
    )
    apply_all(inv, _lite(), _lite(), _full(), _lite())
    o = inv.order("z8hcUoOsqEdKMeKPSABslD")
    assert o is not None
    assert (o.status, o.filled_quantity, o.order_id) == ("filled", D("0.040"), "8886774")
    assert inv.balance("USDT").total == D("1000") + RP - FEE


def test_order_fees_after_a_covering_report() -> None:
    # The report covers the trade before either message: the full message still adds
    # the fee to the order's view, and nothing to the wallet.
    inv = _short_book()
    apply_all(inv, _after(D("1000") + RP - FEE), _lite(), _full())
    o = inv.order("8886774")
    assert o is not None
    assert o.fees == (("USDT", FEE),)
    assert inv.balance("USDT").total == D("1000") + RP - FEE


# --- fuzzing: only ParseError, and a rejected message changes nothing ------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
STREAM_FIXTURES = [n for n in ALL_FIXTURES if not n.startswith(("rest_", "error_"))] + [
    "one_way_order",
    "one_way_account",
]
KEYS = [
    "e",
    "T",
    "o",
    "a",
    "B",
    "P",
    "s",
    "c",
    "x",
    "X",
    "q",
    "p",
    "l",
    "L",
    "z",
    "n",
    "N",
    "t",
    "i",
    "S",
    "ps",
    "wb",
    "cw",
    "bc",
    "pa",
    "ep",
    "m",
    "aid",
    "ai",
    "caid",
    "cp",
    "rp",
    "ap",
]


def _stream_fixture(name: str) -> Any:
    if name == "one_way_order":
        return _trade(5)
    if name == "one_way_account":
        return _au(5, "1", "0.001", "60000", "FUNDING_FEE")
    return load(name)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, names: list[str], loader: Any) -> Any:
    """A real fixture with one value replaced by any JSON value, or one key dropped."""
    doc = copy.deepcopy(loader(draw(st.sampled_from(names))))
    paths = _paths(doc)
    if not paths:
        return doc
    path = draw(st.sampled_from(paths))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON | st.sampled_from(["", "0", "-1", "1e-8", "BOTH", "LONG"]))
    return doc


@st.composite
def keyed(draw: st.DrawFn) -> Any:
    """Dicts with the venue's keys and a known ``e``: deeper than pure noise gets."""
    d = draw(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))
    d["e"] = draw(
        st.sampled_from(
            [
                "ORDER_TRADE_UPDATE",
                "TRADE_LITE",
                "ACCOUNT_UPDATE",
                "ALGO_UPDATE",
                "listenKeyExpired",
                "MARGIN_CALL",
            ]
        )
    )
    return d


def _only_parse_errors(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        out = fn(*args, **kwargs)
    except ParseError:
        return
    assert isinstance(out, list)


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(JSON | keyed() | mutated(STREAM_FIXTURES, _stream_fixture))
def test_parse_raises_only_parse_error(message: Any) -> None:
    _only_parse_errors(usdm.parse, message)


REST_PARTS = {
    "account": [
        "rest_account_v2_multi_assets.json",
        "rest_account_v3_multi_assets.json",
        "rest_account_v3_single_asset.json",
    ],
    "positions": [
        "rest_positionRisk_v2_oneway.json",
        "rest_positionRisk_v3_oneway.json",
        "rest_positionRisk_v3_hedge.json",
    ],
    "open_orders": ["rest_openOrders.json"],
    "trades": ["rest_userTrades.json"],
}


def _rest_fixture(name: str) -> Any:
    body = load(name)
    return body if "hedge" in name else _one_way(body)


@FUZZ
@given(
    st.sampled_from(sorted(REST_PARTS)),
    st.data(),
)
def test_parse_snapshot_order_and_error_raise_only_parse_error(
    part: str, data: st.DataObject
) -> None:
    body = data.draw(JSON | mutated(REST_PARTS[part], _rest_fixture))
    _only_parse_errors(usdm.parse_snapshot, **{part: body})
    one = data.draw(JSON | mutated(["rest_order_query.json"], _rest_fixture))
    _only_parse_errors(usdm.parse_order, one)
    err = data.draw(JSON | mutated(["error_generic.json"], load))
    _only_parse_errors(usdm.parse_error, err, "c1")


def _state(inv: Inventory) -> Any:
    return observed(inv, ("USDT", "BNB"), ("bot-1", "8886774"))


@FUZZ
@given(st.lists(mutated(["one_way_order", "one_way_account"], _stream_fixture), max_size=5))
def test_a_rejected_message_leaves_the_inventory_unchanged(messages: list[Any]) -> None:
    inv = _synced()
    apply_all(inv, _trade(T0 + 1, X="NEW", x="NEW", l="0", z="0", n="0"))
    for m in messages:
        before = _state(inv)
        try:
            events = usdm.parse(m)
        except ParseError:
            assert _state(inv) == before
            continue
        # A well-formed but contradictory mutation: the core refuses it, changing nothing.
        apply_checked(inv, events, ("USDT", "BNB"), ("bot-1", "8886774"))


# --- real-payload findings (issue 14) ------------------------------------------------------


def test_bnb_with_cross_wallet_zero_is_not_read_as_locked() -> None:
    # The 2020 deposit sample: BNB wb 0.02575839, cw "0" (BNB is no margin in single-asset
    # mode). cw is the cross wallet, not what is free: nothing of it is held by an order.
    inv = Inventory([BTC])
    for e in usdm.parse(load("ACCOUNT_UPDATE_deposit_2020.json")):
        inv.apply(e)
    b = inv.balance("BNB")
    assert (b.total, b.free) == (D("0.02575839"), D("0.02575839"))


def test_cross_wallet_is_not_the_free_amount() -> None:
    # ORDER sample: USDT wb 122624.12345678, cw 100.12345678 (isolated margin is outside the
    # cross wallet): free keeps what the last report held back, here nothing.
    inv = Inventory([BTC])
    msg = load("ACCOUNT_UPDATE_order.json")
    msg["a"]["P"] = []  # MODIFIED: its positions are hedge-mode legs (refused)
    for e in usdm.parse(msg):
        inv.apply(e)
    assert inv.balance("USDT").free == D("122624.12345678")


def test_trade_lite_original_quantity_bounds_its_order() -> None:
    # The doc sample's q (0.001) is below its own l (0.040): not taken. MODIFIED q 0.050:
    # the order (known only from this fill) is 0.050, 0.010 of it may still fill.
    (doc,) = usdm.parse(load("TRADE_LITE.json"))
    assert isinstance(doc, ev.FillReported) and doc.order_quantity is None
    msg = load("TRADE_LITE.json")
    msg["q"] = "0.050"
    msg["c"] = "web_x"  # MODIFIED: a client id the bot does not know
    (fill,) = usdm.parse(msg)
    assert isinstance(fill, ev.FillReported) and fill.order_quantity == D("0.050")
    inv = Inventory([BTC])
    inv.apply(fill)
    x = inv.exposure("BTCUSDT")
    assert (x.low, x.expected, x.high) == (D("0.040"), D("0.040"), D("0.050"))


def test_an_inventory_fed_by_the_stream_survives_pickle_and_deepcopy() -> None:
    # The position book's state is copied explicitly (so a compiled build copies too):
    # each copy must read the same and go on exactly like the original.
    import pickle

    from invsync.bench import PERP_ACCOUNT, fresh_inventories, stream

    inv = fresh_inventories()[1]
    messages = [m for account, m in itertools.islice(stream(7), 6_000) if account == PERP_ACCOUNT]
    # Just after a fill, before the report that covers it: the fill is pending in the book.
    cut = 1 + next(
        n for n in range(len(messages) // 2, len(messages)) if messages[n]["e"] == "TRADE_LITE"
    )
    apply_all(inv, *messages[:cut])
    assert inv.stats()["pending_position_fills"] > 0
    copies = [pickle.loads(pickle.dumps(inv)), copy.deepcopy(inv)]
    keys = [m["o"]["c"] for m in messages if m["e"] == "ORDER_TRADE_UPDATE"][-20:]
    for other in copies:
        assert observed(other, ["USDT"], keys) == observed(inv, ["USDT"], keys)
    for target in (inv, *copies):
        apply_all(target, *messages[cut:])
    for other in copies:
        assert observed(other, ["USDT"], keys) == observed(inv, ["USDT"], keys)
