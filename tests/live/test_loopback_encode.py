"""The loopback's encoder: model events and state, rendered as Binance payloads, parse back
through the core's own Binance adapter to the same events (ids and times mapped as the
loopback documents: ``X<n>`` -> ``n``, ``T<n>`` -> ``n``, version v -> base + v)."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import TypeVar

import attrs

from core import events as ev
from core.adapters import binance_spot
from invsync.live.loopback import encode
from invsync.live.loopback.encode import Clock, UserDataEncoder
from models.exchange import ExchangeModel, ModelOrder
from tests.live.conftest import BTCUSDT, ETHUSDT

BASE = 1_767_225_600_000
CLOCK = Clock(BASE)


E = TypeVar("E", bound=ev.Event)


def _expected(e: E) -> E:
    """A model event as the Binance form can carry it (the documented mapping)."""
    if isinstance(e, ev.OrderReported):
        return attrs.evolve(e, order_id=e.order_id[1:], version=BASE + e.version)
    if isinstance(e, ev.FillReported):
        return attrs.evolve(
            e, order_id=e.order_id[1:], trade_id=e.trade_id[1:], version=BASE + e.version
        )
    if isinstance(e, ev.BalanceReported):
        return attrs.evolve(e, version=BASE + e.version)
    if isinstance(e, ev.CashChanged):
        # balanceUpdate has no id and no reason: the adapter names the message kind.
        return attrs.evolve(e, version=BASE + e.version, reason="balanceUpdate", change_id=None)
    raise AssertionError(f"unexpected model event {e!r}")


def _in_binance_order(events: list[ev.Event]) -> list[ev.Event]:
    """executionReport carries an order's report and its fill; the adapter emits the order
    first, so a fill directly followed by its order's report swaps with it."""
    out = list(events)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if (
            isinstance(a, ev.FillReported)
            and isinstance(b, ev.OrderReported)
            and a.order_id == b.order_id
        ):
            out[i], out[i + 1] = b, a
    return out


def _meta(o: ModelOrder) -> encode.OrderMeta:
    return encode.default_meta(o)


def _random_actions(model: ExchangeModel, rng: random.Random, steps: int) -> None:
    """A seeded mix of every spot action the loopback uses."""
    for n in range(steps):
        live = model.open_orders()
        roll = rng.random()
        symbol = rng.choice(["BTCUSDT", "ETHUSDT"])
        if roll < 0.35 or not live:
            side = rng.choice(["buy", "sell"])
            qty = Decimal(rng.randint(1, 40)) / 100
            price = Decimal(rng.randint(90, 110)) * (100 if symbol == "BTCUSDT" else 10)
            model.submit(f"c{n}", symbol, side, qty, price, post_only=rng.random() < 0.1)
        elif roll < 0.55:
            o = rng.choice(live)
            part = o.remaining / rng.choice([1, 2, 4])
            model.fill(o.order_id, part, fee_rate=Decimal("0.001"))
        elif roll < 0.65:
            o = rng.choice(live)
            model.amend(o.order_id, quantity=o.filled + o.remaining / 2)
        elif roll < 0.75:
            model.cancel(rng.choice(live).order_id)
        elif roll < 0.8:
            model.expire(rng.choice(live).order_id)
        elif roll < 0.9:
            model.deposit(rng.choice(["USDT", "BTC", "ETH"]), Decimal(rng.randint(1, 9)))
        else:
            model.set_price(symbol, Decimal(rng.randint(90, 110)) * 100, Decimal("0.001"))


def _model(seed: int) -> ExchangeModel:
    return ExchangeModel(
        [BTCUSDT, ETHUSDT],
        {"USDT": Decimal("100000"), "BTC": Decimal("5"), "ETH": Decimal("50")},
        prices={"BTCUSDT": Decimal("10000"), "ETHUSDT": Decimal("1000")},
        seed=seed,
    )


