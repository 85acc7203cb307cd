"""The Inventory: a local copy of one exchange account, exact under delay, reorder, duplicates.

How it stays exact (DESIGN §2, "the accounting rule"):

* Every exchange change is a versioned delta per asset (``core.ledger``) or per position
  (``core.position``): a fill, an order's acceptance (its reserve), its end (the release),
  an amend, a cash change. ``expected = last report + deltas with version > report``.
  A report drops what it covers; a covered delta is never added again, and a pending one
  is keyed, so duplicates are no-ops in any order.
* An order's status is the join of its reports in the order machine's lattice
  (``core.machines.order``); its filled quantity is the maximum of the reported
  cumulative quantity and the sum of its distinct fills (by trade id).
* ``exposure`` widens ``expected`` by what may have happened unheard: the unfilled
  quantity of every live, in-flight, unknown or conditional order, and fills implied by a
  cumulative quantity whose own messages have not come.
* ``free`` subtracts the reserve of every order whose acceptance no report covers yet.

Memory stays flat: once a terminal order's every delta is covered by reports, its fills
are dropped and it joins a bounded history of recent orders; later copies of its
messages are recognised as duplicates.
"""

from __future__ import annotations

import copy
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final

from core import events as ev
from core.errors import InvalidEvent, InventoryError
from core.instrument import Instrument
from core.ledger import FREE, IN_FLIGHT, OWNER, TOTAL, VERSION, AssetLedger
from core.machines import account as account_machine
from core.machines import fill as fill_machine
from core.machines import order as order_machine
from core.position import EXACT, PendingFill, PositionBook
from core.requests import QueryOrder, Request, ResyncAccount
from core.values import ONE, ZERO
from core.views import Balance, Exposure, Order, Position

_INF: Final = Decimal("Infinity")

# Hot-path tables derived from the machine classes (never typed by hand).
_ORDER_NEXT: Final = {
    (s, e, hf, c, ack): order_machine.TABLE.next(
        s, e, {"has_fills": hf, "complete": c, "acknowledged": ack}.__getitem__
    )
    for s in order_machine.TABLE.states
    for e in order_machine.TABLE.events
    for hf in (False, True)
    for c in (False, True)
    for ack in (False, True)
}
_TERMINAL: Final = order_machine.TERMINAL
_FILL_NEXT: Final = {
    (s, e): fill_machine.TABLE.next(s, e, lambda _g: False)
    for s in fill_machine.TABLE.states
    for e in fill_machine.TABLE.events
}
_ACCOUNT_NEXT: Final = {
    (s, e, u): account_machine.TABLE.next(s, e, {"unsettled": u}.__getitem__)
    for s in account_machine.TABLE.states
    for e in account_machine.TABLE.events
    for u in (False, True)
}
_STATUS_EVENT: Final = {
    "new": "accepted",
    "partially_filled": "fill",
    "filled": "done",
    "canceled": "cancel",
    "rejected": "reject",
    "expired": "expire",
    "triggered": "trigger",
}
_NO_LOCK_STATES: Final = frozenset({"rejected", "triggered"})
_LIVE_EVENTS: Final = frozenset({"accepted", "fill"})
# Local states an order the venue has not spoken of yet can be in.
_IN_FLIGHT_STATES: Final = frozenset({"pending_new", "pending_cancel"})
# Where a fill's own message puts it: counted and waiting for reports, or already covered.


def _fill_after(*events: str) -> str:
    state = fill_machine.TABLE.initial
    for e in events:
        nxt = _FILL_NEXT[(state, e)]
        assert nxt is not None, (state, e)
        state = nxt
    return state


_FILL_REPORTED: Final = _fill_after("message")
_FILL_SETTLED_ON_ARRIVAL: Final = _fill_after("cover", "message")
# Where a counted fill goes when the last report it waited for comes (looked up once, here).
_FILL_COVERED: Final = _fill_after("message", "cover")


class _Fill:
    """One trade of an order, counted once."""

    __slots__ = (
        "computed_pnl",
        "fee",
        "fee_asset",
        "key",
        "lo",
        "order",
        "outstanding",
        "price",
        "quantity",
        "state",
        "trade_id",
        "unlock",
        "venue_pnl",
        "version",
    )

    def __init__(self, order: _Order, f: ev.FillReported, key: tuple[int, str]) -> None:
        self.order = order
        self.key = key
        self.trade_id = f.trade_id
        self.quantity = f.quantity
        self.price = f.price
        self.fee = f.fee
        self.fee_asset = f.fee_asset
        self.venue_pnl = f.realized_pnl
        self.computed_pnl: Decimal | None = None
        self.version = f.version
        self.state = fill_machine.TABLE.initial
        self.outstanding = 0
        # The part of the order's reserve this fill released (in its "t" change).
        self.unlock = ZERO
        # The lowest reserve unit an amend chain in flight allowed when this fill came:
        # until a newer report prices it, it unlocks no more than that, even after the
        # chain is answered or the order ends.
        self.lo: Decimal | None = None


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


