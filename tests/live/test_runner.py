"""The runner's behaviours against the loopback exchange, one at a time."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from core import Inventory
from invsync.live import (
    BinanceSpotClient,
    Journal,
    RateLimited,
    Reply,
    Runner,
    RunnerConfig,
    WeightBudget,
)
from invsync.live.loopback import Faults, LoopbackExchange
from tests.live.conftest import BTCUSDT, KEY, SECRET, make_loopback, run

FAST = RunnerConfig(
    request_timeout=0.4,
    backoff_initial=0.05,
    backoff_max=0.3,
    cycle=0.05,
    inflight_threshold=0.1,
    inflight_interval=0.1,
    reconcile_interval=60,
    checkpoint_every=1000,
    jitter_seed=1,
)


@asynccontextmanager
async def _runner(
    ex: LoopbackExchange, path: Path, config: RunnerConfig = FAST
) -> AsyncIterator[Runner]:
    client = BinanceSpotClient(ex.rest_url, ex.ws_api_url, KEY, SECRET, config)
    async with Runner(client, path, Inventory([BTCUSDT]), config) as runner:
        await runner.wait_synced(5)
        yield runner


async def _until(cond: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def _rows(path: Path) -> list[tuple[str, str, dict[str, object] | str]]:
    j = Journal(path)
    try:
        out: list[tuple[str, str, dict[str, object] | str]] = []
        for r in j.rows():
            body: dict[str, object] | str = r.body
            if r.kind in ("answer", "intent", "status", "note"):
                body = json.loads(r.body)
            out.append((r.kind, r.source, body))
        return out
    finally:
        j.close()


def test_intent_is_journaled_and_reserved_before_the_request_leaves(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            seen: list[str] = []
            real = runner.venue.place

            async def spy(
                symbol: str,
                side: str,
                quantity: Decimal,
                price: Decimal | None,
                client_order_id: str,
            ) -> Reply:
                # At the moment the request leaves, the intent is journaled and applied.
                last = list(runner.journal.rows())[-1]
                seen.append(last.kind)
                assert runner.inventory.balance("USDT").free == Decimal("10000") - Decimal(400)
                return await real(symbol, side, quantity, price, client_order_id)

            runner.venue.place = spy  # type: ignore[method-assign]
            cid = await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
            assert seen == ["intent"]
            assert runner.inventory.order(cid).status == "open"  # type: ignore[union-attr]

    run(scenario())


@pytest.mark.parametrize("executed", [True, False])
def test_unknown_outcome_is_queried_never_failed_by_time(tmp_path: Path, executed: bool) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            ex.faults = Faults(unknown_outcome=1.0, executed_share=1.0 if executed else 0.0)
            cid = await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
            ex.faults = Faults()
            order = runner.inventory.order(cid)
            assert order is not None
            assert order.status in ("unknown", "open")  # the stream may already have told
            want = "open" if executed else "rejected"
            await _until(lambda: runner.inventory.order(cid).status == want)  # type: ignore[union-attr]
            rows = _rows(tmp_path / "j")
            answers = [b for k, _, b in rows if k == "answer" and isinstance(b, dict)]
            assert answers[0]["op"] == "place" and answers[0]["status"] in (500, 503)
            if not executed:
                assert any(a["op"] == "query" for a in answers)
            assert sum(1 for a in answers if a["op"] == "place") == 1, "a mutation was retried"

    run(scenario())


def test_unknown_cancel_that_did_not_happen_is_settled_by_a_query(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            cid = await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
            ex.faults = Faults(rest_5xx=1.0, executed_share=0.0)
            await runner.cancel(cid)
            ex.faults = Faults()
            assert runner.inventory.order(cid).status == "pending_cancel"  # type: ignore[union-attr]
            await _until(lambda: runner.inventory.order(cid).status == "open")  # type: ignore[union-attr]
            assert ex.model.order(cid).status == "new"  # type: ignore[union-attr]

    run(scenario())


def test_a_refused_amend_is_amend_failed_and_a_taken_one_is_reported(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            cid = await runner.place("BTCUSDT", "sell", Decimal("0.5"), Decimal("60000"))
            await runner.amend(cid, Decimal("0.6"))  # a raise: Binance refuses (-2038)
            await runner.amend(cid, Decimal("0.2"))
            await _until(lambda: runner.inventory.order(cid).quantity == Decimal("0.2"))  # type: ignore[union-attr]
            await _until(runner.quiet)
            assert runner.inventory.balance("BTC").free == ex.model.balance("BTC").free
            assert ex.model.order(cid).quantity == Decimal("0.2")  # type: ignore[union-attr]

    run(scenario())


def test_rate_limit_is_honoured_and_nothing_is_sent_meanwhile(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            ex.faults = Faults(rate_limit=1.0, retry_after=1)
            cid = await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
            ex.faults = Faults()
            assert runner.inventory.order(cid).status == "rejected"  # type: ignore[union-attr]
            assert runner.venue.blocked_for() > 0
            with pytest.raises(RateLimited):
                await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
            await runner.reconcile(5)  # waits out Retry-After, then fetches
            assert ex.stats["ban"] == 0, "a request was sent inside Retry-After"
            assert ex.model.order(cid) is None

    run(scenario())


def test_server_shutdown_reconnects_at_once_and_resyncs(tmp_path: Path) -> None:
    async def scenario() -> None:
        slow = attrs.evolve(FAST, backoff_initial=5.0, backoff_max=5.0)
        async with make_loopback() as ex, _runner(ex, tmp_path / "j", slow) as runner:
            snapshots = runner.counters["snapshots"]
            ex.disconnect_all("shutdown")
            # A planned disconnect skips the (here 5 s) backoff.
            await _until(lambda: runner.counters["connects"] == 2, timeout=2.0)
            await _until(lambda: runner.counters["snapshots"] == snapshots + 1, timeout=2.0)
            kinds = [(k, b) for k, _, b in _rows(tmp_path / "j") if k == "status"]
            assert [b["state"] for _, b in kinds] == [  # type: ignore[index]
                "connected",
                "disconnected",
                "connected",
            ]

    run(scenario())


def test_a_disconnect_makes_the_account_stale_until_the_next_snapshot(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with make_loopback() as ex, _runner(ex, tmp_path / "j") as runner:
            states: list[str] = []
            ex.disconnect_all("close")
            await _until(lambda: runner.counters["disconnects"] == 1)
            states.append(runner.inventory.sync_state)
            await runner.wait_synced(5)
            assert states[0] in ("stale", "resyncing")
            rows = [k for k, _, _ in _rows(tmp_path / "j")]
            # After the break: a connection, then a snapshot.
            last_break = max(i for i, k in enumerate(rows) if k == "status")
            assert "snapshot" in rows[last_break:]

    run(scenario())


def test_restart_replays_the_journal_then_resyncs(tmp_path: Path) -> None:
    async def scenario() -> None:
        path = tmp_path / "j"
        async with make_loopback() as ex:
            async with _runner(ex, path) as runner:
                cid = await runner.place("BTCUSDT", "buy", Decimal("0.02"), Decimal("40000"))
                ex.fill(cid, Decimal("0.01"))
                await _until(
                    lambda: runner.inventory.order(cid).filled_quantity == Decimal("0.01")  # type: ignore[union-attr]
                )
                before = runner.inventory.balance("BTC")
            ex.fill(cid, Decimal("0.01"))  # happens while the runner is down
            client = BinanceSpotClient(ex.rest_url, ex.ws_api_url, KEY, SECRET, FAST)
            restarted = Runner(client, path, None, FAST)
            assert restarted.inventory.balance("BTC") == before  # replayed, not yet synced
            async with restarted:
                await restarted.wait_synced(5)
                await _until(
                    lambda: restarted.inventory.order(cid).status == "filled"  # type: ignore[union-attr]
                )
                await _until(restarted.quiet)
                assert restarted.inventory.balance("BTC") == ex.model.balance("BTC")
                rows = _rows(path)  # before close() compacts them into a checkpoint
            assert rows[0][0] == "checkpoint"  # the first run's close compacted its rows
            notes = [b for k, _, b in rows if k == "note" and isinstance(b, dict)]
            assert any(n["what"] == "restart" for n in notes)

    run(scenario(), timeout=30)


def test_weight_budget_never_spends_more_than_its_window_allows() -> None:
    async def scenario() -> None:
        budget = WeightBudget(per_minute=100, window=0.3)
        loop = asyncio.get_running_loop()
        for _ in range(8):
            await budget.acquire(40)
            assert budget.used(loop.time()) <= 100

    run(scenario())


def test_connection_age_limit_reconnects_without_backoff_and_resyncs(tmp_path: Path) -> None:
    async def scenario() -> None:
        # Binance closes a connection at 24 h; the runner replaces it first (here: 0.3 s).
        aged = attrs.evolve(FAST, max_connection_age=0.3, backoff_initial=5.0, backoff_max=5.0)
        async with make_loopback() as ex, _runner(ex, tmp_path / "j", aged) as runner:
            await _until(lambda: runner.counters["connects"] >= 3, timeout=3.0)
            await runner.wait_synced(3)
            assert runner.counters["snapshots"] >= runner.counters["connects"] - 1
            reasons = [
                b["reason"]
                for k, _, b in _rows(tmp_path / "j")
                if k == "status" and isinstance(b, dict) and b["state"] == "disconnected"
            ]
            assert reasons and all("age limit" in str(r) for r in reasons)

    run(scenario())
