"""Crash safety: kill -9 of the journaling process at seeded points, then replay (issue 17).

A recorded runner session (one fault-matrix world, every journal row it wrote: stream
messages, snapshots, intents, answers, status) is fed by a forked child process through
the runner's own path (``JournaledInventory.ingest``: commit, then apply; a checkpoint
every few rows, so kills land in compactions too). The child acknowledges each row after
it is committed and applied, with a hash of its state. The parent SIGKILLs it at a seeded
row (it runs on a little before the signal lands: mid-commit, mid-apply, mid-checkpoint),
then checks:

* the journal opens, its sequence numbers are contiguous, and its rows are exactly the
  recorded rows 0..n-1 in order (a checkpoint standing for the rows before it);
* 0 lost acknowledged rows: every acknowledged row is in it (n > last ack), and at most
  the one row in flight beyond it;
* replay equals the state before the kill: the hash the child acknowledged for row n-1
  (or, for the in-flight row, the state of an in-process replay of rows 0..n-1);
* 0 fills counted twice: every order's filled quantity after replay equals what the raw
  messages of rows 0..n-1 say (the larger of the highest cumulative quantity reported and
  the sum of distinct trade quantities), read from the JSON independently of the codec.

Then a new child resumes from the journal (replay, continue) and is killed again, until
the recording is used up; batches repeat with new journals. ``INVSYNC_CRASH_KILLS`` sets
the number of kills (CI: 200; deep runs: 1000 or more); every failure prints the seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core import Inventory
from invsync.live.journal import Journal
from invsync.live.journaled import rebuild
from invsync.live.replay import state_digest
from tests.live.conftest import BTCUSDT
from tests.live.fault_world import run_world
from tests.live.kill_points import (
    Kill,
    Recording,
    assert_fills,
    assert_rows_are_recorded,
    in_flight,
    journal_left,
    kill_loop,
)

KILLS = int(os.environ.get("INVSYNC_CRASH_KILLS", "200"))
SEED = int(os.environ.get("INVSYNC_SEED", "1"))
CHECKPOINT_EVERY = 23

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _hash(inv: Inventory, keys: tuple[str, ...]) -> str:
    return hashlib.sha1(state_digest(inv, keys).encode()).hexdigest()[:16]


def _record(tmp: Path) -> list[tuple[str, str, str]]:
    cell = run_world("mix", SEED, steps=60, workdir=tmp)
    assert cell.journal is not None
    j = Journal(cell.journal)
    try:
        rows = [(r.kind, r.source, r.body) for r in j.rows() if r.kind != "checkpoint"]
    finally:
        j.close()
    return rows


def _cids(records: list[tuple[str, str, str]]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for kind, _, body in records:
        if kind == "intent":
            out[json.loads(body)["cid"]] = None
    return tuple(out)


def _index(source: str) -> int:
    return int(source.rpartition("#")[2])


def _filled_by_raw(records: list[tuple[str, str, str]], n: int) -> dict[str, Decimal]:
    """Per exchange order id: max(highest cumulative reported, sum of distinct trades)."""
    cum: dict[str, Decimal] = {}
    trades: dict[str, dict[str, Decimal]] = {}

    def order(o: dict[str, Any], cumulative: str) -> None:
        oid = str(o["orderId"] if "orderId" in o else o["i"])
        cum[oid] = max(cum.get(oid, Decimal(0)), Decimal(o[cumulative]))

    for kind, _, body in records[:n]:
        if kind == "ws":
            msg = json.loads(body)
            e = msg.get("event") if isinstance(msg, dict) else None
            if isinstance(e, dict) and e.get("e") == "executionReport":
                order(e, "z")
                if e["x"] == "TRADE":
                    trades.setdefault(str(e["i"]), {})[str(e["t"])] = Decimal(e["l"])
        elif kind == "answer":
            a = json.loads(body)
            if 200 <= a["status"] < 300 and a["op"] in ("place", "cancel", "query"):
                o = json.loads(a["text"])
                order(o, "executedQty")
                for f in o.get("fills", []):
                    trades.setdefault(str(o["orderId"]), {})[str(f["tradeId"])] = Decimal(f["qty"])
            if 200 <= a["status"] < 300 and a["op"] == "trades":
                for t in json.loads(a["text"]):
                    trades.setdefault(str(t["orderId"]), {})[str(t["id"])] = Decimal(t["qty"])
        elif kind == "snapshot":
            s = json.loads(body)
            for text in s["open_orders"].values():
                for o in json.loads(text):
                    order(o, "executedQty")
            for text in s["trades"].values():
                for t in json.loads(text):
                    trades.setdefault(str(t["orderId"]), {})[str(t["id"])] = Decimal(t["qty"])
    out = dict(cum)
    for oid, ts in trades.items():
        out[oid] = max(out.get(oid, Decimal(0)), sum(ts.values(), Decimal(0)))
    return out


def test_kill_9_at_seeded_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    records = _record(tmp_path)
    assert len(records) > 100, f"seed {SEED}: recording too short ({len(records)} rows)"
    keys = _cids(records)
    recording = Recording(records, "binance_spot", BTCUSDT, keys, CHECKPOINT_EVERY, _hash)
    # The reference: the state after each prefix, applied in this process.
    prefix = recording.prefix_states()
    in_flight_kills = checkpoints_seen = 0
    t0 = time.monotonic()

    def check(kill: Kill) -> int:
        nonlocal in_flight_kills, checkpoints_seen
        n = kill.resumed_at
        where = (
            f"seed {SEED} batch {kill.batch} kill {kill.number} "
            f"(resumed at {n}, target {kill.target})"
        )
        acked = kill.acked
        with journal_left(kill, prefix, where) as (journal, rows, body_rows):
            if rows and rows[0].kind == "checkpoint":
                checkpoints_seen += 1
                covered = _index(json.loads(rows[0].body)["last_source"])
                assert not body_rows or _index(body_rows[0].source) == covered + 1, (
                    f"{where}: rows after the checkpoint do not follow it"
                )
                first = covered + 1
            else:
                assert rows[0].kind != "checkpoint"
                first = 0
            assert all(r.kind != "checkpoint" for r in rows[1:]), f"{where}: stale checkpoint"
            assert_rows_are_recorded(body_rows, records, first, where)
            got = first + len(body_rows)
            assert got >= acked + 1, f"{where}: acknowledged row {acked} lost (journal {got})"
            assert got <= acked + 2, f"{where}: journal holds {got} rows, acked {acked}"
            inv, _ = rebuild(journal)
        in_flight_kills += in_flight(kill, _hash(inv, keys), got, prefix, where)
        assert_fills(inv, _filled_by_raw(records, got), where)
        return got

    kills, batches = kill_loop(tmp_path, recording, KILLS, random.Random(SEED), 40, check, SEED)
    print(
        f"\ncrash safety: {kills} kill -9 in {batches} batches over {len(records)} recorded "
        f"rows (seed {SEED}): 0 lost acknowledged rows, 0 fills counted twice, replay equal "
        f"each time; {in_flight_kills} kills left a committed-unacknowledged row, "
        f"{checkpoints_seen} journals began with a checkpoint; {time.monotonic() - t0:.1f} s"
    )
