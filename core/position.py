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

from core.values import ONE, ZERO

#: The arithmetic context of every non-terminating division (entry prices, PnL).
EXACT: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)


def step(
    qty: Decimal, entry: Decimal, dq: Decimal, price: Decimal, inverse: bool, cs: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Apply a signed fill ``dq`` at ``price``: the new (quantity, entry price, realized PnL)."""
    new = qty + dq
    long = qty > ZERO
    if not qty or long == (dq > ZERO):
        if inverse:
            weight = EXACT.add(
                EXACT.divide(abs(qty), entry) if qty else ZERO, EXACT.divide(abs(dq), price)
            )
            return new, EXACT.divide(abs(new), weight), ZERO
        basis = EXACT.add(abs(qty) * entry, abs(dq) * price)
        return new, EXACT.divide(basis, abs(new)), ZERO
    closed = min(abs(dq), abs(qty))
    if entry <= ZERO:
        # No entry price to close against (a position rebuilt from a flat report): no
        # computable PnL; a venue figure or the next position report stands instead.
        return new, price if new else ZERO, ZERO
    if inverse:
        per = EXACT.subtract(EXACT.divide(ONE, entry), EXACT.divide(ONE, price))
    else:
        per = price - entry
    size = closed * cs
    pnl = EXACT.multiply(size if long else size.copy_negate(), per)
    if not new:
        return new, ZERO, pnl
    if (new > ZERO) != long:
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

    # Copy and pickle by state, not by the default for slots: a compiled (mypyc) build has
    # no default, and the Inventory deep-copies its state to roll back a failed snapshot.
    # State, not constructor arguments, so a cycle through ``owner`` copies this once.
    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support: a blank fill, then its state."""
        state = (self.key, self.version, self.dq, self.price, self.trade_id, self.owner)
        return (PendingFill, (None, 0, ZERO, ZERO, "", None), state)

    def __setstate__(self, state: tuple[object, int, Decimal, Decimal, str, object]) -> None:
        """Restore what ``__reduce__`` saved."""
        self.key, self.version, self.dq, self.price, self.trade_id, self.owner = state


def _venue_order(f: PendingFill) -> tuple[int, str]:
    """Sort key of fills in venue order: version, then trade id for ties."""
    return (f.version, f.trade_id)


#: How many position reports a book keeps to price late fills against when the settle
#: wallet is not reported (normally a wallet report lets all but one or two go).
HISTORY: Final = 64

#: One kept position report: (version, quantity, entry price, trade ids it lists).
Report = tuple[int, Decimal, Decimal, frozenset[str]]


class PositionBook:
    """The reported position of one derivative and the pending fills on top of it.

    For realized PnL it also keeps the reports and fills a late fill may rest on: the
    PnL of a fill is that of the position just before it, which is the newest report not
    including it replayed with the fills after that report and before it.
    """

    __slots__ = (
        "cs",
        "entry",
        "history",
        "inverse",
        "pending",
        "quantity",
        "seen",
        "seen_ordered",
        "trade_ids",
        "version",
    )

    def __init__(self, inverse: bool, cs: Decimal) -> None:
        self.inverse = inverse
        self.cs = cs
        self.quantity = ZERO
        self.entry = ZERO
        self.version = -1
        self.trade_ids: frozenset[str] = frozenset()
        self.pending: dict[object, PendingFill] = {}
        # Reports in version order (the first: flat before anything), and every known fill
        # newer than the first of them, covered or not.
        self.history: list[Report] = [(-1, ZERO, ZERO, frozenset())]
        self.seen: dict[object, PendingFill] = {}
        # Whether ``seen`` is already in venue order (fills mostly arrive in it): ``pnls``
        # then needs no sort. Deleting keeps the order; only an add out of order loses it.
        self.seen_ordered = True

    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support by state (see ``PendingFill.__reduce__``)."""
        state = (
            self.quantity,
            self.entry,
            self.version,
            self.trade_ids,
            self.pending,
            self.history,
            self.seen,
            self.seen_ordered,
        )
        return (PositionBook, (self.inverse, self.cs), state)

    def __setstate__(
        self,
        state: tuple[
            Decimal,
            Decimal,
            int,
            frozenset[str],
            dict[object, PendingFill],
            list[Report],
            dict[object, PendingFill],
            bool,
        ],
    ) -> None:
        """Restore what ``__reduce__`` saved."""
        (
            self.quantity,
            self.entry,
            self.version,
            self.trade_ids,
            self.pending,
            self.history,
            self.seen,
            self.seen_ordered,
        ) = state

    def covers(self, version: int, trade_id: str) -> bool:
        """Whether the current report already includes a fill at ``version``."""
        return version <= self.version or trade_id in self.trade_ids

    def ordered(self) -> list[PendingFill]:
        """Pending fills in venue order (version, then trade id for ties)."""
        return sorted(self.pending.values(), key=_venue_order)

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
        if key in self.pending or key in self.seen:
            return False
        pf = PendingFill(key, version, dq, price, trade_id, owner)
        if version > self.history[0][0]:
            seen = self.seen
            if seen and self.seen_ordered:
                last = next(reversed(seen.values()))
                if (version, trade_id) < (last.version, last.trade_id):
                    self.seen_ordered = False
            seen[key] = pf
        if self.covers(version, trade_id):
            return False
        self.pending[key] = pf
        return True

    def pnls(self, after: int) -> list[tuple[PendingFill, Decimal]]:
        """Each kept fill newer than ``after`` with its PnL against the position just before it.

        That position is the newest report not including the fill, replayed with the known
        fills after it. Where the next report (one that includes the fill) shows a quantity
        that replay does not reach, fills between are missing: the fill is priced against
        that report's state instead, as if it were the state after the fill. A fill older
        than every kept report is left out (nothing to price it against).
        """
        if self.seen_ordered:
            fills = list(self.seen.values())
        else:
            fills = sorted(self.seen.values(), key=_venue_order)
            self.seen = {f.key: f for f in fills}
            self.seen_ordered = True
        history = self.history
        inverse, cs = self.inverse, self.cs
        out: list[tuple[PendingFill, Decimal]] = []
        anchor = -1
        reached: dict[int, bool] = {}
        q = e = ZERO
        j = 0
        for i, f in enumerate(fills):
            if f.version <= after:
                continue
            ia = len(history) - 1
            while ia >= 0 and not (history[ia][0] < f.version and f.trade_id not in history[ia][3]):
                ia -= 1
            if ia < 0:
                continue
            a = history[ia]
            if ia + 1 < len(history):
                ok = reached.get(ia)
                if ok is None:
                    ok = reached[ia] = self._reaches(fills, a, history[ia + 1])
                if not ok:
                    c = history[ia + 1]
                    out.append((f, step(c[1] - f.dq, c[2], f.dq, f.price, inverse, cs)[2]))
                    continue
            if ia != anchor:
                anchor, q, e, j = ia, a[1], a[2], 0
            while j < i:
                g = fills[j]
                j += 1
                if g.version > a[0] and g.trade_id not in a[3]:
                    q, e, _ = step(q, e, g.dq, g.price, inverse, cs)
            out.append((f, step(q, e, f.dq, f.price, inverse, cs)[2]))
        return out

    @staticmethod
    def _reaches(fills: list[PendingFill], a: Report, c: Report) -> bool:
        """Whether the known fills between reports ``a`` and ``c`` take a's quantity to c's."""
        q = a[1]
        for g in fills:
            if (g.version > a[0] and g.trade_id not in a[3]) and (
                g.version <= c[0] or g.trade_id in c[3]
            ):
                q += g.dq
        return q == c[1]

    def forget(self, before: int) -> None:
        """Let go of what no fill newer than ``before`` rests on (their PnL is reported)."""
        history = self.history
        if len(history) < 2 or (history[1][0] > before and len(history) <= HISTORY):
            return  # the oldest kept report is still the newest at or before ``before``
        k = 0
        for i, r in enumerate(history):
            if r[0] <= before:
                k = i
        k = max(k, len(history) - HISTORY)
        if k == 0:
            return
        del history[:k]
        floor = history[0][0]
        for key in [key for key, f in self.seen.items() if f.version <= floor]:
            del self.seen[key]

    def report(
        self, quantity: Decimal, entry: Decimal, version: int, trade_ids: frozenset[str] | None
    ) -> list[PendingFill] | None:
        """Apply a report; None if older than the current one, else the fills it covered."""
        if version < self.version:
            return None
        self.quantity = quantity
        self.entry = entry if quantity else ZERO
        self.version = version
        self.trade_ids = trade_ids if trade_ids is not None else frozenset()
        kept = (version, quantity, self.entry, self.trade_ids)
        if self.history[-1][0] == version:
            self.history[-1] = kept
        else:
            self.history.append(kept)
        dropped: list[PendingFill] = []
        for key, f in list(self.pending.items()):
            if f.version <= version or f.trade_id in self.trade_ids:
                del self.pending[key]
                dropped.append(f)
        return dropped
