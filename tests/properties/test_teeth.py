"""The suite has teeth: it must catch the naive tracker's double buy and every injected core bug.

Each mutant is a monkeypatch of one core seam (never an edit of ``core/``), live only for
its test. The same state machines as ``test_chaos.py`` then run checking only the property
the mutant is said to break, and Hypothesis must find a failing program whose failure names
that property (a bug caught by some other check by accident does not count). Generation
only (no shrinking, no example database), so a mutant costs a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import core.position as position_module
from core import Instrument
from core import events as ev
from core.inventory import Inventory, book, changes, exposure, intents, state, sync, timeline
from core.ledger import AssetLedger
from core.position import PositionBook
from models.naive import NaiveTracker
from tests.properties.chaos_harness import Tracker
from tests.properties.chaos_machines import ChaosMachine, DerivativeChaos, SpotChaos

TEETH = settings(
    max_examples=2000,
    stateful_step_count=60,
    phases=[Phase.generate],
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)

# Typed loosely: hypothesis annotates this function in some releases and not in others.
_run_machine: Any = run_state_machine_as_test
Patch = Callable[[pytest.MonkeyPatch], None]


class NaiveSpot(SpotChaos):
    """The spot world against the naive tracker, checking only the bot's double buy."""

    CHECKS = frozenset({"double_buy"})

    def make_tracker(self, instruments: Iterable[Instrument]) -> Tracker:
        return NaiveTracker(instruments)


def caught(machine: type[ChaosMachine], prop: str) -> str:
    """Run the machine checking only ``prop``; return the failure's first line, which must
    name ``prop`` (so a bug is credited to the property that truly sees it)."""
    key = prop.split("_", 1)[0] if prop[0] == "p" and prop[1].isdigit() else prop
    only = type(f"{machine.__name__}_{key}", (machine,), {"CHECKS": frozenset({key})})
    with pytest.raises(AssertionError) as info:
        _run_machine(only, settings=TEETH)
    message = str(info.value).splitlines()[0]
    assert message.startswith(f"{prop}:"), f"expected {prop} to fail, got: {message}"
    return message


def test_naive_tracker_double_buys() -> None:
    print(caught(NaiveSpot, "double_buy"))


# --- mutants -----------------------------------------------------------------------------


