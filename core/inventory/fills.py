"""Fill messages: counting a trade once, merging its second message, sizing its order.

Owns: ``on_fill`` (a fill's whole effect), ``_Order.fills``, ``known_filled``,
``known_notional`` and ``fees``, and a fill's settlement state on arrival (settled at
once, or unsettled through ``changes.unsettle``).
May touch: identity and lifecycle through ``book``; the spot or derivative effect through
``spot.apply_fill`` / ``derivatives.apply_fill``; an amended order's timeline through
``timeline.reconcile``; the ledgers through ``changes``.
"""

from __future__ import annotations

from core import events as ev
from core.errors import InvalidEvent
from core.inventory import (
    book,
    changes,
    derivatives,
    spot,
    timeline,
)
from core.inventory.state import (
    _FILL_COVERED,
    _FILL_SETTLED_ON_ARRIVAL,
    _IN_FLIGHT_STATES,
    _NO_LOCK_STATES,
    _TERMINAL,
    State,
    _Fill,
    _Order,
)
from core.values import ZERO


def on_fill(st: State, f: ev.FillReported) -> None:
    """A fill message: count the trade once (or merge a second message of it)."""
    ii = st.rc.get((f.symbol, f.kind))
    if ii is None:
        ii = book.resolve(st, f.symbol, f.kind, f"FillReported {f.trade_id}")
    xkey = (ii, f.order_id)
    o = st.by_xid.get(xkey)
    if o is None:
        if xkey in st.gone:
            return  # a late copy about an order dropped from history
        o = book.match(st, ii, f.order_id, f.client_order_id)
        if o is None and st.forgotten and book.forgotten_event(st, ii, f.version):
            return
    if o is not None:
        known = o.fills.get(f.trade_id)
        if known is not None:
            _merge(st, o, known, f)
            return
        if o.retired:
            return  # retired: every fill of it is counted and settled
        if o.side != f.side:
            raise InvalidEvent(
                f"FillReported {f.trade_id}: side {f.side} contradicts order "
                f"{o.client_order_id or o.order_id} ({o.side})"
            )
        cap = o.quantity if o.amending is None else o.cap()
        if cap is not None and o.known_filled + f.quantity > cap:
            raise InvalidEvent(
                f"order {o.client_order_id or o.order_id}: fill {f.quantity} would take filled "
                f"quantity to {o.known_filled + f.quantity}, above the order quantity "
                f"{cap} (trade id {f.trade_id})"
            )
        oq = f.order_quantity
        if (
            oq is not None
            and o.quantity is None
            and (o.known_filled + f.quantity > oq or o.reported_filled > oq)
        ):
            raise InvalidEvent(
                f"FillReported {f.trade_id}: order_quantity {oq} below what order "
                f"{o.client_order_id or o.order_id} has filled "
                f"({max(o.known_filled + f.quantity, o.reported_filled)})"
            )
        if (
            o.state in _TERMINAL
            and o.quantity is not None
            and (o.known_filled + f.quantity > o.reported_filled and o.state != "filled")
        ):
            raise InvalidEvent(
                f"order {o.client_order_id or o.order_id}: fill {f.quantity} (trade id "
                f"{f.trade_id}) goes past the final filled quantity {o.reported_filled}"
            )
    else:
        o = book.new_order(st, ii, f.side)
        o.vanished_at = st.orders_complete_at
        o.client_order_id = f.client_order_id
        cid = f.client_order_id
        if cid is not None:
            prior = st.by_cid.get(cid)
            if prior is None or prior.state in _TERMINAL:
                book.name(st, o, cid)  # a reused id (OKX) names its newest order
    if o.order_id is None:
        book.identify(st, o, xkey)
    elif o.client_order_id is None and f.client_order_id is not None:
        book.link(st, o, f.client_order_id)  # first named by a fill (Bybit execution)
    ends = False
    if f.order_quantity is not None and o.state not in _TERMINAL:
        ends = _sized_by_fill(st, o, f)
    fill = _Fill(o, f, (ii, f.trade_id))
    o.fills[f.trade_id] = fill
    o.known_filled += f.quantity
    o.known_notional += f.quantity * f.price
    if f.version > o.max_version:
        o.max_version = f.version
    if f.fee:
        assert f.fee_asset is not None
        o.fees[f.fee_asset] = o.fees.get(f.fee_asset, ZERO) + f.fee
    av = o.accept_version
    if (av is None or f.version < av) and o.state not in _NO_LOCK_STATES:
        spot.accept(st, o, f.version)
    if o.inst.kind == "spot":
        spot.apply_fill(st, o, fill)
        if o.segs is not None:
            timeline.reconcile(st, o)
    else:
        derivatives.apply_fill(st, o, fill)
    if fill.outstanding:
        changes.unsettle(st, fill)
    else:
        fill.state = _FILL_SETTLED_ON_ARRIVAL
    if o.n in st.implied and o.known_filled >= o.reported_filled:
        book.implied_heard(st, o)
    if o.state in _TERMINAL:
        if o.pending == 0:
            book.retire(st, o)
    elif f.version <= o.vanished_at and (o.quantity is None or o.known_filled < o.quantity):
        if o.state in _IN_FLIGHT_STATES:
            book.order_event(st, o, "vanished", f.version)
    else:
        v = f.version
        if o.amending is not None:
            cap = o.cap()
            if cap is not None and o.filled >= cap:
                # It ends with its last fill on the venue, which may be one heard
                # before this one: an amend in flight may have come up to then.
                v = o.last_fill_version()
        book.order_event(st, o, "fill", v)
        if ends:
            book.order_event(st, o, "done", v)


