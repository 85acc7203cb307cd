"""``invsync demo``: one target-inventory bot, two trackers, the same chaotic private stream.

The same strategy (``invsync.backtest.TargetInventory``: hold a target quantity of BTC
that steps through a few levels, buying ``target - high`` and selling ``low - target``
of the exposure range) runs twice over the same prices, latencies and faults — one seed
fixes them all — once reading the naive tracker (``models.naive.NaiveTracker``: arrival
order, no versions, no dedup) and once the ``Inventory``. The venue is the exchange
model; its pushes travel with the faults of real private streams (duplicates, reorders,
stalls, drops); the incident shapes of real bots happen along the way: a cancel refused
because the order had already filled, an order filled on arrival while the bot has not
heard yet, a new order's answer lost.

Every figure in the table is computed from the venue's truth, never from what a tracker
believed:

* reached: the BTC the account holds at the end, next to the target at the end;
* duplicate orders sent: orders that, when sent, would take the holding past the target
  if everything the bot had live or in flight filled (the truth says the target was
  already covered);
* worst overshoot: how far the holding went past the target on the side the bot was
  moving to — beyond both the target and what its orders live at the target's change
  could still bring (that part is lag, not overshoot).

The naive bot buys again when a fill message arrives before the balance update; the
Inventory counts every fill exactly once and sizes from the top of the exposure range,
so its overshoot is zero by construction (P3). The command exits 1 if it is not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final, TextIO

import attrs
import rich  # noqa: F401  (the demo extra: imported here so a missing one is named at once)

from core import Instrument, Inventory
from invsync.backtest.engine import SAMPLE_INSTRUMENT, Backtest, Result, Tracker
from invsync.backtest.faults import parse_faults
from invsync.backtest.latency import PRESETS as LATENCY
from invsync.backtest.prices import Tick
from invsync.backtest.sample import SEED as PATH_SEED
from invsync.backtest.sample import walk
from invsync.backtest.strategies import TargetInventory
from models.naive import NaiveTracker

DEFAULT_SEED: Final = 7
DEFAULT_STEPS: Final = 4000
DEFAULT_FAULTS: Final = "hostile"
#: The targets the bot steps through, and how long each holds (simulated seconds).
LEVELS: Final = (Decimal(1), Decimal(3), Decimal("0.5"), Decimal(2), Decimal(0))
PERIOD_S: Final = 90.0
#: Every second order crosses the spread (fills on arrival), the others rest.
AGGRESSIVE_EVERY: Final = 2
START: Final = {"USDT": Decimal(1_000_000), "BTC": Decimal(0)}
ZERO: Final = Decimal(0)


def prices(steps: int) -> Iterator[Tick]:
    """The demo's price path: the sample's random walk, ``steps`` trades long."""
    t0 = 1_767_571_200_000_000
    for ms, price, size, side in walk(PATH_SEED, steps):
        yield Tick(
            t0 + ms * 1000, Decimal(f"{price:.2f}"), Decimal(f"{max(size, 0.0001):.4f}"), side
        )


@attrs.frozen(slots=True)
class Outcome:
    """One bot's run, measured against the venue's truth."""

    name: str
    result: Result
    strategy: TargetInventory
    target: Decimal
    reached: Decimal
    duplicates: int
    worst_overshoot: Decimal


def measure(name: str, result: Result, strategy: TargetInventory) -> Outcome:
    """Duplicate orders and the worst overshoot, from the truth the harness recorded."""
    target_at = strategy.target_at
    duplicates = 0
    for o in result.sent:
        t = target_at(o.ts)
        if (o.side == "buy" and o.true_high + o.quantity > t) or (
            o.side == "sell" and o.true_low - o.quantity < t
        ):
            duplicates += 1
    worst = ZERO
    segment: int | None = None
    up, down = ZERO, ZERO
    last = result.samples[0]
    for s in result.samples:
        k = (s.ts - strategy.t0) // strategy.period_us
        if k != segment:
            # What the bot's orders live when the target moved could still bring is lag.
            segment, t = k, target_at(s.ts)
            up, down = max(t, last.true_high), min(t, last.true_low)
        worst = max(worst, s.base - up, down - s.base)
        last = s
    return Outcome(
        name=name,
        result=result,
        strategy=strategy,
        target=target_at(result.samples[-1].ts),
        reached=result.final.get(SAMPLE_INSTRUMENT.base, ZERO),
        duplicates=duplicates,
        worst_overshoot=worst,
    )


def compare(seed: int, steps: int, faults: str) -> tuple[Outcome, Outcome]:
    """Run the bot on the naive tracker and on the Inventory; same seed, same world."""
    profile = parse_faults(faults)
    out: list[Outcome] = []
    trackers: Sequence[tuple[str, Callable[[list[Instrument]], Tracker]]] = (
        ("naive tracker", NaiveTracker),
        ("Inventory", Inventory),
    )
    for name, tracker in trackers:
        strategy = TargetInventory(LEVELS, PERIOD_S, aggressive_every=AGGRESSIVE_EVERY)
        result = Backtest(
            prices(steps),
            strategy,
            balances=START,
            seed=seed,
            faults=profile,
            latency=LATENCY["retail"],
            tracker=tracker,
            sample_every=25,
        ).run()
        out.append(measure(name, result, strategy))
    return out[0], out[1]


def print_table(naive: Outcome, inv: Outcome, out: TextIO, seed: int, faults: str) -> None:
    """The contrast, as a rich table."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, highlight=False)
    table = Table(
        title=f"invsync demo: one bot, two trackers (seed {seed}, "
        f"{inv.result.counters.steps:,} steps, faults {faults!r})",
        title_justify="left",
    )
    table.add_column("")
    table.add_column("naive tracker", justify="right")
    table.add_column("Inventory", justify="right")

    def row(what: str, f: Callable[[Outcome], object]) -> None:
        table.add_row(what, str(f(naive)), str(f(inv)))

    row("target at the end (BTC)", lambda o: o.target)
    row("reached (BTC, the venue's truth)", lambda o: o.reached)
    row("orders sent", lambda o: o.result.counters.orders)
    row("duplicate orders sent", lambda o: o.duplicates)
    row("worst overshoot (BTC)", lambda o: o.worst_overshoot)
    row("cancels refused (order already done)", lambda o: o.result.counters.cancel_failed)
    row("orders filled on arrival, unheard", lambda o: o.result.counters.instant_fills)
    row("resyncs asked for", lambda o: o.result.counters.resyncs)
    row(
        "pushes sent / dropped / duplicated",
        lambda o: (
            f"{o.result.network.sent} / {o.result.network.dropped} / {o.result.network.duplicated}"
        ),
    )
    console.print(table)
    console.print(
        "Both runs draw latencies and faults from the same seed and rates; the pushes differ "
        "where the bots' orders do. Figures are the venue's truth, not what a tracker believed."
    )
    if naive.worst_overshoot > 0:
        console.print(
            f"The naive bot overshot its target by up to {naive.worst_overshoot} BTC: its "
            "tracker drops an order when the fill message arrives and counts the coins when "
            "the balance update does; in between it sees neither, and buys again. The "
            f"Inventory's overshoot: {inv.worst_overshoot} BTC."
        )
    else:
        console.print("With this seed and these faults the naive bot happened not to overshoot.")


