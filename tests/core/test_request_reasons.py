"""The reason each ``QueryOrder`` request carries: one line naming what is not known."""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev
from core.requests import QueryOrder

D = Decimal
SPOT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")


def _queries(inv: Inventory) -> list[tuple[str | None, str]]:
    return [(r.order_id, r.reason) for r in inv.requests() if isinstance(r, QueryOrder)]


def test_order_known_only_from_a_fill_without_its_size_is_asked_for_its_quantity() -> None:
    inv = Inventory([PERP])
    inv.apply(
        ev.FillReported(
            symbol="BTCUSDT",
            order_id="adl-1",
            client_order_id=None,
            trade_id="x1",
            side="sell",
            quantity=D("0.5"),
            price=D(110),
            fee=D(0),
            fee_asset="USDT",
            version=3,
            kind="linear",
        )
    )
    assert _queries(inv) == [("adl-1", "order quantity unknown")]


def _triggered(cid: str | None) -> Inventory:
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
    if cid is not None:
        inv.submit(cid, "BTCUSDT", "buy", D(1), None, conditional=True)
    inv.apply(
        ev.OrderReported(
            symbol="BTCUSDT",
            order_id="A1",
            client_order_id=cid,
            side="buy",
            status="triggered",
            quantity=D(1),
            price=None,
            filled_quantity=D(0),
            average_price=None,
            version=2,
            order_type="market",
            conditional=True,
            triggered_order_id="X2",
        )
    )
    return inv


def test_order_a_trigger_handed_over_to_is_asked_for_naming_the_trigger_by_client_id() -> None:
    assert _queries(_triggered("c1")) == [("X2", "order X2 triggered by c1 not heard of")]


def test_trigger_without_a_client_id_is_named_by_its_order_id() -> None:
    assert _queries(_triggered(None)) == [("X2", "order X2 triggered by A1 not heard of")]


def test_missing_fills_are_asked_for_quoting_the_venues_cumulative_as_written() -> None:
    # A filled report counting "3.0" of 3 with 1.5 heard: the figures keep the venue's
    # own digits (a Decimal's exponent is part of what the venue said).
    inv = Inventory([PERP])
    inv.apply(
        ev.FillReported(
            "BTCUSDT", "X1", "c1", "t1", "sell", D("1.5"), D(100), D(0), "USDT", 4, kind="linear"
        )
    )
    inv.apply(
        ev.OrderReported("BTCUSDT", "X1", "c1", "sell", "filled", D(3), D(100), D("3.0"), D(100), 7)
    )
    o = inv.order("c1")
    assert o is not None and str(o.filled_quantity) == "3.0"
    assert _queries(inv) == [("X1", "fills missing: reported 3.0, known 1.5")]
