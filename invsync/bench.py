"""``invsync bench``: the core's speed and memory, measured against a baseline in one process.

Prints medians over repeated runs (the machine is shared and noisy; ratios to a baseline
run in the same process are what to compare):

* parse+apply of a Binance spot user-data stream, in messages/s, and its cost relative to
  a naive tracker that parses the same fields into Decimals and updates dicts;
* ``Inventory.apply`` of pre-built events, in events/s;
* memory retained while applying millions of events (flat when pruning works).

Never asserted in tests: numbers are printed, not checked.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TextIO

from core import Instrument, Inventory
from core import events as ev
from core.adapters import binance_spot

BTCUSDT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")


def binance_stream(orders: int, start: int = 1_700_000_000_000) -> Iterator[dict[str, Any]]:
    """A Binance spot user-data stream (decoded JSON, field names of the venue's docs).

    Each order: NEW executionReport, the balance push of its lock, two TRADE
    executionReports, each followed by the balance push it causes.
    """
    usdt = Decimal(10**9)
    btc = Decimal(0)
    t = start
    for i in range(orders):
        t += 1
        oid, cid = 1000 + i, f"bot-{i}"
        base = {
            "e": "executionReport",
            "s": "BTCUSDT",
            "c": cid,
            "S": "BUY",
            "o": "LIMIT",
            "f": "GTC",
            "q": "2.00000000",
            "p": "100.00000000",
            "P": "0.00000000",
            "F": "0.00000000",
            "g": -1,
            "C": "",
            "r": "NONE",
            "i": oid,
            "w": True,
            "m": False,
            "M": False,
            "O": t,
            "Q": "0.00000000",
            "V": "NONE",
        }
        yield {
            **base,
            "E": t + 1,
            "x": "NEW",
            "X": "NEW",
            "l": "0.00000000",
            "z": "0.00000000",
            "L": "0.00000000",
            "n": "0",
            "N": None,
            "T": t,
            "t": -1,
            "I": 3 * i,
            "W": t,
            "Z": "0.00000000",
            "Y": "0.00000000",
        }
        yield {
            "e": "outboundAccountPosition",
            "E": t + 1,
            "u": t,
            "B": [{"a": "USDT", "f": f"{usdt - 200:f}", "l": "200.00000000"}],
        }
        for part in (1, 2):
            t += 1
            usdt -= 100
            btc += Decimal("0.999")
            yield {
                **base,
                "E": t + 1,
                "x": "TRADE",
                "X": "FILLED" if part == 2 else "PARTIALLY_FILLED",
                "l": "1.00000000",
                "z": f"{part}.00000000",
                "L": "100.00000000",
                "n": "0.00100000",
                "N": "BTC",
                "T": t,
                "t": 2 * i + part,
                "I": 3 * i + part,
                "W": t,
                "Z": f"{100 * part}.00000000",
                "Y": "100.00000000",
            }
            yield {
                "e": "outboundAccountPosition",
                "E": t + 1,
                "u": t,
                "B": [
                    {
                        "a": "USDT",
                        "f": f"{usdt - (0 if part == 2 else 100):f}",
                        "l": "0.00000000" if part == 2 else "100.00000000",
                    },
                    {"a": "BTC", "f": f"{btc:f}", "l": "0.00000000"},
                ],
            }


class NaiveBinance:
    """The baseline: parses the same fields into Decimals, updates dicts in arrival order."""

    def __init__(self) -> None:
        self.orders: dict[str, tuple[str, Decimal, Decimal, Decimal]] = {}
        self.balances: dict[str, tuple[Decimal, Decimal]] = {}

    def on_message(self, m: dict[str, Any]) -> None:
        """Apply one message the naive way."""
        if m["e"] == "executionReport":
            cid = m["C"] or m["c"]
            q, p, z, zq = Decimal(m["q"]), Decimal(m["p"]), Decimal(m["z"]), Decimal(m["Z"])
            if m["x"] == "TRADE":
                Decimal(m["l"]), Decimal(m["L"]), Decimal(m["n"])
            if m["X"] in ("FILLED", "CANCELED", "REJECTED", "EXPIRED"):
                self.orders.pop(cid, None)
            else:
                self.orders[cid] = (m["X"], q, p, z if z else zq)
        elif m["e"] == "outboundAccountPosition":
            for b in m["B"]:
                f, lk = Decimal(b["f"]), Decimal(b["l"])
                self.balances[b["a"]] = (f + lk, f)


def _fresh() -> Inventory:
    inv = Inventory([BTCUSDT])
    inv.apply(
        ev.SnapshotTaken(
            version=1, balances=(ev.BalanceReported("USDT", Decimal(10**9), Decimal(10**9), 1),)
        )
    )
    return inv


def _median_rate(run: Callable[[], int], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        n = run()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def measure(
    out: TextIO, orders: int = 20_000, repeats: int = 5, memory_events: int = 2_000_000
) -> int:
    """Run every benchmark and print the numbers."""
    msgs = list(binance_stream(orders))

    def invsync_parse_apply() -> int:
        inv = _fresh()
        apply, parse = inv.apply, binance_spot.parse
        for m in msgs:
            for e in parse(m):
                apply(e)
        return len(msgs)

    def naive_parse() -> int:
        n = NaiveBinance()
        on = n.on_message
        for m in msgs:
            on(m)
        return len(msgs)

    def parse_only() -> int:
        parse = binance_spot.parse
        for m in msgs:
            parse(m)
        return len(msgs)

    events = [e for m in msgs for e in binance_spot.parse(m)]

    def apply_only() -> int:
        inv = _fresh()
        apply = inv.apply
        for e in events:
            apply(e)
        return len(events)

    print(
        f"invsync bench: Binance spot stream, {len(msgs):,} messages "
        f"({len(events):,} events), median of {repeats}",
        file=out,
    )
    ours = _median_rate(invsync_parse_apply, repeats)
    naive = _median_rate(naive_parse, repeats)
    applied = _median_rate(apply_only, repeats)
    parsed = _median_rate(parse_only, repeats)
    print(f"  parse+apply          {ours:>12,.0f} messages/s   (target >= 300,000)", file=out)
    print(f"  naive parse (same fields) {naive:>7,.0f} messages/s", file=out)
    print(f"  cost ratio invsync/naive  {naive / ours:>7.2f}x          (target <= 3x)", file=out)
    print(
        f"  apply, pre-built events {applied:>9,.0f} events/s     (target >= 1,000,000)", file=out
    )
    print(
        f"  parse only (no apply)   {parsed:>9,.0f} messages/s   "
        f"({naive / parsed:.2f}x the naive cost)",
        file=out,
    )

    if memory_events:
        print(
            f"  memory over {memory_events:,} events (tracemalloc, retained after each slice):",
            file=out,
        )
        per_order = len(events) // orders
        rounds = max(1, memory_events // (per_order * orders))
        inv = _fresh()
        tracemalloc.start()
        applied_n = 0
        base_mem = None
        offset = 0
        for r in range(rounds):
            # Each round replays the stream with versions and ids shifted: new orders, new trades.
            stream = binance_stream(orders, start=1_700_000_000_000 + offset)
            offset += 10 * orders
            for m in stream:
                m2 = dict(m)
                if m2["e"] == "executionReport":
                    m2["i"] = m2["i"] + r * orders
                    m2["c"] = f"{m2['c']}-{r}"
                    if m2["t"] >= 0:
                        m2["t"] = m2["t"] + 2 * r * orders
                for e in binance_spot.parse(m2):
                    inv.apply(e)
                    applied_n += 1
            gc.collect()
            cur, _peak = tracemalloc.get_traced_memory()
            base_mem = base_mem or cur
            print(
                f"    after {applied_n:>10,} events: {cur / 1e6:8.2f} MB retained "
                f"({inv.stats()['retired_orders']:,} orders in history, "
                f"{inv.stats()['live_orders']} live)",
                file=out,
            )
        tracemalloc.stop()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``invsync bench``."""
    parser.add_argument("--orders", type=int, default=20_000, help="orders in the stream")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement")
    parser.add_argument("--memory-events", type=int, default=2_000_000, help="0 to skip")


def run(args: argparse.Namespace) -> int:
    """``invsync bench``."""
    return measure(
        sys.stdout, orders=args.orders, repeats=args.repeats, memory_events=args.memory_events
    )
