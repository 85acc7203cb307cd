"""The hard cases of DESIGN §1-§2, pinned as example tests with hand-computed values."""

from __future__ import annotations

import itertools

import attrs
import pytest

from core import Inventory
from core import events as ev
from core.requests import QueryOrder, ResyncAccount
from tests.core.builders import BTCUSDT, D, bal, fill, report, spot


def test_submit_reserves_and_counts_in_exposure_at_once() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(900), D(100))
    assert inv.exposure("BTC").high == 1
    assert inv.exposure("USDT").low == 900
    assert inv.order("c1") is not None and inv.order("c1").status == "pending_new"  # type: ignore[union-attr]


def test_fill_before_ack_counts_once() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(fill("t1", "0.4", "100", 3))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled" and o.filled_quantity == D("0.4")
    assert inv.balance("BTC").total == D("0.4")
    assert inv.balance("USDT").total == 960 and inv.balance("USDT").free == 900
    inv.apply(report("new", "0", 2))  # the late acknowledgement
    inv.apply(report("partially_filled", "0.4", 3))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled" and o.filled_quantity == D("0.4")
    assert inv.balance("BTC").total == D("0.4")
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(960), D(900), D(60))
    # The venue's balance reports agree: nothing is counted twice once they cover it.
    inv.apply(bal("USDT", "960", "900", 3))
    inv.apply(bal("BTC", "0.4", "0.4", 3))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(960), D(900), D(60))
    assert inv.balance("BTC").total == D("0.4")
    assert inv.sync_state == "synced"


def test_balance_report_before_its_fill_message() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(bal("USDT", "900", "900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.balance("BTC").total == 1 and inv.balance("USDT").total == 900
    inv.apply(
        fill("t1", "1", "100", 3)
    )  # covered already: counts in the order, not again in balances
    inv.apply(report("filled", "1", 3, avg="100"))
    assert inv.balance("BTC").total == 1
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(900), D(900), D(0))
    o = inv.order("c1")
    assert (
        o is not None and o.status == "filled" and o.filled_quantity == 1 and o.average_price == 100
    )
    assert inv.sync_state == "synced"


def test_same_fill_from_stream_and_from_rest_snapshot() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "1", "100", 3, fee="0.001", fee_asset="BTC"))
    inv.apply(report("filled", "1", 3, avg="100"))
    assert inv.balance("BTC").total == D("0.999")
    snap = ev.SnapshotTaken(
        version=3,
        balances=(bal("USDT", "900", "900", 3), bal("BTC", "0.999", "0.999", 3)),
        trades=(fill("t1", "1", "100", 3, fee="0.001", fee_asset="BTC"),),
    )
    inv.apply(snap)
    inv.apply(snap)
    inv.apply(fill("t1", "1", "100", 3, fee="0.001", fee_asset="BTC"))
    assert inv.balance("BTC").total == D("0.999")
    assert inv.balance("USDT").total == 900
    o = inv.order("c1")
    assert o is not None and o.filled_quantity == 1 and o.fees == (("BTC", D("0.001")),)


def test_snapshot_trade_before_stream_fill_counts_once() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(bal("USDT", "1000", "900", 2), bal("BTC", "0", "0", 2)),
            open_orders=(report("new", "0", 2),),
        )
    )
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            trades=(fill("t1", "1", "100", 3),),
            balances_complete=False,
            orders_complete=False,
        )
    )
    inv.apply(fill("t1", "1", "100", 3))
    assert inv.balance("BTC").total == 1 and inv.balance("USDT").total == 900


def test_cancel_report_before_late_partial_fill_report() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("canceled", "0.4", 4, avg="100"))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled" and o.filled_quantity == D("0.4")
    assert o.remaining_quantity == 0
    # The fill is implied by the cumulative quantity: exposure covers it until it arrives.
    assert inv.exposure("BTC").high == D("0.4") and inv.balance("BTC").total == 0
    assert any(isinstance(r, QueryOrder) for r in inv.requests())
    inv.apply(report("partially_filled", "0.4", 3, avg="100"))
    inv.apply(fill("t1", "0.4", "100", 3))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled" and o.filled_quantity == D("0.4")
    assert inv.balance("BTC").total == D("0.4")
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(960), D(960), D(0))
    assert not inv.requests()


