"""One seeded world for the runner: the loopback under a fault profile and a bot trading on it.

``run_world(name, faults, seed)`` starts a LoopbackExchange and a Runner (the real Binance
spot client, a journal in a temp dir), lets a seeded bot place, cancel and amend orders
while the venue moves its price and fills, and checks after every applied journal row and
every bot step (truth = ``ex.model``):

* P3: every asset's true total lies in ``inv.exposure(asset)``;
* P6: ``inv.balance(asset).free`` is not above the true free amount.

Then it calms the venue, drains it, asks the runner for a fresh snapshot, waits until
nothing is in doubt, and checks P2 (balances, open orders, every bot order's status and
filled quantity equal the model's), that every journal row was applied exactly once, and
that replaying the journal gives the live Inventory. ``python -m tests.live.fault_world``
prints the whole matrix.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from core import Inventory
from core import events as ev
from invsync.live import BinanceSpotClient, Journal, OrderRefused, RateLimited, Runner
from invsync.live.config import RunnerConfig
from invsync.live.journaled import rebuild
from invsync.live.loopback import Faults
from invsync.live.records import Row
from invsync.live.replay import state_digest
from tests.live.conftest import BTCUSDT, KEY, SECRET, make_loopback

ASSETS = ("USDT", "BTC")

#: The matrix: one cell per fault kind, and a mix of all of them.
CELLS: dict[str, Faults] = {
    "none": Faults(),
    "drop": Faults(drop=0.15),
    "duplicate": Faults(duplicate=0.3),
    "reorder": Faults(reorder=0.3, reorder_hold=0.1),
    "delay": Faults(delay=0.3, max_delay=0.2),
    "disconnect": Faults(disconnect=0.06),
    "serverShutdown": Faults(shutdown=0.06),
    "rest_5xx": Faults(rest_5xx=0.15),
    "rest_timeout": Faults(rest_timeout=0.1, timeout=0.6),
    "rate_limit_429": Faults(rate_limit=0.08, retry_after=1),
    "unknown_outcome": Faults(unknown_outcome=0.3),
    "mix": Faults(
        drop=0.05,
        duplicate=0.05,
        reorder=0.05,
        reorder_hold=0.1,
        delay=0.1,
        max_delay=0.2,
        disconnect=0.02,
        shutdown=0.02,
        rest_5xx=0.05,
        rest_timeout=0.03,
        timeout=0.6,
        rate_limit=0.02,
        retry_after=1,
        unknown_outcome=0.1,
    ),
}

CONFIG = RunnerConfig(
    request_timeout=0.4,
    backoff_initial=0.05,
    backoff_max=0.4,
    cycle=0.05,
    inflight_threshold=0.15,
    inflight_interval=0.15,
    inflight_max_interval=0.6,
    reconcile_interval=1.5,
    queries_per_cycle=10,
    checkpoint_every=0,
)


@attrs.define
class Cell:
    """What one world observed."""

    name: str
    seed: int
    checks: int = 0
    violations: list[str] = attrs.field(factory=list)
    p2: list[str] = attrs.field(factory=list)
    rows: int = 0
    applied_once: bool = False
    replay_equal: bool = False
    bot: Counter[str] = attrs.field(factory=Counter)
    injected: dict[str, int] = attrs.field(factory=dict)
    runner: dict[str, int] = attrs.field(factory=dict)
    seconds: float = 0.0
    journal: Path | None = None

    @property
    def passed(self) -> bool:
        """P3/P6 at every step, P2 at quiescence, exactly-once, replay equality."""
        return not self.violations and not self.p2 and self.applied_once and self.replay_equal


def _model_status(status: str) -> str:
    return "open" if status == "new" else status


async def _world(
    name: str, faults: Faults, seed: int, steps: int, workdir: Path, resync: bool
) -> Cell:
    cell = Cell(name, seed)
    rng = random.Random(seed)
    ex = make_loopback(
        seed=seed,
        balances={"USDT": Decimal("100000"), "BTC": Decimal("5")},
        heartbeat=2.0,
    )
    path = workdir / f"{name}-{seed}.journal"
    cell.journal = path
    applied: list[int] = []
    synced_once = False
    runner_box: list[Runner] = []

    def check(where: str) -> None:
        nonlocal synced_once
        inv = runner_box[0].inventory if runner_box else None
        if inv is None:
            return
        if inv.sync_state in ("synced", "settling"):
            synced_once = True
        if not synced_once:
            return  # before the first snapshot the Inventory knows nothing to bound
        cell.checks += 1
        for asset in ASSETS:
            true = ex.model.balance(asset)
            x = inv.exposure(asset)
            if not x.low <= true.total <= x.high:
                cell.violations.append(
                    f"P3 {where}: {asset} true {true.total} outside [{x.low}, {x.high}]"
                )
            free = inv.balance(asset).free
            if free > true.free:
                cell.violations.append(f"P6 {where}: {asset} free {free} > true {true.free}")

    def on_apply(row: Row, events: list[ev.Event], error: str | None) -> None:
        applied.append(row.seq)
        check(f"row {row.seq} ({row.kind})")

    t0 = time.monotonic()
    async with ex:
        cfg = attrs.evolve(CONFIG, jitter_seed=seed)
        if not resync:  # the teeth check: no periodic or final snapshot
            cfg = attrs.evolve(cfg, reconcile_interval=1000.0)
        client = BinanceSpotClient(ex.rest_url, ex.ws_api_url, KEY, SECRET, cfg)
        runner = Runner(client, path, Inventory([BTCUSDT]), cfg, on_apply=on_apply)
        runner_box.append(runner)
        cids: list[str] = []
        async with runner:
            await runner.wait_synced(5)
            ex.faults = faults
            for _ in range(steps):
                await _bot_step(rng, ex, runner, cids, cell)
                check("bot step")
                await asyncio.sleep(0.02)
            # Quiescence: a calm venue, everything delivered, a fresh snapshot, no doubt left.
            ex.faults = Faults()
            await ex.drain()
            deadline = time.monotonic() + 10
            await runner.wait_synced(8)
            if resync:
                await runner.reconcile(8)
            while not runner.quiet() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await ex.drain()
            await asyncio.sleep(0.1)
            if not runner.quiet():
                cell.p2.append("runner never quiet: " + repr(runner.inventory.requests()))
            cell.p2.extend(spot_differences(ex, runner.inventory, cids))
            cell.runner = dict(runner.counters)
            journal_seqs = [r.seq for r in runner.journal.rows()]
            cell.rows = len(journal_seqs)
            cell.applied_once = applied == journal_seqs and len(set(applied)) == len(applied)
            live = state_digest(runner.inventory, tuple(cids))
            with_replay = Journal(path)
            try:
                replayed, _ = rebuild(with_replay)
            finally:
                with_replay.close()
            cell.replay_equal = state_digest(replayed, tuple(cids)) == live
            runner.config = attrs.evolve(cfg, checkpoint_every=0)
        cell.injected = {k: v for k, v in ex.stats.items() if v}
    cell.seconds = time.monotonic() - t0
    return cell


async def _bot_step(
    rng: random.Random, ex: Any, runner: Runner, cids: list[str], cell: Cell
) -> None:
    inv = runner.inventory
    last = ex.model.prices["BTCUSDT"]
    live = [o for o in inv.open_orders() if o.status in ("open", "partially_filled")]
    roll = rng.random()
    try:
        if roll < 0.40 or not live:
            side = rng.choice(("buy", "sell"))
            away = Decimal(rng.randint(1, 30)) / 1000
            taker = rng.random() < 0.1
            if taker:
                away = -away
            price = (last * (1 - away) if side == "buy" else last * (1 + away)).quantize(
                Decimal("0.01")
            )
            qty = Decimal(rng.randint(1, 40)) / 1000
            cid = runner.new_client_order_id()
            cids.append(cid)
            await runner.place("BTCUSDT", side, qty, price, client_order_id=cid)
            cell.bot["place"] += 1
        elif roll < 0.60:
            o = rng.choice(live)
            assert o.client_order_id is not None
            await runner.cancel(o.client_order_id)
            cell.bot["cancel"] += 1
        elif roll < 0.70:
            o = rng.choice(live)
            assert o.client_order_id is not None and o.quantity is not None
            new_qty = (o.quantity * Decimal("0.6")).quantize(Decimal("0.001"))
            if new_qty > 0:
                await runner.amend(o.client_order_id, new_qty)
                cell.bot["amend"] += 1
        elif roll < 0.85:
            move = Decimal(rng.randint(-15, 15)) / 1000
            ex.match("BTCUSDT", (last * (1 + move)).quantize(Decimal("0.01")))
            cell.bot["price move"] += 1
        else:
            o = rng.choice(live)
            if o.order_id is not None:
                ex.fill(int(o.order_id), (o.remaining_quantity / 2).quantize(Decimal("0.001")))
                cell.bot["venue fill"] += 1
    except RateLimited:
        cell.bot["rate limited (not sent)"] += 1
    except OrderRefused:
        cell.bot["refused locally"] += 1


def spot_differences(ex: Any, inv: Inventory, cids: list[str]) -> list[str]:
    """P2 on a spot account: where the Inventory differs from the loopback's model
    (balances, the set of open orders, each bot order's status and filled quantity)."""
    diffs = []
    for asset in ASSETS:
        true, local = ex.model.balance(asset), inv.balance(asset)
        if (true.total, true.free, true.locked) != (local.total, local.free, local.locked):
            diffs.append(f"P2 balance {asset}: local {local} != true {true}")
    venue_open = {str(ex.order_id_of(o.order_id)) for o in ex.model.open_orders()}
    local_open = {str(o.order_id) for o in inv.open_orders()}
    if venue_open != local_open:
        diffs.append(f"P2 open orders: local {sorted(local_open)} != {sorted(venue_open)}")
    for cid in cids:
        mo = ex.model.order(cid)
        lo = inv.order(cid)
        if mo is None:
            if lo is not None and lo.status != "rejected":
                diffs.append(f"P2 order {cid}: never placed, local {lo.status}")
            continue
        if lo is None:
            diffs.append(f"P2 order {cid}: at the venue ({mo.status}), unknown locally")
            continue
        if (_model_status(mo.status), mo.filled) != (lo.status, lo.filled_quantity):
            diffs.append(
                f"P2 order {cid}: local {lo.status} {lo.filled_quantity} "
                f"!= venue {mo.status} {mo.filled}"
            )
    return diffs


def run_world(
    name: str,
    seed: int,
    steps: int = 40,
    workdir: Path | None = None,
    resync: bool = True,
    faults: Faults | None = None,
) -> Cell:
    """Run one cell of the matrix (its own event loop, bounded in time).

    ``resync=False`` leaves out the periodic and the final snapshot: under drops P2 must
    then fail, which shows the check can.
    """
    faults = faults or CELLS[name]
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="invsync-world-"))
    return asyncio.run(asyncio.wait_for(_world(name, faults, seed, steps, workdir, resync), 45))


def matrix_line(c: Cell) -> str:
    """One row of the printed matrix."""
    injected = ", ".join(f"{k} {v}" for k, v in sorted(c.injected.items())) or "-"
    bot = ", ".join(f"{k} {v}" for k, v in sorted(c.bot.items()))
    r = c.runner
    return (
        f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {c.checks} | "
        f"{len(c.violations)} | {len(c.p2)} | {c.rows} | "
        f"{'yes' if c.applied_once else 'NO'} | {'yes' if c.replay_equal else 'NO'} | "
        f"{r.get('connects', 0)}/{r.get('snapshots', 0)}/{r.get('queries', 0)} | "
        f"{injected} | {bot} | {c.seconds:.1f} s |"
    )


HEADER = (
    "| cell | result | P3/P6 checks | P3/P6 violations | P2 diffs | journal rows | "
    "applied once | replay equal | connects/snapshots/queries | faults injected | "
    "bot actions | time |\n|" + "---|" * 12
)


if __name__ == "__main__":
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(HEADER)
    for name in CELLS:
        cell = run_world(name, seed)
        print(matrix_line(cell), flush=True)
        for v in (cell.violations + cell.p2)[:5]:
            print(f"    {v}")
