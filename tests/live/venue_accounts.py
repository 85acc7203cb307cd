"""Derivative accounts on their loopbacks, shared by the venue tests: the loopback and the
runner client of each venue (Binance USD-M, Bybit, OKX) with the same credentials, and
the fault-matrix cell (tests/live/test_venue_runner.py, test_venue_crash.py): a runner
living an account's life (positions open, flip and close; funding; a liquidation) under
given faults, checked against the model's truth (P2), P3 and its journal's replay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

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
#: Per venue: the instrument its account trades and the venue's quantity unit (OKX: contracts).
INSTRUMENT: dict[str, Instrument] = {"binance_usdm": BTCUSDT, "bybit": BTCUSDT, "okx": SWAP}
UNIT: dict[str, Decimal] = {"binance_usdm": D(1), "bybit": D(1), "okx": D("0.01")}
L = TypeVar("L", bound=DerivativeLoopback)
LOOPBACKS: dict[str, type[DerivativeLoopback]] = {
    "binance_usdm": BinanceUsdmLoopback,
    "bybit": BybitLoopback,
    "okx": OkxLoopback,
}


def loopback(
    kind: type[L],
    *,
    balance: str = "100",
    price: Decimal | None = None,
    seed: int = 0,
    faults: Faults | None = None,
    key: str = KEY,
    secret: str = SECRET,
    passphrase: str = PASSPHRASE,
    instrument: Instrument | None = None,
) -> L:
    """A loopback of ``kind`` (not started) with one account holding ``balance`` USDT."""
    inst = instrument or INSTRUMENT[kind.venue]
    return kind(
        [inst],
        {"USDT": D(balance)},
        seed=seed,
        faults=faults,
        prices=None if price is None else {inst.symbol: price},
        api_key=key,
        api_secret=secret,
        passphrase=passphrase,
    )


def client(
    venue: str,
    ex: DerivativeLoopback,
    *,
    key: str = KEY,
    secret: str = SECRET,
    passphrase: str = PASSPHRASE,
    instrument: Instrument | None = None,
    **options: Any,
) -> Any:
    """The venue's runner client of ``ex`` (timeout 2 s; ``options``: USD-M keepalive,
    max_age)."""
    inst = instrument or INSTRUMENT[venue]
    if venue == "binance_usdm":
        return BinanceUsdmVenue(
            rest_url=ex.rest_url,
            ws_base=f"{ex.ws_base}/private",
            credentials=Credentials(key, secret),
            timeout=2.0,
            **options,
        )
    if venue == "bybit":
        return BybitVenue(
            rest_url=ex.rest_url,
            ws_url=f"{ex.ws_base}/v5/private",
            credentials=Credentials(key, secret),
            instruments=[inst],
            timeout=2.0,
        )
    return OkxVenue(
        rest_url=ex.rest_url,
        ws_url=f"{ex.ws_base}/ws/v5/private",
        credentials=Credentials(key, secret, passphrase),
        instruments=[inst],
        timeout=2.0,
    )


def account(
    venue: str, faults: Faults, seed: int, **options: Any
) -> tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]:
    """A fault-matrix account: the loopback (10000 USDT, price 100) and its client maker."""
    ex = loopback(LOOPBACKS[venue], balance="10000", price=D("100"), seed=seed, faults=faults)
    return ex, lambda lb: client(venue, lb, **options)


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
