"""The loopback's WebSocket API: subscription, user-data pushes, unsubscribe, refusals."""

from __future__ import annotations

import asyncio
import socket
import time
from decimal import Decimal

from core.adapters import binance_spot
from core.events import BalanceReported, CashChanged, FillReported, OrderReported
from models.exchange import Rejection
from tests.live.conftest import SignedClient, make_loopback, receive_events, run
from tests.live.test_loopback_rest import BUY


def test_subscription_pushes_order_fill_and_balance_events_that_parse() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            ws, sid = await c.user_stream()
            assert ex.subscriptions == 1
            await c.request("POST", "/api/v3/order", BUY)
            ex.match("BTCUSDT", Decimal("48000"))
            ex.deposit("USDT", Decimal("5"))
            msgs = await receive_events(ws)
            assert all(m["subscriptionId"] == sid for m in msgs)
            kinds = [(m["event"]["e"], m["event"].get("x")) for m in msgs]
            assert kinds == [
                ("executionReport", "NEW"),
                ("outboundAccountPosition", None),
                ("executionReport", "TRADE"),
                ("outboundAccountPosition", None),
                ("balanceUpdate", None),
                ("outboundAccountPosition", None),
            ]
            events = [e for m in msgs for e in binance_spot.parse(m)]
            fills = [e for e in events if isinstance(e, FillReported)]
            assert [(f.quantity, f.price, f.fee, f.fee_asset) for f in fills] == [
                (Decimal("0.01"), Decimal("49000"), Decimal("0.00001"), "BTC")
            ]
            last = {e.asset: e for e in events if isinstance(e, BalanceReported)}
            for asset, b in last.items():
                assert (b.total, b.free) == (
                    ex.model.balance(asset).total,
                    ex.model.balance(asset).free,
                )
            assert any(isinstance(e, CashChanged) and e.total_delta == 5 for e in events)
            orders = [e for e in events if isinstance(e, OrderReported)]
            assert [o.status for o in orders] == ["new", "filled"]
            await ws.close()

    run(go())


def test_ping_time_unsubscribe_and_resubscribe_on_one_connection() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            ws, sid = await c.user_stream()
            await ws.send_json({"id": 7, "method": "ping"})
            assert (await ws.receive_json(timeout=5))["result"] == {}
            await ws.send_json({"id": 8, "method": "time"})
            assert (await ws.receive_json(timeout=5))["result"]["serverTime"] > 0
            await ws.send_json({"id": 9, "method": "session.subscriptions"})
            assert (await ws.receive_json(timeout=5))["result"] == [{"subscriptionId": sid}]
            await ws.send_json(c.subscribe_request(10))
            twice = await ws.receive_json(timeout=5)
            assert (twice["status"], twice["error"]["code"]) == (400, -2035)
            await ws.send_json({"id": 11, "method": "userDataStream.unsubscribe"})
            ended = await ws.receive_json(timeout=5)
            assert ended == {
                "subscriptionId": sid,
                "event": {"e": "eventStreamTerminated", "E": ended["event"]["E"]},
            }
            assert [type(e).__name__ for e in binance_spot.parse(ended)] == ["StreamDisconnected"]
            ack = await ws.receive_json(timeout=5)
            assert (ack["id"], ack["status"], ack["result"]) == (11, 200, {})
            ex.deposit("BTC", Decimal("1"))
            assert await receive_events(ws, quiet=0.2) == []
            await ws.send_json(c.subscribe_request(12))
            again = await ws.receive_json(timeout=5)
            assert again["result"]["subscriptionId"] == sid + 1
            await ws.close()

    run(go())


def test_subscription_refuses_a_bad_signature_key_or_stale_timestamp() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            ws = await c.session.ws_connect(ex.ws_api_url)
            bad = c.subscribe_request(1)
            bad["params"]["signature"] = "00" + bad["params"]["signature"][2:]
            await ws.send_json(bad)
            r = await ws.receive_json(timeout=5)
            assert (r["status"], r["error"]["code"]) == (400, -1022)
            stale = c.subscribe_request(2, timestamp=int(time.time() * 1000) - 10_000)
            await ws.send_json(stale)
            r = await ws.receive_json(timeout=5)
            assert r["error"]["code"] == -1021
            other = SignedClient(ex, key="nobody")
            await ws.send_json(other.subscribe_request(3))
            r = await ws.receive_json(timeout=5)
            assert (r["status"], r["error"]["code"]) == (401, -2015)
            await other.close()
            await ws.send_str("not json")
            r = await ws.receive_json(timeout=5)
            assert r["error"]["code"] == -1135
            await ws.send_json({"id": 4, "method": "order.place", "params": {}})
            r = await ws.receive_json(timeout=5)
            assert r["error"]["code"] == -1020
            assert ex.subscriptions == 0
            # Upper-case hex is accepted: HMAC signatures are not case-sensitive.
            upper = c.subscribe_request(5)
            upper["params"]["signature"] = upper["params"]["signature"].upper()
            await ws.send_json(upper)
            assert (await ws.receive_json(timeout=5))["status"] == 200
            await ws.close()

    run(go())


