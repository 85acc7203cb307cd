"""Fills: how a fill finds, creates and names its order, and what it moves.

The balance and settlement changes of spot and derivative fills, the PnL a fill realizes
(computed, or the venue's figure), what a second copy of a trade adds (fee, fee-room
release, client id, venue PnL) and never counts twice, when changes leave the books and an
order retires, cash changes, position reports, and the exposure ranges around fills.
Values are computed by hand through the public surface.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import Instrument, InvalidEvent, Inventory
from core import events as ev
from core.inventory.state import _fill_after
from core.requests import QueryOrder
from core.views import Balance, Exposure, Position
from tests.core.builders import PERP, D, bal, fill, report, spot

INF = Decimal("Infinity")


FEE = Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=D("0.01"))


def _perp(wallet: str = "1000") -> Inventory:
    """A synced linear-perpetual account: ``wallet`` USDT, flat, at version 1."""
    inv = Inventory([PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", wallet, wallet, 1),)))
    return inv


def _pf(
    tid: str,
    side: str,
    qty: str,
    price: str,
    v: int,
    oid: str = "1",
    *,
    cid: str | None = None,
    fee: str | None = "0",
    pnl: str | None = None,
) -> ev.FillReported:
    """A linear-perpetual fill."""
    return fill(tid, qty, price, v, side=side, oid=oid, cid=cid, kind="linear", fee=fee, pnl=pnl)


def _pos(qty: str, entry: str, v: int, ids: frozenset[str] | None = None) -> ev.PositionReported:
    return ev.PositionReported("BTCUSDT", D(qty), D(entry), v, "linear", ids)


def _fee_spot() -> Inventory:
    """A synced spot account with a fee rate of 1 %: 1000 USDT and 10 BTC at version 1."""
    inv = Inventory([FEE])
    inv.apply(
        ev.SnapshotTaken(
            version=1, balances=(bal("USDT", "1000", "1000", 1), bal("BTC", "10", "10", 1))
        )
    )
    return inv


def _b(total: str, free: str) -> Balance:
    return Balance(total=D(total), free=D(free), locked=D(total) - D(free))


def _linear(wallet: str = "1000") -> Inventory:
    inv = Inventory([PERP])
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", wallet, wallet, 1),)))
    return inv


def _lf(tid: str, side: str, qty: str, price: str, v: int, oid: str) -> ev.FillReported:
    return fill(tid, qty, price, v, side=side, oid=oid, cid=None, kind="linear")


# --- import-time helper ---------------------------------------------------------------------
def test_fill_after_walks_the_fill_machine() -> None:
    # `_fill_after` runs at import to derive two constants; mutmut forks after the import,
    # so only a direct call can observe it (no public surface shows the machine's names).
    assert _fill_after() == "implied"
    assert _fill_after("message") == "reported"
    assert _fill_after("cover", "message") == "settled"


# --- _on_fill: finding, creating and naming the order --------------------------------------
def test_fill_of_an_unknown_instrument_is_refused_by_name() -> None:
    inv = spot()
    with pytest.raises(InvalidEvent) as err:
        inv.apply(fill("T1", "1", "100", 2, symbol="XRPUSDT"))
    assert str(err.value) == "FillReported T1: unknown instrument 'XRPUSDT'"


def test_fill_above_the_order_quantity_names_the_order_by_client_id() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.5", "100", 3))
    with pytest.raises(InvalidEvent) as err:
        inv.apply(fill("T2", "0.75", "100", 4))
    assert str(err.value) == (
        "order c1: fill 0.75 would take filled quantity to 1.25, above the order quantity 1 "
        "(trade id T2)"
    )


def test_filled_order_takes_fills_past_a_lagging_reported_cumulative() -> None:
    # A "filled" report whose cumulative lags (0.5 of 1): the order is filled, so fills up
    # to its quantity are real, unlike for a canceled order (test_reserves).
    inv = _perp()
    inv.apply(report("filled", "0.5", 3, kind="linear"))
    inv.apply(_pf("T1", "buy", "0.5", "100", 3, cid="c1"))
    inv.apply(_pf("T2", "buy", "0.5", "100", 3, cid="c1"))
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.filled_quantity) == ("filled", D(1))
    assert inv.position("BTCUSDT") == Position(D(1), D(100))


def test_order_first_seen_by_fills_is_named_by_their_client_id() -> None:
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2, cid="c9", oid="7", fee="0.1"))
    inv.apply(fill("T2", "0.5", "102", 3, cid="c9", oid="7", fee="0.2"))
    view = inv.order("c9")
    assert view is not None
    assert (view.client_order_id, view.order_id, view.status) == ("c9", "7", "partially_filled")
    # Average: (0.5 x 100 + 0.5 x 102) / 1 = 101; fees add up per asset.
    assert (view.filled_quantity, view.average_price) == (D(1), D(101))
    assert view.fees == (("USDT", D("0.3")),)
    assert inv.order("7") == view


def test_fill_before_any_report_dates_the_intents_reserve_at_the_fill() -> None:
    """The in-flight reserve becomes a change at the fill's version: a report covers it."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.balance("USDT") == _b("10000", "9900")
    inv.apply(fill("T1", "0.5", "100", 2))
    # The venue at v2: 50 spent, 50 still locked for the other half.
    inv.apply(bal("USDT", "9950", "9900", 2))
    assert inv.balance("USDT") == _b("9950", "9900")
    assert inv.balance("BTC") == _b("0.5", "0.5")


