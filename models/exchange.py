"""The exchange model: the ground truth of one exchange account, sans-I/O and seedable.

``ExchangeModel`` holds what the venue holds — spot balances with locked funds, linear and
inverse positions, orders and their fills — and changes only through explicit actions
(``submit``, ``fill``, ``cancel``, ``expire``, ``deposit``, ``withdraw``, ``funding``,
``liquidate``, ``amend``, ``submit_conditional``, or a price path with ``set_price``).
Every change takes the next version (one global counter) and emits the core events a
real venue would push, on separate named streams (``STREAMS``); ``take_emitted`` hands
them to the network. REST answers (``snapshot``, ``query_order``) are returned directly,
as of the current version.

Venue styles the model can take on (DESIGN §2 Edge rules):

* Conditional orders (``submit_conditional``) reserve nothing and cannot fill until
  ``set_price`` crosses their trigger. ``style="same"`` (Bybit) reports them
  ``conditional=True`` and, once triggered, live (``conditional=False``) under the same
  order id; ``style="separate"`` (Binance USD-M algo, OKX algo) ends the conditional
  order ``triggered`` with ``triggered_order_id`` naming a new, client-id-less order.
  A trigger the account cannot fund cancels the conditional order.
* ``amend`` (Binance ``REPLACED``, OKX ``amend``): quantity down and/or a new limit price,
  a versioned order report; the reserve follows.
* ``okx_reports``: the share of fills whose balance and position reports name the fill
  by trade id (OKX ``balance_and_position``) with a version one below the fill's. Versions
  then step by 2 so that such a report never ties with another one.
* ``free_none``: the share of balance reports of never-locked assets sent without
  ``free`` (OKX: the locked amount is unchanged).

Accounting rules (the ones the core assumes, DESIGN §2):

* A limit buy reserves ``quantity * limit price`` of the quote, a sell (limit or market)
  ``quantity`` of the base; each fill releases ``fill quantity * limit`` (buy) or ``fill
  quantity`` (sell); cancel and expiry release the rest. Market buys (their spend is
  unknown until they fill) and derivatives (margin is out of scope) reserve nothing.
* Spot fees are charged in the asset received (base on a buy, quote on a sell) or in a
  third asset (BNB) when there is enough of it; derivative fees in the settle asset or the
  third asset. A fee < 0 is a rebate.
* Derivative positions are the model's own arithmetic, independent of the core's
  (``VenuePosition``): the open position's exact cost basis as a ``Fraction`` (linear: the
  sum of quantity x price of the open lots; inverse: the sum of quantity / price), reduced
  pro rata on a close. The entry price is basis / quantity (linear) or quantity / basis
  (inverse), reported at 28 significant digits rounded half-even (DESIGN §2); realized PnL
  is exact, then rounded like a venue's figure to ``pnl_places`` decimals (inverse fees
  too); each fill reports it (``FillReported.realized_pnl``), unless sent without it
  (``fill(with_pnl=False)``, or at the ``no_pnl`` rate: a venue message lacking the PnL
  field, in every copy of the trade). The wallet books the same rounded figure either
  way: the venue's own, which the tracker then has to compute.
* An order's average price is sum(q x p) / sum(q) at 28 significant digits, half-even.

The model asserts its own invariants after every change: no free balance below zero, and
every spot asset's locked amount equals what its open orders reserve.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Final

import attrs

from core import events as ev
from core.instrument import Instrument
from core.views import Balance, Position

#: The push streams a venue emits on; a network model carries each separately.
STREAMS: Final = ("orders", "fills", "balances", "positions")
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
TERMINAL: Final = frozenset({"filled", "canceled", "rejected", "expired", "triggered"})
#: How a fill's fee is charged: the asset the trade delivers, the settle asset, or a third one.
FEE_PLACES: Final = frozenset({"received", "settle", "third"})
#: How the venue prints a figure that need not terminate (entry and average prices).
PRINTED: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)


def printed(x: Fraction) -> Decimal:
    """An exact value as the venue prints it: 28 significant digits, half-even."""
    return PRINTED.divide(Decimal(x.numerator), Decimal(x.denominator))


def rounded(x: Fraction, places: int) -> Decimal:
    """An exact value rounded half-even to ``places`` decimals, as a venue prints a PnL."""
    return Decimal(f"{round(x * 10**places)}E-{places}")  # round() of a Fraction is exact


@attrs.define(slots=True)
class VenuePosition:
    """The venue's own book of one derivative position, in exact arithmetic.

    ``basis`` is the open position's cost: the sum over its open lots of quantity x price
    (linear) or quantity / price (inverse). A close takes its share of the basis away, so
    the entry price of what stays open does not move; a flip opens the rest at the fill's
    price.
    """

    inverse: bool
    contract_size: Fraction
    quantity: Decimal = ZERO
    basis: Fraction = Fraction(0)

    def entry(self) -> Fraction:
        """The exact entry price: the open lots' mean (harmonic for inverse); 0 when flat."""
        size = Fraction(abs(self.quantity))
        if not size:
            return Fraction(0)
        return size / self.basis if self.inverse else self.basis / size

    def _cost(self, size: Fraction, price: Fraction) -> Fraction:
        return size / price if self.inverse else size * price

    def trade(self, signed: Decimal, price: Decimal) -> Fraction:
        """Apply a fill (buy > 0); return its exact realized PnL in the settle asset."""
        p = Fraction(price)
        size = Fraction(abs(signed))
        held = Fraction(abs(self.quantity))
        long = self.quantity > 0
        if not held or long == (signed > 0):
            self.basis += self._cost(size, p)
            self.quantity += signed
            return Fraction(0)
        closing = min(size, held)
        entry = self.entry()
        gain = (1 / entry - 1 / p) if self.inverse else (p - entry)
        pnl = closing * self.contract_size * gain * (1 if long else -1)
        self.basis = self.basis * (held - closing) / held
        opening = size - closing
        if opening:
            self.basis = self._cost(opening, p)
        self.quantity += signed
        return pnl