def test_duplicate_terminal_reports_release_once() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    for _ in range(3):
        inv.apply(report("canceled", "0", 3))
    inv.apply(report("new", "0", 2))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(1000), D(0))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled"
    assert inv.open_orders() == []


def test_order_vanished_from_open_orders_snapshot_is_unknown_until_settled() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    o = inv.order("c1")
    assert o is not None and o.status == "unknown"
    assert inv.exposure("BTC").high == 1  # it may still have filled
    taken = inv.take_requests()
    assert [type(r) for r in taken] == [QueryOrder]
    assert inv.take_requests() == []  # asked once
    inv.apply(report("canceled", "0", 4))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled"
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(1000), D(0))


def test_submission_timeout_then_late_ack() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(ev.SubmissionTimedOut("c1", "HTTP 503"))
    o = inv.order("c1")
    assert o is not None and o.status == "unknown"
    assert inv.balance("USDT").free == 900  # still reserving
    assert inv.exposure("BTC").high == 1  # still inside the exposure range
    assert inv.take_requests() == [QueryOrder("BTCUSDT", "c1", None, "order fate unknown")]
    inv.apply(report("new", "0", 2))
    o = inv.order("c1")
    assert o is not None and o.status == "open"
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(900), D(100))


def test_submission_timeout_then_not_found_is_rejected_and_releases() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(ev.SubmissionTimedOut("c1", "-1007"))
    inv.apply(ev.OrderNotFound("c1"))
    o = inv.order("c1")
    assert o is not None and o.status == "rejected"
    assert inv.balance("USDT").free == 1000 and inv.exposure("BTC").high == 0


def test_definite_rejection_releases_the_reserve() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(ev.SubmissionFailed("c1", "-2010 insufficient balance"))
    o = inv.order("c1")
    assert o is not None and o.status == "rejected"
    assert inv.balance("USDT").free == 1000 and inv.exposure("USDT").low == 1000


def test_foreign_order_adopted_from_snapshot() -> None:
    inv = Inventory([BTCUSDT])
    inv.apply(
        ev.SnapshotTaken(
            version=5,
            balances=(bal("USDT", "0", "0", 5), bal("BTC", "1", "0.5", 5)),
            open_orders=(
                report("new", "0", 4, cid="web_1", oid="9", side="sell", qty="0.5", price="200"),
            ),
        )
    )
    o = inv.order("9")
    assert o is not None and o.status == "open" and o.client_order_id == "web_1"
    assert inv.order("web_1") == o
    assert inv.balance("BTC") == inv.balance("BTC").__class__(D(1), D("0.5"), D("0.5"))
    assert inv.exposure("BTC").low == D("0.5")
    inv.apply(fill("t9", "0.5", "200", 6, cid="web_1", oid="9", side="sell"))
    assert inv.balance("BTC") == inv.balance("BTC").__class__(D("0.5"), D("0.5"), D(0))
    assert inv.balance("USDT").total == 100
    o = inv.order("9")
    assert o is not None and o.status == "filled"


def test_double_buy_scenario_step_by_step() -> None:
    """DESIGN §1: the order-filled message arrives before the balance update."""
    inv = spot()
    truth_btc = D(0)
    steps: list[str] = []

    def check(step: str) -> None:
        steps.append(step)
        e = inv.exposure("BTC")
        assert e.low <= truth_btc <= e.high, (step, e, truth_btc)
        # The strategy's check: it must never want to buy again.
        assert e.high >= 1, step

    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    check("submitted")
    inv.apply(report("new", "0", 2))
    check("acknowledged")
    truth_btc = D(1)  # the venue fills it now; no message has arrived yet
    check("filled at the venue, unheard")
    inv.apply(report("filled", "1", 3, avg="100"))
    # A naive tracker now sees no open order and no BTC: it would buy again.
    assert inv.open_orders() == [] and inv.balance("BTC").total == 0
    check("order-filled report, no fill message, no balance")
    inv.apply(fill("t1", "1", "100", 3))
    check("fill message")
    assert inv.balance("BTC").total == 1
    inv.apply(bal("BTC", "1", "1", 3))
    inv.apply(bal("USDT", "900", "900", 3))
    check("balance reports")
    assert inv.exposure("BTC") == inv.exposure("BTC").__class__(D(1), D(1), D(1))
    assert len(steps) == 6