def test_fee_of_a_fill_settled_on_arrival_unsettles_it_until_reported() -> None:
    inv = spot()
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "1", "100", 3, fee=None, fee_asset=None))  # covered on arrival
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    inv.apply(fill("T1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    assert inv.balance("BNB") == _b("-0.01", "-0.01")
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 1
    inv.apply(bal("BNB", "0.99", "0.99", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


def test_late_fill_of_a_terminal_order_already_covered_retires_it() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(report("filled", "1", 3, avg="100"))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.stats()["retired_orders"] == 0  # the fill is implied: a query is asked for
    assert [type(r) for r in inv.requests()] == [QueryOrder]
    inv.apply(fill("T1", "1", "100", 3))  # covered on arrival: nothing left pending
    s = inv.stats()
    assert (s["retired_orders"], s["fills"], s["pending_changes"]) == (1, 0, 0)
    assert inv.requests() == []
    assert inv.balance("USDT") == _b("900", "900")


def test_fill_as_old_as_the_snapshot_of_an_order_never_reported_makes_it_unknown() -> None:
    inv = spot()  # complete snapshot at v1
    inv.apply(fill("T1", "0.5", "100", 1, cid=None, oid="7"))
    view = inv.order("7")
    assert view is not None
    assert (view.status, view.quantity, view.filled_quantity) == ("unknown", None, D("0.5"))
    assert inv.requests() == [
        QueryOrder(
            symbol="BTCUSDT", client_order_id=None, order_id="7", reason="order fate unknown"
        )
    ]


def test_fill_completing_an_in_flight_order_older_than_the_snapshot_fills_it() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(
        ev.SnapshotTaken(
            version=5, balances=(bal("USDT", "9900", "9900", 5), bal("BTC", "1", "1", 5))
        )
    )
    inv.apply(fill("T1", "1", "100", 4))  # older than the snapshot, and it completes c1
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.filled_quantity, view.order_id) == ("filled", D(1), "1")
    assert inv.open_orders() == []
    assert inv.balance("USDT") == _b("9900", "9900")


# --- _merge: the second copy of a trade -------------------------------------------------------
def test_full_copy_releases_the_fee_room_in_both_assets() -> None:
    inv = _fee_spot()
    inv.apply(report("new", "0", 2, qty="2", cid="b"))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee=None, fee_asset=None))
    # Room for a fee of 1 %: 2 x 0.01 = 0.02 BTC and 200 x 0.01 = 2 USDT.
    assert inv.balance("BTC") == _b("12", "11.98")
    assert inv.exposure("BTC") == Exposure(D("11.98"), D(12), D(12))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee="0.002", fee_asset="BTC"))
    assert inv.balance("BTC") == _b("11.998", "11.998")
    assert inv.exposure("BTC") == Exposure(D("11.998"), D("11.998"), D("11.998"))
    assert inv.balance("USDT") == _b("800", "800")


