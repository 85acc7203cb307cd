"""Exposure is tight, not only safe (P8): it widens by what known orders can still change unheard.

A balance or position report at version V includes every change up to V, so fills an
order report implies at or before V are inside it; an order known only from its fills
carries the quantity those fills state; an order whose quantity stays unknown is asked for.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev
from core.requests import QueryOrder
from core.views import Exposure
from tests.core.builders import perp

D = Decimal
SPOT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")


def _spot() -> Inventory:
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


def _report(
    status: str, cum: str, v: int, *, kind: str | None = None, qty: str = "1"
) -> ev.OrderReported:
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id="1",
        client_order_id="c1",
        side="buy",
        status=status,
        quantity=D(qty),
        price=D(100),
        filled_quantity=D(cum),
        average_price=D(100) if D(cum) else None,
        version=v,
        kind=kind,
    )


def _fill(tid: str, qty: str, v: int) -> ev.FillReported:
    return ev.FillReported(
        symbol="BTCUSDT",
        order_id="1",
        client_order_id="c1",
        trade_id=tid,
        side="buy",
        quantity=D(qty),
        price=D(100),
        fee=D(0),
        fee_asset="USDT",
        version=v,
    )


def _x(low: str, expected: str, high: str) -> Exposure:
    return Exposure(low=D(low), expected=D(expected), high=D(high))


def test_balance_report_newer_than_filled_report_closes_the_range() -> None:
    # The example: the fill's own message never comes; the balance report at v4
    # already includes it.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("filled", "1", 3))
    inv.apply(ev.BalanceReported("BTC", D(1), D(1), 4))
    inv.apply(ev.BalanceReported("USDT", D(900), D(900), 4))
    assert inv.exposure("BTC") == _x("1", "1", "1")
    assert inv.exposure("USDT") == _x("900", "900", "900")


def test_balance_report_older_than_filled_report_still_widens() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("filled", "1", 5))
    inv.apply(ev.BalanceReported("BTC", D(0), D(0), 4))
    inv.apply(ev.BalanceReported("USDT", D(1000), D(900), 4))
    assert inv.exposure("BTC") == _x("0", "0", "1")
    assert inv.exposure("USDT") == _x("900", "1000", "1000")


def test_only_the_cumulative_reported_by_the_balance_version_is_covered() -> None:
    # Cum 0.5 at v3 is inside the v4 balance report; the other 0.5 (cum 1 at v6) is not.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("partially_filled", "0.5", 3))
    inv.apply(_report("filled", "1", 6))
    inv.apply(ev.BalanceReported("BTC", D("0.5"), D("0.5"), 4))
    inv.apply(ev.BalanceReported("USDT", D(950), D(900), 4))
    assert inv.exposure("BTC") == _x("0.5", "0.5", "1")
    assert inv.exposure("USDT") == _x("900", "950", "950")


def test_known_fills_up_to_the_balance_version_count_against_the_implied_part() -> None:
    # Fill t1 (0.3, v3) is known and inside the v4 report, as is the cum 0.5 of v3: of the
    # 0.7 unheard, 0.2 is inside the report, 0.5 may still come.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_fill("t1", "0.3", 3))
    inv.apply(_report("partially_filled", "0.5", 3))
    inv.apply(_report("filled", "1", 6))
    inv.apply(ev.BalanceReported("BTC", D("0.5"), D("0.5"), 4))
    inv.apply(ev.BalanceReported("USDT", D(950), D(900), 4))
    assert inv.exposure("BTC") == _x("0.5", "0.5", "1")


def test_live_order_widens_by_its_remaining_quantity_only() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("partially_filled", "0.5", 3))
    inv.apply(ev.BalanceReported("BTC", D("0.5"), D("0.5"), 4))
    inv.apply(ev.BalanceReported("USDT", D(950), D(900), 4))
    assert inv.exposure("BTC") == _x("0.5", "0.5", "1")
    assert inv.exposure("USDT") == _x("900", "950", "950")


def test_fill_message_after_the_covering_report_changes_nothing() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_report("new", "0", 2))
    inv.apply(_report("filled", "1", 3))
    inv.apply(ev.BalanceReported("BTC", D(1), D(1), 4))
    inv.apply(ev.BalanceReported("USDT", D(900), D(900), 4))
    inv.apply(_fill("t1", "1", 3))
    assert inv.exposure("BTC") == _x("1", "1", "1")
    assert inv.balance("USDT").total == D(900)
    assert inv.open_orders() == []


def test_position_report_newer_than_filled_report_closes_the_range() -> None:
    inv = perp()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), kind="linear")
    inv.apply(_report("new", "0", 2, kind="linear"))
    inv.apply(_report("filled", "1", 3, kind="linear"))
    inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 4, "linear"))
    assert inv.exposure("BTCUSDT") == _x("1", "1", "1")


def test_position_report_older_than_filled_report_still_widens() -> None:
    inv = perp()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), kind="linear")
    inv.apply(_report("new", "0", 2, kind="linear"))
    inv.apply(_report("filled", "1", 5, kind="linear"))
    inv.apply(ev.PositionReported("BTCUSDT", D(0), D(0), 4, "linear"))
    assert inv.exposure("BTCUSDT") == _x("0", "0", "1")


# --- orders known only from their fills ------------------------------------------------


def _adl(**over: object) -> ev.FillReported:
    """An exchange-made fill (ADL): no client id; the message states the order's size."""
    fields: dict[str, object] = {
        "symbol": "BTCUSDT",
        "order_id": "adl-1",
        "client_order_id": None,
        "trade_id": "x1",
        "side": "sell",
        "quantity": D("0.5"),
        "price": D(110),
        "fee": D(0),
        "fee_asset": "USDT",
        "version": 3,
        "kind": "linear",
        "realized_pnl": D(5),
        "liquidation": True,
        "order_quantity": D("0.5"),
        "leaves_quantity": D(0),
    }
    fields.update(over)
    return ev.FillReported(**fields)  # type: ignore[arg-type]