@pytest.mark.parametrize("order", list(itertools.permutations(range(5))))
def test_every_arrival_order_of_one_fill_converges(order: tuple[int, ...]) -> None:
    msgs: list[ev.Event] = [
        report("new", "0", 2),
        fill("t1", "1", "100", 3, fee="0.1", fee_asset="USDT"),
        report("filled", "1", 3, avg="100"),
        bal("USDT", "899.9", "899.9", 3),
        bal("BTC", "1", "1", 3),
    ]
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    for i in order:
        inv.apply(msgs[i])
        inv.apply(msgs[i])
        assert inv.exposure("BTC").high >= 1
        assert inv.balance("USDT").free <= D("899.9") or inv.balance("USDT").free <= 900
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D("899.9"), D("899.9"), D(0))
    assert inv.balance("BTC").total == 1
    o = inv.order("c1")
    assert o is not None and o.status == "filled" and o.fees == (("USDT", D("0.1")),)
    assert inv.sync_state == "synced"


def test_fee_in_third_asset_moves_that_asset() -> None:
    inv = spot()
    inv.apply(bal("BNB", "1", "1", 1))
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(fill("t1", "1", "99", 3, fee="0.01", fee_asset="BNB"))
    assert inv.balance("BNB").total == D("0.99")
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(901), D(901), D(0))


def test_sell_fee_in_quote_and_better_price_fill() -> None:
    inv = spot(usdt="0", btc="2")
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="sell", quantity=D(2), price=D(100))
    assert inv.balance("BTC") == inv.balance("BTC").__class__(D(2), D(0), D(2))
    inv.apply(fill("t1", "1", "101", 3, side="sell", fee="0.101", fee_asset="USDT"))
    assert inv.balance("BTC") == inv.balance("BTC").__class__(D(1), D(0), D(1))
    assert inv.balance("USDT").total == D("100.899")
    assert inv.exposure("BTC").low == 0


def test_stream_break_makes_stale_and_snapshot_restores() -> None:
    inv = spot()
    assert inv.sync_state == "synced"
    inv.apply(ev.StreamDisconnected("user", "listenKeyExpired"))
    assert inv.sync_state == "stale"
    assert inv.take_requests() == [ResyncAccount("account is stale")]
    assert inv.sync_state == "resyncing"
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "1000", "1000", 1),)))
    assert inv.sync_state == "synced"


def test_unknown_until_first_complete_snapshot() -> None:
    inv = Inventory([BTCUSDT])
    inv.apply(bal("USDT", "5", "5", 1))
    assert inv.sync_state == "unknown"
    assert inv.requests() == [ResyncAccount("account is unknown")]
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "5", "5", 1),)))
    assert inv.sync_state == "synced"


def test_settling_while_a_fill_is_uncovered() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(fill("t1", "1", "100", 3))
    assert inv.sync_state == "settling"
    inv.apply(bal("USDT", "900", "900", 3))
    assert inv.sync_state == "settling"  # BTC not covered yet
    inv.apply(bal("BTC", "1", "1", 3))
    assert inv.sync_state == "synced"


def test_stale_balance_report_never_overwrites_newer() -> None:
    inv = spot()
    inv.apply(bal("USDT", "700", "700", 9))
    inv.apply(bal("USDT", "1000", "1000", 5))
    assert inv.balance("USDT").total == 700


def test_cash_changes_dedup_by_id_and_by_value() -> None:
    inv = spot()
    dep = ev.CashChanged("USDT", D(50), D(50), 4, "deposit", "d1")
    inv.apply(dep)
    inv.apply(dep)
    assert inv.balance("USDT").total == 1050
    inv.apply(bal("USDT", "1050", "1050", 4))
    inv.apply(dep)
    assert inv.balance("USDT").total == 1050
    lock = ev.CashChanged("USDT", D(0), D(-10), 5, "external lock")
    inv.apply(lock)
    inv.apply(lock)
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1050), D(1040), D(10))


def test_amend_changes_the_reserve() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(2), price=D(100))
    inv.apply(report("new", "0", 2, qty="2"))
    assert inv.balance("USDT").free == 800
    inv.apply(report("new", "0", 3, qty="1"))  # amended down
    assert inv.balance("USDT").free == 900
    inv.apply(report("new", "0", 2, qty="2"))  # the stale pre-amend copy changes nothing
    assert inv.balance("USDT").free == 900
    inv.apply(bal("USDT", "1000", "900", 3))
    assert inv.balance("USDT").free == 900


