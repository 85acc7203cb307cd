"""Amends: the bot's amend chains in flight, their answer, and what they may have reserved.

Owns: ``_Amend`` (one order's unanswered chain), ``_Order.amending`` and ``unheard``, and
their reserve changes (``("ai", n)``: the rise of a chain in flight, ``("aw", n)``: the
rise of answered states no report has shown).
May touch: the ledgers through ``changes``; fill unlocks through ``spot``; order lookups and
lifecycle through ``book``.
"""

from __future__ import annotations

from decimal import Decimal

from core import events as ev
from core.errors import InvalidEvent
from core.inventory import (
    book,
    changes,
    spot,
)
from core.inventory.state import (
    _TERMINAL,
    State,
    _Order,
)
from core.ledger import FREE, IN_FLIGHT
from core.values import ONE, ZERO


class _Amend:
    """The bot's amends of one order that the venue has not answered yet.

    ``states``: the order's (quantity, reserve unit, price) before them and after each, in
    the order sent; the venue is at one of them, and moves only forward.
    """

    __slots__ = (
        "asks",
        "hi_price",
        "hi_quantity",
        "lo_unit",
        "price",
        "quantity",
        "seen",
        "since",
        "states",
    )

    def __init__(self, states: list[tuple[Decimal, Decimal, Decimal | None]]) -> None:
        self.states = states
        # Each amend as the bot asked it (None: unchanged), one per state after the first:
        # a refusal names one, and the states after it are rebuilt without it.
        self.asks: list[tuple[Decimal | None, Decimal | None]] = []
        # The reports heard since the chain was sent, as (version, quantity, price): in
        # version order they show how far along the chain the venue has come.
        self.seen: list[tuple[int, Decimal, Decimal | None]] = []
        # The newest version heard of the order when the first amend was sent: reports
        # up to it cannot show a state of the chain.
        self.since = -1
        self.quantity, _, self.price = states[-1]  # what the venue shows once all are taken
        self.hi_quantity = max(s[0] for s in states)
        self.lo_unit = min(s[1] for s in states)
        prices = [s[2] for s in states if s[2] is not None]
        self.hi_price = max(prices) if prices else None

    # Copy and pickle by state (as State's classes do): a compiled build has no default.
    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support: a chain of the same states, then its state."""
        state = (
            self.asks,
            self.hi_price,
            self.hi_quantity,
            self.lo_unit,
            self.price,
            self.quantity,
            self.seen,
            self.since,
            self.states,
        )
        return (_Amend, (self.states,), state)

    def __setstate__(
        self,
        state: tuple[
            list[tuple[Decimal | None, Decimal | None]],
            Decimal | None,
            Decimal,
            Decimal,
            Decimal | None,
            Decimal,
            list[tuple[int, Decimal, Decimal | None]],
            int,
            list[tuple[Decimal, Decimal, Decimal | None]],
        ],
    ) -> None:
        """Restore what ``__reduce__`` saved."""
        (
            self.asks,
            self.hi_price,
            self.hi_quantity,
            self.lo_unit,
            self.price,
            self.quantity,
            self.seen,
            self.since,
            self.states,
        ) = state

    def rise(self, done: Decimal) -> Decimal:
        """The most the venue's reserve may have grown since any balance report."""
        # Fills not heard yet count too: where an amend lowers the price, every unit
        # filled before it shrinks the old reserve more than the new one. The rise is
        # linear in the filled quantity, so its ends (what is known, the smallest size
        # of the chain) bound it.
        most = min(s[0] for s in self.states)
        if most > done:
            return max(self._rise(done), self._rise(most))
        return self._rise(done)

    def reached(self) -> tuple[int, int]:
        """How far along the chain the reports prove the venue came: (state index, the
        version of the report that proved it). The venue walks the states in order, so
        each report, in version order, moves the position to the next state showing its
        values (staying put if it shows the current one); the earliest such match is
        the safe reading where values repeat."""
        pos, at = 0, -1
        states = self.states
        for v, q, p in sorted(self.seen, key=lambda x: x[0]):
            if v <= at or (states[pos][0], states[pos][2]) == (q, p):
                continue  # a step is proved only by a newer report
            for i in range(pos + 1, len(states)):
                if (states[i][0], states[i][2]) == (q, p):
                    pos, at = i, v
                    break
        return pos, at

    def _rise(self, done: Decimal) -> Decimal:
        worst = ZERO
        low: Decimal | None = None
        for q, u, _ in self.states:
            r = (q - done) * u
            if low is None or r < low:
                low = r
            elif r - low > worst:
                worst = r - low
        return worst


