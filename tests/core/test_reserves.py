"""Spot reserves around amends, triggers and late fills.

Amends of a spot reserve in and out of order (a balance report inside an amend's window,
a size increase, an amend undone), a triggered conditional derivative order handing its
exposure to the order it became, a fill past an order's final quantity, and a venue order
linked to an intent the bot was canceling. Values are computed by hand.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from core.views import Balance
from tests.core.builders import BTCUSDT, PERP, bal, fill, fingerprint, perp, report, spot, usdt

D = Decimal


def _conditional(status: str, version: int, **kw: object) -> ev.OrderReported:
    args: dict[str, object] = {
        "symbol": "BTCUSDT",
        "order_id": "A1",
        "client_order_id": "c1",
        "side": "buy",
        "status": status,
        "quantity": D(1),
        "price": None,
        "filled_quantity": D(0),
        "average_price": None,
        "version": version,
        "order_type": "market",
        "conditional": True,
    }
    args.update(kw)
    return ev.OrderReported(**args)  # type: ignore[arg-type]


def _open_buy_at_v2() -> Inventory:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    return inv


def test_buy_price_amend_moves_the_reserve_in_order_and_out_of_order() -> None:
    """1 @ 100, amended to 98 (v3), half filled at 98 (v4), canceled (v5)."""
    events: dict[str, ev.Event] = {
        "new": report("new", "0", 2),
        "amend": report("new", "0", 3, price="98"),
        "fill": fill("T1", "0.5", "98", 4),
        "cancel": report("canceled", "0.5", 5, price="98", avg="98"),
    }
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert usdt(inv) == (D(10000), D(9900))
    inv.apply(events["new"])
    assert usdt(inv) == (D(10000), D(9900))
    inv.apply(events["amend"])
    assert usdt(inv) == (D(10000), D(9902))
    inv.apply(events["fill"])
    assert usdt(inv) == (D(9951), D(9902))
    inv.apply(events["cancel"])
    assert usdt(inv) == (D(9951), D(9951))
    for order in (["cancel", "fill", "amend", "new"], ["fill", "cancel", "new", "amend"]):
        other = spot("10000")
        other.submit("c1", "BTCUSDT", "buy", D(1), D(100))
        for name in order:
            other.apply(events[name])
        assert usdt(other) == (D(9951), D(9951))
        view = other.order("c1")
        assert view is not None
        assert (view.price, view.status, view.filled_quantity) == (D(98), "canceled", D("0.5"))


def test_sell_quantity_amend_releases_base() -> None:
    inv = spot("0", btc="2")
    inv.submit("c1", "BTCUSDT", "sell", D(2), D(100))
    inv.apply(report("new", "0", 2, side="sell", qty="2"))
    assert inv.balance("BTC") == Balance(total=D(2), free=D(0), locked=D(2))
    inv.apply(report("new", "0", 3, side="sell", qty="1.5"))
    assert inv.balance("BTC") == Balance(total=D(2), free=D("0.5"), locked=D("1.5"))
    inv.apply(report("canceled", "0", 4, side="sell", qty="1.5"))
    assert inv.balance("BTC") == Balance(total=D(2), free=D(2), locked=D(0))


def test_release_is_dated_at_the_start_of_the_amend_window() -> None:
    """A balance report inside the window may include the release: free reads low, not high."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(bal("USDT", "10000", "9900", 3))  # v3: before the amend (truth: 9900)
    inv.apply(report("new", "0", 5, price="98"))  # amended at v5 (or v3, or v4)
    assert usdt(inv) == (D(10000), D(9900))  # the release is dated v3: taken as covered
    inv.apply(bal("USDT", "10000", "9902", 5))
    assert usdt(inv) == (D(10000), D(9902))


def test_release_before_a_balance_report_counts_once() -> None:
    """The amend at v3 is in the balance report of v4; its own report comes after."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(bal("USDT", "10000", "9902", 4))
    inv.apply(report("new", "0", 3, price="98"))
    assert usdt(inv) == (D(10000), D(9902))


def test_size_increase_is_dated_at_the_end_of_its_window() -> None:
    """OKX may raise an order's size: the extra reserve counts until a report covers it."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 5, qty="2"))
    assert usdt(inv) == (D(10000), D(9800))
    inv.apply(bal("USDT", "10000", "9900", 4))  # before the increase
    assert usdt(inv) == (D(10000), D(9800))
    inv.apply(bal("USDT", "10000", "9800", 5))
    assert usdt(inv) == (D(10000), D(9800))
    inv.apply(report("canceled", "0", 6, qty="2"))
    assert usdt(inv) == (D(10000), D(10000))