def test_stop_announces_server_shutdown_closes_sockets_and_frees_the_port() -> None:
    async def go() -> None:
        ex = make_loopback()
        async with SignedClient(ex) as c:
            await ex.start()
            ws, _ = await c.user_stream()
            port = ex.port
            await ex.stop()
            closes: list[int] = []
            msgs = await receive_events(ws, closes=closes)
            assert [m["event"]["e"] for m in msgs] == ["serverShutdown"]
            assert closes == [1001]
        # The port is free again: a new exchange can bind it.
        again = make_loopback(port=port)
        async with again:
            assert again.port == port

    t0 = time.monotonic()
    run(go())
    assert time.monotonic() - t0 < 10


def test_a_loopback_in_its_own_thread_serves_a_client_on_another_loop() -> None:
    from invsync.live.loopback.thread import LoopbackThread

    ex = make_loopback()
    with LoopbackThread(ex) as lb:

        async def go() -> list[str]:
            async with SignedClient(ex) as c:
                ws, _ = await c.user_stream()
                a = await c.request("POST", "/api/v3/order", BUY)
                assert a.status == 200
                await asyncio.get_running_loop().run_in_executor(
                    None, lb.call, ex.match, "BTCUSDT", Decimal("48000")
                )
                msgs = await receive_events(ws)
                await ws.close()
                return [m["event"].get("x", m["event"]["e"]) for m in msgs]

        kinds = run(go())
        assert "TRADE" in kinds
        assert lb.call(lambda: ex.model.order("bot-1").status) == "filled"  # type: ignore[union-attr]
    with socket.socket() as s:  # stopped: the port is free
        s.bind(("127.0.0.1", ex.port))


def test_websocket_api_requests_share_the_weight_budget_429_then_418() -> None:
    async def go() -> None:
        async with make_loopback(weight_limit=5) as ex, SignedClient(ex) as c:
            ws, _ = await c.user_stream()  # connection 2 + subscription 2
            await ws.send_json({"id": 1, "method": "ping"})  # 5
            assert (await ws.receive_json(timeout=5))["status"] == 200
            await ws.send_json({"id": 2, "method": "ping"})
            over = await ws.receive_json(timeout=5)
            assert (over["status"], over["error"]["code"]) == (429, -1003)
            assert over["error"]["data"]["retryAfter"] > over["error"]["data"]["serverTime"]
            assert over["rateLimits"][0]["count"] == 5
            await ws.send_json({"id": 3, "method": "ping"})
            assert (await ws.receive_json(timeout=5))["status"] == 418
            rest = await c.request("GET", "/api/v3/ping", signed=False)
            assert rest.status == 418  # one budget per client address, REST included
            await ws.close()

    run(go())


def test_disconnect_all_sends_server_shutdown_and_the_repr_hides_the_secret() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            assert "loopback-secret" not in repr(ex) and "loopback-key" not in repr(ex)
            ws, _ = await c.user_stream()
            ex.disconnect_all("shutdown")
            closes: list[int] = []
            msgs = await receive_events(ws, closes=closes)
            assert [m["event"]["e"] for m in msgs] == ["serverShutdown"]
            assert closes == [1001] and ex.subscriptions == 0
            again, _ = await c.user_stream()  # a new connection subscribes at once
            assert ex.subscriptions == 1
            await again.close()

    run(go())


def test_the_venue_cancelling_an_order_is_pushed_and_unknown_keys_are_refused() -> None:
    async def go() -> None:
        async with make_loopback() as ex, SignedClient(ex) as c:
            ws, _ = await c.user_stream()
            await c.request("POST", "/api/v3/order", BUY)
            assert ex.order_id_of("bot-1") == 1
            ended = ex.cancel("bot-1")
            assert not isinstance(ended, Rejection) and ended.status == "canceled"
            assert isinstance(ex.cancel("bot-1"), Rejection)
            assert isinstance(ex.fill("nope"), Rejection)
            msgs = await receive_events(ws)
            kinds = [m["event"].get("x", m["event"]["e"]) for m in msgs]
            assert kinds == [
                "NEW",
                "outboundAccountPosition",
                "CANCELED",
                "outboundAccountPosition",
            ]
            await ws.close()

    run(go())
