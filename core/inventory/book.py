"""The order book: each order's identity, its lifecycle events, its end and its retirement.

Owns: ``State.by_xid``, ``by_cid``, ``live``, ``implied``, ``handoff``, ``retired``,
``gone``, ``forgotten``, ``next_n``; every order's ``state`` (through ``order_event``, the
only caller of the order machine's table) and ``retired`` flag. Resolves instruments and
links a venue order to the bot's own intent (exchange id first, then client id). Other
modules name and identify orders, and mark them implied or handed over, through ``name``,
``identify``, ``imply``, ``implied_heard`` and ``drop_handoff``.
May touch: reserves through ``spot``/``changes``/``timeline`` (an order's end releases
what it reserved) and an amend in flight through ``amends``.
"""

from __future__ import annotations

from core.errors import InvalidEvent, InventoryError
from core.inventory import (
    amends,
    changes,
    spot,
    timeline,
)
from core.inventory.state import (
    _ORDER_NEXT,
    _TERMINAL,
    State,
    _Order,
)
from core.ledger import IN_FLIGHT
from core.values import ZERO


def resolve(st: State, symbol: str, kind: str | None, what: str) -> int:
    """The instrument index a symbol (and kind, where one symbol names two) names."""
    ii = st.rc.get((symbol, kind))
    if ii is not None:
        return ii
    if kind is not None:
        ii = st.index.get((symbol, kind))
        if ii is None:
            raise InvalidEvent(f"{what}: unknown instrument {symbol} ({kind})")
        return ii
    if not st.by_symbol.get(symbol):
        raise InvalidEvent(f"{what}: unknown instrument {symbol!r}")
    # A symbol of one instrument is in ``st.rc`` under kind None: this one names several.
    raise InvalidEvent(f"{what}: symbol {symbol} names several instruments; give kind=")


def derivative(st: State, symbol: str) -> int:
    """The instrument index of a symbol's derivative; InventoryError if it has none."""
    for ii in st.by_symbol.get(symbol, ()):
        if st.instruments[ii].is_derivative:
            return ii
    raise InventoryError(f"position: {symbol!r} is not a derivative of this account")


def find(st: State, order_id: str | None, client_order_id: str | None) -> _Order | None:
    """The order an exchange id or a client id names, if known."""
    if order_id is not None:
        for ii in range(len(st.instruments)):
            o = st.by_xid.get((ii, order_id))
            if o is not None:
                return o
    if client_order_id is not None:
        return st.by_cid.get(client_order_id)
    return None


def match(st: State, ii: int, order_id: str, cid: str | None) -> _Order | None:
    """The order a venue event speaks of, linking a local intent to its exchange id."""
    o = st.by_xid.get((ii, order_id))
    if o is not None:
        return o
    if cid is not None:
        c = st.by_cid.get(cid)
        if c is not None and c.order_id is None and c.ii == ii:
            return c
    return None


def forgotten_event(st: State, ii: int, version: int) -> bool:
    """An event for an unknown order older than orders already dropped from history."""
    w = st.forgotten.get(ii)
    return w is not None and version <= w


def order_event(st: State, o: _Order, event: str, version: int | None = None) -> None:
    """Move an order through the order machine's table; a terminal state ends it."""
    k, r = o.known_filled, o.reported_filled
    filled = k if k >= r else r
    q = o.quantity if o.amending is None else o.cap()
    target = _ORDER_NEXT[
        (
            o.state,
            event,
            filled > ZERO,
            q is not None and filled >= q,
            o.accept_version is not None,
        )
    ]
    if target is None or target == o.state:
        return
    o.state = target
    # Any move (into "unknown" too) ends a query in flight: the next one is asked afresh.
    st.queried.discard(o.n)
    if target in _TERMINAL:
        ended(st, o, version)


def ended(st: State, o: _Order, version: int | None) -> None:
    """An order became terminal: release its remaining reserve once."""
    st.live.pop(o.n, None)
    if o.amending is not None:
        amends.set_amending(st, o, None, version if version is not None else o.max_version)
    if o.state == "triggered":
        st.handoff[o.n] = o  # widens exposure until the order it became is known
        if len(st.handoff) > st.history:
            del st.handoff[next(iter(st.handoff))]
    if o.reported_filled > o.known_filled:
        st.implied[o.n] = o
    if o.inst.kind == "spot" and o.lock_unit:
        # Ended without a venue version (a local rejection, a snapshot): the newest heard.
        v = version if version is not None else (o.max_version if o.max_version >= 0 else IN_FLIGHT)
        if o.segs is not None:
            o.end_version = v
            timeline.reconcile(st, o)
        elif o.state == "rejected" or (o.state == "triggered" and o.accept_version is None):
            changes.remove(st, o.lock_asset(), o)
        elif o.quantity is not None:
            rest = o.quantity - o.filled
            if rest > ZERO:
                o.end_version = v
                changes.add(
                    st, o.lock_asset(), ("end", o.n), v, ZERO, rest * o.lock_unit, None, o, None
                )
    if o.pending == 0 and o.n not in st.implied:
        retire(st, o)


