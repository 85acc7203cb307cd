"""The world the property suites run: exchange model -> chaotic network -> tracker, and the checks.

``Harness`` owns one ``ExchangeModel`` (the truth), a ``ChaoticNetwork`` for the push
streams, a second one for REST answers to the bot's own requests (``rest``), and the
tracker under test (``core.Inventory``, a mutant of it, or ``NaiveTracker``). It logs
what the tracker has been told, and checks the DESIGN §4 properties against the model:

* ``check_p1`` — every delivered fill counts exactly once: each order's filled quantity is
  the max of its distinct delivered fills and its reported cumulative quantity, and an
  order whose fills reach its quantity is ``filled``; each balance total and position is
  the model's value at the newest delivered report plus the delivered changes after it
  (checked while reports lag: a derivative wallet includes the PnL the tracker prices
  itself for fills without the venue's figure, from the fills before them, to the venue's
  rounding; a position's entry price equals the venue's once every fill after the newest
  position report is heard); when nothing order-related is in flight, total and free are
  exact (but for the venue's rounding of each PnL the tracker computed). The model's
  position arithmetic is its own (``models.exchange.VenuePosition``), so these checks
  are an oracle for ``core.position``.
* ``check_p2`` — at quiescence everything equals the model (see ``quiesce``): balances,
  positions, each order's status, filled and remaining quantities, average price, fees.
* ``check_p3`` — truth (less undelivered exogenous changes) lies in the exposure range.
* ``check_p4`` — statuses never regress, filled never decreases, stale reports change nothing
  (checked per step, and per order after every delivered order or fill message: the
  tracker's status sequence of each order only moves forward; a stale order report
  moves neither status, filled or remaining quantity, nor quantity, price or the
  conditional flag).
* ``check_p6`` — local free never above the true free (spot assets).
* ``check_p7`` — a malformed or contradictory event raises ``InventoryError`` and changes nothing.
* ``check_p8`` — tight exposure: no range wider than what the unheard fills of the orders
  the tracker knows can change (``p8_allowance``, reasoned from each order's side, size and
  highest limit price; implied fills a report as new as their order report covers widen
  nothing); an order of unknown quantity is asked for; at quiescence with no live order
  (after losses too, with ``P8_AFTER_LOSSES``), ``low == expected == high``.
* ``decide`` — the bot's double-buy check: buy only if ``exposure(base).high < target``,
  and at that moment the truth plus every open buy must be within ``high``.

Venue styles the model takes on (``okx_reports``, ``free_none``, conditional orders,
amends, client id reuse, partial snapshots) are driven from here too; a tracker with a
small ``history`` (``evicts=True``) forgets retired orders, so checks of an order's own
view skip those it may have forgotten (balances and positions still count every fill).

Every failure names the property and prints the seed (``ChaoticNetwork.describe``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from typing import Any, Final, Protocol, cast

import attrs

from core import events as ev
from core.errors import InventoryError
from core.instrument import Instrument
from core.requests import QueryOrder, Request, ResyncAccount
from core.views import Balance, Exposure, Order, Position
from models.exchange import ExchangeModel, ModelOrder, Rejection, Trade
from models.network import ChaoticNetwork, FaultProfile

D = Decimal
ZERO: Final = D(0)
TERMINAL: Final = frozenset({"filled", "canceled", "rejected", "expired", "triggered"})
#: P8 at quiescence after losses too: once a snapshot has been taken after the last loss,
#: no range may stay open (``test_found_bugs`` bug 22 was the core failing this).
P8_AFTER_LOSSES: Final = "p8_after_losses"
ALL_CHECKS: Final = frozenset(
    {"p1", "p2", "p3", "p4", "p6", "p7", "p8", P8_AFTER_LOSSES, "double_buy"}
)
INF: Final = D("Infinity")


class Tracker(Protocol):
    """What the suites ask of a tracker: ``core.Inventory`` and ``NaiveTracker`` both fit."""

    def apply(self, event: ev.Event) -> None: ...

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
    ) -> None: ...

    def cancel(self, client_order_id: str) -> None: ...

    def amend(
        self,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        *,
        order_id: str | None = None,
    ) -> None: ...

    def balance(self, asset: str) -> Balance: ...

    def position(self, symbol: str) -> Position: ...

    def order(self, key: str) -> Order | None: ...

    def open_orders(self) -> list[Order]: ...

    def exposure(self, name: str) -> Exposure: ...

    def requests(self) -> list[Request]: ...

    def take_requests(self) -> list[Request]: ...

    @property
    def sync_state(self) -> str: ...


TrackerFactory = Callable[[Iterable[Instrument]], Tracker]


@attrs.frozen
class Account:
    """A test account: its instruments, opening balances, prices and the bot's choices."""

    name: str
    instruments: tuple[Instrument, ...]
    balances: tuple[tuple[str, Decimal], ...]
    prices: tuple[tuple[str, Decimal], ...]
    ticks: tuple[tuple[str, Decimal], ...]
    quantities: tuple[tuple[str, tuple[Decimal, ...]], ...]
    target: tuple[str, str, Decimal]
    """(symbol the bot buys, name it watches in ``exposure``, target level)."""

    def instrument(self, symbol: str) -> Instrument:
        return next(i for i in self.instruments if i.symbol == symbol)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(i.symbol for i in self.instruments)


FEE = D("0.001")
SPOT = Account(
    name="spot",
    instruments=(
        Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=FEE),
        Instrument("ETHBTC", "spot", "ETH", "BTC", max_fee_rate=FEE),
    ),
    balances=(("USDT", D(10000)), ("BTC", D(10)), ("ETH", D(50)), ("BNB", D(1))),
    prices=(("BTCUSDT", D(100)), ("ETHBTC", D("0.05"))),
    ticks=(("BTCUSDT", D(1)), ("ETHBTC", D("0.001"))),
    quantities=(
        ("BTCUSDT", (D("0.1"), D("0.5"), D(1), D(2), D(150))),
        ("ETHBTC", (D(1), D(5), D(10), D(400))),
    ),
    target=("BTCUSDT", "BTC", D(12)),
)
DERIVATIVES = Account(
    name="derivatives",
    instruments=(
        Instrument("BTC-USDT-SWAP", "linear", "BTC", "USDT", contract_size=D("0.01")),
        Instrument("BTCUSD_PERP", "inverse", "BTC", "USD", contract_size=D(100)),
    ),
    balances=(("USDT", D(100000)), ("BTC", D(100)), ("BNB", D(1))),
    prices=(("BTC-USDT-SWAP", D(100)), ("BTCUSD_PERP", D(100))),
    ticks=(("BTC-USDT-SWAP", D(1)), ("BTCUSD_PERP", D("0.5"))),
    quantities=(
        ("BTC-USDT-SWAP", (D(1), D(5), D(10), D(30))),
        ("BTCUSD_PERP", (D(1), D(3), D(10))),
    ),
    target=("BTC-USDT-SWAP", "BTC-USDT-SWAP", D(20)),
)


#: What a PnL the tracker computes (28 digits) may differ from the venue's figure, rounded
#: to ``ExchangeModel``'s 10 decimals: half a unit of the last place, and a little more.
PNL_SLACK: Final = D("1e-10")


