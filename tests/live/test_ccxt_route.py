"""The ccxt route: the Runner over a real ccxt.pro Binance client pointed at the loopback.

A seeded bot places, cancels and amends orders while the venue moves its price and fills;
at quiescence (faults off, everything delivered, a fresh snapshot, nothing in doubt) the
Inventory equals the exchange model (P2: balances, open orders, every bot order's status
and filled quantity), and replaying the journal gives the same Inventory. Then the same
over the real ``invsync loopback`` command in a subprocess, with the venue's own REST
answers as the truth.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import ccxt

from core import Inventory
from core.instrument import Instrument
from invsync.live import Journal, OrderRefused, RateLimited, Runner, rebuild
from invsync.live.ccxt_route import CcxtVenue, ccxt_events
from invsync.live.loopback import Faults, LoopbackExchange
from invsync.live.records import Row
from invsync.live.replay import state_digest
from tests.live.conftest import (
    LoopbackProcess,
    SignedClient,
    ccxt_binance,
    make_loopback,
    run,
)
from tests.live.fault_world import CONFIG as WORLD_CONFIG
from tests.live.fault_world import spot_differences

BTC_USDT = Instrument(symbol="BTC/USDT", kind="spot", base="BTC", quote="USDT")
ASSETS = ("USDT", "BTC")
# The fault world's timings, with a slower request timeout for ccxt's own overhead.
CONFIG = attrs.evolve(
    WORLD_CONFIG,
    request_timeout=1.0,
    backoff_max=0.3,
    reconcile_interval=1.0,
    jitter_seed=1,
)
MIX = Faults(
    drop=0.1,
    duplicate=0.1,
    reorder=0.1,
    reorder_hold=0.1,
    delay=0.1,
    max_delay=0.2,
    disconnect=0.03,
    shutdown=0.03,
    rest_5xx=0.05,
    unknown_outcome=0.15,
)


async def _bot(rng: random.Random, ex: LoopbackExchange, runner: Runner, cids: list[str]) -> None:
    """One seeded bot action (or a venue move)."""
    last = ex.model.prices["BTCUSDT"]
    live = [o for o in runner.inventory.open_orders() if o.status in ("open", "partially_filled")]
    roll = rng.random()
    try:
        if roll < 0.45 or not live:
            side = rng.choice(("buy", "sell"))
            away = Decimal(rng.randint(-3, 30)) / 1000  # a few cross: takers
            price = last * (1 - away) if side == "buy" else last * (1 + away)
            qty = Decimal(rng.randint(1, 40)) / 1000
            cid = runner.new_client_order_id()
            cids.append(cid)
            await runner.place(
                "BTC/USDT", side, qty, price.quantize(Decimal("0.01")), client_order_id=cid
            )
        elif roll < 0.6:
            o = rng.choice(live)
            assert o.client_order_id is not None
            await runner.cancel(o.client_order_id)
        elif roll < 0.7:
            o = rng.choice(live)
            assert o.client_order_id is not None and o.quantity is not None
            new_qty = (o.quantity * Decimal("0.6")).quantize(Decimal("0.001"))
            if new_qty > o.filled_quantity:
                await runner.amend(o.client_order_id, new_qty)
        elif roll < 0.9:
            move = Decimal(rng.randint(-15, 15)) / 1000
            ex.match("BTCUSDT", (last * (1 + move)).quantize(Decimal("0.01")))
        elif live[0].order_id is not None:
            o = rng.choice(live)
            ex.fill(o.order_id or "", (o.remaining_quantity / 2).quantize(Decimal("0.001")))
    except (RateLimited, OrderRefused):
        pass  # refused before anything was sent: the Inventory recorded nothing


async def _quiesce(runner: Runner, ex: LoopbackExchange | None = None) -> None:
    if ex is not None:
        ex.faults = Faults()
        await ex.drain()
    await runner.wait_synced(8)
    await runner.reconcile(8)
    deadline = time.monotonic() + 8
    while not runner.quiet() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if ex is not None:
        await ex.drain()
    await asyncio.sleep(0.2)


async def _world(seed: int, faults: Faults, steps: int, path: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    ex = make_loopback(seed=seed, balances={"USDT": Decimal(100000), "BTC": Decimal(5)})
    violations: list[str] = []
    box: list[Runner] = []
    checks = 0

    def check(where: str) -> None:
        # P3 (the true total inside the exposure) and P6 (free never above the truth),
        # once synced; P3 is promised only without drops.
        nonlocal checks
        if not box or box[0].inventory.sync_state not in ("synced", "settling"):
            return
        inv = box[0].inventory
        checks += 1
        for asset in ASSETS:
            true, x = ex.model.balance(asset), inv.exposure(asset)
            if not faults.drop and not x.low <= true.total <= x.high:
                violations.append(f"P3 {where}: {asset} {true.total} not in [{x.low}, {x.high}]")
            if inv.balance(asset).free > true.free:
                violations.append(f"P6 {where}: {asset} free {inv.balance(asset).free}")

    def on_apply(row: Row, events: list[Any], error: str | None) -> None:
        check(f"row {row.seq} ({row.kind})")

    async with ex:
        venue = CcxtVenue(ccxt_binance(ex))
        runner = Runner(venue, path, Inventory([BTC_USDT]), CONFIG, on_apply=on_apply)
        box.append(runner)
        cids: list[str] = []
        async with runner:
            await runner.wait_synced(8)
            ex.faults = faults
            for _ in range(steps):
                await _bot(rng, ex, runner, cids)
                check("bot step")
                await asyncio.sleep(0.02)
            await _quiesce(runner, ex)
            diffs = spot_differences(ex, runner.inventory, cids)
            quiet = runner.quiet()
            live = state_digest(runner.inventory, tuple(cids))
            counters = dict(runner.counters)
        injected = {k: v for k, v in ex.stats.items() if v}
    journal = Journal(path)
    try:
        replayed, _ = rebuild(journal)
    finally:
        journal.close()
    return {
        "diffs": diffs,
        "violations": violations[:5],
        "checks": checks,
        "quiet": quiet,
        "replay_equal": state_digest(replayed, tuple(cids)) == live,
        "orders": len(cids),
        "counters": counters,
        "injected": injected,
    }


def test_the_runner_over_ccxt_converges_to_the_model(tmp_path: Path) -> None:
    seed = 3
    out = run(_world(seed, Faults(), 30, tmp_path / "ccxt.journal"), 40)
    assert out["diffs"] == [] and out["violations"] == [], f"seed {seed}: {out}"
    assert out["checks"] > 50, f"seed {seed}: {out}"
    assert out["quiet"] and out["replay_equal"], f"seed {seed}: {out}"
    assert out["orders"] >= 8, f"seed {seed}: {out}"


def test_the_runner_over_ccxt_converges_under_a_fault_mix(tmp_path: Path) -> None:
    seed = 8
    out = run(_world(seed, MIX, 30, tmp_path / "ccxt-mix.journal"), 50)
    assert out["diffs"] == [] and out["violations"] == [], f"seed {seed}: {out}"
    assert out["quiet"] and out["replay_equal"], f"seed {seed}: {out}"
    injected = out["injected"]
    assert injected.get("unknown_outcome", 0) + injected.get("rest_5xx", 0) > 0, out
    # Every watch exception (disconnect, shutdown) ended the stream and was resynced.
    counters = out["counters"]
    assert counters["snapshots"] >= counters["connects"], out


def test_ccxt_failures_are_journaled_without_the_request_url_or_signature() -> None:
    venue = CcxtVenue(ccxt_binance(_Nowhere()))
    try:
        secret_url = "binance GET http://127.0.0.1:1/api/v3/account?timestamp=1&signature=abcdef"
        r = venue._failure("fetch_balance", ccxt.ExchangeNotAvailable(secret_url))
        assert (r.status, r.error, r.text) == (0, "ExchangeNotAvailable", "")
        body = '{"code": -2010, "msg": "Account has insufficient balance for requested action."}'
        r = venue._failure("create_order", ccxt.InsufficientFunds(f"binance {body}"))
        assert (r.status, r.error) == (400, "InsufficientFunds") and "-2010" in r.text
        r = venue._failure("cancel_order", ccxt.OrderNotFound(f"binance {secret_url}"))
        assert r.status == 404 and "signature" not in r.text
        r = venue._failure("create_order", ccxt.DDoSProtection("binance 429"))
        assert r.status == 429 and venue.blocked_for() > 0
        assert "redacted" in repr(venue) and "loopback-secret" not in repr(venue)
    finally:
        run(venue.close())

    # The codec maps each class of answer as the runner's Binance codec does.
    def answer(op: str, status: int, **extra: Any) -> list[Any]:
        body = {"op": op, "cid": "c1", "status": status, "text": "", "error": "X", **extra}
        return ccxt_events(Row(1, "answer", "rest", json.dumps(body)))

    assert [type(e).__name__ for e in answer("place", 0)] == ["SubmissionTimedOut"]
    assert [type(e).__name__ for e in answer("place", 400)] == ["SubmissionFailed"]
    assert [type(e).__name__ for e in answer("place", 429)] == ["SubmissionFailed"]
    assert [type(e).__name__ for e in answer("cancel", 404)] == ["CancelFailed"]
    assert answer("cancel", 0) == []
    assert [type(e).__name__ for e in answer("query", 404)] == ["OrderNotFound"]
    assert [type(e).__name__ for e in answer("amend", 400, quantity="0.1")] == ["AmendFailed"]


class _Nowhere:
    rest_url = "http://127.0.0.1:1"
    ws_api_url = "ws://127.0.0.1:1/ws-api/v3"


def test_invsync_loopback_a_ccxt_client_and_the_runner_converge(tmp_path: Path) -> None:
    """The command in a subprocess (its random-walk market filling orders), ccxt, the
    runner: once the bot cancels what is left and all is quiet, the Inventory equals what
    the venue's REST API says."""
    proc = LoopbackProcess(
        "--seed",
        "9",
        "--tick-ms",
        "30",
        "--volatility",
        "0.004",
        "--symbol",
        "BTC/USDT=50000",
        "--balance",
        "USDT=100000",
        "--balance",
        "BTC=5",
        "--faults",
        "duplicate=0.1,reorder=0.1,delay=0.1,max_delay=0.2",
    )
    try:
        out = run(_process_world(proc, tmp_path / "proc.journal"), 50)
    finally:
        status, err = proc.stop()
    assert status == 0, err
    assert out["diffs"] == [], f"seed 9: {out}"
    assert out["fills"] > 0, f"seed 9: the market filled nothing: {out}"
    # `invsync replay` (another process, nothing but the file) rebuilds the same balances.
    cmd = [sys.executable, "-c", "import sys; from invsync.cli import main; sys.exit(main())"]
    done = subprocess.run(
        [*cmd, "replay", str(tmp_path / "proc.journal"), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    replayed = json.loads(done.stdout)["balances"]
    assert {a: replayed[a] for a in ASSETS} == out["balances"]


async def _process_world(proc: LoopbackProcess, path: Path) -> dict[str, Any]:
    rng = random.Random(9)
    runner = Runner(CcxtVenue(ccxt_binance(proc)), path, Inventory([BTC_USDT]), CONFIG)
    async with runner, SignedClient(proc) as truth:
        await runner.wait_synced(8)
        for _ in range(12):
            side = rng.choice(("buy", "sell"))
            away = Decimal(rng.randint(1, 8)) / 1000
            price = Decimal(50000) * (1 - away if side == "buy" else 1 + away)
            qty = Decimal(rng.randint(1, 20)) / 1000
            await runner.place("BTC/USDT", side, qty, price.quantize(Decimal("0.01")))
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # the market walks and fills some
        for o in runner.inventory.open_orders():
            if o.client_order_id is not None and o.status in ("open", "partially_filled"):
                await runner.cancel(o.client_order_id)
        await _quiesce(runner)
        account = (await truth.request("GET", "/api/v3/account")).json
        still_open = (await truth.request("GET", "/api/v3/openOrders")).json
        trades = (await truth.request("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})).json
        diffs = []
        for b in account["balances"]:
            if b["asset"] not in ASSETS:
                continue
            local = runner.inventory.balance(b["asset"])
            venue = (Decimal(b["free"]) + Decimal(b["locked"]), Decimal(b["free"]))
            if (local.total, local.free) != venue:
                diffs.append(f"balance {b['asset']}: local {local} != venue {venue}")
        local_open = sorted(str(o.order_id) for o in runner.inventory.open_orders())
        if local_open != sorted(str(o["orderId"]) for o in still_open):
            diffs.append(f"open orders: local {local_open} != venue {still_open}")
        balances = {
            a: {
                k: str(getattr(runner.inventory.balance(a), k)) for k in ("total", "free", "locked")
            }
            for a in ASSETS
        }
        return {"diffs": diffs, "fills": len(trades), "quiet": runner.quiet(), "balances": balances}
