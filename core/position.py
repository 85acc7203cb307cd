"""Per-derivative position book: the last position report plus the fills it does not cover.

The position is the report replayed forward with the pending fills in version order.
Entry price and realized PnL follow DESIGN §2: a linear entry is the quantity-weighted
arithmetic mean of fill prices, an inverse one the harmonic mean, both at 28
significant digits rounded half-even; closing ``q`` of a long realizes
``q * cs * (exit - entry)`` (linear, in quote) or ``q * cs * (1/entry - 1/exit)``
(inverse, in base), a short the negation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Final

from core.values import ZERO

#: The arithmetic context of every non-terminating division (entry prices, PnL).
EXACT: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)


def step(
    qty: Decimal, entry: Decimal, dq: Decimal, price: Decimal, inverse: bool, cs: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Apply a signed fill ``dq`` at ``price``: the new (quantity, entry price, realized PnL)."""
    new = qty + dq
    if qty == 0 or (qty > 0) == (dq > 0):
        if inverse:
            weight = EXACT.add(
                EXACT.divide(abs(qty), entry) if qty else ZERO, EXACT.divide(abs(dq), price)
            )
            return new, EXACT.divide(abs(new), weight), ZERO
        basis = EXACT.add(abs(qty) * entry, abs(dq) * price)
        return new, EXACT.divide(basis, abs(new)), ZERO
    closed = min(abs(dq), abs(qty))
    sign = 1 if qty > 0 else -1
    if entry <= 0:
        # No entry price to close against (a position rebuilt from a flat report): no
        # computable PnL; a venue figure or the next position report stands instead.
        return new, price if new != 0 else ZERO, ZERO
    if inverse:
        per = EXACT.subtract(EXACT.divide(1, entry), EXACT.divide(1, price))
    else:
        per = price - entry
    pnl = EXACT.multiply(closed * cs * sign, per)
    if new == 0:
        return new, ZERO, pnl
    if (new > 0) != (qty > 0):
        return new, price, pnl
    return new, entry, pnl


class PendingFill:
    """A fill a position report does not cover yet."""

    __slots__ = ("dq", "key", "owner", "price", "trade_id", "version")

    def __init__(
        self, key: object, version: int, dq: Decimal, price: Decimal, trade_id: str, owner: object
    ) -> None:
        self.owner = owner
        self.key = key
        self.version = version
        self.dq = dq
        self.price = price
        self.trade_id = trade_id


class PositionBook:
    """The reported position of one derivative and the pending fills on top of it."""

    __slots__ = ("cs", "entry", "inverse", "pending", "quantity", "trade_ids", "version")

    def __init__(self, inverse: bool, cs: Decimal) -> None:
        self.inverse = inverse
        self.cs = cs
        self.quantity = ZERO
        self.entry = ZERO
        self.version = -1
        self.trade_ids: frozenset[str] = frozenset()
        self.pending: dict[object, PendingFill] = {}

    def covers(self, version: int, trade_id: str) -> bool:
        """Whether the current report already includes a fill at ``version``."""
        return version <= self.version or trade_id in self.trade_ids

    def ordered(self) -> list[PendingFill]:
        """Pending fills in venue order (version, then trade id for ties)."""
        return sorted(self.pending.values(), key=lambda f: (f.version, f.trade_id))

    def replay(self) -> tuple[Decimal, Decimal, dict[object, Decimal]]:
        """The position after every pending fill, and each pending fill's computed PnL."""
        q, e = self.quantity, self.entry
        pnl: dict[object, Decimal] = {}
        for f in self.ordered():
            q, e, pnl[f.key] = step(q, e, f.dq, f.price, self.inverse, self.cs)
        return q, e, pnl

    def add(
        self,
        key: object,
        version: int,
        dq: Decimal,
        price: Decimal,
        trade_id: str,
        owner: object = None,
    ) -> bool:
        """Record a fill unless covered or already pending; True if it is now pending."""
        if key in self.pending or self.covers(version, trade_id):
            return False
        self.pending[key] = PendingFill(key, version, dq, price, trade_id, owner)
        return True

    def report(
        self, quantity: Decimal, entry: Decimal, version: int, trade_ids: frozenset[str] | None
    ) -> list[PendingFill] | None:
        """Apply a report; None if older than the current one, else the fills it covered."""
        if version < self.version:
            return None
        self.quantity = quantity
        self.entry = entry if quantity != 0 else ZERO
        self.version = version
        self.trade_ids = trade_ids if trade_ids is not None else frozenset()
        dropped: list[PendingFill] = []
        for key, f in list(self.pending.items()):
            if f.version <= version or f.trade_id in self.trade_ids:
                del self.pending[key]
                dropped.append(f)
        return dropped
