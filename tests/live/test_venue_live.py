"""The derivative venues' clients against their loopbacks: handshakes, refusals, keepalive.

Each test starts a venue loopback on 127.0.0.1 (a real aiohttp server backed by
``ExchangeModel``) and drives the venue's runner client (``BybitVenue``, ``OkxVenue``,
``BinanceUsdmVenue``) directly: what a failed auth, login or subscription does (the
stream does not start; the venue's answer, read by the adapter, makes the account
stale), that requests are signed as the venue checks them (a wrong secret is refused
with the venue's code), that an order query answers "not found" in the venue's way, and
the USD-M listen key's life (keepalive, expiry, a new key). The fault matrix with the
runner is tests/live/test_venue_runner.py. Every wait is bounded; servers are stopped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import pytest

from core import events as ev
from core.adapters import binance_usdm, bybit, okx
from core.inventory import Inventory
from invsync.live.loopback.venues.binance_usdm import BinanceUsdmLoopback
from invsync.live.loopback.venues.bybit import BybitLoopback
from invsync.live.loopback.venues.okx import OkxLoopback
from invsync.live.records import CODECS, Row
from invsync.live.venue import StreamEnded
from tests.live.venue_accounts import BTCUSDT, KEY, SWAP, client, loopback

T = TypeVar("T")
D = Decimal


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """One test coroutine on a fresh loop, failed after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def answer_events(codec: str, op: str, reply: Any, cid: str) -> list[ev.Event]:
    """What the runner's journal row of this answer yields (the venue's pure codec)."""
    body = {"op": op, "cid": cid, "status": reply.status, "text": reply.text, "error": reply.error}
    return CODECS[codec](Row(1, "answer", "rest", json.dumps(body)))


# --- Bybit ------------------------------------------------------------------------------------


def test_bybit_failed_auth_ends_the_stream_and_makes_the_account_stale() -> None:
    async def go() -> None:
        async with loopback(BybitLoopback) as ex:
            venue = client("bybit", ex, secret="wrong-secret")
            with pytest.raises(StreamEnded, match="auth failed"):
                async with venue.subscribe():
                    pass
            await venue.close()
            # The answers themselves, read by the adapter, break the stream for the core.
            async with aiohttp.ClientSession() as s, s.ws_connect(ex.ws_private_url) as ws:
                await ws.send_str(json.dumps({"op": "auth", "args": [KEY, 1, "00"]}))
                refused_auth = json.loads((await ws.receive(timeout=2)).data)
                await ws.send_str(json.dumps({"op": "subscribe", "args": ["order"]}))
                refused_sub = json.loads((await ws.receive(timeout=2)).data)
            inv = Inventory([BTCUSDT])
            inv.apply(ev.StreamConnected(stream=bybit.STREAM))
            inv.apply(ev.SnapshotTaken(version=1))  # synced
            assert inv.sync_state == "synced"
            for e in bybit.parse(refused_auth) + bybit.parse(refused_sub):
                assert isinstance(e, ev.StreamDisconnected)
                inv.apply(e)
            assert inv.sync_state == "stale"
            assert ex.ready_connections == 0

    run(go())


def test_bybit_requests_are_signed_and_answers_read_by_the_codec() -> None:
    async def go() -> None:
        async with loopback(BybitLoopback, price=D("100")) as ex:
            venue = client("bybit", ex)
            placed = await venue.place("BTCUSDT", "buy", D("1"), D("90"), "q1")
            assert placed.ok and answer_events("bybit", "place", placed, "q1") == []
            found = answer_events("bybit", "query", await venue.query("BTCUSDT", "q1", None), "q1")
            assert [(e.client_order_id, e.status) for e in found] == [("q1", "new")]  # type: ignore[union-attr]
            missing = answer_events(
                "bybit", "query", await venue.query("BTCUSDT", "no", None), "no"
            )
            assert missing == [ev.OrderNotFound(client_order_id="no", order_id=None)]
            again = await venue.place("BTCUSDT", "buy", D("1"), D("90"), "q1")
            [dup] = answer_events("bybit", "place", again, "q1")
            assert isinstance(dup, ev.SubmissionFailed) and "110072" in dup.reason
            gone = await venue.cancel("BTCUSDT", "no", None)
            [refused] = answer_events("bybit", "cancel", gone, "no")
            assert isinstance(refused, ev.CancelFailed) and "110001" in refused.reason
            wrong = client("bybit", ex, secret="bad")
            [bad] = answer_events(
                "bybit", "place", await wrong.place("BTCUSDT", "buy", D(1), D(90), "q2"), "q2"
            )
            assert isinstance(bad, ev.SubmissionFailed) and "10004" in bad.reason
            await venue.close()
            await wrong.close()

    run(go())


