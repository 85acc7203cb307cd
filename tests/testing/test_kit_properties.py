"""Each of the kit's property checks fails when its property is broken (scripted worlds)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from core.views import Exposure, Order
from invsync.testing import SPOT_ACCOUNT, PropertyFailed, World, binance_spot, core_events
from invsync.testing import properties as p
from models.naive import NaiveTracker

D = Decimal


class Skewed:
    """An Inventory whose answers a test bends (everything else is the real one's)."""

    def __init__(self, real: Any, **bent: Any) -> None:
        self._real = real
        self._bent = bent

    def __getattr__(self, name: str) -> Any:
        return self._bent.get(name, getattr(self._real, name))


def _world(seed: int = 1) -> World:
    return World(SPOT_ACCOUNT, core_events(), seed=seed)


def _prop(check: Any, w: World) -> str:
    with pytest.raises(PropertyFailed) as info:
        check(w)
    assert f"world seed={w.seed}" in str(info.value)
    return info.value.prop


def test_a_healthy_world_passes_every_check() -> None:
    w = World(SPOT_ACCOUNT, binance_spot(), seed=4)
    cid, order = w.submit("BTCUSDT", "buy", D(1), D(100))
    assert order is not None and not isinstance(order, str)
    w.exchange(lambda m: m.fill(cid, D("0.4"), D(99), fee_rate=D("0.001"), fast=False))
    w.net.duplicate("executionReport", 1)
    w.deliver_heads(3)
    for check in (p.check_p1, p.check_p3, p.check_p4, p.check_p6, p.check_p7):
        check(w)
    w.quiesce()
    p.check_p2(w)
    p.check_p8(w)  # an order is still live: only the request half applies


def test_naive_tracker_hearing_the_fill_before_the_balance_breaks_p3() -> None:
    w = _world()
    w.inventory = NaiveTracker(SPOT_ACCOUNT.instruments)  # type: ignore[assignment]
    w.deliver(w.model.snapshot())
    cid, _ = w.submit("BTCUSDT", "buy", D(1), D(100))
    w.deliver_rest(0)
    w.exchange(lambda m: m.fill(cid, D(1), D(100), fast=False))
    while w.net.pending("orders") or w.net.pending("fills"):
        w.receive_all(w.net.deliver_head("fills" if w.net.pending("fills") else "orders"))
    # The naive tracker forgot the order and has not seen the coins: BTC high is 2, truth 3.
    assert _prop(p.check_p3, w) == "p3_bounded_exposure"


def test_a_fill_counted_twice_breaks_p1() -> None:
    w = _world()
    cid, _ = w.submit("BTCUSDT", "buy", D(1), D(100))
    w.exchange(lambda m: m.fill(cid, D("0.5"), D(100), fast=False))
    w.deliver_heads(10)
    real = w.inventory.order(cid)
    assert real is not None
    doubled = attrs.evolve(real, filled_quantity=real.filled_quantity * 2)
    w.inventory = Skewed(w.inventory, order=lambda key: doubled)  # type: ignore[assignment]
    assert _prop(p.check_p1, w) == "p1_exactly_once"


def test_a_status_moving_backwards_breaks_p4() -> None:
    w = _world()
    cid, _ = w.submit("BTCUSDT", "buy", D(1), D(100))
    w.exchange(lambda m: m.fill(cid, D("0.5"), D(100), fast=False))
    w.deliver_heads(10)
    p.check_p4(w)
    real = w.inventory.order(cid)
    assert real is not None and real.status == "partially_filled"
    back: Order = attrs.evolve(real, status="open")
    w.inventory = Skewed(w.inventory, order=lambda key: back)  # type: ignore[assignment]
    assert _prop(p.check_p4, w) == "p4_monotonicity"


def test_free_above_the_venues_breaks_p6() -> None:
    w = _world()
    w.submit("BTCUSDT", "buy", D(1), D(100))
    real = w.inventory.balance

    def generous(asset: str) -> Any:
        b = real(asset)
        return attrs.evolve(b, free=b.free + 1) if asset == "USDT" else b

    w.inventory = Skewed(w.inventory, balance=generous)  # type: ignore[assignment]
    assert _prop(p.check_p6, w) == "p6_free_not_overstated"


def test_an_accepted_contradiction_breaks_p7() -> None:
    w = _world()
    w.inventory = Skewed(w.inventory, apply=lambda event: None)  # type: ignore[assignment]
    assert _prop(p.check_p7, w) == "p7_atomic"


def test_a_different_balance_at_quiescence_breaks_p2() -> None:
    w = _world()
    w.exchange(lambda m: m.deposit("USDT", D(5), with_id=False))
    w.quiesce()
    p.check_p2(w)
    w.model.deposit("USDT", D(1), with_id=False)  # a change the Inventory never hears of
    assert _prop(p.check_p2, w) == "p2_convergence"


def test_a_range_wider_than_the_live_orders_breaks_p8() -> None:
    w = _world()
    w.quiesce()
    p.check_p8(w)
    w.inventory = Skewed(  # type: ignore[assignment]
        w.inventory, exposure=lambda name: Exposure(low=D(0), expected=D(1), high=D(2))
    )
    assert _prop(p.check_p8, w) == "p8_tight"


def test_overshoot_and_refusal_are_the_strategy_checks() -> None:
    w = _world()
    w.submit("BTCUSDT", "buy", D(4), D(100))
    assert _prop(lambda x: p.check_no_overshoot(x, "BTCUSDT", "BTC", D(5)), w) == (
        "p3_no_overshoot"
    )
    p.check_no_overshoot(w, "BTCUSDT", "BTC", D(6))
    assert _prop(lambda x: p.check_affordable(x, "k9", "insufficient USDT"), w) == "p6_affordable"
