"""``invsync backtest``: run a built-in strategy over a price path (the shipped sample by default).

Prints a summary, the account over time and the last fills; ``--out`` writes fills and
samples as one CSV; ``--bench`` times the run instead (median of ``--repeats``) and
prints price steps per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import rich  # noqa: F401  (the demo extra: imported here so a missing one is named at once)

from core import Inventory
from invsync.backtest.engine import Backtest, Result
from invsync.backtest.faults import parse_faults
from invsync.backtest.latency import parse_latency
from invsync.backtest.prices import PriceFile, PriceFileError
from invsync.backtest.sample import BARS, TRADES
from invsync.backtest.strategies import STRATEGIES
from invsync.cli import UsageError
from models.naive import NaiveTracker


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``invsync backtest``."""
    parser.add_argument(
        "--csv",
        default=None,
        metavar="PATH",
        help="price path: trades (ts,price,qty,side) or bars (ts,open,high,low,close,volume); "
        "'sample' (default) or 'sample-bars' for the shipped ones",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of every draw (default 1)")
    parser.add_argument(
        "--strategy",
        choices=sorted(STRATEGIES),
        default="target-inventory",
        help="built-in strategy (default target-inventory)",
    )
    parser.add_argument(
        "--faults",
        default="mild",
        metavar="SPEC",
        help="private-stream faults: none, mild (default), hostile, then overrides "
        "KIND=p (duplicate, reorder, delay, drop, timeout), e.g. 'mild,drop=0.05'",
    )
    parser.add_argument(
        "--latency",
        default="retail",
        metavar="SPEC",
        help="latency: none, colo, retail (default), poor, then overrides "
        "LEG=base/jitter/spike_p/spike in ms (feed, entry, response, private, rest)",
    )
    parser.add_argument(
        "--tracker",
        choices=("inventory", "naive"),
        default="inventory",
        help="what the strategy reads: the Inventory (default) or the naive tracker "
        "(arrival order, no versions, no dedup), to see what lag does to it",
    )
    parser.add_argument("--fee-rate", default="0.001", metavar="RATE", help="default 0.001")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="CSV",
        help="write fills and the account over time to this CSV",
    )
    parser.add_argument(
        "--bench", action="store_true", help="time the run and print price steps per second"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs timed by --bench (default 5)")


def _path(csv: str | None) -> Path:
    if csv is None or csv == "sample":
        return TRADES
    if csv == "sample-bars":
        return BARS
    return Path(csv)


def _once(
    args: argparse.Namespace, progress: Callable[[PriceFile], Callable[[int], None]] | None
) -> Result:
    try:
        prices = PriceFile(_path(args.csv))
    except PriceFileError as exc:
        raise UsageError(f"--csv: {exc}") from None
    try:
        faults = parse_faults(args.faults)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None  # the message starts with "faults:"
    try:
        latency = parse_latency(args.latency)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None  # the message starts with "latency:"
    try:
        fee_rate = Decimal(args.fee_rate)
        if not fee_rate.is_finite() or fee_rate < 0:
            raise InvalidOperation
    except InvalidOperation:
        raise UsageError(f"--fee-rate {args.fee_rate!r}: expected a decimal >= 0") from None
    bt = Backtest(
        prices,
        STRATEGIES[args.strategy](),
        tracker=NaiveTracker if args.tracker == "naive" else Inventory,
        seed=args.seed,
        faults=faults,
        latency=latency,
        fee_rate=fee_rate,
        progress=None if progress is None else progress(prices),
    )
    try:
        return bt.run()
    except PriceFileError as exc:
        raise UsageError(f"--csv: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """``invsync backtest``."""
    if args.repeats < 1:
        raise UsageError(f"--repeats {args.repeats}: at least 1")
    if args.bench:
        runs = [_once(args, None) for _ in range(args.repeats)]
        speeds = [r.counters.steps / r.wall_seconds for r in runs]
        steps = runs[0].counters.steps
        print(
            f"invsync backtest --bench: strategy {args.strategy}, {steps:,} price steps of "
            f"{_path(args.csv).name}, faults {args.faults!r}, latency {args.latency!r}"
        )
        print(
            f"  {statistics.median(speeds):,.0f} price steps/s (median of {len(runs)}; "
            f"min {min(speeds):,.0f}, max {max(speeds):,.0f}; CSV parsing included)"
        )
        return 0
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(file=sys.stderr)
    with Progress(
        TextColumn("rows"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as bar:

        def progress(prices: PriceFile) -> Callable[[int], None]:
            task = bar.add_task("rows", total=prices.count_rows())
            return lambda _steps: bar.update(task, completed=prices.rows)

        result = _once(args, progress)
    from invsync.backtest.report import print_report, write_csv

    print_report(
        result,
        sys.stdout,
        title=f"invsync backtest: {args.strategy} on "
        f"{_path(args.csv).name}, reading the "
        f"{'naive tracker' if args.tracker == 'naive' else 'Inventory'}",
    )
    if args.out is not None:
        try:
            n = write_csv(result, args.out)
        except OSError as exc:
            raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {n} rows to {args.out}")
    return 0
