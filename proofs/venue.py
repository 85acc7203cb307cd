"""A tiny exchange script: the ground truth of a proof scenario, step by step.

A scenario is written as a short script of venue actions (accept, fill, cancel, REST
snapshot) and local intents (submit, cancel request, timeout). Every venue action gets
the next version, changes the venue's own books (its balances with locked amounts,
positions, orders) and emits the messages a real venue would, each message a tuple of
``core.events`` (one decoded WebSocket message may carry several events). The venue's
books are kept here, independently of the core: they are the truth the model checker
compares the Inventory with. Each scenario also writes its true final state by hand,
and the script's final state must equal it (a check on the script itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core import events as ev
from core.instrument import Instrument
from core.position import EXACT

ZERO = Decimal(0)

#: venue status words -> the Inventory's status names
STATUS_VIEW = {
    "new": "open",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
}


@dataclass(frozen=True)
class OrderTruth:
    """What the venue knows of one order (as the Inventory should show it)."""

    status: str
    filled: Decimal
    average_price: Decimal | None
    fees: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class Truth:
    """The venue's state after one step of its timeline."""

    balances: tuple[tuple[str, Decimal, Decimal], ...]  # (asset, total, free), locked = total-free
    positions: tuple[tuple[str, Decimal, Decimal], ...]  # (symbol, signed quantity, entry price)
    orders: tuple[tuple[str, OrderTruth], ...]  # (client order id, truth)

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        for a, total, free in self.balances:
            if a == asset:
                return total, free
        return ZERO, ZERO

    def position(self, symbol: str) -> tuple[Decimal, Decimal]:
        for s, q, e in self.positions:
            if s == symbol:
                return q, e
        return ZERO, ZERO

    def order(self, cid: str) -> OrderTruth | None:
        for c, o in self.orders:
            if c == cid:
                return o
        return None


Message = tuple[ev.Event, ...]


@dataclass(frozen=True)
class Step:
    """One step of the timeline: local intents the bot applies, messages the venue emits."""

    label: str
    local: tuple[ev.Event, ...]
    first_message: int  # index of the first message this step emits
    n_messages: int
    truth: Truth  # the venue's state after this step


@dataclass
class _VOrder:
    cid: str
    oid: str
    inst: Instrument
    side: str
    quantity: Decimal
    price: Decimal
    status: str = "pending"
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    version: int = 0

    @property
    def unit(self) -> Decimal:
        """What one unit of quantity reserves (quote for a buy, base for a sell)."""
        return self.price if self.side == "buy" else Decimal(1)

    @property
    def lock_asset(self) -> str:
        return self.inst.quote if self.side == "buy" else self.inst.base

    def average(self) -> Decimal | None:
        return EXACT.divide(self.notional, self.filled) if self.filled else None


