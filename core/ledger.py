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

#: One pending change: (version, total delta, free delta, trade id or None, owner).
#: A plain tuple, not a class: the hot path creates one per fill and asset.
Change = tuple[int, Decimal, Decimal, "str | None", object]
VERSION: Final = 0
TOTAL: Final = 1
FREE: Final = 2
TRADE_ID: Final = 3
OWNER: Final = 4

_NO_IDS: Final[frozenset[str]] = frozenset()
_NOTHING: Final[list[Change]] = []  # shared, never mutated: "nothing covered"


class AssetLedger:
    """The reported balance of one asset and the pending changes on top of it."""

    __slots__ = (
        "asset",
        "free",
        "pending",
        "sum_free",
        "sum_total",
        "top",
        "total",
        "trade_ids",
        "version",
    )

    def __init__(self, asset: str) -> None:
        self.asset = asset
        self.total = ZERO
        self.free = ZERO
        self.version = -1
        self.trade_ids: frozenset[str] = _NO_IDS
        self.pending: dict[object, Change] = {}
        self.sum_total = ZERO
        self.sum_free = ZERO
        # At least the newest version pending (never lowered by a removal): a report at
        # or above it covers every pending change, with no need to look at each.
        self.top = -1

    # Copy and pickle by state, not by the default for slots: a compiled (mypyc) build has
    # no default, and the Inventory deep-copies its ledgers to roll back a failed snapshot.
    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support: a blank ledger of the asset, then its state."""
        state = (
            self.total,
            self.free,
            self.version,
            self.trade_ids,
            self.pending,
            self.sum_total,
            self.sum_free,
            self.top,
        )
        return (AssetLedger, (self.asset,), state)

    def __setstate__(
        self,
        state: tuple[
            Decimal, Decimal, int, frozenset[str], dict[object, Change], Decimal, Decimal, int
        ],
    ) -> None:
        """Restore what ``__reduce__`` saved."""
        (
            self.total,
            self.free,
            self.version,
            self.trade_ids,
            self.pending,
            self.sum_total,
            self.sum_free,
            self.top,
        ) = state

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
        if (
            version <= self.version
            or key in self.pending
            or (trade_id is not None and trade_id in self.trade_ids)
        ):
            return False
        self.pending[key] = (version, total, free, trade_id, owner)
        if version > self.top:
            self.top = version
        self.sum_total += total
        self.sum_free += free
        return True

    def remove(self, key: object) -> Change | None:
        """Forget a pending change (e.g. the reserve of an order the venue rejected)."""
        ch = self.pending.pop(key, None)
        if ch is not None:
            self.sum_total -= ch[TOTAL]
            self.sum_free -= ch[FREE]
        return ch

    def amend(self, key: object, total: Decimal, free: Decimal) -> None:
        """Replace the amounts of a pending change (a venue figure replacing a computed one)."""
        ch = self.pending[key]
        self.sum_total += total - ch[TOTAL]
        self.sum_free += free - ch[FREE]
        self.pending[key] = (ch[VERSION], total, free, ch[TRADE_ID], ch[OWNER])

    def expected(self) -> tuple[Decimal, Decimal]:
        """(total, free): the report moved by every pending change."""
        return self.total + self.sum_total, self.free + self.sum_free

    def report(
        self, total: Decimal, free: Decimal | None, version: int, trade_ids: frozenset[str] | None
    ) -> list[Change] | None:
        """Apply a report; None if older than the current one, else the changes it covered.

        ``free=None`` keeps the reported locked amount: free moves with the total.
        """
        if version < self.version:
            return None
        if free is None:
            free = total - (self.total - self.free)
        self.total = total
        self.free = free
        self.version = version
        ids = self.trade_ids = trade_ids if trade_ids is not None else _NO_IDS
        pending = self.pending
        if not pending:
            return _NOTHING
        if version >= self.top:
            dropped = list(pending.values())
            self.pending = {}
            self.sum_total = self.sum_free = ZERO
            self.top = -1
            return dropped
        if ids:
            dropped = [ch for ch in pending.values() if ch[0] <= version or ch[3] in ids]
        else:
            dropped = [ch for ch in pending.values() if ch[0] <= version]
        if not dropped:
            return dropped
        if len(dropped) == len(pending):
            self.pending = {}
            self.sum_total = self.sum_free = ZERO
            self.top = -1
            return dropped
        keep = {
            key: ch
            for key, ch in pending.items()
            if not (ch[0] <= version or (ids and ch[3] in ids))
        }
        self.pending = keep
        self.sum_total = sum((c[TOTAL] for c in keep.values()), ZERO)
        self.sum_free = sum((c[FREE] for c in keep.values()), ZERO)
        return dropped
