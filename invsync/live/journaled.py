"""Journal, then apply: the one path by which the runner (and replay) changes an Inventory.

``JournaledInventory.ingest(kind, source, body)`` appends the row to the journal (committed)
and only then applies its events, decoded by the journal's pure codec. ``rebuild`` replays a
journal through the same ``apply_row``, so a replayed Inventory equals the live one after
the same rows, whatever was killed when.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from core import Inventory
from core import events as ev
from core.errors import InventoryError
from invsync.live.anomalies import Anomalies
from invsync.live.journal import Journal, JournalError
from invsync.live.records import Row, codec_for

log = logging.getLogger("invsync.live.journal")


def apply_row(
    inv: Inventory, decode: Callable[[Row], list[ev.Event]], row: Row
) -> tuple[list[ev.Event], str | None]:
    """Decode one row and apply its events; returns them and the first error (or None).

    The same function the runner uses, so live and replayed state cannot drift apart.
    """
    try:
        events = decode(row)
    except (InventoryError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        return [], f"unreadable: {type(exc).__name__}: {exc}"
    error: str | None = None
    for e in events:
        try:
            inv.apply(e)
        except InventoryError as exc:
            error = error or f"{type(exc).__name__}: {exc}"
    return events, error


def rebuild(journal: Journal, anomalies: Anomalies | None = None) -> tuple[Inventory, int]:
    """The Inventory after every committed row, and the number of rows applied."""
    decode = codec_for(journal.codec)
    after = 0
    cp = journal.latest_checkpoint()
    if cp is not None:
        after, state = cp
        if not isinstance(state, Inventory):
            raise JournalError(f"journal {journal.path}: checkpoint {after} holds no Inventory")
        inv = state
    else:
        inv = Inventory(journal.instruments)
    n = 0
    for row in journal.rows(after):
        events, error = apply_row(inv, decode, row)
        n += 1
        if anomalies is not None:
            anomalies.observe(row, events, error)
    return inv, n


class JournaledInventory:
    """An Inventory whose every input is journaled first (see the module docstring).

    Opening a journal that already has rows rebuilds the Inventory from it (checkpoint,
    then the rows after it). ``checkpoint_every`` rows after the last checkpoint, the next
    ``ingest`` compacts the journal (``Journal.checkpoint``).
    """

    def __init__(
        self,
        journal: Journal,
        inventory: Inventory | None = None,
        *,
        checkpoint_every: int = 0,
        on_apply: Callable[[Row, list[ev.Event], str | None], None] | None = None,
    ) -> None:
        self.journal = journal
        self.decode = codec_for(journal.codec)
        self.anomalies = Anomalies()
        self.checkpoint_every = checkpoint_every
        self.on_apply = on_apply
        self.restored = len(journal) > 0
        if self.restored:
            self.inventory, self.applied = rebuild(journal, self.anomalies)
        else:
            self.inventory = inventory if inventory is not None else Inventory(journal.instruments)
            self.applied = 0
        self._since_checkpoint = self.applied

    def ingest(self, kind: str, source: str, body: str) -> tuple[list[ev.Event], str | None]:
        """Journal one row (committed), then apply its events; returns them and any error."""
        row = self.journal.append(kind, source, body)
        events, error = apply_row(self.inventory, self.decode, row)
        self.applied += 1
        self._since_checkpoint += 1
        self.anomalies.observe(row, events, error)
        if error is not None:
            log.warning("row %d (%s from %s): %s", row.seq, kind, source, error)
        if self.on_apply is not None:
            self.on_apply(row, events, error)
        if self.checkpoint_every and self._since_checkpoint >= self.checkpoint_every:
            self.checkpoint()
        return events, error

    def note(self, what: str, **fields: object) -> None:
        """Journal an information row (no events): reconciliation diffs, restarts."""
        self.ingest("note", "runner", json.dumps({"what": what, **fields}, default=str))

    def checkpoint(self) -> None:
        """Compact the journal: the current Inventory becomes its first row."""
        self.journal.checkpoint(self.inventory)
        self._since_checkpoint = 0