def test_fee_copy_already_covered_keeps_the_fill_settled() -> None:
    inv = spot()
    inv.apply(bal("USDT", "899.9", "899.9", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(fill("T1", "1", "100", 3, fee="0.1"))  # the v3 report includes the fee
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    assert inv.balance("USDT") == _b("899.9", "899.9")
    view = inv.order("c1")
    assert view is not None and view.fees == (("USDT", D("0.1")),)


def test_fee_copy_counts_with_the_other_unsettled_fills() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(bal("USDT", "900", "800", 3))  # after T1: 100 spent, 100 locked for the rest
    inv.apply(bal("BTC", "1", "1", 3))
    inv.apply(fill("T1", "1", "100", 3, fee=None, fee_asset=None))  # covered: settled
    inv.apply(fill("T2", "1", "100", 4))  # pending: unsettled
    inv.apply(fill("T1", "1", "100", 3, fee="0.01", fee_asset="BNB"))  # unsettled again
    assert inv.stats()["unsettled_fills"] == 2
    inv.apply(bal("BNB", "-0.01", "-0.01", 4))  # settles T1 only
    assert inv.stats()["unsettled_fills"] == 1 and inv.sync_state == "settling"
    inv.apply(bal("USDT", "800", "800", 4))
    inv.apply(bal("BTC", "2", "2", 4))
    assert inv.stats()["unsettled_fills"] == 0 and inv.sync_state == "synced"


def test_copy_without_the_client_id_keeps_the_orders_client_id() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(fill("T1", "1", "100", 3, cid=None, fee="0.1"))
    view = inv.order("c1")
    assert view is not None
    assert (view.client_order_id, view.order_id) == ("c1", "1")
    assert inv.balance("USDT").total == D("899.9")


def test_derivative_copy_without_pnl_adds_only_its_fee() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 2, fee=None))  # opening: computed PnL 0
    inv.apply(_pf("T1", "buy", "1", "100", 2, fee="0.1"))
    assert inv.balance("USDT") == _b("999.9", "999.9")
    assert inv.position("BTCUSDT") == Position(D(1), D(100))
    assert inv.stats()["pending_changes"] == 1  # the fee only


def test_venue_pnl_of_closes_covered_by_a_flat_report_unsettles_them_until_reported() -> None:
    """A flat report (entry 0) leaves nothing to compute the closes' PnL from.

    The venue's figures come with the full copies: +10 and +20 (long 2 @ 100 closed at
    110 and 120), pending on the v1 wallet until a report lists the trades.
    """
    inv = _perp()
    inv.apply(_pos("0", "0", 3))
    inv.apply(_pf("T1", "sell", "1", "110", 2, oid="1", fee=None))
    inv.apply(_pf("T2", "sell", "1", "120", 3, oid="2", fee=None))
    assert inv.sync_state == "synced" and inv.balance("USDT").total == 1000
    inv.apply(_pf("T1", "sell", "1", "110", 2, oid="1", pnl="10"))
    inv.apply(_pf("T2", "sell", "1", "120", 3, oid="2", pnl="20"))
    assert inv.balance("USDT") == _b("1030", "1030")
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 2
    inv.apply(_pf("T2", "sell", "1", "120", 3, oid="2", pnl="20"))  # a duplicate: no-op
    assert inv.balance("USDT").total == 1030 and inv.stats()["unsettled_fills"] == 2
    inv.apply(ev.BalanceReported("USDT", D(1030), D(1030), 1, frozenset({"T1", "T2"})))
    assert inv.balance("USDT") == _b("1030", "1030")
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


def test_venue_pnl_already_covered_keeps_the_fill_settled() -> None:
    inv = _perp()
    inv.apply(bal("USDT", "1010", "1010", 3))
    inv.apply(_pos("0", "0", 3))
    inv.apply(_pf("T1", "sell", "1", "110", 2, fee=None))
    inv.apply(_pf("T1", "sell", "1", "110", 2, pnl="10"))  # the v3 wallet includes it
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    assert inv.balance("USDT") == _b("1010", "1010")