def _step_position(
    qty: Decimal, entry: Decimal, dq: Decimal, price: Decimal, cs: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Linear one-way position after a signed fill: (quantity, entry, realized pnl)."""
    new = qty + dq
    if qty == 0 or (qty > 0) == (dq > 0):
        return new, (abs(qty) * entry + abs(dq) * price) / abs(new), ZERO
    closed = min(abs(dq), abs(qty))
    pnl = closed * cs * (price - entry) * (1 if qty > 0 else -1)
    if new == 0:
        return new, ZERO, pnl
    if (new > 0) != (qty > 0):
        return new, price, pnl
    return new, entry, pnl


class Venue:
    """The exchange: balances with locked amounts, linear positions, orders, versions."""

    def __init__(
        self,
        instruments: tuple[Instrument, ...],
        balances: dict[str, Decimal],
        positions: dict[str, tuple[Decimal, Decimal]] | None = None,
        split_fills: bool = False,
    ) -> None:
        self.instruments = instruments
        self._inst = {i.symbol: i for i in instruments}
        self.total: dict[str, Decimal] = dict(balances)
        self.locked: dict[str, Decimal] = {a: ZERO for a in balances}
        self.positions: dict[str, tuple[Decimal, Decimal]] = dict(positions or {})
        for i in instruments:
            if i.is_derivative:
                self.positions.setdefault(i.symbol, (ZERO, ZERO))
        self.orders: dict[str, _VOrder] = {}
        self.version = 0
        self.trades: list[ev.FillReported] = []
        self.steps: list[Step] = []
        self.messages: list[Message] = []
        self.split_fills = split_fills
        self._n_trades = 0
        self.initial = self.snapshot()
        self.initial_truth = self.truth()

    # --- observation --------------------------------------------------------------

    def truth(self) -> Truth:
        return Truth(
            balances=tuple(
                (a, self.total[a], self.total[a] - self.locked.get(a, ZERO))
                for a in sorted(self.total)
            ),
            positions=tuple((s, q, e) for s, (q, e) in sorted(self.positions.items())),
            orders=tuple(
                (
                    o.cid,
                    OrderTruth(
                        STATUS_VIEW[o.status],
                        o.filled,
                        o.average(),
                        tuple(sorted((a, f) for a, f in o.fees.items() if f)),
                    ),
                )
                for o in self.orders.values()
                if o.status != "pending"
            ),
        )

    def _balance_events(self, assets: list[str]) -> tuple[ev.BalanceReported, ...]:
        return tuple(
            ev.BalanceReported(
                a, self.total[a], self.total[a] - self.locked.get(a, ZERO), self.version
            )
            for a in sorted(set(assets))
        )

    def _position_events(self, symbols: list[str]) -> tuple[ev.PositionReported, ...]:
        return tuple(
            ev.PositionReported(s, self.positions[s][0], self.positions[s][1], self.version)
            for s in symbols
        )

    def _order_event(self, o: _VOrder) -> ev.OrderReported:
        return ev.OrderReported(
            symbol=o.inst.symbol,
            order_id=o.oid,
            client_order_id=o.cid,
            side=o.side,
            status=o.status,
            quantity=o.quantity,
            price=o.price,
            filled_quantity=o.filled,
            average_price=o.average(),
            version=o.version,
        )

    def snapshot(self) -> ev.SnapshotTaken:
        """A complete REST snapshot as of the current version."""
        return ev.SnapshotTaken(
            version=self.version,
            balances=self._balance_events(list(self.total)),
            positions=self._position_events(sorted(self.positions)),
            open_orders=tuple(
                self._order_event(o)
                for o in self.orders.values()
                if o.status in ("new", "partially_filled")
            ),
            trades=tuple(self.trades),
        )

    def query(self, cid: str) -> ev.OrderReported | ev.OrderNotFound:
        """The REST answer to an order query."""
        o = self.orders.get(cid)
        if o is None or o.status == "pending":
            return ev.OrderNotFound(client_order_id=cid)
        return self._order_event(o)

    # --- the timeline -----------------------------------------------------------------

    def _emit(self, label: str, local: tuple[ev.Event, ...], messages: list[Message]) -> None:
        self.steps.append(Step(label, local, len(self.messages), len(messages), self.truth()))
        self.messages.extend(messages)

    def submit(self, cid: str, symbol: str, side: str, quantity: str, price: str) -> None:
        """Local: the bot sends an order (the venue has not seen it yet)."""
        inst = self._inst[symbol]
        o = _VOrder(cid, f"x{len(self.orders) + 1}", inst, side, Decimal(quantity), Decimal(price))
        self.orders[cid] = o
        self._emit(
            f"bot submits {cid} {side} {quantity}@{price}",
            (ev.OrderSubmitted(cid, symbol, side, o.quantity, o.price),),
            [],
        )

    def request_cancel(self, cid: str) -> None:
        """Local: the bot asks to cancel."""
        self._emit(f"bot requests cancel {cid}", (ev.CancelRequested(cid),), [])

    def time_out(self, cid: str) -> None:
        """Local: the submission's answer never came."""
        self._emit(f"bot's submit {cid} times out", (ev.SubmissionTimedOut(cid),), [])

    def accept(self, cid: str) -> None:
        """The venue accepts the order: it reserves (spot) and reports it live."""
        o = self.orders[cid]
        self.version += 1
        o.status, o.version = "new", self.version
        msgs: list[Message] = [(self._order_event(o),)]
        if o.inst.kind == "spot":
            self.locked[o.lock_asset] = self.locked.get(o.lock_asset, ZERO) + o.quantity * o.unit
            msgs.append(self._balance_events([o.lock_asset]))
        self._emit(f"v{self.version} venue accepts {cid}", (), msgs)

    def fill(self, cid: str, quantity: str, price: str, fee: str = "0") -> None:
        """One execution of the order (spot fee in the asset received, else in the settle asset)."""
        o = self.orders[cid]
        q, p, f = Decimal(quantity), Decimal(price), Decimal(fee)
        assert o.status in ("new", "partially_filled") and o.filled + q <= o.quantity
        self.version += 1
        self._n_trades += 1
        inst = o.inst
        o.filled += q
        o.notional += q * p
        o.version = self.version
        o.status = "filled" if o.filled == o.quantity else "partially_filled"
        buy = o.side == "buy"
        # spot: the fee is charged in the asset received; derivatives: in the settle asset
        fee_asset = inst.base if inst.kind == "spot" and buy else inst.quote
        if f:
            o.fees[fee_asset] = o.fees.get(fee_asset, ZERO) + f
        changed: list[str] = []
        positions: list[str] = []
        if inst.kind == "spot":
            self.total[inst.base] = self.total.get(inst.base, ZERO) + (q if buy else -q)
            self.total[inst.quote] = self.total.get(inst.quote, ZERO) + (-(q * p) if buy else q * p)
            self.total[fee_asset] -= f
            self.locked[o.lock_asset] -= q * o.unit
            changed = [inst.base, inst.quote]
        else:
            qty, entry = self.positions[inst.symbol]
            qty, entry, pnl = _step_position(qty, entry, q if buy else -q, p, inst.contract_size)
            self.positions[inst.symbol] = (qty, entry)
            self.total[inst.quote] = self.total.get(inst.quote, ZERO) + pnl - f
            changed, positions = [inst.quote], [inst.symbol]
        fill = ev.FillReported(
            symbol=inst.symbol,
            order_id=o.oid,
            client_order_id=o.cid,
            trade_id=f"t{self._n_trades}",
            side=o.side,
            quantity=q,
            price=p,
            fee=f,
            fee_asset=fee_asset if f else None,
            version=self.version,
        )
        self.trades.append(fill)
        report = self._order_event(o)
        execution: list[Message] = [(report,), (fill,)] if self.split_fills else [(report, fill)]
        account: Message = self._balance_events(changed) + self._position_events(positions)
        self._emit(
            f"v{self.version} venue fills {cid} {quantity}@{price} ({fill.trade_id})",
            (),
            [*execution, account],
        )

    def cancel(self, cid: str) -> None:
        """The venue cancels the order's rest and releases its reserve."""
        o = self.orders[cid]
        assert o.status in ("new", "partially_filled")
        self.version += 1
        o.status, o.version = "canceled", self.version
        msgs: list[Message] = [(self._order_event(o),)]
        if o.inst.kind == "spot":
            self.locked[o.lock_asset] -= (o.quantity - o.filled) * o.unit
            msgs.append(self._balance_events([o.lock_asset]))
        self._emit(f"v{self.version} venue cancels {cid}", (), msgs)

    def rest_snapshot(self) -> None:
        """The edge fetches a complete REST snapshot (after drops)."""
        self._emit(f"REST snapshot at v{self.version}", (), [(self.snapshot(),)])