def test_user_data_events_round_trip_through_the_binance_adapter() -> None:
    kinds: set[str] = set()
    for seed in range(25):
        model = _model(seed)
        encoder = UserDataEncoder(model, CLOCK, _meta)
        rng = random.Random(seed)
        for _ in range(40):
            _random_actions(model, rng, 1)
            batch = model.take_emitted()
            emitted = [e for _, e in batch]
            payloads = encoder.encode(batch)
            for p in payloads:
                kinds.add(p["e"] + (f".{p['x']}" if "x" in p else ""))
            parsed = [e for p in payloads for e in binance_spot.parse(p)]
            assert parsed == _in_binance_order([_expected(e) for e in emitted]), f"seed {seed}"
    # Every execution type the loopback can send was exercised.
    assert kinds >= {
        "executionReport.NEW",
        "executionReport.TRADE",
        "executionReport.REPLACED",
        "executionReport.CANCELED",
        "executionReport.EXPIRED",
        "executionReport.REJECTED",
        "outboundAccountPosition",
        "balanceUpdate",
    }, kinds


def test_wrapped_in_the_websocket_api_envelope_the_events_parse_the_same() -> None:
    model = _model(1)
    encoder = UserDataEncoder(model, CLOCK, _meta)
    model.submit("a", "BTCUSDT", "buy", Decimal("0.1"), Decimal("9000"))
    for p in encoder.encode(model.take_emitted()):
        assert binance_spot.parse({"subscriptionId": 3, "event": p}) == binance_spot.parse(p)


def test_rest_snapshot_bodies_parse_to_the_model_snapshot() -> None:
    for seed in range(15):
        model = _model(seed)
        _random_actions(model, random.Random(seed), 60)
        meta = {o.order_id: _meta(o) for o in model.orders.values()}
        account = encode.account(model, CLOCK)
        open_orders = [
            encode.rest_order(o, meta[o.order_id], CLOCK)
            for o in sorted(model.open_orders(), key=lambda o: int(o.order_id[1:]))
        ]
        trades = [encode.rest_trade(t, CLOCK) for t in model.trades]
        [snap] = binance_spot.parse_snapshot(
            account=account, open_orders=open_orders, trades=trades
        )
        assert isinstance(snap, ev.SnapshotTaken)
        truth = model.snapshot()
        assert snap.version == BASE + truth.version
        assert snap.balances == tuple(_expected(b) for b in truth.balances), f"seed {seed}"
        assert sorted(snap.open_orders, key=lambda o: int(o.order_id)) == sorted(
            (_expected(o) for o in truth.open_orders), key=lambda o: int(o.order_id)
        ), f"seed {seed}"
        # myTrades has no client order id (the REST trade list does not carry one).
        assert snap.trades == tuple(
            attrs.evolve(_expected(f), client_order_id=None) for f in truth.trades
        ), f"seed {seed}"
        for o in model.orders.values():
            [rep] = binance_spot.parse_order(encode.rest_order(o, meta[o.order_id], CLOCK))
            assert rep == _expected(o.report()), f"seed {seed} order {o.order_id}"


def test_decimals_are_written_like_binance() -> None:
    assert encode.fmt(Decimal("1")) == "1.00000000"
    assert encode.fmt(Decimal("0.000000001")) == "0.000000001"
    assert encode.fmt(Decimal("1E+3")) == "1000.00000000"
    assert encode.fmt(Decimal("-0")) == "0.00000000"
    assert encode.fmt(Decimal("-2.5")) == "-2.50000000"


def test_the_wall_clock_stamps_increase_strictly_and_never_change() -> None:
    import time

    clock = Clock()
    before = int(time.time() * 1000)
    first = [clock.ms(v) for v in range(1, 3001)]  # a burst: 1 ms per version at least
    assert all(b > a for a, b in itertools.pairwise(first))
    assert before <= first[0] <= int(time.time() * 1000)
    time.sleep(0.05)
    later = clock.ms(5000)
    assert later >= first[-1] + 2000
    assert [clock.ms(v) for v in range(1, 3001)] == first  # stable once given
    assert first[-1] < clock.ms(3500) < later  # between stamps: counted on, still ordered