def test_client_id_reused_after_terminal_does_not_collide() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("canceled", "0", 2))
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(90))
    inv.apply(report("new", "0", 3, oid="2", price="90"))
    first, second = inv.order("1"), inv.order("2")
    assert first is not None and first.status == "canceled"
    assert second is not None and second.status == "open" and second.price == 90
    assert inv.order("c1") == second
    assert inv.balance("USDT").free == 910


def test_exchange_made_orders_without_client_id_are_keyed_by_exchange_id() -> None:
    inv = spot(btc="1")
    inv.apply(report("filled", "0.5", 5, cid=None, oid="L1", side="sell", qty="0.5", price="90"))
    inv.apply(report("filled", "0.5", 6, cid=None, oid="L2", side="sell", qty="0.5", price="80"))
    inv.apply(fill("x1", "0.5", "90", 5, cid=None, oid="L1", side="sell"))
    inv.apply(fill("x2", "0.5", "80", 6, cid=None, oid="L2", side="sell"))
    assert inv.balance("BTC").total == 0 and inv.balance("USDT").total == 1085
    a, b = inv.order("L1"), inv.order("L2")
    assert a is not None and b is not None and a.average_price == 90 and b.average_price == 80


def test_fill_without_client_id_then_report_links_the_local_intent() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(fill("t1", "1", "100", 3, cid=None, oid="7"))  # e.g. from myTrades: no client id
    inv.apply(report("filled", "1", 3, oid="7", avg="100"))
    o = inv.order("c1")
    assert o is not None and o.status == "filled" and o.order_id == "7"
    assert inv.open_orders() == []
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(900), D(900), D(0))
    assert inv.exposure("BTC") == inv.exposure("BTC").__class__(D(1), D(1), D(1))


def test_conditional_order_reserves_once_live_under_the_same_id() -> None:
    inv = spot(btc="1")
    cond = ev.OrderReported(
        symbol="BTCUSDT",
        order_id="5",
        client_order_id="s1",
        side="sell",
        status="new",
        quantity=D("0.1"),
        price=D(90),
        filled_quantity=D(0),
        average_price=None,
        version=2,
        conditional=True,
    )
    inv.apply(cond)
    assert inv.balance("BTC").free == 1 and inv.exposure("BTC").low == D("0.9")
    inv.apply(attrs.evolve(cond, version=3, conditional=False))
    assert inv.balance("BTC") == inv.balance("BTC").__class__(D(1), D("0.9"), D("0.1"))
    inv.apply(cond)  # the stale untriggered copy changes nothing
    assert inv.balance("BTC").free == D("0.9")


def test_snapshot_with_no_complete_part_does_not_resync() -> None:
    inv = spot()
    inv.apply(ev.StreamDisconnected("user", "eventStreamTerminated"))
    inv.apply(
        ev.SnapshotTaken(
            version=5,
            trades=(),
            balances_complete=False,
            orders_complete=False,
            positions_complete=False,
        )
    )
    assert inv.sync_state == "stale"


def test_market_sell_reserves_its_base() -> None:
    inv = spot(btc="1")
    inv.submit(client_order_id="m1", symbol="BTCUSDT", side="sell", quantity=D("0.5"))
    assert inv.balance("BTC").free == D("0.5")
    assert inv.exposure("USDT").high == D("Infinity")


def test_stale_report_does_not_revive_an_order_a_snapshot_dropped() -> None:
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(ev.SnapshotTaken(version=6, balances=(bal("USDT", "960", "960", 6),)))
    inv.apply(report("partially_filled", "0.4", 3, avg="100"))  # older than the snapshot
    inv.apply(fill("t1", "0.4", "100", 3))
    o = inv.order("c1")
    assert o is not None and o.status == "unknown"
    assert [type(r).__name__ for r in inv.requests()] == ["QueryOrder"]
    inv.apply(report("canceled", "0.4", 5, avg="100"))
    o = inv.order("c1")
    assert o is not None and o.status == "canceled" and o.filled_quantity == D("0.4")
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(960), D(960), D(0))
