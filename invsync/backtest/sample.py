"""The shipped sample price paths, and their generator (no exchange data: licences).

A seeded random walk in log price with two volatility regimes (calm and turbulent,
switching at random) and rare jumps, written as a CSV of trades and a CSV of one-minute
bars. Regenerate the files under ``invsync/backtest/data/`` with::

    python -m invsync.backtest.sample            # or: --seed N --trades N --bars N --out DIR

The walk itself is computed in floats (it is a synthetic price process, not accounting);
every price and size is written as a decimal string at a fixed tick and lot, so what the
backtest reads is exact.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Final

DATA: Final = Path(__file__).parent / "data"
TRADES: Final = DATA / "sample_trades.csv"
BARS: Final = DATA / "sample_bars.csv"
SEED: Final = 20261204
#: 2026-01-05 00:00:00 UTC in epoch milliseconds: where the sample's clock starts.
START_MS: Final = 1_767_571_200_000


def walk(seed: int, steps: int, start: float = 30_000.0) -> Iterator[tuple[int, float, float, str]]:
    """``(ms since start, price, size, aggressor side)`` of each trade of the walk."""
    rng = random.Random(seed)
    calm, turbulent = 0.00008, 0.0004
    sigma, t, log_p = calm, 0, math.log(start)
    for _ in range(steps):
        if rng.random() < 0.002:  # regime switch, about every 500 trades
            sigma = turbulent if sigma == calm else calm
        t += max(1, int(rng.expovariate(1 / 400)))  # 400 ms between trades on average
        r = rng.gauss(0, sigma)
        if rng.random() < 0.001:  # a jump of about 30 sigma of the turbulent regime
            r += rng.choice((-1, 1)) * rng.uniform(20, 40) * turbulent
        log_p += r
        size = rng.lognormvariate(math.log(0.05), 1.0)
        side = "buy" if r > 0 or (r == 0 and rng.random() < 0.5) else "sell"
        yield t, math.exp(log_p), size, side


def write_trades(path: Path, seed: int, steps: int) -> int:
    """Write the trades CSV (``ts, price, qty, side``); returns the number of rows."""
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("ts", "price", "qty", "side"))
        n = 0
        for t, price, size, side in walk(seed, steps):
            out.writerow((START_MS + t, f"{price:.2f}", f"{max(size, 0.0001):.4f}", side))
            n += 1
    return n


def write_bars(path: Path, seed: int, bars: int) -> int:
    """Write one-minute bars (``ts, open, high, low, close, volume``) of a longer walk."""
    minute = 60_000
    rows: list[tuple[int, str, str, str, str, str]] = []
    current: list[float] = []
    volume = 0.0
    start_of = 0
    for t, price, size, _ in walk(seed + 1, bars * 150 + 10_000):
        bucket = t // minute
        if current and bucket != start_of:
            rows.append(_bar(start_of * minute, current, volume))
            if len(rows) == bars:
                break
            current, volume = [], 0.0
        start_of = bucket
        current.append(price)
        volume += size
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("ts", "open", "high", "low", "close", "volume"))
        out.writerows(rows)
    return len(rows)


def _bar(t: int, prices: list[float], volume: float) -> tuple[int, str, str, str, str, str]:
    o, h, lo, c = prices[0], max(prices), min(prices), prices[-1]
    return (START_MS + t, f"{o:.2f}", f"{h:.2f}", f"{lo:.2f}", f"{c:.2f}", f"{volume:.4f}")


def main(argv: list[str] | None = None) -> int:
    """Regenerate the sample files."""
    parser = argparse.ArgumentParser(description="regenerate invsync's sample price paths")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--trades", type=int, default=12_000, help="trade rows (default 12000)")
    parser.add_argument("--bars", type=int, default=1_000, help="one-minute bars (default 1000)")
    parser.add_argument("--out", type=Path, default=DATA, help="directory (default: the package's)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    n = write_trades(args.out / TRADES.name, args.seed, args.trades)
    m = write_bars(args.out / BARS.name, args.seed, args.bars)
    print(f"wrote {n} trades to {args.out / TRADES.name}, {m} bars to {args.out / BARS.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