# --- _spot_fill ---------------------------------------------------------------------------------
def test_sell_fill_of_an_order_never_reported_moves_both_assets() -> None:
    inv = spot("0", btc="2")
    inv.apply(fill("T1", "0.5", "100", 2, side="sell", cid=None, oid="7"))
    assert inv.balance("BTC") == _b("1.5", "1.5")
    assert inv.balance("USDT") == _b("50", "50")


def test_sell_amended_down_after_a_pending_fill_keeps_its_share_unlocked() -> None:
    inv = spot("0", btc="2")
    inv.apply(report("new", "0", 2, side="sell", qty="2"))
    inv.apply(fill("T1", "0.5", "100", 3, side="sell"))
    assert inv.balance("BTC") == _b("1.5", "0")
    inv.apply(report("partially_filled", "0.5", 4, side="sell", qty="1.5", avg="100"))
    # 1.5 - 0.5 filled = 1 BTC still locked; the amend released 0.5.
    assert inv.balance("BTC") == _b("1.5", "0.5")
    inv.apply(report("canceled", "0.5", 5, side="sell", qty="1.5", avg="100"))
    assert inv.balance("BTC") == _b("1.5", "1.5")
    assert inv.balance("USDT") == _b("50", "50")


def test_buy_fee_in_the_base_asset_comes_off_total_and_free() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "1", "100", 3, fee="0.001", fee_asset="BTC"))
    assert inv.balance("BTC") == _b("0.999", "0.999")
    assert inv.balance("USDT") == _b("900", "900")


def test_third_asset_fees_of_two_fills_add_up_and_keep_them_unsettled() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(bal("USDT", "800", "800", 3))
    inv.apply(bal("BTC", "2", "2", 3))
    inv.apply(fill("T1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    inv.apply(fill("T2", "1", "100", 3, fee="0.02", fee_asset="BNB"))
    assert inv.balance("BNB") == _b("-0.03", "-0.03")
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 2
    inv.apply(bal("BNB", "0.97", "0.97", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


def test_report_listing_a_fee_less_trade_covers_its_changes_and_fee_room() -> None:
    inv = _fee_spot()
    inv.apply(report("new", "0", 2, qty="2", cid="b"))
    inv.apply(fill("t1", "2", "100", 5, cid="b", fee=None, fee_asset=None))
    ids = frozenset({"t1"})
    inv.apply(ev.BalanceReported("BTC", D("11.998"), D("11.998"), 4, ids))
    inv.apply(ev.BalanceReported("USDT", D(800), D(800), 4, ids))
    assert inv.balance("BTC") == _b("11.998", "11.998")
    assert inv.balance("USDT") == _b("800", "800")
    assert inv.exposure("BTC") == Exposure(D("11.998"), D("11.998"), D("11.998"))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(fill("t1", "2", "100", 5, cid="b", fee="0.002", fee_asset="BTC"))
    assert inv.balance("BTC") == _b("11.998", "11.998")  # the listed trade's fee too


def test_sell_fill_heard_before_its_order_unlocks_its_share_when_the_order_comes() -> None:
    inv = spot("0", btc="2")
    inv.apply(fill("T1", "0.5", "100", 3, side="sell"))
    inv.apply(report("new", "0", 2, side="sell"))  # sell 1 @ 100 reserved 1 BTC at v2
    # 2 - 0.5 sold = 1.5; the 0.5 still offered is locked.
    assert inv.balance("BTC") == _b("1.5", "1")
    assert inv.balance("USDT") == _b("50", "50")


def test_buy_fill_settles_only_when_both_assets_are_reported() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "1", "100", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 1
    inv.apply(bal("USDT", "900", "900", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


# --- _derivative_fill, _computed_pnl, _refresh_pnl -------------------------------------------
def test_position_report_listing_a_newer_trade_covers_it() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 5))
    assert inv.stats()["pending_position_fills"] == 1
    inv.apply(_pos("1", "100", 4, frozenset({"T1"})))
    assert inv.position("BTCUSDT") == Position(D(1), D(100))
    assert inv.stats()["pending_position_fills"] == 0
    assert inv.sync_state == "synced"


def test_derivative_order_retires_and_settles_when_its_last_fill_is_covered() -> None:
    inv = _perp()
    inv.apply(report("new", "0", 2, kind="linear"))
    inv.apply(_pf("T1", "buy", "0.5", "100", 3, cid="c1"))
    inv.apply(_pf("T2", "buy", "0.5", "100", 4, cid="c1"))
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 2
    inv.apply(_pos("0.5", "100", 3))
    s = inv.stats()
    assert (s["retired_orders"], s["unsettled_fills"], s["pending_position_fills"]) == (0, 1, 1)
    inv.apply(_pos("1", "100", 4))
    s = inv.stats()
    assert (s["retired_orders"], s["unsettled_fills"], s["pending_position_fills"]) == (1, 0, 0)
    assert inv.sync_state == "synced"


def test_derivative_fee_and_venue_pnl_settle_with_the_wallet_report() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 3, fee="0.1"))  # opens: no PnL
    inv.apply(_pf("T2", "sell", "1", "110", 4, oid="2", pnl="9.8"))  # the venue's figure
    # 1000 - 0.1 fee + 9.8 (not the computed 1 x (110 - 100) = 10).
    assert inv.balance("USDT") == _b("1009.7", "1009.7")
    inv.apply(_pos("0", "0", 4))
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 2
    inv.apply(ev.BalanceReported("USDT", D("1009.7"), D("1009.7"), 2, frozenset({"T1", "T2"})))
    assert inv.balance("USDT") == _b("1009.7", "1009.7")
    assert inv.sync_state == "synced" and inv.stats()["pending_changes"] == 0


def test_pending_opening_fills_settle_with_their_position_report() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 2))
    inv.apply(_pf("T2", "buy", "1", "110", 3, oid="2"))
    assert inv.stats()["pending_changes"] == 0  # no fee, no PnL
    inv.apply(_pos("2", "105", 3))
    assert inv.sync_state == "synced" and inv.stats()["pending_changes"] == 0
    assert inv.balance("USDT") == _b("1000", "1000")


