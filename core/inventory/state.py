"""The Inventory's shared state: what it knows of each order and fill, and of the account.

Owns: ``State`` (every mutable field the rules operate on), ``_Order`` and ``_Fill`` (the
per-order and per-trade records) and the hot-path tables derived from the machine classes.
May touch: nothing but itself; it imports no other part of the Inventory. Each field of
``State`` is written by the module its comment names; the others only read it, or change
it through that module's functions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from core import events as ev
from core.errors import InvalidEvent
from core.instrument import Instrument
from core.ledger import AssetLedger
from core.machines import account as account_machine
from core.machines import fill as fill_machine
from core.machines import order as order_machine
from core.position import PositionBook
from core.values import ONE, ZERO

if TYPE_CHECKING:
    from core.inventory.amends import _Amend

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


#: _Fill's fields, in one place: its slots and what a copy or pickle saves.
_FILL_FIELDS: Final = (
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


class _Fill:
    """One trade of an order, counted once."""

    __slots__ = _FILL_FIELDS

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

    # Copy and pickle by state, not by the default for slots: a compiled (mypyc) build has
    # no default, and a snapshot deep-copies the state to roll back if it fails half-way.
    # A blank fill, not constructor arguments, so a cycle through ``order`` copies it once.
    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support: a blank fill, then its state."""
        return (_blank_fill, (), tuple([getattr(self, k) for k in _FILL_FIELDS]))

    def __setstate__(self, state: tuple[object, ...]) -> None:
        """Restore what ``__reduce__`` saved."""
        for k, v in zip(_FILL_FIELDS, state, strict=True):
            setattr(self, k, v)


#: _Order's fields, in one place: its slots and what a copy or pickle saves.
_ORDER_FIELDS: Final = (
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


class _Order:
    """What the Inventory knows of one order (mutable, internal)."""

    __slots__ = _ORDER_FIELDS

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

    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support by state (see ``_Fill.__reduce__``)."""
        blank = (self.n, self.ii, self.inst, self.side)
        return (_Order, blank, tuple([getattr(self, k) for k in _ORDER_FIELDS]))

    def __setstate__(self, state: tuple[object, ...]) -> None:
        """Restore what ``__reduce__`` saved."""
        for k, v in zip(_ORDER_FIELDS, state, strict=True):
            setattr(self, k, v)

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

    def last_fill_version(self) -> int:
        """The version of the newest known fill (the order has some)."""
        return max(f.version for f in self.fills.values())

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
        if c <= ZERO:
            return ZERO
        k = sum((f.quantity for f in self.fills.values() if f.version <= version), ZERO)
        return c - k if c > k else ZERO


#: State's fields: its slots, and what a snapshot saves and, if it fails, puts back.
FIELDS: Final = (
    "by_cid",
    "by_symbol",
    "by_xid",
    "forgotten",
    "gone",
    "gone_cap",
    "handoff",
    "history",
    "ignored",
    "implied",
    "index",
    "instruments",
    "ledgers",
    "live",
    "next_n",
    "orders_complete_at",
    "positions",
    "queried",
    "rc",
    "retired",
    "sync",
    "unsettled",
)


class State:
    """Everything one Inventory knows, shared by the modules that apply its rules.

    Slots, not a __dict__: a snapshot copies the state, and on CPython 3.11 reading an
    instance's __dict__ moves its attributes out of the inline layout for good, which
    slows every later attribute access on the hot path by about a tenth.
    """

    __slots__ = FIELDS

    def __init__(self, instruments: Iterable[Instrument], history: int) -> None:
        self.instruments: list[Instrument] = []
        self.index: dict[tuple[str, str], int] = {}
        self.by_symbol: dict[str, list[int]] = {}
        for inst in instruments:
            if not isinstance(inst, Instrument):
                raise InvalidEvent(f"Inventory: expected an Instrument, got {inst!r}")
            if (inst.symbol, inst.kind) in self.index:
                raise InvalidEvent(f"Inventory: instrument {inst.symbol} ({inst.kind}) given twice")
            self.index[(inst.symbol, inst.kind)] = len(self.instruments)
            self.by_symbol.setdefault(inst.symbol, []).append(len(self.instruments))
            self.instruments.append(inst)
        # (symbol, kind or None) -> instrument index, for the hot path's one dict lookup.
        self.rc: dict[tuple[str, str | None], int] = {k: v for k, v in self.index.items()}
        for sym, idx in self.by_symbol.items():
            if len(idx) == 1:
                self.rc[(sym, None)] = idx[0]
        # Written by changes (pending deltas) and sync (reports).
        self.ledgers: dict[str, AssetLedger] = {}
        # Written by derivatives.
        self.positions: dict[int, PositionBook] = {
            i: PositionBook(inst.kind == "inverse", inst.contract_size)
            for i, inst in enumerate(self.instruments)
            if inst.is_derivative
        }
        # Written by book: order identity, the live set and the bounded history.
        self.by_xid: dict[tuple[int, str], _Order] = {}
        self.by_cid: dict[str, _Order] = {}
        self.live: dict[int, _Order] = {}
        # Terminal orders whose reported cumulative is ahead of their known fills.
        self.implied: dict[int, _Order] = {}
        # Triggered conditional orders whose new order is not known yet.
        self.handoff: dict[int, _Order] = {}
        # Version of the last complete open-orders snapshot (written by sync): a venue order
        # first heard of through an older live report was already gone by then.
        self.orders_complete_at = -1
        self.retired: deque[_Order] = deque()
        self.history = history
        # Orders dropped from history, by (instrument, exchange id) -> last version, for as
        # many again: their late messages are recognised by id. Beyond that, a watermark
        # per instrument (the newest version among ids dropped from here) is all that is
        # kept: a first message of an order without client id older than it is ambiguous.
        self.gone: dict[tuple[int, str], int] = {}
        self.gone_cap = max(history, 16)
        self.forgotten: dict[int, int] = {}
        self.next_n = 0
        # Written by changes and sync: fills counted and not yet covered by a report.
        self.unsettled = 0
        # Written by sync: the account machine's state, orders asked for, ignored kinds.
        self.sync = account_machine.TABLE.initial
        self.queried: set[int] = set()
        self.ignored: dict[str, int] = {}

    def __reduce__(self) -> tuple[object, ...]:
        """Copy/pickle support by state (see ``_Fill.__reduce__``)."""
        return (State, ((), self.history), tuple([getattr(self, k) for k in FIELDS]))

    def __setstate__(self, state: tuple[object, ...]) -> None:
        """Restore what ``__reduce__`` saved."""
        for k, v in zip(FIELDS, state, strict=True):
            setattr(self, k, v)


def _blank_fill() -> _Fill:
    """A fill for ``__setstate__`` to fill in (what a copy or an unpickling starts from)."""
    return _Fill(_BLANK_ORDER, _BLANK_EVENT, (0, ""))


# What a blank fill is built from (its fields are all replaced at once).
_BLANK_ORDER: Final = _Order(0, 0, Instrument(symbol="X", kind="spot", base="X", quote="Y"), "buy")
_BLANK_EVENT: Final = ev.FillReported("X", "0", None, "0", "buy", ONE, ONE, None, None, 0)
