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

This module is the facade: the public surface (DESIGN §7) and the table sending each
event to the function that applies it. The rules live in the modules beside it, each
saying in its first lines what it owns and what it may touch:

* ``state``: the shared state (``State``, ``_Order``, ``_Fill``) and the machines' tables;
* ``book``: order identity and linking, the lifecycle, an order's end, bounded history;
* ``timeline``: order reports, the (quantity, price) runs of an amended order, its reserve;
* ``amends``: the bot's amend chains in flight and what they may reserve;
* ``fills``: a fill counted once, its second message merged;
* ``spot``: reserves, unlocks and a spot fill's changes;
* ``derivatives``: position fills, position reports, realized PnL;
* ``changes``: pending changes added, dropped, removed; settlement of fills;
* ``sync``: balance and cash reports, snapshots, stream status, requests to the edge;
* ``intents``: the bot's own submissions and cancels, and their failures;
* ``exposure``: order views and exposure ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from core import events as ev
from core.errors import InvalidEvent
from core.instrument import Instrument
from core.inventory import (
    amends,
    book,
    derivatives,
    exposure,
    fills,
    intents,
    sync,
    timeline,
)
from core.inventory.state import (
    _ACCOUNT_NEXT,
    _ORDER_NEXT,
    _STATUS_EVENT,
    State,
    _fill_after,
)
from core.requests import Request
from core.values import ZERO
from core.views import Balance, Exposure, Order, Position

__all__ = ["_ACCOUNT_NEXT", "_ORDER_NEXT", "_STATUS_EVENT", "Inventory", "_fill_after"]


class Inventory:
    """A verified local copy of one exchange account: feed it events, ask it questions.

    Sans-I/O: ``apply`` takes events (from the adapters, or local intents via
    ``submit``/``cancel``); ``take_requests`` says what the I/O edge should fetch.
    """

    __slots__ = ("__weakref__", "_dispatch", "_st")

    def __init__(self, instruments: Iterable[Instrument], history: int = 10_000) -> None:
        self._st = State(instruments, history)
        # Looked up here, not at import: a test may plant a bug in a handler first.
        self._dispatch: dict[type, Callable[[State, Any], None]] = {
            ev.OrderReported: timeline.on_order_reported,
            ev.FillReported: fills.on_fill,
            ev.BalanceReported: sync.on_balance,
            ev.PositionReported: derivatives.on_position,
            ev.CashChanged: sync.on_cash,
            ev.SnapshotTaken: sync.on_snapshot,
            ev.OrderNotFound: sync.on_not_found,
            ev.OrderSubmitted: intents.on_submitted,
            ev.CancelRequested: intents.on_cancel_requested,
            ev.AmendRequested: amends.on_amend_requested,
            ev.AmendFailed: amends.on_amend_failed,
            ev.CancelFailed: intents.on_cancel_failed,
            ev.SubmissionFailed: intents.on_submission_failed,
            ev.SubmissionTimedOut: intents.on_timed_out,
            ev.StreamConnected: sync.on_connected,
            ev.StreamDisconnected: sync.on_broken,
            ev.SequenceGap: sync.on_broken,
            ev.MessageIgnored: sync.on_ignored,
        }

    def apply(self, event: ev.Event) -> None:
        """Apply one event; a malformed or contradictory one raises and changes nothing."""
        try:
            handler = self._dispatch[type(event)]
        except KeyError:
            raise InvalidEvent(f"Inventory.apply: not an invsync event: {event!r}") from None
        handler(self._st, event)

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
        return exposure.balance(self._st, asset)

    def position(self, symbol: str) -> Position:
        """A derivative's expected position (signed quantity, entry price)."""
        st = self._st
        q, e, _ = st.positions[book.derivative(st, symbol)].replay()
        return Position(quantity=q, entry_price=e if q != ZERO else ZERO)

    def order(self, key: str) -> Order | None:
        """An order by client order id, or by exchange order id; None if unknown."""
        st = self._st
        o = st.by_cid.get(key)
        if o is None:
            for ii in range(len(st.instruments)):
                o = st.by_xid.get((ii, key))
                if o is not None:
                    break
        return None if o is None else exposure.view(o)

    def open_orders(self) -> list[Order]:
        """Orders not terminal, in-flight ones included."""
        view = exposure.view
        return [view(o) for o in self._st.live.values()]

    def exposure(self, name: str) -> Exposure:
        """The range an asset's balance, or a derivative's position, may truly be in now."""
        st = self._st
        idx = st.by_symbol.get(name)
        if idx is not None and any(st.instruments[i].is_derivative for i in idx):
            return exposure.position_exposure(st, book.derivative(st, name))
        return exposure.asset_exposure(st, name)

    @property
    def sync_state(self) -> str:
        """``unknown``, ``synced``, ``settling``, ``stale`` or ``resyncing``."""
        return self._st.sync

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        """The instruments this Inventory tracks."""
        return tuple(self._st.instruments)

    def requests(self) -> list[Request]:
        """What the core needs from the I/O edge now (no side effects)."""
        return sync.requests(self._st)

    def take_requests(self) -> list[Request]:
        """Take the current needs, once each: a resync request moves ``stale`` to ``resyncing``."""
        return sync.take_requests(self._st)

    def stats(self) -> dict[str, int]:
        """Sizes of what the Inventory retains (for memory checks and dashboards)."""
        st = self._st
        return {
            "orders": len(st.by_xid) + sum(1 for o in st.by_cid.values() if o.order_id is None),
            "live_orders": len(st.live),
            "retired_orders": len(st.retired),
            "fills": sum(len(o.fills) for o in st.live.values() if o.fills)
            + sum(len(o.fills) for o in st.retired if o.fills),
            "pending_changes": sum(len(led.pending) for led in st.ledgers.values()),
            "pending_position_fills": sum(len(b.pending) for b in st.positions.values()),
            "unsettled_fills": st.unsettled,
            "ignored_messages": sum(st.ignored.values()),
        }
