"""One kit world: the exchange model (truth), a chaotic network, an adapter, an Inventory.

``World`` runs what the suite's rules ask for: the bot submits and cancels (its own rules,
or your strategy's orders), the venue fills, cancels, expires, moves prices and cash,
the network delivers, reorders, duplicates, delays, drops and disconnects. Everything the
model emits is rendered by the adapter before it travels, and parsed by it on arrival,
so the Inventory sees exactly what your venue code would hand it.

The world also keeps the oracle's books (never the Inventory's own state): which model
events the Inventory has heard of (a delivered message's ``carries``), the newest heard
balance report per asset, heard cash changes, what the network lost and whether a
delivered snapshot covers it. ``invsync.testing.properties`` states P1-P8 on these books.
Every failure names the property and the world's seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Final, NoReturn, cast

import attrs

from core import Instrument, Inventory
from core import events as ev
from core.errors import InventoryError, ParseError
from core.requests import QueryOrder, ResyncAccount
from core.views import Balance, Exposure, Order, Position
from invsync.testing.adapter import Adapter, Message
from models.exchange import ExchangeModel, ModelOrder, Rejection
from models.network import ChaoticNetwork, FaultProfile

D = Decimal
ZERO: Final = D(0)
TERMINAL: Final = frozenset({"filled", "canceled", "rejected", "expired"})
OUTCOMES: Final = ("ack", "timeout", "lost")


class PropertyFailed(AssertionError):
    """A kit property does not hold; ``prop`` names it (``p1_exactly_once``, ...)."""

    def __init__(self, prop: str, message: str, world: str) -> None:
        super().__init__(f"{prop}: {message}\n  [{world}]")
        self.prop = prop


@attrs.frozen
class Account:
    """The account a kit world trades: instruments, opening balances, prices and sizes.

    ``ticks`` is each symbol's price step, ``quantities`` the order sizes the kit's own bot
    picks from, ``target`` what a strategy is asked to hold: (symbol, asset, quantity).
    Spot instruments only (a derivative world is not in the kit yet).
    """

    instruments: tuple[Instrument, ...]
    balances: tuple[tuple[str, Decimal], ...]
    prices: tuple[tuple[str, Decimal], ...]
    ticks: tuple[tuple[str, Decimal], ...]
    quantities: tuple[tuple[str, tuple[Decimal, ...]], ...]
    target: tuple[str, str, Decimal]

    def __attrs_post_init__(self) -> None:
        for inst in self.instruments:
            if inst.kind != "spot":
                raise ValueError(f"Account: {inst.symbol} is {inst.kind}; the kit trades spot only")
        symbols = {i.symbol for i in self.instruments}
        for name, table in (("prices", self.prices), ("ticks", self.ticks)):
            missing = symbols - {s for s, _ in table}
            if missing:
                raise ValueError(f"Account.{name}: no entry for {sorted(missing)}")
        if self.target[0] not in symbols:
            raise ValueError(f"Account.target: {self.target[0]!r} is not an instrument")

    @property
    def symbols(self) -> tuple[str, ...]:
        """The instruments' symbols, in order."""
        return tuple(i.symbol for i in self.instruments)

    def traded_assets(self) -> tuple[str, ...]:
        """Every base and quote asset of the instruments (the ones P3 and P6 bound)."""
        out: dict[str, None] = {}
        for inst in self.instruments:
            out[inst.base] = None
            out[inst.quote] = None
        return tuple(out)


_FEE: Final = D("0.001")
#: The default account: BTC is the base of one instrument and the quote of the other.
SPOT_ACCOUNT: Final = Account(
    instruments=(
        Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=_FEE),
        Instrument("ETHBTC", "spot", "ETH", "BTC", max_fee_rate=_FEE),
    ),
    balances=(("USDT", D(400)), ("BTC", D(2)), ("ETH", D(20)), ("BNB", D(1))),
    prices=(("BTCUSDT", D(100)), ("ETHBTC", D("0.05"))),
    ticks=(("BTCUSDT", D(1)), ("ETHBTC", D("0.001"))),
    quantities=(("BTCUSDT", (D("0.1"), D("0.5"), D(1), D(3))), ("ETHBTC", (D(1), D(5), D(50)))),
    target=("BTCUSDT", "BTC", D(5)),
)


@attrs.frozen
class Target:
    """What the strategy is asked for: hold ``quantity`` of ``asset`` by trading ``symbol``.

    ``price`` is the limit price to quote now (the kit's price path moves around it);
    ``funds`` is the asset a buy spends (the instrument's quote).
    """

    symbol: str
    asset: str
    quantity: Decimal
    price: Decimal
    funds: str


