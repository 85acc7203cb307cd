"""The loopback's REST API against a real aiohttp client: every endpoint, signing, errors."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from core.adapters import binance_spot
from core.events import FillReported, OrderReported, SnapshotTaken
from invsync.live.loopback import LoopbackExchange
from tests.live.conftest import SignedClient, make_loopback, run

BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "49000",
    "newClientOrderId": "bot-1",
}


def test_public_endpoints_answer_without_a_key() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            ping = await c.request("GET", "/api/v3/ping", signed=False)
            assert (ping.status, ping.json) == (200, {})
            t = await c.request("GET", "/api/v3/time", signed=False)
            assert t.status == 200 and t.json["serverTime"] > 1_700_000_000_000
            info = await c.request("GET", "/api/v3/exchangeInfo", signed=False)
            sym = info.json["symbols"][0]
            assert (sym["symbol"], sym["baseAsset"], sym["quoteAsset"]) == (
                "BTCUSDT",
                "BTC",
                "USDT",
            )
            assert int(info.headers["X-MBX-USED-WEIGHT-1M"]) == 1 + 1 + 20

    run(go())


def test_account_lists_the_model_balances_and_parses() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            a = await c.request("GET", "/api/v3/account")
            assert a.status == 200, a
            got = {b["asset"]: (b["free"], b["locked"]) for b in a.json["balances"]}
            assert got["USDT"] == ("10000.00000000", "0.00000000")
            assert got["BTC"] == ("1.00000000", "0.00000000")
            [snap] = binance_spot.parse_snapshot(account=a.json)
            assert isinstance(snap, SnapshotTaken)
            for b in snap.balances:
                assert b.total == ex.model.balance(b.asset).total
                assert b.free == ex.model.balance(b.asset).free
            omit = await c.request("GET", "/api/v3/account", {"omitZeroBalances": "true"})
            assert {b["asset"] for b in omit.json["balances"]} == {"USDT", "BTC"}

    run(go())


def test_place_query_open_orders_cancel_round_trip() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            placed = await c.request("POST", "/api/v3/order", BUY, in_body=True)
            assert placed.status == 200, placed
            assert placed.json["status"] == "NEW" and placed.json["fills"] == []
            assert ex.model.balance("USDT").locked == Decimal("490")
            [rep] = binance_spot.parse_order(placed.json)
            assert isinstance(rep, OrderReported) and rep.client_order_id == "bot-1"
            oid = placed.json["orderId"]
            q = await c.request("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": oid})
            assert q.json["clientOrderId"] == "bot-1" and q.json["status"] == "NEW"
            q2 = await c.request(
                "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "bot-1"}
            )
            assert q2.json == q.json
            oo = await c.request("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
            assert [o["orderId"] for o in oo.json] == [oid]
            assert int(oo.headers["X-MBX-USED-WEIGHT-1M"]) == 1 + 4 + 4 + 6
            cancel = await c.request(
                "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "bot-1"}
            )
            assert cancel.status == 200 and cancel.json["status"] == "CANCELED"
            assert cancel.json["origClientOrderId"] == "bot-1"
            assert ex.model.balance("USDT").locked == 0
            again = await c.request(
                "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": oid}
            )
            assert (again.status, again.json["code"]) == (400, -2011)
            events = binance_spot.parse_error(again.json, "bot-1")
            assert type(events[0]).__name__ == "CancelFailed"
            oo = await c.request("GET", "/api/v3/openOrders")
            assert oo.json == []

    run(go())


def test_unknown_order_query_is_2013_and_parses_as_not_found() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            a = await c.request(
                "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "x"}
            )
            assert (a.status, a.json["code"]) == (400, -2013)
            assert type(binance_spot.parse_error(a.json, "x")[0]).__name__ == "OrderNotFound"
            none = await c.request("GET", "/api/v3/order", {"symbol": "BTCUSDT"})
            assert none.json["code"] == -1102
            bad = await c.request("GET", "/api/v3/openOrders", {"symbol": "NOPE"})
            assert (bad.status, bad.json["code"]) == (400, -1121)
            assert ex.model.orders == {}

    run(go())


def test_crossing_limit_and_market_orders_trade_at_once_and_list_fills() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            taker = dict(BUY, price="51000", newClientOrderId="t1")
            a = await c.request("POST", "/api/v3/order", taker)
            assert a.json["status"] == "FILLED", a
            [fill] = a.json["fills"]
            assert (fill["price"], fill["qty"]) == ("50000.00000000", "0.01000000")
            events = binance_spot.parse_order(a.json)
            assert [type(e) for e in events] == [OrderReported, FillReported]
            mkt = {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "MARKET",
                "quantity": "0.5",
                "newOrderRespType": "RESULT",
                "newClientOrderId": "m1",
            }
            m = await c.request("POST", "/api/v3/order", mkt)
            assert m.json["status"] == "FILLED" and "fills" not in m.json
            ack = await c.request("POST", "/api/v3/order", dict(BUY, newOrderRespType="ACK"))
            assert set(ack.json) == {
                "symbol",
                "orderId",
                "orderListId",
                "clientOrderId",
                "transactTime",
            }
            trades = await c.request("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
            assert [t["isBuyer"] for t in trades.json] == [True, False]
            [snap] = binance_spot.parse_snapshot(trades=trades.json)
            assert isinstance(snap, SnapshotTaken)
            assert [f.trade_id for f in snap.trades] == ["1", "2"]
            by_order = await c.request(
                "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "orderId": m.json["orderId"]}
            )
            assert [t["id"] for t in by_order.json] == [2]
            from_id = await c.request("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "fromId": 2})
            assert [t["id"] for t in from_id.json] == [2]
            ioc = dict(BUY, timeInForce="IOC", price="1000", newClientOrderId="ioc")
            i = await c.request("POST", "/api/v3/order", ioc)
            assert i.json["status"] == "EXPIRED"
            maker = dict(BUY, type="LIMIT_MAKER", price="60000", newClientOrderId="lm")
            maker.pop("timeInForce")
            lm = await c.request("POST", "/api/v3/order", maker)
            assert (lm.status, lm.json["code"]) == (400, -2010)
            resting = dict(maker, price="40000", newClientOrderId="lm2")
            ok = await c.request("POST", "/api/v3/order", resting)
            assert "status" not in ok.json  # LIMIT_MAKER answers ACK unless asked otherwise
            q = await c.request(
                "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": ok.json["orderId"]}
            )
            assert (q.json["type"], q.json["status"]) == ("LIMIT_MAKER", "NEW")
            assert ex.model.balance("BTC").total == Decimal("1") + Decimal("0.01") * Decimal(
                "0.999"
            ) - Decimal("0.5")

    run(go())


def test_order_refusals_use_the_documented_codes() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            cases: list[tuple[dict[str, Any], int]] = [
                (dict(BUY, quantity="1000"), -2010),  # insufficient balance
                (dict(BUY, side="UP"), -1117),
                (dict(BUY, type="STOP"), -1116),
                (dict(BUY, timeInForce="GTX"), -1115),
                (dict(BUY, quantity="1e3"), -1100),
                (dict(BUY, newClientOrderId="bad id!"), -1100),
                ({k: v for k, v in BUY.items() if k != "price"}, -1102),
            ]
            for params, code in cases:
                a = await c.request("POST", "/api/v3/order", params)
                assert (a.status, a.json["code"]) == (400, code), (params, a)
                assert type(binance_spot.parse_error(a.json, "bot-1")[0]).__name__ == (
                    "SubmissionFailed"
                )
            ok = await c.request("POST", "/api/v3/order", BUY)
            assert ok.status == 200
            dup = await c.request("POST", "/api/v3/order", BUY)
            assert (dup.json["code"], dup.json["msg"]) == (-2010, "Duplicate order sent.")
            assert len(ex.model.orders) == 1

    run(go())


def test_amend_keep_priority_reduces_quantity_and_renames_by_default() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            await c.request("POST", "/api/v3/order", BUY)
            a = await c.request(
                "PUT",
                "/api/v3/order/amend/keepPriority",
                {"symbol": "BTCUSDT", "origClientOrderId": "bot-1", "newQty": "0.004"},
            )
            assert a.status == 200, a
            amended = a.json["amendedOrder"]
            assert amended["qty"] == "0.00400000" and amended["origClientOrderId"] == "bot-1"
            new_id = amended["clientOrderId"]
            assert new_id != "bot-1" and len(new_id) == 22
            assert ex.model.balance("USDT").locked == Decimal("196")
            q = await c.request(
                "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": new_id}
            )
            assert q.json["origQty"] == "0.00400000"
            keep = await c.request(
                "PUT",
                "/api/v3/order/amend/keepPriority",
                {
                    "symbol": "BTCUSDT",
                    "origClientOrderId": new_id,
                    "newQty": "0.003",
                    "newClientOrderId": new_id,
                },
            )
            assert keep.json["amendedOrder"]["clientOrderId"] == new_id
            up = await c.request(
                "PUT",
                "/api/v3/order/amend/keepPriority",
                {"symbol": "BTCUSDT", "origClientOrderId": new_id, "newQty": "0.02"},
            )
            assert (up.status, up.json["code"]) == (400, -2038)

    run(go())


def test_signed_endpoints_refuse_a_wrong_signature_key_or_timestamp() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as good:
            bad = SignedClient(ex, secret="wrong")
            stranger = SignedClient(ex, key="other")
            try:
                await _refusals(ex, good, bad, stranger)
            finally:
                await bad.close()
                await stranger.close()

    run(go())


async def _refusals(
    ex: LoopbackExchange, good: SignedClient, bad: SignedClient, stranger: SignedClient
) -> None:
    wrong = await bad.request("GET", "/api/v3/account")
    assert (wrong.status, wrong.json["code"]) == (400, -1022)
    key = await stranger.request("GET", "/api/v3/account")
    assert (key.status, key.json["code"]) == (401, -2015)
    nokey = await good.request("GET", "/api/v3/account", headers={"X-MBX-APIKEY": ""})
    assert (nokey.status, nokey.json["code"]) == (401, -2014)
    unsigned = await good.request(
        "GET", "/api/v3/account", signed=False, headers={"X-MBX-APIKEY": good.key}
    )
    assert unsigned.json["code"] == -1102
    old = await good.request("GET", "/api/v3/account", {"timestamp": 1_600_000_000_000})
    assert (old.status, old.json["code"]) == (400, -1021)
    window = await good.request("GET", "/api/v3/account", {"recvWindow": 70000})
    assert window.json["code"] == -1102
    # A signed body is checked as query string + body, as Binance documents.
    placed = await bad.request("POST", "/api/v3/order", BUY, in_body=True)
    assert placed.json["code"] == -1022
    assert ex.model.orders == {}
    assert ex.stats["signature_refused"] == 2
    ok = await good.request("GET", "/api/v3/account", {"recvWindow": 60000})
    assert ok.status == 200
    body = await good.request("POST", "/api/v3/order", BUY, in_body=True)
    assert body.status == 200, body


def test_weight_budget_429_with_retry_after_then_418_when_ignored() -> None:
    async def go() -> None:
        async with make_loopback(weight_limit=45, weight_window=60.0) as ex, SignedClient(ex) as c:
            a = await c.request("GET", "/api/v3/account")  # 20
            b = await c.request("GET", "/api/v3/account")  # 40
            assert (a.status, b.status) == (200, 200)
            assert b.headers["X-MBX-USED-WEIGHT-1M"] == "40"
            over = await c.request("GET", "/api/v3/account")
            assert over.status == 429 and over.json["code"] == -1003
            assert 1 <= int(over.headers["Retry-After"]) <= 60
            ignored = await c.request("GET", "/api/v3/ping", signed=False)
            assert ignored.status == 418 and int(ignored.headers["Retry-After"]) >= 1
            assert (ex.stats["rate_limit"], ex.stats["ban"]) == (1, 1)

    run(go())


def test_nothing_the_server_logs_carries_a_signature_or_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            await c.request("GET", "/api/v3/account")
            await c.request("POST", "/api/v3/order", BUY, in_body=True)
            bad = SignedClient(ex, secret="wrong")
            await bad.request("GET", "/api/v3/account")
            await bad.close()
            ws, _ = await c.user_stream()
            await ws.close()

    with caplog.at_level(logging.DEBUG):
        run(go())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "signature" not in text and "loopback-secret" not in text and "loopback-key" not in text
