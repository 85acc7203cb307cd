"""Views and exposure: what the public surface reads out of the state.

Owns: nothing; it only reads (``widening`` also forgets handed-over triggered orders in
``State.handoff``). ``view`` makes an order's public ``Order``; ``asset_exposure`` and
``position_exposure`` widen an expected balance or position by what the known orders
may still change unheard (P3, P8).
May touch: only reads, through the order records and the ledgers/position books.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from core.inventory import book
from core.inventory.state import (
    _TERMINAL,
    State,
    _Order,
)
from core.ledger import FREE
from core.position import EXACT
from core.values import ONE, ZERO
from core.views import Balance, Exposure, Order

_INF: Final = Decimal("Infinity")


def view(o: _Order) -> Order:
    """The public ``Order`` view of an order record."""
    filled = o.filled
    if o.known_filled > ZERO and o.known_filled >= o.reported_filled:
        avg: Decimal | None = EXACT.divide(o.known_notional, o.known_filled)
    else:
        avg = o.reported_avg if filled > ZERO else None
    terminal = o.state in _TERMINAL
    remaining = ZERO if terminal or o.quantity is None else o.quantity - filled
    return Order(
        symbol=o.inst.symbol,
        kind=o.inst.kind,
        side=o.side,
        status=o.state,
        quantity=o.quantity,
        price=o.price,
        filled_quantity=filled,
        remaining_quantity=remaining,
        average_price=avg,
        fees=tuple(sorted(o.fees.items())),
        client_order_id=o.client_order_id,
        order_id=o.order_id,
        conditional=o.conditional,
    )


def handed_over(st: State, o: _Order) -> bool:
    """A triggered conditional order whose new order is known: that order carries it."""
    tid = o.triggered_order_id
    if o.state != "triggered" or tid is None:
        return False
    # Known, or known and since dropped from the bounded history.
    return book.match(st, o.ii, tid, None) is not None or (o.ii, tid) in st.gone


def widening(st: State) -> Iterable[_Order]:
    """Every order whose unheard fills may move a balance or a position."""
    yield from st.live.values()
    for o in st.implied.values():
        if not handed_over(st, o):
            yield o
    for n, o in list(st.handoff.items()):
        if handed_over(st, o):
            book.drop_handoff(st, n)
        else:
            yield o


def asset_exposure(st: State, asset: str) -> Exposure:
    """The range an asset's balance may truly be in now."""
    b = balance(st, asset)
    low = high = b.total
    led = st.ledgers.get(asset)
    if led is not None and led.pending:
        for key, ch in led.pending.items():
            if type(key) is tuple and key[0] == "fa":
                low += ch[FREE]  # room for a fee still to come
    at = led.version if led is not None else -1
    for o in widening(st):
        inst = o.inst
        if inst.kind != "spot" or asset not in (inst.base, inst.quote):
            continue
        u = o.unseen()
        cov = ZERO
        if u is not None and o.cums is not None:
            cov = o.covered(at)
            u -= cov  # implied fills the balance report includes (P8)
        if u is not None and u <= ZERO:
            continue
        buy = o.side == "buy"
        rate = inst.max_fee_rate
        if asset == inst.base:
            if u is None:
                low, high = -_INF, _INF
            elif buy:
                high += u
                low -= u * rate
            else:
                low -= u * (ONE + rate)
        elif u is None:
            low, high = -_INF, _INF
        elif buy:
            price = o.price
            segs = o.segs
            if segs is not None:  # an unheard fill may predate an amend
                old = max((s[2] for s in segs if s[2] is not None), default=price)
                early = _before_last_values(st, o, u, at, cov)
                if early is None or old is None or price is None:
                    price = old
                elif early:
                    # Only fills up to the first report of the current values can be
                    # at an older price: the rest are at the current one (P8).
                    low -= early * max(old, price) * (ONE + rate)
                    u -= early
            a = o.amending
            if a is not None and a.hi_price is not None and (price is None or a.hi_price > price):
                price = a.hi_price  # or follow an amend the venue has not confirmed
            if price is None:
                low = -_INF
            else:
                low -= u * price * (ONE + rate)
        else:
            high = _INF
            if rate:
                low -= u * (o.price or ZERO) * rate
    return Exposure(low=low, expected=b.total, high=high)


def _before_last_values(
    st: State, o: _Order, u: Decimal, at: int, covered: Decimal
) -> Decimal | None:
    """How many of ``u`` unheard fills of an amended order, outside the ``covered`` ones a
    balance report at ``at`` includes, may predate the first report of its current
    values; None where no report bounds it."""
    segs = o.segs
    assert segs is not None
    first = segs[-1][0][0]
    if first < 0 or len(segs) < 2:
        return None
    if at >= first:
        return ZERO  # every fill up to that report is inside the balance report
    cap = o.filled_by(first)
    if cap is None:
        return None
    k = sum((f.quantity for f in o.fills.values() if f.version <= first), ZERO)
    # Unheard fills in (at, first]: at most (cap - k) less the covered ones, all <= at.
    early = cap - k - covered
    if early <= ZERO:
        return ZERO
    return early if early < u else u


def position_exposure(st: State, ii: int) -> Exposure:
    """The range a derivative's position may truly be in now."""
    book = st.positions[ii]
    q, _, _ = book.replay()
    low = high = q
    for o in widening(st):
        if o.ii != ii:
            continue
        u = o.unseen()
        if u is None:
            return Exposure(low=-_INF, expected=q, high=_INF)
        if o.cums is not None:
            u -= o.covered(book.version)  # implied fills the position report includes
        if u <= ZERO:
            continue
        if o.side == "buy":
            high += u
        else:
            low -= u
    return Exposure(low=low, expected=q, high=high)


def balance(st: State, asset: str) -> Balance:
    """An asset's expected balance: the last report moved by every known later change."""
    led = st.ledgers.get(asset)
    if led is None:
        return Balance(total=ZERO, free=ZERO, locked=ZERO)
    total, free = led.expected()
    return Balance(total=total, free=free, locked=total - free)
