"""Account sync: balance and cash reports, snapshots, stream status and what to ask for.

Owns: ``State.sync`` (the account machine, through ``account_event``), ``queried`` (which
``book.order_event`` clears for an order whose state moved: it may be asked again),
``ignored`` and ``orders_complete_at``; balance reports, cash changes, complete snapshots
(applied whole or not at all), not-found answers, stream status, and the requests the
core makes of the I/O edge.
May touch: every other part through its handlers (a snapshot is its parts applied in
turn); order lookups and lifecycle through ``book``.
"""

from __future__ import annotations

import copy

from core import events as ev
from core.inventory import (
    amends,
    book,
    changes,
    derivatives,
    exposure,
    fills,
    timeline,
)
from core.inventory.state import (
    _ACCOUNT_NEXT,
    FIELDS,
    State,
    _Fill,
    _Order,
)
from core.ledger import OWNER
from core.requests import QueryOrder, Request, ResyncAccount
from core.values import ZERO


def account_event(st: State, event: str) -> None:
    """Move the account machine (its guard: whether any fill is unsettled)."""
    target = _ACCOUNT_NEXT[(st.sync, event, st.unsettled > 0)]
    if target is not None:
        st.sync = target


def on_balance(st: State, b: ev.BalanceReported) -> None:
    """A balance report: it replaces the reported values and covers what it includes."""
    led = st.ledgers.get(b.asset)
    if led is None:
        led = changes.ledger(st, b.asset)
    dropped = led.report(b.total, b.free, b.version, b.trade_ids)
    if dropped:
        drop = changes.drop
        for ch in dropped:
            drop(st, ch[OWNER])


def on_cash(st: State, c: ev.CashChanged) -> None:
    """A cash change without an order (deposit, funding, …), deduplicated by id or amount."""
    key: object = (
        ("c", c.change_id)
        if c.change_id is not None
        else ("c", c.asset, c.total_delta, c.free_delta, c.version)
    )
    changes.ledger(st, c.asset).add(key, c.version, c.total_delta, c.free_delta, None, None)


def on_snapshot(st: State, s: ev.SnapshotTaken) -> None:
    """A REST snapshot: applied whole, or (if a part is invalid) not at all."""
    # Rare and composite: apply transactionally so a bad part leaves nothing behind. The
    # copy shares the retired orders no part can reach (most of a long run's bounded
    # history, which would otherwise make every resync copy thousands of orders) and the
    # instruments (frozen values).
    memo: dict[int, object] = {id(o): o for o in _out_of_reach(st, s)}
    memo.update((id(inst), inst) for inst in st.instruments)
    saved = copy.deepcopy({k: getattr(st, k) for k in FIELDS}, memo)
    try:
        _apply_snapshot(st, s)
    except Exception:
        for k, v in saved.items():
            setattr(st, k, v)
        raise


def _out_of_reach(st: State, s: ev.SnapshotTaken) -> list[_Order]:
    """Retired orders applying ``s`` cannot change, whether it succeeds or fails.

    A retired order changes only when a trade of it comes again (the full copy of a fill it
    kept, still missing its fee: ``fills._merge``), when a change of it is pending
    (``pending``: covered, or withdrawn), or when a position book reprices one of its fills
    (``seen`` keeps fills after retirement). A report of it, or a new trade, is absorbed
    before anything is written; every other retired order is only looked at, or dropped
    from history unchanged.
    """
    named: set[int] = set()
    for t in s.trades:
        for ii in st.by_symbol.get(t.symbol, ()):
            o = st.by_xid.get((ii, t.order_id))
            if o is not None:
                named.add(o.n)
    for position in st.positions.values():
        for pf in (*position.seen.values(), *position.pending.values()):
            if type(pf.owner) is _Fill:
                named.add(pf.owner.order.n)
    return [o for o in st.retired if not o.pending and o.n not in named]


