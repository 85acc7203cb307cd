"""The scenarios the model checker explores, each with its hand-written true final state.

Every scenario is a tiny exchange script (``proofs.venue.Venue``) plus the final truth
written out by hand; ``build`` checks the script reaches exactly that truth. The CI
bound explores a smaller script than the deep bound (fewer fills), and a scenario that
says ``drops=True`` ends with a REST snapshot so that P5 can be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from core import events as ev
from core.instrument import Instrument
from proofs.venue import Message, OrderTruth, Step, Truth, Venue

D = Decimal
RATE = D("0.001")
BTC = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT", max_fee_rate=RATE)
ETH = Instrument(symbol="ETHUSDT", kind="spot", base="ETH", quote="USDT", max_fee_rate=RATE)
PERP = Instrument(
    symbol="BTC-USDT-SWAP", kind="linear", base="BTC", quote="USDT", contract_size=D("0.01")
)


@dataclass(frozen=True)
class Scenario:
    """A venue timeline, its messages and truths, and the exploration bound."""

    name: str
    instruments: tuple[Instrument, ...]
    initial: ev.SnapshotTaken
    initial_truth: Truth
    steps: tuple[Step, ...]
    messages: tuple[Message, ...]
    final: Truth
    drops: bool
    max_deliveries: int
    venue: Venue

    @property
    def bound(self) -> str:
        return (
            f"{len(self.steps)} steps, {len(self.messages)} msgs, each delivered "
            f"<= {self.max_deliveries}x" + (", drops" if self.drops else "")
        )

    def truth_at(self, pos: int) -> Truth:
        return self.initial_truth if pos == 0 else self.steps[pos - 1].truth


def _truth(
    balances: dict[str, tuple[str, str]],
    orders: dict[str, tuple[str, str, str | None, dict[str, str]]],
    positions: dict[str, tuple[str, str]] | None = None,
) -> Truth:
    return Truth(
        balances=tuple((a, D(t), D(f)) for a, (t, f) in sorted(balances.items())),
        positions=tuple((s, D(q), D(e)) for s, (q, e) in sorted((positions or {}).items())),
        orders=tuple(
            (
                cid,
                OrderTruth(
                    status,
                    D(filled),
                    None if avg is None else D(avg),
                    tuple(sorted((a, D(x)) for a, x in fees.items())),
                ),
            )
            for cid, (status, filled, avg, fees) in orders.items()
        ),
    )


def _make(name: str, v: Venue, final: Truth, drops: bool, max_deliveries: int) -> Scenario:
    got = v.truth()
    if got != final:
        raise AssertionError(
            f"scenario {name}: the script ends at {got}, the hand-written truth is {final}"
        )
    return Scenario(
        name=name,
        instruments=v.instruments,
        initial=v.initial,
        initial_truth=v.initial_truth,
        steps=tuple(v.steps),
        messages=tuple(v.messages),
        final=final,
        drops=drops,
        max_deliveries=max_deliveries,
        venue=v,
    )


def spot_partial_fills(deep: bool) -> Scenario:
    """A spot buy filled in two (deep: three) partial fills; order, fill and balance
    messages travel separately at the CI bound (implied fills, settled-before-reported)."""
    # CI: order and fill messages split (8 messages); deep: three fills, each order report
    # and fill in one execution message (Binance executionReport), also 8 messages.
    v = Venue((BTC,), {"USDT": D(10000), "BTC": D(0)}, split_fills=not deep)
    v.submit("c1", "BTCUSDT", "buy", "1", "100")
    v.accept("c1")
    if deep:
        v.fill("c1", "0.3", "100", "0.0003")
        v.fill("c1", "0.3", "99", "0.0003")
        v.fill("c1", "0.4", "100", "0.0004")
        final = _truth(
            {"BTC": ("0.999", "0.999"), "USDT": ("9900.3", "9900.3")},
            {"c1": ("filled", "1", "99.7", {"BTC": "0.001"})},
        )
    else:
        v.fill("c1", "0.4", "100", "0.0004")
        v.fill("c1", "0.6", "99", "0.0006")
        final = _truth(
            {"BTC": ("0.999", "0.999"), "USDT": ("9900.6", "9900.6")},
            {"c1": ("filled", "1", "99.4", {"BTC": "0.001"})},
        )
    return _make("spot_partial_fills", v, final, drops=False, max_deliveries=2)


def cancel_races_fill(deep: bool) -> Scenario:
    """The bot requests a cancel; the venue fills part (deep: two parts) first, then
    cancels the rest. Drops allowed; a REST snapshot ends the timeline (P5)."""
    v = Venue((BTC,), {"USDT": D(0), "BTC": D(1)})
    v.submit("c2", "BTCUSDT", "sell", "1", "100")
    v.accept("c2")
    v.request_cancel("c2")
    v.fill("c2", "0.4", "100", "0.04")
    if deep:
        v.fill("c2", "0.3", "101", "0.0303")
        final = _truth(
            {"BTC": ("0.3", "0.3"), "USDT": ("70.2297", "70.2297")},
            {"c2": ("canceled", "0.7", "100.4285714285714285714285714", {"USDT": "0.0703"})},
        )
    else:
        final = _truth(
            {"BTC": ("0.6", "0.6"), "USDT": ("39.96", "39.96")},
            {"c2": ("canceled", "0.4", "100", {"USDT": "0.04"})},
        )
    v.cancel("c2")
    v.rest_snapshot()
    return _make("cancel_races_fill", v, final, drops=True, max_deliveries=2)


def linear_flip(deep: bool) -> Scenario:
    """A long linear position (OKX-style contracts of 0.01 BTC) flipped short by one sell
    order: the first fill closes the long and opens a short (deep: closes to flat first)."""
    v = Venue(
        (PERP,), {"USDT": D(1000)}, positions={"BTC-USDT-SWAP": (D(100), D(100))}, split_fills=True
    )
    v.submit("c3", "BTC-USDT-SWAP", "sell", "200", "105")
    v.accept("c3")
    if deep:
        v.fill("c3", "100", "110", "0.055")
        v.fill("c3", "50", "110", "0.0275")
    else:
        v.fill("c3", "150", "110", "0.0825")
    v.fill("c3", "50", "106", "0.0265")
    final = _truth(
        {"USDT": ("1009.891", "1009.891")},
        {"c3": ("filled", "200", "109", {"USDT": "0.109"})},
        positions={"BTC-USDT-SWAP": ("-100", "108")},
    )
    return _make("linear_flip", v, final, drops=False, max_deliveries=2)


def timeout_late_ack(deep: bool) -> Scenario:
    """The venue accepts an order whose submission then times out locally (fate unknown);
    the acknowledgement and a partial fill (deep: two, split messages) arrive late. Drops
    allowed; a REST snapshot ends the timeline (P5)."""
    v = Venue((BTC,), {"USDT": D(1000), "BTC": D(0)}, split_fills=deep)
    v.submit("c4", "BTCUSDT", "buy", "1", "100")
    v.accept("c4")
    v.time_out("c4")
    v.fill("c4", "0.5", "100", "0.0005")
    if deep:
        v.fill("c4", "0.3", "95", "0.0003")
        final = _truth(
            {"BTC": ("0.7992", "0.7992"), "USDT": ("921.5", "901.5")},
            {"c4": ("partially_filled", "0.8", "98.125", {"BTC": "0.0008"})},
        )
    else:
        final = _truth(
            {"BTC": ("0.4995", "0.4995"), "USDT": ("950", "900")},
            {"c4": ("partially_filled", "0.5", "100", {"BTC": "0.0005"})},
        )
    v.rest_snapshot()
    return _make("timeout_late_ack", v, final, drops=True, max_deliveries=2)


def two_orders_shared_asset(deep: bool) -> Scenario:
    """Two buys on two symbols reserve the same quote asset; one fills, the other is
    canceled (deep: after a partial fill)."""
    v = Venue((BTC, ETH), {"USDT": D(1000), "BTC": D(0), "ETH": D(0)})
    v.submit("c5", "BTCUSDT", "buy", "1", "100")
    v.submit("c6", "ETHUSDT", "buy", "2", "10")
    v.accept("c5")
    v.accept("c6")
    v.fill("c5", "1", "100", "0.001")
    if deep:
        v.fill("c6", "1", "10", "0.001")
        final = _truth(
            {"BTC": ("0.999", "0.999"), "ETH": ("0.999", "0.999"), "USDT": ("890", "890")},
            {
                "c5": ("filled", "1", "100", {"BTC": "0.001"}),
                "c6": ("canceled", "1", "10", {"ETH": "0.001"}),
            },
        )
    else:
        final = _truth(
            {"BTC": ("0.999", "0.999"), "ETH": ("0", "0"), "USDT": ("900", "900")},
            {
                "c5": ("filled", "1", "100", {"BTC": "0.001"}),
                "c6": ("canceled", "0", None, {}),
            },
        )
    v.cancel("c6")
    return _make("two_orders_shared_asset", v, final, drops=False, max_deliveries=2)


SCENARIOS: tuple[Callable[[bool], Scenario], ...] = (
    spot_partial_fills,
    cancel_races_fill,
    linear_flip,
    timeout_late_ack,
    two_orders_shared_asset,
)