class ModelInvariantError(AssertionError):
    """The exchange model broke one of its own invariants (a bug in the model or a test)."""


@attrs.frozen(slots=True)
class Rejection:
    """The venue refused an action (insufficient funds, unknown order, post-only would cross)."""

    reason: str


@attrs.define(slots=True)
class ModelOrder:
    """One order as the venue holds it."""

    order_id: str
    client_order_id: str | None
    instrument: Instrument
    side: str
    order_type: str
    quantity: Decimal
    price: Decimal | None
    post_only: bool
    status: str
    version: int
    reserve_unit: Decimal
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    fees: dict[str, Decimal] = attrs.field(factory=dict)
    trade_ids: list[str] = attrs.field(factory=list)
    accept_version: int | None = None
    end_version: int | None = None
    conditional: bool = False
    trigger_price: Decimal | None = None
    trigger_above: bool = True
    style: str = ""
    triggered_order_id: str | None = None
    parent_id: str | None = None
    trigger_version: int | None = None

    @property
    def remaining(self) -> Decimal:
        """Unfilled quantity (0 once terminal)."""
        return ZERO if self.status in TERMINAL else self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        """Live on the book (new or partially filled)."""
        return self.status not in TERMINAL

    @property
    def average_price(self) -> Decimal | None:
        """Quantity-weighted mean fill price; None before the first fill."""
        if not self.filled:
            return None
        return printed(Fraction(self.notional) / Fraction(self.filled))

    @property
    def reserve_asset(self) -> str:
        """The spot asset this order locks: quote for a buy, base for a sell."""
        inst = self.instrument
        return inst.quote if self.side == "buy" else inst.base

    @property
    def reserved(self) -> Decimal:
        """What the order locks now: remaining quantity times the reserve unit."""
        return self.remaining * self.reserve_unit

    def report(self) -> ev.OrderReported:
        """The venue's absolute view of this order as of its last change."""
        return ev.OrderReported(
            symbol=self.instrument.symbol,
            order_id=self.order_id,
            client_order_id=self.client_order_id,
            side=self.side,
            status=self.status,
            quantity=self.quantity,
            price=self.price,
            filled_quantity=self.filled,
            average_price=self.average_price,
            version=self.version,
            kind=self.instrument.kind,
            order_type=self.order_type,
            conditional=self.conditional,
            triggered_order_id=self.triggered_order_id,
        )


@attrs.frozen(slots=True)
class Trade:
    """One execution, with every balance it moved (``moves``: asset -> total delta, fee aside)."""

    trade_id: str
    order_id: str
    client_order_id: str | None
    instrument: Instrument
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    realized_pnl: Decimal | None
    version: int
    liquidation: bool
    moves: tuple[tuple[str, Decimal], ...]
    pnl_sent: bool = True
    """Whether the venue's messages of this trade carry ``realized_pnl``."""

    @property
    def signed_quantity(self) -> Decimal:
        """Quantity with the sign of its side (a buy is positive)."""
        return self.quantity if self.side == "buy" else -self.quantity

    def report(self, fast: bool = False, with_client_id: bool = True) -> ev.FillReported:
        """The fill message; ``fast`` is the fee-less early copy (TRADE_LITE, execution.fast).

        ``with_client_id=False`` leaves the client order id out, as Bybit's fast copy may;
        a trade whose PnL is not sent (``pnl_sent``) has none in any copy.
        """
        return ev.FillReported(
            symbol=self.instrument.symbol,
            order_id=self.order_id,
            client_order_id=self.client_order_id if with_client_id else None,
            trade_id=self.trade_id,
            side=self.side,
            quantity=self.quantity,
            price=self.price,
            fee=None if fast else self.fee,
            fee_asset=None if fast else self.fee_asset,
            version=self.version,
            kind=self.instrument.kind,
            realized_pnl=self.realized_pnl if self.pnl_sent and not fast else None,
            liquidation=self.liquidation,
        )