def test_amend_undone_splits_the_run_it_lands_in() -> None:
    """Reports at v2 and v6 at 100, one at v4 at 98: amended down, then back up."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 6))
    inv.apply(bal("USDT", "10000", "9902", 4))
    assert usdt(inv) == (D(10000), D(9902))  # v4's report: nothing after it known yet
    inv.apply(report("new", "0", 4, price="98"))
    assert usdt(inv) == (D(10000), D(9900))  # the raise back to 100 is dated v6
    view = inv.order("c1")
    assert view is not None
    assert view.price == D(100)


def test_unheard_fill_may_have_been_at_the_highest_price_the_order_had() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0.5", 4, price="98", avg="100"))  # fills unheard
    exp = inv.exposure("USDT")
    assert exp.low == D(10000) - D("0.5") * D(100)
    assert inv.balance("USDT").free <= D(9950)


def test_venue_order_linked_to_an_intent_with_other_values_dates_the_amend() -> None:
    """Seen first without its client id at a new price, then linked to the bot's intent."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, cid=None, price="98"))
    inv.apply(fill("T1", "0.5", "98", 4, cid="c1"))  # the full copy names the intent
    assert usdt(inv) == (D(9951), D(9902))
    view = inv.order("c1")
    assert view is not None
    assert (view.order_id, view.price, view.filled_quantity) == ("1", D(98), D("0.5"))


def test_intent_canceled_before_its_venue_order_is_linked_stays_pending_cancel() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.cancel("c1")
    inv.apply(report("new", "0", 2, cid=None))
    inv.apply(fill("T1", "0.5", "100", 3, cid="c1"))
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.order_id) == ("pending_cancel", "1")
    assert len(inv.open_orders()) == 1
    assert usdt(inv) == (D(9950), D(9900))


def test_fill_past_the_final_filled_quantity_is_refused_by_name() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0.25", 2, avg="100"))
    with pytest.raises(InvalidEvent) as err:
        inv.apply(fill("T1", "0.5", "100", 2))
    assert str(err.value) == (
        "order c1: fill 0.5 (trade id T1) goes past the final filled quantity 0.25"
    )
    inv.apply(fill("T1", "0.25", "100", 2))  # the true fill is taken
    view = inv.order("c1")
    assert view is not None
    assert view.filled_quantity == D("0.25")


def test_triggered_derivative_order_hands_its_exposure_to_the_new_order() -> None:
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1),),
            positions=(ev.PositionReported("BTCUSDT", D(0), D(0), 1),),
        )
    )
    inv.submit("c1", "BTCUSDT", "buy", D(1), None, conditional=True)
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.high) == (D(0), D(1))
    inv.apply(_conditional("new", 2))
    inv.apply(_conditional("triggered", 3, triggered_order_id="X2"))
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.high) == (D(0), D(1))  # X2 unknown: the trigger still widens
    inv.apply(report("new", "0", 3, cid=None, oid="X2", price=None, qty="1"))
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.high) == (D(0), D(1))  # counted once, by X2
    inv.apply(fill("T1", "1", "100", 4, cid=None, oid="X2", fee_asset=None))
    inv.apply(report("filled", "1", 4, cid=None, oid="X2", price=None, qty="1", avg="100"))
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.expected, exp.high) == (D(1), D(1), D(1))


def test_triggered_sell_widens_the_low_side_until_its_order_is_known() -> None:
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1),),
            positions=(ev.PositionReported("BTCUSDT", D(2), D(100), 1),),
        )
    )
    inv.apply(
        _conditional("triggered", 3, side="sell", client_order_id=None, triggered_order_id="X2")
    )
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.expected, exp.high) == (D(1), D(2), D(2))
    inv.apply(report("new", "0", 3, cid=None, oid="X2", side="sell", price=None, qty="1"))
    exp = inv.exposure("BTCUSDT")
    assert (exp.low, exp.expected, exp.high) == (D(1), D(2), D(2))
    assert BTCUSDT.kind == "spot"


# --- snapshots: what a complete part says about what it omits ----------------------------
def test_complete_balances_zero_an_unlisted_asset_and_partial_ones_keep_it() -> None:
    inv = spot("1000", btc="2")
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "900", "900", 5),)))
    assert inv.balance("BTC") == Balance(total=D(0), free=D(0), locked=D(0))
    assert inv.balance("USDT") == Balance(total=D(900), free=D(900), locked=D(0))
    inv = spot("1000", btc="2")
    inv.apply(
        ev.SnapshotTaken(
            version=5, balances=(bal("USDT", "900", "900", 5),), balances_complete=False
        )
    )
    assert inv.balance("BTC") == Balance(total=D(2), free=D(2), locked=D(0))
    assert inv.balance("USDT").total == D(900)


