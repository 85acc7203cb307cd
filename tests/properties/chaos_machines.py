"""Hypothesis state machines: bot, exchange and network act at random; P1-P7 after every step.

One rule per thing that can happen in the world: the bot submits (plain or conditional
orders, in the venue styles of ``ExchangeModel.submit_conditional``, sometimes reusing an
ended order's client id as OKX allows), amends, cancels or decides from its exposure (the
double-buy check); the exchange fills (a derivative fill maybe without the venue's
PnL, which the tracker then computes), cancels, expires, moves a price path (which
triggers conditional orders), credits and debits cash, pays funding, liquidates (with
no client id or a shared one); the network delivers, reorders, duplicates, delays, drops
and disconnects; the bot answers the tracker's requests from the venue (snapshot, maybe
partial first, order query). Each world draws whether its venue sends OKX-style reports
(coverage by trade id, ``free=None``). Invariants are named after the property they check.
``quiesce`` (a rule, and the end of every run) delivers everything and checks P2; a run
first ends with every order and fill message delivered while reports lag, checking P1.
``HistoryChaos`` runs the spot world against an Inventory with a history of 3 retired
orders, so late duplicates of forgotten orders must be recognised.

Subclass and override ``make_tracker`` (e.g. ``NaiveTracker``) and ``CHECKS`` to aim the same
world at another tracker: ``tests/properties/test_teeth.py`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from core import Instrument, Inventory
from models.exchange import ExchangeModel, ModelOrder
from models.network import FaultProfile
from tests.properties.chaos_harness import (
    ALL_CHECKS,
    DERIVATIVES,
    P8_AFTER_LOSSES,
    SPOT,
    Account,
    Harness,
    Tracker,
    fill_price,
    part,
)

D = Decimal
FRACTIONS = st.sampled_from([D(1), D("0.5"), D("0.25"), D("0.7")])
FEE_RATES = st.sampled_from([D("0.001"), D(0), D("-0.0001"), D("0.0005")])
INDEX = st.integers(0, 7)


def _ready(m: ChaosMachine) -> bool:
    return m._h is not None


class ChaosMachine(RuleBasedStateMachine):
    """The shared rules; ``ACCOUNT`` picks the account, ``make_tracker`` the tracker under test."""

    ACCOUNT: ClassVar[Account] = SPOT
    CHECKS: ClassVar[frozenset[str]] = ALL_CHECKS
    EVICTS: ClassVar[bool] = False
    """Whether ``make_tracker`` forgets retired orders (a small ``history``)."""
    REUSE_IDS: ClassVar[bool] = True
    """Whether the bot reuses the client ids of ended orders (OKX)."""
    STYLES: ClassVar[tuple[str, ...]] = ("same", "separate")
    """Conditional order styles the venue uses (``ExchangeModel.submit_conditional``)."""
    AMEND_MOVES_RESERVE: ClassVar[bool] = True
    """Whether amends may move a spot reserve (quantity down, a buy's price down)."""

    def __init__(self) -> None:
        super().__init__()
        self._h: Harness | None = None
        self.lossy = False

    def make_tracker(self, instruments: Iterable[Instrument]) -> Tracker:
        """The tracker under test (override to test another one)."""
        return Inventory(instruments)

    @property
    def h(self) -> Harness:
        assert self._h is not None, "the harness starts in the initialize rule"
        return self._h

    def _symbol(self, i: int) -> str:
        syms = self.ACCOUNT.symbols
        return syms[i % len(syms)]

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        sequenced=st.booleans(),
        lossy=st.booleans(),
        echo=st.sampled_from([0.0, 0.0, 0.5, 1.0]),
        okx=st.sampled_from([0.0, 0.0, 0.5]),
    )
    def start(self, seed: int, sequenced: bool, lossy: bool, echo: float, okx: float) -> None:
        """One world per program; ``echo`` sends that share of messages twice back to back,
        ``okx`` that share of fills' reports by trade id and balances without ``free``."""
        self.lossy = lossy
        self._h = Harness(
            self.ACCOUNT,
            self.make_tracker,
            seed=seed,
            sequenced=sequenced,
            checks=self.CHECKS,
            profile=FaultProfile(echo=echo),
            okx_reports=okx,
            free_none=okx,
            evicts=self.EVICTS,
        )

    # --- bot ----------------------------------------------------------------------------

    @rule(
        sym=INDEX,
        side=st.sampled_from(["buy", "sell"]),
        qi=INDEX,
        offset=st.integers(-2, 2),
        market=st.sampled_from([False, False, False, True]),
        post_only=st.sampled_from([False, False, True]),
        outcome=st.sampled_from(["ack", "ack", "ack", "timeout", "lost"]),
    )
    def submit(
        self, sym: int, side: str, qi: int, offset: int, market: bool, post_only: bool, outcome: str
    ) -> None:
        symbol = self._symbol(sym)
        qs = dict(self.ACCOUNT.quantities)[symbol]
        tick = dict(self.ACCOUNT.ticks)[symbol]
        price = None if market else dict(self.ACCOUNT.prices)[symbol] + offset * tick
        self.h.submit(symbol, side, qs[qi % len(qs)], price, post_only=post_only, outcome=outcome)

    @rule(
        sym=INDEX,
        side=st.sampled_from(["buy", "sell"]),
        qi=INDEX,
        trigger=st.sampled_from([-2, -1, 1, 2]),
        offset=st.sampled_from([None, -1, 0, 1]),
        style=st.sampled_from(["same", "separate"]),
        outcome=st.sampled_from(["ack", "ack", "ack", "timeout", "lost"]),
    )
    def submit_conditional(
        self,
        sym: int,
        side: str,
        qi: int,
        trigger: int,
        offset: int | None,
        style: str,
        outcome: str,
    ) -> None:
        """A stop/take-profit order: ``trigger`` ticks from the last price, limit or market."""
        if style not in self.STYLES:
            style = self.STYLES[0]
        symbol = self._symbol(sym)
        qs = dict(self.ACCOUNT.quantities)[symbol]
        tick = dict(self.ACCOUNT.ticks)[symbol]
        last = self.h.model.prices[symbol]
        price = None if offset is None else last + (trigger + offset) * tick
        if price is not None and price <= 0:
            price = tick
        self.h.submit(
            symbol,
            side,
            qs[qi % len(qs)],
            price,
            outcome=outcome,
            trigger=last + trigger * tick,
            style=style,
        )

    @precondition(lambda m: _ready(m) and m.REUSE_IDS and bool(m.h.reusable_ids()))
    @rule(i=INDEX, sym=INDEX, side=st.sampled_from(["buy", "sell"]), offset=st.integers(-2, 2))
    def submit_reusing_id(self, i: int, sym: int, side: str, offset: int) -> None:
        """OKX lets a client id be used again once its order has ended."""
        ids = self.h.reusable_ids()
        symbol = self._symbol(sym)
        qs = dict(self.ACCOUNT.quantities)[symbol]
        tick = dict(self.ACCOUNT.ticks)[symbol]
        price = dict(self.ACCOUNT.prices)[symbol] + offset * tick
        self.h.submit(symbol, side, qs[0], price, reuse=ids[i % len(ids)])

    @precondition(lambda m: _ready(m) and bool(m.h.model.open_orders()))
    @rule(
        i=INDEX,
        fraction=st.sampled_from([None, D("0.5"), D("0.8"), D("1.5")]),
        ticks=st.integers(-2, 2),
    )
    def amend(self, i: int, fraction: Decimal | None, ticks: int) -> None:
        """Quantity down or up and/or a new limit price (Binance REPLACED, OKX amend).

        A size goes up only where the bot can tell the tracker first: a raise made outside
        the bot is outside the Inventory's assumption (spec/accounting.md, "Orders").
        """
        opens = self.h.model.open_orders()
        mo = opens[i % len(opens)]
        # The bot tells the tracker first (``inv.amend``) where the tracker's view can
        # take it; where it cannot (the order not heard of yet), a spot buy's price is
        # only lowered: a raise's extra reserve would read as free (P6) until reported.
        moves_reserve = not mo.instrument.is_derivative
        if moves_reserve and mo.side == "buy" and ticks > 0 and not self.h.announcer(mo.order_id):
            ticks = -ticks
        quantity = None
        if fraction is not None and fraction > 1:
            if self.h.announcer(mo.order_id) is not None and (
                self.AMEND_MOVES_RESERVE or not moves_reserve
            ):
                quantity = mo.quantity + part(mo.remaining, fraction - 1)
        elif fraction is not None and (self.AMEND_MOVES_RESERVE or not moves_reserve):
            quantity = mo.filled + part(mo.remaining, fraction)
            if quantity >= mo.quantity:
                quantity = None
        price = None
        if (
            mo.price is not None
            and ticks
            and (self.AMEND_MOVES_RESERVE or not moves_reserve or mo.side == "sell")
        ):
            price = mo.price + ticks * dict(self.ACCOUNT.ticks)[mo.instrument.symbol]
            if price <= 0:
                price = None
        if quantity is not None or price is not None:
            self.h.amend(mo.order_id, quantity, price)

    @precondition(lambda m: _ready(m) and bool(m.h.cids))
    @rule(i=INDEX)
    def cancel(self, i: int) -> None:
        self.h.cancel(self.h.cids[-1 - i % len(self.h.cids)])

    @rule(offset=st.integers(-1, 1), extra=st.sampled_from([D(0), D(1), D(-1)]))
    def decide(self, offset: int, extra: Decimal) -> None:
        symbol, _, level = self.ACCOUNT.target
        tick = dict(self.ACCOUNT.ticks)[symbol]
        self.h.decide(dict(self.ACCOUNT.prices)[symbol] + offset * tick, level + extra)

    # --- exchange -----------------------------------------------------------------------

    @precondition(lambda m: _ready(m) and bool(m.h.model.open_orders()))
    @rule(
        i=INDEX,
        fraction=FRACTIONS,
        offset=st.integers(0, 2),
        fee_rate=FEE_RATES,
        fee_in=st.sampled_from(["received", "settle", "third"]),
        fast=st.sampled_from(["no", "fee-less", "fee-less, no client id"]),
    )
    def fill(
        self, i: int, fraction: Decimal, offset: int, fee_rate: Decimal, fee_in: str, fast: str
    ) -> None:
        opens = self.h.model.open_orders()
        self._fill(opens[i % len(opens)], fraction, offset, fee_rate, fee_in, fast, with_pnl=True)

    def _fill(
        self,
        mo: ModelOrder,
        fraction: Decimal,
        offset: int,
        fee_rate: Decimal,
        fee_in: str,
        fast: str,
        *,
        with_pnl: bool,
    ) -> None:
        q = part(mo.remaining, fraction)
        p = fill_price(self.h, mo, offset)

        def act(m: ExchangeModel) -> object:
            return m.fill(
                mo.order_id,
                q,
                p,
                fee_rate=fee_rate,
                fee_in=fee_in,
                fast=fast != "no",
                fast_client_id=fast != "fee-less, no client id",
                with_pnl=with_pnl,
            )

        self.h.exchange(act)

    @precondition(lambda m: _ready(m) and bool(m.h.model.open_orders()))
    @rule(i=INDEX, expire=st.booleans())
    def exchange_ends_order(self, i: int, expire: bool) -> None:
        opens = self.h.model.open_orders()
        oid = opens[i % len(opens)].order_id
        self.h.exchange(lambda m: m.expire(oid) if expire else m.cancel(oid))

    @rule(sym=INDEX, offset=st.integers(-3, 3))
    def price_path(self, sym: int, offset: int) -> None:
        symbol = self._symbol(sym)
        tick = dict(self.ACCOUNT.ticks)[symbol]
        price = dict(self.ACCOUNT.prices)[symbol] + offset * tick
        self.h.exchange(lambda m: m.set_price(symbol, price, D("0.001")))

    @rule(
        ai=INDEX,
        amount=st.sampled_from([D(1), D("0.5"), D(3)]),
        out=st.booleans(),
        with_id=st.booleans(),
    )
    def cash(self, ai: int, amount: Decimal, out: bool, with_id: bool) -> None:
        """A deposit or withdrawal, with a venue id or without one (Binance balanceUpdate):
        id-less changes of the same asset and amount at different versions are distinct."""
        assets = [a for a, _ in self.ACCOUNT.balances]
        asset = assets[ai % len(assets)]
        self.h.exchange(
            lambda m: (
                m.withdraw(asset, amount, with_id=with_id)
                if out
                else m.deposit(asset, amount, with_id=with_id)
            )
        )

    @rule(ai=INDEX, amount=st.sampled_from([D(1), D("0.5")]))
    def repeated_cash(self, ai: int, amount: Decimal) -> None:
        """The same credit twice without a venue id (Binance balanceUpdate: a recurring
        interest or distribution): two changes, at two versions, both count."""
        assets = [a for a, _ in self.ACCOUNT.balances]
        asset = assets[ai % len(assets)]
        for _ in range(2):
            self.h.exchange(lambda m: m.deposit(asset, amount, with_id=False))

    # --- network ------------------------------------------------------------------------

    def _busy(self, i: int) -> str:
        busy = self.h.net.busy_streams()
        return busy[i % len(busy)]

    @precondition(lambda m: _ready(m) and m.h.net.pending() + m.h.rest.pending() > 0)
    @rule(index=st.integers(0, 63))
    def deliver(self, index: int) -> None:
        """Deliver any message in flight, push or REST answer (reorder in and across streams)."""
        h = self.h
        i = index % (h.net.pending() + h.rest.pending())
        for stream in h.net.streams:
            n = h.net.pending(stream)
            if i < n:
                h.deliver_all(h.net.deliver_at(stream, i))
                return
            i -= n
        h.deliver_rest(i)

    @precondition(lambda m: _ready(m) and m.h.net.pending() + m.h.rest.pending() > 0)
    @rule()
    def deliver_orders_and_fills(self) -> None:
        """Every order and fill message and REST answer arrives; balance/position reports lag."""
        self._deliver_orders_and_fills()

    def _deliver_orders_and_fills(self) -> None:
        h = self.h
        while h.rest.pending():
            h.deliver_rest(0)
        while h.net.pending("orders") or h.net.pending("fills"):
            busy = [s for s in ("orders", "fills") if h.net.pending(s)]
            h.deliver_all(h.net.deliver_head(h.net.rng.choice(busy)))

    @precondition(lambda m: _ready(m) and m.h.net.pending() > 0)
    @rule(n=st.integers(1, 6))
    def deliver_some(self, n: int) -> None:
        for _ in range(n):
            busy = self.h.net.busy_streams()
            if not busy:
                return
            self.h.deliver_all(self.h.net.deliver_head(self.h.net.rng.choice(busy)))

    @precondition(lambda m: _ready(m) and m.h.net.pending() > 0)
    @rule(s=INDEX, index=INDEX, adjacent=st.booleans())
    def duplicate(self, s: int, index: int, adjacent: bool) -> None:
        """A message arrives twice: right after itself, or much later (a replay)."""
        self.h.net.duplicate(self._busy(s), index, adjacent=adjacent)

    @precondition(lambda m: _ready(m) and m.h.net.pending() > 0)
    @rule(s=INDEX, index=INDEX)
    def delay(self, s: int, index: int) -> None:
        self.h.net.delay(self._busy(s), index)

    @precondition(lambda m: _ready(m) and m.lossy and m.h.net.pending() > 0)
    @rule(s=INDEX, index=INDEX)
    def drop(self, s: int, index: int) -> None:
        self.h.net.drop(self._busy(s), index)

    @precondition(lambda m: _ready(m) and m.lossy and m.h.net.connected)
    @rule()
    def disconnect(self) -> None:
        self.h.disconnect()

    @precondition(lambda m: _ready(m) and not m.h.net.connected)
    @rule()
    def reconnect(self) -> None:
        self.h.reconnect()

    @precondition(lambda m: _ready(m) and m.h.rest.pending() > 0)
    @rule(index=st.sampled_from([0, 0, 1]), lost=st.sampled_from([False, False, False, True]))
    def rest_answer(self, index: int, lost: bool) -> None:
        """A REST answer to the bot arrives (or is lost: a submission then times out)."""
        if lost:
            self.h.drop_rest(index)
        else:
            self.h.deliver_rest(index)

    # --- reconciliation -----------------------------------------------------------------

    @rule(partial=st.sampled_from(["none", "none", "orders", "balances"]))
    def reconcile(self, partial: str) -> None:
        """Answer what the tracker asks: a snapshot when stale (maybe a partial one first),
        order queries when in doubt."""
        self.h.reconcile(partial=partial)

    @rule()
    def quiesce(self) -> None:
        """Deliver everything (after losses, a snapshot first) and check P2 and P8."""
        self.h.quiesce()
        if "p2" in self.CHECKS:
            self.h.check_p2()
        if "p8" in self.CHECKS:
            self.h.check_p8_quiescent(after_losses=P8_AFTER_LOSSES in self.CHECKS)

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def p1_exactly_once(self) -> None:
        if self._h is not None and "p1" in self.CHECKS:
            self.h.check_p1()

    @invariant()
    def p3_bounded_exposure(self) -> None:
        if self._h is not None and "p3" in self.CHECKS:
            self.h.check_p3()

    @invariant()
    def p4_monotonicity(self) -> None:
        if self._h is not None and "p4" in self.CHECKS:
            self.h.check_p4()

    @invariant()
    def p6_free_not_overstated(self) -> None:
        if self._h is not None and "p6" in self.CHECKS:
            self.h.check_p6()

    @invariant()
    def p7_atomic(self) -> None:
        if self._h is not None and "p7" in self.CHECKS:
            self.h.steps += 1
            self.h.check_p7()

    @invariant()
    def p8_tight_exposure(self) -> None:
        if self._h is not None and "p8" in self.CHECKS:
            self.h.check_p8()

    def teardown(self) -> None:
        """Every run ends with its order and fill messages delivered while balance and
        position reports lag, and P1 checked there (fills often come last: the wallet then
        holds the tracker's own PnL of each one the venue sent no figure for); then at
        quiescence with P2 and P8 (unless it already failed)."""
        if self._h is None or self.h.broken:
            return
        if "p1" in self.CHECKS:
            self._deliver_orders_and_fills()
            self.h.check_p1()
        if not {"p2", "p8"} & self.CHECKS:
            return
        self.h.quiesce()
        if "p2" in self.CHECKS:
            self.h.check_p2()
        if "p8" in self.CHECKS:
            self.h.check_p8_quiescent(after_losses=P8_AFTER_LOSSES in self.CHECKS)


