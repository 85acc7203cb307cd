"""``invsync replay JOURNAL``: rebuild the Inventory a runner kept, and list what went wrong.

Replay starts from the journal's checkpoint (if any) and applies every later row through
the same pure codec the runner used (``invsync.live.records``), so the Inventory it prints
is the one the runner held after its last committed row. Beside it, a timeline of
anomalies: duplicate messages and fills, stale reports, stream gaps and resyncs,
reconciliation diffs, unknown outcomes, refused or unreadable rows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import attrs

from core import Inventory
from invsync.live.anomalies import Anomalies
from invsync.live.journal import Journal, JournalError
from invsync.live.journaled import rebuild


def state_digest(inv: Inventory, keys: tuple[str, ...] = ()) -> str:
    """A text digest of everything the public surface shows (for equality checks)."""
    lines = [f"sync {inv.sync_state}"]
    assets = sorted({a for i in inv.instruments for a in (i.base, i.quote)})
    for a in assets:
        b, x = inv.balance(a), inv.exposure(a)
        lines.append(f"{a} {b.total} {b.free} {b.locked} [{x.low} {x.expected} {x.high}]")
    for o in sorted(inv.open_orders(), key=lambda o: (o.client_order_id or "", o.order_id or "")):
        lines.append(f"open {o!r}")
    for k in keys:
        lines.append(f"order {k} {inv.order(k)!r}")
    lines.append(f"stats {sorted(inv.stats().items())}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``invsync replay JOURNAL [--limit N] [--json]``."""
    parser.add_argument("journal", help="path of a runner's SQLite journal")
    parser.add_argument(
        "--limit", type=int, default=200, help="most timeline lines printed (default 200)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")


def run(args: argparse.Namespace) -> int:
    """Replay the journal; print the final inventory and the anomaly timeline."""
    from invsync.cli import UsageError

    path = Path(args.journal)
    if not path.is_file():
        raise UsageError(f"journal {str(path)!r}: no such file")
    try:
        journal = Journal(path)
    except (JournalError, Exception) as exc:
        raise UsageError(f"journal {str(path)!r}: cannot open ({exc})") from None
    try:
        anomalies = Anomalies()
        inv, n = rebuild(journal, anomalies)
        gaps = journal.gaps()
    finally:
        journal.close()
    assets = sorted({a for i in inv.instruments for a in (i.base, i.quote)})
    if args.json:
        doc = {
            "rows": n,
            "sync_state": inv.sync_state,
            "balances": {
                a: {k: str(getattr(inv.balance(a), k)) for k in ("total", "free", "locked")}
                for a in assets
            },
            "open_orders": [repr(o) for o in inv.open_orders()],
            "anomaly_counts": anomalies.counts,
            "timeline": [attrs.asdict(a) for a in anomalies.items[: args.limit]],
            "sequence_gaps": gaps,
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"journal {path}: {n} rows replayed, account {inv.sync_state}")
    for asset in assets:
        b, x = inv.balance(asset), inv.exposure(asset)
        print(
            f"  {asset:<8} total {b.total:f}  free {b.free:f}  locked {b.locked:f}  "
            f"range [{x.low:f}, {x.high:f}]"
        )
    opened = inv.open_orders()
    print(f"open orders: {len(opened)}")
    for o in opened:
        print(
            f"  {o.client_order_id or o.order_id} {o.symbol} {o.side} {o.quantity} @ {o.price} "
            f"{o.status} filled {o.filled_quantity}"
        )
    if gaps:
        print(f"JOURNAL NOT CONTIGUOUS: sequence gaps {gaps}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(anomalies.counts.items())) or "none"
    print(f"anomalies: {counts}")
    for item in anomalies.items[: args.limit]:
        print(f"  #{item.seq:<8} {item.category:<10} {item.detail}")
    if len(anomalies.items) > args.limit:
        print(f"  ... {len(anomalies.items) - args.limit} more (--limit)")
    return 1 if gaps else 0