def _sized_by_fill(st: State, o: _Order, f: ev.FillReported) -> bool:
    """A fill's message states its order's size (and what is left): an order known only
    from fills is bounded; True if nothing is left (the order is done)."""
    if o.quantity is None and o.inst.kind != "spot":
        # Known only from fills (an exchange-made order): its size, no price. (A spot
        # order's size comes with its report: a reserve is dated from it.)
        o.quantity, o.price, o.order_type = f.order_quantity, None, "market"
    q, left = o.quantity, f.leaves_quantity
    if left is None or q is None or q != f.order_quantity or o.amending is not None:
        return False
    cum = q - left
    if cum > o.reported_filled:
        o.reported_filled = cum
    if cum > ZERO:
        o.note_cum(f.version, cum)
    return left == ZERO


def _merge(st: State, o: _Order, known: _Fill, f: ev.FillReported) -> None:
    """A second message for a known trade: add what was missing, never count again."""
    if known.quantity != f.quantity or known.price != f.price:
        raise InvalidEvent(
            f"FillReported {f.trade_id}: quantity/price {f.quantity}@{f.price} contradict the "
            f"same trade seen as {known.quantity}@{known.price}"
        )
    if known.fee is None and f.fee is not None:
        if o.retired:
            del o.fills[known.trade_id]  # its last missing part: nothing more to merge
        if o.inst.kind == "spot" and o.inst.max_fee_rate:
            changes.remove(st, o.inst.base, ("fa", known.key, o.inst.base))
            changes.remove(st, o.inst.quote, ("fa", known.key, o.inst.quote))
        known.fee = f.fee
        known.fee_asset = f.fee_asset
        if f.fee:
            assert f.fee_asset is not None
            o.fees[f.fee_asset] = o.fees.get(f.fee_asset, ZERO) + f.fee
            changes.add(
                st,
                f.fee_asset,
                ("f", known.key),
                known.version,
                -f.fee,
                -f.fee,
                known.trade_id,
                o,
                known,
            )
            if known.outstanding and known.state == _FILL_COVERED:
                changes.unsettle(st, known)
    if o.client_order_id is None and f.client_order_id is not None:
        book.link(st, o, f.client_order_id)
    if f.realized_pnl is not None and known.venue_pnl is None and o.inst.is_derivative:
        known.venue_pnl = f.realized_pnl
        settle = o.inst.settle
        led = st.ledgers.get(settle)
        key = ("p", known.key)
        if led is not None and key in led.pending:
            led.amend(key, f.realized_pnl, f.realized_pnl)
        elif known.computed_pnl is None or known.computed_pnl == ZERO:
            was = known.state
            changes.add(
                st,
                settle,
                key,
                known.version,
                f.realized_pnl,
                f.realized_pnl,
                known.trade_id,
                o,
                known,
            )
            if known.outstanding and was == _FILL_COVERED:
                changes.unsettle(st, known)
