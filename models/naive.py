"""The naive tracker: the base case every bot starts with, and the reason invsync exists.

``NaiveTracker`` applies events in arrival order with no versions and no dedup: a
balance report overwrites the balance, an order report overwrites the order, and an
order is forgotten as soon as a fill report for it arrives ("it filled, it is done").
Its exposure is its balance widened by its open orders. It answers the same questions
as ``core.Inventory`` (``apply``, ``submit``, ``cancel``, ``balance``, ``position``,
``order``, ``open_orders``, ``exposure``, ``requests``/``take_requests``,
``sync_state``), so the property suites can run against it and must find its double
buy: the fill message arrives before the balance update, the bot sees neither an open
order nor the coins, and buys again.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from core import events as ev
from core.instrument import Instrument
from core.requests import Request
from core.views import Balance, Exposure, Order, Position

ZERO: Final = Decimal(0)
_TERMINAL: Final = frozenset({"filled", "canceled", "rejected", "expired", "triggered"})


class NaiveTracker:
    """Balances and open orders updated in arrival order; see the module docstring."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._instruments = {i.symbol: i for i in instruments}
        self._balances: dict[str, tuple[Decimal, Decimal]] = {}
        self._positions: dict[str, tuple[Decimal, Decimal]] = {}
        self._orders: dict[str, Order] = {}

    @property
    def sync_state(self) -> str:
        """Always ``synced``: the naive tracker never doubts itself."""
        return "synced"

    def requests(self) -> list[Request]:
        """Never asks for anything."""
        return []

    def take_requests(self) -> list[Request]:
        """Never asks for anything."""
        return []

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
        """Remember the order as open from the moment it is sent."""
        inst = self._instruments[symbol]
        self._orders[client_order_id] = Order(
            symbol=symbol,
            kind=inst.kind,
            side=side,
            status="pending_new",
            quantity=quantity,
            price=price,
            filled_quantity=ZERO,
            remaining_quantity=quantity,
            average_price=None,
            fees=(),
            client_order_id=client_order_id,
            order_id=None,
            conditional=conditional,
        )

    def cancel(self, client_order_id: str) -> None:
        """The naive bot waits for the venue's word."""

    def amend(
        self,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        *,
        order_id: str | None = None,
    ) -> None:
        """The naive bot waits for the venue's word here too."""

    def apply(self, event: ev.Event) -> None:
        """Overwrite what the event speaks of; no versions, no dedup."""
        if isinstance(event, ev.BalanceReported):
            free = event.total if event.free is None else event.free
            self._balances[event.asset] = (event.total, free)
        elif isinstance(event, ev.PositionReported):
            self._positions[event.symbol] = (event.quantity, event.entry_price)
        elif isinstance(event, ev.OrderReported):
            self._on_order(event)
        elif isinstance(event, ev.FillReported):
            key = event.client_order_id or event.order_id
            self._orders.pop(key, None)
        elif isinstance(event, ev.SnapshotTaken):
            for b in event.balances:
                self.apply(b)
            for p in event.positions:
                self.apply(p)
            for o in event.open_orders:
                self.apply(o)
        elif (
            isinstance(event, ev.SubmissionFailed | ev.OrderNotFound)
            and event.client_order_id is not None
        ):
            self._orders.pop(event.client_order_id, None)

    def _on_order(self, r: ev.OrderReported) -> None:
        key = r.client_order_id or r.order_id
        if r.status in _TERMINAL:
            self._orders.pop(key, None)
            return
        inst = self._instruments[r.symbol]
        self._orders[key] = Order(
            symbol=r.symbol,
            kind=inst.kind,
            side=r.side,
            status="open" if r.status == "new" else r.status,
            quantity=r.quantity,
            price=r.price,
            filled_quantity=r.filled_quantity,
            remaining_quantity=r.quantity - r.filled_quantity,
            average_price=r.average_price,
            fees=(),
            client_order_id=r.client_order_id,
            order_id=r.order_id,
            conditional=r.conditional,
        )

    def balance(self, asset: str) -> Balance:
        """The last balance report that arrived."""
        total, free = self._balances.get(asset, (ZERO, ZERO))
        return Balance(total=total, free=free, locked=total - free)

    def position(self, symbol: str) -> Position:
        """The last position report that arrived."""
        q, e = self._positions.get(symbol, (ZERO, ZERO))
        return Position(quantity=q, entry_price=e)

    def order(self, key: str) -> Order | None:
        """An open order it still remembers."""
        o = self._orders.get(key)
        if o is not None:
            return o
        return next((o for o in self._orders.values() if o.order_id == key), None)

    def open_orders(self) -> list[Order]:
        """Every order it still remembers."""
        return list(self._orders.values())

    def exposure(self, name: str) -> Exposure:
        """Balance (or position) widened by the remaining quantity of remembered orders."""
        inst = self._instruments.get(name)
        if inst is not None and inst.is_derivative:
            q = self.position(name).quantity
            low = high = q
            for o in self._orders.values():
                if o.symbol == name:
                    if o.side == "buy":
                        high += o.remaining_quantity
                    else:
                        low -= o.remaining_quantity
            return Exposure(low=low, expected=q, high=high)
        total = self.balance(name).total
        low = high = total
        for o in self._orders.values():
            i = self._instruments[o.symbol]
            if i.kind != "spot":
                continue
            rem = o.remaining_quantity
            if name == i.base:
                if o.side == "buy":
                    high += rem
                else:
                    low -= rem
            elif name == i.quote and o.price is not None:
                if o.side == "buy":
                    low -= rem * o.price
                else:
                    high += rem * o.price
        return Exposure(low=low, expected=total, high=high)
