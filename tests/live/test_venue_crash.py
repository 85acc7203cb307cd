"""Crash safety per derivative venue: kill -9 of the journaling process, then replay.

The same protocol as the Binance spot crash test (tests/live/test_crash.py), run on a
journal each derivative venue's runner wrote: a fault-matrix session (drops, duplicates,
reorders, delays, disconnects, REST 5xx) of the real Runner against the venue's loopback
is recorded, then a forked child feeds its rows through ``JournaledInventory.ingest``
(commit, then apply, with checkpoints) with the venue's codec, acknowledging each row
with a hash of its state (balances, exposures, orders and positions), and is SIGKILLed
at seeded rows and resumed. After each kill: the journal is a contiguous prefix of the
recording, no acknowledged row is lost, replay equals the acknowledged state (or the
prefix's state for a row in flight), and no fill is counted twice: each order's filled
quantity after replay equals what the raw texts of the prefix say (read from the venue's
JSON independently of the codec). ``INVSYNC_VENUE_CRASH_KILLS`` sets kills per venue
(CI: 100); every failure prints the seed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import random
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from core.instrument import Instrument
from core.inventory import Inventory
from invsync.live.journal import Journal
from invsync.live.journaled import rebuild
from invsync.live.loopback.faults import Faults
from invsync.live.replay import state_digest
from tests.live import kill_points as kp
from tests.live import venue_accounts as matrix

KILLS = int(os.environ.get("INVSYNC_VENUE_CRASH_KILLS", "100"))
SEED = int(os.environ.get("INVSYNC_SEED", "1"))
CHECKPOINT_EVERY = 17
MIX = Faults(
    drop=0.05,
    duplicate=0.1,
    reorder=0.1,
    delay=0.1,
    max_delay=0.03,
    reorder_hold=0.03,
    disconnect=0.05,
    rest_5xx=0.05,
)

NO_CHECKPOINT = attrs.evolve(matrix.CONFIG, checkpoint_every=0)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

Raw = tuple[dict[str, Decimal], dict[str, dict[str, Decimal]]]  # cumulative, trades


def _hash(inv: Inventory, keys: tuple[str, ...]) -> str:
    positions = [f"{i.symbol} {inv.position(i.symbol)!r}" for i in inv.instruments]
    text = state_digest(inv, keys) + "\n" + "\n".join(positions)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


# --- the venues' raw texts, read without the codec: cumulative fills and trades per order ----


def _cum(raw: Raw, oid: object, quantity: object) -> None:
    key = str(oid)
    raw[0][key] = max(raw[0].get(key, Decimal(0)), Decimal(str(quantity)))


def _trade(raw: Raw, oid: object, tid: object, quantity: object) -> None:
    raw[1].setdefault(str(oid), {})[str(tid)] = Decimal(str(quantity))


def _usdm_raw(kind: str, body: str, raw: Raw) -> None:
    if kind == "ws":
        m = json.loads(body)
        if m.get("e") == "ORDER_TRADE_UPDATE":
            o = m["o"]
            _cum(raw, o["i"], o["z"])
            if o["x"] in ("TRADE", "CALCULATED") and Decimal(o["l"]) > 0:
                _trade(raw, o["i"], o["t"], o["l"])
        elif m.get("e") == "TRADE_LITE":
            _trade(raw, m["i"], m["t"], m["l"])
    elif kind == "answer":
        a = json.loads(body)
        if 200 <= a["status"] < 300:
            data = json.loads(a["text"])
            if a["op"] == "trades":
                for t in data:
                    _trade(raw, t["orderId"], t["id"], t["qty"])
            else:
                _cum(raw, data["orderId"], data["executedQty"])
    elif kind == "snapshot":
        s = json.loads(body)
        for text in s["open_orders"].values():
            for o in json.loads(text):
                _cum(raw, o["orderId"], o["executedQty"])
        for text in s["trades"].values():
            for t in json.loads(text):
                _trade(raw, t["orderId"], t["id"], t["qty"])


def _bybit_rows(body: Any) -> list[Any]:
    return list(body["result"]["list"]) if body.get("retCode") == 0 else []


def _bybit_raw(kind: str, body: str, raw: Raw) -> None:
    if kind == "ws":
        m = json.loads(body)
        topic = m.get("topic") if isinstance(m, dict) else None
        for d in m.get("data", []) if topic else []:
            if topic == "order":
                _cum(raw, d["orderId"], d["cumExecQty"])
            elif (
                topic in ("execution", "execution.fast") and d.get("execType", "Trade") != "Funding"
            ):
                _trade(raw, d["orderId"], d["execId"], d["execQty"])
    elif kind == "answer":
        a = json.loads(body)
        if 200 <= a["status"] < 300 and a["op"] == "query":
            parts = json.loads(a["text"])
            for key in ("realtime", "history"):
                for o in _bybit_rows(json.loads(parts[key])) if parts.get(key) else []:
                    _cum(raw, o["orderId"], o["cumExecQty"])
        elif 200 <= a["status"] < 300 and a["op"] == "trades":
            for t in _bybit_rows(json.loads(a["text"])):
                _trade(raw, t["orderId"], t["execId"], t["execQty"])
    elif kind == "snapshot":
        s = json.loads(body)
        for text in s["open_orders"].values():
            for o in _bybit_rows(json.loads(text)):
                _cum(raw, o["orderId"], o["cumExecQty"])
        for text in s["trades"].values():
            for t in _bybit_rows(json.loads(text)):
                if t["execType"] != "Funding":
                    _trade(raw, t["orderId"], t["execId"], t["execQty"])


def _okx_raw(kind: str, body: str, raw: Raw) -> None:
    if kind == "ws":
        if body == "pong":
            return
        m = json.loads(body)
        if isinstance(m, dict) and m.get("arg", {}).get("channel") == "orders":
            for d in m.get("data", []):
                _cum(raw, d["ordId"], d["accFillSz"])
                if d.get("tradeId") and Decimal(d["fillSz"] or "0") > 0:
                    _trade(raw, d["ordId"], d["tradeId"], d["fillSz"])
    elif kind == "answer":
        a = json.loads(body)
        if 200 <= a["status"] < 300 and a["op"] in ("query", "trades"):
            for d in json.loads(a["text"]).get("data", []):
                if a["op"] == "query":
                    _cum(raw, d["ordId"], d["accFillSz"])
                else:
                    _trade(raw, d["ordId"], d["tradeId"], d["fillSz"])
    elif kind == "snapshot":
        s = json.loads(body)
        for text in s["open_orders"].values():
            for d in json.loads(text).get("data", []):
                _cum(raw, d["ordId"], d["accFillSz"])
        for text in s["trades"].values():
            for d in json.loads(text).get("data", []):
                _trade(raw, d["ordId"], d["tradeId"], d["fillSz"])


def _filled_by_raw(
    read: Callable[[str, str, Raw], None], records: kp.Records, n: int
) -> dict[str, Decimal]:
    raw: Raw = ({}, {})
    for kind, _, body in records[:n]:
        read(kind, body, raw)
    out = dict(raw[0])
    for oid, trades in raw[1].items():
        out[oid] = max(out.get(oid, Decimal(0)), sum(trades.values(), Decimal(0)))
    return out


# --- recording, the child, the kills ------------------------------------------------------


def _record(tmp: Path, make: Any, instrument: Instrument, unit: Decimal) -> tuple[kp.Records, str]:
    asyncio.run(
        asyncio.wait_for(
            # No compaction: the recording is every row the runner wrote.
            matrix.run_matrix_cell(tmp, make, instrument, unit, MIX, SEED, NO_CHECKPOINT),
            60,
        )
    )
    journal = Journal(tmp / f"journal-{SEED}.sqlite")
    try:
        codec = journal.codec
        records = [(r.kind, r.source, r.body) for r in journal.rows() if r.kind != "checkpoint"]
    finally:
        journal.close()
    return records, codec


VENUES: dict[str, tuple[Any, Instrument, Decimal, Callable[[str, str, Raw], None]]] = {
    venue: (
        functools.partial(matrix.account, venue, seed=SEED),
        matrix.INSTRUMENT[venue],
        matrix.UNIT[venue],
        read,
    )
    for venue, read in (("binance_usdm", _usdm_raw), ("bybit", _bybit_raw), ("okx", _okx_raw))
}


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_kill_9_of_a_venue_runner_journal_loses_nothing_acknowledged(
    venue: str, tmp_path: Path
) -> None:
    make, instrument, unit, read = VENUES[venue]
    records, codec = _record(tmp_path, make, instrument, unit)
    assert codec == venue and len(records) > 30, f"seed {SEED}: {venue}: {len(records)} rows"
    keys = tuple(dict.fromkeys(json.loads(b)["cid"] for k, _, b in records if k == "intent"))
    recording = kp.Recording(records, codec, instrument, keys, CHECKPOINT_EVERY, _hash)
    prefix = recording.prefix_states()
    in_flight_kills = checked = 0
    t0 = time.monotonic()

    def check(kill: kp.Kill) -> int:
        nonlocal in_flight_kills, checked
        n = kill.resumed_at
        where = f"seed {SEED} {venue} batch {kill.batch} kill {kill.number} (resumed at {n})"
        acked = kill.acked
        with kp.journal_left(kill, prefix, where) as (journal, rows, body_rows):
            first = 0
            if rows and rows[0].kind == "checkpoint":
                first = int(json.loads(rows[0].body)["last_source"].rpartition("#")[2]) + 1
            kp.assert_rows_are_recorded(body_rows, records, first, where)
            got = first + len(body_rows)
            assert acked + 1 <= got <= acked + 2, f"{where}: journal {got}, acked {acked}"
            inv, _ = rebuild(journal)
        in_flight_kills += kp.in_flight(kill, _hash(inv, keys), got, prefix, where)
        checked += kp.assert_fills(inv, _filled_by_raw(read, records, got), where)
        return got

    kills, batches = kp.kill_loop(
        tmp_path, recording, KILLS, random.Random(f"{SEED}/{venue}"), 25, check, SEED
    )
    assert checked > KILLS, f"seed {SEED}: {venue}: only {checked} fill checks ran"
    print(
        f"\n{venue} crash safety: {kills} kill -9 in {batches} batches over {len(records)} rows "
        f"(seed {SEED}): 0 lost acknowledged rows, 0 fills counted twice, replay equal; "
        f"{in_flight_kills} in flight, {checked} order fill checks; {time.monotonic() - t0:.1f} s"
    )