class SpotChaos(ChaosMachine):
    """A spot account: BTCUSDT and ETHBTC (BTC is base of one, quote of the other), BNB fees."""

    ACCOUNT = SPOT


class DerivativeChaos(ChaosMachine):
    """A derivative account: a linear swap (contracts of 0.01 BTC) and an inverse perpetual."""

    ACCOUNT = DERIVATIVES

    @precondition(lambda m: _ready(m) and bool(m.h.model.open_orders()))
    @rule(
        i=INDEX,
        fraction=FRACTIONS,
        offset=st.integers(0, 2),
        fee_rate=FEE_RATES,
        fee_in=st.sampled_from(["settle", "third"]),
        fast=st.sampled_from(["no", "fee-less"]),
    )
    def fill_without_pnl(
        self, i: int, fraction: Decimal, offset: int, fee_rate: Decimal, fee_in: str, fast: str
    ) -> None:
        """A fill whose messages lack the venue's PnL (every adapter reads ``rp``,
        ``execPnl``, ``fillPnl`` as optional): the tracker prices the fill from the position
        it rests on, and P1 checks that figure against the venue's. An order that reduces
        a position is taken first where there is one: closes are what need a price."""
        opens = self.h.model.open_orders()
        reducing = [o for o in opens if self._reduces(o)]
        pool = reducing or opens
        self._fill(pool[i % len(pool)], fraction, offset, fee_rate, fee_in, fast, with_pnl=False)

    def _reduces(self, mo: ModelOrder) -> bool:
        """Whether a fill of this order would close (part of) its position."""
        held = self.h.model.position(mo.instrument.symbol).quantity
        return held != 0 and (held > 0) == (mo.side == "sell")

    @rule(sym=INDEX, amount=st.sampled_from([D("1.5"), D("-2"), D("0.25")]))
    def funding(self, sym: int, amount: Decimal) -> None:
        symbol = self._symbol(sym)
        self.h.exchange(lambda m: m.funding(symbol, amount))

    @rule(
        sym=INDEX,
        fraction=FRACTIONS,
        offset=st.integers(-3, 3),
        cid=st.sampled_from([None, "adl_autoclose"]),
    )
    def liquidation(self, sym: int, fraction: Decimal, offset: int, cid: str | None) -> None:
        """An exchange-made order: no client id (OKX, Bybit) or a shared one (Binance)."""
        symbol = self._symbol(sym)
        pos = self.h.model.position(symbol).quantity
        if pos == 0:
            return
        tick = dict(self.ACCOUNT.ticks)[symbol]
        price = dict(self.ACCOUNT.prices)[symbol] + offset * tick
        q = part(abs(pos), fraction)
        self.h.exchange(lambda m: m.liquidate(symbol, q, price, cid))


class HistoryChaos(SpotChaos):
    """The spot world against an Inventory that keeps only 3 retired orders."""

    EVICTS = True

    def make_tracker(self, instruments: Iterable[Instrument]) -> Tracker:
        return Inventory(instruments, history=3)
