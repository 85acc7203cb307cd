"""The runner (issue 17) on the derivative venues: each venue's ``Venue`` client against
its loopback exchange on 127.0.0.1, per fault kind.

A derivative account's life goes through the real ``Runner`` (journal on disk, requests
loop, resyncs, in-flight queries): the bot places, amends and cancels through the
runner; the venue fills, moves the price, pays funding and liquidates (positions open,
flip and close). Under each fault kind (none, duplicate/reorder/delay, drop, disconnect,
REST 5xx) the runner's Inventory must equal the model's truth once the faults stop and a
reconciliation ran (P2), and replaying the journal must rebuild the same Inventory.
Every failure prints the seed; servers and runners are stopped by the test; every wait
is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from core.instrument import Instrument
from core.inventory import Inventory
from invsync.live.config import RunnerConfig
from invsync.live.journal import Journal
from invsync.live.journaled import rebuild
from invsync.live.loopback.faults import Faults
from invsync.live.loopback.venues.base import DerivativeLoopback
from invsync.live.loopback.venues.binance_usdm import BinanceUsdmLoopback
from invsync.live.loopback.venues.bybit import BybitLoopback
from invsync.live.loopback.venues.okx import OkxLoopback
from invsync.live.records import Row
from invsync.live.runner import OrderRefused, Runner
from invsync.live.venue import RateLimited
from invsync.live.venues.binance_usdm.venue import BinanceUsdmVenue
from invsync.live.venues.bybit.venue import BybitVenue
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.okx.venue import OkxVenue

D = Decimal
KEY, SECRET, PASSPHRASE = "loopback-key", "loopback-secret", "loopback-pass"
BTCUSDT = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
SWAP = Instrument(
    symbol="BTC-USDT-SWAP", kind="linear", base="BTC", quote="USDT", contract_size=D("0.01")
)

FAULTS: dict[str, Faults] = {
    "none": Faults(),
    "rate_limit": Faults(rate_limit=0.1, retry_after=1),
    "unknown_outcome": Faults(unknown_outcome=0.3),
    "rest_timeout": Faults(rest_timeout=0.2, timeout=3.0),  # answered after the client gave up
    "mix": Faults(
        drop=0.05,
        duplicate=0.05,
        reorder=0.05,
        delay=0.05,
        max_delay=0.05,
        reorder_hold=0.05,
        disconnect=0.04,
        rest_5xx=0.05,
        unknown_outcome=0.05,
    ),
    "shuffle": Faults(duplicate=0.15, reorder=0.15, delay=0.15, max_delay=0.05, reorder_hold=0.05),
    "drop": Faults(drop=0.12),
    "disconnect": Faults(disconnect=0.15),
    "rest_5xx": Faults(rest_5xx=0.15),
}
CONFIG = RunnerConfig(
    inflight_threshold=0.05,
    inflight_interval=0.05,
    inflight_max_interval=0.2,
    cycle=0.02,
    reconcile_interval=3600.0,
    request_timeout=2.0,
    backoff_initial=0.02,
    backoff_max=0.1,
    jitter_seed=1,
)


class P3Check:
    """P3 for the position, after every applied journal row and bot step: the true position
    lies in the Inventory's exposure range (once synced; until an exogenous change)."""

    def __init__(self, ex: DerivativeLoopback, symbol: str) -> None:
        self.ex = ex
        self.symbol = symbol
        self.runner: Runner | None = None
        self.checks = 0
        self.violations: list[str] = []
        self.active = True
        self.synced = False

    def stop(self, why: str) -> None:
        self.active = False

    def check(self, where: str) -> None:
        if self.runner is None or not self.active:
            return
        inv = self.runner.inventory
        self.synced = self.synced or inv.sync_state in ("synced", "settling")
        if not self.synced:
            return
        self.checks += 1
        true = self.ex.model.position(self.symbol).quantity
        x = inv.exposure(self.symbol)
        if not x.low <= true <= x.high:
            self.violations.append(f"P3 {where}: position {true} outside [{x.low}, {x.high}]")

    def on_apply(self, row: Row, events: list[Any], error: str | None) -> None:
        self.check(f"row {row.seq} ({row.kind})")


def differences(inv: Inventory, ex: DerivativeLoopback, keys: list[str]) -> list[str]:
    """Where the Inventory differs from the model's truth (empty: converged)."""
    out = []
    model = ex.model
    for inst in model.instruments.values():
        truth, mine = model.position(inst.symbol), inv.position(inst.symbol)
        if (mine.quantity, mine.entry_price) != (truth.quantity, truth.entry_price):
            out.append(f"position {inst.symbol}: {mine} != {truth}")
        b, t = inv.balance(inst.settle), model.balance(inst.settle)
        if (b.total, b.free) != (t.total, t.free):
            out.append(f"balance {inst.settle}: {b} != {t}")
    for key in keys:
        o, t2 = inv.order(key), model.order(key)
        status = "rejected" if t2 is None else ("open" if t2.status == "new" else t2.status)
        filled = D(0) if t2 is None else t2.filled
        if o is None or (o.status, o.filled_quantity) != (status, filled):
            out.append(f"order {key}: {o} != {status} {filled}")
    return out


