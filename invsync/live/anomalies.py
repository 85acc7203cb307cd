"""The anomaly timeline of a journal: what was odd about each row and its events.

Duplicates (a message or fill heard before), stale reports (older than one already seen
for the same order or asset), gaps (the stream broke, the runner restarted), resyncs,
reconciliation diffs, unknown outcomes, messages of unknown kinds, and rows whose events
the Inventory refused or the codec could not read. Memory is bounded: the newest
100,000 ids are remembered, the first 100,000 anomalies listed (all are counted).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs

from core import events as ev
from invsync.live.records import Row

_REMEMBER = 100_000  # ids kept for duplicate detection (oldest forgotten first)


@attrs.frozen(slots=True)
class Anomaly:
    """One line of the timeline: the row it comes from, a category and a description."""

    seq: int
    category: str
    detail: str


class Anomalies:
    """Watches rows and their events for the timeline (bounded memory)."""

    def __init__(self) -> None:
        self.items: list[Anomaly] = []
        self.counts: dict[str, int] = {}
        self._texts: dict[str, None] = {}
        self._trades: dict[tuple[str, str], None] = {}
        self._order_versions: dict[str, int] = {}
        self._balance_versions: dict[str, int] = {}

    def _add(self, seq: int, category: str, detail: str) -> None:
        self.counts[category] = self.counts.get(category, 0) + 1
        if len(self.items) < 100_000:
            self.items.append(Anomaly(seq, category, detail))

    @staticmethod
    def _remember(d: dict[Any, None], key: Any) -> bool:
        if key in d:
            return True
        d[key] = None
        if len(d) > _REMEMBER:
            del d[next(iter(d))]
        return False

    def observe(self, row: Row, events: list[ev.Event], error: str | None) -> None:
        """Note what is odd about one row, given its events and any error applying them."""
        seq = row.seq
        if error is not None:
            self._add(seq, "refused", f"{row.kind} from {row.source}: {error}")
        if row.kind == "ws":
            digest = hashlib.blake2b(row.body.encode(), digest_size=16).hexdigest()
            if self._remember(self._texts, digest):
                self._add(seq, "duplicate", "message received before")
        elif row.kind == "status":
            st = json.loads(row.body)
            if st["state"] == "disconnected":
                self._add(seq, "gap", f"stream broken: {st['reason']}")
        elif row.kind == "snapshot":
            self._add(seq, "resync", "snapshot applied (account, open orders, trades)")
        elif row.kind == "note":
            note = json.loads(row.body)
            if note.get("what") == "reconcile" and note.get("diff"):
                self._add(seq, "reconcile", json.dumps(note["diff"], sort_keys=True))
            elif note.get("what") == "restart":
                self._add(seq, "gap", "runner restarted")
        elif row.kind == "answer":
            a = json.loads(row.body)
            status = int(a["status"])
            if (status == 0 or status >= 500) and a["op"] in ("cancel", "amend"):
                self._add(seq, "unknown", f"{a['op']} {a.get('cid')}: outcome unknown, queried")
        for e in events:
            self._event(seq, e)

    def _event(self, seq: int, e: ev.Event) -> None:
        if isinstance(e, ev.SnapshotTaken):
            for f in e.trades:
                self._remember(self._trades, (f.symbol, f.trade_id))
            for b in e.balances:
                self._balance_versions[b.asset] = max(
                    b.version, self._balance_versions.get(b.asset, -1)
                )
            return
        if isinstance(e, ev.FillReported):
            if self._remember(self._trades, (e.symbol, e.trade_id)):
                self._add(seq, "duplicate", f"fill {e.symbol} trade {e.trade_id} heard before")
        elif isinstance(e, ev.OrderReported):
            last = self._order_versions.get(e.order_id, -1)
            if e.version < last:
                self._add(
                    seq, "stale", f"order {e.order_id} report at {e.version} older than {last}"
                )
            else:
                self._order_versions[e.order_id] = e.version
        elif isinstance(e, ev.BalanceReported):
            last = self._balance_versions.get(e.asset, -1)
            if e.version < last:
                self._add(seq, "stale", f"balance {e.asset} at {e.version} older than {last}")
            else:
                self._balance_versions[e.asset] = e.version
        elif isinstance(e, ev.SubmissionTimedOut):
            self._add(seq, "unknown", f"submission {e.client_order_id}: {e.reason}")
        elif isinstance(e, ev.MessageIgnored):
            self._add(seq, "ignored", f"{e.venue} message of kind {e.kind!r}")
