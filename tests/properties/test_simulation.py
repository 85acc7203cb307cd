"""Deterministic simulation: one seed drives the bot, the venue and a hostile network.

VOPR-style: ``simulate(seed, steps, account)`` draws every action from
``random.Random(seed)`` and the network's faults from ``HOSTILE`` (reorder, duplicates,
echoes, drops, disconnects), checks P1, P3, P4, P6, P8 after every step and P7 every tenth,
then quiesces and checks P2 and P8. A failure prints the seed; ``simulate`` with that seed
replays it exactly. The ``deep`` profile (``INVSYNC_PROFILE=deep``) runs 50x the seeds.
"""

from __future__ import annotations

import os
import random
from decimal import Decimal

import pytest

from core import Inventory
from models.exchange import ExchangeModel
from models.network import HOSTILE
from tests.properties.chaos_harness import DERIVATIVES, SPOT, Account, Harness, fill_price, part

D = Decimal
DEEP = os.environ.get("INVSYNC_PROFILE") == "deep"
SEEDS = range(1000 if DEEP else 20)
STEPS = 2000 if DEEP else 300


def _act(h: Harness, rng: random.Random) -> None:
    acc = h.account
    r = rng.random()
    symbol = rng.choice(acc.symbols)
    tick = dict(acc.ticks)[symbol]
    if r < 0.12:
        qs = dict(acc.quantities)[symbol]
        price = (
            None if rng.random() < 0.15 else dict(acc.prices)[symbol] + rng.randint(-2, 2) * tick
        )
        outcome = rng.choice(["ack"] * 6 + ["timeout", "lost"])
        h.submit(
            symbol,
            rng.choice(["buy", "sell"]),
            rng.choice(qs),
            price,
            post_only=rng.random() < 0.2,
            outcome=outcome,
        )
    elif r < 0.17 and h.cids:
        h.cancel(rng.choice(h.cids))
    elif r < 0.21:
        target_symbol = acc.target[0]
        h.decide(dict(acc.prices)[target_symbol], acc.target[2] + rng.choice([-1, 0, 1]))
    elif r < 0.36 and h.model.open_orders():
        mo = rng.choice(h.model.open_orders())
        q = part(mo.remaining, rng.choice([D(1), D("0.5"), D("0.3")]))
        p = fill_price(h, mo, rng.randint(0, 2))
        fee = rng.choice([D("0.001"), D(0), D("-0.0001")])
        where = rng.choice(["received", "third"])
        fast = rng.random() < 0.3
        with_cid = rng.random() < 0.7

        def fill(m: ExchangeModel) -> object:
            return m.fill(
                mo.order_id, q, p, fee_rate=fee, fee_in=where, fast=fast, fast_client_id=with_cid
            )

        h.exchange(fill)
    elif r < 0.39 and h.model.open_orders():
        oid = rng.choice(h.model.open_orders()).order_id
        h.exchange(lambda m: m.expire(oid) if rng.random() < 0.5 else m.cancel(oid))
    elif r < 0.42:
        asset = rng.choice([a for a, _ in acc.balances])
        amount = rng.choice([D(1), D("0.5")])
        h.exchange(
            lambda m: m.withdraw(asset, amount) if rng.random() < 0.5 else m.deposit(asset, amount)
        )
    elif r < 0.45 and acc.instrument(symbol).is_derivative:
        pos = h.model.position(symbol).quantity
        if rng.random() < 0.5 or pos == 0:
            h.exchange(lambda m: m.funding(symbol, rng.choice([D("1.5"), D("-2")])))
        else:
            price = dict(acc.prices)[symbol] + rng.randint(-3, 3) * tick
            q = part(abs(pos), D("0.5"))
            h.exchange(lambda m: m.liquidate(symbol, q, price))
    elif r < 0.49:
        h.reconcile()
    elif r < 0.55 and h.rest.pending():
        if rng.random() < 0.1:
            h.drop_rest(rng.randrange(h.rest.pending()))
        else:
            h.deliver_rest(0)
    else:
        h.deliver_all(h.net.step())


def simulate(seed: int, steps: int, account: Account) -> Harness:
    """Run one seeded world for ``steps`` actions, checking every property; returns the harness."""
    rng = random.Random(seed)
    h = Harness(account, Inventory, seed=seed, profile=HOSTILE, sequenced=rng.random() < 0.5)
    try:
        for i in range(steps):
            _act(h, rng)
            h.check_p1()
            h.check_p3()
            h.check_p4()
            h.check_p6()
            h.check_p8()
            if i % 10 == 0:
                h.steps += 1
                h.check_p7()
        h.quiesce()
        h.check_p2()
        h.check_p8_quiescent()
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\n  replay: simulate(seed={seed}, steps={steps}, account={account.name.upper()})"
        ) from exc
    return h


@pytest.mark.parametrize("account", [SPOT, DERIVATIVES], ids=lambda a: a.name)
def test_seeded_simulation(account: Account) -> None:
    delivered = 0
    for seed in SEEDS:
        delivered += simulate(seed, STEPS, account).delivered
    assert delivered > len(SEEDS) * STEPS // 4  # the world did move
