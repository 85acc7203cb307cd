"""Core rules behind real-payload findings: a venue's rejected report that counts fills."""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev
from core.requests import QueryOrder

D = Decimal
SPOT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")


def _report(status: str, cum: str, v: int) -> ev.OrderReported:
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id="7",
        client_order_id="c1",
        side="buy",
        status=status,
        quantity=D(1),
        price=D(100),
        filled_quantity=D(cum),
        average_price=D(100) if D(cum) else None,
        version=v,
    )


def _inv() -> Inventory:
    inv = Inventory([SPOT])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(
                ev.BalanceReported("USDT", D(1000), D(1000), 1),
                ev.BalanceReported("BTC", D(0), D(0), 1),
            ),
        )
    )
    return inv


def test_rejected_report_counting_fills_ends_the_order_and_releases_the_rest() -> None:
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(ev.FillReported("BTCUSDT", "7", "c1", "T1", "buy", D("0.4"), D(100), D(0), "USDT", 3))
    inv.apply(_report("rejected", "0.4", 4))
    o = inv.order("c1")
    assert o is not None
    assert (o.status, o.filled_quantity, o.remaining_quantity) == ("canceled", D("0.4"), D(0))
    assert inv.open_orders() == []
    assert [r for r in inv.requests() if isinstance(r, QueryOrder)] == []
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D(960), D(960))


def test_rejected_report_counting_fills_not_heard_widens_by_them_only() -> None:
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("rejected", "0.4", 4))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled"
    x = inv.exposure("BTC")
    assert (x.low, x.expected, x.high) == (D(0), D(0), D("0.4"))
    # The rest (0.6 x 100) is released; the 0.4 filled holds its 40 until its fills come.
    assert inv.balance("USDT").free == D(960)
