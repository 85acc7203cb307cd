"""Order reports and the timeline they draw: quantity, price, status and amends as reported.

Owns: ``on_order_reported`` (an order report's whole effect), an order's reported values
(``quantity``, ``price``, ``order_type``, ``conditional``, ``qp_*``, ``segs``, ``caps``,
``reported_filled``, ``cums``) and, once an amend splits an order's life into runs of
(quantity, price), the reserve changes rebuilt from those runs (``reconcile``: the
acceptance, keyed by the order itself, and the ``amd`` and ``end`` keys).
May touch: identity and lifecycle through ``book``; reserves and unlocks through ``spot``
and ``changes``; the amend chain through ``amends``.
"""

from __future__ import annotations

from bisect import insort
from decimal import Decimal
from itertools import pairwise
from typing import Any

from core import events as ev
from core.errors import InvalidEvent
from core.inventory import amends, book, changes, spot
from core.inventory.state import (
    _IN_FLIGHT_STATES,
    _LIVE_EVENTS,
    _STATUS_EVENT,
    _TERMINAL,
    State,
    _Fill,
    _Order,
)
from core.ledger import FREE, IN_FLIGHT, VERSION
from core.values import ZERO


def _seen(st: State, o: _Order, v: int) -> None:
    """Remember a version of a report showing the current values (before the update)."""
    seen = o.qp_seen
    if seen is None:
        if v in (o.qp_lo, o.qp_version):
            return
        seen = o.qp_seen = sorted({o.qp_lo, o.qp_version})
    if v not in seen:
        insort(seen, v)


def observe(st: State, o: _Order, v: int, q: Decimal, p: Decimal | None) -> None:
    """A spot order's report at ``v`` shows quantity ``q`` and price ``p``."""
    segs = o.segs
    earlier_live = o.live_from is not None and v < o.live_from
    if earlier_live:
        o.live_from = v
    if segs is None:
        if q == o.quantity and p == o.price:
            _seen(st, o, v)
            if v > o.qp_version:
                o.qp_version = v
            elif v < o.qp_lo:
                o.qp_lo = v
            if not earlier_live:
                return
        versions = o.qp_seen if o.qp_seen is not None else sorted({o.qp_lo, o.qp_version})
        segs = o.segs = [[versions, o.quantity, o.price]]
        o.qp_seen = None
        if earlier_live and q == o.quantity and p == o.price:
            if o.lock_unit is not None:
                reconcile(st, o)  # its reserve started earlier than thought
            return
    i = 0
    while i < len(segs) and segs[i][0][0] <= v:
        i += 1
    prev = segs[i - 1] if i else None
    if prev is not None and prev[1] == q and prev[2] == p:
        if v not in prev[0]:
            insort(prev[0], v)
    elif (
        i < len(segs) and segs[i][1] == q and segs[i][2] == p and (prev is None or v > prev[0][-1])
    ):
        segs[i][0].insert(0, v)
    elif prev is not None and prev[0][0] < v < prev[0][-1]:
        # Inside a run of other values (amended, then back): the run is split.
        vs = prev[0]
        segs[i - 1 : i] = [
            [[x for x in vs if x < v], prev[1], prev[2]],
            [[v], q, p],
            [[x for x in vs if x > v], prev[1], prev[2]],
        ]
    else:
        segs.insert(i, [[v], q, p])
    last = segs[-1]
    o.qp_lo, o.qp_version, o.quantity, o.price = last[0][0], last[0][-1], last[1], last[2]
    if o.lock_unit and o.side == "buy" and o.price is not None:
        o.lock_unit = o.price
    if o.lock_unit is not None:
        reconcile(st, o)