class _Order:
    """What the Inventory knows of one order (mutable, internal)."""

    __slots__ = (
        "accept_version",
        "amending",
        "caps",
        "client_order_id",
        "conditional",
        "cums",
        "end_version",
        "fees",
        "fills",
        "ii",
        "inst",
        "known_filled",
        "known_notional",
        "live_from",
        "lock_unit",
        "max_version",
        "n",
        "order_id",
        "order_type",
        "pending",
        "price",
        "qp_lo",
        "qp_seen",
        "qp_version",
        "quantity",
        "reported_avg",
        "reported_filled",
        "retired",
        "rkeys",
        "segs",
        "side",
        "state",
        "triggered_order_id",
        "unheard",
        "vanished_at",
    )

    def __init__(self, n: int, ii: int, inst: Instrument, side: str) -> None:
        self.n = n
        self.ii = ii
        self.inst = inst
        self.side = side
        self.order_id: str | None = None
        self.client_order_id: str | None = None
        self.quantity: Decimal | None = None
        self.price: Decimal | None = None
        self.order_type = "limit"
        self.conditional = False
        self.triggered_order_id: str | None = None
        # The version of the complete snapshot that no longer listed the order: reports
        # as old as that cannot say it is still live.
        self.vanished_at = -1
        self.state = order_machine.TABLE.initial
        # Versions of the oldest and newest report showing the current quantity and price.
        self.qp_lo = -1
        self.qp_version = -1
        # Every version showing the current values, once there are more than two (spot):
        # a later amend heard out of order may split them, and each one dates it.
        self.qp_seen: list[int] | None = None
        # Once an amend is seen (spot): the reports' (quantity, price) runs in version
        # order, [versions, quantity, price] each; the reserve is rebuilt from them.
        self.segs: list[list[Any]] | None = None
        self.rkeys: tuple[object, ...] = ()
        # A conditional order triggered under its own id: the oldest live report's version
        # (it reserves from then on, not from its acceptance as a conditional order).
        self.live_from: int | None = None
        # The (quantity, price) of an amend the bot sent and the venue has not answered.
        self.amending: _Amend | None = None
        # (quantity, price) states of an answered amend chain that no report has shown
        # yet: until one does, or a balance report covers the answer, free holds back
        # what the venue's reserve may have risen through them ("aw" change).
        self.unheard: list[tuple[Decimal, Decimal | None]] | None = None
        self.max_version = -1
        self.accept_version: int | None = None
        self.end_version: int | None = None
        self.lock_unit: Decimal | None = None
        self.reported_filled = ZERO
        self.reported_avg: Decimal | None = None
        # (version, cumulative filled) the venue stated, each point not implied by another
        # (newer and no larger): a balance or position report at V includes the fills of
        # the largest cumulative stated at V or before (P8).
        self.cums: list[tuple[int, Decimal]] | None = None
        # Once amended (spot): (version, cumulative) of each report since, so the fills
        # at or before a version are bounded above (those at an older price, P8).
        self.caps: list[tuple[int, Decimal]] | None = None
        self.known_filled = ZERO
        self.known_notional = ZERO
        self.fees: dict[str, Decimal] = {}
        self.fills: dict[str, _Fill] = {}
        self.pending = 0
        self.retired = False

    @property
    def filled(self) -> Decimal:
        """The larger of the reported cumulative quantity and the known fills."""
        k, r = self.known_filled, self.reported_filled
        return k if k >= r else r

    def unseen(self) -> Decimal | None:
        """Quantity that may have filled without our hearing; None if unbounded."""
        if self.state == "triggered":
            # Handed to a new order we may not know yet: it may fill in full, unheard.
            return self.quantity
        if self.state in _TERMINAL:
            return self.reported_filled - self.known_filled
        q = self.cap()
        if q is None:
            return None
        return q - self.known_filled

    def cap(self) -> Decimal | None:
        """The largest quantity the venue may hold: an amend not answered may have raised it."""
        q = self.quantity
        a = self.amending
        if a is not None and q is not None and a.hi_quantity > q:
            return a.hi_quantity
        return q

    def lock_asset(self) -> str:
        """The asset a spot order reserves: quote for a buy, base for a sell."""
        return self.inst.quote if self.side == "buy" else self.inst.base

    def note_cum(self, version: int, cum: Decimal) -> None:
        """The venue stated ``cum`` filled as of ``version``."""
        cums = self.cums
        if cums is None:
            self.cums = [(version, cum)]
            return
        for v, c in cums:
            if v <= version and c >= cum:
                return
        kept = [(v, c) for v, c in cums if not (v >= version and c <= cum)]
        kept.append((version, cum))
        kept.sort()
        self.cums = kept

    def filled_by(self, version: int) -> Decimal | None:
        """An upper bound of what filled at or before ``version`` (a report at or after it
        states its cumulative), or None if no such report is kept."""
        caps = self.caps
        if not caps:
            return None
        found = [c for v, c in caps if v >= version]
        return min(found) if found else None

    def covered(self, version: int) -> Decimal:
        """Fills not heard of that a report at ``version`` (balance, position) includes.

        A report of the order at v <= ``version`` stating cumulative c means fills at or
        before v add up to c at least; those not heard of are inside the report.
        """
        cums = self.cums
        if not cums:
            return ZERO
        c = ZERO
        for v, x in cums:
            if v > version:
                break
            c = x
        if c <= 0:
            return ZERO
        k = sum((f.quantity for f in self.fills.values() if f.version <= version), ZERO)
        return c - k if c > k else ZERO