def retire(st: State, o: _Order) -> None:
    """A terminal order with nothing pending: drop its fills, keep it in bounded history."""
    if o.retired or o.n in st.implied or o.pending:
        return
    o.retired = True
    o.cums = o.caps = None
    # Keep only fills whose full message (with the fee) may still come: it must merge.
    # (Nearly always none: the loop spares building an empty dict through a comprehension.)
    fills = o.fills
    for f in fills.values():
        if f.fee is None:
            o.fills = {tid: f for tid, f in fills.items() if f.fee is None}
            break
    else:
        o.fills = {}
    st.retired.append(o)
    while len(st.retired) > st.history:
        old = st.retired.popleft()
        if old.order_id is not None:
            key = (old.ii, old.order_id)
            if st.by_xid.get(key) is old:
                del st.by_xid[key]
            st.gone[key] = old.max_version
            if len(st.gone) > st.gone_cap:
                first = next(iter(st.gone))
                v = st.gone.pop(first)
                if v > st.forgotten.get(first[0], -1):
                    st.forgotten[first[0]] = v
        if old.client_order_id is not None and st.by_cid.get(old.client_order_id) is old:
            del st.by_cid[old.client_order_id]


def link(st: State, o: _Order, cid: str) -> None:
    """A venue order first seen without its client id now names one.

    If the bot's own in-flight intent carries that id, it is this very order: the
    intent's in-flight reserve gives way to the venue order's versioned one.
    """
    o.client_order_id = cid
    local = st.by_cid.get(cid)
    st.by_cid[cid] = o
    if local is None or local is o or local.order_id is not None or local.ii != o.ii:
        return
    amend = local.amending
    if amend is not None:
        amends.set_amending(st, local, None)  # it carries over to the venue order below
    if local.inst.kind == "spot":
        changes.remove(st, local.lock_asset(), local)
    st.live.pop(local.n, None)
    was_canceling = local.state == "pending_cancel"
    local.state = "rejected"  # the intent object is gone; the venue order carries on
    if o.quantity is None:
        o.quantity, o.price = local.quantity, local.price
        o.order_type, o.conditional = local.order_type, local.conditional
    elif (
        o.inst.kind == "spot"
        and not (o.conditional or local.conditional)
        and local.quantity is not None
    ):
        timeline.observe(st, o, -1, local.quantity, local.price)  # what the bot sent came first
    if o.lock_unit is None and o.inst.kind == "spot":
        spot.lock_known(st, o, o.accept_version if o.accept_version is not None else IN_FLIGHT)
    if was_canceling:
        order_event(st, o, "cancel_requested")
    if amend is not None and o.amending is None and o.state not in _TERMINAL:
        amends.set_amending(st, o, amend)
    filled_up(st, o, None)


def name(st: State, o: _Order, cid: str) -> None:
    """A client id names this order from now (the newest order carrying it)."""
    st.by_cid[cid] = o


def identify(st: State, o: _Order, xkey: tuple[int, str]) -> None:
    """The venue's id of an order, once known: its identity (instrument, exchange id)."""
    o.order_id = xkey[1]
    st.by_xid[xkey] = o


def imply(st: State, o: _Order) -> None:
    """A terminal order whose reports count fills not heard yet: it widens by them."""
    st.implied[o.n] = o


def implied_heard(st: State, o: _Order) -> None:
    """Every fill an ended order's reports counted is heard: it no longer widens."""
    del st.implied[o.n]


def drop_handoff(st: State, n: int) -> None:
    """A triggered order no longer widens: its new order is known, or does not exist."""
    del st.handoff[n]


def new_order(st: State, ii: int, side: str) -> _Order:
    """A new order record, live from now."""
    o = _Order(st.next_n, ii, st.instruments[ii], side)
    st.next_n += 1
    st.live[o.n] = o
    return o


def filled_up(st: State, o: _Order, version: int | None) -> None:
    """Fills heard before the order's quantity was may already reach it: it is filled."""
    q = o.cap()
    if q is not None and o.state not in _TERMINAL and o.filled >= q:
        order_event(st, o, "fill", version)


def resolve_derivative(st: State, symbol: str, kind: str | None) -> int:
    """The derivative instrument a position report speaks of."""
    if kind is not None:
        ii = resolve(st, symbol, kind, f"PositionReported {symbol}")
        if not st.instruments[ii].is_derivative:
            raise InvalidEvent(f"PositionReported {symbol}: {kind} is not a derivative")
        return ii
    for ii in st.by_symbol.get(symbol, ()):
        if st.instruments[ii].is_derivative:
            return ii
    raise InvalidEvent(f"PositionReported: {symbol!r} is not a derivative of this account")