def test_earlier_open_arriving_late_realizes_the_close_heard_first() -> None:
    inv = _perp()
    inv.apply(_pf("T2", "sell", "1", "110", 3, oid="2"))  # alone: opens a short, PnL 0
    assert inv.balance("USDT").total == 1000
    inv.apply(_pf("T1", "buy", "1", "100", 2))  # v2: long 1 @ 100, so T2 closed it: +10
    assert inv.balance("USDT") == _b("1010", "1010")
    assert inv.position("BTCUSDT") == Position(D(0), D(0))
    inv.apply(_pos("0", "0", 3))
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 1
    inv.apply(ev.BalanceReported("USDT", D(1010), D(1010), 2, frozenset({"T2"})))
    assert inv.balance("USDT") == _b("1010", "1010")
    assert inv.sync_state == "synced"


def test_a_venue_pnl_fill_first_in_line_does_not_stop_the_recomputation() -> None:
    inv = _perp()
    inv.apply(_pf("T3", "buy", "1", "120", 4, oid="3", pnl="0"))
    inv.apply(_pf("T2", "sell", "1", "110", 3, oid="2"))
    inv.apply(_pf("T1", "buy", "1", "100", 2))
    # In version order: long 1 @ 100, closed at 110 (+10), long 1 @ 120.
    assert inv.balance("USDT").total == 1010
    assert inv.position("BTCUSDT") == Position(D(1), D(120))


def test_fill_after_a_pending_close_computes_from_the_books() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 2))
    inv.apply(_pf("T2", "sell", "0.5", "110", 3, oid="2"))  # 0.5 x 10 = 5
    inv.apply(_pf("T3", "sell", "0.5", "120", 4, oid="3"))  # 0.5 x 20 = 10
    assert inv.balance("USDT").total == 1015
    assert inv.position("BTCUSDT") == Position(D(0), D(0))


# --- exposure ---------------------------------------------------------------------------------
def test_derivative_order_of_unknown_quantity_makes_the_position_unbounded() -> None:
    inv = _perp()
    inv.apply(_pf("T1", "buy", "1", "100", 2, oid="7"))
    assert inv.exposure("BTCUSDT") == Exposure(-INF, D(1), INF)


