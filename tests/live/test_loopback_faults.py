"""The loopback's fault layer: each fault kind is observable on the wire by a real client,
counted in ``stats``, and the same seed with the same requests injects the same faults.

Every assertion message names the seed, so a failure can be replayed.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import aiohttp

from core.adapters import binance_spot
from invsync.live.loopback import Faults
from tests.live.conftest import SignedClient, make_loopback, receive_events, run
from tests.live.test_loopback_rest import BUY

BASE_MS = 1_767_225_600_000
DEPOSITS = 30  # each pushes balanceUpdate + outboundAccountPosition


class Seen:
    """What one subscriber saw (before and after ``drain``), the close code, the stats."""

    def __init__(
        self,
        msgs: list[dict[str, Any]],
        drained: list[dict[str, Any]],
        code: int | None,
        stats: Counter[str],
    ) -> None:
        self.msgs = msgs + drained
        self.drained = [m["event"] for m in drained if "subscriptionId" in m]
        self.code = code
        self.stats = stats

    def events(self) -> list[dict[str, Any]]:
        """The user-data events (serverShutdown aside)."""
        return [m["event"] for m in self.msgs if "subscriptionId" in m]


async def _watch(seed: int, faults: Faults, deposits: int = DEPOSITS) -> Seen:
    """Subscribe, make ``deposits`` deposits at once, read until quiet or closed."""
    async with make_loopback(seed=seed, time_base_ms=BASE_MS) as ex, SignedClient(ex) as c:
        ws, _ = await c.user_stream()
        ex.faults = faults
        for k in range(deposits):
            ex.deposit("USDT", Decimal(k + 1))
        # All pushes are queued in one synchronous burst, so the order in which they are
        # written depends on the seed alone (delayed ones by their drawn delay).
        closes: list[int] = []
        msgs = await receive_events(ws, quiet=0.5, limit=4, closes=closes)
        await ex.drain()
        drained = await receive_events(ws, quiet=0.2, limit=2, closes=closes)
        code = closes[0] if closes else None
        await ws.close()
        return Seen(msgs, drained, code, Counter(ex.stats))


@functools.cache
def _perfect_run() -> tuple[dict[str, Any], ...]:
    return tuple(run(_watch(0, Faults())).events())


def _perfect() -> list[dict[str, Any]]:
    return list(_perfect_run())


def _key(e: dict[str, Any]) -> str:
    return repr(sorted(e.items()))


def _is_subsequence(small: list[dict[str, Any]], big: list[dict[str, Any]]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def test_a_perfect_venue_delivers_every_push_once_in_order() -> None:
    events = _perfect()
    assert len(events) == 2 * DEPOSITS
    assert [e["e"] for e in events[:2]] == ["balanceUpdate", "outboundAccountPosition"]


def test_drop_loses_messages_reproducibly_from_the_seed() -> None:
    perfect = _perfect()
    seed = 11
    a = run(_watch(seed, Faults(drop=0.3)))
    b = run(_watch(seed, Faults(drop=0.3)))
    got = a.events()
    assert 0 < a.stats["drop"] < len(perfect), f"seed {seed}: {a.stats}"
    assert len(got) == len(perfect) - a.stats["drop"], f"seed {seed}"
    assert _is_subsequence(got, perfect), f"seed {seed}: not a subsequence"
    assert b.events() == got and b.stats == a.stats, f"seed {seed}: not reproducible"
    other = run(_watch(seed + 1, Faults(drop=0.3)))
    assert other.events() != got, f"seeds {seed} and {seed + 1} dropped the same messages"


def test_duplicate_sends_a_message_twice_in_a_row() -> None:
    perfect = _perfect()
    seed = 12
    a = run(_watch(seed, Faults(duplicate=0.3)))
    got = a.events()
    assert a.stats["duplicate"] > 0, f"seed {seed}"
    assert len(got) == len(perfect) + a.stats["duplicate"], f"seed {seed}"
    deduped = [e for i, e in enumerate(got) if i == 0 or e != got[i - 1]]
    assert deduped == perfect, f"seed {seed}"
    assert run(_watch(seed, Faults(duplicate=0.3))).events() == got, f"seed {seed}"


def test_reorder_swaps_messages_but_loses_none() -> None:
    perfect = _perfect()
    seed = 13
    a = run(_watch(seed, Faults(reorder=0.3)))
    got = a.events()
    assert a.stats["reorder"] > 0, f"seed {seed}"
    assert got != perfect, f"seed {seed}: nothing moved"
    assert sorted(map(_key, got)) == sorted(map(_key, perfect)), f"seed {seed}"
    assert run(_watch(seed, Faults(reorder=0.3))).events() == got, f"seed {seed}"


def test_delay_lets_later_messages_overtake() -> None:
    perfect = _perfect()
    seed = 14
    a = run(_watch(seed, Faults(delay=0.3, max_delay=0.4)))
    got = a.events()
    n = a.stats["delay"]
    assert n > 0 and a.drained == [], f"seed {seed}"
    assert sorted(map(_key, got)) == sorted(map(_key, perfect)), f"seed {seed}"
    assert got != perfect, f"seed {seed}: nothing overtaken"
    # The undelayed ones first, in order; the delayed ones after them.
    assert _is_subsequence(got[: len(perfect) - n], perfect), f"seed {seed}"
    b = run(_watch(seed, Faults(delay=0.3, max_delay=0.4)))
    assert b.events() == got and b.stats == a.stats, f"seed {seed}: not reproducible"


def test_drain_delivers_what_is_still_delayed_in_publication_order() -> None:
    perfect = _perfect()
    seed = 17
    a = run(_watch(seed, Faults(delay=0.3, max_delay=60.0)))
    n = a.stats["delay"]
    assert n > 0 and len(a.drained) >= n - 1, f"seed {seed}: {n} delayed, {len(a.drained)}"
    assert _is_subsequence(a.drained, perfect), f"seed {seed}"
    assert sorted(map(_key, a.events())) == sorted(map(_key, perfect)), f"seed {seed}"


def test_disconnect_closes_the_socket_mid_stream_at_a_seeded_message() -> None:
    perfect = _perfect()
    seed = 15
    a = run(_watch(seed, Faults(disconnect=0.1)))
    got = a.events()
    assert a.stats["disconnect"] == 1, f"seed {seed}"
    assert a.code == 1011, f"seed {seed}: close code {a.code}"
    assert 0 < len(got) < len(perfect) and got == perfect[: len(got)], f"seed {seed}"
    b = run(_watch(seed, Faults(disconnect=0.1)))
    assert len(b.events()) == len(got), f"seed {seed}"


def test_shutdown_sends_server_shutdown_then_closes() -> None:
    seed = 16
    a = run(_watch(seed, Faults(shutdown=0.1)))
    assert a.stats["shutdown"] == 1, f"seed {seed}"
    last = a.msgs[-1]
    assert last["event"]["e"] == "serverShutdown" and "subscriptionId" not in last
    assert binance_spot.parse(last) == []  # a warning: the adapter emits nothing
    assert a.code == 1001, f"seed {seed}: close code {a.code}"


async def _rest_pattern(seed: int, faults: Faults, n: int = 20) -> tuple[list[int], Counter[str]]:
    async with make_loopback(seed=seed, faults=faults) as ex, SignedClient(ex) as c:
        statuses = [(await c.request("GET", "/api/v3/account")).status for _ in range(n)]
        return statuses, Counter(ex.stats)


def test_rest_5xx_is_seeded_and_counted() -> None:
    seed = 21
    statuses, stats = run(_rest_pattern(seed, Faults(rest_5xx=0.3)))
    assert set(statuses) == {200, 503}, f"seed {seed}: {statuses}"
    assert statuses.count(503) == stats["rest_5xx"], f"seed {seed}"
    assert run(_rest_pattern(seed, Faults(rest_5xx=0.3)))[0] == statuses, f"seed {seed}"


def test_rest_5xx_on_an_order_may_have_placed_it() -> None:
    async def go() -> tuple[int, int, list[int]]:
        faults = Faults(rest_5xx=1.0, executed_share=0.5)
        async with make_loopback(seed=22, faults=faults) as ex, SignedClient(ex) as c:
            statuses = []
            for k in range(12):
                a = await c.request("POST", "/api/v3/order", dict(BUY, newClientOrderId=f"o{k}"))
                statuses.append(a.status)
                assert a.json is None  # a gateway's page, not a Binance error body
            return len(ex.model.orders), ex.stats["rest_5xx_executed"], statuses

    placed, executed, statuses = run(go())
    assert set(statuses) == {503}
    assert placed == executed and 0 < placed < 12, "seed 22"


def test_rest_timeout_answers_late_with_1007_or_times_the_client_out() -> None:
    async def go() -> None:
        faults = Faults(rest_timeout=1.0, timeout=0.4, executed_share=1.0)
        async with make_loopback(seed=23, faults=faults) as ex:
            async with SignedClient(ex) as c:
                t0 = time.monotonic()
                a = await c.request("POST", "/api/v3/order", BUY)
                assert time.monotonic() - t0 >= 0.4
                assert (a.status, a.json["code"]) == (503, -1007)
                events = binance_spot.parse_error(a.json, "bot-1")
                assert type(events[0]).__name__ == "SubmissionTimedOut"
                assert ex.model.order("bot-1") is not None  # executed_share=1: it was placed
            ex.faults = Faults(rest_timeout=1.0, timeout=30.0)
            async with SignedClient(ex, timeout=0.3) as impatient:
                try:
                    await impatient.request("GET", "/api/v3/account")
                    raise AssertionError("seed 23: the request should have timed out")
                except TimeoutError:
                    pass
            assert ex.stats["rest_timeout"] == 2

    t0 = time.monotonic()
    run(go())
    # The hanging handler did not hold the server's shutdown for its 30 s.
    assert time.monotonic() - t0 < 5


def test_injected_429_carries_retry_after_and_ignoring_it_bans_418() -> None:
    async def go() -> None:
        faults = Faults(rate_limit=1.0, retry_after=1)
        async with make_loopback(seed=24, faults=faults) as ex, SignedClient(ex) as c:
            a = await c.request("GET", "/api/v3/time", signed=False)
            assert (a.status, a.headers["Retry-After"], a.json["code"]) == (429, "1", -1003)
            ex.faults = Faults()
            b = await c.request("GET", "/api/v3/time", signed=False)
            assert b.status == 418 and int(b.headers["Retry-After"]) >= 1
            await asyncio.sleep(int(b.headers["Retry-After"]) + 0.1)
            ok = await c.request("GET", "/api/v3/time", signed=False)
            assert ok.status == 200
            assert (ex.stats["rate_limit"], ex.stats["ban"]) == (1, 1)

    run(go())


def test_unknown_outcome_answers_1006_or_1007_and_the_order_may_exist() -> None:
    async def go(seed: int) -> tuple[list[int], list[bool]]:
        faults = Faults(unknown_outcome=1.0)
        async with make_loopback(seed=seed, faults=faults) as ex, SignedClient(ex) as c:
            codes, placed = [], []
            for k in range(16):
                cid = f"u{k}"
                a = await c.request("POST", "/api/v3/order", dict(BUY, newClientOrderId=cid))
                codes.append(a.json["code"])
                assert a.status == (500 if a.json["code"] == -1006 else 503)
                [e] = binance_spot.parse_error(a.json, cid)
                assert type(e).__name__ == "SubmissionTimedOut"
                placed.append(ex.model.order(cid) is not None)
            # Reads are never answered "unknown": only mutations are.
            assert (await c.request("GET", "/api/v3/account")).status == 200
            assert ex.stats["unknown_executed"] == sum(placed)
            return codes, placed

    codes, placed = run(go(25))
    assert set(codes) == {-1006, -1007}, "seed 25"
    assert any(placed) and not all(placed), "seed 25"
    assert run(go(25)) == (codes, placed), "seed 25: not reproducible"


def test_ping_frames_keep_an_idle_subscription_alive() -> None:
    async def go() -> None:
        async with make_loopback(heartbeat=0.2) as ex, SignedClient(ex) as c:
            ws, _ = await c.user_stream()
            # Several heartbeats; the client answers the pings while it reads.
            assert await receive_events(ws, quiet=0.8) == []
            assert not ws.closed and ex.subscriptions == 1
            ex.deposit("BTC", Decimal("1"))
            msgs = await receive_events(ws, quiet=0.3)
            assert [m["event"]["e"] for m in msgs] == ["balanceUpdate", "outboundAccountPosition"]
            await ws.close()

    run(go())


def test_a_client_that_never_answers_pings_is_disconnected() -> None:
    async def go() -> None:
        async with make_loopback(heartbeat=0.2) as ex, SignedClient(ex) as c:
            ws = await c.session.ws_connect(ex.ws_api_url, autoping=False)
            await ws.send_json(c.subscribe_request(1))
            kinds = []
            for _ in range(10):
                msg = await ws.receive(timeout=3)
                kinds.append(msg.type)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            assert aiohttp.WSMsgType.PING in kinds
            assert kinds[-1] in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), kinds

    run(go())