def test_complete_positions_flatten_an_unlisted_one_and_partial_ones_keep_it() -> None:
    inv = perp("2", "100")
    assert inv.position("BTCUSDT").quantity == D(2)
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "1000", 5),)))
    pos = inv.position("BTCUSDT")
    assert (pos.quantity, pos.entry_price) == (D(0), D(0))
    inv = perp("2", "100")
    inv.apply(
        ev.SnapshotTaken(
            version=5, balances=(bal("USDT", "1000", "1000", 5),), positions_complete=False
        )
    )
    assert inv.position("BTCUSDT").quantity == D(2)


def test_sync_needs_complete_balances_and_positions() -> None:
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=1, balances=(bal("USDT", "1000", "1000", 1),), positions_complete=False
        )
    )
    assert inv.sync_state == "unknown"
    inv.apply(
        ev.SnapshotTaken(
            version=2, balances=(bal("USDT", "1000", "1000", 2),), balances_complete=False
        )
    )
    assert inv.sync_state == "unknown"
    inv.apply(ev.SnapshotTaken(version=3, balances=(bal("USDT", "1000", "1000", 3),)))
    assert inv.sync_state == "synced"
    only_spot = Inventory([BTCUSDT])
    only_spot.apply(ev.SnapshotTaken(version=1, positions_complete=False))
    assert only_spot.sync_state == "synced"  # no derivative: positions cannot be missing


def test_complete_orders_make_an_unlisted_live_order_unknown() -> None:
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 7, cid="c2", oid="2"))  # accepted after the snapshot
    inv.submit("c3", "BTCUSDT", "buy", D(1), D(100))  # still in flight
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "1000", "900", 5),)))
    statuses = {}
    for cid in ("c1", "c2", "c3"):
        view = inv.order(cid)
        assert view is not None
        statuses[cid] = view.status
    assert statuses == {"c1": "unknown", "c2": "open", "c3": "pending_new"}
    queried = [r.client_order_id for r in inv.requests() if hasattr(r, "client_order_id")]
    assert queried == ["c1"]
    # A partial order list says nothing of c2.
    inv.apply(
        ev.SnapshotTaken(
            version=9, balances=(bal("USDT", "1000", "700", 9),), orders_complete=False
        )
    )
    view = inv.order("c2")
    assert view is not None
    assert view.status == "open"


def test_an_older_complete_snapshot_does_not_lower_the_orders_watermark() -> None:
    inv = spot("1000", version=10)  # complete at v10: no open order
    inv.apply(ev.SnapshotTaken(version=4, balances=(bal("USDT", "1000", "1000", 4),)))
    inv.apply(report("new", "0", 7, cid=None, oid="9"))  # older than v10's list
    view = inv.order("9")
    assert view is not None
    assert view.status == "unknown"


def test_snapshot_trades_count_as_fills_once() -> None:
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    t = fill("T1", "1", "100", 3)
    snap = ev.SnapshotTaken(
        version=2,
        balances=(bal("USDT", "1000", "900", 2), bal("BTC", "0", "0", 2)),
        open_orders=(report("new", "0", 2),),
        trades=(t,),
    )
    inv.apply(snap)
    inv.apply(t)
    assert inv.balance("BTC").total == D(1)
    assert usdt(inv) == (D(900), D(900))
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.filled_quantity) == ("filled", D(1))


# --- the bot's own amends ----------------------------------------------------------------
def test_amend_raising_a_buy_reserves_the_extra_until_the_venue_answers() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(103))
    assert usdt(inv) == (D(10000), D(9897))
    assert inv.exposure("USDT").low == D(10000) - D(103)  # it may fill at 103, unheard
    inv.apply(report("new", "0", 3, price="103"))  # the venue took it
    assert usdt(inv) == (D(10000), D(9897))
    inv.apply(bal("USDT", "10000", "9897", 3))
    assert usdt(inv) == (D(10000), D(9897))
    inv.apply(report("canceled", "0", 4, price="103"))
    assert usdt(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 1  # the release, until a report covers it


def test_refused_amend_gives_its_extra_reserve_back() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))  # OKX may raise a size
    assert usdt(inv) == (D(10000), D(9800))
    assert inv.exposure("BTC").high == D(2)
    inv.apply(ev.AmendFailed("c1", "insufficient balance"))
    assert usdt(inv) == (D(10000), D(9900))
    assert inv.exposure("BTC").high == D(1)


