"""The suite has teeth: it must catch the naive tracker's double buy and every injected core bug.

Each mutant is a monkeypatch of one core seam (never an edit of ``core/``), live only for
its test. The same state machines as ``test_chaos.py`` then run, and Hypothesis must find
a failing program; the test prints which property caught it. Generation only (no
shrinking, no example database), so a mutant costs about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import core.inventory as inventory_module
from core import Instrument
from core import events as ev
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

Inventory = inventory_module.Inventory
# Typed loosely: hypothesis annotates this function in some releases and not in others.
_run_machine: Any = run_state_machine_as_test
Patch = Callable[[pytest.MonkeyPatch], None]


class NaiveSpot(SpotChaos):
    """The spot world against the naive tracker, checking only the bot's double buy."""

    CHECKS = frozenset({"double_buy"})

    def make_tracker(self, instruments: Iterable[Instrument]) -> Tracker:
        return NaiveTracker(instruments)


def caught(machine: type[ChaosMachine]) -> str:
    """Run the machine; return the first line of the failure it must find."""
    with pytest.raises(AssertionError) as info:
        _run_machine(machine, settings=TEETH)
    return str(info.value).splitlines()[0]


def test_naive_tracker_double_buys() -> None:
    message = caught(NaiveSpot)
    print(message)
    assert message.startswith("double_buy")


# --- mutants -----------------------------------------------------------------------------


class _Forgetful(dict[str, Any]):
    """A fills dict that never finds a trade id: no dedup by trade id."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


def no_trade_id_dedup(mp: pytest.MonkeyPatch) -> None:
    original = Inventory._new_order

    def _new_order(self: Any, ii: int, side: str) -> Any:
        o = original(self, ii, side)
        o.fills = _Forgetful()
        return o

    mp.setattr(Inventory, "_new_order", _new_order)


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
    original = Inventory._order_event

    def _order_event(self: Any, o: Any, event: str, version: int | None = None) -> None:
        if event == "accepted" and o.state in ("partially_filled", "filled", "canceled", "expired"):
            o.state = "open"  # a late "new" report moves the order back
            return
        original(self, o, event, version)

    mp.setattr(Inventory, "_order_event", _order_event)


def in_flight_not_in_exposure(mp: pytest.MonkeyPatch) -> None:
    original = Inventory._widening

    def _widening(self: Any) -> Iterator[Any]:
        return (o for o in original(self) if o.state != "pending_new")

    mp.setattr(Inventory, "_widening", _widening)


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
    original = Inventory._ended

    def _ended(self: Any, o: Any, version: int | None) -> None:
        if o.state != "canceled":
            original(self, o, version)
            return
        unit, o.lock_unit = o.lock_unit, None  # skip the release of the remaining reserve
        try:
            original(self, o, version)
        finally:
            o.lock_unit = unit

    mp.setattr(Inventory, "_ended", _ended)


def cash_dedup_off(mp: pytest.MonkeyPatch) -> None:
    original = Inventory._on_cash
    counter = iter(range(1 << 30))

    def _on_cash(self: Any, c: ev.CashChanged) -> None:
        original(
            self,
            ev.CashChanged(
                c.asset, c.total_delta, c.free_delta, c.version, c.reason, f"dup{next(counter)}"
            ),
        )

    mp.setattr(Inventory, "_on_cash", _on_cash)


def conditional_not_in_exposure(mp: pytest.MonkeyPatch) -> None:
    original = Inventory._widening

    def _widening(self: Any) -> Iterator[Any]:
        return (o for o in original(self) if not o.conditional)

    mp.setattr(Inventory, "_widening", _widening)


def trade_id_coverage_ignored(mp: pytest.MonkeyPatch) -> None:
    original = AssetLedger.report

    def report(self: AssetLedger, total: Any, free: Any, version: int, trade_ids: Any) -> Any:
        return original(self, total, free, version, None)  # OKX trades[] not read

    mp.setattr(AssetLedger, "report", report)


def cid_reuse_collides(mp: pytest.MonkeyPatch) -> None:
    original = Inventory._on_submitted

    def _on_submitted(self: Any, s: ev.OrderSubmitted) -> None:
        prior = self._by_cid.get(s.client_order_id)
        original(self, s)
        if prior is not None and prior.order_id is not None:
            # the reused id's new intent inherits the old order's exchange id
            self._by_xid[(prior.ii, prior.order_id)] = self._by_cid[s.client_order_id]

    mp.setattr(Inventory, "_on_submitted", _on_submitted)


MUTANTS: dict[str, tuple[Patch, type[ChaosMachine]]] = {
    "no_trade_id_dedup": (no_trade_id_dedup, SpotChaos),
    "stale_balance_accepted": (stale_balance_accepted, SpotChaos),
    "stale_position_accepted": (stale_position_accepted, DerivativeChaos),
    "status_regression_allowed": (status_regression_allowed, SpotChaos),
    "in_flight_not_in_exposure": (in_flight_not_in_exposure, SpotChaos),
    "coverage_off_by_one": (coverage_off_by_one, SpotChaos),
    "cancel_keeps_lock": (cancel_keeps_lock, SpotChaos),
    "cash_dedup_off": (cash_dedup_off, SpotChaos),
    "conditional_not_in_exposure": (conditional_not_in_exposure, DerivativeChaos),
    "trade_id_coverage_ignored": (trade_id_coverage_ignored, SpotChaos),
    "cid_reuse_collides": (cid_reuse_collides, SpotChaos),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    patch, machine = MUTANTS[name]
    patch(monkeypatch)
    message = caught(machine)
    print(f"{name}: {message}")