# --- OKX ------------------------------------------------------------------------------------


def test_okx_failed_login_ends_the_stream_and_makes_the_account_stale() -> None:
    async def go() -> None:
        async with loopback(OkxLoopback) as ex:
            venue = client("okx", ex, passphrase="wrong-pass")
            with pytest.raises(StreamEnded, match="60009"):
                async with venue.subscribe():
                    pass
            await venue.close()
            async with aiohttp.ClientSession() as s, s.ws_connect(ex.ws_private_url) as ws:
                await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "orders"}]}))
                refused = json.loads((await ws.receive(timeout=2)).data)
                await ws.send_str("ping")
                pong = (await ws.receive(timeout=2)).data
            assert pong == "pong" and okx.parse(pong) == []
            inv = Inventory([SWAP])
            inv.apply(ev.StreamConnected(stream=okx.VENUE))
            inv.apply(ev.SnapshotTaken(version=1))  # synced
            assert inv.sync_state == "synced"
            [broken] = okx.parse(refused)
            assert isinstance(broken, ev.StreamDisconnected)
            inv.apply(broken)
            assert inv.sync_state == "stale"

    run(go())


def test_okx_subscription_acks_then_pushes_flow() -> None:
    async def go() -> None:
        async with loopback(OkxLoopback, price=D("100")) as ex:
            venue = client("okx", ex)
            async with venue.subscribe() as stream:
                texts = stream.messages()
                acks = [json.loads((await anext(texts))[1]) for _ in range(5)]
                assert [a["event"] for a in acks] == ["login"] + ["subscribe"] * 4
                placed = await venue.place(SWAP.symbol, "buy", D("100"), D("90"), "o1")
                assert answer_events("okx", "place", placed, "o1") == []
                _, text = await asyncio.wait_for(anext(texts), 2)
                [order] = okx.parse(json.loads(text))
                assert isinstance(order, ev.OrderReported) and order.client_order_id == "o1"
            missing = await venue.query(SWAP.symbol, "nope", None)
            assert answer_events("okx", "query", missing, "nope") == [
                ev.OrderNotFound(client_order_id="nope", order_id=None)
            ]
            await venue.close()

    run(go())


def test_okx_snapshot_brings_funding_and_transfers_as_cash_changes_from_bills() -> None:
    async def go() -> None:
        async with loopback(OkxLoopback) as ex:
            ex.funding(SWAP.symbol, D("-1.5"))
            ex.model.deposit("USDT", D("20"))
            venue = client("okx", ex)
            replies = await venue.snapshot([SWAP.symbol])
            body = {
                "account": replies["account"].text,
                "open_orders": {SWAP.symbol: replies[f"open_orders:{SWAP.symbol}"].text},
                "trades": {SWAP.symbol: replies[f"trades:{SWAP.symbol}"].text},
            }
            events = CODECS["okx"](Row(1, "snapshot", "rest", json.dumps(body)))
            snap, *cash = events
            assert isinstance(snap, ev.SnapshotTaken)
            assert [(c.total_delta, c.reason) for c in cash] == [  # type: ignore[union-attr]
                (D("-1.5"), "okx bill type 8 subType 173"),
                (D("20"), "okx bill type 1 subType 11"),
            ]
            inv = Inventory([SWAP])
            for e in events:
                inv.apply(e)
            assert inv.balance("USDT").total == ex.model.balance("USDT").total == D("118.5")
            await venue.close()

    run(go())


# --- Binance USD-M ----------------------------------------------------------------------------