def on_amend_requested(st: State, a: ev.AmendRequested) -> None:
    """The bot asked to amend an order: the chain in flight grows by one amend."""
    key = a.client_order_id or a.order_id
    o = book.find(st, a.order_id, a.client_order_id)
    if o is None:
        raise InvalidEvent(f"amend {key}: unknown order")
    if o.state in _TERMINAL:
        raise InvalidEvent(f"amend {key}: the order is already {o.state}")
    if o.quantity is None:
        raise InvalidEvent(f"amend {key}: the order's quantity is not known yet")
    if a.price is not None and o.price is None:
        raise InvalidEvent(f"amend {key}: a market order has no price to amend")
    # An amend not answered yet still stands: a second one changes what it left alone.
    prev = o.amending
    base_q, base_p = (o.quantity, o.price) if prev is None else (prev.quantity, prev.price)
    q = base_q if a.quantity is None else a.quantity
    if q <= o.filled:
        raise InvalidEvent(f"amend {key}: quantity {q} not above the filled quantity {o.filled}")
    p = base_p if a.price is None else a.price
    if prev is None and (q, p) == (o.quantity, o.price):
        return  # asks for nothing the venue does not have
    start = (o.quantity, o.price) if prev is None else (prev.states[0][0], prev.states[0][2])
    asks = [*(prev.asks if prev is not None else ()), (a.quantity, a.price)]
    new = _chain(st, o, start, asks)
    if prev is not None:
        new.since, new.seen = prev.since, prev.seen
    else:
        new.since = o.max_version
    set_amending(st, o, new)


def _chain(
    st: State,
    o: _Order,
    start: tuple[Decimal, Decimal | None],
    asks: list[tuple[Decimal | None, Decimal | None]],
) -> _Amend:
    """The states a venue order goes through from ``start`` as each amend is taken."""
    q, p = start
    states = [(q, unit(st, o, p), p)]
    for aq, ap in asks:
        q = q if aq is None else aq
        p = p if ap is None else ap
        states.append((q, unit(st, o, p), p))
    chain = _Amend(states)
    chain.asks = asks
    return chain


def unit(st: State, o: _Order, price: Decimal | None) -> Decimal:
    """What one unit of a spot order's quantity reserves (once live) at ``price``."""
    if o.side == "sell":
        return ONE
    if o.order_type == "market" or price is None:
        return ZERO
    return price


def on_amend_failed(st: State, a: ev.AmendFailed) -> None:
    """The venue refused an amend: the chain goes on without it."""
    o = book.find(st, a.order_id, a.client_order_id)
    if o is None:
        if st.gone or st.forgotten:
            return  # about an order dropped from history
        raise InvalidEvent(f"amend failed {a.client_order_id or a.order_id}: unknown order")
    chain = o.amending
    if chain is None:
        return  # answered already, or the order ended
    for f in o.fills.values():
        f.lo = None  # the refused amend never priced them; what is left of the chain may
    asks = chain.asks
    named = (a.quantity, a.price)
    k = asks.index(named) if named in asks else len(asks) - 1
    rest = asks[:k] + asks[k + 1 :]
    if rest:
        # The earlier amends may have been taken: the venue is still somewhere on
        # the chain without the refused one.
        start = (chain.states[0][0], chain.states[0][2])
        new = _chain(st, o, start, rest)
        new.since, new.seen = chain.since, chain.seen
        set_amending(st, o, new)
        answer_if_taken(st, o, new)  # a report may already show its last state
    else:
        set_amending(st, o, None)
    if o.fills:
        # Fills may reach the size the venue kept: they ended it, at the newest of them.
        book.filled_up(st, o, o.last_fill_version())