def test_amend_that_lowers_the_reserve_waits_for_the_venue() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D("0.5"), price=D(90))
    assert usdt(inv) == (D(10000), D(9900))  # nothing released before the venue says
    inv.apply(report("new", "0", 3, qty="0.5", price="90"))
    assert usdt(inv) == (D(10000), D(9955))


def test_order_ending_before_the_amend_answer_drops_the_extra() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(105))
    inv.apply(report("canceled", "0", 3))
    assert usdt(inv) == (D(10000), D(10000))
    inv.apply(ev.AmendFailed("c1", "order already ended"))
    assert usdt(inv) == (D(10000), D(10000))


@pytest.mark.parametrize(
    ("prepare", "quantity", "price", "message"),
    [
        ("canceled", None, D(99), "amend c1: the order is already canceled"),
        ("filled_half", D("0.5"), None, "amend c1: quantity 0.5 not above the filled quantity 0.5"),
        ("market", None, D(99), "amend c1: a market order has no price to amend"),
    ],
)
def test_impossible_amend_is_refused_by_name_and_changes_nothing(
    prepare: str, quantity: Decimal | None, price: Decimal | None, message: str
) -> None:
    inv = spot("10000")
    if prepare == "market":
        inv.submit("c1", "BTCUSDT", "buy", D(1))
    else:
        inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
        inv.apply(report("new", "0", 2))
    if prepare == "canceled":
        inv.apply(report("canceled", "0", 3))
    if prepare == "filled_half":
        inv.apply(fill("T1", "0.5", "100", 3))
    before = fingerprint(inv)
    with pytest.raises(InvalidEvent) as err:
        inv.amend("c1", quantity=quantity, price=price)
    assert str(err.value) == message
    assert fingerprint(inv) == before
    with pytest.raises(InvalidEvent, match="AmendRequested c1: needs a new quantity or price"):
        inv.amend("c1")


def test_second_amend_before_the_first_is_answered_builds_on_it() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D("0.5"))
    inv.amend("c1", price=D(101))  # the venue amends the 0.5 it has by then
    # A balance report may catch the venue at 0.5 @ 100 (50) before it takes 0.5 @ 101
    # (50.5): that rise is held back at once.
    assert usdt(inv) == (D(10000), D("9899.5"))
    inv.apply(report("new", "0", 3, qty="0.5"))
    inv.apply(report("new", "0", 4, qty="0.5", price="101"))
    assert usdt(inv) == (D(10000), D("9949.5"))
    assert inv.stats()["pending_changes"] == 3  # acceptance and two amends: no intent left


def test_amend_of_an_intent_carries_over_when_its_venue_order_is_linked() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", price=D(101))
    assert usdt(inv) == (D(10000), D(9899))
    inv.apply(report("new", "0", 2, cid=None))  # the venue order, not yet named
    inv.apply(report("new", "0", 2))  # now named: the intent is this order
    assert usdt(inv) == (D(10000), D(9899))
    inv.apply(report("new", "0", 3, price="101"))
    assert usdt(inv) == (D(10000), D(9899))
    assert inv.stats()["live_orders"] == 1


def test_amend_by_exchange_order_id_and_its_refusal() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None, oid="X9"))  # e.g. a triggered algo order
    inv.amend(order_id="X9", price=D(102))
    assert usdt(inv) == (D(10000), D(9898))
    inv.apply(ev.AmendFailed(None, "would cross", order_id="X9"))
    assert usdt(inv) == (D(10000), D(9900))
    with pytest.raises(InvalidEvent, match="amend X8: unknown order"):
        inv.amend(order_id="X8", price=D(1))
    with pytest.raises(InvalidEvent, match="AmendFailed: needs client_order_id or order_id"):
        ev.AmendFailed(None)


def test_only_a_triggered_report_names_the_order_it_became() -> None:
    """A stray ``triggered_order_id`` on a live report is not taken as the hand-over."""
    inv = perp()
    inv.apply(_conditional("new", 2, triggered_order_id="X2"))
    inv.apply(report("new", "0", 3, cid=None, oid="X2", price=None, qty="1"))
    inv.apply(_conditional("triggered", 4))  # triggered, into an order not named
    exp = inv.exposure("BTCUSDT")
    # X2 (an unrelated order) widens by 1, and so does the triggered order: 2.
    assert (exp.low, exp.high) == (D(0), D(2))


def test_fill_newer_than_every_report_unlocks_at_the_lowest_price_in_flight() -> None:
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.apply(fill("T1", "0.5", "98", 4))  # maybe after the amend: unlocks 0.5 * 98
    assert usdt(inv) == (D(9951), D(9900))
    inv.apply(ev.AmendFailed("c1", "refused"))  # it was at 100 after all: unlocks 50
    assert usdt(inv) == (D(9951), D(9901))