async def account_life(
    runner: Runner, ex: DerivativeLoopback, symbol: str, unit: Decimal, p3: P3Check
) -> list[str]:
    """Open, add, amend, flip, fund, cancel, close by liquidation; returns the bot's ids."""
    keys = []

    async def place(key: str, side: str, qty: str, price: str | None) -> None:
        for _ in range(10):
            try:
                await runner.place(
                    symbol,
                    side,
                    D(qty) / unit,
                    None if price is None else D(price),
                    client_order_id=key,
                )
                break
            except RateLimited:  # refused before it left: wait as told, try again
                await asyncio.sleep(runner.venue.blocked_for() + 0.01)
        keys.append(key)
        p3.check(f"after placing {key}")
        await asyncio.sleep(0.01)

    await place("b1", "buy", "2", "99")  # rests below the last price (100)
    ex.fill("b1", D("0.5") / unit)  # open long, partial
    # Under REST faults b1 may never have been placed; a rate limit refuses before sending.
    with contextlib.suppress(OrderRefused, RateLimited):
        await runner.amend("b1", D("1.5") / unit)  # reduce what rests
    await asyncio.sleep(0.01)
    ex.match(symbol, D("98"))  # fills the rest
    await place("s1", "sell", "3", None)  # market: flips to short 1.5
    ex.funding(symbol, D("-1.5"))
    ex.funding(symbol, D("0.25"))
    await place("b2", "buy", "0.5", "97")
    with contextlib.suppress(OrderRefused, RateLimited):
        await runner.cancel("b2")
    await place("s2", "sell", "1", "120")  # rests
    ex.match(symbol, D("121"))  # fills s2: short 2.5
    p3.stop("a liquidation is exogenous: outside any bound (DESIGN P3)")
    ex.liquidate(symbol, D("5") / unit, D("125"))  # closes the short
    await place("b3", "buy", "1", "90")  # stays open
    await asyncio.sleep(0.05)
    return keys


async def run_matrix_cell(
    tmp: Path,
    make: Callable[[Faults], tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]],
    instrument: Instrument,
    unit: Decimal,
    faults: Faults,
    seed: int,
    config: RunnerConfig = CONFIG,
) -> dict[str, Any]:
    ex, venue_of = make(faults)
    journal = tmp / f"journal-{seed}.sqlite"
    p3 = P3Check(ex, instrument.symbol)
    await ex.start()
    try:
        runner = Runner(
            venue_of(ex), journal, Inventory([instrument]), config, on_apply=p3.on_apply
        )
        p3.runner = runner
        async with runner:
            await runner.wait_synced(10)
            keys = await account_life(runner, ex, instrument.symbol, unit, p3)
            lossy = bool(faults.drop or faults.disconnect or faults.shutdown)
            ex.faults = Faults()
            await ex.drain()
            diffs: list[str] = []
            if not lossy:
                # Everything was delivered at least once: the stream (and the runner's own
                # order queries) must converge without a new snapshot (P2).
                before = runner.counters["snapshots"]
                for _ in range(60):
                    await asyncio.sleep(0.05)
                    diffs = differences(runner.inventory, ex, keys)
                    if not diffs:
                        break
                assert not diffs, f"seed {seed}: stream alone: {diffs}; faults {dict(ex.stats)}"
                assert runner.counters["snapshots"] == before, f"seed {seed}: resynced"
            for _ in range(40):
                await runner.reconcile(10)
                await asyncio.sleep(0.05)
                diffs = differences(runner.inventory, ex, keys)
                if not diffs and runner.quiet():
                    break
            assert not diffs, f"seed {seed}: {diffs}; faults {dict(ex.stats)}"
            counters = dict(runner.counters)
            live = runner.inventory
        if not (faults.drop or faults.disconnect):
            assert p3.checks > 10 and not p3.violations, f"seed {seed}: {p3.violations[:3]}"
        rebuilt, _ = rebuild(Journal(journal))
        assert differences(rebuilt, ex, keys) == [], f"seed {seed}: replay differs"
        assert rebuilt.balance(instrument.settle) == live.balance(instrument.settle)
        return counters | {f"fault:{k}": v for k, v in ex.stats.items()} | {"p3_checks": p3.checks}
    finally:
        await ex.stop()