def reconcile(st: State, o: _Order) -> None:
    """Rebuild an amended spot order's reserve changes from what is known of its life.

    Between two reports with different quantity or price, an amend happened at a
    version the reports do not tell. The part of it that releases reserve is dated
    as early as it may be and the part that adds reserve as late, so that a balance
    report in between never makes ``free`` read high (P6); once every report is
    heard the dates are exact (P2).
    """
    segs = o.segs
    if segs is None or not o.lock_unit or o.conditional or o.inst.kind != "spot":
        return
    asset = o.lock_asset()
    want: dict[object, tuple[int, Decimal]] = {}
    unlocks: list[tuple[_Fill, Decimal]] = []
    va = o.accept_version
    if va is not None and o.live_from is not None and va < o.live_from:
        va = o.live_from
    state = o.state
    fills = sorted(o.fills.values(), key=lambda f: f.version)
    if state == "rejected" or (state == "triggered" and va is None):
        pass  # it never reserved
    elif va is None or va == IN_FLIGHT:
        # Only the bot's intent so far: reserve the most any known version asks.
        top = max(s[1] * amends.unit(st, o, s[2]) for s in segs)
        want[o] = (IN_FLIGHT, -top)
    else:
        q = segs[0][1]
        u = amends.unit(st, o, segs[0][2])
        want[o] = (va, -(q * u))
        steps: list[tuple[int, int, Any, Any]] = []
        for a, b in pairwise(segs):
            ua, ub = amends.unit(st, o, a[2]), amends.unit(st, o, b[2])
            # The amend happened after the last report of the old values and at or
            # before the first of the new ones; nothing tells where in between (a
            # venue's "amended" report dates only the last of several amends).
            late = max(b[0][0], va)
            early = min(max(a[0][-1] + 1, va), late)
            steps.append((early, 1, min(a[1], b[1]), min(ua, ub)))
            steps.append((late, 3, b[1], ub))
        for f in fills:
            steps.append((f.version, 2, f, None))
        steps.sort(key=lambda t: (t[0], t[1]))
        filled = ZERO
        # Fills the reports count but whose messages are still to come may predate an
        # amend: a release is sized as if they did (smaller), an increase as if not.
        unheard = o.filled - o.known_filled
        for v, rank, x, y in steps:
            if rank == 2:
                unlocks.append((x, x.quantity * spot.fill_unit(st, o, x, u)))
                filled += x.quantity
                continue
            done = filled + unheard if rank == 1 else filled
            d = (q - done) * u - (x - done) * y
            if d:
                want[("amd", o.n, v, rank)] = (v, d)
            q, u = x, y
        if state in _TERMINAL and o.end_version is not None:
            rest = (q - o.filled) * u
            if rest > ZERO:
                want[("end", o.n)] = (o.end_version, rest)
    led = changes.ledger(st, asset)
    for key in (o, ("end", o.n), *o.rkeys):
        if key not in want and led.remove(key) is not None:
            o.pending -= 1
    for key, (v, d) in want.items():
        ch = led.pending.get(key)
        if ch is not None:
            if ch[VERSION] == v and ch[FREE] == d:
                continue
            led.remove(key)
            o.pending -= 1
        if d and led.add(key, v, ZERO, d, None, o):
            o.pending += 1
    o.rkeys = tuple(k for k in want if type(k) is tuple and k[0] == "amd")
    for f, amount in unlocks:
        spot.unlock(st, o, f, amount)
    if o.pending == 0 and o.state in _TERMINAL:
        book.retire(st, o)