@attrs.frozen
class Place:
    """A strategy's new limit order (the kit gives it a client order id)."""

    side: str
    quantity: Decimal
    price: Decimal
    symbol: str | None = None
    """The target's symbol when None."""


@attrs.frozen
class Cancel:
    """A strategy's cancel of one of its own orders, by client order id."""

    client_order_id: str


class ReadOnlyInventory:
    """The questions a strategy may ask (DESIGN §7), and nothing that changes the Inventory."""

    __slots__ = ("_inv",)

    def __init__(self, inventory: Inventory) -> None:
        self._inv = inventory

    def balance(self, asset: str) -> Balance:
        """``Inventory.balance``."""
        return self._inv.balance(asset)

    def position(self, symbol: str) -> Position:
        """``Inventory.position``."""
        return self._inv.position(symbol)

    def order(self, key: str) -> Order | None:
        """``Inventory.order``."""
        return self._inv.order(key)

    def open_orders(self) -> list[Order]:
        """``Inventory.open_orders``."""
        return self._inv.open_orders()

    def exposure(self, name: str) -> Exposure:
        """``Inventory.exposure``."""
        return self._inv.exposure(name)

    @property
    def sync_state(self) -> str:
        """``Inventory.sync_state``."""
        return self._inv.sync_state


class World:
    """Model, networks, adapter, Inventory and the oracle's books; see the module docstring."""

    def __init__(
        self,
        account: Account,
        adapter: Adapter,
        *,
        seed: int,
        lossy: bool = False,
        echo: float = 0.0,
    ) -> None:
        self.account = account
        self.adapter = adapter
        self.seed = seed
        self.lossy = lossy
        self.rng = random.Random(seed)
        self.model = ExchangeModel(
            account.instruments, dict(account.balances), prices=dict(account.prices), seed=seed
        )
        # Every stream the adapter uses; the network never looks inside what it carries.
        self.net = ChaoticNetwork(adapter.streams, seed=seed, profile=FaultProfile(echo=echo))
        self.rest = ChaoticNetwork(("rest",), seed=seed + 1)
        self.inventory = Inventory(account.instruments)
        self.steps = 0
        self.broken = False
        # --- the oracle's books
        self.heard: set[ev.Event] = set()
        self.trading: list[ev.Event] = []  # every order/fill event the model pushed
        self.heard_fills: dict[str, dict[str, Decimal]] = {}  # model order id -> trade -> qty
        self.heard_cum: dict[str, Decimal] = {}
        self.balance_version: dict[str, int] = {}
        self.snapshot_version = -1
        self.lost_version = -1
        self._lost_index = 0
        self.cids: list[str] = []
        self.cid_order: dict[str, str | None] = {}  # client id -> model order id (None: lost)
        self.seen_status: dict[str, tuple[str, Decimal]] = {}
        self.last_payload: Any = None
        self.deliver(self.model.snapshot())

    # --- plumbing ---------------------------------------------------------------------------

    def describe(self) -> str:
        """What replays this world: its seed, adapter and network."""
        return (
            f"world seed={self.seed} lossy={self.lossy} adapter={self.adapter.name!r} "
            f"{self.net.describe()}"
        )

    def fail(self, prop: str, message: str) -> NoReturn:
        """Raise ``PropertyFailed`` naming the property and the seed."""
        self.broken = True
        raise PropertyFailed(prop, message, self.describe())

    def pump(self) -> None:
        """Render what the model emitted and put it in flight."""
        batch = self.model.take_emitted()
        if not batch:
            return
        messages = self.adapter.encode(batch)
        carried = {e for m in messages for e in m.carries}
        for _, event in batch:
            if event not in carried:
                raise ValueError(
                    f"adapter {self.adapter.name!r}: encode lost {event!r} (no message carries it)"
                )
            if isinstance(event, ev.OrderReported | ev.FillReported):
                self.trading.append(event)
        for m in messages:
            if m.stream not in self.adapter.streams:
                raise ValueError(
                    f"adapter {self.adapter.name!r}: stream {m.stream!r} is not in its streams "
                    f"{self.adapter.streams}"
                )
            # The network is typed for core events; it only stores and hands back.
            self.net.send(m.stream, cast(ev.Event, m))

    def _apply(self, event: ev.Event, origin: str) -> None:
        try:
            self.inventory.apply(event)
        except InventoryError as exc:
            self.fail(
                "p7_atomic",
                f"the Inventory refused {event!r} (from {origin}): {exc}; a valid event is "
                "never refused, so the adapter produced a wrong one",
            )

    def hear(self, event: ev.Event) -> None:
        """Book a model event as heard by the Inventory."""
        self.heard.add(event)
        if isinstance(event, ev.FillReported):
            self.heard_fills.setdefault(event.order_id, {})[event.trade_id] = event.quantity
        elif isinstance(event, ev.OrderReported):
            old = self.heard_cum.get(event.order_id, ZERO)
            self.heard_cum[event.order_id] = max(old, event.filled_quantity)
        elif isinstance(event, ev.BalanceReported):
            v = self.balance_version.get(event.asset, -1)
            self.balance_version[event.asset] = max(v, event.version)
        elif isinstance(event, ev.SnapshotTaken):
            self.snapshot_version = max(self.snapshot_version, event.version)
            parts: tuple[ev.Event, ...] = (*event.balances, *event.open_orders, *event.trades)
            for part in parts:
                self.hear(part)

    def receive(self, message: Message) -> None:
        """A pushed message arrives: parse it with the adapter, apply, book what it carries."""
        self.last_payload = message.payload
        try:
            events = self.adapter.parse(message.payload)
        except ParseError as exc:
            self.fail("p7_atomic", f"the parser refused a message the venue sends: {exc}")
        except Exception as exc:
            self.fail(
                "p7_atomic",
                f"the parser raised {type(exc).__name__}: {exc} on a message the venue sends "
                f"(only ParseError may escape it, and only for a malformed one): "
                f"{message.payload!r:.300}",
            )
        for e in events:
            self._apply(e, f"message {message.payload!r:.300}")
        for e in message.carries:
            self.hear(e)

    def receive_all(self, items: Iterable[ev.Event]) -> None:
        """Deliver what the network handed over: rendered messages, or its own stream events."""
        for item in items:
            if isinstance(item, Message):
                self.receive(item)
            else:
                self._apply(item, "the network")

    def deliver(self, answer: ev.Event) -> None:
        """A REST answer reaches the bot: through the adapter's REST path, then booked."""
        try:
            events = self.adapter.rest(answer)
        except ParseError as exc:
            self.fail("p7_atomic", f"the REST parser refused the venue's answer {answer!r}: {exc}")
        for e in events:
            self._apply(e, f"REST answer {answer!r:.300}")
        self.hear(answer)

    def bounded(self) -> bool:
        """Nothing was lost that a delivered snapshot does not cover (P3 and P6 apply)."""
        lost = self.net.lost
        while self._lost_index < len(lost):
            message = cast(Message, lost[self._lost_index].event)
            for e in message.carries:
                self.lost_version = max(self.lost_version, getattr(e, "version", -1))
            self._lost_index += 1
        return self.lost_version <= self.snapshot_version

    # --- truth --------------------------------------------------------------------------------

    def truth(self, asset: str) -> Decimal:
        """The true total, less cash changes the Inventory cannot have heard of (DESIGN P3)."""
        v = self.balance_version.get(asset, -1)
        total = self.model.balance(asset).total
        for c in self.model.cash:
            if c.asset == asset and c.version > v and c.report() not in self.heard:
                total -= c.total_delta
        return total

    def true_free(self, asset: str) -> Decimal:
        """The true free amount, less cash changes the Inventory cannot have heard of."""
        v = self.balance_version.get(asset, -1)
        free = self.model.balance(asset).free
        for c in self.model.cash:
            if c.asset == asset and c.version > v and c.report() not in self.heard:
                free -= c.free_delta
        return free

    def model_order(self, cid: str) -> ModelOrder | None:
        """The venue's order a client id names (None: the venue never got it)."""
        oid = self.cid_order.get(cid)
        return None if oid is None else self.model.orders[oid]

    # --- the bot ------------------------------------------------------------------------------

    def submit(
        self, symbol: str, side: str, quantity: Decimal, price: Decimal, outcome: str = "ack"
    ) -> tuple[str, ModelOrder | Rejection | None]:
        """The bot sends a limit order: the Inventory hears the intent first, then the venue
        gets it (``lost``: never; ``timeout``: it does, but the answer times out)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        cid = f"k{len(self.cids) + 1}"
        self.cids.append(cid)
        self.cid_order[cid] = None
        try:
            self.inventory.submit(cid, symbol, side, quantity, price)
        except InventoryError as exc:
            self.fail("p7_atomic", f"the Inventory refused the submission {cid}: {exc}")
        note = f"submit:{cid}"
        if outcome == "lost":
            self.rest.send("rest", ev.SubmissionTimedOut(cid, "no answer"), note)
            return cid, None
        r = self.model.submit(cid, symbol, side, quantity, price)
        self.pump()
        if isinstance(r, Rejection):
            self.rest.send("rest", ev.SubmissionFailed(cid, r.reason), note)
            return cid, r
        self.cid_order[cid] = r.order_id
        answer: ev.Event = r.report() if outcome == "ack" else ev.SubmissionTimedOut(cid, "timeout")
        self.rest.send("rest", answer, note)
        return cid, r

    def cancel(self, cid: str) -> None:
        """The bot asks to cancel one of its orders the Inventory holds live."""
        view = self.inventory.order(cid)
        if view is None or view.status in TERMINAL:
            return
        self.inventory.cancel(cid)
        r = self.model.cancel(cid) if self.cid_order.get(cid) is not None else None
        self.pump()
        if r is None or isinstance(r, Rejection):
            reason = "unknown order" if r is None else r.reason
            self.rest.send("rest", ev.CancelFailed(cid, reason), f"cancel:{cid}")
        else:
            self.rest.send("rest", r.report(), f"cancel:{cid}")

    # --- the venue ----------------------------------------------------------------------------

    def exchange(self, action: Callable[[ExchangeModel], object]) -> object:
        """Run one model action (a callable taking the model) and put what it emitted in flight."""
        out = action(self.model)
        self.pump()
        return out

    # --- the network --------------------------------------------------------------------------

    def deliver_any(self, index: int) -> None:
        """Deliver any message in flight, push or REST (reorders within and across streams)."""
        i = index % (self.net.pending() + self.rest.pending())
        for stream in self.net.streams:
            n = self.net.pending(stream)
            if i < n:
                self.receive_all(self.net.deliver_at(stream, i))
                return
            i -= n
        self.deliver_rest(i)

    def deliver_heads(self, n: int) -> None:
        """Deliver up to ``n`` messages, each the oldest of a stream picked at random."""
        for _ in range(n):
            busy = self.net.busy_streams()
            if not busy:
                return
            self.receive_all(self.net.deliver_head(self.net.rng.choice(busy)))

    def deliver_rest(self, index: int) -> None:
        """A REST answer reaches the bot."""
        if self.rest.pending():
            self.deliver(self.rest.take_at("rest", index).event)

    def lose_rest(self, index: int) -> None:
        """A REST answer is lost; for a submission the bot sees a timeout instead."""
        if not self.rest.pending():
            return
        env = self.rest.take_at("rest", index)
        if env.note.startswith("submit:"):
            self.deliver(ev.SubmissionTimedOut(env.note.split(":", 1)[1], "answer lost"))

    def disconnect(self) -> None:
        """Every stream breaks: what is in flight is lost, the Inventory hears it."""
        self.receive_all(self.net.disconnect())

    def reconnect(self) -> None:
        """Every stream is back (what was sent meanwhile stays lost)."""
        if not self.net.connected:
            self.receive_all(self.net.reconnect())

    # --- reconciliation -------------------------------------------------------------------------

    def resync(self) -> None:
        """Answer a resync with a complete snapshot, through the adapter's REST path."""
        self.deliver(self.model.snapshot())

    def reconcile(self, rounds: int = 5) -> None:
        """Answer what the Inventory asks (snapshots, order queries) from the model."""
        for _ in range(rounds):
            requests = self.inventory.take_requests()
            if not requests:
                return
            for r in requests:
                if isinstance(r, ResyncAccount):
                    self.resync()
                elif isinstance(r, QueryOrder):
                    self.deliver(self._query(r))

    def _query(self, r: QueryOrder) -> ev.OrderReported | ev.OrderNotFound:
        """The venue's answer to an order query; the Inventory names orders by the venue's
        ids, which the adapter maps back to the model's."""
        cid = r.client_order_id
        if cid is None and r.order_id is not None:
            view = self.inventory.order(r.order_id)
            cid = None if view is None else view.client_order_id
        oid = None if r.order_id is None else self.adapter.model_order_id(r.order_id)
        return self.model.query_order(client_order_id=cid, order_id=oid)

    def quiesce(self) -> None:
        """Deliver everything (after losses, a snapshot first) and answer every request."""
        self.reconnect()
        for _ in range(10):
            if not self.bounded():
                self.resync()
            while self.rest.pending():
                self.deliver_rest(0)
            self.deliver_heads(self.net.pending())
            self.reconcile()
            if not self.net.pending() and not self.rest.pending() and not self.inventory.requests():
                return
        self.fail("p2_convergence", f"no quiescence: still asking {self.inventory.requests()}")
