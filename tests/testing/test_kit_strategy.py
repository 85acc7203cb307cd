"""The kit checks a user's strategy: a lag bug overshoots (P3), unfunded orders are refused (P6)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

import attrs
import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from invsync.testing import (
    SPOT_ACCOUNT,
    Cancel,
    InventorySuite,
    Place,
    PropertyFailed,
    ReadOnlyInventory,
    Target,
    profiles,
)
from tests.testing.worked_examples import load

EXAMPLE = load("kit_strategy_check")
LOT: Decimal = EXAMPLE.LOT


def target_buyer(inventory: ReadOnlyInventory, target: Target) -> list[Place]:
    """The worked example's strategy."""
    placed: list[Place] = EXAMPLE.target_buyer(inventory, target)
    return placed


def _failure(suite: type[InventorySuite]) -> PropertyFailed:
    """The first failure the kit's ci profile finds in ``suite`` (its budget of programs and
    steps; the shrink phase, which only shortens the step list, is left out to keep CI fast:
    tests/testing/test_kit_fuzz.py shows a shrunk one)."""
    found_only = settings(profiles.kit_settings(), phases=[Phase.explicit, Phase.generate])
    with pytest.raises(PropertyFailed) as info:
        run_state_machine_as_test(suite, settings=found_only)
    return info.value


class SizedFromTotal(InventorySuite):
    """The planted lag bug: what is missing is sized from ``balance().total``, which leaves
    out open and in-flight buys, instead of ``exposure().high``; funds are still capped."""

    def strategy(self, inventory: ReadOnlyInventory, target: Target) -> Iterable[Place | Cancel]:
        missing = target.quantity - inventory.balance(target.asset).total
        affordable = inventory.balance(target.funds).free / target.price
        quantity = min(missing, affordable).quantize(LOT, rounding=ROUND_DOWN)
        return [Place("buy", quantity, target.price)] if quantity > 0 else []


class IgnoresFunds(InventorySuite):
    """Sized from ``exposure().high`` but never capped by the free funds (250 USDT, while
    the 3 BTC it misses cost about 300)."""

    ACCOUNT = attrs.evolve(
        SPOT_ACCOUNT,
        balances=tuple((a, Decimal(250) if a == "USDT" else b) for a, b in SPOT_ACCOUNT.balances),
    )

    def strategy(self, inventory: ReadOnlyInventory, target: Target) -> Iterable[Place | Cancel]:
        missing = target.quantity - inventory.exposure(target.asset).high
        return [Place("buy", missing, target.price)] if missing > 0 else []


def test_strategy_sized_from_exposure_high_passes_the_kit() -> None:
    EXAMPLE.TargetBuyerCheck.TestCase().runTest()


def test_strategy_sized_from_balance_total_overshoots_its_target() -> None:
    failure = _failure(SizedFromTotal)
    assert failure.prop == "p3_no_overshoot"
    assert "overshoots its target 5" in str(failure)
    assert "world seed=" in str(failure)


def test_strategy_that_ignores_free_funds_sends_refused_orders() -> None:
    failure = _failure(IgnoresFunds)
    assert failure.prop == "p6_affordable"
    assert "insufficient USDT" in str(failure)


@pytest.fixture
def few_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Contract checks need a handful of programs, not the ci profile's hundred."""
    monkeypatch.setenv("INVSYNC_KIT_MAX_EXAMPLES", "15")


@pytest.mark.usefixtures("few_programs")
def test_strategy_sees_a_read_only_inventory_and_its_target() -> None:
    seen: list[tuple[ReadOnlyInventory, Target]] = []

    class Peek(InventorySuite):
        def strategy(
            self, inventory: ReadOnlyInventory, target: Target
        ) -> Iterable[Place | Cancel]:
            seen.append((inventory, target))
            return target_buyer(inventory, target)

    Peek.TestCase().runTest()
    assert seen
    inventory = seen[0][0]
    for name in ("submit", "cancel", "apply", "amend", "take_requests"):
        assert not hasattr(inventory, name)
    assert inventory.exposure("BTC").high >= inventory.balance("BTC").total
    targets = [t for _, t in seen]
    assert {(t.symbol, t.asset, t.funds, t.quantity) for t in targets} == {
        ("BTCUSDT", "BTC", "USDT", Decimal(5))
    }
    assert {t.price for t in targets} <= {Decimal(p) for p in range(98, 103)}


@pytest.mark.usefixtures("few_programs")
def test_strategy_returning_a_float_quantity_breaks_the_contract() -> None:
    class Floats(InventorySuite):
        def strategy(
            self, inventory: ReadOnlyInventory, target: Target
        ) -> Iterable[Place | Cancel]:
            return [Place("buy", 0.5, target.price)]  # type: ignore[arg-type]

    failure = _failure(Floats)
    assert failure.prop == "strategy_contract"
    assert "positive Decimal quantity" in str(failure)


@pytest.mark.usefixtures("few_programs")
def test_cancel_of_an_order_the_strategy_never_placed_breaks_the_contract() -> None:
    class Stranger(InventorySuite):
        def strategy(
            self, inventory: ReadOnlyInventory, target: Target
        ) -> Iterable[Place | Cancel]:
            return [Cancel("someone-else")]

    failure = _failure(Stranger)
    assert failure.prop == "strategy_contract"
    assert "'someone-else'" in str(failure)