def test_fill_as_old_as_a_report_unlocks_at_that_reports_price() -> None:
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.apply(fill("T1", "0.5", "98", 2))  # as old as the v2 report, which shows 100
    assert usdt(inv) == (D(9951), D(9901))


def test_confirmed_amend_prices_a_later_fill_exactly() -> None:
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.apply(fill("T1", "0.5", "98", 4))
    inv.apply(report("partially_filled", "0.5", 3, price="98", avg="98"))  # amended at v3
    assert usdt(inv) == (D(9951), D(9902))  # 0.5 left at 98 reserves 49


def test_chain_of_amends_back_to_the_start_is_answered_by_a_newer_report() -> None:
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(97))
    inv.apply(report("new", "0", 3, price="98"))  # the first amend's report
    assert usdt(inv) == (D(10000), D(9902))
    inv.amend("c1", price=D(100))  # back up: 3 above the least it may reserve (97)
    assert usdt(inv) == (D(10000), D(9899))
    inv.apply(report("new", "0", 5, price="97"))
    assert usdt(inv) == (D(10000), D(9900))
    inv.apply(report("new", "0", 6, price="100"))  # newer than a change: the chain is done
    assert usdt(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 4  # acceptance, two releases, the raise


def test_quantity_amend_of_a_market_sell() -> None:
    inv = spot("0", btc="2")
    inv.submit("c1", "BTCUSDT", "sell", D(2))
    inv.apply(report("new", "0", 2, side="sell", qty="2", price=None))
    inv.amend("c1", quantity=D(1))
    assert inv.balance("BTC") == Balance(total=D(2), free=D(0), locked=D(2))
    inv.apply(report("new", "0", 3, side="sell", qty="1", price=None))
    assert inv.balance("BTC") == Balance(total=D(2), free=D(1), locked=D(1))


def test_amend_events_name_what_they_miss() -> None:
    with pytest.raises(InvalidEvent) as err:
        ev.AmendRequested(None, price=D(1))
    assert str(err.value) == "AmendRequested: needs client_order_id or order_id"
    with pytest.raises(InvalidEvent) as err:
        ev.AmendFailed(None)
    assert str(err.value) == "AmendFailed: needs client_order_id or order_id"
    with pytest.raises(InvalidEvent) as err:
        ev.AmendRequested("c1")
    assert str(err.value) == "AmendRequested c1: needs a new quantity or price"


def test_chain_back_to_the_start_answered_without_an_intermediate_report() -> None:
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(97))
    inv.apply(report("new", "0", 3, price="98"))  # a change was seen (v3)
    inv.amend("c1", price=D(100))
    inv.apply(report("new", "0", 6, price="100"))  # newer than v3: answered
    # 97 was never shown: a balance report may catch the venue there (free 9903) and the
    # timeline would then add only 98 -> 100. The rise from 97 is held back until
    # the report of 97 comes, or a balance report as new as the answer.
    assert usdt(inv) == (D(10000), D(9897))
    inv.apply(report("new", "0", 4, price="97"))
    assert usdt(inv) == (D(10000), D(9900))
    inv = _open_buy_at_v2()
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(97))
    inv.apply(report("new", "0", 3, price="98"))
    inv.amend("c1", price=D(100))
    inv.apply(report("new", "0", 6, price="100"))
    inv.apply(bal("USDT", "10000", "9900", 6))
    assert usdt(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 0


def test_the_largest_rise_along_a_chain_is_held_back() -> None:
    inv = _open_buy_at_v2()
    for price in (95, 99, 96):
        inv.amend("c1", price=D(price))
    # A balance report may catch the venue at 95 and it may then be at 99: 4 held back.
    assert usdt(inv) == (D(10000), D(9896))


def test_amend_refusal_about_an_order_dropped_from_history_is_old_news() -> None:
    inv = Inventory([BTCUSDT], history=1)
    inv.apply(ev.SnapshotTaken(version=1, balances=(bal("USDT", "10000", "10000", 1),)))
    for i, cid in enumerate(("c1", "c2")):
        inv.submit(cid, "BTCUSDT", "buy", D(1), D(100))
        inv.apply(report("canceled", "0", 2 + 2 * i, cid=cid, oid=str(i)))
        inv.apply(bal("USDT", "10000", "10000", 3 + 2 * i))
    assert inv.order("c1") is None
    before = fingerprint(inv)
    inv.apply(ev.AmendFailed("c1", "order gone"))
    assert fingerprint(inv) == before
