"""The backtest harness: one strategy, one tracker, the exchange model as venue, simulated time.

Everything happens on one simulated clock (microseconds), driven by a heap of timed
events; nothing reads the wall clock. Per price step of the path:

1. the venue sees the price first: resting orders it crosses fill (``ExchangeModel.fill``
   at their limit; a trade print's ``qty`` caps what fills on it), and every push the
   model emits goes onto the private stream (``PrivateChannel``: latency and faults);
2. the strategy sees the price after the ``feed`` leg (``Strategy.on_price``);
3. what the strategy sends through ``ctx.orders`` (``place``, ``cancel``, ``amend``) is
   recorded in the tracker at once (a local intent, as the live edge does), reaches the
   venue after the ``entry`` leg, and a refusal comes back after the ``response`` leg as
   ``SubmissionFailed`` / ``CancelFailed`` / ``AmendFailed`` (a lost answer to a new
   order: ``SubmissionTimedOut``). A limit order that crosses the last price, or a
   market order, fills on arrival (the "instant fill" the bot has not heard of yet);
4. private pushes reach the tracker as the channel delivers them; after each, the
   harness answers the tracker's ``take_requests()``: ``ResyncAccount`` with
   ``ExchangeModel.snapshot()`` and ``QueryOrder`` with the order and its fills, each
   after the ``rest`` leg (taken at the venue half way).

After the last step the heap is drained (bounded in simulated time) so that what was in
flight lands. One seed fixes every draw: a run is a pure function of its inputs.

Not modelled: queue position (a touch fills), market impact, conditional orders (the
path never calls ``ExchangeModel.set_price``, so nothing triggers), derivatives (spot
instruments only).
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final, Protocol

import attrs

from core import Instrument, Inventory
from core import events as ev
from core.requests import QueryOrder, Request, ResyncAccount
from core.views import Balance, Exposure, Order
from invsync.backtest.faults import PRESETS as FAULT_PRESETS
from invsync.backtest.faults import FaultCounts, Faults, PrivateChannel
from invsync.backtest.latency import PRESETS as LATENCY_PRESETS
from invsync.backtest.latency import Latency
from invsync.backtest.prices import Tick
from models.exchange import ExchangeModel, ModelOrder, Rejection, Trade

#: The instrument of the shipped sample.
SAMPLE_INSTRUMENT: Final = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
#: Starting balances of a backtest unless told otherwise.
DEFAULT_BALANCES: Final[Mapping[str, Decimal]] = {"USDT": Decimal(500_000), "BTC": Decimal(5)}
DEFAULT_FEE_RATE: Final = Decimal("0.001")
ZERO: Final = Decimal(0)
NO_FAULTS: Final = FAULT_PRESETS["none"]
#: How long after the last price step in-flight messages may still land (simulated).
DRAIN_US: Final = 60_000_000
#: How long a new order's lost answer takes to be noticed (the client's request timeout).
TIMEOUT_US: Final = 3_000_000
#: Recent trades a resync snapshot lists (REST endpoints page them).
SNAPSHOT_TRADES: Final = 100

_FEED, _ARRIVE, _RESPONSE, _PRIVATE, _REST_VENUE, _REST_ANSWER = range(6)


class Tracker(Protocol):
    """What a strategy reads and the harness feeds: ``core.Inventory`` or ``NaiveTracker``."""

    def apply(self, event: ev.Event) -> None:
        """Apply one event."""
        ...

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
        """Record a new order the bot sends."""
        ...

    def cancel(self, client_order_id: str) -> None:
        """Record a cancel the bot sends."""
        ...

    def amend(
        self,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        *,
        order_id: str | None = None,
    ) -> None:
        """Record an amend the bot sends."""
        ...

    def balance(self, asset: str) -> Balance:
        """An asset's balance as the tracker believes it."""
        ...

    def exposure(self, name: str) -> Exposure:
        """The range an asset's balance may be in."""
        ...

    def order(self, key: str) -> Order | None:
        """An order by client or exchange id."""
        ...

    def open_orders(self) -> list[Order]:
        """Orders not known to be over."""
        ...

    def take_requests(self) -> list[Request]:
        """What the tracker asks the edge to fetch."""
        ...

    @property
    def sync_state(self) -> str:
        """The account's sync state."""
        ...