@attrs.frozen(slots=True)
class CashRecord:
    """A balance change without an order (deposit, withdrawal, funding)."""

    asset: str
    total_delta: Decimal
    free_delta: Decimal
    version: int
    reason: str
    change_id: str | None

    def report(self) -> ev.CashChanged:
        """The venue's message for this change."""
        return ev.CashChanged(
            asset=self.asset,
            total_delta=self.total_delta,
            free_delta=self.free_delta,
            version=self.version,
            reason=self.reason,
            change_id=self.change_id,
        )


class _History:
    """Values of one scope by version, for ``at(version)`` look-ups."""

    __slots__ = ("values", "versions")

    def __init__(self) -> None:
        self.versions: list[int] = []
        self.values: list[tuple[Decimal, Decimal]] = []

    def record(self, version: int, a: Decimal, b: Decimal) -> None:
        if self.versions and self.versions[-1] == version:
            self.values[-1] = (a, b)
        else:
            self.versions.append(version)
            self.values.append((a, b))

    def at(self, version: int) -> tuple[Decimal, Decimal]:
        i = bisect.bisect_right(self.versions, version)
        return self.values[i - 1] if i else (ZERO, ZERO)


class ExchangeModel:
    """The ground truth of one account on one venue; see the module docstring."""

    def __init__(
        self,
        instruments: Iterable[Instrument],
        balances: Mapping[str, Decimal],
        *,
        prices: Mapping[str, Decimal] | None = None,
        third_asset: str = "BNB",
        seed: int = 0,
        fast_fills: float = 0.0,
        recent_trades: int | None = None,
        pnl_places: int | None = 10,
        check: bool = True,
        okx_reports: float = 0.0,
        free_none: float = 0.0,
        no_pnl: float = 0.0,
    ) -> None:
        self.instruments: dict[str, Instrument] = {}
        for inst in instruments:
            self.instruments[inst.symbol] = inst
        self.third_asset = third_asset
        self.seed = seed
        self.rng = random.Random(seed)
        self.fast_fills = fast_fills
        self.recent_trades = recent_trades
        # Venues send PnL and fees as finite decimals; unrounded, 28-digit figures would
        # make wallet sums depend on the order of additions.
        self._places = pnl_places
        self.check = check
        self.okx_reports = okx_reports
        self.free_none = free_none
        self.no_pnl = no_pnl
        self._step = 2 if okx_reports else 1
        self._ever_locked: set[str] = set()
        self._version = 0
        self._total: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        self._positions: dict[str, tuple[Decimal, Decimal]] = {}
        self._books: dict[str, VenuePosition] = {}
        self._balance_history: dict[str, _History] = {}
        self._position_history: dict[str, _History] = {}
        self.orders: dict[str, ModelOrder] = {}
        self._by_cid: dict[str, str] = {}
        self.trades: list[Trade] = []
        self.trade_by_id: dict[str, Trade] = {}
        self.cash: list[CashRecord] = []
        #: (version, asset) of every amend that moved a reserve.
        self.amends: list[tuple[int, str]] = []
        self.prices: dict[str, Decimal] = dict(prices or {})
        self._outbox: list[tuple[str, ev.Event]] = []
        self._next_order = 1
        self._next_trade = 1
        self._next_change = 1
        assets = set(balances) | {third_asset}
        for inst in self.instruments.values():
            assets |= {inst.base, inst.quote} if inst.kind == "spot" else {inst.settle}
        for asset in sorted(assets):
            self._total[asset] = balances.get(asset, ZERO)
            self._locked[asset] = ZERO
            self._balance_history[asset] = _History()
            self._balance_history[asset].record(0, self._total[asset], self._total[asset])
        for inst in self.instruments.values():
            if inst.is_derivative:
                self._positions[inst.symbol] = (ZERO, ZERO)
                self._books[inst.symbol] = VenuePosition(
                    inst.kind == "inverse", Fraction(inst.contract_size)
                )
                self._position_history[inst.symbol] = _History()
                self._position_history[inst.symbol].record(0, ZERO, ZERO)
        self._check()

    # --- views ------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The version of the latest change (0 before any)."""
        return self._version

    @property
    def assets(self) -> tuple[str, ...]:
        """Every asset of the account."""
        return tuple(sorted(self._total))

    def balance(self, asset: str) -> Balance:
        """The true balance of an asset now."""
        total = self._total.get(asset, ZERO)
        locked = self._locked.get(asset, ZERO)
        return Balance(total=total, free=total - locked, locked=locked)

    def balance_at(self, asset: str, version: int) -> Balance:
        """The true balance of an asset as of ``version``."""
        h = self._balance_history.get(asset)
        if h is None:
            return Balance(total=ZERO, free=ZERO, locked=ZERO)
        total, free = h.at(version)
        return Balance(total=total, free=free, locked=total - free)

    def position(self, symbol: str) -> Position:
        """The true position of a derivative now."""
        q, e = self._positions[symbol]
        return Position(quantity=q, entry_price=e)

    def position_at(self, symbol: str, version: int) -> Position:
        """The true position of a derivative as of ``version``."""
        q, e = self._position_history[symbol].at(version)
        return Position(quantity=q, entry_price=e)

    def order(self, key: str) -> ModelOrder | None:
        """An order by client order id (the latest one using it) or by exchange order id."""
        oid = self._by_cid.get(key)
        return self.orders.get(oid if oid is not None else key)

    def open_orders(self) -> list[ModelOrder]:
        """Orders live on the book (conditional orders not yet triggered aside)."""
        return [o for o in self.orders.values() if o.is_open and not o.conditional]

    def conditional_orders(self) -> list[ModelOrder]:
        """Conditional orders waiting for their trigger."""
        return [o for o in self.orders.values() if o.is_open and o.conditional]

    def take_emitted(self) -> list[tuple[str, ev.Event]]:
        """The (stream, event) pairs emitted since the last call, in emission order."""
        out, self._outbox = self._outbox, []
        return out

    # --- REST answers ---------------------------------------------------------------------

    def snapshot(self) -> ev.SnapshotTaken:
        """A complete account snapshot as of the current version (REST)."""
        v = self._version
        trades = self.trades if self.recent_trades is None else self.trades[-self.recent_trades :]
        return ev.SnapshotTaken(
            version=v,
            balances=tuple(
                ev.BalanceReported(a, self._total[a], self._total[a] - self._locked[a], v)
                for a in self.assets
            ),
            positions=tuple(
                ev.PositionReported(s, q, e, v, self.instruments[s].kind)
                for s, (q, e) in sorted(self._positions.items())
            ),
            # Bybit lists untriggered conditional orders with the open ones; algo orders
            # (Binance, OKX) have their own endpoint (``query_order``).
            open_orders=tuple(
                o.report()
                for o in self.orders.values()
                if o.is_open and (not o.conditional or o.style == "same")
            ),
            trades=tuple(t.report() for t in trades),
        )

    def query_order(
        self, client_order_id: str | None = None, order_id: str | None = None
    ) -> ev.OrderReported | ev.OrderNotFound:
        """The venue's answer to an order query (REST): the order as of its last change."""
        o = self.orders.get(order_id) if order_id is not None else None
        if o is None and client_order_id is not None:
            o = self.order(client_order_id)
        if o is None:
            return ev.OrderNotFound(client_order_id=client_order_id, order_id=order_id)
        return o.report()

    # --- actions --------------------------------------------------------------------------

    def submit(
        self,
        client_order_id: str | None,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None = None,
        *,
        post_only: bool = False,
    ) -> ModelOrder | Rejection:
        """Place an order.

        A refusal for funds emits nothing (Binance -2010: the REST call fails); a post-only
        order that would cross is pushed as ``rejected``.
        """
        inst = self.instruments[symbol]
        order_type = "market" if price is None else "limit"
        unit = ZERO
        if inst.kind == "spot":
            # A sell locks its base (market sells too); a market buy's spend is unknown.
            unit = ONE if side == "sell" else (price if price is not None else ZERO)
        if inst.kind == "spot" and unit:
            asset = inst.quote if side == "buy" else inst.base
            need = quantity * unit
            if self._free(asset) < need:
                return Rejection(f"insufficient {asset}: need {need}, free {self._free(asset)}")
        v = self._next()
        o = ModelOrder(
            order_id=f"X{self._next_order}",
            client_order_id=client_order_id,
            instrument=inst,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            post_only=post_only,
            status="new",
            version=v,
            reserve_unit=unit,
        )
        self._next_order += 1
        self.orders[o.order_id] = o
        if client_order_id is not None:
            self._by_cid[client_order_id] = o.order_id
        last = self.prices.get(symbol)
        crosses = (
            price is not None
            and last is not None
            and (price >= last if side == "buy" else price <= last)
        )
        if post_only and crosses:
            o.status = "rejected"
            o.end_version = v
            self._emit("orders", o.report())
            self._check()
            return o
        o.accept_version = v
        self._emit("orders", o.report())
        if o.reserved:
            self._move(o.reserve_asset, ZERO, o.reserved, v)
            self._emit_balances(v, {o.reserve_asset})
        self._check()
        return o

    def fill(
        self,
        key: str,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        *,
        fee_rate: Decimal = ZERO,
        fee_in: str = "received",
        fast: bool | None = None,
        fast_client_id: bool = True,
        with_pnl: bool | None = None,
    ) -> Trade | Rejection:
        """Execute (part of) an open order at ``price`` (default: its limit price).

        ``fast`` sends a fee-less copy first (default: at the model's ``fast_fills`` rate);
        ``fast_client_id=False`` leaves the client order id out of that copy;
        ``with_pnl=False`` sends a derivative fill without its realized PnL (default: at
        the model's ``no_pnl`` rate).
        """
        o = self.orders.get(key) or self.order(key)
        if o is None or not o.is_open or o.conditional:
            return Rejection(f"fill {key}: no open order")
        q = o.remaining if quantity is None else min(quantity, o.remaining)
        p = price if price is not None else o.price
        if p is None or q <= 0 or p <= 0:
            return Rejection(f"fill {key}: needs a positive quantity and price")
        if o.price is not None and (p > o.price if o.side == "buy" else p < o.price):
            return Rejection(f"fill {key}: price {p} worse than the limit {o.price}")
        return self._execute(o, q, p, fee_rate, fee_in, fast, False, fast_client_id, with_pnl)

    def cancel(self, key: str, reason: str = "canceled") -> ModelOrder | Rejection:
        """Cancel an open order (by the bot or the venue); unknown or ended: a rejection."""
        return self._end(key, "canceled")

    def expire(self, key: str) -> ModelOrder | Rejection:
        """Expire an open order (time in force, IOC remainder)."""
        return self._end(key, "expired")

    def deposit(
        self, asset: str, amount: Decimal, *, with_id: bool = True
    ) -> CashRecord | Rejection:
        """Credit ``amount`` (> 0) of ``asset`` (a deposit or a transfer in).

        ``with_id=False`` sends it without a venue id, as Binance ``balanceUpdate`` does.
        """
        if amount <= 0:
            return Rejection(f"deposit {asset}: amount {amount} must be > 0")
        return self._cash(asset, amount, "deposit", with_id=with_id)

    def withdraw(
        self, asset: str, amount: Decimal, *, with_id: bool = True
    ) -> CashRecord | Rejection:
        """Debit ``amount`` (> 0) of ``asset`` if free allows (``with_id`` as for ``deposit``)."""
        if amount <= 0 or self._free(asset) < amount:
            return Rejection(f"withdraw {asset}: {amount} above free {self._free(asset)}")
        return self._cash(asset, -amount, "withdrawal", with_id=with_id)

    def funding(self, symbol: str, amount: Decimal) -> CashRecord | Rejection:
        """A funding payment (received if > 0) in a derivative's settle asset (no venue id)."""
        inst = self.instruments[symbol]
        if not inst.is_derivative or amount == 0 or self._free(inst.settle) + amount < 0:
            return Rejection(f"funding {symbol}: refused")
        return self._cash(inst.settle, amount, "funding", with_id=False)

    def liquidate(
        self, symbol: str, quantity: Decimal, price: Decimal, client_order_id: str | None = None
    ) -> Trade | Rejection:
        """An exchange-made order closing up to ``quantity`` of a position.

        No client id (OKX, Bybit ``""``), or one every such order shares (Binance
        ``adl_autoclose``).
        """
        inst = self.instruments[symbol]
        if not inst.is_derivative:
            return Rejection(f"liquidate {symbol}: not a derivative")
        pos, _ = self._positions[symbol]
        q = min(quantity, abs(pos))
        if q <= 0 or price <= 0:
            return Rejection(f"liquidate {symbol}: flat")
        side = "sell" if pos > 0 else "buy"
        o = ModelOrder(
            order_id=f"X{self._next_order}",
            client_order_id=client_order_id,
            instrument=inst,
            side=side,
            order_type="market",
            quantity=q,
            price=None,
            post_only=False,
            status="new",
            version=self._version,
            reserve_unit=ZERO,
        )
        result = self._execute(o, q, price, ZERO, "settle", False, liquidation=True)
        if isinstance(result, Trade):
            self._next_order += 1
        return result

    def submit_conditional(
        self,
        client_order_id: str | None,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        trigger: Decimal,
        *,
        style: str = "same",
    ) -> ModelOrder | Rejection:
        """Place a stop/take-profit order: it reserves nothing until ``set_price`` crosses
        ``trigger`` (from the side the last price is on), then goes live (see the module
        docstring for the two ``style`` s)."""
        if style not in ("same", "separate"):
            raise ValueError(f"style must be 'same' or 'separate', got {style!r}")
        inst = self.instruments[symbol]
        last = self.prices.get(symbol, trigger)
        v = self._next()
        o = ModelOrder(
            order_id=f"{'A' if style == 'separate' else 'X'}{self._next_order}",
            client_order_id=client_order_id,
            instrument=inst,
            side=side,
            order_type="market" if price is None else "limit",
            quantity=quantity,
            price=price,
            post_only=False,
            status="new",
            version=v,
            reserve_unit=ZERO,
            accept_version=v,
            conditional=True,
            trigger_price=trigger,
            trigger_above=trigger > last,
            style=style,
        )
        self._next_order += 1
        self.orders[o.order_id] = o
        if client_order_id is not None:
            self._by_cid[client_order_id] = o.order_id
        self._emit("orders", o.report())
        self._check()
        return o

    def amend(
        self, key: str, quantity: Decimal | None = None, price: Decimal | None = None
    ) -> ModelOrder | Rejection:
        """Amend a live order: its quantity (above its fills; OKX and Bybit allow a raise),
        a limit order's price.

        The reserve follows (a buy's reserve unit is its price); an amend the account
        cannot fund is refused.
        """
        o = self.orders.get(key) or self.order(key)
        if o is None or not o.is_open or o.conditional:
            return Rejection(f"amend {key}: no live order")
        q = o.quantity if quantity is None else quantity
        p = o.price if price is None else price
        if q <= o.filled or (price is not None and o.price is None):
            return Rejection(f"amend {key}: quantity {q} / price {p} not allowed")
        if q == o.quantity and p == o.price:
            return Rejection(f"amend {key}: nothing changes")
        unit = o.reserve_unit
        if o.reserve_unit and o.side == "buy" and p is not None:
            unit = p
        delta = (q - o.filled) * unit - o.reserved
        if delta > 0 and self._free(o.reserve_asset) < delta:
            return Rejection(f"amend {key}: insufficient {o.reserve_asset}")
        v = self._next()
        o.quantity, o.price, o.reserve_unit, o.version = q, p, unit, v
        self._emit("orders", o.report())
        if delta:
            self._move(o.reserve_asset, ZERO, delta, v)
            self.amends.append((v, o.reserve_asset))
            self._emit_balances(v, {o.reserve_asset})
        self._check()
        return o

    def _trigger(self, o: ModelOrder) -> ModelOrder | None:
        """A conditional order's trigger crossed: it goes live (or, unfunded, is canceled)."""
        inst = o.instrument
        unit = ZERO
        if inst.kind == "spot":
            unit = ONE if o.side == "sell" else (o.price if o.price is not None else ZERO)
        asset = inst.quote if o.side == "buy" else inst.base
        v = self._next()
        if unit and self._free(asset) < o.quantity * unit:
            o.status, o.version, o.end_version = "canceled", v, v
            self._emit("orders", o.report())
            return None
        live = o
        if o.style == "same":
            o.conditional = False
            o.reserve_unit = unit
            o.version = v
            o.trigger_version = v
        else:
            live = ModelOrder(
                order_id=f"X{self._next_order}",
                client_order_id=None,
                instrument=inst,
                side=o.side,
                order_type=o.order_type,
                quantity=o.quantity,
                price=o.price,
                post_only=False,
                status="new",
                version=v,
                reserve_unit=unit,
                accept_version=v,
                parent_id=o.order_id,
                trigger_version=v,
            )
            self._next_order += 1
            self.orders[live.order_id] = live
            o.status, o.version, o.end_version = "triggered", v, v
            o.triggered_order_id = live.order_id
            self._emit("orders", o.report())
        self._emit("orders", live.report())
        if live.reserved:
            self._move(asset, ZERO, live.reserved, v)
            self._emit_balances(v, {asset})
        return live

    def set_price(self, symbol: str, price: Decimal, fee_rate: Decimal = ZERO) -> list[Trade]:
        """Move the price path: conditional orders it crosses trigger, then every open limit
        order it crosses fills at its limit price."""
        self.prices[symbol] = price
        out: list[Trade] = []
        for c in self.conditional_orders():
            if c.instrument.symbol != symbol or c.trigger_price is None:
                continue
            if price >= c.trigger_price if c.trigger_above else price <= c.trigger_price:
                self._trigger(c)
        self._check()
        for o in self.open_orders():
            if o.instrument.symbol != symbol or o.price is None:
                continue
            if (o.side == "buy" and o.price >= price) or (o.side == "sell" and o.price <= price):
                t = self._execute(o, o.remaining, o.price, fee_rate, "received", None, False)
                if isinstance(t, Trade):
                    out.append(t)
        return out

    # --- internals ----------------------------------------------------------------------

    def _next(self) -> int:
        self._version += self._step
        return self._version

    def _round(self, x: Fraction) -> Decimal:
        return printed(x) if self._places is None else rounded(x, self._places)

    def _free(self, asset: str) -> Decimal:
        return self._total.get(asset, ZERO) - self._locked.get(asset, ZERO)

    def _move(self, asset: str, total: Decimal, locked: Decimal, version: int) -> None:
        if asset not in self._total:
            self._total[asset] = ZERO
            self._locked[asset] = ZERO
            self._balance_history[asset] = _History()
        self._total[asset] += total
        self._locked[asset] += locked
        if locked:
            self._ever_locked.add(asset)
        t = self._total[asset]
        self._balance_history[asset].record(version, t, t - self._locked[asset])

    def _emit(self, stream: str, event: ev.Event) -> None:
        self._outbox.append((stream, event))

    def _emit_balances(
        self, version: int, assets: Iterable[str], trade_id: str | None = None
    ) -> None:
        """Balance reports at ``version``; for a fill maybe OKX-style (see the module docstring)."""
        ids: frozenset[str] | None = None
        if trade_id is not None and self.okx_reports and self.rng.random() < self.okx_reports:
            ids, version = frozenset({trade_id}), version - 1
        for a in sorted(assets):
            free: Decimal | None = self._free(a)
            if self.free_none and a not in self._ever_locked and self.rng.random() < self.free_none:
                free = None
            self._emit("balances", ev.BalanceReported(a, self._total[a], free, version, ids))

    def _end(self, key: str, status: str) -> ModelOrder | Rejection:
        o = self.order(key)
        if o is None or not o.is_open:
            return Rejection(f"{status} {key}: unknown order")
        v = self._next()
        released = o.reserved
        o.status = status
        o.version = v
        o.end_version = v
        self._emit("orders", o.report())
        if released:
            self._move(o.reserve_asset, ZERO, -released, v)
            self._emit_balances(v, {o.reserve_asset})
        self._check()
        return o

    def _cash(self, asset: str, amount: Decimal, reason: str, with_id: bool) -> CashRecord:
        v = self._next()
        cid = None
        if with_id:
            cid = f"C{self._next_change}"
            self._next_change += 1
        rec = CashRecord(asset, amount, amount, v, reason, cid)
        self.cash.append(rec)
        self._move(asset, amount, ZERO, v)
        self._emit("balances", rec.report())
        self._emit_balances(v, {asset})
        self._check()
        return rec

    def _fee(
        self, inst: Instrument, side: str, q: Decimal, p: Decimal, rate: Decimal, fee_in: str
    ) -> tuple[str, Decimal]:
        """The fee's asset and amount; a third-asset fee falls back when there is too little."""
        if fee_in not in FEE_PLACES:
            raise ValueError(f"fee_in must be one of {sorted(FEE_PLACES)}, got {fee_in!r}")
        if fee_in == "third" and rate * q <= self._free(self.third_asset):
            return self.third_asset, rate * q
        if inst.kind == "spot":
            return (inst.base, rate * q) if side == "buy" else (inst.quote, rate * q * p)
        notional = q * inst.contract_size
        if inst.kind == "inverse":
            return inst.settle, self._round(Fraction(rate * notional) / Fraction(p))
        return inst.settle, rate * notional * p

    def _execute(
        self,
        o: ModelOrder,
        q: Decimal,
        p: Decimal,
        fee_rate: Decimal,
        fee_in: str,
        fast: bool | None,
        liquidation: bool,
        fast_client_id: bool = True,
        with_pnl: bool | None = None,
    ) -> Trade | Rejection:
        inst = o.instrument
        buy = o.side == "buy"
        moves: dict[str, Decimal] = {}
        unlock: dict[str, Decimal] = {}
        pnl: Decimal | None = None
        new_pos: tuple[Decimal, Decimal] | None = None
        book: VenuePosition | None = None
        if inst.kind == "spot":
            moves[inst.base] = q if buy else -q
            moves[inst.quote] = -(q * p) if buy else q * p
            if o.reserve_unit:
                unlock[o.reserve_asset] = q * o.reserve_unit
        else:
            # On a copy: the fill may yet be refused for funds.
            book = attrs.evolve(self._books[inst.symbol])
            pnl = self._round(book.trade(q if buy else -q, p))
            new_pos = (book.quantity, printed(book.entry()))
            moves[inst.settle] = pnl
        fee_asset, fee = self._fee(inst, o.side, q, p, fee_rate, fee_in)
        # Funds check: a spend the account cannot cover is refused (market orders lock nothing).
        for asset in {*moves, fee_asset}:
            after = (
                self._free(asset)
                + moves.get(asset, ZERO)
                + unlock.get(asset, ZERO)
                - (fee if asset == fee_asset else ZERO)
            )
            if after < 0:
                return Rejection(f"fill {o.order_id}: {asset} free would go to {after}")
        if with_pnl is None:  # drawn for derivative fills only, and only at a rate > 0
            with_pnl = pnl is None or not self.no_pnl or self.rng.random() >= self.no_pnl
        v = self._next()
        trade = Trade(
            trade_id=f"T{self._next_trade}",
            order_id=o.order_id,
            client_order_id=o.client_order_id,
            instrument=inst,
            side=o.side,
            quantity=q,
            price=p,
            fee=fee,
            fee_asset=fee_asset,
            realized_pnl=pnl,
            version=v,
            liquidation=liquidation,
            moves=tuple(sorted(moves.items())),
            pnl_sent=with_pnl,
        )
        self._next_trade += 1
        self.orders[o.order_id] = o
        self.trades.append(trade)
        self.trade_by_id[trade.trade_id] = trade
        changed = set(moves) | {fee_asset} if fee else set(moves)
        for asset in changed:
            self._move(
                asset,
                moves.get(asset, ZERO) - (fee if asset == fee_asset else ZERO),
                -unlock.get(asset, ZERO),
                v,
            )
        for asset, amount in unlock.items():
            if asset not in changed:
                self._move(asset, ZERO, -amount, v)
                changed.add(asset)
        o.filled += q
        o.notional += q * p
        if fee:
            o.fees[fee_asset] = o.fees.get(fee_asset, ZERO) + fee
        o.trade_ids.append(trade.trade_id)
        o.status = "filled" if o.filled == o.quantity else "partially_filled"
        o.version = v
        if o.status == "filled":
            o.end_version = v
        if o.accept_version is None:
            o.accept_version = v
        if new_pos is not None and book is not None:
            self._books[inst.symbol] = book
            self._positions[inst.symbol] = new_pos
            self._position_history[inst.symbol].record(v, *new_pos)
        self.prices[inst.symbol] = p
        if fast is None:
            fast = self.rng.random() < self.fast_fills
        if fast:
            self._emit("fills", trade.report(fast=True, with_client_id=fast_client_id))
        self._emit("fills", trade.report())
        self._emit("orders", o.report())
        self._emit_balances(v, changed, trade.trade_id)
        if new_pos is not None:
            pv, pids = v, None
            if self.okx_reports and self.rng.random() < self.okx_reports:
                pv, pids = v - 1, frozenset({trade.trade_id})
            self._emit(
                "positions",
                ev.PositionReported(inst.symbol, new_pos[0], new_pos[1], pv, inst.kind, pids),
            )
        self._check()
        return trade

    def _check(self) -> None:
        if not self.check:
            return
        reserved: dict[str, Decimal] = {}
        for o in self.orders.values():
            if o.is_open and o.reserve_unit:
                reserved[o.reserve_asset] = reserved.get(o.reserve_asset, ZERO) + o.reserved
        for asset, total in self._total.items():
            locked = self._locked[asset]
            if locked != reserved.get(asset, ZERO):
                raise ModelInvariantError(
                    f"model (seed {self.seed}) v{self._version}: {asset} locked {locked} but open "
                    f"orders reserve {reserved.get(asset, ZERO)}"
                )
            if total - locked < 0:
                raise ModelInvariantError(
                    f"model (seed {self.seed}) v{self._version}: {asset} free {total - locked} < 0"
                )
        for o in self.orders.values():
            if o.filled > o.quantity:
                raise ModelInvariantError(
                    f"model (seed {self.seed}): order {o.order_id} filled {o.filled} > {o.quantity}"
                )
