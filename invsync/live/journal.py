"""The runner's journal: every raw message and local intent, committed before it is applied.

One SQLite file (stdlib ``sqlite3``), WAL mode, one table of rows ``(seq, kind, source,
body, at)`` in apply order (kinds: ``invsync.live.records``), and a ``meta`` table (format,
codec, instruments) so ``invsync replay`` needs nothing but the file.

Durability. Each ``append`` is its own transaction, committed before it returns, and the
runner applies the row only after that. The default is ``synchronous=NORMAL``: in WAL mode
a commit is then written to the WAL file without an fsync, so it **survives the process
being killed** (kill -9, a crash, an OOM kill: the OS keeps the written pages) but **not a
power loss or kernel crash**, which may roll back the last transactions (never corrupt:
SQLite's WAL recovery keeps a prefix). ``durability="power"`` uses ``synchronous=FULL``: an
fsync of the WAL per commit, so a committed row also survives power loss, at a much lower
rate. What a lost tail costs: the runner resyncs after every restart, so venue state comes
back from the snapshot; only a local intent lost with it is forgotten (its order, if it
reached the venue, reappears in the snapshot's open orders).

Compaction. ``checkpoint(state)`` writes one ``checkpoint`` row carrying a pickle of the
replayed state (the Inventory) and deletes every older row, in one transaction: the
journal is always "latest checkpoint + the rows after it", a contiguous run of sequence
numbers, and replay starts from the checkpoint's state. The runner checkpoints every
``RunnerConfig.checkpoint_every`` rows and on a clean close, so the file holds at most
that many rows plus one (freed pages are reused; ``auto_vacuum=INCREMENTAL`` returns them
to the OS). The checkpoint is a pickle: only open journals you (your runner) wrote.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from core.instrument import Instrument
from invsync.live.records import KINDS, Row

FORMAT: Final = "invsync-journal/1"
_LEVELS: Final = {"process": "NORMAL", "power": "FULL"}


class JournalError(Exception):
    """A journal that cannot be used as asked (names the file and the problem)."""


def _instrument_json(inst: Instrument) -> dict[str, Any]:
    return {k: (None if v is None else str(v)) for k, v in attrs.asdict(inst).items()}


def _instrument_of(d: dict[str, Any]) -> Instrument:
    from decimal import Decimal

    kwargs: dict[str, Any] = {"symbol": d["symbol"], "kind": d["kind"]}
    kwargs["base"], kwargs["quote"] = d["base"], d["quote"]
    for name in ("contract_size", "tick_size", "lot_size", "max_fee_rate"):
        if d.get(name) is not None:
            kwargs[name] = Decimal(d[name])
    return Instrument(**kwargs)


class Journal:
    """An append-only SQLite journal (WAL); see the module docstring for what it survives."""

    def __init__(
        self,
        path: str | Path,
        *,
        codec: str | None = None,
        instruments: Sequence[Instrument] | None = None,
        durability: str = "process",
    ) -> None:
        if durability not in _LEVELS:
            raise JournalError(f"Journal durability: {durability!r} is not 'process' or 'power'")
        self.path = Path(path)
        self.durability = durability
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        db = self._db
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect on a new file
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(f"journal {self.path}: WAL mode refused (got {mode})")
        db.execute(f"PRAGMA synchronous={_LEVELS[durability]}")
        db.execute(
            "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
            "source TEXT NOT NULL, body TEXT NOT NULL, state BLOB, at REAL NOT NULL)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            if codec is None or instruments is None:
                raise JournalError(
                    f"journal {self.path}: new journal needs codec= and instruments="
                )
            db.execute("BEGIN")
            db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
            db.execute("INSERT INTO meta VALUES ('codec', ?)", (codec,))
            db.execute(
                "INSERT INTO meta VALUES ('instruments', ?)",
                (json.dumps([_instrument_json(i) for i in instruments]),),
            )
            db.execute("COMMIT")
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise JournalError(f"journal {self.path}: unknown format {meta.get('format')!r}")
        if codec is not None and meta["codec"] != codec:
            raise JournalError(
                f"journal {self.path}: written by codec {meta['codec']!r}, not {codec!r}"
            )
        self.codec: str = meta["codec"]
        self.instruments: tuple[Instrument, ...] = tuple(
            _instrument_of(d) for d in json.loads(meta["instruments"])
        )
        last = db.execute(
            "SELECT seq, kind, source, body FROM rows ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self._last: int = int(last[0]) if last is not None else 0
        self._last_source: str = str(last[2]) if last is not None else ""
        if last is not None and last[1] == "checkpoint":
            self._last_source = str(json.loads(last[3]).get("last_source", ""))
        self._count: int = int(db.execute("SELECT COUNT(*) FROM rows").fetchone()[0])

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, codec={self.codec!r}, rows={self._count})"

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest row (0 if empty)."""
        return self._last

    def __len__(self) -> int:
        return self._count

    def append(self, kind: str, source: str, body: str) -> Row:
        """Append one row and commit it; returns it once it is durable (see module doc)."""
        if kind not in KINDS or kind == "checkpoint":
            raise JournalError(f"Journal.append: unknown row kind {kind!r}")
        seq = self._last + 1
        self._db.execute(
            "INSERT INTO rows (seq, kind, source, body, state, at) VALUES (?, ?, ?, ?, NULL, ?)",
            (seq, kind, source, body, time.time()),
        )
        self._last = seq
        self._last_source = source
        self._count += 1
        return Row(seq, kind, source, body)

    def checkpoint(self, state: object) -> Row:
        """Write ``state`` as a checkpoint row and delete every older row, atomically."""
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        seq = self._last + 1
        # What it covers: the sequence number and source of the last row folded into it.
        body = json.dumps({"covers": self._last, "last_source": self._last_source})
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO rows (seq, kind, source, body, state, at) "
                "VALUES (?, 'checkpoint', 'runner', ?, ?, ?)",
                (seq, body, blob, time.time()),
            )
            db.execute("DELETE FROM rows WHERE seq < ?", (seq,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._last = seq  # _last_source stays: a checkpoint covers the same last row
        self._count = 1
        db.execute("PRAGMA incremental_vacuum")
        return Row(seq, "checkpoint", "runner", body)

    def rows(self, after: int = 0) -> Iterator[Row]:
        """Rows with ``seq > after``, in order (a checkpoint row's state is not included)."""
        cur = self._db.execute(
            "SELECT seq, kind, source, body FROM rows WHERE seq > ? ORDER BY seq", (after,)
        )
        for seq, kind, source, body in cur:
            yield Row(int(seq), str(kind), str(source), str(body))

    def latest_checkpoint(self) -> tuple[int, object] | None:
        """``(seq, state)`` of the newest checkpoint, or None."""
        got = self._db.execute(
            "SELECT seq, state FROM rows WHERE kind = 'checkpoint' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if got is None:
            return None
        return int(got[0]), pickle.loads(got[1])

    def gaps(self) -> list[tuple[int, int]]:
        """``(after, next)`` pairs where sequence numbers skip (a sound journal has none)."""
        out: list[tuple[int, int]] = []
        prev: int | None = None
        for (seq,) in self._db.execute("SELECT seq FROM rows ORDER BY seq"):
            if prev is not None and seq != prev + 1:
                out.append((prev, int(seq)))
            prev = int(seq)
        return out

    def close(self) -> None:
        """Close the file (every appended row is already committed)."""
        self._db.close()