@attrs.frozen(slots=True)
class Fill:
    """One execution of the bot's order, as the venue made it (truth, not as heard)."""

    ts: int
    client_order_id: str | None
    trade_id: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str


@attrs.frozen(slots=True)
class Sample:
    """The account at one moment: the truth (``base``, ``quote``) and the tracker's view.

    Taken every ``sample_every`` price steps, at every fill and at every order sent, so the
    truth between two samples never moves and ``true_high``/``true_low`` never rise.
    """

    ts: int
    price: Decimal
    base: Decimal
    quote: Decimal
    seen_low: Decimal
    seen_expected: Decimal
    seen_high: Decimal
    #: The base held if every live or in-flight order of the bot filled: buys, sells.
    true_high: Decimal
    true_low: Decimal


@attrs.frozen(slots=True)
class SentOrder:
    """An order the strategy sent, with the truth at that moment.

    ``true_high`` / ``true_low``: the base the account would hold if every order of the
    bot still live at the venue or in flight to it filled (buys / sells only).
    """

    ts: int
    client_order_id: str
    side: str
    quantity: Decimal
    price: Decimal | None
    true_high: Decimal
    true_low: Decimal


@attrs.define(slots=True)
class Counters:
    """What happened in one run, besides fills."""

    steps: int = 0
    orders: int = 0
    cancels: int = 0
    amends: int = 0
    rejected: int = 0
    cancel_failed: int = 0
    amend_failed: int = 0
    instant_fills: int = 0
    resyncs: int = 0
    queries: int = 0


@attrs.frozen(slots=True)
class Result:
    """Everything a run produced; ``wall_seconds`` is measured only to print the speed."""

    seed: int
    instrument: Instrument
    fills: tuple[Fill, ...]
    samples: tuple[Sample, ...]
    sent: tuple[SentOrder, ...]
    counters: Counters
    network: FaultCounts
    first_price: Decimal
    last_price: Decimal
    start: Mapping[str, Decimal]
    final: Mapping[str, Decimal]
    wall_seconds: float

    def equity(self, base: Decimal, quote: Decimal, price: Decimal) -> Decimal:
        """Value of holdings in the quote asset at ``price``."""
        return quote + base * price

    @property
    def pnl(self) -> Decimal:
        """Mark-to-market PnL in quote, fees included: final value minus starting value."""
        inst = self.instrument
        s_base, s_quote = self.start.get(inst.base, ZERO), self.start.get(inst.quote, ZERO)
        f_base, f_quote = self.final.get(inst.base, ZERO), self.final.get(inst.quote, ZERO)
        return self.equity(f_base, f_quote, self.last_price) - self.equity(
            s_base, s_quote, self.first_price
        )

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees paid, by asset."""
        out: dict[str, Decimal] = {}
        for f in self.fills:
            out[f.fee_asset] = out.get(f.fee_asset, ZERO) + f.fee
        return out


class OrderEntry:
    """The strategy's way to the venue: the live runner's ``place``, ``cancel``, ``amend``,
    synchronous here. Each records the intent in the tracker before it leaves."""

    def __init__(self, bt: Backtest) -> None:
        self._bt = bt
        self._n = 0

    def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None = None,
        *,
        client_order_id: str | None = None,
    ) -> str:
        """Send a new order (limit with a price, market without); returns its client order id."""
        if client_order_id is None:
            self._n += 1
            client_order_id = f"bt{self._n}"
        return self._bt._place(symbol, side, quantity, price, client_order_id)

    def cancel(self, client_order_id: str) -> None:
        """Ask the venue to cancel an order."""
        self._bt._cancel(client_order_id)

    def amend(
        self,
        client_order_id: str,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
    ) -> None:
        """Ask the venue to change an order's quantity and/or limit price."""
        self._bt._amend(client_order_id, quantity, price)


@attrs.define(slots=True)
class Context:
    """What a strategy callback sees: the tracker, order entry, the clock and the last price."""

    inventory: Tracker
    orders: OrderEntry
    instrument: Instrument
    rng: random.Random
    now: int = 0
    price: Decimal | None = None

    @property
    def seconds(self) -> float:
        """Simulated time in seconds (since the epoch of the price file)."""
        return self.now / 1_000_000