def close(got: Decimal, want: Decimal) -> bool:
    """Equal up to the 28th significant digit's rounding over a replay of fills."""
    return abs(got - want) <= abs(want) * D("1e-24")


def _moved(before: object, after: object) -> bool:
    """Whether an older report moved an order's terms (``_terms``). Filling in a quantity
    or price the tracker did not know yet (an order known from fills only) is not a move;
    the remaining quantity follows the quantity then."""
    if before is None or after is None or not isinstance(before, tuple):
        return before != after
    assert isinstance(after, tuple)
    status, filled, remaining, quantity, price, conditional = before
    learned_quantity = quantity is None and after[3] is not None
    return (
        after[0] != status
        or after[1] != filled
        or (after[2] != remaining and not learned_quantity)
        or (after[3] != quantity and not learned_quantity)
        or (after[4] != price and price is not None)
        or after[5] != conditional
    )


def _rank_error(prev: tuple[str, Decimal], now: tuple[str, Decimal]) -> str | None:
    ps, pf = prev
    ns, nf = now
    if nf < pf:
        return f"filled quantity went down {pf} -> {nf}"
    if ps in TERMINAL and ns != ps:
        return f"terminal status {ps} changed to {ns}"
    if ps == "partially_filled" and ns in ("open", "pending_new"):
        return f"status regressed {ps} -> {ns}"
    if ps != "pending_new" and ns == "pending_new":
        return f"status regressed {ps} -> {ns}"
    return None


