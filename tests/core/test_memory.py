"""Bounded memory: what the Inventory retains follows open orders and unsettled fills."""

from __future__ import annotations

from collections.abc import Iterator

from core import Inventory
from core import events as ev
from tests.core.builders import BTCUSDT, D, bal, fill, report


def stream(orders: int) -> Iterator[ev.Event]:
    """A Binance-like stream: each order is acknowledged, filled in two trades, balances follow."""
    usdt, btc = D(10**9), D(0)
    v = 1
    for i in range(orders):
        oid, cid = str(i), f"c{i}"
        v += 1
        yield report("new", "0", v, cid=cid, oid=oid, qty="2", price="10")
        yield bal("USDT", str(usdt), str(usdt - 20), v)
        for part in (0, 1):
            v += 1
            usdt -= 10
            btc += 1
            yield fill(f"t{i}-{part}", "1", "10", v, cid=cid, oid=oid)
            yield report(
                "filled" if part else "partially_filled",
                str(part + 1),
                v,
                cid=cid,
                oid=oid,
                qty="2",
                price="10",
                avg="10",
            )
            yield bal("USDT", str(usdt), str(usdt - (0 if part else 10)), v)
            yield bal("BTC", str(btc), str(btc), v)


def test_two_hundred_thousand_events_keep_retained_state_bounded() -> None:
    inv = Inventory([BTCUSDT], history=500)
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", str(10**9), str(10**9), 1),)))
    peak: dict[str, int] = {}
    n = 0
    for n, e in enumerate(stream(20_000), 1):
        inv.apply(e)
        if n % 1000 == 0:
            for k, val in inv.stats().items():
                peak[k] = max(peak.get(k, 0), val)
    assert n >= 200_000
    assert peak["live_orders"] <= 1
    assert peak["retired_orders"] <= 500
    assert peak["orders"] <= 502
    assert peak["fills"] <= 2
    assert peak["pending_changes"] <= 4
    assert inv.balance("BTC").total == 40_000
    assert inv.balance("USDT").total == D(10**9) - 400_000
    # Long-forgotten orders' messages replayed late are recognised as history, not new orders.
    inv.apply(fill("t0-0", "1", "10", 3, cid="c0", oid="0"))
    inv.apply(report("new", "0", 2, cid="c0", oid="0", qty="2", price="10"))
    assert inv.balance("BTC").total == 40_000 and inv.open_orders() == []
    assert inv.order("c19999") is not None and inv.order("c0") is None