def test_derivative_orders_widen_the_reported_position() -> None:
    inv = _perp()
    inv.apply(_pos("1", "100", 2))
    inv.apply(report("new", "0", 3, qty="0.5", kind="linear"))
    inv.apply(report("new", "0", 3, qty="0.25", side="sell", cid="c2", oid="2", kind="linear"))
    assert inv.exposure("BTCUSDT") == Exposure(D("0.75"), D(1), D("1.5"))


def test_fully_filled_linked_order_adds_nothing_and_later_orders_still_count() -> None:
    # The copy naming c1 links the venue order to the intent after its fills reached the
    # quantity: nothing of it is left to fill unheard, and it is filled.
    inv = _perp()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_pf("T1", "buy", "1", "100", 2, fee=None))
    inv.apply(_pf("T1", "buy", "1", "100", 2, cid="c1"))
    inv.submit("c2", "BTCUSDT", "buy", D("0.5"), D(100))
    assert inv.exposure("BTCUSDT") == Exposure(D(1), D(1), D("1.5"))


def test_spot_fully_filled_linked_sell_adds_nothing_and_later_orders_still_count() -> None:
    inv = spot("0", btc="2")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 2, side="sell", cid=None, fee=None, fee_asset=None))
    inv.apply(fill("T1", "1", "100", 2, side="sell", cid="c1"))
    assert inv.exposure("USDT") == Exposure(D(100), D(100), D(100))
    inv.submit("c2", "BTCUSDT", "buy", D("0.5"), D(100))
    assert inv.exposure("USDT") == Exposure(D(50), D(100), D(100))
    assert inv.exposure("BTC") == Exposure(D(1), D(1), D("1.5"))


def test_orders_of_other_instruments_do_not_stop_the_exposure_sum() -> None:
    inv = spot()
    inv.submit("e1", "ETHBTC", "buy", D(1), D("0.05"))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.exposure("USDT") == Exposure(D(900), D(1000), D(1000))
    assert inv.exposure("BTC") == Exposure(D("-0.05"), D(0), D(1))


def test_market_buy_reported_with_a_new_quantity_keeps_the_quote_unbounded() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, price=None))
    inv.apply(report("new", "0", 3, price=None, qty="2"))
    assert inv.exposure("USDT") == Exposure(-INF, D(1000), D(1000))
    assert inv.exposure("BTC") == Exposure(D(0), D(0), D(2))


def test_unanswered_amend_to_a_lower_price_keeps_the_higher_in_the_range() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(98))
    assert inv.exposure("USDT") == Exposure(D(9900), D(10000), D(10000))


def test_unknown_asset_is_zero() -> None:
    inv = spot()
    assert inv.balance("XYZ") == Balance(D(0), D(0), D(0))
    assert inv.exposure("XYZ") == Exposure(D(0), D(0), D(0))


# --- cash and position reports ---------------------------------------------------------------
def test_cash_changes_count_once_by_id_else_by_their_amounts() -> None:
    inv = spot()
    for cid in ("d1", "d2", "d1"):
        inv.apply(ev.CashChanged("USDT", D(5), D(5), 3, "deposit", cid))
    assert inv.balance("USDT").total == 1010  # two deposits of 5, one duplicate
    for amount in ("1", "2", "1"):
        inv.apply(ev.CashChanged("USDT", D(amount), D(amount), 3, "funding"))
    assert inv.balance("USDT") == _b("1013", "1013")


def test_idless_cash_changes_of_one_amount_at_two_versions_both_count() -> None:
    # Binance balanceUpdate has no id: two deposits of 5 at v3 and v4 are two changes, and
    # a copy of either (same amount, same version) is one of them again.
    inv = spot()
    for v in (3, 4, 3, 4):
        inv.apply(ev.CashChanged("USDT", D(5), D(5), v, "deposit"))
    assert inv.balance("USDT") == _b("1010", "1010")
    inv.apply(bal("USDT", "1005", "1005", 3))  # includes the first deposit only
    assert inv.balance("USDT") == _b("1010", "1010")
    inv.apply(ev.CashChanged("USDT", D(5), D(5), 4, "deposit"))
    assert inv.balance("USDT") == _b("1010", "1010")


