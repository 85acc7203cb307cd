"""``InventorySuite``: the base state machine a user subclasses to check a strategy or an adapter.

Rules, one per thing that can happen: the bot submits and cancels (or, when you override
``strategy``, your strategy decides), the venue fills (partly, at its limit or better, fees
in the received asset or BNB), cancels, expires, moves its price path (crossing orders
fill) and moves cash; the network delivers any message, delivers stream heads, duplicates,
delays, drops and disconnects (drops and disconnects in lossy worlds only); REST answers
arrive or are lost; the bot answers the Inventory's requests; ``quiesce`` delivers
everything. The properties of ``invsync.testing.properties`` are invariants, checked
after every step; P2 and P8 at quiescence (a rule, and the end of every program).

Plug in (see docs/verification-kit.md):

* a strategy: override ``strategy(inventory, target)``; it sees a read-only Inventory and
  returns ``Place``/``Cancel`` actions. In a strategy world only the strategy trades, cash
  only arrives (deposits of assets other than the target's), and the kit also checks
  ``p3_no_overshoot`` and ``p6_affordable``;
* an adapter: override ``make_adapter()`` to return an ``Adapter`` (``encode`` renders the
  model's events as your venue's payloads, ``parse`` is your parser); a fresh one per
  program.

``class MyCheck(InventorySuite): ...`` then ``TestMyCheck = MyCheck.TestCase`` makes a
unittest/pytest test; its settings come from ``invsync.testing.profiles`` when it runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from invsync.testing import profiles, properties, stats
from invsync.testing.adapter import Adapter, core_events
from invsync.testing.world import (
    SPOT_ACCOUNT,
    Account,
    Cancel,
    Place,
    ReadOnlyInventory,
    Target,
    World,
)
from models.exchange import ExchangeModel, Rejection

D = Decimal
INDEX = st.integers(0, 7)
FRACTIONS = st.sampled_from([D(1), D("0.5"), D("0.25"), D("0.7")])
# Fee rates within the instruments' max_fee_rate (0.001), so exposure can bound them.
FEE_RATES = st.sampled_from([D(0), D("0.0005"), D("0.001")])
OUTCOME = st.sampled_from(["ack", "ack", "ack", "timeout", "lost"])


class _KitSettings:
    """``TestCase.settings`` read when the test runs, so the environment chosen then applies."""

    def __get__(self, obj: object, owner: type | None = None) -> settings:
        return profiles.kit_settings()


def _ready(m: InventorySuite) -> bool:
    return m._world is not None


def _random_bot(m: InventorySuite) -> bool:
    return m._world is not None and not m.strategy_mode


def _strategic(m: InventorySuite) -> bool:
    return m._world is not None and m.strategy_mode


class InventorySuite(RuleBasedStateMachine):
    """The kit's base suite; see the module docstring for how to plug in."""

    ACCOUNT: ClassVar[Account] = SPOT_ACCOUNT
    """The account the world trades (spot instruments, balances, prices, sizes, target)."""
    LOSSY: ClassVar[bool | None] = None
    """Whether the network may drop and disconnect; None lets each program draw it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TestCase.settings = _KitSettings()  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._world: World | None = None
        self.strategy_mode = type(self).strategy is not InventorySuite.strategy
        self.strategy_cids: list[str] = []
        self._started = time.perf_counter()
        self._cpu = time.process_time()
        stats.COUNTS["programs"] += 1

    # --- what a user overrides --------------------------------------------------------------

    def make_adapter(self) -> Adapter:
        """The adapter under test (default: core events as they are). Called once per program."""
        return core_events()

    def strategy(
        self, inventory: ReadOnlyInventory, target: Target
    ) -> Iterable[Place | Cancel] | None:
        """Your strategy: what to place or cancel now, given the Inventory and the target."""
        return None

    # --- the world --------------------------------------------------------------------------

    @property
    def world(self) -> World:
        """The program's world (it starts in the ``start`` rule)."""
        assert self._world is not None, "the world starts in the initialize rule"
        return self._world

    def _symbol(self, i: int) -> str:
        symbols = self.ACCOUNT.symbols
        return symbols[i % len(symbols)]

    def _price(self, symbol: str, offset: int) -> Decimal:
        tick = dict(self.ACCOUNT.ticks)[symbol]
        price = dict(self.ACCOUNT.prices)[symbol] + offset * tick
        return price if price > 0 else tick

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        lossy=st.booleans(),
        echo=st.sampled_from([0.0, 0.5, 1.0]),
    )
    def start(self, seed: int, lossy: bool, echo: float) -> None:
        """One world per program; ``echo`` sends that share of messages twice back to back."""
        if self.LOSSY is not None:
            lossy = self.LOSSY
        self._world = World(self.ACCOUNT, self.make_adapter(), seed=seed, lossy=lossy, echo=echo)

    # --- the bot ------------------------------------------------------------------------------

    @precondition(_random_bot)
    @rule(
        sym=INDEX,
        side=st.sampled_from(["buy", "sell"]),
        qi=INDEX,
        offset=st.integers(-2, 2),
        outcome=OUTCOME,
    )
    def submit(self, sym: int, side: str, qi: int, offset: int, outcome: str) -> None:
        """The kit's own bot sends a limit order (when no strategy is plugged in)."""
        symbol = self._symbol(sym)
        sizes = dict(self.ACCOUNT.quantities)[symbol]
        self.world.submit(
            symbol, side, sizes[qi % len(sizes)], self._price(symbol, offset), outcome
        )

    @precondition(lambda m: _random_bot(m) and bool(m.world.cids))
    @rule(i=INDEX)
    def cancel(self, i: int) -> None:
        """The kit's own bot cancels one of its orders."""
        cids = self.world.cids
        self.world.cancel(cids[-1 - i % len(cids)])

    @precondition(_strategic)
    @rule(offset=st.integers(-2, 2), outcome=OUTCOME)
    def strategy_acts(self, offset: int, outcome: str) -> None:
        """Your strategy looks at the Inventory and places or cancels; then P3 as it sees it."""
        w = self.world
        symbol, asset, level = self.ACCOUNT.target
        quote = next(i.quote for i in self.ACCOUNT.instruments if i.symbol == symbol)
        target = Target(symbol, asset, level, self._price(symbol, offset), quote)
        actions = self.strategy(ReadOnlyInventory(w.inventory), target)
        for action in list(actions or ()):
            if isinstance(action, Place):
                self._place(action, target, outcome)
            elif isinstance(action, Cancel):
                if action.client_order_id not in self.strategy_cids:
                    w.fail(
                        "strategy_contract",
                        f"Cancel({action.client_order_id!r}) names no order the strategy placed",
                    )
                w.cancel(action.client_order_id)
            else:
                w.fail("strategy_contract", f"the strategy returned {action!r}, not Place/Cancel")
        properties.check_no_overshoot(w, symbol, asset, level)

    def _place(self, p: Place, target: Target, outcome: str) -> None:
        w = self.world
        symbol = p.symbol or target.symbol
        if (
            p.side not in ("buy", "sell")
            or symbol not in self.ACCOUNT.symbols
            or not isinstance(p.quantity, Decimal)
            or not isinstance(p.price, Decimal)
            or not p.quantity.is_finite()
            or not p.price.is_finite()
            or p.quantity <= 0
            or p.price <= 0
        ):
            w.fail(
                "strategy_contract",
                f"{p!r}: a Place needs side buy/sell, a symbol of the account and a positive "
                "Decimal quantity and price",
            )
        cid, answer = w.submit(symbol, p.side, p.quantity, p.price, outcome)
        self.strategy_cids.append(cid)
        if isinstance(answer, Rejection):
            properties.check_affordable(w, cid, answer.reason)

    # --- the venue ----------------------------------------------------------------------------

    @precondition(lambda m: _ready(m) and bool(m.world.model.open_orders()))
    @rule(
        i=INDEX,
        fraction=FRACTIONS,
        offset=st.integers(0, 2),
        fee_rate=FEE_RATES,
        fee_in=st.sampled_from(["received", "third"]),
        trades=st.sampled_from([1, 1, 2]),
    )
    def fill(
        self, i: int, fraction: Decimal, offset: int, fee_rate: Decimal, fee_in: str, trades: int
    ) -> None:
        """The venue fills part of an open order, at its limit or a tick or two better; as
        one trade, or two (matched against two resting orders: two trade ids)."""
        opens = self.world.model.open_orders()
        o = opens[i % len(opens)]
        lot = D("0.001")
        q = min(max((o.remaining * fraction).quantize(lot), lot), o.remaining)
        assert o.price is not None
        tick = dict(self.ACCOUNT.ticks)[o.instrument.symbol]
        price = o.price - offset * tick if o.side == "buy" else o.price + offset * tick
        if price <= 0:
            price = o.price
        first = (q / 2).quantize(lot) if trades == 2 and q >= 2 * lot else q
        parts = [first, q - first] if first < q else [q]

        def match(m: ExchangeModel) -> None:
            for part in parts:
                m.fill(o.order_id, part, price, fee_rate=fee_rate, fee_in=fee_in, fast=False)

        self.world.exchange(match)

    @precondition(lambda m: _ready(m) and bool(m.world.model.open_orders()))
    @rule(i=INDEX, expire=st.booleans())
    def venue_ends_order(self, i: int, expire: bool) -> None:
        """The venue cancels or expires an open order on its own."""
        opens = self.world.model.open_orders()
        oid = opens[i % len(opens)].order_id
        self.world.exchange(lambda m: m.expire(oid) if expire else m.cancel(oid))

    @precondition(_ready)
    @rule(sym=INDEX, offset=st.integers(-3, 3))
    def price_path(self, sym: int, offset: int) -> None:
        """The market moves: every open order the new price crosses fills at its limit."""
        symbol = self._symbol(sym)
        price = self._price(symbol, offset)
        self.world.exchange(lambda m: m.set_price(symbol, price, D("0.001")))

    @precondition(_ready)
    @rule(ai=INDEX, amount=st.sampled_from([D(1), D("0.5"), D(3)]), out=st.booleans())
    def cash(self, ai: int, amount: Decimal, out: bool) -> None:
        """A deposit or withdrawal (Binance balanceUpdate: no venue id). A strategy world has
        deposits only, never of the target asset: what it holds moves only by its trades."""
        assets = [a for a, _ in self.ACCOUNT.balances]
        if self.strategy_mode:
            assets = [a for a in assets if a != self.ACCOUNT.target[1]]
            out = False
        if not assets:
            return
        asset = assets[ai % len(assets)]
        self.world.exchange(
            lambda m: (
                m.withdraw(asset, amount, with_id=False)
                if out
                else m.deposit(asset, amount, with_id=False)
            )
        )

    # --- the network --------------------------------------------------------------------------

    @precondition(lambda m: _ready(m) and m.world.net.pending() + m.world.rest.pending() > 0)
    @rule(index=st.integers(0, 63))
    def deliver(self, index: int) -> None:
        """Any message in flight arrives, overtaking older ones."""
        self.world.deliver_any(index)

    @precondition(lambda m: _ready(m) and m.world.net.pending() > 0)
    @rule(n=st.integers(1, 6))
    def deliver_some(self, n: int) -> None:
        """A few messages arrive in their stream's order."""
        self.world.deliver_heads(n)

    @precondition(lambda m: _ready(m) and m.world.net.pending() > 0)
    @rule(s=INDEX, index=INDEX, adjacent=st.booleans())
    def duplicate(self, s: int, index: int, adjacent: bool) -> None:
        """A message will arrive twice: right after itself, or much later (a replay)."""
        net = self.world.net
        busy = net.busy_streams()
        net.duplicate(busy[s % len(busy)], index, adjacent=adjacent)

    @precondition(lambda m: _ready(m) and m.world.net.pending() > 0)
    @rule(s=INDEX, index=INDEX)
    def delay(self, s: int, index: int) -> None:
        """A message falls behind the rest of its stream."""
        net = self.world.net
        busy = net.busy_streams()
        net.delay(busy[s % len(busy)], index)

    @precondition(lambda m: _ready(m) and m.world.lossy and m.world.net.pending() > 0)
    @rule(s=INDEX, index=INDEX)
    def drop(self, s: int, index: int) -> None:
        """A message is lost."""
        net = self.world.net
        busy = net.busy_streams()
        net.drop(busy[s % len(busy)], index)

    @precondition(lambda m: _ready(m) and m.world.lossy and m.world.net.connected)
    @rule()
    def disconnect(self) -> None:
        """Every stream breaks; what is in flight is lost."""
        self.world.disconnect()

    @precondition(lambda m: _ready(m) and not m.world.net.connected)
    @rule()
    def reconnect(self) -> None:
        """The streams are back."""
        self.world.reconnect()

    @precondition(lambda m: _ready(m) and m.world.rest.pending() > 0)
    @rule(index=st.sampled_from([0, 0, 1]), lost=st.sampled_from([False, False, False, True]))
    def rest_answer(self, index: int, lost: bool) -> None:
        """A REST answer arrives, or is lost (a submission then times out)."""
        if lost:
            self.world.lose_rest(index)
        else:
            self.world.deliver_rest(index)

    @precondition(_ready)
    @rule()
    def reconcile(self) -> None:
        """The bot answers what the Inventory asks (snapshot, order queries)."""
        self.world.reconcile()

    @precondition(_ready)
    @rule()
    def quiesce(self) -> None:
        """Everything arrives (after losses, a snapshot first): P2/P5 and P8."""
        self.world.quiesce()
        properties.check_p2(self.world)
        properties.check_p8(self.world)

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def p1_exactly_once(self) -> None:
        """P1 after every step."""
        if self._world is not None:
            self.world.steps += 1
            stats.COUNTS["steps"] += 1
            properties.check_p1(self.world)

    @invariant()
    def p3_bounded_exposure(self) -> None:
        """P3 after every step."""
        if self._world is not None:
            properties.check_p3(self.world)

    @invariant()
    def p4_monotonicity(self) -> None:
        """P4 after every step."""
        if self._world is not None:
            properties.check_p4(self.world)

    @invariant()
    def p6_free_not_overstated(self) -> None:
        """P6 after every step."""
        if self._world is not None:
            properties.check_p6(self.world)

    @invariant()
    def p7_atomic(self) -> None:
        """P7 after every step."""
        if self._world is not None:
            properties.check_p7(self.world)

    def teardown(self) -> None:
        """Every program ends at quiescence with P2/P5 and P8 (unless it already failed)."""
        stats.COUNTS["seconds"] += time.perf_counter() - self._started
        stats.COUNTS["cpu"] += time.process_time() - self._cpu
        w = self._world
        if w is not None and not w.broken:
            w.quiesce()
            properties.check_p2(w)
            properties.check_p8(w)


InventorySuite.TestCase.settings = _KitSettings()  # type: ignore[assignment]