def test_fill_with_nothing_left_ends_an_order_known_only_from_it() -> None:
    inv = perp("1", "100")
    inv.apply(_adl())
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.quantity, o.filled_quantity) == ("filled", D("0.5"), D("0.5"))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.5", "0.5")
    inv.apply(ev.PositionReported("BTCUSDT", D("0.5"), D(100), 4))
    inv.apply(ev.BalanceReported("USDT", D(1005), D(1005), 4))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.5", "0.5")
    assert inv.requests() == []


def test_fill_stating_what_is_left_bounds_the_order() -> None:
    # 0.2 of 0.5 filled by this fill and 0.1 left: 0.2 more filled unheard before it.
    inv = perp("1", "100")
    inv.apply(_adl(quantity=D("0.2"), leaves_quantity=D("0.1")))
    o = inv.order("adl-1")
    assert o is not None
    assert (o.status, o.quantity, o.filled_quantity) == ("partially_filled", D("0.5"), D("0.4"))
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.8", "0.8")


def test_order_of_unknown_quantity_is_queried_while_synced() -> None:
    inv = perp("1", "100")
    inv.apply(_adl(order_quantity=None, leaves_quantity=None))
    assert inv.sync_state in ("synced", "settling")
    assert inv.exposure("BTCUSDT").low == D("-Infinity")
    asked = [r for r in inv.requests() if isinstance(r, QueryOrder)]
    assert [(r.order_id, r.symbol) for r in asked] == [("adl-1", "BTCUSDT")]
    assert "quantity" in asked[0].reason
    # The answer (an order report) gives the quantity: the range is finite again.
    inv.apply(
        ev.OrderReported(
            symbol="BTCUSDT",
            order_id="adl-1",
            client_order_id=None,
            side="sell",
            status="filled",
            quantity=D("0.5"),
            price=None,
            filled_quantity=D("0.5"),
            average_price=D(110),
            version=3,
            kind="linear",
            order_type="market",
        )
    )
    assert inv.exposure("BTCUSDT") == _x("0.5", "0.5", "0.5")
    assert [r for r in inv.requests() if isinstance(r, QueryOrder)] == []


def test_order_of_unknown_quantity_is_queried_before_any_snapshot() -> None:
    inv = Inventory([PERP])
    inv.apply(_adl(order_quantity=None, leaves_quantity=None))
    assert inv.sync_state == "unknown"
    asked = [r for r in inv.requests() if isinstance(r, QueryOrder)]
    assert [r.order_id for r in asked] == ["adl-1"]


def test_fill_stating_more_left_than_its_order_is_refused() -> None:
    inv = perp("1", "100")
    before = (inv.position("BTCUSDT"), inv.balance("USDT"), inv.order("adl-1"))
    try:
        inv.apply(_adl(quantity=D("0.2"), leaves_quantity=D("0.4")))
    except ValueError as e:
        assert "leaves_quantity" in str(e)
    else:
        raise AssertionError("a fill whose leaves exceed its order was accepted")
    assert (inv.position("BTCUSDT"), inv.balance("USDT"), inv.order("adl-1")) == before


