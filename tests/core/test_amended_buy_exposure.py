"""Quote exposure of an amended spot buy: which unheard fills may be at an older price.

Fills up to the first report of the order's current values may be at any price it had
before (the highest one bounds them); fills after that report are at the current price.
The venue's count in that report (minus fills heard up to it) is how many may be early.
Figures: quantity x price x (1 + max fee rate 0.001), worked by hand.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev

D = Decimal
FEE = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT", max_fee_rate=D("0.001"))


def _inv(snapshot: bool = True) -> Inventory:
    inv = Inventory([FEE])
    if snapshot:
        inv.apply(
            ev.SnapshotTaken(
                version=0, balances=(ev.BalanceReported("USDT", D(10000), D(10000), 0),)
            )
        )
    return inv


def _report(status: str, price: int, cum: str, v: int) -> ev.OrderReported:
    return ev.OrderReported(
        "BTCUSDT", "X1", "c1", "buy", status, D(2), D(price), D(cum), D(99) if D(cum) else None, v
    )


def test_twice_amended_buy_bounds_the_early_fills_by_the_count_at_its_current_values() -> None:
    # Buy 2 @100 (v1), amended to 99 (v2), then to 98: the v3 report at 98 counts 0.5, of
    # which 0.2 is heard (@98, v3). So 0.3 unheard may be early (at 100 at most) and the
    # other 1.5 left are at 98: 0.3 x 100 x 1.001 + 1.5 x 98 x 1.001 = 30.03 + 147.147.
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(_report("new", 100, "0", 1))
    inv.amend("c1", price=D(99))
    inv.apply(_report("new", 99, "0", 2))
    inv.amend("c1", price=D(98))
    inv.apply(ev.FillReported("BTCUSDT", "X1", "c1", "t1", "buy", D("0.2"), D(98), D(0), "USDT", 3))
    inv.apply(_report("partially_filled", 98, "0.5", 3))
    total = D(10000) - D("0.2") * 98
    assert inv.exposure("USDT").low == total - D("30.03") - D("147.147")


def test_buy_amended_before_its_first_report_at_version_zero() -> None:
    # No balance known: 0.5 counted at v0 (the first report, at 99) may be at 100, the
    # 1.5 left at 99: 0.5 x 100 x 1.001 + 1.5 x 99 x 1.001 = 50.05 + 148.6485.
    inv = _inv(snapshot=False)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(99))
    inv.apply(_report("partially_filled", 99, "0.5", 0))
    assert inv.exposure("USDT").low == -(D("50.05") + D("148.6485"))


def test_balance_report_including_the_early_fills_leaves_only_the_rest_at_the_current_price() -> (
    None
):
    # Buy 2 @100 (v1), amended to 99: the v2 report counts 0.5 filled (unheard). The
    # balance at v3 includes those 0.5; the 1.5 left can only fill after v2, at 99:
    # low = 9950 - 1.5 x 99 x 1.001 = 9950 - 148.6485.
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(_report("new", 100, "0", 1))
    inv.amend("c1", price=D(99))
    inv.apply(_report("partially_filled", 99, "0.5", 2))
    inv.apply(ev.BalanceReported("USDT", D(9950), D(9950), 3))
    assert inv.exposure("USDT").low == D(9950) - D("148.6485")


def test_buy_triggered_under_its_id_and_heard_live_earlier_widens_at_its_price() -> None:
    # A stop buy 1 @100 triggered under its own id (Bybit): live at v5, then a late
    # report shows it live already at v4 with the same values. Its one run of values
    # bounds every unheard fill at 100: 1000 - 1 x 100 (no fee rate here).
    spot = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
    inv = Inventory([spot])
    inv.apply(
        ev.SnapshotTaken(version=1, balances=(ev.BalanceReported("USDT", D(1000), D(1000), 1),))
    )
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    for v, conditional in ((2, True), (5, False), (4, False)):
        inv.apply(
            ev.OrderReported(
                "BTCUSDT",
                "A1",
                "c1",
                "buy",
                "new",
                D(1),
                D(100),
                D(0),
                None,
                v,
                conditional=conditional,
            )
        )
    assert inv.exposure("USDT").low == D(900)
    assert inv.balance("USDT").locked == D(100)


def test_later_reports_of_the_current_values_do_not_move_the_first_one() -> None:
    # Buy 2 @100 amended to 99 in flight; the first report at 99 (v5) counts 0.5, which
    # the fill heard at v4 is. A later report at 99 (v8) counts 1.5: those fills came
    # after v5, so at 99. Unheard: 1.5 (1 filled, 0.5 left), all at 99:
    # low = (10000 - 0.5 x 99) - 1.5 x 99 x 1.001 = 9950.5 - 148.6485.
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(99))
    inv.apply(_report("partially_filled", 99, "0.5", 5))
    inv.apply(ev.FillReported("BTCUSDT", "X1", "c1", "t0", "buy", D("0.5"), D(99), D(0), "USDT", 4))
    inv.apply(_report("partially_filled", 99, "1.5", 8))
    assert inv.exposure("USDT").low == D("9950.5") - D("148.6485")


def test_order_linked_to_its_intent_late_keeps_the_submitted_price_for_early_fills() -> None:
    # The bot sent buy 2 @100 and amended it to 99. The venue's first report (v3, no
    # client id) shows 99 with 0.5 filled; the intent is linked at v4. The 0.5 may have
    # filled at 100, before the amend: reserve 0.5 x 100 + 1.5 x 99 = 198.5, and
    # low = 10000 - (0.5 x 100 + 1.5 x 99) x 1.001 = 10000 - 198.6985.
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(99))

    def report(cid: str | None, v: int) -> ev.OrderReported:
        return ev.OrderReported(
            "BTCUSDT", "X1", cid, "buy", "partially_filled", D(2), D(99), D("0.5"), D(99), v
        )

    inv.apply(report(None, 3))
    inv.apply(report("c1", 4))
    assert inv.balance("USDT").locked == D("198.5")
    assert inv.exposure("USDT").low == D(10000) - D("198.6985")


def test_balance_report_older_than_the_current_values_covers_only_its_own_early_fills() -> None:
    # Buy 2 @100: the v2 report counts 0.3 (unheard), the balance at v3 includes them.
    # Amended to 99, the v5 report (first at 99) counts 0.8: the 0.5 between v3 and v5
    # may be at 100, the 1.2 left at 99 only: 9970 - 0.5 x 100 x 1.001 - 1.2 x 99 x 1.001.
    inv = _inv()
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(_report("new", 100, "0", 1))
    inv.apply(_report("partially_filled", 100, "0.3", 2))
    inv.apply(ev.BalanceReported("USDT", D(9970), D(9800), 3))
    inv.amend("c1", price=D(99))
    inv.apply(_report("partially_filled", 99, "0.8", 5))
    assert inv.exposure("USDT").low == D(9970) - D("50.05") - D("118.9188")
