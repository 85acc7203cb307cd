"""Derivatives: fills on a position, position reports and the realized PnL of each fill.

Owns: ``State.positions`` (one ``core.position.PositionBook`` per derivative), a fill's
position change, fee and PnL changes (``("p", …)``) and ``_Fill.computed_pnl``, repriced
whenever a report or an earlier fill heard late moves the position before it.
May touch: the ledgers and a fill's settlement through ``changes``; instruments through
``book``.
"""

from __future__ import annotations

from core import events as ev
from core.inventory import book, changes
from core.inventory.state import (
    _FILL_COVERED,
    State,
    _Fill,
    _Order,
)
from core.position import PendingFill


def apply_fill(st: State, o: _Order, fill: _Fill) -> None:
    """A derivative fill moves its position and charges its fee and PnL to the settle asset."""
    inst = o.inst
    book = st.positions[o.ii]
    dq = fill.quantity if o.side == "buy" else -fill.quantity
    v, tid = fill.version, fill.trade_id
    if book.add(fill.key, v, dq, fill.price, tid, fill):
        o.pending += 1
        fill.outstanding += 1
    if fill.fee:
        assert fill.fee_asset is not None
        changes.add(
            st,
            fill.fee_asset,
            fill,
            v,
            -fill.fee,
            -fill.fee,
            tid,
            o,
            fill,
        )
    pnl = fill.venue_pnl
    if pnl:  # the venue's figure; a computed one is set by _reprice
        changes.add(st, inst.settle, ("p", fill.key), v, pnl, pnl, tid, o, fill)
    reprice(st, o.ii)


def reprice(st: State, ii: int) -> None:
    """Set the computed PnL of every fill whose change the wallet report does not cover
    yet: against the position just before it, which a report or an earlier fill heard
    late may have changed (DESIGN §2: never frozen against a stale book)."""
    book = st.positions[ii]
    if not book.seen:
        return
    settle = st.instruments[ii].settle
    led = st.ledgers.get(settle)
    covered = led.version if led is not None else -1
    book.forget(covered)
    for pf, new in book.pnls(covered):
        owner = pf.owner
        if type(owner) is not _Fill or owner.venue_pnl is not None:
            continue
        if new == owner.computed_pnl:
            continue
        owner.computed_pnl = new
        key = ("p", pf.key)
        if led is not None and key in led.pending:
            led.amend(key, new, new)
        elif new:
            was = owner.state
            changes.add(st, settle, key, pf.version, new, new, pf.trade_id, owner.order, owner)
            if owner.outstanding and was == _FILL_COVERED:
                changes.unsettle(st, owner)  # a change of it is pending again
            led = st.ledgers.get(settle)


def on_position(st: State, p: ev.PositionReported) -> None:
    """A position report: it covers the fills it includes, and the rest rest on it."""
    ii = book.resolve_derivative(st, p.symbol, p.kind)
    dropped = st.positions[ii].report(p.quantity, p.entry_price, p.version, p.trade_ids)
    if dropped is None:
        return
    for pf in dropped:
        _drop_position_fill(st, ii, pf)
    reprice(st, ii)  # fills newer than the report rest on it now


def _drop_position_fill(st: State, ii: int, pf: PendingFill) -> None:
    if pf.owner is not None:
        changes.drop(st, pf.owner)
