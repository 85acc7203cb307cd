"""Spot reserves and fills: what an order locks, what each fill moves and unlocks.

Owns: an order's acceptance change (its reserve, keyed by the ``_Order`` itself) while
no amend has split its life (``timeline.reconcile`` owns it after), ``_Order.lock_unit``,
each fill's released reserve (``_Fill.unlock``, ``_Fill.lo``) and a spot fill's changes
in base, quote and fee asset (keyed by the ``_Fill`` itself, one in each ledger; fee room
``("fa", …)``).
May touch: the ledgers through ``changes``; an amended order's timeline through
``timeline.reconcile``; the reserve unit of a price through ``amends.unit``.
"""

from __future__ import annotations

from decimal import Decimal

from core.inventory import (
    book,
    changes,
    timeline,
)
from core.inventory.state import (
    _NO_LOCK_STATES,
    _TERMINAL,
    State,
    _Fill,
    _Order,
)
from core.ledger import FREE, IN_FLIGHT, TOTAL
from core.values import ONE, ZERO


def accept(st: State, o: _Order, version: int) -> None:
    """The venue has the order: its reserve is a change at (at most) ``version``."""
    if o.accept_version is not None and o.accept_version <= version:
        return
    had = o.accept_version
    o.accept_version = version
    if o.segs is not None:
        timeline.reconcile(st, o)
        return
    if o.live_from is not None:
        return  # triggered under its own id: it reserves from going live, not from here
    if not o.lock_unit or o.conditional or o.inst.kind != "spot" or o.quantity is None:
        return
    asset = o.lock_asset()
    key = o
    reserve = o.quantity * o.lock_unit if o.qp_version < 0 else None
    led = changes.ledger(st, asset)
    ch = led.pending.get(key)
    if ch is not None:
        reserve = -ch[FREE]
        led.remove(key)
        o.pending -= 1
    elif had is not None and had != IN_FLIGHT:
        return  # already covered at an older version: a lower version is covered too
    if reserve is None:
        reserve = o.quantity * o.lock_unit
    changes.add(st, asset, key, version, ZERO, -reserve, None, o, None)
    if o.pending == 0 and o.state in _TERMINAL:
        book.retire(st, o)


def lock_known(st: State, o: _Order, version: int) -> None:
    """The order's price and type are now known: reserve it and unlock its known fills."""
    if o.lock_unit is not None or o.inst.kind != "spot":
        return
    if o.conditional:
        o.lock_unit = ZERO  # reserves nothing until the venue reports it live
    elif o.side == "sell":
        o.lock_unit = ONE  # a sell locks its base quantity, market sells included
    else:
        # A market buy's spend is unknown until it fills: venues lock nothing for it.
        o.lock_unit = ZERO if o.order_type == "market" else (o.price or ZERO)
    unit = o.lock_unit
    if unit == ZERO or o.quantity is None:
        return
    if o.segs is not None:
        timeline.reconcile(st, o)
        return
    asset = o.lock_asset()
    if o.state not in _NO_LOCK_STATES:
        changes.add(st, asset, o, version, ZERO, -(o.quantity * unit), None, o, None)
    for f in (o.fills or {}).values():
        unlock(st, o, f, f.quantity * unit)


def unlock(st: State, o: _Order, f: _Fill, want: Decimal) -> None:
    """Set the reserve a fill releases (part of its change in the reserved asset)."""
    if want == f.unlock:
        return
    asset = o.lock_asset()
    led = st.ledgers.get(asset)
    if led is not None:
        ch = led.pending.get(f)
        if ch is not None:
            led.amend(f, ch[TOTAL], ch[FREE] + want - f.unlock)
    f.unlock = want  # a covered change is in the report already, whatever it said


def fill_unit(st: State, o: _Order, f: _Fill, unit: Decimal) -> Decimal:
    """A buy's reserve per unit at a fill: an amend in flight may have lowered it.

    Only for a fill newer than every report of the order (a newer report shows the
    price the fill found).
    """
    if o.side != "buy" or f.version <= o.qp_version:
        return unit
    a = o.amending
    lo = f.lo
    if a is not None and (lo is None or a.lo_unit < lo):
        f.lo = lo = a.lo_unit
    return lo if lo is not None and lo < unit else unit


def refresh_unlocks(st: State, o: _Order) -> None:
    """Re-price what each fill released, after the amend in flight or the reports moved."""
    if not o.fills or not o.lock_unit or o.side != "buy" or o.inst.kind != "spot":
        return
    if o.segs is not None:
        timeline.reconcile(st, o)
        return
    unit = o.lock_unit
    for f in o.fills.values():
        unlock(st, o, f, f.quantity * fill_unit(st, o, f, unit))


def apply_fill(st: State, o: _Order, fill: _Fill) -> None:
    """A spot fill moves base and quote (and the fee asset); its reserve share unlocks."""
    inst = o.inst
    q = fill.quantity
    notional = q * fill.price
    base, quote = inst.base, inst.quote
    unit = o.lock_unit
    if o.side == "buy":
        bt, qt = q, -notional
        if unit:
            if o.amending is not None:
                unit = fill_unit(st, o, fill, unit)
            fill.unlock = q * unit
            bf, qf = bt, qt + fill.unlock
        else:
            bf, qf = bt, qt
    else:
        bt, qt = -q, notional
        if unit:
            fill.unlock = q
            bf, qf = bt + q, qt
        else:
            bf, qf = bt, qt
    fee = fill.fee
    key, v, tid = fill.key, fill.version, fill.trade_id
    if fee:
        fa = fill.fee_asset
        if fa == base:
            bt -= fee
            bf -= fee
        elif fa == quote:
            qt -= fee
            qf -= fee
        else:
            assert fa is not None
            changes.add(st, fa, fill, v, -fee, -fee, tid, o, fill)
    changes.add(st, base, fill, v, bt, bf, tid, o, fill)
    changes.add(st, quote, fill, v, qt, qf, tid, o, fill)
    rate = inst.max_fee_rate
    if fee is None and rate:
        # A fee-less copy (TRADE_LITE, execution.fast): the fee is still to come, in the
        # base or the quote; until it does, free and the low bound keep room for it.
        changes.add(st, base, ("fa", key, base), v, ZERO, -(q * rate), tid, o, fill)
        changes.add(st, quote, ("fa", key, quote), v, ZERO, -(notional * rate), tid, o, fill)
