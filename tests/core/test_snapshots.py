"""Late messages around snapshots: vanished in-flight orders and forgotten history."""

from __future__ import annotations

from core import Inventory
from core import events as ev
from tests.core.builders import BTCUSDT, D, bal, fill, report, spot


def _done(inv: Inventory, oid: str, cid: str, v: int, usdt: str, btc: str) -> None:
    inv.apply(report("filled", "1", v, oid=oid, cid=cid))
    inv.apply(fill("t" + oid, "1", "100", v, oid=oid, cid=cid))
    inv.apply(bal("USDT", usdt, usdt, v))
    inv.apply(bal("BTC", btc, btc, v))


# --- late messages: vanished in-flight orders, forgotten history ----------------------------
def test_fill_as_old_as_a_snapshot_that_omitted_an_in_flight_order_makes_it_unknown() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    inv.apply(fill("t1", "0.5", "100", 5))  # as old as the snapshot, which listed no order
    o = inv.order("c1")
    assert o is not None and o.status == "unknown" and o.filled_quantity == D("0.5")
    assert [r.reason for r in inv.requests()] == ["order fate unknown"]


def test_fill_newer_than_the_snapshot_is_a_plain_fill() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    inv.apply(fill("t1", "0.5", "100", 6))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"


def test_late_copy_of_a_fill_of_a_forgotten_order_is_ignored() -> None:
    inv = Inventory([BTCUSDT], history=1)
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "1000", "1000", 1),)))
    _done(inv, "1", "a", 2, "900", "1")
    _done(inv, "2", "b", 3, "800", "2")  # pushes order 1 out of the history of one
    assert inv.order("a") is None and inv.stats()["retired_orders"] == 1
    inv.apply(fill("t1", "1", "100", 2, oid="1", cid="a"))  # a late duplicate
    inv.apply(report("filled", "1", 2, oid="1", cid="a"))
    assert inv.order("a") is None
    assert (inv.balance("USDT").total, inv.balance("BTC").total) == (D(800), D(2))
    inv.apply(fill("t9", "1", "100", 4, oid="9", cid=None))  # a newer unknown order counts
    assert inv.balance("BTC").total == 3