def answer_if_taken(st: State, o: _Order, chain: _Amend) -> bool:
    """If the reports heard show the venue took the chain's last amend, the chain is
    answered (dated by the report that showed it): True; else False."""
    pos, at = chain.reached()
    if pos != len(chain.states) - 1:
        return False
    set_amending(st, o, None, at)
    return True


def set_amending(st: State, o: _Order, amend: _Amend | None, answered: int | None = None) -> None:
    """An amend in flight reserves what it may add (never less) until the venue answers.

    ``answered``: the version of the report that answered the chain (or ended the
    order). States of the chain no report has shown keep their reserve's rise held
    back, dated there, until they are heard (``_heard``) or a balance report covers it.
    """
    old = o.amending
    o.amending = amend
    if o.inst.kind != "spot":
        return
    if old is not None and answered is not None and answered >= 0:
        _hold_unheard(st, o, old, answered)
    if o.fills and o.state not in _TERMINAL:
        # An order that ends with its chain in flight keeps the chain's lowest unit
        # for its last fills: an amend not yet reported may have lowered it.
        spot.refresh_unlocks(st, o)
    asset = o.lock_asset()
    key = ("ai", o.n)
    led = st.ledgers.get(asset)
    if led is not None and led.remove(key) is not None:
        o.pending -= 1  # never the last change of a live order; _ended retires after
    if amend is None or o.quantity is None or o.state in _TERMINAL:
        return
    # A balance report may include some of the amends and not the later ones. (A
    # conditional order counts as live: it may have triggered unheard.)
    extra = amend.rise(o.filled)
    if extra > ZERO:
        changes.add(st, asset, key, IN_FLIGHT, ZERO, -extra, None, o, None)


def _hold_unheard(st: State, o: _Order, chain: _Amend, answered: int) -> None:
    """A chain answered by a report that skipped some of its states: until they are
    heard the timeline cannot date them, and a balance report may have caught any."""
    if o.segs is None:
        shown = {(o.quantity, o.price)}
    else:
        shown = {(g[1], g[2]) for g in o.segs if g[0] and g[0][-1] > chain.since}
    states = chain.states
    last = len(states) - 1
    if o.qp_version >= answered:
        # A report as new as the answer shows where the venue stopped: it moves only
        # forward, so the states after the last one with those values never were.
        now = (o.quantity, o.price)
        last = max((i for i, (q, _, p) in enumerate(states) if (q, p) == now), default=last)
    tail = [(q, p) for q, _, p in states[1 : last + 1] if (q, p) not in shown]
    if not tail:
        return
    extra = _Amend(states[: last + 1]).rise(o.filled)
    if extra <= ZERO:
        return
    asset = o.lock_asset()
    key = ("aw", o.n)
    led = st.ledgers.get(asset)
    held = led.pending.get(key) if led is not None else None
    if held is not None:  # an earlier chain's states are not heard either: add up
        extra -= held[FREE]
        changes.remove(st, asset, key)
    o.unheard = [*(o.unheard or ()), *tail]
    changes.add(st, asset, key, answered, ZERO, -extra, None, o, None)


def heard(st: State, o: _Order, q: Decimal, p: Decimal | None) -> None:
    """A report showed a state of an answered chain: the timeline dates it now."""
    unheard = o.unheard
    assert unheard is not None
    left = [qp for qp in unheard if qp != (q, p)]
    if len(left) == len(unheard):
        return
    if left:
        o.unheard = left
        return
    o.unheard = None
    changes.remove(st, o.lock_asset(), ("aw", o.n))