def test_position_report_for_a_spot_kind_is_refused() -> None:
    inv = Inventory([PERP, Instrument("BTCUSDT", "spot", "BTC", "USDT")])
    with pytest.raises(InvalidEvent) as err:
        inv.apply(ev.PositionReported("BTCUSDT", D(1), D(100), 2, "spot"))
    assert str(err.value) == "PositionReported BTCUSDT: spot is not a derivative"
    inv.apply(_pos("1", "100", 2))
    assert inv.position("BTCUSDT") == Position(D(1), D(100))


# --- _drop, _add, _remove: an order retires with its last change -----------------------------
def test_filled_order_retires_only_when_its_last_fill_change_is_covered() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("T1", "1", "100", 3))
    inv.apply(fill("T2", "1", "100", 3))
    inv.apply(bal("BTC", "2", "2", 3))
    inv.apply(bal("USDT", "1000", "800", 2))  # the reserve only
    assert inv.stats()["retired_orders"] == 0  # both fills still pending on USDT
    inv.apply(bal("USDT", "800", "800", 3))
    assert inv.stats()["retired_orders"] == 1
    assert inv.sync_state == "synced"


def test_canceled_order_retires_only_when_its_release_is_covered() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.5", "100", 3))
    inv.apply(report("canceled", "0.5", 4, avg="100"))
    inv.apply(bal("USDT", "1000", "900", 2))
    inv.apply(bal("BTC", "0.5", "0.5", 3))
    inv.apply(bal("USDT", "950", "900", 3))
    assert inv.stats()["retired_orders"] == 0  # the release (v4) is still pending
    assert inv.balance("USDT") == _b("950", "950")
    inv.apply(bal("USDT", "950", "950", 4))
    assert inv.stats()["retired_orders"] == 1


def test_released_fee_room_lets_the_order_retire() -> None:
    inv = _fee_spot()
    inv.apply(report("new", "0", 2, qty="2", cid="b"))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee=None, fee_asset=None))
    inv.apply(fill("t1", "2", "100", 3, cid="b", fee="0.002", fee_asset="BTC"))
    inv.apply(bal("BTC", "11.998", "11.998", 3))
    inv.apply(bal("USDT", "800", "800", 3))
    s = inv.stats()
    assert (s["retired_orders"], s["pending_changes"], s["unsettled_fills"]) == (1, 0, 0)
    assert inv.sync_state == "synced"


# --- core bugs found while writing these tests (fixed) ----------------------------------------
def test_copy_linking_a_completed_intent_fills_it() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 3, cid=None, fee=None, fee_asset=None))
    inv.apply(fill("T1", "1", "100", 3, cid="c1", fee="0.1"))
    view = inv.order("c1")
    assert view is not None
    assert view.status == "filled"  # spec: known fills reaching the quantity fill it
    assert inv.open_orders() == []


