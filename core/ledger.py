"""Per-asset balance ledger: the last report plus the known changes it does not cover yet.

``expected = reported + sum(changes with version > reported version)``. A report drops
the changes it covers (by version, or exactly by trade id where the venue lists them);
a change already covered is never added. Each change has a key, so a duplicate of a
change still pending is a no-op, and one already covered is skipped by its version:
this is what makes the balance independent of arrival order and of duplicates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from core.values import ZERO

#: The version of a change whose venue version is not known yet (an in-flight order's
#: reserve): no report can cover it, so free stays conservative until the venue speaks.
IN_FLIGHT: Final = 1 << 62


class Change:
    """One pending versioned delta of an asset, owned by an order (and maybe one of its fills)."""

    __slots__ = ("free", "owner", "total", "trade_id", "version")

    def __init__(
        self, version: int, total: Decimal, free: Decimal, trade_id: str | None, owner: object
    ) -> None:
        self.version = version
        self.total = total
        self.free = free
        self.trade_id = trade_id
        self.owner = owner


class AssetLedger:
    """The reported balance of one asset and the pending changes on top of it."""

    __slots__ = ("asset", "free", "pending", "sum_free", "sum_total", "total", "trade_ids", "version")

    def __init__(self, asset: str) -> None:
        self.asset = asset
        self.total = ZERO
        self.free = ZERO
        self.version = -1
        self.trade_ids: frozenset[str] = frozenset()
        self.pending: dict[object, Change] = {}
        self.sum_total = ZERO
        self.sum_free = ZERO

    def covers(self, version: int, trade_id: str | None) -> bool:
        """Whether the current report already includes a change at ``version``."""
        return version <= self.version or (trade_id is not None and trade_id in self.trade_ids)

    def add(
        self,
        key: object,
        version: int,
        total: Decimal,
        free: Decimal,
        trade_id: str | None,
        owner: object,
    ) -> bool:
        """Record a change unless covered or already pending; True if it is now pending."""
        if key in self.pending or self.covers(version, trade_id):
            return False
        self.pending[key] = Change(version, total, free, trade_id, owner)
        self.sum_total += total
        self.sum_free += free
        return True

    def remove(self, key: object) -> Change | None:
        """Forget a pending change (e.g. the reserve of an order the venue rejected)."""
        ch = self.pending.pop(key, None)
        if ch is not None:
            self.sum_total -= ch.total
            self.sum_free -= ch.free
        return ch

    def amend(self, key: object, total: Decimal, free: Decimal) -> None:
        """Replace the amounts of a pending change (a venue figure replacing a computed one)."""
        ch = self.pending[key]
        self.sum_total += total - ch.total
        self.sum_free += free - ch.free
        ch.total = total
        ch.free = free

    def report(
        self, total: Decimal, free: Decimal, version: int, trade_ids: frozenset[str] | None
    ) -> list[Change] | None:
        """Apply a report; None if older than the current one, else the changes it covered."""
        if version < self.version:
            return None
        self.total = total
        self.free = free
        self.version = version
        self.trade_ids = trade_ids if trade_ids is not None else frozenset()
        dropped: list[Change] = []
        if self.pending:
            ids = self.trade_ids
            for key, ch in list(self.pending.items()):
                if ch.version <= version or (ch.trade_id is not None and ch.trade_id in ids):
                    del self.pending[key]
                    dropped.append(ch)
            if dropped:
                self.sum_total = sum((c.total for c in self.pending.values()), ZERO)
                self.sum_free = sum((c.free for c in self.pending.values()), ZERO)
        return dropped
