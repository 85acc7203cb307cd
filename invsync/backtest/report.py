"""A backtest's result as a rich table and as one CSV (fills and the account over time)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final, TextIO

from invsync.backtest.engine import Result

#: The CSV's columns: ``event`` is ``fill`` (one execution) or ``sample`` (the account).
CSV_COLUMNS: Final = (
    "ts",
    "event",
    "side",
    "quantity",
    "price",
    "fee",
    "fee_asset",
    "client_order_id",
    "base",
    "quote",
    "equity",
    "pnl",
    "seen_low",
    "seen_expected",
    "seen_high",
)
_CENT: Final = Decimal("0.01")


def _time(ts_us: int) -> str:
    return datetime.fromtimestamp(ts_us / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _clock(ts_us: int) -> str:
    return datetime.fromtimestamp(ts_us / 1_000_000, UTC).strftime("%H:%M:%S")


def write_csv(result: Result, path: Path) -> int:
    """Write fills and samples merged in time order; returns the number of data rows."""
    inst = result.instrument
    start = result.equity(
        result.start.get(inst.base, Decimal(0)),
        result.start.get(inst.quote, Decimal(0)),
        result.first_price,
    )
    rows: list[tuple[int, int, list[object]]] = []
    for i, f in enumerate(result.fills):
        rows.append(
            (
                f.ts,
                2 * i,
                [
                    _time(f.ts),
                    "fill",
                    f.side,
                    f.quantity,
                    f.price,
                    f.fee,
                    f.fee_asset,
                    f.client_order_id or "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            )
        )
    for i, s in enumerate(result.samples):
        equity = result.equity(s.base, s.quote, s.price)
        rows.append(
            (
                s.ts,
                2 * i + 1,
                [
                    _time(s.ts),
                    "sample",
                    "",
                    "",
                    s.price,
                    "",
                    "",
                    "",
                    s.base,
                    s.quote,
                    equity.quantize(_CENT),
                    (equity - start).quantize(_CENT),
                    s.seen_low,
                    s.seen_expected,
                    s.seen_high,
                ],
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    with path.open("w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(CSV_COLUMNS)
        out.writerows(r[2] for r in rows)
    return len(rows)


def print_report(result: Result, out: TextIO, *, title: str = "invsync backtest") -> None:
    """The summary, the account over time (ten points) and the last fills, as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, highlight=False)
    inst = result.instrument
    c, n = result.counters, result.network
    summary = Table(title=title, show_header=False, title_justify="left")
    summary.add_column("what")
    summary.add_column("value", justify="right")
    hold = result.start.get(inst.base, Decimal(0)) * (result.last_price - result.first_price)
    fees = ", ".join(f"{v.normalize():f} {k}" for k, v in sorted(result.fees.items())) or "0"
    for what, value in (
        ("seed", str(result.seed)),
        ("price steps", f"{c.steps:,}"),
        ("price", f"{result.first_price} -> {result.last_price}"),
        ("orders / cancels / amends sent", f"{c.orders} / {c.cancels} / {c.amends}"),
        (
            "refused: orders / cancels / amends",
            f"{c.rejected} / {c.cancel_failed} / {c.amend_failed}",
        ),
        ("fills (instant on arrival)", f"{len(result.fills)} ({c.instant_fills})"),
        ("fees", fees),
        (
            f"{inst.base} start -> end",
            f"{result.start.get(inst.base, Decimal(0))} -> {result.final.get(inst.base)}",
        ),
        (
            f"{inst.quote} start -> end",
            f"{result.start.get(inst.quote, Decimal(0))} -> {result.final.get(inst.quote)}",
        ),
        (f"PnL, marked to market ({inst.quote})", f"{result.pnl.quantize(_CENT)}"),
        ("PnL vs holding the start balances", f"{(result.pnl - hold).quantize(_CENT)}"),
        ("private messages sent / delivered", f"{n.sent} / {n.delivered}"),
        (
            "faults: dup / reorder / delay / drop / timeout",
            f"{n.duplicated} / {n.reordered} / {n.delayed} / {n.dropped} / {n.timeouts}",
        ),
        ("gaps seen / resyncs / order queries", f"{n.gaps} / {c.resyncs} / {c.queries}"),
    ):
        summary.add_row(what, value)
    console.print(summary)

    over = Table(
        title=f"{inst.base} over time: truth and what the tracker saw", title_justify="left"
    )
    for col in (
        "time",
        "price",
        f"{inst.base} true",
        "seen low",
        "seen expected",
        "seen high",
        "PnL",
    ):
        over.add_column(col, justify="right")
    samples = result.samples
    start = result.equity(
        result.start.get(inst.base, Decimal(0)),
        result.start.get(inst.quote, Decimal(0)),
        result.first_price,
    )
    if samples:
        picks = sorted({round(k * (len(samples) - 1) / 9) for k in range(10)})
        for k in picks:
            s = samples[k]
            pnl = result.equity(s.base, s.quote, s.price) - start
            over.add_row(
                _clock(s.ts),
                str(s.price),
                str(s.base),
                str(s.seen_low),
                str(s.seen_expected),
                str(s.seen_high),
                str(pnl.quantize(_CENT)),
            )
    console.print(over)

    if result.fills:
        fills = Table(title=f"last fills (of {len(result.fills)})", title_justify="left")
        for col in ("time", "order", "side", "quantity", "price", "fee"):
            fills.add_column(col, justify="right")
        for f in result.fills[-8:]:
            fills.add_row(
                _clock(f.ts),
                f.client_order_id or "",
                f.side,
                str(f.quantity),
                str(f.price),
                f"{f.fee.normalize():f} {f.fee_asset}",
            )
        console.print(fills)