def _apply_snapshot(st: State, s: ev.SnapshotTaken) -> None:
    seen_assets = set()
    for b in s.balances:
        seen_assets.add(b.asset)
        on_balance(st, b)
    if s.balances_complete:
        for asset in list(st.ledgers):
            if asset not in seen_assets:
                on_balance(st, ev.BalanceReported(asset, ZERO, ZERO, s.version))
    seen_pos = set()
    for p in s.positions:
        seen_pos.add(book.resolve_derivative(st, p.symbol, p.kind))
        derivatives.on_position(st, p)
    if s.positions_complete:
        for ii in st.positions:
            if ii not in seen_pos:
                sym = st.instruments[ii]
                derivatives.on_position(
                    st, ev.PositionReported(sym.symbol, ZERO, ZERO, s.version, sym.kind)
                )
    listed = set()
    for r in s.open_orders:
        ii = book.resolve(st, r.symbol, r.kind, f"OrderReported {r.order_id}")
        listed.add((ii, r.order_id))
        timeline.on_order_reported(st, r)
        o = st.by_xid.get((ii, r.order_id))
        a = o.amending if o is not None else None
        if o is not None and a is not None and (r.quantity, r.price) == (a.quantity, a.price):
            # A chain back to its first values, whose middle was never reported: the
            # resync (taken once the bot's amend calls have returned) settles it.
            amends.set_amending(st, o, None, r.version)
    for t in s.trades:
        fills.on_fill(st, t)
    if s.orders_complete:
        for o in st.live.values():
            if o.order_id is None and not o.conditional:
                # In flight: it may postdate the snapshot, so nothing changes now; but
                # a report as old as the snapshot will prove it was already gone.
                o.vanished_at = max(o.vanished_at, s.version)
        for o in list(st.live.values()):
            if (
                not o.conditional  # venues list algo orders apart (Binance, OKX)
                and o.order_id is not None
                and (o.ii, o.order_id) not in listed
                and o.accept_version is not None
                and o.accept_version <= s.version
            ):
                o.vanished_at = s.version
                book.order_event(st, o, "vanished")
    if s.orders_complete and s.version > st.orders_complete_at:
        st.orders_complete_at = s.version
    if s.balances_complete and (s.positions_complete or not st.positions):
        account_event(st, "snapshot")


def on_not_found(st: State, n: ev.OrderNotFound) -> None:
    """The venue says an order does not exist."""
    o = book.find(st, n.order_id, n.client_order_id)
    if o is None:
        if n.order_id is not None:
            # The order a trigger named does not exist: it filled nothing, widens nothing.
            for k, h in list(st.handoff.items()):
                if h.triggered_order_id == n.order_id:
                    book.drop_handoff(st, k)
        return
    book.order_event(st, o, "not_found")


def on_connected(st: State, c: ev.StreamConnected) -> None:
    """A stream connected: nothing changes until a snapshot."""
    return None


def on_broken(st: State, b: ev.StreamDisconnected | ev.SequenceGap) -> None:
    """A disconnect or a sequence gap: the account is stale."""
    account_event(st, "broken")


def on_ignored(st: State, m: ev.MessageIgnored) -> None:
    """A message kind the adapter does not know: counted by venue and kind."""
    key = f"{m.venue}:{m.kind}"
    st.ignored[key] = st.ignored.get(key, 0) + 1


def requests(st: State) -> list[Request]:
    """What the core needs from the I/O edge now (no side effects)."""
    out: list[Request] = []
    if st.sync in ("unknown", "stale"):
        out.append(ResyncAccount(reason=f"account is {st.sync}"))
    for o in st.live.values():
        if o.state == "unknown":
            reason = "order fate unknown"
        elif o.state == "pending_cancel" and o.accept_version is None:
            # Canceled before the venue spoke of it: if both answers are lost, only a
            # query can tell whether it ever lived.
            reason = "cancel requested before the venue acknowledged the order"
        elif o.quantity is None:
            # Known only from fills: until its size is known it bounds nothing (P8).
            reason = "order quantity unknown"
        else:
            continue
        out.append(
            QueryOrder(
                symbol=o.inst.symbol,
                client_order_id=o.client_order_id,
                order_id=o.order_id,
                reason=reason,
            )
        )
    for o in st.handoff.values():
        tid = o.triggered_order_id
        if tid is not None and not exposure.handed_over(st, o):
            # Triggered into an order not heard of: it may fill any amount unheard
            # until its report comes (P8: an order of unknown size is asked for).
            out.append(
                QueryOrder(
                    symbol=o.inst.symbol,
                    client_order_id=None,
                    order_id=tid,
                    reason=f"order {tid} triggered by {o.client_order_id or o.order_id} "
                    "not heard of",
                )
            )
    for o in st.implied.values():
        out.append(
            QueryOrder(
                symbol=o.inst.symbol,
                client_order_id=o.client_order_id,
                order_id=o.order_id,
                reason=f"fills missing: reported {o.reported_filled}, known {o.known_filled}",
            )
        )
    return out


def take_requests(st: State) -> list[Request]:
    """Take the current needs, once each: a resync request moves ``stale`` to ``resyncing``."""
    out: list[Request] = []
    for r in requests(st):
        if isinstance(r, ResyncAccount):
            out.append(r)
            account_event(st, "resync_requested")
            continue
        o = book.find(st, r.order_id, r.client_order_id)
        if o is None:
            # A triggered order's new order, not known yet: asked once per trigger.
            o = next(
                (h for h in st.handoff.values() if h.triggered_order_id == r.order_id),
                None,
            )
        if o is not None and o.n not in st.queried:
            st.queried.add(o.n)
            out.append(r)
    return out