class _Forgetful(dict[str, Any]):
    """A fills dict that never finds a trade id: no dedup by trade id."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


def no_trade_id_dedup(mp: pytest.MonkeyPatch) -> None:
    original = book.new_order

    def new_order(st: Any, ii: int, side: str) -> Any:
        o = original(st, ii, side)
        o.fills = _Forgetful()
        return o

    mp.setattr(book, "new_order", new_order)


def stale_balance_accepted(mp: pytest.MonkeyPatch) -> None:
    original = AssetLedger.report

    def report(self: AssetLedger, total: Any, free: Any, version: int, trade_ids: Any) -> Any:
        self.version = min(self.version, version)  # an older report now overwrites the newer one
        return original(self, total, free, version, trade_ids)

    mp.setattr(AssetLedger, "report", report)


def stale_position_accepted(mp: pytest.MonkeyPatch) -> None:
    original = PositionBook.report

    def report(self: PositionBook, quantity: Any, entry: Any, version: int, trade_ids: Any) -> Any:
        self.version = min(self.version, version)
        return original(self, quantity, entry, version, trade_ids)

    mp.setattr(PositionBook, "report", report)


def status_regression_allowed(mp: pytest.MonkeyPatch) -> None:
    original = book.order_event

    def order_event(st: Any, o: Any, event: str, version: int | None = None) -> None:
        if event == "accepted" and o.state in ("partially_filled", "filled", "canceled", "expired"):
            o.state = "open"  # a late "new" report moves the order back
            return
        original(st, o, event, version)

    mp.setattr(book, "order_event", order_event)


def in_flight_not_in_exposure(mp: pytest.MonkeyPatch) -> None:
    original = exposure.widening

    def widening(st: Any) -> Iterator[Any]:
        return (o for o in original(st) if o.state != "pending_new")

    mp.setattr(exposure, "widening", widening)


def coverage_off_by_one(mp: pytest.MonkeyPatch) -> None:
    original_add = AssetLedger.add

    def covers(self: AssetLedger, version: int, trade_id: str | None) -> bool:
        return version < self.version or (trade_id is not None and trade_id in self.trade_ids)

    def add(self: AssetLedger, key: object, version: int, *rest: Any) -> bool:
        if version != self.version:
            return original_add(self, key, version, *rest)
        saved = self.version
        self.version = version - 1  # `<` for `<=`: a change at the report's version is "new"
        try:
            return original_add(self, key, version, *rest)
        finally:
            self.version = saved

    mp.setattr(AssetLedger, "covers", covers)
    mp.setattr(AssetLedger, "add", add)


def cancel_keeps_lock(mp: pytest.MonkeyPatch) -> None:
    original = book.ended

    def ended(st: Any, o: Any, version: int | None) -> None:
        if o.state != "canceled":
            original(st, o, version)
            return
        unit, o.lock_unit = o.lock_unit, None  # skip the release of the remaining reserve
        try:
            original(st, o, version)
        finally:
            o.lock_unit = unit

    mp.setattr(book, "ended", ended)


def cash_dedup_off(mp: pytest.MonkeyPatch) -> None:
    original = sync.on_cash
    counter = iter(range(1 << 30))

    def on_cash(st: Any, c: ev.CashChanged) -> None:
        original(
            st,
            ev.CashChanged(
                c.asset, c.total_delta, c.free_delta, c.version, c.reason, f"dup{next(counter)}"
            ),
        )

    mp.setattr(sync, "on_cash", on_cash)


def conditional_not_in_exposure(mp: pytest.MonkeyPatch) -> None:
    original = exposure.widening

    def widening(st: Any) -> Iterator[Any]:
        return (o for o in original(st) if not o.conditional)

    mp.setattr(exposure, "widening", widening)


def trade_id_coverage_ignored(mp: pytest.MonkeyPatch) -> None:
    original = AssetLedger.report

    def report(self: AssetLedger, total: Any, free: Any, version: int, trade_ids: Any) -> Any:
        return original(self, total, free, version, None)  # OKX trades[] not read

    mp.setattr(AssetLedger, "report", report)


def cid_reuse_collides(mp: pytest.MonkeyPatch) -> None:
    original = intents.on_submitted

    def on_submitted(st: Any, s: ev.OrderSubmitted) -> None:
        prior = st.by_cid.get(s.client_order_id)
        original(st, s)
        if prior is not None and prior.order_id is not None:
            # the reused id's new intent inherits the old order's exchange id
            st.by_xid[(prior.ii, prior.order_id)] = st.by_cid[s.client_order_id]

    mp.setattr(intents, "on_submitted", on_submitted)


def _patch_step(mp: pytest.MonkeyPatch, step: Callable[..., Any]) -> None:
    """Plant a position-arithmetic bug where the core calls it (both modules' bindings)."""
    mp.setattr(position_module, "step", step)


def entry_not_averaged(mp: pytest.MonkeyPatch) -> None:
    original = position_module.step

    def step(qty: Any, entry: Any, dq: Any, price: Any, inverse: bool, cs: Any) -> Any:
        new, new_entry, pnl = original(qty, entry, dq, price, inverse, cs)
        if qty != 0 and (qty > 0) == (dq > 0):
            return new, price, pnl  # adding to a position takes the last fill's price
        return new, new_entry, pnl

    _patch_step(mp, step)


def close_takes_whole_position(mp: pytest.MonkeyPatch) -> None:
    original = position_module.step

    def step(qty: Any, entry: Any, dq: Any, price: Any, inverse: bool, cs: Any) -> Any:
        new, new_entry, pnl = original(qty, entry, dq, price, inverse, cs)
        if qty != 0 and (qty > 0) != (dq > 0) and abs(dq) < abs(qty):
            return new, new_entry, pnl * abs(qty) / abs(dq)  # PnL on all of it, not what closed
        return new, new_entry, pnl

    _patch_step(mp, step)


def fills_never_complete(mp: pytest.MonkeyPatch) -> None:
    original = book.order_event

    def order_event(st: Any, o: Any, event: str, version: int | None = None) -> None:
        if event != "fill":
            original(st, o, event, version)
            return
        quantity, o.quantity = o.quantity, None  # a fill never sees the quantity reached
        try:
            original(st, o, event, version)
        finally:
            o.quantity = quantity

    mp.setattr(book, "order_event", order_event)


def late_report_moves_price(mp: pytest.MonkeyPatch) -> None:
    original = timeline.on_order_reported

    def on_order_reported(st: Any, r: ev.OrderReported) -> None:
        original(st, r)
        o = book.find(st, r.order_id, r.client_order_id)
        if o is not None and o.state not in ("filled", "canceled", "expired", "rejected"):
            o.price = r.price  # whatever the report's age

    mp.setattr(timeline, "on_order_reported", on_order_reported)


def remaining_kept_after_end(mp: pytest.MonkeyPatch) -> None:
    original = exposure.view

    def view(o: Any) -> Any:
        got = original(o)
        if o.quantity is None:
            return got
        return attrs.evolve(got, remaining_quantity=o.quantity - got.filled_quantity)

    mp.setattr(exposure, "view", view)


def idless_cash_by_amount(mp: pytest.MonkeyPatch) -> None:
    def on_cash(st: Any, c: ev.CashChanged) -> None:
        # Without a venue id, deduplicated by asset and amount only (the version forgotten).
        key = ("c", c.change_id) if c.change_id else ("c", c.asset, c.total_delta, c.free_delta)
        changes.ledger(st, c.asset).add(key, c.version, c.total_delta, c.free_delta, None, None)

    mp.setattr(sync, "on_cash", on_cash)


def rebate_charged(mp: pytest.MonkeyPatch) -> None:
    original = Inventory.apply

    def apply(self: Any, event: ev.Event) -> None:
        if isinstance(event, ev.FillReported) and event.fee is not None and event.fee < 0:
            event = attrs.evolve(event, fee=-event.fee)  # an OKX rebate read as a charge
        original(self, event)

    mp.setattr(Inventory, "apply", apply)


def unseen_ignores_known_fills(mp: pytest.MonkeyPatch) -> None:
    original = state._Order.unseen

    def unseen(self: Any) -> Any:
        u = original(self)
        if u is None or self.state in ("filled", "canceled", "expired", "rejected", "triggered"):
            return u
        return u + self.known_filled  # a live order's heard fills widen the range again

    mp.setattr(state._Order, "unseen", unseen)


#: name -> (the planted bug, the world that must catch it, the property that must fail).
MUTANTS: dict[str, tuple[Patch, type[ChaosMachine], str]] = {
    # A fill counted twice soon runs past its order's quantity: the valid copy is refused.
    "no_trade_id_dedup": (no_trade_id_dedup, SpotChaos, "p7_atomic"),
    "stale_balance_accepted": (stale_balance_accepted, SpotChaos, "p4_monotonicity"),
    "stale_position_accepted": (stale_position_accepted, DerivativeChaos, "p4_monotonicity"),
    "status_regression_allowed": (status_regression_allowed, SpotChaos, "p4_monotonicity"),
    "in_flight_not_in_exposure": (in_flight_not_in_exposure, SpotChaos, "p3_bounded_exposure"),
    "coverage_off_by_one": (coverage_off_by_one, SpotChaos, "p1_exactly_once"),
    # Caught while reports lag: the next balance report hides it by quiescence.
    "cancel_keeps_lock": (cancel_keeps_lock, SpotChaos, "p1_exactly_once"),
    "cash_dedup_off": (cash_dedup_off, SpotChaos, "p1_exactly_once"),
    "conditional_not_in_exposure": (
        conditional_not_in_exposure,
        DerivativeChaos,
        "p3_bounded_exposure",
    ),
    "trade_id_coverage_ignored": (trade_id_coverage_ignored, SpotChaos, "p1_exactly_once"),
    # The old order's later messages land on the new one: a valid snapshot is refused.
    "cid_reuse_collides": (cid_reuse_collides, SpotChaos, "p7_atomic"),
    "entry_not_averaged": (entry_not_averaged, DerivativeChaos, "p1_exactly_once"),
    # Seen where a partial close is sent without the venue's PnL (``fill_without_pnl``):
    # the tracker's own figure is then in the wallet P1 checks.
    "close_takes_whole_position": (close_takes_whole_position, DerivativeChaos, "p1_exactly_once"),
    "fills_never_complete": (fills_never_complete, SpotChaos, "p1_exactly_once"),
    "late_report_moves_price": (late_report_moves_price, SpotChaos, "p4_monotonicity"),
    "remaining_kept_after_end": (remaining_kept_after_end, SpotChaos, "p2_convergence"),
    "idless_cash_by_amount": (idless_cash_by_amount, SpotChaos, "p1_exactly_once"),
    "rebate_charged": (rebate_charged, DerivativeChaos, "p1_exactly_once"),
    "unseen_ignores_known_fills": (unseen_ignores_known_fills, SpotChaos, "p8_tight_exposure"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    patch, machine, prop = MUTANTS[name]
    patch(monkeypatch)
    print(f"{name}: {caught(machine, prop)}")
