"""Journal throughput: rows committed per second, one transaction per row, as the runner does.

    python -m invsync.live.journal_bench [--rows N] [--runs R] [--dir DIR]

Appends N raw Binance spot ``executionReport`` messages (the WebSocket-API form, about
600 bytes each), each its own committed transaction, for ``durability="process"``
(``synchronous=NORMAL``) and ``"power"`` (``synchronous=FULL``), and the runner's whole
path (commit, then decode and apply to an Inventory). Prints the median of R runs with
min..max. The numbers depend on the disk (FULL pays an fsync per row).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from core import Instrument, Inventory
from invsync.live.journal import Journal
from invsync.live.journaled import JournaledInventory

BTC = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")


def _message(n: int) -> str:
    """A new-order executionReport for order n (distinct orders: apply does real work)."""
    return json.dumps(
        {
            "subscriptionId": 0,
            "event": {
                "e": "executionReport",
                "E": 1_700_000_000_000 + n,
                "s": "BTCUSDT",
                "c": f"bench-{n}",
                "S": "BUY",
                "o": "LIMIT",
                "f": "GTC",
                "q": "0.00100000",
                "p": "50000.00000000",
                "P": "0.00000000",
                "F": "0.00000000",
                "g": -1,
                "C": "",
                "x": "NEW",
                "X": "NEW",
                "r": "NONE",
                "i": n,
                "l": "0.00000000",
                "z": "0.00000000",
                "L": "0.00000000",
                "n": "0",
                "N": None,
                "T": 1_700_000_000_000 + n,
                "t": -1,
                "v": 3,
                "I": 8641984,
                "w": True,
                "m": False,
                "M": False,
                "O": 1_700_000_000_000 + n,
                "Z": "0.00000000",
                "Y": "0.00000000",
                "Q": "0.00000000",
                "W": 1_700_000_000_000 + n,
                "V": "EXPIRE_MAKER",
            },
        }
    )


def _one(directory: Path, rows: int, durability: str, apply: bool, run: int) -> float:
    path = directory / f"bench-{durability}-{apply}-{run}.journal"
    journal = Journal(path, codec="binance_spot", instruments=[BTC], durability=durability)
    messages = [_message(n) for n in range(1, rows + 1)]
    try:
        if apply:
            book = JournaledInventory(journal, Inventory([BTC]))
            # A complete snapshot first, so the reports apply to a synced account.
            book.ingest(
                "snapshot",
                "bench",
                json.dumps(
                    {
                        "account": json.dumps(
                            {
                                "updateTime": 1_700_000_000_000,
                                "balances": [{"asset": "USDT", "free": "1000000", "locked": "0"}],
                            }
                        ),
                        "open_orders": {"BTCUSDT": "[]"},
                        "trades": {},
                    }
                ),
            )
            start = time.perf_counter()
            for m in messages:
                book.ingest("ws", "ws:/ws-api/v3", m)
            elapsed = time.perf_counter() - start
            assert book.inventory.balance("USDT").free == Decimal(1_000_000) - Decimal(50) * rows, (
                "bench: the applied state is not what the messages say"
            )
        else:
            start = time.perf_counter()
            for m in messages:
                journal.append("ws", "ws:/ws-api/v3", m)
            elapsed = time.perf_counter() - start
        assert journal.last_seq >= rows
    finally:
        journal.close()
    return rows / elapsed


def main(argv: list[str] | None = None) -> int:
    """Print rows/s for each durability level, journal only and journal + apply."""
    p = argparse.ArgumentParser(prog="python -m invsync.live.journal_bench")
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dir", default=None, help="directory for the journals (default: a temp dir)")
    args = p.parse_args(argv)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="invsync-bench-"))
    print(f"journal throughput, {args.rows} rows x {args.runs} runs, in {base}")
    print("(one committed transaction per row; median [min..max] rows/s)")
    for durability, level in (("process", "NORMAL"), ("power", "FULL")):
        for apply in (False, True):
            rows = args.rows if durability == "process" else max(200, args.rows // 5)
            rates = [_one(base, rows, durability, apply, r) for r in range(args.runs)]
            what = "commit + decode + apply" if apply else "commit only"
            print(
                f"  synchronous={level:<6} {what:<24} {statistics.median(rates):>9,.0f}/s "
                f"[{min(rates):,.0f}..{max(rates):,.0f}]"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