class Inventory:
    """A verified local copy of one exchange account: feed it events, ask it questions.

    Sans-I/O: ``apply`` takes events (from the adapters, or local intents via
    ``submit``/``cancel``); ``take_requests`` says what the I/O edge should fetch.
    """

    # Slots, not a __dict__: a snapshot must copy the state, and on CPython 3.11 reading an
    # instance's __dict__ moves its attributes out of the inline layout for good, which
    # slows every later attribute access on the hot path by about a tenth.
    __slots__ = (
        "__weakref__",
        "_by_cid",
        "_by_symbol",
        "_by_xid",
        "_dispatch",
        "_forgotten",
        "_gone",
        "_gone_cap",
        "_handoff",
        "_history",
        "_ignored",
        "_implied",
        "_index",
        "_instruments",
        "_ledgers",
        "_live",
        "_next_n",
        "_orders_complete_at",
        "_positions",
        "_queried",
        "_rc",
        "_retired",
        "_sync",
        "_unsettled",
    )

    def __init__(self, instruments: Iterable[Instrument], history: int = 10_000) -> None:
        self._instruments: list[Instrument] = []
        self._index: dict[tuple[str, str], int] = {}
        self._by_symbol: dict[str, list[int]] = {}
        for inst in instruments:
            if not isinstance(inst, Instrument):
                raise InvalidEvent(f"Inventory: expected an Instrument, got {inst!r}")
            if (inst.symbol, inst.kind) in self._index:
                raise InvalidEvent(f"Inventory: instrument {inst.symbol} ({inst.kind}) given twice")
            self._index[(inst.symbol, inst.kind)] = len(self._instruments)
            self._by_symbol.setdefault(inst.symbol, []).append(len(self._instruments))
            self._instruments.append(inst)
        # (symbol, kind or None) -> instrument index, for the hot path's one dict lookup.
        self._rc: dict[tuple[str, str | None], int] = {k: v for k, v in self._index.items()}
        for sym, idx in self._by_symbol.items():
            if len(idx) == 1:
                self._rc[(sym, None)] = idx[0]
        self._ledgers: dict[str, AssetLedger] = {}
        self._positions: dict[int, PositionBook] = {
            i: PositionBook(inst.kind == "inverse", inst.contract_size)
            for i, inst in enumerate(self._instruments)
            if inst.is_derivative
        }
        self._by_xid: dict[tuple[int, str], _Order] = {}
        self._by_cid: dict[str, _Order] = {}
        self._live: dict[int, _Order] = {}
        self._implied: dict[int, _Order] = {}
        self._handoff: dict[int, _Order] = {}
        # Version of the last complete open-orders snapshot: a venue order first heard of
        # through an older live report was already gone by then.
        self._orders_complete_at = -1
        self._retired: deque[_Order] = deque()
        self._history = history
        # Orders dropped from history, by (instrument, exchange id) -> last version, for as
        # many again: their late messages are recognised by id. Beyond that, a watermark
        # per instrument (the newest version among ids dropped from here) is all that is
        # kept: a first message of an order without client id older than it is ambiguous.
        self._gone: dict[tuple[int, str], int] = {}
        self._gone_cap = max(history, 16)
        self._forgotten: dict[int, int] = {}
        self._next_n = 0
        self._unsettled = 0
        self._sync = account_machine.TABLE.initial
        self._queried: set[int] = set()
        self._ignored: dict[str, int] = {}
        self._dispatch: dict[type, Callable[[Any], None]] = {
            ev.OrderReported: self._on_order_reported,
            ev.FillReported: self._on_fill,
            ev.BalanceReported: self._on_balance,
            ev.PositionReported: self._on_position,
            ev.CashChanged: self._on_cash,
            ev.SnapshotTaken: self._on_snapshot,
            ev.OrderNotFound: self._on_not_found,
            ev.OrderSubmitted: self._on_submitted,
            ev.CancelRequested: self._on_cancel_requested,
            ev.AmendRequested: self._on_amend_requested,
            ev.AmendFailed: self._on_amend_failed,
            ev.CancelFailed: self._on_cancel_failed,
            ev.SubmissionFailed: self._on_submission_failed,
            ev.SubmissionTimedOut: self._on_timed_out,
            ev.StreamConnected: self._on_connected,
            ev.StreamDisconnected: self._on_broken,
            ev.SequenceGap: self._on_broken,
            ev.MessageIgnored: self._on_ignored,
        }

    # --- public surface ---------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Apply one event; a malformed or contradictory one raises and changes nothing."""
        try:
            handler = self._dispatch[type(event)]
        except KeyError:
            raise InvalidEvent(f"Inventory.apply: not an invsync event: {event!r}") from None
        handler(event)

    def submit(
        self,
        client_order_id: str,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None = None,
        kind: str | None = None,
        order_type: str | None = None,
        conditional: bool = False,
    ) -> None:
        """Record that the bot sent an order: it reserves and counts in exposure from now."""
        self.apply(
            ev.OrderSubmitted(
                client_order_id=client_order_id,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                kind=kind,
                order_type=order_type or ("market" if price is None else "limit"),
                conditional=conditional,
            )
        )

    def cancel(self, client_order_id: str) -> None:
        """Record that the bot asked to cancel an order (pending_cancel until the venue says)."""
        self.apply(ev.CancelRequested(client_order_id=client_order_id))

    def amend(
        self,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        *,
        order_id: str | None = None,
    ) -> None:
        """Record that the bot asked to amend an order: any extra reserve counts from now."""
        self.apply(
            ev.AmendRequested(client_order_id, quantity=quantity, price=price, order_id=order_id)
        )

    def balance(self, asset: str) -> Balance:
        """An asset's expected balance: the last report moved by every known later change."""
        led = self._ledgers.get(asset)
        if led is None:
            return Balance(total=ZERO, free=ZERO, locked=ZERO)
        total, free = led.expected()
        return Balance(total=total, free=free, locked=total - free)

    def position(self, symbol: str) -> Position:
        """A derivative's expected position (signed quantity, entry price)."""
        ii = self._derivative(symbol)
        q, e, _ = self._positions[ii].replay()
        return Position(quantity=q, entry_price=e if q != 0 else ZERO)

    def order(self, key: str) -> Order | None:
        """An order by client order id, or by exchange order id; None if unknown."""
        o = self._by_cid.get(key)
        if o is None:
            for ii in range(len(self._instruments)):
                o = self._by_xid.get((ii, key))
                if o is not None:
                    break
        return None if o is None else self._view(o)

    def open_orders(self) -> list[Order]:
        """Orders not terminal, in-flight ones included."""
        return [self._view(o) for o in self._live.values()]

    def exposure(self, name: str) -> Exposure:
        """The range an asset's balance, or a derivative's position, may truly be in now."""
        if name in self._by_symbol and any(
            self._instruments[i].is_derivative for i in self._by_symbol[name]
        ):
            return self._position_exposure(self._derivative(name))
        return self._asset_exposure(name)

    @property
    def sync_state(self) -> str:
        """``unknown``, ``synced``, ``settling``, ``stale`` or ``resyncing``."""
        return self._sync

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        """The instruments this Inventory tracks."""
        return tuple(self._instruments)

    def requests(self) -> list[Request]:
        """What the core needs from the I/O edge now (no side effects)."""
        out: list[Request] = []
        if self._sync in ("unknown", "stale"):
            out.append(ResyncAccount(reason=f"account is {self._sync}"))
        for o in self._live.values():
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
        for o in self._handoff.values():
            tid = o.triggered_order_id
            if tid is not None and not self._handed_over(o):
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
        for o in self._implied.values():
            out.append(
                QueryOrder(
                    symbol=o.inst.symbol,
                    client_order_id=o.client_order_id,
                    order_id=o.order_id,
                    reason=f"fills missing: reported {o.reported_filled}, known {o.known_filled}",
                )
            )
        return out

    def take_requests(self) -> list[Request]:
        """Take the current needs, once each: a resync request moves ``stale`` to ``resyncing``."""
        out: list[Request] = []
        for r in self.requests():
            if isinstance(r, ResyncAccount):
                out.append(r)
                self._account_event("resync_requested")
                continue
            o = self._find(r.order_id, r.client_order_id)
            if o is None:
                # A triggered order's new order, not known yet: asked once per trigger.
                o = next(
                    (h for h in self._handoff.values() if h.triggered_order_id == r.order_id),
                    None,
                )
            if o is not None and o.n not in self._queried:
                self._queried.add(o.n)
                out.append(r)
        return out

    def stats(self) -> dict[str, int]:
        """Sizes of what the Inventory retains (for memory checks and dashboards)."""
        return {
            "orders": len(self._by_xid)
            + sum(1 for o in self._by_cid.values() if o.order_id is None),
            "live_orders": len(self._live),
            "retired_orders": len(self._retired),
            "fills": sum(len(o.fills) for o in self._live.values() if o.fills)
            + sum(len(o.fills) for o in self._retired if o.fills),
            "pending_changes": sum(len(led.pending) for led in self._ledgers.values()),
            "pending_position_fills": sum(len(b.pending) for b in self._positions.values()),
            "unsettled_fills": self._unsettled,
            "ignored_messages": sum(self._ignored.values()),
        }

    # --- lookups ----------------------------------------------------------------------

    def _resolve(self, symbol: str, kind: str | None, what: str) -> int:
        ii = self._rc.get((symbol, kind))
        if ii is not None:
            return ii
        if kind is not None:
            ii = self._index.get((symbol, kind))
            if ii is None:
                raise InvalidEvent(f"{what}: unknown instrument {symbol} ({kind})")
            return ii
        cands = self._by_symbol.get(symbol)
        if not cands:
            raise InvalidEvent(f"{what}: unknown instrument {symbol!r}")
        if len(cands) > 1:
            raise InvalidEvent(f"{what}: symbol {symbol} names several instruments; give kind=")
        return cands[0]

    def _derivative(self, symbol: str) -> int:
        for ii in self._by_symbol.get(symbol, ()):
            if self._instruments[ii].is_derivative:
                return ii
        raise InventoryError(f"position: {symbol!r} is not a derivative of this account")

    def _find(self, order_id: str | None, client_order_id: str | None) -> _Order | None:
        if order_id is not None:
            for ii in range(len(self._instruments)):
                o = self._by_xid.get((ii, order_id))
                if o is not None:
                    return o
        if client_order_id is not None:
            return self._by_cid.get(client_order_id)
        return None

    def _match(self, ii: int, order_id: str, cid: str | None) -> _Order | None:
        """The order a venue event speaks of, linking a local intent to its exchange id."""
        o = self._by_xid.get((ii, order_id))
        if o is not None:
            return o
        if cid is not None:
            c = self._by_cid.get(cid)
            if c is not None and c.order_id is None and c.ii == ii:
                return c
        return None

    def _ledger(self, asset: str) -> AssetLedger:
        led = self._ledgers.get(asset)
        if led is None:
            led = self._ledgers[asset] = AssetLedger(asset)
        return led

    def _forgotten_event(self, ii: int, version: int) -> bool:
        """An event for an unknown order older than orders already dropped from history."""
        w = self._forgotten.get(ii)
        return w is not None and version <= w

    # --- machines ---------------------------------------------------------------------

    def _order_event(self, o: _Order, event: str, version: int | None = None) -> None:
        k, r = o.known_filled, o.reported_filled
        filled = k if k >= r else r
        q = o.quantity if o.amending is None else o.cap()
        target = _ORDER_NEXT[
            (
                o.state,
                event,
                filled > 0,
                q is not None and filled >= q,
                o.accept_version is not None,
            )
        ]
        if target is None or target == o.state:
            return
        o.state = target
        if target == "unknown" or o.n in self._queried:
            self._queried.discard(o.n)
        if target in _TERMINAL:
            self._ended(o, version)

    def _account_event(self, event: str) -> None:
        target = _ACCOUNT_NEXT[(self._sync, event, self._unsettled > 0)]
        if target is not None:
            self._sync = target

    # --- deltas -----------------------------------------------------------------------

    def _add(
        self,
        asset: str,
        key: object,
        version: int,
        total: Decimal,
        free: Decimal,
        trade_id: str | None,
        order: _Order,
        fill: _Fill | None,
    ) -> None:
        led = self._ledgers.get(asset)
        if led is None:
            led = self._ledgers[asset] = AssetLedger(asset)
        if led.add(key, version, total, free, trade_id, fill if fill is not None else order):
            order.pending += 1
            if fill is not None:
                fill.outstanding += 1

    def _drop(self, owner: object) -> None:
        """A pending change or position fill left the books (covered or withdrawn)."""
        if type(owner) is _Fill:
            owner.outstanding -= 1
            o = owner.order
            o.pending -= 1
            if owner.outstanding == 0 and owner.state == _FILL_REPORTED:
                owner.state = _FILL_COVERED
                self._unsettled -= 1
                if self._unsettled == 0:
                    self._account_event("all_settled")
        elif type(owner) is _Order:
            o = owner
            o.pending -= 1
        else:
            return
        if o.pending == 0 and o.state in _TERMINAL:
            self._retire(o)

    def _remove(self, asset: str, key: object) -> None:
        led = self._ledgers.get(asset)
        if led is not None:
            ch = led.remove(key)
            if ch is not None:
                self._drop(ch[OWNER])

    def _accept(self, o: _Order, version: int) -> None:
        """The venue has the order: its reserve is a change at (at most) ``version``."""
        if o.accept_version is not None and o.accept_version <= version:
            return
        had = o.accept_version
        o.accept_version = version
        if o.segs is not None:
            self._reconcile(o)
            return
        if o.live_from is not None:
            return  # triggered under its own id: it reserves from going live, not from here
        if not o.lock_unit or o.conditional or o.inst.kind != "spot" or o.quantity is None:
            return
        asset = o.lock_asset()
        key = ("acc", o.n)
        reserve = o.quantity * o.lock_unit if o.qp_version < 0 else None
        led = self._ledger(asset)
        ch = led.pending.get(key)
        if ch is not None:
            reserve = -ch[FREE]
            led.remove(key)
            o.pending -= 1
        elif had is not None and had != IN_FLIGHT:
            return  # already covered at an older version: a lower version is covered too
        if reserve is None:
            reserve = o.quantity * o.lock_unit
        self._add(asset, key, version, ZERO, -reserve, None, o, None)
        if o.pending == 0 and o.state in _TERMINAL:
            self._retire(o)

    def _lock_known(self, o: _Order, version: int) -> None:
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
        if unit == 0 or o.quantity is None:
            return
        if o.segs is not None:
            self._reconcile(o)
            return
        asset = o.lock_asset()
        if o.state not in _NO_LOCK_STATES:
            self._add(asset, ("acc", o.n), version, ZERO, -(o.quantity * unit), None, o, None)
        for f in (o.fills or {}).values():
            self._unlock(o, f, f.quantity * unit)

    def _unlock(self, o: _Order, f: _Fill, want: Decimal) -> None:
        """Set the reserve a fill releases (part of its change in the reserved asset)."""
        if want == f.unlock:
            return
        asset = o.lock_asset()
        led = self._ledgers.get(asset)
        if led is not None:
            key = ("t", f.key, asset)
            ch = led.pending.get(key)
            if ch is not None:
                led.amend(key, ch[TOTAL], ch[FREE] + want - f.unlock)
        f.unlock = want  # a covered change is in the report already, whatever it said

    def _fill_unit(self, o: _Order, f: _Fill, unit: Decimal) -> Decimal:
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

    def _refresh_unlocks(self, o: _Order) -> None:
        """Re-price what each fill released, after the amend in flight or the reports moved."""
        if not o.fills or not o.lock_unit or o.side != "buy" or o.inst.kind != "spot":
            return
        if o.segs is not None:
            self._reconcile(o)
            return
        unit = o.lock_unit
        for f in o.fills.values():
            self._unlock(o, f, f.quantity * self._fill_unit(o, f, unit))

    def _seen(self, o: _Order, v: int) -> None:
        """Remember a version of a report showing the current values (before the update)."""
        seen = o.qp_seen
        if seen is None:
            if v in (o.qp_lo, o.qp_version):
                return
            seen = o.qp_seen = sorted({o.qp_lo, o.qp_version})
        if v not in seen:
            insort(seen, v)

    def _observe(self, o: _Order, v: int, q: Decimal, p: Decimal | None) -> None:
        """A spot order's report at ``v`` shows quantity ``q`` and price ``p``."""
        segs = o.segs
        earlier_live = o.live_from is not None and v < o.live_from
        if earlier_live:
            o.live_from = v
        if segs is None:
            if q == o.quantity and p == o.price:
                self._seen(o, v)
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
                    self._reconcile(o)  # its reserve started earlier than thought
                return
        i = 0
        while i < len(segs) and segs[i][0][0] <= v:
            i += 1
        prev = segs[i - 1] if i else None
        if prev is not None and prev[1] == q and prev[2] == p:
            if v not in prev[0]:
                insort(prev[0], v)
        elif (
            i < len(segs)
            and segs[i][1] == q
            and segs[i][2] == p
            and (prev is None or v > prev[0][-1])
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
            self._reconcile(o)

    def _reconcile(self, o: _Order) -> None:
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
            top = max(s[1] * self._unit(o, s[2]) for s in segs)
            want[("acc", o.n)] = (IN_FLIGHT, -top)
        else:
            q = segs[0][1]
            u = self._unit(o, segs[0][2])
            want[("acc", o.n)] = (va, -(q * u))
            steps: list[tuple[int, int, Any, Any]] = []
            for a, b in pairwise(segs):
                ua, ub = self._unit(o, a[2]), self._unit(o, b[2])
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
                    unlocks.append((x, x.quantity * self._fill_unit(o, x, u)))
                    filled += x.quantity
                    continue
                done = filled + unheard if rank == 1 else filled
                d = (q - done) * u - (x - done) * y
                if d:
                    want[("amd", o.n, v, rank)] = (v, d)
                q, u = x, y
            if state in _TERMINAL and o.end_version is not None:
                rest = (q - o.filled) * u
                if rest > 0:
                    want[("end", o.n)] = (o.end_version, rest)
        led = self._ledger(asset)
        for key in (("acc", o.n), ("end", o.n), *o.rkeys):
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
            self._unlock(o, f, amount)
        if o.pending == 0 and o.state in _TERMINAL:
            self._retire(o)

    def _ended(self, o: _Order, version: int | None) -> None:
        """An order became terminal: release its remaining reserve once."""
        self._live.pop(o.n, None)
        if o.amending is not None:
            self._set_amending(o, None, version if version is not None else o.max_version)
        if o.state == "triggered":
            self._handoff[o.n] = o  # widens exposure until the order it became is known
            if len(self._handoff) > self._history:
                del self._handoff[next(iter(self._handoff))]
        if o.reported_filled > o.known_filled:
            self._implied[o.n] = o
        if o.inst.kind == "spot" and o.lock_unit:
            # Ended without a venue version (a local rejection, a snapshot): the newest heard.
            v = (
                version
                if version is not None
                else (o.max_version if o.max_version >= 0 else IN_FLIGHT)
            )
            if o.segs is not None:
                o.end_version = v
                self._reconcile(o)
            elif o.state == "rejected" or (o.state == "triggered" and o.accept_version is None):
                self._remove(o.lock_asset(), ("acc", o.n))
            elif o.quantity is not None:
                rest = o.quantity - o.filled
                if rest > 0:
                    o.end_version = v
                    self._add(
                        o.lock_asset(), ("end", o.n), v, ZERO, rest * o.lock_unit, None, o, None
                    )
        if o.pending == 0 and o.n not in self._implied:
            self._retire(o)

    def _retire(self, o: _Order) -> None:
        """A terminal order with nothing pending: drop its fills, keep it in bounded history."""
        if o.retired or o.n in self._implied or o.pending:
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
        self._retired.append(o)
        while len(self._retired) > self._history:
            old = self._retired.popleft()
            if old.order_id is not None:
                key = (old.ii, old.order_id)
                if self._by_xid.get(key) is old:
                    del self._by_xid[key]
                self._gone[key] = old.max_version
                if len(self._gone) > self._gone_cap:
                    first = next(iter(self._gone))
                    v = self._gone.pop(first)
                    if v > self._forgotten.get(first[0], -1):
                        self._forgotten[first[0]] = v
            if old.client_order_id is not None and self._by_cid.get(old.client_order_id) is old:
                del self._by_cid[old.client_order_id]

    # --- handlers: venue reports --------------------------------------------------------

    def _on_order_reported(self, r: ev.OrderReported) -> None:
        ii = self._rc.get((r.symbol, r.kind))
        if ii is None:
            ii = self._resolve(r.symbol, r.kind, f"OrderReported {r.order_id}")
        xkey = (ii, r.order_id)
        o = self._by_xid.get(xkey)
        if o is None:
            if xkey in self._gone:
                return  # a late report of an order dropped from history
            o = self._match(ii, r.order_id, r.client_order_id)
        v = r.version
        if o is not None:
            if o.side != r.side:
                raise InvalidEvent(
                    f"OrderReported {r.order_id}: side {r.side} contradicts the order's "
                    f"side {o.side}"
                )
            if r.quantity < o.known_filled:
                counted = self._filled_by(o, v)
                if r.quantity < counted:
                    raise InvalidEvent(
                        f"OrderReported {r.order_id}: quantity {r.quantity} below the known "
                        f"fills {counted}"
                    )
            if o.retired:
                return  # retired: everything it can say is already counted
        else:
            if self._forgotten and self._forgotten_event(ii, v):
                return
            o = self._new_order(ii, r.side)
            if not r.conditional:
                o.vanished_at = self._orders_complete_at
            o.client_order_id = r.client_order_id
            if r.client_order_id is not None:
                self._by_cid[r.client_order_id] = o
        if o.order_id is None:
            o.order_id = r.order_id
            self._by_xid[xkey] = o
        elif o.client_order_id is None and r.client_order_id is not None:
            self._link(o, r.client_order_id)
        if v > o.max_version:
            o.max_version = v
        rf = r.filled_quantity
        if r.status == "filled" and rf < r.quantity:
            rf = r.quantity  # "filled" is all of it, whatever a lagging cumulative says
        if rf > o.reported_filled:
            o.reported_filled = rf
            o.reported_avg = r.average_price
        if rf > 0:
            o.note_cum(v, rf)
        if (
            o.qp_version >= 0
            and o.segs is None
            and r.quantity == o.quantity
            and r.price == o.price
            and r.conditional == o.conditional
        ):
            if o.inst.kind == "spot":
                self._seen(o, v)
            if v > o.qp_version:
                o.qp_version = v
            elif v < o.qp_lo:
                if o.live_from is None:
                    o.qp_lo = v
                else:
                    self._observe(o, v, r.quantity, r.price)  # live earlier than thought
        else:
            self._quantity_price(o, r)
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
            pos, at = a.reached()
            if pos == len(a.states) - 1:
                self._set_amending(o, None, at)  # the venue took the last amend
            else:
                self._refresh_unlocks(o)  # fills older than this report were not amended
        if o.unheard is not None:
            self._heard(o, r.quantity, r.price)
        status = r.status
        if status == "rejected" and rf > 0:
            # The venue refused the rest after fills it reports (Bybit "Rejected" with
            # cumExecQty): the order lived, its fills stand and it ends like a cancel,
            # releasing the rest. (A rejected report without fills cannot end an order
            # with fills: it is absorbed.)
            status = "canceled"
        if status == "triggered" and r.triggered_order_id is not None:
            o.triggered_order_id = r.triggered_order_id
        if status != "rejected":
            if o.lock_unit is None:
                self._lock_known(o, v)
            av = o.accept_version
            if av is None or v < av:
                self._accept(o, v)
        event = _STATUS_EVENT[status]
        if v <= o.vanished_at and event in _LIVE_EVENTS:
            # Older than a complete snapshot that did not list the order: it says nothing
            # of now, except that an order still thought in flight was already live then.
            if o.state in _IN_FLIGHT_STATES:
                self._order_event(o, "vanished", v)
            return
        self._order_event(o, event, v)
        self._filled_up(o, v)
        if o.reported_filled > o.known_filled and o.state in _TERMINAL and not o.retired:
            self._implied[o.n] = o

    def _filled_by(self, o: _Order, v: int) -> Decimal:
        """The known fills a report at version ``v`` must count: an older report may show a
        size the bot has raised since (a retired order keeps no fills: only if as new)."""
        if o.retired:
            return o.known_filled if v >= o.max_version else ZERO
        return sum((f.quantity for f in o.fills.values() if f.version <= v), ZERO)

    def _filled_up(self, o: _Order, version: int | None) -> None:
        """Fills heard before the order's quantity was may already reach it: it is filled."""
        q = o.cap()
        if q is not None and o.state not in _TERMINAL and o.filled >= q:
            self._order_event(o, "fill", version)

    def _quantity_price(self, o: _Order, r: ev.OrderReported) -> None:
        """Take quantity, price and type from a report; an amend moves the reserve."""
        v = r.version
        live = not (o.conditional or r.conditional)
        if o.inst.kind == "spot" and o.quantity is not None and live:
            # A live spot order: every report, old or new, dates its amends (_reconcile).
            if o.qp_version < 0 and o.order_type != r.order_type:
                o.order_type = r.order_type
            self._observe(o, v, r.quantity, r.price)
            return
        if v <= o.qp_version:
            return  # older news of a conditional or derivative order: nothing reserved
        first = o.qp_version < 0
        o.qp_lo = o.qp_version = v
        o.qp_seen = None
        if o.conditional and not r.conditional and o.lock_unit == 0 and o.inst.kind == "spot":
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

    def _link(self, o: _Order, cid: str) -> None:
        """A venue order first seen without its client id now names one.

        If the bot's own in-flight intent carries that id, it is this very order: the
        intent's in-flight reserve gives way to the venue order's versioned one.
        """
        o.client_order_id = cid
        local = self._by_cid.get(cid)
        self._by_cid[cid] = o
        if local is None or local is o or local.order_id is not None or local.ii != o.ii:
            return
        amend = local.amending
        if amend is not None:
            self._set_amending(local, None)  # it carries over to the venue order below
        if local.inst.kind == "spot":
            self._remove(local.lock_asset(), ("acc", local.n))
        self._live.pop(local.n, None)
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
            self._observe(o, -1, local.quantity, local.price)  # what the bot sent came first
        if o.lock_unit is None and o.inst.kind == "spot":
            self._lock_known(o, o.accept_version if o.accept_version is not None else IN_FLIGHT)
        if was_canceling:
            self._order_event(o, "cancel_requested")
        if amend is not None and o.amending is None and o.state not in _TERMINAL:
            self._set_amending(o, amend)
        self._filled_up(o, None)

    def _new_order(self, ii: int, side: str) -> _Order:
        o = _Order(self._next_n, ii, self._instruments[ii], side)
        self._next_n += 1
        self._live[o.n] = o
        return o

    def _on_fill(self, f: ev.FillReported) -> None:
        ii = self._rc.get((f.symbol, f.kind))
        if ii is None:
            ii = self._resolve(f.symbol, f.kind, f"FillReported {f.trade_id}")
        xkey = (ii, f.order_id)
        o = self._by_xid.get(xkey)
        if o is None:
            if xkey in self._gone:
                return  # a late copy about an order dropped from history
            o = self._match(ii, f.order_id, f.client_order_id)
            if o is None and self._forgotten and self._forgotten_event(ii, f.version):
                return
        if o is not None:
            known = o.fills.get(f.trade_id)
            if known is not None:
                self._merge(o, known, f)
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
            o = self._new_order(ii, f.side)
            o.vanished_at = self._orders_complete_at
            o.client_order_id = f.client_order_id
            cid = f.client_order_id
            if cid is not None:
                prior = self._by_cid.get(cid)
                if prior is None or prior.state in _TERMINAL:
                    self._by_cid[cid] = o  # a reused id (OKX) names its newest order
        if o.order_id is None:
            o.order_id = f.order_id
            self._by_xid[xkey] = o
        elif o.client_order_id is None and f.client_order_id is not None:
            self._link(o, f.client_order_id)  # first named by a fill (Bybit execution)
        ends = False
        if f.order_quantity is not None and o.state not in _TERMINAL:
            ends = self._sized_by_fill(o, f)
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
            self._accept(o, f.version)
        if o.inst.kind == "spot":
            self._spot_fill(o, fill)
            if o.segs is not None:
                self._reconcile(o)
        else:
            self._derivative_fill(o, fill)
        if fill.outstanding:
            fill.state = _FILL_REPORTED
            self._unsettled += 1
            self._account_event("unsettled_fill")
        else:
            fill.state = _FILL_SETTLED_ON_ARRIVAL
        if o.n in self._implied and o.known_filled >= o.reported_filled:
            del self._implied[o.n]
        if o.state in _TERMINAL:
            if o.pending == 0:
                self._retire(o)
        elif f.version <= o.vanished_at and (o.quantity is None or o.known_filled < o.quantity):
            if o.state in _IN_FLIGHT_STATES:
                self._order_event(o, "vanished", f.version)
        else:
            v = f.version
            if o.amending is not None:
                cap = o.cap()
                if cap is not None and o.filled >= cap:
                    # It ends with its last fill on the venue, which may be one heard
                    # before this one: an amend in flight may have come up to then.
                    v = max(x.version for x in o.fills.values())
            self._order_event(o, "fill", v)
            if ends:
                self._order_event(o, "done", v)

    def _sized_by_fill(self, o: _Order, f: ev.FillReported) -> bool:
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
        if cum > 0:
            o.note_cum(f.version, cum)
        return left == 0

    def _spot_fill(self, o: _Order, fill: _Fill) -> None:
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
                    unit = self._fill_unit(o, fill, unit)
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
                self._add(fa, ("t", key, fa), v, -fee, -fee, tid, o, fill)
        self._add(base, ("t", key, base), v, bt, bf, tid, o, fill)
        self._add(quote, ("t", key, quote), v, qt, qf, tid, o, fill)
        rate = inst.max_fee_rate
        if fee is None and rate:
            # A fee-less copy (TRADE_LITE, execution.fast): the fee is still to come, in the
            # base or the quote; until it does, free and the low bound keep room for it.
            self._add(base, ("fa", key, base), v, ZERO, -(q * rate), tid, o, fill)
            self._add(quote, ("fa", key, quote), v, ZERO, -(notional * rate), tid, o, fill)

    def _derivative_fill(self, o: _Order, fill: _Fill) -> None:
        inst = o.inst
        book = self._positions[o.ii]
        dq = fill.quantity if o.side == "buy" else -fill.quantity
        v, tid = fill.version, fill.trade_id
        if book.add(fill.key, v, dq, fill.price, tid, fill):
            o.pending += 1
            fill.outstanding += 1
        if fill.fee:
            assert fill.fee_asset is not None
            self._add(
                fill.fee_asset,
                ("t", fill.key, fill.fee_asset),
                v,
                -fill.fee,
                -fill.fee,
                tid,
                o,
                fill,
            )
        pnl = fill.venue_pnl
        if pnl:  # the venue's figure; a computed one is set by _reprice
            self._add(inst.settle, ("p", fill.key), v, pnl, pnl, tid, o, fill)
        self._reprice(o.ii)

    def _reprice(self, ii: int) -> None:
        """Set the computed PnL of every fill whose change the wallet report does not cover
        yet: against the position just before it, which a report or an earlier fill heard
        late may have changed (DESIGN §2: never frozen against a stale book)."""
        book = self._positions[ii]
        if not book.seen:
            return
        settle = self._instruments[ii].settle
        led = self._ledgers.get(settle)
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
                self._add(settle, key, pf.version, new, new, pf.trade_id, owner.order, owner)
                if owner.outstanding and was == _FILL_COVERED:
                    owner.state = _FILL_REPORTED  # a change of it is pending again
                    self._unsettled += 1
                    self._account_event("unsettled_fill")
                led = self._ledgers.get(settle)

    def _merge(self, o: _Order, known: _Fill, f: ev.FillReported) -> None:
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
                self._remove(o.inst.base, ("fa", known.key, o.inst.base))
                self._remove(o.inst.quote, ("fa", known.key, o.inst.quote))
            known.fee = f.fee
            known.fee_asset = f.fee_asset
            if f.fee:
                assert f.fee_asset is not None
                o.fees[f.fee_asset] = o.fees.get(f.fee_asset, ZERO) + f.fee
                self._add(
                    f.fee_asset,
                    ("f", known.key),
                    known.version,
                    -f.fee,
                    -f.fee,
                    known.trade_id,
                    o,
                    known,
                )
                if known.outstanding and known.state == "settled":
                    known.state = "reported"
                    self._unsettled += 1
                    self._account_event("unsettled_fill")
        if o.client_order_id is None and f.client_order_id is not None:
            self._link(o, f.client_order_id)
        if f.realized_pnl is not None and known.venue_pnl is None and o.inst.is_derivative:
            known.venue_pnl = f.realized_pnl
            settle = o.inst.settle
            led = self._ledgers.get(settle)
            key = ("p", known.key)
            if led is not None and key in led.pending:
                led.amend(key, f.realized_pnl, f.realized_pnl)
            elif known.computed_pnl is None or known.computed_pnl == 0:
                was = known.state
                self._add(
                    settle,
                    key,
                    known.version,
                    f.realized_pnl,
                    f.realized_pnl,
                    known.trade_id,
                    o,
                    known,
                )
                if known.outstanding and was == "settled":
                    known.state = "reported"
                    self._unsettled += 1
                    self._account_event("unsettled_fill")

    def _on_balance(self, b: ev.BalanceReported) -> None:
        led = self._ledgers.get(b.asset)
        if led is None:
            led = self._ledger(b.asset)
        dropped = led.report(b.total, b.free, b.version, b.trade_ids)
        if dropped:
            drop = self._drop
            for ch in dropped:
                drop(ch[OWNER])

    def _on_position(self, p: ev.PositionReported) -> None:
        ii = self._resolve_derivative(p.symbol, p.kind)
        dropped = self._positions[ii].report(p.quantity, p.entry_price, p.version, p.trade_ids)
        if dropped is None:
            return
        for pf in dropped:
            self._drop_position_fill(ii, pf)
        self._reprice(ii)  # fills newer than the report rest on it now

    def _drop_position_fill(self, ii: int, pf: PendingFill) -> None:
        if pf.owner is not None:
            self._drop(pf.owner)

    def _resolve_derivative(self, symbol: str, kind: str | None) -> int:
        if kind is not None:
            ii = self._resolve(symbol, kind, f"PositionReported {symbol}")
            if not self._instruments[ii].is_derivative:
                raise InvalidEvent(f"PositionReported {symbol}: {kind} is not a derivative")
            return ii
        for ii in self._by_symbol.get(symbol, ()):
            if self._instruments[ii].is_derivative:
                return ii
        raise InvalidEvent(f"PositionReported: {symbol!r} is not a derivative of this account")

    def _on_cash(self, c: ev.CashChanged) -> None:
        key: object = (
            ("c", c.change_id)
            if c.change_id is not None
            else ("c", c.asset, c.total_delta, c.free_delta, c.version)
        )
        self._ledger(c.asset).add(key, c.version, c.total_delta, c.free_delta, None, None)

    def _on_snapshot(self, s: ev.SnapshotTaken) -> None:
        # Rare and composite: apply transactionally so a bad part leaves nothing behind.
        saved = copy.deepcopy({k: getattr(self, k) for k in _STATE})
        try:
            self._apply_snapshot(s)
        except Exception:
            for k, v in saved.items():
                setattr(self, k, v)
            raise

    def _apply_snapshot(self, s: ev.SnapshotTaken) -> None:
        seen_assets = set()
        for b in s.balances:
            seen_assets.add(b.asset)
            self._on_balance(b)
        if s.balances_complete:
            for asset in list(self._ledgers):
                if asset not in seen_assets:
                    self._on_balance(ev.BalanceReported(asset, ZERO, ZERO, s.version))
        seen_pos = set()
        for p in s.positions:
            seen_pos.add(self._resolve_derivative(p.symbol, p.kind))
            self._on_position(p)
        if s.positions_complete:
            for ii in self._positions:
                if ii not in seen_pos:
                    sym = self._instruments[ii]
                    self._on_position(
                        ev.PositionReported(sym.symbol, ZERO, ZERO, s.version, sym.kind)
                    )
        listed = set()
        for r in s.open_orders:
            ii = self._resolve(r.symbol, r.kind, f"OrderReported {r.order_id}")
            listed.add((ii, r.order_id))
            self._on_order_reported(r)
            o = self._by_xid.get((ii, r.order_id))
            a = o.amending if o is not None else None
            if o is not None and a is not None and (r.quantity, r.price) == (a.quantity, a.price):
                # A chain back to its first values, whose middle was never reported: the
                # resync (taken once the bot's amend calls have returned) settles it.
                self._set_amending(o, None, r.version)
        for t in s.trades:
            self._on_fill(t)
        if s.orders_complete:
            for o in self._live.values():
                if o.order_id is None and not o.conditional:
                    # In flight: it may postdate the snapshot, so nothing changes now; but
                    # a report as old as the snapshot will prove it was already gone.
                    o.vanished_at = max(o.vanished_at, s.version)
            for o in list(self._live.values()):
                if (
                    not o.conditional  # venues list algo orders apart (Binance, OKX)
                    and o.order_id is not None
                    and (o.ii, o.order_id) not in listed
                    and o.accept_version is not None
                    and o.accept_version <= s.version
                ):
                    o.vanished_at = s.version
                    self._order_event(o, "vanished")
        if s.orders_complete and s.version > self._orders_complete_at:
            self._orders_complete_at = s.version
        if s.balances_complete and (s.positions_complete or not self._positions):
            self._account_event("snapshot")

    def _on_not_found(self, n: ev.OrderNotFound) -> None:
        o = self._find(n.order_id, n.client_order_id)
        if o is None:
            if n.order_id is not None:
                # The order a trigger named does not exist: it filled nothing, widens nothing.
                for k, h in list(self._handoff.items()):
                    if h.triggered_order_id == n.order_id:
                        del self._handoff[k]
            return
        self._order_event(o, "not_found")

    # --- handlers: local intents ----------------------------------------------------------

    def _on_submitted(self, s: ev.OrderSubmitted) -> None:
        ii = self._resolve(s.symbol, s.kind, f"submit {s.client_order_id}")
        prior = self._by_cid.get(s.client_order_id)
        if prior is not None and prior.state not in _TERMINAL:
            raise InvalidEvent(
                f"submit {s.client_order_id}: client order id already names a live order "
                f"({prior.state})"
            )
        o = self._new_order(ii, s.side)
        o.client_order_id = s.client_order_id
        o.quantity, o.price, o.order_type = s.quantity, s.price, s.order_type
        o.conditional = s.conditional
        self._by_cid[s.client_order_id] = o
        if o.inst.kind == "spot":
            self._lock_known(o, IN_FLIGHT)

    def _local(self, cid: str, what: str) -> _Order:
        o = self._by_cid.get(cid)
        if o is None:
            raise InvalidEvent(f"{what}: unknown client order id {cid!r}")
        return o

    def _on_cancel_requested(self, c: ev.CancelRequested) -> None:
        self._order_event(self._local(c.client_order_id, "cancel"), "cancel_requested")

    def _on_amend_requested(self, a: ev.AmendRequested) -> None:
        key = a.client_order_id or a.order_id
        o = self._find(a.order_id, a.client_order_id)
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
            raise InvalidEvent(
                f"amend {key}: quantity {q} not above the filled quantity {o.filled}"
            )
        p = base_p if a.price is None else a.price
        if prev is None and (q, p) == (o.quantity, o.price):
            return  # asks for nothing the venue does not have
        start = (o.quantity, o.price) if prev is None else (prev.states[0][0], prev.states[0][2])
        asks = [*(prev.asks if prev is not None else ()), (a.quantity, a.price)]
        new = self._chain(o, start, asks)
        if prev is not None:
            new.since, new.seen = prev.since, prev.seen
        else:
            new.since = o.max_version
        self._set_amending(o, new)

    def _chain(
        self,
        o: _Order,
        start: tuple[Decimal, Decimal | None],
        asks: list[tuple[Decimal | None, Decimal | None]],
    ) -> _Amend:
        """The states a venue order goes through from ``start`` as each amend is taken."""
        q, p = start
        states = [(q, self._unit(o, p), p)]
        for aq, ap in asks:
            q = q if aq is None else aq
            p = p if ap is None else ap
            states.append((q, self._unit(o, p), p))
        chain = _Amend(states)
        chain.asks = asks
        return chain

    def _unit(self, o: _Order, price: Decimal | None) -> Decimal:
        """What one unit of a spot order's quantity reserves (once live) at ``price``."""
        if o.side == "sell":
            return ONE
        if o.order_type == "market" or price is None:
            return ZERO
        return price

    def _on_amend_failed(self, a: ev.AmendFailed) -> None:
        o = self._find(a.order_id, a.client_order_id)
        if o is None:
            if self._gone or self._forgotten:
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
            new = self._chain(o, start, rest)
            new.since, new.seen = chain.since, chain.seen
            self._set_amending(o, new)
            pos, at = new.reached()
            if pos == len(new.states) - 1:
                self._set_amending(o, None, at)  # a report already showed it
        else:
            self._set_amending(o, None)
        if o.fills:
            # Fills may reach the size the venue kept: they ended it, at the newest of them.
            self._filled_up(o, max(f.version for f in o.fills.values()))

    def _set_amending(self, o: _Order, amend: _Amend | None, answered: int | None = None) -> None:
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
            self._hold_unheard(o, old, answered)
        if o.fills and o.state not in _TERMINAL:
            # An order that ends with its chain in flight keeps the chain's lowest unit
            # for its last fills: an amend not yet reported may have lowered it.
            self._refresh_unlocks(o)
        asset = o.lock_asset()
        key = ("ai", o.n)
        led = self._ledgers.get(asset)
        if led is not None and led.remove(key) is not None:
            o.pending -= 1  # never the last change of a live order; _ended retires after
        if amend is None or o.quantity is None or o.state in _TERMINAL:
            return
        # A balance report may include some of the amends and not the later ones. (A
        # conditional order counts as live: it may have triggered unheard.)
        extra = amend.rise(o.filled)
        if extra > 0:
            self._add(asset, key, IN_FLIGHT, ZERO, -extra, None, o, None)

    def _hold_unheard(self, o: _Order, chain: _Amend, answered: int) -> None:
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
        if extra <= 0:
            return
        asset = o.lock_asset()
        key = ("aw", o.n)
        led = self._ledgers.get(asset)
        held = led.pending.get(key) if led is not None else None
        if held is not None:  # an earlier chain's states are not heard either: add up
            extra -= held[FREE]
            self._remove(asset, key)
        o.unheard = [*(o.unheard or ()), *tail]
        self._add(asset, key, answered, ZERO, -extra, None, o, None)

    def _heard(self, o: _Order, q: Decimal, p: Decimal | None) -> None:
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
        self._remove(o.lock_asset(), ("aw", o.n))

    def _answer(self, cid: str, what: str) -> _Order | None:
        """The order a late answer to the bot's own intent speaks of.

        Once orders have left the bounded history, an answer about an id no longer known
        may be about one of them: it is old news, not an error.
        """
        if (self._gone or self._forgotten) and cid not in self._by_cid:
            return None
        return self._local(cid, what)

    def _on_cancel_failed(self, c: ev.CancelFailed) -> None:
        o = self._answer(c.client_order_id, "cancel failed")
        if o is not None:
            self._order_event(o, "cancel_failed")

    def _on_submission_failed(self, s: ev.SubmissionFailed) -> None:
        o = self._answer(s.client_order_id, "submission failed")
        if o is not None:
            self._order_event(o, "reject")

    def _on_timed_out(self, s: ev.SubmissionTimedOut) -> None:
        o = self._answer(s.client_order_id, "submission timed out")
        if o is not None:
            self._order_event(o, "timed_out")

    # --- handlers: stream status ------------------------------------------------------------

    def _on_connected(self, c: ev.StreamConnected) -> None:
        return None

    def _on_broken(self, b: ev.StreamDisconnected | ev.SequenceGap) -> None:
        self._account_event("broken")

    def _on_ignored(self, m: ev.MessageIgnored) -> None:
        key = f"{m.venue}:{m.kind}"
        self._ignored[key] = self._ignored.get(key, 0) + 1

    # --- views ------------------------------------------------------------------------------

    def _view(self, o: _Order) -> Order:
        filled = o.filled
        if o.known_filled > 0 and o.known_filled >= o.reported_filled:
            avg: Decimal | None = EXACT.divide(o.known_notional, o.known_filled)
        else:
            avg = o.reported_avg if filled > 0 else None
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

    def _handed_over(self, o: _Order) -> bool:
        """A triggered conditional order whose new order is known: that order carries it."""
        tid = o.triggered_order_id
        if o.state != "triggered" or tid is None:
            return False
        # Known, or known and since dropped from the bounded history.
        return self._match(o.ii, tid, None) is not None or (o.ii, tid) in self._gone

    def _widening(self) -> Iterable[_Order]:
        """Every order whose unheard fills may move a balance or a position."""
        yield from self._live.values()
        for o in self._implied.values():
            if not self._handed_over(o):
                yield o
        for n, o in list(self._handoff.items()):
            if self._handed_over(o):
                del self._handoff[n]
            else:
                yield o

    def _asset_exposure(self, asset: str) -> Exposure:
        b = self.balance(asset)
        low = high = b.total
        led = self._ledgers.get(asset)
        if led is not None and led.pending:
            for key, ch in led.pending.items():
                if type(key) is tuple and key[0] == "fa":
                    low += ch[FREE]  # room for a fee still to come
        at = led.version if led is not None else -1
        for o in self._widening():
            inst = o.inst
            if inst.kind != "spot" or asset not in (inst.base, inst.quote):
                continue
            u = o.unseen()
            if u is not None and o.cums is not None:
                u -= o.covered(at)  # implied fills the balance report includes (P8)
            if u is not None and u <= 0:
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
                    early = self._before_last_values(o, u)
                    if early is None or old is None or price is None:
                        price = old
                    elif early:
                        # Only fills up to the first report of the current values can be
                        # at an older price: the rest are at the current one (P8).
                        low -= early * max(old, price) * (ONE + rate)
                        u -= early
                a = o.amending
                if (
                    a is not None
                    and a.hi_price is not None
                    and (price is None or a.hi_price > price)
                ):
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

    def _before_last_values(self, o: _Order, u: Decimal) -> Decimal | None:
        """How many of ``u`` unheard fills of an amended order may predate the first report
        of its current values; None where no report bounds it."""
        segs = o.segs
        assert segs is not None
        first = segs[-1][0][0]
        if first < 0 or len(segs) < 2:
            return None
        cap = o.filled_by(first)
        if cap is None:
            return None
        k = sum((f.quantity for f in o.fills.values() if f.version <= first), ZERO)
        early = cap - k
        if early <= 0:
            return ZERO
        return early if early < u else u

    def _position_exposure(self, ii: int) -> Exposure:
        book = self._positions[ii]
        q, _, _ = book.replay()
        low = high = q
        for o in self._widening():
            if o.ii != ii:
                continue
            u = o.unseen()
            if u is None:
                return Exposure(low=-_INF, expected=q, high=_INF)
            if o.cums is not None:
                u -= o.covered(book.version)  # implied fills the position report includes
            if u <= 0:
                continue
            if o.side == "buy":
                high += u
            else:
                low -= u
        return Exposure(low=low, expected=q, high=high)


# What a snapshot saves and, if it fails, puts back: every slot but the bound handlers.
_STATE: Final = tuple(k for k in Inventory.__slots__ if k not in ("__weakref__", "_dispatch"))