def test_usdm_connection_is_replaced_at_its_age_limit() -> None:
    async def go() -> None:
        async with loopback(BinanceUsdmLoopback) as ex:
            venue = client("binance_usdm", ex, max_age=0.2)
            async with venue.subscribe() as stream:
                with pytest.raises(StreamEnded) as ended:
                    async for _ in stream.messages():
                        pass
            assert ended.value.now and "age limit" in ended.value.reason
            await venue.close()

    run(go())


def test_usdm_listen_key_is_kept_alive_and_a_lost_key_ends_the_stream() -> None:
    async def go() -> None:
        async with loopback(BinanceUsdmLoopback) as ex:
            venue = client("binance_usdm", ex, keepalive=0.05)
            async with venue.subscribe() as stream:
                assert ex.ready_connections == 1
                await asyncio.sleep(0.3)
                assert ex.keepalives >= 2 and venue.keepalives_sent >= 2
                ex.listen_key = None  # the venue forgets the key: the next keepalive gets -1125
                with pytest.raises(StreamEnded):
                    async for _ in stream.messages():
                        pass
            await venue.close()

    run(go())


def test_usdm_listen_key_expired_ends_the_stream_at_once_and_a_new_key_is_made() -> None:
    async def go() -> None:
        async with loopback(BinanceUsdmLoopback) as ex:
            venue = client("binance_usdm", ex)
            async with venue.subscribe() as stream:
                first = ex.listen_key
                ex.expire_listen_keys()
                texts = []
                with pytest.raises(StreamEnded) as ended:
                    async for _, text in stream.messages():
                        texts.append(text)
                assert ended.value.now and ended.value.reason == "listenKeyExpired"
            [gone] = binance_usdm.parse(json.loads(texts[-1]))
            assert gone == ev.StreamDisconnected(
                stream=binance_usdm.STREAM, reason="listenKeyExpired"
            )
            async with venue.subscribe():
                assert ex.listen_key is not None and ex.listen_key != first
                assert ex.ready_connections == 1
            await venue.close()

    run(go())


def test_usdm_requests_are_signed_and_answers_read_by_the_codec() -> None:
    async def go() -> None:
        async with loopback(BinanceUsdmLoopback, price=D("100")) as ex:
            venue = client("binance_usdm", ex)
            placed = await venue.place("BTCUSDT", "sell", D("1"), D("110"), "u1")
            [report] = answer_events("binance_usdm", "place", placed, "u1")
            assert isinstance(report, ev.OrderReported) and report.status == "new"
            amended = await venue.amend("BTCUSDT", "u1", None, D("0.5"))
            [smaller] = answer_events("binance_usdm", "amend", amended, "u1")
            assert isinstance(smaller, ev.OrderReported) and smaller.quantity == D("0.5")
            missing = await venue.query("BTCUSDT", "nope", None)
            assert answer_events("binance_usdm", "query", missing, "nope") == [
                ev.OrderNotFound(client_order_id="nope", order_id=None)
            ]
            cancel = await venue.cancel("BTCUSDT", "nope", None)
            [refused] = answer_events("binance_usdm", "cancel", cancel, "nope")
            assert isinstance(refused, ev.CancelFailed) and "-2011" in refused.reason
            # A client id with characters a URL escapes: the signature covers the query as sent.
            odd = await venue.place("BTCUSDT", "buy", D("1"), D("90"), "a/b:c.d")
            [odd_report] = answer_events("binance_usdm", "place", odd, "a/b:c.d")
            assert isinstance(odd_report, ev.OrderReported)
            assert odd_report.client_order_id == "a/b:c.d"
            found = answer_events(
                "binance_usdm", "query", await venue.query("BTCUSDT", "a/b:c.d", None), "a/b:c.d"
            )
            assert [e.client_order_id for e in found] == ["a/b:c.d"]  # type: ignore[union-attr]
            wrong = client("binance_usdm", ex, secret="bad")
            bad = await wrong.place("BTCUSDT", "buy", D("1"), D("90"), "u2")
            [failed] = answer_events("binance_usdm", "place", bad, "u2")
            assert isinstance(failed, ev.SubmissionFailed) and "-1022" in failed.reason
            await venue.close()
            await wrong.close()

    run(go())