def test_reused_client_id_names_the_newest_order_whatever_comes_first() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, oid="A"))
    inv.apply(fill("T1", "1", "100", 3, oid="A"))
    inv.apply(report("filled", "1", 3, oid="A", avg="100"))
    inv.apply(bal("USDT", "9900", "9900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.stats()["retired_orders"] == 1
    inv.apply(fill("T2", "0.25", "100", 5, oid="B"))
    inv.apply(fill("T3", "0.25", "100", 6, oid="B"))
    inv.apply(fill("T2", "0.25", "100", 5, oid="B"))  # a second copy, naming c1 too
    inv.apply(report("partially_filled", "0.5", 6, oid="B", avg="100"))
    view = inv.order("c1")
    assert view is not None
    assert view.order_id == "B"  # spec: a client id names the newest order carrying it


def test_filled_spot_order_with_a_lagging_cumulative_releases_its_reserve_once() -> None:
    inv = spot("10000")
    inv.apply(report("filled", "0.5", 3, avg="100"))  # buy 1 @ 100, reported 0.5 of 1
    inv.apply(fill("T1", "0.5", "100", 3))
    inv.apply(fill("T2", "0.5", "100", 3))  # taken: the order is filled
    # 100 spent, nothing left locked (actual: free 9950, locked -50).
    assert inv.balance("USDT") == _b("9900", "9900")


# --- second messages of a trade (fee, client id, venue PnL) ---------------------------------
def test_fee_from_the_full_copy_counts_once_and_in_the_order_fees() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("t1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(fill("t2", "1", "100", 3, fee=None, fee_asset=None))
    assert inv.balance("USDT").total == 800
    for _ in range(2):
        inv.apply(fill("t1", "1", "100", 3, fee="0.1"))
        inv.apply(fill("t2", "1", "100", 3, fee="0.2"))
    assert inv.balance("USDT").total == D("799.7")
    o = inv.order("c1")
    assert o is not None and o.fees == (("USDT", D("0.3")),)


def test_fee_of_the_full_copy_is_dropped_by_a_report_listing_its_trade() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 5, fee=None, fee_asset=None))
    inv.apply(fill("t1", "1", "100", 5, fee="0.1"))
    # An older report (v4) that lists t1: it includes the trade and its fee.
    inv.apply(ev.BalanceReported("USDT", D("899.9"), D("899.9"), 4, frozenset({"t1"})))
    assert inv.balance("USDT").total == D("899.9")


def test_third_asset_fee_after_settlement_makes_the_fill_unsettled_again() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 3, fee=None, fee_asset=None))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    inv.apply(fill("t1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    assert inv.balance("BNB").total == D("-0.01")
    assert inv.sync_state == "settling" and inv.stats()["unsettled_fills"] == 1
    inv.apply(bal("BNB", "0.99", "0.99", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0
    assert inv.balance("BNB").total == D("0.99")


def test_third_asset_fee_in_the_first_message_settles_with_its_report() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 3, fee="0.01", fee_asset="BNB"))
    inv.apply(ev.BalanceReported("BNB", D("0.99"), D("0.99"), 2, frozenset({"t1"})))
    assert inv.balance("BNB") == inv.balance("BNB").__class__(D("0.99"), D("0.99"), D(0))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "synced" and inv.stats()["unsettled_fills"] == 0


def test_full_copy_with_the_client_id_links_the_venue_order_to_the_intent() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("t1", "1", "100", 3, cid=None, fee=None, fee_asset=None))
    inv.apply(fill("t1", "1", "100", 3, cid="c1", fee="0.1"))
    o = inv.order("c1")
    assert o is not None and o.order_id == "1" and o.filled_quantity == 1
    assert inv.balance("USDT").total == D("899.9")
    assert inv.balance("USDT").free == D("899.9")


def test_venue_pnl_stands_when_a_late_fill_changes_the_computed_one() -> None:
    inv = _linear()
    inv.apply(_lf("t1", "buy", "1", "100", 3, "1"))
    inv.apply(
        fill(
            "t2",
            "1",
            "110",
            4,
            side="sell",
            oid="2",
            cid=None,
            kind="linear",
            fee=None,
            fee_asset=None,
        )
    )
    assert inv.balance("USDT").total == 1010  # computed: 1 x (110 - 100)
    inv.apply(fill("t2", "1", "110", 4, side="sell", oid="2", cid=None, kind="linear", pnl="9.5"))
    assert inv.balance("USDT").total == D("1009.5")
    # A late earlier buy at 90 moves the entry the sell closed against (computed would be
    # 15), but the venue's own 9.5 stands.
    inv.apply(_lf("t0", "buy", "1", "90", 2, "0"))
    assert inv.balance("USDT").total == D("1009.5")
    p = inv.position("BTCUSDT")
    assert (p.quantity, p.entry_price) == (D(1), D(95))


def test_venue_pnl_of_an_opening_fill_is_added_when_nothing_was_computed() -> None:
    inv = _linear()
    inv.apply(
        fill(
            "t1",
            "1",
            "100",
            2,
            side="buy",
            oid="1",
            cid=None,
            kind="linear",
            fee=None,
            fee_asset=None,
        )
    )
    inv.apply(fill("t1", "1", "100", 2, side="buy", oid="1", cid=None, kind="linear", pnl="-0.5"))
    assert inv.balance("USDT").total == D("999.5")
    inv.apply(fill("t1", "1", "100", 2, side="buy", oid="1", cid=None, kind="linear", pnl="-0.5"))
    assert inv.balance("USDT").total == D("999.5")