def _bybit(
    faults: Faults, seed: int
) -> tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]:
    ex = BybitLoopback(
        [BTCUSDT],
        {"USDT": D("10000")},
        seed=seed,
        faults=faults,
        prices={"BTCUSDT": D("100")},
        api_key=KEY,
        api_secret=SECRET,
    )

    def venue(lb: DerivativeLoopback) -> BybitVenue:
        assert isinstance(lb, BybitLoopback)
        return BybitVenue(
            rest_url=lb.rest_url,
            ws_url=lb.ws_private_url,
            credentials=Credentials(KEY, SECRET),
            instruments=[BTCUSDT],
            timeout=2.0,
        )

    return ex, venue


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_bybit_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    seed = 11
    stats = asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(
                tmp_path, lambda f: _bybit(f, seed), BTCUSDT, D(1), FAULTS[fault], seed
            ),
            60,
        )
    )
    if fault != "none":
        assert any(k.startswith("fault:") for k in stats), (fault, stats)
    print(f"bybit {fault}: {stats}")


def _okx(
    faults: Faults, seed: int
) -> tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]:
    ex = OkxLoopback(
        [SWAP],
        {"USDT": D("10000")},
        seed=seed,
        faults=faults,
        prices={SWAP.symbol: D("100")},
        api_key=KEY,
        api_secret=SECRET,
        passphrase=PASSPHRASE,
    )

    def venue(lb: DerivativeLoopback) -> OkxVenue:
        assert isinstance(lb, OkxLoopback)
        return OkxVenue(
            rest_url=lb.rest_url,
            ws_url=lb.ws_private_url,
            credentials=Credentials(KEY, SECRET, PASSPHRASE),
            instruments=[SWAP],
            timeout=2.0,
        )

    return ex, venue


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_okx_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    seed = 12
    stats = asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(
                tmp_path, lambda f: _okx(f, seed), SWAP, D("0.01"), FAULTS[fault], seed
            ),
            60,
        )
    )
    if fault != "none":
        assert any(k.startswith("fault:") for k in stats), (fault, stats)
    print(f"okx {fault}: {stats}")


def _usdm(
    faults: Faults, seed: int, keepalive: float = 1800.0
) -> tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]:
    ex = BinanceUsdmLoopback(
        [BTCUSDT],
        {"USDT": D("10000")},
        seed=seed,
        faults=faults,
        prices={"BTCUSDT": D("100")},
        api_key=KEY,
        api_secret=SECRET,
    )

    def venue(lb: DerivativeLoopback) -> BinanceUsdmVenue:
        return BinanceUsdmVenue(
            rest_url=lb.rest_url,
            ws_base=f"{lb.ws_base}/private",
            credentials=Credentials(KEY, SECRET),
            timeout=2.0,
            keepalive=keepalive,
        )

    return ex, venue


# USD-M's own planned end: the listen key expires (listenKeyExpired is pushed).
USDM_FAULTS = FAULTS | {"key_expiry": Faults(shutdown=0.15)}


@pytest.mark.parametrize("fault", sorted(USDM_FAULTS))
def test_binance_usdm_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    seed = 13
    stats = asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(
                tmp_path, lambda f: _usdm(f, seed), BTCUSDT, D(1), USDM_FAULTS[fault], seed
            ),
            60,
        )
    )
    if fault != "none":
        assert any(k.startswith("fault:") for k in stats), (fault, stats)
    if fault == "key_expiry":
        assert stats["fault:shutdown"] > 0 and stats["connects"] > 1, stats
    print(f"binance_usdm {fault}: {stats}")


@pytest.mark.parametrize("venue", ["binance_usdm", "bybit", "okx"])
def test_invsync_replay_reads_a_venue_journal_in_a_fresh_process(
    venue: str, tmp_path: Path
) -> None:
    """``invsync replay`` on a derivative venue's journal: the codec is found by its name."""
    seed = 14
    make, instrument, unit = {
        "binance_usdm": (lambda f: _usdm(f, seed), BTCUSDT, D(1)),
        "bybit": (lambda f: _bybit(f, seed), BTCUSDT, D(1)),
        "okx": (lambda f: _okx(f, seed), SWAP, D("0.01")),
    }[venue]
    rows_kept = attrs.evolve(CONFIG, checkpoint_every=0)  # no compaction: replay decodes rows
    asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(tmp_path, make, instrument, unit, Faults(), seed, rows_kept), 60
        )
    )
    journal = tmp_path / f"journal-{seed}.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "invsync.cli", "replay", str(journal), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    replayed = json.loads(done.stdout)
    live, _ = rebuild(Journal(journal))
    assert replayed["rows"] > 20, replayed
    assert replayed["balances"]["USDT"]["total"] == str(live.balance("USDT").total)