class Strategy:
    """Override what you need; every callback gets the ``Context``."""

    def on_start(self, ctx: Context) -> None:
        """Once, after the first snapshot reached the tracker."""

    def on_price(self, ctx: Context, price: Decimal) -> None:
        """A price step reached the strategy (after the feed leg)."""

    def on_event(self, ctx: Context, event: ev.Event) -> None:
        """An event reached the tracker and was applied (private push, REST answer, refusal)."""


class Backtest:
    """One run over a price path; ``run()`` returns a ``Result``. See the module docstring."""

    def __init__(
        self,
        prices: Iterable[Tick],
        strategy: Strategy,
        *,
        instrument: Instrument = SAMPLE_INSTRUMENT,
        balances: Mapping[str, Decimal] = DEFAULT_BALANCES,
        seed: int = 0,
        latency: Latency = LATENCY_PRESETS["retail"],
        faults: Faults = NO_FAULTS,
        fee_rate: Decimal = DEFAULT_FEE_RATE,
        tracker: Callable[[list[Instrument]], Tracker] = Inventory,
        check: bool = False,
        sample_every: int = 50,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        if instrument.kind != "spot":
            raise ValueError(f"backtest: instrument {instrument.symbol}: only spot is supported")
        self.prices = prices
        self.strategy = strategy
        self.inst = instrument
        self.seed = seed
        self.latency = latency
        self.faults = faults
        self.fee_rate = fee_rate
        self.sample_every = max(1, sample_every)
        self.progress = progress
        self.start = dict(balances)
        self.model = ExchangeModel(
            [instrument],
            balances,
            seed=seed,
            recent_trades=SNAPSHOT_TRADES,
            check=check,
            third_asset="BNB",
        )
        self.tracker = tracker([instrument])
        self._rng = {
            leg: random.Random(f"{seed}:{leg}")
            for leg in ("feed", "entry", "response", "rest", "timeout")
        }
        self.channel = PrivateChannel(latency.private, faults, random.Random(f"{seed}:private"))
        self.entry = OrderEntry(self)
        self.ctx = Context(
            inventory=self.tracker,
            orders=self.entry,
            instrument=instrument,
            rng=random.Random(f"{seed}:strategy"),
        )
        self.now = 0
        self._heap: list[tuple[int, int, int, Any]] = []
        self._n = 0
        self._tails: dict[int, int] = {}
        self._resting: dict[str, ModelOrder] = {}
        self._in_flight: dict[str, tuple[str, Decimal]] = {}
        self._fills: list[Fill] = []
        self._samples: list[Sample] = []
        self._sent: list[SentOrder] = []
        self.counters = Counters()
        self._last_price = ZERO

    # --- order entry (called through OrderEntry) -------------------------------------------

    def _place(
        self, symbol: str, side: str, quantity: Decimal, price: Decimal | None, cid: str
    ) -> str:
        if symbol != self.inst.symbol:
            raise ValueError(
                f"place {cid}: unknown symbol {symbol!r} (this run trades {self.inst.symbol})"
            )
        high, low = self._true_range()
        self.tracker.submit(cid, symbol, side, quantity, price)
        self.counters.orders += 1
        self._sent.append(SentOrder(self.now, cid, side, quantity, price, high, low))
        self._in_flight[cid] = (side, quantity)
        self._push(self._leg_time(_ARRIVE, "entry"), _ARRIVE, ("place", cid, side, quantity, price))
        self._sample()
        return cid

    def _cancel(self, cid: str) -> None:
        self.tracker.cancel(cid)
        self.counters.cancels += 1
        self._push(self._leg_time(_ARRIVE, "entry"), _ARRIVE, ("cancel", cid))

    def _amend(self, cid: str, quantity: Decimal | None, price: Decimal | None) -> None:
        self.tracker.amend(cid, quantity, price)
        self.counters.amends += 1
        self._push(self._leg_time(_ARRIVE, "entry"), _ARRIVE, ("amend", cid, quantity, price))

    def _true_range(self) -> tuple[Decimal, Decimal]:
        """The base held if every live or in-flight buy (sell) of the bot filled, by the truth."""
        base = self.model.balance(self.inst.base).total
        high = low = base
        for o in self._resting.values():
            if o.side == "buy":
                high += o.remaining
            else:
                low -= o.remaining
        for side, q in self._in_flight.values():
            if side == "buy":
                high += q
            else:
                low -= q
        return high, low

    # --- the clock ------------------------------------------------------------------------

    def _push(self, at: int, kind: int, payload: Any) -> None:
        self._n += 1
        heapq.heappush(self._heap, (at, self._n, kind, payload))

    def _leg_time(self, kind: int, leg: str) -> int:
        """Now plus one draw of a leg; a leg is one ordered connection, so it never reorders."""
        delay: int = getattr(self.latency, leg).sample(self._rng[leg])
        at = max(self.now + delay, self._tails.get(kind, 0))
        self._tails[kind] = at
        return at

    def _until(self, t: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= t:
            at, _, kind, payload = heapq.heappop(heap)
            self.now = at
            if kind == _FEED:
                self.ctx.now = at
                self.ctx.price = payload
                self.strategy.on_price(self.ctx, payload)
            elif kind == _PRIVATE:
                stream, seq, event = payload
                for e in self.channel.receive(stream, seq, event):
                    self._deliver(e)
            elif kind == _ARRIVE:
                self._arrive(payload)
            elif kind == _RESPONSE:
                self._deliver(payload)
            elif kind == _REST_VENUE:
                self._rest_at_venue(payload)
            else:
                for e in payload:
                    self._deliver(e)

    def _deliver(self, event: ev.Event) -> None:
        self.tracker.apply(event)
        self.ctx.now = self.now
        self.strategy.on_event(self.ctx, event)
        for r in self.tracker.take_requests():
            half = self.latency.rest.sample(self._rng["rest"]) // 2
            self._push(self.now + half, _REST_VENUE, r)

    # --- the venue --------------------------------------------------------------------------

    def _flush(self) -> None:
        for stream, event in self.model.take_emitted():
            for at, s, seq, e in self.channel.send(self.now, stream, event):
                self._push(at, _PRIVATE, (s, seq, e))

    def _respond(self, event: ev.Event) -> None:
        self._push(self._leg_time(_RESPONSE, "response"), _RESPONSE, event)

    def _arrive(self, action: tuple[Any, ...]) -> None:
        what, cid = action[0], action[1]
        timed_out = False
        if what == "place":
            self._in_flight.pop(cid, None)
            _, _, side, quantity, price = action
            placed = self.model.submit(cid, self.inst.symbol, side, quantity, price)
            p_lost = self.faults.timeout
            timed_out = bool(p_lost) and self._rng["timeout"].random() < p_lost
            if isinstance(placed, Rejection):
                self.counters.rejected += 1
                if not timed_out:
                    self._respond(ev.SubmissionFailed(cid, placed.reason))
            elif placed.is_open:
                self._resting[placed.order_id] = placed
                self._cross(placed)
            if timed_out:
                self.channel.counts.timeouts += 1
                self._push(self.now + TIMEOUT_US, _RESPONSE, ev.SubmissionTimedOut(cid, "timeout"))
        elif what == "cancel":
            done = self.model.cancel(cid)
            if isinstance(done, Rejection):
                self.counters.cancel_failed += 1
                self._respond(ev.CancelFailed(cid, done.reason))
            else:
                self._resting.pop(done.order_id, None)
        else:
            _, _, quantity, price = action
            amended = self.model.amend(cid, quantity, price)
            if isinstance(amended, Rejection):
                self.counters.amend_failed += 1
                self._respond(ev.AmendFailed(cid, amended.reason, quantity=quantity, price=price))
            else:
                self._cross(amended)
        self._flush()

    def _cross(self, o: ModelOrder) -> None:
        """A market order, or a limit crossing the last price, fills on arrival."""
        last = self.model.prices.get(self.inst.symbol)
        if last is None or not o.is_open:
            return
        if o.price is not None and (o.price < last if o.side == "buy" else o.price > last):
            return
        t = self.model.fill(o.order_id, price=last, fee_rate=self.fee_rate)
        if isinstance(t, Trade):
            self.counters.instant_fills += 1
            self._record(t)
        if o.is_open and o.price is None:
            self.model.expire(o.order_id)  # an unfunded market order: IOC, the rest expires
        if not o.is_open:
            self._resting.pop(o.order_id, None)

    def _match(self, tick: Tick) -> None:
        """Resting orders the price touches or crosses fill at their limit, best price first."""
        p = tick.price
        left = {"buy": tick.qty, "sell": tick.qty}
        crossing = [
            o
            for o in self._resting.values()
            if o.price is not None and (o.price >= p if o.side == "buy" else o.price <= p)
        ]
        # Best price first within a side: the highest bid, the lowest ask.
        crossing.sort(key=lambda o: -(o.price or ZERO) if o.side == "buy" else (o.price or ZERO))
        for o in crossing:
            cap = left[o.side]
            q = o.remaining if cap is None else min(o.remaining, cap)
            if q <= 0:
                continue
            t = self.model.fill(o.order_id, quantity=q, fee_rate=self.fee_rate)
            if isinstance(t, Trade):
                self._record(t)
                if cap is not None:
                    left[o.side] = cap - t.quantity
            if not o.is_open:
                self._resting.pop(o.order_id, None)

    def _record(self, t: Trade) -> None:
        self._fills.append(
            Fill(
                self.now,
                t.client_order_id,
                t.trade_id,
                t.side,
                t.quantity,
                t.price,
                t.fee,
                t.fee_asset,
            )
        )
        self._sample()

    def _rest_at_venue(self, request: Request) -> None:
        answer: list[ev.Event] = []
        if isinstance(request, ResyncAccount):
            self.counters.resyncs += 1
            answer.append(self.model.snapshot())
        elif isinstance(request, QueryOrder):
            self.counters.queries += 1
            found = self.model.query_order(request.client_order_id, request.order_id)
            answer.append(found)
            if isinstance(found, ev.OrderReported):
                o = self.model.orders[found.order_id]
                answer.extend(self.model.trade_by_id[tid].report() for tid in o.trade_ids)
        half = self.latency.rest.sample(self._rng["rest"]) // 2
        self._push(self.now + half, _REST_ANSWER, answer)

    def _sample(self) -> None:
        inst = self.inst
        e = self.tracker.exposure(inst.base)
        high, low = self._true_range()
        self._samples.append(
            Sample(
                self.now,
                self._last_price,
                self.model.balance(inst.base).total,
                self.model.balance(inst.quote).total,
                e.low,
                e.expected,
                e.high,
                high,
                low,
            )
        )

    # --- the run ------------------------------------------------------------------------

    def run(self) -> Result:
        """Replay the whole path, then let in-flight messages land; returns the ``Result``."""
        began = time.perf_counter()
        symbol = self.inst.symbol
        model, feed, feed_rng = self.model, self.latency.feed, self._rng["feed"]
        prices = model.prices
        counters = self.counters
        every, progress = self.sample_every, self.progress
        heap = self._heap
        first: Decimal | None = None
        feed_tail = 0
        for tick in self.prices:
            if first is None:
                first = tick.price
                self.now = tick.ts
                prices[symbol] = tick.price
                self._last_price = tick.price
                self.tracker.apply(model.snapshot())
                self.ctx.now, self.ctx.price = tick.ts, tick.price
                self.strategy.on_start(self.ctx)
                self._sample()
            if heap and heap[0][0] <= tick.ts:
                self._until(tick.ts)
            self.now = tick.ts
            prices[symbol] = self._last_price = tick.price
            if self._resting:
                self._match(tick)
                self._flush()
            feed_tail = max(tick.ts + feed.sample(feed_rng), feed_tail)
            self._n += 1
            heapq.heappush(heap, (feed_tail, self._n, _FEED, tick.price))
            counters.steps += 1
            if counters.steps % every == 0:
                self._sample()
                if progress is not None:
                    progress(counters.steps)
        if first is None:
            raise ValueError("backtest: the price path is empty")
        self._until(self.now + DRAIN_US)
        self._sample()
        final = {a: model.balance(a).total for a in model.assets}
        return Result(
            seed=self.seed,
            instrument=self.inst,
            fills=tuple(self._fills),
            samples=tuple(self._samples),
            sent=tuple(self._sent),
            counters=counters,
            network=self.channel.counts,
            first_price=first,
            last_price=self._last_price,
            start=self.start,
            final=final,
            wall_seconds=time.perf_counter() - began,
        )