def test_fill_stating_an_order_smaller_than_its_known_fills_is_refused() -> None:
    inv = perp("1", "100")
    inv.apply(_adl(order_quantity=None, leaves_quantity=None, quantity=D("0.4")))
    before = (inv.position("BTCUSDT"), inv.balance("USDT"), inv.order("adl-1"), inv.requests())
    try:
        inv.apply(_adl(trade_id="x2", quantity=D("0.2"), order_quantity=D("0.5")))
    except ValueError as e:
        assert "order_quantity 0.5" in str(e)
    else:
        raise AssertionError("an order size below its known fills was accepted")
    after = (inv.position("BTCUSDT"), inv.balance("USDT"), inv.order("adl-1"), inv.requests())
    assert after == before


def test_spot_order_known_only_from_a_fill_is_queried_until_its_report() -> None:
    # A spot order's reserve is dated from its report: a fill's stated size is not taken
    # for it, and the order is asked for instead.
    inv = _spot()
    inv.apply(
        ev.FillReported(
            symbol="BTCUSDT",
            order_id="9",
            client_order_id=None,
            trade_id="t1",
            side="buy",
            quantity=D("0.2"),
            price=D(100),
            fee=D(0),
            fee_asset="USDT",
            version=3,
            order_quantity=D(1),
            leaves_quantity=D("0.8"),
        )
    )
    o = inv.order("9")
    assert o is not None and o.quantity is None
    assert [r.order_id for r in inv.requests() if isinstance(r, QueryOrder)] == ["9"]


# --- amended orders and triggered orders -------------------------------------------------

FEE = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT", max_fee_rate=D("0.001"))


def test_amended_buy_widens_the_quote_at_its_new_price_once_reported() -> None:
    # Buy 2 @100 amended to 99; the report at v2 (filled 0) shows 99: no fill came at 100,
    # so every unheard fill is at 99 at most, fee on top: 2 x 99 x 1.001 = 198.198.
    inv = Inventory([FEE])
    inv.apply(
        ev.SnapshotTaken(version=0, balances=(ev.BalanceReported("USDT", D(10000), D(10000), 0),))
    )
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(ev.OrderReported("BTCUSDT", "X1", "c1", "buy", "new", D(2), D(100), D(0), None, 1))
    inv.amend("c1", price=D(99))
    inv.apply(ev.OrderReported("BTCUSDT", "X1", "c1", "buy", "new", D(2), D(99), D(0), None, 2))
    assert inv.exposure("USDT").low == D(10000) - D("198.198")


def test_amended_buy_keeps_the_old_price_for_what_filled_before_its_report() -> None:
    # As above, but the v2 report counts 0.5 filled (unheard): those 0.5 may be at 100.
    inv = Inventory([FEE])
    inv.apply(
        ev.SnapshotTaken(version=0, balances=(ev.BalanceReported("USDT", D(10000), D(10000), 0),))
    )
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(ev.OrderReported("BTCUSDT", "X1", "c1", "buy", "new", D(2), D(100), D(0), None, 1))
    inv.amend("c1", price=D(99))
    inv.apply(
        ev.OrderReported(
            "BTCUSDT", "X1", "c1", "buy", "partially_filled", D(2), D(99), D("0.5"), D(100), 2
        )
    )
    # 0.5 x 100 x 1.001 + 1.5 x 99 x 1.001 = 50.05 + 148.6485
    assert inv.exposure("USDT").low == D(10000) - D("50.05") - D("148.6485")


def test_order_a_trigger_handed_over_to_is_asked_for_until_heard() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), None, conditional=True)
    common = {"symbol": "BTCUSDT", "order_id": "A1", "client_order_id": "c1", "side": "buy"}
    inv.apply(
        ev.OrderReported(
            **common,
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
    asked = [r for r in inv.take_requests() if isinstance(r, QueryOrder)]
    assert [(r.order_id, r.symbol) for r in asked] == [("X2", "BTCUSDT")]
    assert inv.take_requests() == []  # once
    inv.apply(
        ev.OrderReported(
            "BTCUSDT",
            "X2",
            None,
            "buy",
            "filled",
            D(1),
            None,
            D(1),
            D(100),
            3,
            order_type="market",
        )
    )
    # Heard of now: only its missing fills are asked for.
    reasons = [r.reason for r in inv.requests() if isinstance(r, QueryOrder)]
    assert reasons == ["fills missing: reported 1, known 0"]


def test_order_a_trigger_named_that_the_venue_does_not_have_widens_nothing() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    inv.apply(
        ev.OrderReported(
            "BTCUSDT",
            "A1",
            "c1",
            "buy",
            "triggered",
            D(1),
            D(100),
            D(0),
            None,
            2,
            conditional=True,
            triggered_order_id="X2",
        )
    )
    assert inv.exposure("BTC").high == D(1)
    inv.apply(ev.OrderNotFound(client_order_id=None, order_id="X2"))
    assert inv.exposure("BTC") == _x("0", "0", "0")
    assert [r for r in inv.requests() if isinstance(r, QueryOrder)] == []