class Harness:
    """Model, networks, tracker, delivery log and property checks; see the module docstring."""

    def __init__(
        self,
        account: Account,
        tracker_factory: TrackerFactory,
        *,
        seed: int = 0,
        sequenced: bool = False,
        fast_fills: float = 0.0,
        profile: FaultProfile | None = None,
        checks: frozenset[str] = ALL_CHECKS,
        okx_reports: float = 0.0,
        free_none: float = 0.0,
        evicts: bool = False,
    ) -> None:
        self.account = account
        self.seed = seed
        self.checks = checks
        self.evicts = evicts
        self.model = ExchangeModel(
            account.instruments,
            dict(account.balances),
            prices=dict(account.prices),
            seed=seed,
            fast_fills=fast_fills,
            okx_reports=okx_reports,
            free_none=free_none,
        )
        self.net = ChaoticNetwork(seed=seed, sequenced=sequenced, profile=profile or FaultProfile())
        self.rest = ChaoticNetwork(("rest",), seed=seed + 1)
        self.tracker = tracker_factory(account.instruments)
        self.broken = False
        self.steps = 0
        self.n_orders = 0
        self.cids: list[str] = []
        self.local_only: set[str] = set()
        self.sync_rejected: set[str] = set()
        self.acked: set[str] = set()
        self.timed_out: set[str] = set()
        self.cancel_requested: set[str] = set()
        self.fills_seen: dict[str, bool] = {}
        # Trades whose venue PnL figure the tracker has had (a copy with ``realized_pnl``).
        self.pnl_heard: set[str] = set()
        self.fills_by_order: dict[str, dict[str, Decimal]] = {}
        self.cumulative: dict[str, Decimal] = {}
        self.balance_version: dict[str, int] = {}
        self.position_version: dict[str, int] = {}
        self.cash_seen: set[int] = set()
        self.snapshot_version = -1
        self.lost_version = -1
        self._lost_index = 0
        self.seen_orders: dict[str, tuple[str, Decimal]] = {}
        # Client id reuse (OKX): the model order id of each id's latest use (None: the
        # venue never got it), and how often each id was used (P4 tracks each use apart).
        self.cid_order: dict[str, str | None] = {}
        # The largest size an amended order ever had or was asked to have: until every
        # answer is heard, the tracker may take a fill up to it as valid.
        self.asked: dict[str, Decimal] = {}
        self.cid_gen: dict[str, int] = {}
        # The highest limit price each amended order ever had or was asked to have: P8's
        # price bound (an unheard fill may predate an amend; the core does not narrow the
        # bound once a newer order report rules that out, see test_found_bugs).
        self.asked_price: dict[str, Decimal] = {}
        # Coverage by trade id of the newest delivered balance / position report.
        self.balance_ids: dict[str, frozenset[str]] = {}
        self.position_ids: dict[str, frozenset[str]] = {}
        # Every position report the tracker took (newer than the one before): (version,
        # whether it names trade ids), in delivery order.
        self.position_reports: dict[str, list[tuple[int, bool]]] = {}
        # Orders whose live (non-conditional) report the tracker has had.
        self.live_heard: set[str] = set()
        # Per order id: newest delivered report version, and the tracker's last view.
        self.order_version: dict[str, int] = {}
        self.status_seq: dict[str, tuple[str, Decimal]] = {}
        # A partial snapshot was given for a resync: a complete one is still owed.
        self.resync_owed = False
        self.delivered = 0
        self.deliver(self.model.snapshot())

    # --- plumbing ---------------------------------------------------------------------

    def describe(self) -> str:
        """The seed and settings that replay this run."""
        return f"seed={self.seed} account={self.account.name} {self.net.describe()}"

    def fail(self, prop: str, message: str) -> None:
        """Raise an AssertionError naming the property and the seed."""
        self.broken = True
        raise AssertionError(f"{prop}: {message}\n  [{self.describe()}]")

    def _pump(self) -> None:
        self.net.send_all(self.model.take_emitted())

    def _note_lost(self) -> None:
        lost = self.net.lost
        while self._lost_index < len(lost):
            v = getattr(lost[self._lost_index].event, "version", -1)
            self.lost_version = max(self.lost_version, v)
            self._lost_index += 1

    def bounded(self) -> bool:
        """Nothing was lost that a delivered snapshot does not cover (P3 and P6 apply)."""
        self._note_lost()
        return self.lost_version <= self.snapshot_version

    def _record(self, e: ev.Event) -> None:
        if isinstance(e, ev.FillReported):
            self.fills_seen[e.trade_id] = (
                self.fills_seen.get(e.trade_id, False) or e.fee is not None
            )
            self.fills_by_order.setdefault(e.order_id, {})[e.trade_id] = e.quantity
            if e.realized_pnl is not None:
                self.pnl_heard.add(e.trade_id)
        elif isinstance(e, ev.OrderReported):
            if e.filled_quantity > self.cumulative.get(e.order_id, ZERO):
                self.cumulative[e.order_id] = e.filled_quantity
            else:
                self.cumulative.setdefault(e.order_id, ZERO)
            if not e.conditional:
                self.live_heard.add(e.order_id)
            if e.version > self.order_version.get(e.order_id, -1):
                self.order_version[e.order_id] = e.version
        elif isinstance(e, ev.BalanceReported):
            if e.version > self.balance_version.get(e.asset, -1):
                self.balance_version[e.asset] = e.version
                self.balance_ids[e.asset] = e.trade_ids or frozenset()
        elif isinstance(e, ev.PositionReported):
            if e.version > self.position_version.get(e.symbol, -1):
                self.position_version[e.symbol] = e.version
                self.position_ids[e.symbol] = e.trade_ids or frozenset()
                self.position_reports.setdefault(e.symbol, []).append(
                    (e.version, bool(e.trade_ids))
                )
        elif isinstance(e, ev.CashChanged):
            self.cash_seen.add(e.version)
        elif isinstance(e, ev.SnapshotTaken):
            parts: tuple[ev.Event, ...] = (*e.balances, *e.positions, *e.open_orders, *e.trades)
            for part in parts:
                self._record(part)
            if e.balances_complete and e.positions_complete and e.orders_complete:
                self.snapshot_version = max(self.snapshot_version, e.version)

    def deliver(self, e: ev.Event) -> None:
        """Hand one event to the tracker, log it, and check P4's stale-report rule."""
        if (
            self.evicts
            and isinstance(e, ev.CancelFailed | ev.SubmissionFailed | ev.SubmissionTimedOut)
            and self.tracker.order(e.client_order_id) is None
        ):
            return  # bug 12 (test_found_bugs): it would raise; the bot drops it meanwhile
        stale: Callable[[], object] | None = None
        if "p4" in self.checks:
            if isinstance(e, ev.BalanceReported) and e.version < self.balance_version.get(
                e.asset, -1
            ):
                asset = e.asset
                stale = lambda: self.tracker.balance(asset)  # noqa: E731
            elif isinstance(e, ev.PositionReported) and e.version < self.position_version.get(
                e.symbol, -1
            ):
                symbol = e.symbol
                stale = lambda: self.tracker.position(symbol)  # noqa: E731
            elif isinstance(e, ev.OrderReported) and e.version < self.order_version.get(
                e.order_id, -1
            ):
                oid = e.order_id
                stale = lambda: self._terms(oid)  # noqa: E731
        before = stale() if stale is not None else None
        try:
            self.tracker.apply(e)
        except Exception as exc:
            self.broken = True
            raise AssertionError(
                f"p7_atomic: a valid event was rejected: {e!r}: {type(exc).__name__}: {exc}"
                f"\n  [{self.describe()}]"
            ) from exc
        self.delivered += 1
        if stale is not None and before is not None and _moved(before, stale()):
            self.fail("p4_monotonicity", f"stale report {e!r} changed {before} -> {stale()}")
        if "p4" in self.checks and isinstance(e, ev.OrderReported | ev.FillReported):
            self._check_status_sequence(e.order_id)
        self._record(e)

    def _terms(self, order_id: str) -> tuple[object, ...] | None:
        """What an older order report must never move: status, filled and remaining
        quantities, and the order's terms (quantity, price, the conditional flag)."""
        view = self.tracker.order(order_id)
        if view is None:
            return None
        return (
            view.status,
            view.filled_quantity,
            view.remaining_quantity,
            view.quantity,
            view.price,
            view.conditional,
        )

    def _status(self, order_id: str) -> tuple[str, Decimal] | None:
        view = self.tracker.order(order_id)
        return None if view is None else (view.status, view.filled_quantity)

    def _check_status_sequence(self, order_id: str) -> None:
        """P4 per delivery: the tracker's (status, filled) of this order only moves forward."""
        now = self._status(order_id)
        if now is None:
            return
        prev = self.status_seq.get(order_id)
        if prev is not None and prev != now:
            err = _rank_error(prev, now)
            if err is not None:
                self.fail("p4_monotonicity", f"order {order_id} after a delivery: {err}")
        self.status_seq[order_id] = now

    def deliver_all(self, events: Iterable[ev.Event]) -> None:
        for e in events:
            self.deliver(e)

    # --- bot actions --------------------------------------------------------------------

    def submit(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        *,
        post_only: bool = False,
        outcome: str = "ack",
        trigger: Decimal | None = None,
        style: str = "same",
        reuse: str | None = None,
    ) -> str:
        """The bot sends an order: local intent now, the venue gets it (unless ``lost``).

        ``outcome``: ``ack`` (the REST answer reports the order), ``timeout`` (the venue has
        it, the answer times out) or ``lost`` (the venue never got it; the answer times out).
        ``trigger`` makes it a conditional order of the given ``style`` (see
        ``ExchangeModel.submit_conditional``); ``reuse`` sends it under a client id whose
        order has ended (``reusable_ids``).
        """
        if reuse is not None:
            cid = reuse
            for sets in (
                self.local_only,
                self.sync_rejected,
                self.acked,
                self.timed_out,
                self.cancel_requested,
            ):
                sets.discard(cid)
        else:
            self.n_orders += 1
            cid = f"c{self.n_orders}"
            self.cids.append(cid)
        self.cid_gen[cid] = self.cid_gen.get(cid, 0) + 1
        self.cid_order[cid] = None
        self.tracker.submit(cid, symbol, side, quantity, price, conditional=trigger is not None)
        note = f"submit:{cid}"
        if outcome in ("lost", "timeout"):
            self.timed_out.add(cid)
        if outcome == "lost":
            self.local_only.add(cid)
            self.rest.send("rest", ev.SubmissionTimedOut(cid, "no answer"), note)
            return cid
        if trigger is not None:
            r = self.model.submit_conditional(
                cid, symbol, side, quantity, price, trigger, style=style
            )
        else:
            r = self.model.submit(cid, symbol, side, quantity, price, post_only=post_only)
        self._pump()
        if isinstance(r, ModelOrder):
            self.cid_order[cid] = r.order_id
        if isinstance(r, Rejection):
            self.sync_rejected.add(cid)
            self.rest.send("rest", ev.SubmissionFailed(cid, r.reason), note)
        elif outcome == "timeout":
            self.rest.send("rest", ev.SubmissionTimedOut(cid, "timeout"), note)
        else:
            self.rest.send("rest", r.report(), note)
        return cid

    def reusable_ids(self) -> list[str]:
        """Client ids the bot may use again (OKX): their order ended, nothing about it pending.

        Ended for the tracker and the venue alike, and no REST answer about it in flight (a
        bot waits for its own answers before it reuses an id).
        """
        busy = {env.note.split(":", 1)[1] for env in self.rest.queues["rest"]}
        out: list[str] = []
        for cid in self.cids:
            view = self.tracker.order(cid)
            oid = self.cid_order.get(cid)
            mo = self.model.orders.get(oid) if oid is not None else None
            if (
                cid not in busy
                and view is not None
                and view.status in TERMINAL
                and (mo is None or not mo.is_open)
            ):
                out.append(cid)
        return out

    def announcer(self, order_id: str) -> tuple[str | None, str | None] | None:
        """How the bot names this order to the tracker for an amend: (client id, order id).

        By client id where the bot gave one (and it still names this order), else by the
        exchange id; None where the tracker's view cannot take an amend.
        """
        mo = self.model.orders.get(order_id)
        if mo is None:
            return None
        cid = mo.client_order_id
        ids: tuple[str | None, str | None]
        if cid is not None and self.cid_order.get(cid) == order_id:
            view, ids = self.tracker.order(cid), (cid, None)
        else:
            view, ids = self.tracker.order(order_id), (None, order_id)
        if (
            view is None
            or view.status in TERMINAL
            or view.order_id not in (None, order_id)
            or view.quantity is None
            or view.price is None
        ):
            return None
        return ids

    def amend(self, order_id: str, quantity: Decimal | None, price: Decimal | None) -> None:
        """The bot amends a live order; the REST answer is the amended order (or a refusal).

        Where the tracker can take it, the bot tells it first (an amend raising a reserve
        must count before the venue reports it, P6).
        """
        ids = self.announcer(order_id)
        if ids is not None:
            self.tracker.amend(ids[0], quantity=quantity, price=price, order_id=ids[1])
            mo = self.model.orders[order_id]
            self.asked[order_id] = max(
                self.asked.get(order_id, ZERO), mo.quantity, quantity or ZERO
            )
        before = self.model.orders[order_id].price
        for p in (before, price):
            if p is not None:
                self.asked_price[order_id] = max(self.asked_price.get(order_id, p), p)
        r = self.model.amend(order_id, quantity, price)
        self._pump()
        if isinstance(r, ModelOrder):
            self.rest.send("rest", r.report(), f"amend:{r.client_order_id or r.order_id}")
        elif ids is not None:
            failed = ev.AmendFailed(
                ids[0], r.reason, order_id=ids[1], quantity=quantity, price=price
            )
            self.rest.send("rest", failed, f"amend:{ids[0] or ids[1]}")

    def cancel(self, cid: str) -> None:
        """The bot asks to cancel; the REST answer is the canceled order or a refusal."""
        if self.evicts and self.tracker.order(cid) is None:
            return  # the tracker forgot this ended order: a bot does not cancel it
        self.cancel_requested.add(cid)
        self.tracker.cancel(cid)
        r = self.model.cancel(cid)
        self._pump()
        if isinstance(r, Rejection):
            self.rest.send("rest", ev.CancelFailed(cid, r.reason), f"cancel:{cid}")
        else:
            self.rest.send("rest", r.report(), f"cancel:{cid}")

    def truth(self, name: str) -> Decimal:
        """The true asset total or position, less what no bound can foresee (DESIGN P3).

        Left out: cash changes and liquidations the tracker has not heard of (neither their
        message nor a report covering them).
        """
        if name in self.account.symbols:
            v = self.position_version.get(name, -1)
            ids = self.position_ids.get(name, frozenset())
            q = self.model.position(name).quantity
            for t in self.model.trades:
                if (
                    t.liquidation
                    and t.instrument.symbol == name
                    and t.version > v
                    and t.trade_id not in ids
                    and t.trade_id not in self.fills_seen
                ):
                    q -= t.signed_quantity
            return q
        v = self.balance_version.get(name, -1)
        total = self.model.balance(name).total
        for c in self.model.cash:
            if c.asset == name and c.version > v and c.version not in self.cash_seen:
                total -= c.total_delta
        return total + self._fee_allowance(name, v)

    def _fee_allowance(self, asset: str, v: int) -> Decimal:
        """Rebates in ``asset`` after report ``v`` not heard of yet (left out of the truth).

        ``max_fee_rate`` bounds what fees may charge, not what rebates may credit.
        """
        out = ZERO
        ids = self.balance_ids.get(asset, frozenset())
        for t in self.model.trades:
            if (
                t.fee < 0
                and t.fee_asset == asset
                and t.version > v
                and t.trade_id not in ids
                and not self.fills_seen.get(t.trade_id)
            ):
                out += t.fee
        return out

    def true_free(self, asset: str, market_buys: bool = False) -> Decimal:
        """The true free balance, less cash changes the tracker has not heard of.

        With ``market_buys``, also less the spend of market-buy fills not heard of: a market
        buy reserves nothing (its spend is unknown until it fills), so P6 cannot cover it;
        and less the reserve (and the spend of unheard fills) of conditional orders that
        triggered after the newest report and are not heard of live: they reserve nothing
        until the venue reports them live (DESIGN Edge rules), so P6 cannot cover them.
        """
        v = self.balance_version.get(asset, -1)
        free = self.model.balance(asset).free
        for c in self.model.cash:
            if c.asset == asset and c.version > v and c.version not in self.cash_seen:
                free -= c.free_delta
        if market_buys:
            free += self._fee_allowance(asset, v)
            ids = self.balance_ids.get(asset, frozenset())
            unheard: set[str] = set()  # triggered after report v, never heard of live
            for o in self.model.orders.values():
                if (
                    o.trigger_version is not None
                    and o.trigger_version > v
                    and o.order_id not in self.live_heard
                    and o.instrument.kind == "spot"
                    and o.reserve_asset == asset
                ):
                    unheard.add(o.order_id)
                    free += o.reserved
            for t in self.model.trades:
                if (
                    t.order_id in unheard
                    and t.version > v
                    and t.trade_id not in ids
                    and t.trade_id not in self.fills_seen
                ):
                    free -= min(dict(t.moves)[asset], ZERO)  # what it took from the reserve
                    continue
                if (
                    t.version > v
                    and t.trade_id not in ids
                    and t.trade_id not in self.fills_seen
                    and t.side == "buy"
                ):
                    mo = self.model.orders[t.order_id]
                    if mo.order_type == "market" and t.instrument.quote == asset:
                        free -= dict(t.moves)[asset]
        return free

    def decide(self, price: Decimal | None, target: Decimal | None = None) -> str | None:
        """The bot's rule: buy up to the target only if ``exposure.high`` is below it."""
        symbol, name, level = self.account.target
        if target is not None:
            level = target
        exp = self.tracker.exposure(name)
        if exp.high >= level:
            return None
        if "double_buy" in self.checks and self.bounded():
            inst = self.account.instrument(symbol)
            open_buys = sum(
                (
                    o.remaining
                    for o in self.model.orders.values()
                    if o.is_open
                    and o.instrument == inst
                    and o.side == "buy"
                    and (o.client_order_id in self.cid_order or o.parent_id is not None)
                ),
                ZERO,
            )
            have = self.truth(name)
            if have + open_buys > exp.high:
                self.fail(
                    "double_buy",
                    f"the tracker says {name} can rise to at most {exp.high} (< target {level}) "
                    f"but truly holds {have} with {open_buys} more on open buys: buying "
                    f"{level - exp.high} now overshoots the target",
                )
        return self.submit(symbol, "buy", level - exp.high, price)

    # --- exchange actions ---------------------------------------------------------------

    def exchange(self, action: Callable[[ExchangeModel], object]) -> object:
        """Run a model action and put what it emitted in flight."""
        out = action(self.model)
        self._pump()
        return out

    # --- network ------------------------------------------------------------------------

    def deliver_rest(self, index: int) -> None:
        """The next (or any) REST answer reaches the bot."""
        if self.rest.pending("rest"):
            env = self.rest.take_at("rest", index)
            self.deliver(env.event)
            if env.note.startswith("submit:") and isinstance(env.event, ev.OrderReported):
                self.acked.add(env.note.split(":", 1)[1])

    def drop_rest(self, index: int) -> None:
        """A REST answer is lost: for a submission, the bot sees a timeout instead."""
        if not self.rest.pending("rest"):
            return
        env = self.rest.queues["rest"][index % self.rest.pending()]
        self.rest.take_at("rest", index)
        if env.note.startswith("submit:"):
            cid = env.note.split(":", 1)[1]
            self.timed_out.add(cid)
            self.deliver(ev.SubmissionTimedOut(cid, "answer lost"))

    def disconnect(self) -> None:
        self.deliver_all(self.net.disconnect())

    def reconnect(self) -> None:
        if not self.net.connected:
            self.deliver_all(self.net.reconnect())

    def partial_snapshot(self, part: str) -> ev.SnapshotTaken:
        """A snapshot with one part incomplete: ``orders`` (one symbol's open orders, as
        Binance ``openOrders?symbol=``) or ``balances`` (one instrument's assets and
        position)."""
        full = self.model.snapshot()
        first = self.account.instruments[0]
        if part == "orders":
            return attrs.evolve(
                full,
                open_orders=tuple(o for o in full.open_orders if o.symbol == first.symbol),
                orders_complete=False,
            )
        mine = {first.settle} if first.is_derivative else {first.base, first.quote}
        return attrs.evolve(
            full,
            balances=tuple(b for b in full.balances if b.asset in mine),
            positions=tuple(p for p in full.positions if p.symbol == first.symbol),
            balances_complete=False,
            positions_complete=False,
        )

    def resync(self, partial: str = "none") -> None:
        """Answer a resync: a snapshot, then (the edge's algo-order query) the venue's word on
        every conditional order the tracker holds open. A ``partial`` one leaves a complete
        snapshot owed (the next resync, or ``quiesce``, gives it)."""
        if partial != "none" and not self.resync_owed:
            self.resync_owed = True
            self.deliver(self.partial_snapshot(partial))
            return
        self.resync_owed = False
        self.deliver(self.model.snapshot())
        for view in self.tracker.open_orders():
            if view.conditional:
                self.deliver(self.model.query_order(view.client_order_id, view.order_id))

    def reconcile(self, rounds: int = 5, partial: str = "none") -> None:
        """Answer the tracker's requests from the model (REST snapshot, order queries)."""
        if self.resync_owed:
            self.resync()
        for _ in range(rounds):
            reqs = self.tracker.take_requests()
            if not reqs:
                return
            for r in reqs:
                if isinstance(r, ResyncAccount):
                    self.resync(partial)
                elif isinstance(r, QueryOrder):
                    self.deliver(self.model.query_order(r.client_order_id, r.order_id))

    def quiesce(self) -> None:
        """Deliver everything; after losses, a snapshot first; then answer every request."""
        self.reconnect()
        for _ in range(10):
            if not self.bounded() or self.resync_owed:
                # P5: a snapshot first, then everything still in flight, older or newer.
                self.resync()
            while self.rest.pending():
                self.deliver_rest(0)
            self.deliver_all(self.net.drain())
            self.reconcile()
            if not self.net.pending() and not self.rest.pending() and not self.tracker.requests():
                return
        self.fail("p2_convergence", f"no quiescence: still asking {self.tracker.requests()}")

    # --- properties ---------------------------------------------------------------------

    def order_keys(self) -> list[str]:
        """Keys of every order the tracker may know: bot ids (their latest use) and the
        exchange order ids of every other order (exchange-made, triggered, an id's earlier
        uses)."""
        keys = list(self.cids)
        for o in self.model.orders.values():
            if self._key(o.order_id) == o.order_id:
                keys.append(o.order_id)
        return keys

    def _key(self, order_id: str) -> str:
        """How the tracker finds a venue order: the bot's client id while it names this very
        order, else the exchange order id."""
        o = self.model.orders.get(order_id)
        if o is None or o.client_order_id is None:
            return order_id
        cid = o.client_order_id
        return cid if self.cid_order.get(cid) == order_id else order_id

    def _view_key(self, view: Order) -> str:
        cid = view.client_order_id
        if (
            cid is not None
            and cid in self.cid_order
            and (view.order_id is None or self.cid_order[cid] in (None, view.order_id))
        ):
            return cid
        return view.order_id or cid or "?"

    def _forgettable(self, order_id: str) -> bool:
        """An order the tracker may not know: retired from a small history, or (after
        losses) an exchange-made order that ended unfilled with every message lost."""
        mo = self.model.orders.get(order_id)
        if mo is None or mo.is_open:
            return False
        if self.evicts:
            return True
        return bool(self.net.lost) and not mo.filled and mo.client_order_id is None

    def check_p1(self) -> None:
        """Exactly once: filled quantities, balance totals and positions from what was delivered."""
        prop = "p1_exactly_once"
        for oid in set(self.fills_by_order) | set(self.cumulative):
            fills = self.fills_by_order.get(oid, {})
            expected = max(sum(fills.values(), ZERO), self.cumulative.get(oid, ZERO))
            # By exchange id: a fill copy without the client id (Bybit execution.fast) is
            # counted on the venue order before anything links it to the bot's intent.
            key = self._key(oid)
            view = self.tracker.order(oid) or self.tracker.order(key)
            if view is None:
                if self.evicts and self._forgettable(oid):
                    continue
                self.fail(prop, f"order {key} ({oid}) was reported but is unknown to the tracker")
                return
            if view.filled_quantity != expected:
                self.fail(
                    prop,
                    f"order {key}: filled {view.filled_quantity}, but its delivered fills "
                    f"{dict(fills)} and reported cumulative {self.cumulative.get(oid)} "
                    f"give {expected}",
                )
            if (
                view.quantity is not None
                and view.filled_quantity >= view.quantity
                and view.status != "filled"
                and not self._amend_pending(view)
            ):
                # DESIGN §2 Edge rules: whatever reports are missing or stale.
                self.fail(
                    prop,
                    f"order {key}: its known fills reach its quantity {view.quantity} but it "
                    f"is {view.status}, not filled",
                )
        trades = [t for t in self.model.trades if t.trade_id in self.fills_seen]
        for asset in self.model.assets:
            v = self.balance_version.get(asset, -1)
            ids = self.balance_ids.get(asset, frozenset())
            expected_total = self.model.balance_at(asset, v).total
            for tid in ids:  # an OKX-style report includes these fills, whatever their versions
                tr = self.model.trade_by_id[tid]
                if tr.version > v:
                    expected_total += dict(tr.moves).get(asset, ZERO)
                    expected_total -= tr.fee if tr.fee_asset == asset else ZERO
            skip = False
            computed = 0  # fills whose PnL the tracker computes itself (no venue figure yet)
            for t in trades:
                if t.version <= v or t.trade_id in ids:
                    continue
                moves = dict(t.moves)
                full = self.fills_seen[t.trade_id]
                if asset in moves:
                    if t.instrument.is_derivative and t.trade_id not in self.pnl_heard:
                        if self._priced_from_known_fills(t):
                            computed += 1
                        else:
                            skip = True  # DESIGN leaves its PnL open until the venue's figure
                    expected_total += moves[asset]
                if full and t.fee_asset == asset:
                    expected_total -= t.fee
            for c in self.model.cash:
                if c.asset == asset and c.version > v and c.version in self.cash_seen:
                    expected_total += c.total_delta
            got = self.tracker.balance(asset)
            # A computed PnL is exact to 28 digits, the venue's figure to PNL_PLACES decimals.
            slack = computed * PNL_SLACK
            if not skip and abs(got.total - expected_total) > slack:
                self.fail(
                    prop,
                    f"{asset} total {got.total}, expected {expected_total} (report v{v} plus the "
                    f"delivered changes after it; {computed} fills priced by the tracker)",
                )
        for symbol in self.account.symbols:
            if not self.account.instrument(symbol).is_derivative:
                continue
            v = self.position_version.get(symbol, -1)
            ids = self.position_ids.get(symbol, frozenset())
            q = self.model.position_at(symbol, v).quantity
            for tid in ids:
                tr = self.model.trade_by_id[tid]
                if tr.version > v:
                    q += tr.signed_quantity
            for t in trades:
                if t.instrument.symbol == symbol and t.version > v and t.trade_id not in ids:
                    q += t.signed_quantity
            pos = self.tracker.position(symbol)
            if pos.quantity != q:
                self.fail(
                    prop, f"{symbol} position {pos.quantity}, expected {q} (report v{v} + fills)"
                )
            if all(
                t.trade_id in self.fills_seen
                for t in self.model.trades
                if t.instrument.symbol == symbol and t.version > v and t.trade_id not in ids
            ):
                # Every fill after the newest report heard: the tracker's replay of them from
                # that report is the venue's position now, entry price included.
                want = self.model.position(symbol)
                if not close(pos.entry_price, want.entry_price):
                    self.fail(
                        prop,
                        f"{symbol} entry price {pos.entry_price}, but the venue's is "
                        f"{want.entry_price} (report v{v} plus every fill after it heard)",
                    )
        self._check_settled_exact()

    def _priced_from_known_fills(self, t: Trade) -> bool:
        """Whether the tracker can price this fill's PnL from what it heard (DESIGN §2).

        The fill is past the newest delivered position report, and every fill of its
        symbol between that report and it has been heard: the tracker knows the position
        the fill closed against. Or a newer position report covers it, and every fill of
        the symbol between the report the tracker took before the fill and that newer one
        has been heard: the position before the fill follows from either side (reports
        naming trade ids aside).
        """
        symbol = t.instrument.symbol
        v = self.position_version.get(symbol, -1)
        ids = self.position_ids.get(symbol, frozenset())
        if t.version <= v or t.trade_id in ids:
            taken = self.position_reports.get(symbol, [])
            if any(named for _, named in taken):
                return False
            before = [rv for rv, _ in taken if rv < t.version]
            if not before:
                return False
            return all(
                u.trade_id in self.fills_seen
                for u in self.model.trades
                if u.instrument.symbol == symbol and before[-1] < u.version <= v
            )
        return all(
            u.trade_id in self.fills_seen
            for u in self.model.trades
            if u.instrument.symbol == symbol and v < u.version < t.version and u.trade_id not in ids
        )

    def _computed_pnl_slack(self, asset: str, v: int) -> Decimal | None:
        """How far the tracker's ``asset`` may be from the venue's after balance report
        ``v``: the venue's rounding of each heard fill's PnL it sent no figure for, which
        the tracker computes exactly; None if one of them cannot be priced from what was
        heard (``_priced_from_known_fills``)."""
        ids = self.balance_ids.get(asset, frozenset())
        slack = ZERO
        for t in self.model.trades:
            if (
                t.instrument.is_derivative
                and t.instrument.settle == asset
                and t.version > v
                and t.trade_id not in ids
                and t.trade_id in self.fills_seen
                and t.trade_id not in self.pnl_heard
            ):
                if not self._priced_from_known_fills(t):
                    return None
                slack += PNL_SLACK
        return slack

    def _check_settled_exact(self) -> None:
        """With no order/fill message or REST answer in flight, total and free are exact
        (to the venue's rounding of each PnL the tracker computes, ``_computed_pnl_slack``)."""
        if self.net.pending("orders") or self.net.pending("fills") or self.rest.pending():
            return
        if not self.bounded() or self.tracker.requests():
            return  # the tracker knows it is in doubt and asked the venue
        for cid in self.local_only | self.sync_rejected:
            view = self.tracker.order(cid)
            if view is None or view.status != "rejected":
                return
        for asset in self.model.assets:
            got = self.tracker.balance(asset)
            want_total, want_free = self.truth(asset), self.true_free(asset)
            v = self.balance_version.get(asset, -1)
            if any(av > v and a == asset for av, a in self.model.amends):
                # An amend's version is known only as a window between two order reports;
                # its release is dated at the window's start (never overstating free)
                # until a balance report as new as the amend is delivered.
                want_free = got.free if got.free <= want_free else want_free
            slack = self._computed_pnl_slack(asset, v)
            if slack is None:
                continue  # a PnL the tracker cannot price yet (DESIGN §2): see check_p1
            if abs(got.total - want_total) > slack or abs(got.free - want_free) > slack:
                self.fail(
                    "p1_exactly_once",
                    f"{asset}: every order and fill message delivered, tracker total/free "
                    f"{got.total}/{got.free} but truth {want_total}/{want_free}",
                )

    def check_p3(self) -> None:
        """Bounded exposure: truth within [low, high] for traded spot assets and positions."""
        if not self.bounded():
            return
        names: list[str] = []
        for inst in self.account.instruments:
            names.extend([inst.symbol] if inst.is_derivative else [inst.base, inst.quote])
        for name in dict.fromkeys(names):
            exp = self.tracker.exposure(name)
            truth = self.truth(name)
            if not exp.low <= truth <= exp.high:
                self.fail(
                    "p3_bounded_exposure",
                    f"{name}: truth {truth} outside the exposure range [{exp.low}, {exp.high}] "
                    f"(expected {exp.expected})",
                )

    def check_p4(self) -> None:
        """Monotonicity of every order the tracker knows."""
        for key in self.order_keys():
            view = self.tracker.order(key)
            if view is None:
                continue
            now = (view.status, view.filled_quantity)
            use = f"{key}#{self.cid_gen[key]}" if key in self.cid_gen else key
            prev = self.seen_orders.get(use)
            if prev is not None:
                err = _rank_error(prev, now)
                if err is not None:
                    self.fail("p4_monotonicity", f"order {key}: {err}")
            self.seen_orders[use] = now

    def _amend_pending(self, view: Order) -> bool:
        """Whether the bot's amend of this order awaits its REST answer (the tracker may hold
        the size it asked for until the venue's refusal is heard)."""
        names = {f"amend:{view.client_order_id}", f"amend:{view.order_id}"}
        return any(env.note in names for env in self.rest.queues["rest"])

    def check_p6(self) -> None:
        """Local free never above the true free, for every traded spot asset."""
        if not self.bounded():
            return
        for inst in self.account.instruments:
            if inst.is_derivative:
                continue
            for asset in (inst.base, inst.quote):
                local = self.tracker.balance(asset).free
                true = self.true_free(asset, market_buys=True)
                if local > true:
                    self.fail(
                        "p6_free_not_overstated",
                        f"{asset}: local free {local} above the true free {true}",
                    )

    def fingerprint(self) -> tuple[object, ...]:
        """Everything observable about the tracker (P7 compares it before and after)."""
        t = self.tracker
        stats = getattr(t, "stats", None)
        return (
            tuple(t.balance(a) for a in self.model.assets),
            tuple(
                t.position(s)
                for s in self.account.symbols
                if self.account.instrument(s).is_derivative
            ),
            tuple(t.order(k) for k in self.order_keys()),
            tuple(sorted(repr(o) for o in t.open_orders())),
            tuple(t.exposure(n) for n in (*self.model.assets, *self.account.symbols)),
            t.sync_state,
            tuple(t.requests()),
            stats() if callable(stats) else None,
        )

    def bad_events(self) -> list[tuple[str, Callable[[], object]]]:
        """Malformed or contradictory inputs, each a thunk that must raise InventoryError."""
        t = self.tracker
        inst = self.account.instruments[0]
        out: list[tuple[str, Callable[[], object]]] = [
            ("not an event", lambda: t.apply(cast(Any, "executionReport"))),
            (
                "unknown instrument",
                lambda: t.apply(
                    ev.FillReported("NOPE", "X0", None, "T0", "buy", D(1), D(1), None, None, 1)
                ),
            ),
            (
                "float quantity",
                lambda: ev.FillReported(
                    inst.symbol, "X0", None, "T0", "buy", cast(Any, 1.5), D(1), None, None, 1
                ),
            ),
            ("cancel of an unknown order", lambda: t.cancel("never-submitted")),
            ("amend of an unknown order", lambda: t.amend("never-submitted", price=D(1))),
        ]
        live = [
            (o, self.tracker.order(o.client_order_id or o.order_id))
            for o in self.model.open_orders()
        ]
        for mo, view in live:
            if view is None or view.status in TERMINAL or view.order_id is None:
                continue
            flip = "sell" if mo.side == "buy" else "buy"
            contradiction = ev.OrderReported(
                mo.instrument.symbol,
                mo.order_id,
                mo.client_order_id,
                flip,
                "new",
                mo.quantity,
                mo.price or D(1),
                ZERO,
                None,
                self.model.version + 5,
                kind=mo.instrument.kind,
                order_type=mo.order_type,
            )
            out.append(("order report with the other side", partial(t.apply, contradiction)))
            over = ev.FillReported(
                mo.instrument.symbol,
                mo.order_id,
                mo.client_order_id,
                "T-over",
                mo.side,
                # An amend may be unheard, or refused with the refusal not yet heard.
                max(mo.quantity, view.quantity or mo.quantity, self.asked.get(mo.order_id, ZERO))
                + 1,
                mo.price or D(1),
                None,
                None,
                self.model.version + 5,
                kind=mo.instrument.kind,
            )
            if view.quantity is not None:  # known from fills only: no quantity to exceed
                out.append(("fill above the order quantity", partial(t.apply, over)))
            snap = ev.SnapshotTaken(
                version=self.model.version + 5,
                balances=(ev.BalanceReported("ZZZ", D(7), D(7), self.model.version + 5),),
                open_orders=(contradiction,),
                balances_complete=False,
                positions_complete=False,
                orders_complete=False,
            )
            out.append(("snapshot with a contradictory order", partial(t.apply, snap)))
            for tid in mo.trade_ids:
                if self.fills_seen.get(tid):
                    tr = self.model.trade_by_id[tid]
                    dup = attrs.evolve(tr.report(), quantity=tr.quantity + 1)
                    out.append(("same trade id, other quantity", partial(t.apply, dup)))
                    break
            if mo.client_order_id is not None:
                cid = mo.client_order_id
                reuse = partial(
                    t.submit, cid, mo.instrument.symbol, mo.side, D(1), mo.price or D(1)
                )
                out.append(("submit reusing a live id", reuse))
            break
        return out

    def check_p7(self) -> None:
        """Feed one malformed or contradictory input: InventoryError, and nothing changed."""
        bad = self.bad_events()
        what, thunk = bad[self.steps % len(bad)]
        before = self.fingerprint()
        try:
            thunk()
        except InventoryError:
            pass
        else:
            self.fail("p7_atomic", f"{what} was accepted without an error")
        after = self.fingerprint()
        if after != before:
            self.fail("p7_atomic", f"{what} raised but changed the tracker:\n{before}\n{after}")

    def check_p2(self) -> None:
        """Convergence: after ``quiesce``, every balance, position and order equals the model."""
        prop = "p2_convergence"
        t = self.tracker
        for asset in self.model.assets:
            if t.balance(asset) != self.model.balance(asset):
                self.fail(
                    prop,
                    f"{asset}: tracker {t.balance(asset)} != model {self.model.balance(asset)}",
                )
        for inst in self.account.instruments:
            if inst.is_derivative:
                got, want = t.position(inst.symbol), self.model.position(inst.symbol)
                if got != want:
                    self.fail(prop, f"{inst.symbol}: tracker {got} != model {want}")
        model_open: set[str] = set()
        for mo in self.model.orders.values():
            key = self._key(mo.order_id)
            if mo.is_open:
                model_open.add(key)
            self._compare_order(prop, key, mo)
        for cid in self.cids:
            if self.cid_order.get(cid) is None:
                view = t.order(cid)
                if view is None and self.evicts:
                    continue  # rejected, retired and forgotten
                if view is None or view.status != "rejected":
                    self.fail(prop, f"order {cid} never reached the venue, tracker says {view}")
        tracker_open = {self._view_key(o) for o in t.open_orders()}
        if tracker_open != model_open:
            self.fail(
                prop, f"open orders: tracker {sorted(tracker_open)} != model {sorted(model_open)}"
            )
        if t.sync_state != "synced":
            self.fail(prop, f"sync state {t.sync_state} at quiescence")

    def _compare_order(self, prop: str, key: str, mo: ModelOrder) -> None:
        view = self.tracker.order(key)
        if view is None:
            if self._forgettable(mo.order_id):
                return
            self.fail(prop, f"order {key} unknown to the tracker")
            return
        status = "open" if mo.status == "new" else mo.status
        fees = tuple(sorted((a, f) for a, f in mo.fees.items() if f))
        # Fees that net to zero (a charge and a rebate) may or may not be listed.
        got_fees = tuple((a, f) for a, f in view.fees if f)
        got: tuple[object, ...] = (
            view.status,
            view.filled_quantity,
            view.remaining_quantity,
            view.average_price,
            got_fees,
        )
        want: tuple[object, ...] = (status, mo.filled, mo.remaining, mo.average_price, fees)
        if mo.is_open:
            # An open order's terms (amends, a trigger). A retired one keeps the terms it had
            # when it retired: later reports of it are dropped as duplicates.
            got = (*got, view.quantity, view.price, view.conditional)
            want = (*want, mo.quantity, mo.price, mo.conditional)
        if got != want:
            self.fail(
                prop,
                f"order {key}: tracker (status, filled, remaining, avg, fees) {got} != model "
                f"{want}",
            )

    def _known_fills(self, order_id: str | None) -> Decimal:
        return sum(self.fills_by_order.get(order_id or "", {}).values(), ZERO)

    def _model_id(self, view: Order) -> str:
        """The venue's id of the order a tracker view shows (an in-flight one has none yet)."""
        if view.order_id is not None:
            return view.order_id
        cid = view.client_order_id
        return (self.cid_order.get(cid) if cid is not None else None) or ""

    def _unheard(self, view: Order) -> list[tuple[Decimal | None, str]]:
        """What of this order may still fill unheard: (quantity or None if unbounded, why).

        A live order: its size (the largest the bot asked, amends in flight) less its fills
        heard. An ended one: fills a cumulative quantity implies but no message brought
        (``p8_allowance`` drops them per asset once a report covers them). A triggered
        conditional order: its size, until the order it triggered carries it.
        """
        oid = self._model_id(view)
        known = self._known_fills(oid)
        size = view.quantity
        if size is not None:
            size = max(size, self.asked.get(oid, ZERO))
        if view.status not in TERMINAL:
            return [(None if size is None else max(size, view.filled_quantity) - known, "live")]
        if view.status == "triggered":
            return [(size, "triggered")]
        implied = view.filled_quantity - known
        return [(implied, "implied")] if implied > 0 else []

    def _implied_covered(self, view: Order, name: str) -> bool:
        """Whether a report of ``name`` at least as new as the order's newest report is in."""
        v = self.order_version.get(self._model_id(view), INF)
        got = self.position_version if name in self.account.symbols else self.balance_version
        return got.get(name, -1) >= v

    def p8_views(self) -> list[Order]:
        """The tracker's views of every order that may still fill unheard: its open orders,
        ended ones whose reported cumulative is ahead of their heard fills, and triggered
        conditional orders."""
        views = [*self.tracker.open_orders()]
        seen = {(v.client_order_id, v.order_id) for v in views}
        ids = {oid for oid, cum in self.cumulative.items() if cum > self._known_fills(oid)}
        ids.update(o.order_id for o in self.model.orders.values() if o.status == "triggered")
        for oid in sorted(ids):
            view = self.tracker.order(oid) or self.tracker.order(self._key(oid))
            mo = self.model.orders.get(oid)
            if view is None and self.evicts and mo is not None and mo.status == "triggered":
                # Retired from a small history, yet the order it triggered may be unheard:
                # the tracker still counts it (DESIGN Edge rules), so the bound does too.
                view = Order(
                    symbol=mo.instrument.symbol,
                    kind=mo.instrument.kind,
                    side=mo.side,
                    status="triggered",
                    quantity=mo.quantity,
                    price=mo.price,
                    filled_quantity=ZERO,
                    remaining_quantity=ZERO,
                    average_price=None,
                    fees=(),
                    client_order_id=mo.client_order_id,
                    order_id=oid,
                    conditional=True,
                )
            if view is not None and (view.client_order_id, view.order_id) not in seen:
                views.append(view)
                seen.add((view.client_order_id, view.order_id))
        return views

    def p8_allowance(self, name: str, views: list[Order] | None = None) -> Decimal:
        """The widest an exposure range may be (DESIGN P8): what the unheard fills of the
        orders the tracker knows (``p8_views``) can move ``name``, reasoned from each
        order's side, size and highest limit price (a sell's proceeds, a market buy's
        spend: unbounded)."""
        out = ZERO
        for view in self.p8_views() if views is None else views:
            inst = next(i for i in self.account.instruments if i.symbol == view.symbol)
            if name not in (inst.symbol, inst.base, inst.quote) or (
                inst.is_derivative and name != inst.symbol
            ):
                continue
            for u, why in self._unheard(view):
                if u is not None and u <= 0:
                    continue
                if why == "implied" and self._implied_covered(view, name):
                    continue
                if u is None:
                    return INF
                rate = inst.max_fee_rate
                if inst.is_derivative or name == inst.base:
                    out += u * (1 + rate)
                elif view.side == "sell":
                    return INF  # a limit sell may fill at any better price
                else:
                    oid = self._model_id(view)
                    prices = [view.price, self.asked_price.get(oid)]
                    mo = self.model.orders.get(oid)
                    if mo is not None:
                        prices.append(mo.price)
                    top = max((p for p in prices if p is not None), default=None)
                    if top is None:
                        return INF  # a market buy's spend
                    out += u * top * (1 + rate)
        # Room for the fee of a spot fill heard only from its fee-less copy.
        for t in self.model.trades:
            inst = t.instrument
            if (
                inst.kind == "spot"
                and name in (inst.base, inst.quote)
                and t.trade_id in self.fills_seen
                and not self.fills_seen[t.trade_id]
            ):
                out += t.quantity * inst.max_fee_rate * (1 if name == inst.base else t.price)
        return out

    def p8_names(self) -> list[str]:
        """Every asset of the account and every derivative position."""
        names = list(self.model.assets)
        names.extend(i.symbol for i in self.account.instruments if i.is_derivative)
        return names

    def check_p8(self) -> None:
        """Tight exposure during a run: no range wider than ``p8_allowance``, and every
        order of unknown quantity asked for."""
        views: list[Order] | None = None
        for name in self.p8_names():
            exp = self.tracker.exposure(name)
            width = exp.high - exp.low
            if not width:
                continue
            if views is None:
                views = self.p8_views()
            allowed = self.p8_allowance(name, views)
            if width > allowed:
                self.fail(
                    "p8_tight_exposure",
                    f"{name}: range [{exp.low}, {exp.high}] (width {width}) wider than what "
                    f"the unheard fills of the known orders can change ({allowed})",
                )
        asking = {
            (r.client_order_id, r.order_id)
            for r in self.tracker.requests()
            if isinstance(r, QueryOrder)
        }
        for view in self.tracker.open_orders():
            if view.quantity is None and (view.client_order_id, view.order_id) not in asking:
                self.fail(
                    "p8_tight_exposure",
                    f"order {view.order_id}: quantity unknown and not asked for (QueryOrder)",
                )

    def check_p8_quiescent(self, after_losses: bool = False) -> None:
        """At quiescence with no live order: ``low == expected == high`` everywhere.

        Where something was lost, only when ``after_losses`` (``P8_AFTER_LOSSES``): the
        snapshot quiescence takes must close every range (``test_found_bugs`` bug 22).
        """
        if self.net.lost and not after_losses:
            return
        if self.tracker.open_orders() or self.model.open_orders():
            return
        if self.model.conditional_orders():
            return
        for name in self.p8_names():
            exp = self.tracker.exposure(name)
            if not exp.low == exp.expected == exp.high:
                self.fail(
                    "p8_tight_exposure",
                    f"{name}: at quiescence with no live order the range is [{exp.low}, "
                    f"{exp.expected}, {exp.high}], not a point",
                )

    def check_step(self) -> None:
        """Every per-step property this harness was asked to check."""
        self.steps += 1
        if "p1" in self.checks:
            self.check_p1()
        if "p3" in self.checks:
            self.check_p3()
        if "p4" in self.checks:
            self.check_p4()
        if "p6" in self.checks:
            self.check_p6()
        if "p7" in self.checks:
            self.check_p7()
        if "p8" in self.checks:
            self.check_p8()


def fill_price(h: Harness, mo: ModelOrder, offset: int) -> Decimal:
    """A fill price ``offset`` ticks better for the order than its limit (or the last price)."""
    tick = dict(h.account.ticks)[mo.instrument.symbol]
    base = mo.price if mo.price is not None else h.model.prices[mo.instrument.symbol]
    p = base - offset * tick if mo.side == "buy" else base + offset * tick
    return p if p > 0 else base


def part(remaining: Decimal, fraction: Decimal) -> Decimal:
    """A share of the remaining quantity, rounded to 0.001 (at least 0.001, at most all)."""
    q = (remaining * fraction).quantize(D("0.001"))
    return min(max(q, D("0.001")), remaining)


def is_trade(x: object) -> bool:
    """Whether a model action produced a trade."""
    return isinstance(x, Trade)
