"""Pending changes: the versioned deltas per asset that reports have not covered yet.

Owns: adding, dropping and removing a change in an ``AssetLedger`` (``core.ledger``) on
behalf of an order or a fill, and the count of each owner's pending changes
(``_Order.pending``, ``_Fill.outstanding``); a fill whose last change is covered becomes
settled (``State.unsettled``; ``unsettle`` when one is pending again), and an ended order
with nothing pending is retired.
May touch: ``State.ledgers``; the account machine through ``sync.account_event``;
retirement through ``book.retire``.
"""

from __future__ import annotations

from decimal import Decimal

from core.inventory import book, sync
from core.inventory.state import (
    _FILL_COVERED,
    _FILL_REPORTED,
    _TERMINAL,
    State,
    _Fill,
    _Order,
)
from core.ledger import OWNER, AssetLedger


def ledger(st: State, asset: str) -> AssetLedger:
    """The ledger of an asset, made on first use."""
    led = st.ledgers.get(asset)
    if led is None:
        led = st.ledgers[asset] = AssetLedger(asset)
    return led


def add(
    st: State,
    asset: str,
    key: object,
    version: int,
    total: Decimal,
    free: Decimal,
    trade_id: str | None,
    order: _Order,
    fill: _Fill | None,
) -> None:
    """Add a pending change on behalf of an order (and its fill): counted until covered."""
    led = st.ledgers.get(asset)
    if led is None:
        led = st.ledgers[asset] = AssetLedger(asset)
    if led.add(key, version, total, free, trade_id, fill if fill is not None else order):
        order.pending += 1
        if fill is not None:
            fill.outstanding += 1


def drop(st: State, owner: object) -> None:
    """A pending change or position fill left the books (covered or withdrawn)."""
    if type(owner) is _Fill:
        owner.outstanding -= 1
        o = owner.order
        o.pending -= 1
        if owner.outstanding == 0 and owner.state == _FILL_REPORTED:
            owner.state = _FILL_COVERED
            st.unsettled -= 1
            if st.unsettled == 0:
                sync.account_event(st, "all_settled")
    elif type(owner) is _Order:
        o = owner
        o.pending -= 1
    else:
        return
    if o.pending == 0 and o.state in _TERMINAL:
        book.retire(st, o)


def unsettle(st: State, fill: _Fill) -> None:
    """A fill has a change pending (newly counted, or again): it is unsettled until covered."""
    fill.state = _FILL_REPORTED
    st.unsettled += 1
    sync.account_event(st, "unsettled_fill")


def remove(st: State, asset: str, key: object) -> None:
    """Withdraw a pending change by key, if pending."""
    led = st.ledgers.get(asset)
    if led is not None:
        ch = led.remove(key)
        if ch is not None:
            drop(st, ch[OWNER])