def on_order_reported(st: State, r: ev.OrderReported) -> None:
    """An order report: status, cumulative fills, and the values it shows at its version."""
    ii = st.rc.get((r.symbol, r.kind))
    if ii is None:
        ii = book.resolve(st, r.symbol, r.kind, f"OrderReported {r.order_id}")
    xkey = (ii, r.order_id)
    o = st.by_xid.get(xkey)
    if o is None:
        if xkey in st.gone:
            return  # a late report of an order dropped from history
        o = book.match(st, ii, r.order_id, r.client_order_id)
    v = r.version
    if o is not None:
        if o.side != r.side:
            raise InvalidEvent(
                f"OrderReported {r.order_id}: side {r.side} contradicts the order's side {o.side}"
            )
        if r.quantity < o.known_filled:
            counted = _filled_by(st, o, v)
            if r.quantity < counted:
                raise InvalidEvent(
                    f"OrderReported {r.order_id}: quantity {r.quantity} below the known "
                    f"fills {counted}"
                )
        if o.retired:
            return  # retired: everything it can say is already counted
    else:
        if st.forgotten and book.forgotten_event(st, ii, v):
            return
        o = book.new_order(st, ii, r.side)
        if not r.conditional:
            o.vanished_at = st.orders_complete_at
        o.client_order_id = r.client_order_id
        if r.client_order_id is not None:
            book.name(st, o, r.client_order_id)
    if o.order_id is None:
        book.identify(st, o, xkey)
    elif o.client_order_id is None and r.client_order_id is not None:
        book.link(st, o, r.client_order_id)
    if v > o.max_version:
        o.max_version = v
    rf = r.filled_quantity
    if r.status == "filled" and rf < r.quantity:
        rf = r.quantity  # "filled" is all of it, whatever a lagging cumulative says
    if rf > o.reported_filled:
        o.reported_filled = rf
        o.reported_avg = r.average_price
    if rf > ZERO:
        o.note_cum(v, rf)
    if (
        o.qp_version >= 0
        and o.segs is None
        and r.quantity == o.quantity
        and r.price == o.price
        and r.conditional == o.conditional
    ):
        if o.inst.kind == "spot":
            _seen(st, o, v)
        if v > o.qp_version:
            o.qp_version = v
        elif v < o.qp_lo:
            if o.live_from is None:
                o.qp_lo = v
            else:
                observe(st, o, v, r.quantity, r.price)  # live earlier than thought
    else:
        _quantity_price(st, o, r)
    if o.segs is not None:
        caps = o.caps
        if caps is None:
            o.caps = [(v, rf)]
        elif len(caps) < 64:
            caps.append((v, rf))
    if o.amending is not None:
        a = o.amending
        if v > a.since:
            a.seen.append((v, r.quantity, r.price))
        if not amends.answer_if_taken(st, o, a):
            spot.refresh_unlocks(st, o)  # fills older than this report were not amended
    if o.unheard is not None:
        amends.heard(st, o, r.quantity, r.price)
    status = r.status
    if status == "rejected" and rf > ZERO:
        # The venue refused the rest after fills it reports (Bybit "Rejected" with
        # cumExecQty): the order lived, its fills stand and it ends like a cancel,
        # releasing the rest. (A rejected report without fills cannot end an order
        # with fills: it is absorbed.)
        status = "canceled"
    if status == "triggered" and r.triggered_order_id is not None:
        o.triggered_order_id = r.triggered_order_id
    if status != "rejected":
        if o.lock_unit is None:
            spot.lock_known(st, o, v)
        av = o.accept_version
        if av is None or v < av:
            spot.accept(st, o, v)
    event = _STATUS_EVENT[status]
    if v <= o.vanished_at and event in _LIVE_EVENTS:
        # Older than a complete snapshot that did not list the order: it says nothing
        # of now, except that an order still thought in flight was already live then.
        if o.state in _IN_FLIGHT_STATES:
            book.order_event(st, o, "vanished", v)
        return
    book.order_event(st, o, event, v)
    book.filled_up(st, o, v)
    if o.reported_filled > o.known_filled and o.state in _TERMINAL and not o.retired:
        book.imply(st, o)


def _filled_by(st: State, o: _Order, v: int) -> Decimal:
    """The known fills a report at version ``v`` must count: an older report may show a
    size the bot has raised since (a retired order keeps no fills: only if as new)."""
    if o.retired:
        return o.known_filled if v >= o.max_version else ZERO
    return sum((f.quantity for f in o.fills.values() if f.version <= v), ZERO)


def _quantity_price(st: State, o: _Order, r: ev.OrderReported) -> None:
    """Take quantity, price and type from a report; an amend moves the reserve."""
    v = r.version
    live = not (o.conditional or r.conditional)
    if o.inst.kind == "spot" and o.quantity is not None and live:
        # A live spot order: every report, old or new, dates its amends (_reconcile).
        if o.qp_version < 0 and o.order_type != r.order_type:
            o.order_type = r.order_type
        observe(st, o, v, r.quantity, r.price)
        return
    if v <= o.qp_version:
        return  # older news of a conditional or derivative order: nothing reserved
    first = o.qp_version < 0
    o.qp_lo = o.qp_version = v
    o.qp_seen = None
    if o.conditional and not r.conditional and o.lock_unit == ZERO and o.inst.kind == "spot":
        # Triggered under the same id (Bybit): it reserves from this report on.
        o.lock_unit = None
        o.order_type = r.order_type
        o.quantity, o.price = r.quantity, r.price
        o.conditional = False
        o.segs = None
        o.live_from = v
        return
    o.conditional = r.conditional
    if first and o.quantity is None:
        o.quantity, o.price, o.order_type = r.quantity, r.price, r.order_type
        return
    if first and not o.conditional and o.order_type != r.order_type:
        o.order_type = r.order_type
    o.quantity, o.price = r.quantity, r.price
    if o.lock_unit and o.side == "buy" and r.price is not None:
        o.lock_unit = r.price