def plot(naive: Outcome, inv: Outcome, path: Path) -> None:
    """A PNG of both bots' true BTC over time, with the target."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        from invsync.cli import UsageError

        raise UsageError("--plot needs matplotlib (pip install 'invsync[demo]')") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = inv.strategy.t0
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=110)
    for o, colour in ((naive, "tab:red"), (inv, "tab:blue")):
        xs = [(s.ts - t0) / 60e6 for s in o.result.samples]
        ys = [float(s.base) for s in o.result.samples]  # plotting only
        ax.step(
            xs,
            ys,
            where="post",
            color=colour,
            linewidth=1.4,
            label=f"{o.name} (worst overshoot {o.worst_overshoot} BTC)",
        )
    end = max(s.ts for s in inv.result.samples)
    xs, ys = [], []
    t = t0
    while t <= end:
        xs.append((t - t0) / 60e6)
        ys.append(float(inv.strategy.target_at(t)))
        t += inv.strategy.period_us
    xs.append((end - t0) / 60e6)
    ys.append(ys[-1])
    ax.step(xs, ys, where="post", color="black", linestyle="--", linewidth=1.2, label="target")
    ax.set_xlabel("simulated minutes")
    ax.set_ylabel("BTC held (the venue's truth)")
    ax.set_title("Same bot, same chaotic private stream: naive tracker vs Inventory")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``invsync demo``."""
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of latencies and faults (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=DEFAULT_STEPS,
        help=f"price steps, 100 to 200000 (default {DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--faults",
        default=DEFAULT_FAULTS,
        metavar="SPEC",
        help=f"private-stream faults: none, mild, hostile (default {DEFAULT_FAULTS}), then "
        "overrides KIND=p (duplicate, reorder, delay, drop, timeout)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="PATH",
        help="write a PNG of both inventories over time",
    )


def run(args: argparse.Namespace) -> int:
    """``invsync demo``."""
    from invsync.cli import UsageError

    if not 100 <= args.steps <= 200_000:
        raise UsageError(f"--steps {args.steps}: between 100 and 200000")
    try:
        parse_faults(args.faults)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None  # the message starts with "faults:"
    if args.plot is not None and not args.plot.parent.is_dir():
        raise UsageError(f"--plot {args.plot}: no directory {str(args.plot.parent)!r}")
    naive, inv = compare(args.seed, args.steps, args.faults)
    print_table(naive, inv, sys.stdout, args.seed, args.faults)
    if args.plot is not None:
        try:
            plot(naive, inv, args.plot)
        except OSError as exc:
            raise UsageError(f"--plot {args.plot}: {exc.strerror or exc}") from None
        print(f"wrote {args.plot}")
    return 1 if inv.worst_overshoot > 0 or inv.duplicates > 0 else 0
