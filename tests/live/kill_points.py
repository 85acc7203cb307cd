"""The kill -9 protocol the crash tests share (tests/live/test_crash.py, test_venue_crash.py).

A recording (journal rows of a runner session) is fed by a forked child through the
runner's own path (``JournaledInventory.ingest``: commit, then apply, with checkpoints);
the child acknowledges each row with a hash of its state and is SIGKILLed at seeded rows,
then resumed from its journal. This module holds the child, the kill and the loop over
kill points; each test keeps its own checks of the journal a kill left behind.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from core.instrument import Instrument
from core.inventory import Inventory
from invsync.live.journal import Journal
from invsync.live.journaled import JournaledInventory, apply_row
from invsync.live.records import CODECS, Row

Records = list[tuple[str, str, str]]
StateHash = Callable[[Inventory, tuple[str, ...]], str]


def child(
    path: Path,
    codec: str,
    instrument: Instrument,
    records: Records,
    start: int,
    wfd: int,
    keys: tuple[str, ...],
    *,
    checkpoint_every: int,
    state_hash: StateHash,
) -> None:
    """The journaling process: resume from the journal, ingest records[start:], ack each."""
    out = os.fdopen(wfd, "w", buffering=1)
    journal = Journal(path, codec=codec, instruments=[instrument])

    def ack(row: Row, events: Any, error: Any) -> None:
        index = int(row.source.rpartition("#")[2])
        out.write(f"ack {index} {state_hash(book.inventory, keys)}\n")

    book = JournaledInventory(journal, checkpoint_every=checkpoint_every, on_apply=ack)
    out.write(f"restored {state_hash(book.inventory, keys)}\n")
    for i in range(start, len(records)):
        kind, source, body = records[i]
        book.ingest(kind, f"{source}#{i}", body)
    out.write("done\n")
    out.flush()


@attrs.frozen
class Recording:
    """A recorded session and how its journaling child runs: codec, instrument, the bot's
    order ids (hashed with the state), checkpoint period and the state hash."""

    records: Records
    codec: str
    instrument: Instrument
    keys: tuple[str, ...]
    checkpoint_every: int
    state_hash: StateHash

    def prefix_states(self) -> list[str]:
        """The reference: the state hash after each prefix of the recording, applied here."""
        decode = CODECS[self.codec]
        ref = Inventory([self.instrument])
        prefix = [self.state_hash(ref, self.keys)]
        for i, (kind, source, body) in enumerate(self.records):
            apply_row(ref, decode, Row(i + 1, kind, source, body))
            prefix.append(self.state_hash(ref, self.keys))
        return prefix

    def run_child(self, path: Path, start: int, wfd: int) -> None:
        """The journaling child of this recording, resuming at ``start``."""
        child(
            path,
            self.codec,
            self.instrument,
            self.records,
            start,
            wfd,
            self.keys,
            checkpoint_every=self.checkpoint_every,
            state_hash=self.state_hash,
        )


def kill_at(pid: int, rfd: int, target: int, deadline: float, seed: int) -> list[str]:
    """Read acks until ``target`` is acknowledged (or the child ends), then SIGKILL it."""
    buf, lines, killed = b"", [], False
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"seed {seed}: child {pid} hung")
        ready, _, _ = select.select([rfd], [], [], 0.5)
        if not ready:
            continue
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        *complete, buf = (buf + chunk).split(b"\n")
        for raw in complete:
            line = raw.decode()
            lines.append(line)
            if not killed and line.startswith("ack ") and int(line.split()[1]) >= target:
                os.kill(pid, signal.SIGKILL)
                killed = True
    if not killed:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return lines


@attrs.frozen
class Kill:
    """One kill: the journal, where the child resumed, the seeded target, what it said."""

    path: Path
    batch: int
    number: int
    resumed_at: int
    target: int
    lines: list[str]

    @property
    def restored(self) -> str | None:
        """The state hash the child replayed from its journal."""
        return next((ln.split()[1] for ln in self.lines if ln.startswith("restored ")), None)

    @property
    def acks(self) -> list[list[str]]:
        """Every ``ack <row> <hash>`` line, split."""
        return [ln.split() for ln in self.lines if ln.startswith("ack ")]

    @property
    def acked(self) -> int:
        """The last acknowledged row (resumed_at - 1 if none)."""
        acks = self.acks
        return int(acks[-1][1]) if acks else self.resumed_at - 1


def kill_loop(
    tmp: Path,
    recording: Recording,
    kills: int,
    rng: random.Random,
    span: int,
    check: Callable[[Kill], int],
    seed: int,
) -> tuple[int, int]:
    """Kill ``kills`` children at seeded rows (at most ``span`` past where each resumed),
    each resuming where the last one's journal ends (``check`` returns that row, after its
    checks); a used-up recording starts a new journal. Returns (kills, batches)."""
    records = recording.records
    done = batches = 0
    while done < kills:
        batches += 1
        path = tmp / f"crash-{batches}.journal"
        n = 0
        while n < len(records) and done < kills:
            target = rng.randint(n, min(len(records) - 1, n + span))
            rfd, wfd = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the child: never returns into pytest
                code = 0
                try:
                    os.close(rfd)
                    recording.run_child(path, n, wfd)
                except BaseException:
                    code = 1
                os._exit(code)
            os.close(wfd)
            try:
                lines = kill_at(pid, rfd, target, time.monotonic() + 30, seed)
            finally:
                os.close(rfd)
            done += 1
            n = check(Kill(path, batches, done, n, target, lines))
    return done, batches


def assert_rows_are_recorded(
    body_rows: list[Row], records: Records, first: int, where: str
) -> None:
    """The journal's rows after its checkpoint are the recording's rows from ``first`` on."""
    for k, r in enumerate(body_rows):
        kind, source, body = records[first + k]
        assert (r.kind, r.source, r.body) == (kind, f"{source}#{first + k}", body), (
            f"{where}: row {r.seq} is not recorded row {first + k}"
        )


def in_flight(kill: Kill, state: str, got: int, prefix: list[str], where: str) -> bool:
    """Replay equals the state before the kill: the hash the child acknowledged for the
    last row, or (a committed row it never acknowledged: True) the prefix's state."""
    acks, acked = kill.acks, kill.acked
    flying = not (got == acked + 1 and acks)
    if not flying:
        assert state == acks[-1][2], f"{where}: replay differs from the state before the kill"
    assert state == prefix[got], f"{where}: replay differs from the prefix's state"
    return flying


def assert_fills(inv: Inventory, filled: dict[str, Decimal], where: str) -> int:
    """0 fills counted twice: each order's filled quantity is what the raw texts say.
    Returns how many orders were checked."""
    checked = 0
    for oid, expected in filled.items():
        o = inv.order(oid)
        if o is not None:
            checked += 1
            assert o.filled_quantity == expected, (
                f"{where}: order {oid} filled {o.filled_quantity}, raw says {expected}"
            )
    return checked


@contextlib.contextmanager
def journal_left(
    kill: Kill, prefix: list[str], where: str
) -> Iterator[tuple[Journal, list[Row], list[Row]]]:
    """The journal a kill left (open while the block runs): the restarted child had
    replayed the prefix's state, the sequence is contiguous; its rows, and those after
    any checkpoint."""
    assert kill.restored == prefix[kill.resumed_at], (
        f"{where}: the restarted process replayed another state"
    )
    journal = Journal(kill.path)
    try:
        assert journal.gaps() == [], f"{where}: journal not contiguous {journal.gaps()}"
        rows = list(journal.rows())
        yield journal, rows, [r for r in rows if r.kind != "checkpoint"]
    finally:
        journal.close()
