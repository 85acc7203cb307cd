"""Order reports in any order: status, filled quantity, and the timeline of values they draw.

A first report without a snapshot is live; reports as old as a snapshot that dropped the
order say nothing; known fills reaching a quantity learnt later make the order filled;
reports of old values keep an amend in flight; an older report dates a run for a later
amend; reports in descending versions, ``rejected`` after fills, triggered and
conditional orders. Covers ``core.inventory.timeline``. Values are computed by hand
through the public surface.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import Inventory
from core import events as ev
from core.requests import QueryOrder
from core.views import Exposure
from tests.core.builders import BTCUSDT, D, bal, fill, order_view, perp, report, spot, usdt


def _usdt_late(inv: Inventory) -> tuple[Decimal, Decimal, Decimal]:
    b = inv.balance("USDT")
    return b.total, b.free, inv.exposure("USDT").low


def _rep(status: str, version: int, **kw: object) -> ev.OrderReported:
    """A venue report of order 7 (1 BTC at 100 unless told), with any extra fields."""
    fields: dict[str, object] = {
        "symbol": "BTCUSDT",
        "order_id": "7",
        "client_order_id": None,
        "side": "buy",
        "status": status,
        "quantity": D(1),
        "price": D(100),
        "filled_quantity": D(0),
        "average_price": None,
        "version": version,
        "order_type": "limit",
    }
    fields.update(kw)
    return ev.OrderReported(**fields)  # type: ignore[arg-type]


def _chain_back(inv: Inventory) -> None:
    """c1 (buy 1 at 100, live at v2), amended to 103 and then back to 100, both in flight."""
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2, oid="1"))
    inv.amend("c1", price=D(103))
    inv.amend("c1", price=D(100))
    assert _usdt_late(inv) == (D(1000), D(897), D(897))


def _usdt_pending(inv: Inventory) -> tuple[Decimal, Decimal, Decimal, int]:
    return (*_usdt_late(inv), inv.stats()["pending_changes"])


def _usdt_full(inv: Inventory) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
    b = inv.balance("USDT")
    return b.total, b.free, b.locked, inv.exposure("USDT").low, inv.stats()["pending_changes"]


# --- order reports ------------------------------------------------------------------------
def test_first_report_without_any_snapshot_is_live() -> None:
    """No complete open-orders list yet: a report at version 0 or 1 is news, not old."""
    inv = Inventory([BTCUSDT])
    inv.apply(report("new", "0", 1, cid=None, oid="9"))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1, oid="2"))
    assert (order_view(inv, "9").status, order_view(inv, "c1").status) == ("open", "open")


def test_a_report_with_fills_makes_the_order_partially_filled() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0.5", 2, avg="100"))
    assert order_view(inv, "c1").status == "partially_filled"


def test_report_as_old_as_the_snapshot_that_dropped_the_order_says_nothing() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "9900", 5),)))
    assert order_view(inv, "c1").status == "unknown"
    inv.apply(report("new", "0", 5))
    assert order_view(inv, "c1").status == "unknown"
    inv.apply(report("new", "0", 6))
    assert order_view(inv, "c1").status == "open"


def test_order_accepted_at_the_snapshot_version_and_not_listed_is_unknown() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 5))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "9900", 5),)))
    assert order_view(inv, "c1").status == "unknown"


def test_listed_order_takes_an_older_fill_report_after_the_snapshot() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(
        ev.SnapshotTaken(
            version=5,
            balances=(bal("USDT", "10000", "9900", 5),),
            open_orders=(report("new", "0", 5),),
        )
    )
    inv.apply(report("partially_filled", "0.5", 4, avg="100"))
    assert order_view(inv, "c1").status == "partially_filled"


@pytest.mark.parametrize("status", ["new", "partially_filled"])
def test_known_fills_reaching_a_quantity_learnt_later_make_the_order_filled(status: str) -> None:
    inv = spot("10000")
    inv.apply(fill("T1", "1", "100", 3, cid=None, oid="7"))
    assert order_view(inv, "7").status == "partially_filled"  # quantity still unknown
    inv.apply(report(status, "0", 2, cid=None, oid="7"))
    assert order_view(inv, "7").status == "filled"


def test_report_counting_the_whole_quantity_makes_the_order_filled() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "1", 2, avg="100"))
    assert order_view(inv, "c1").status == "filled"


def test_fills_reported_but_unheard_ask_for_a_query_only_once_terminal() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("partially_filled", "0.5", 2, avg="100"))
    assert inv.requests() == []
    # Canceled (reported with nothing filled), then a later copy counts 0.5 filled.
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0", 2))
    assert inv.requests() == []
    inv.apply(report("canceled", "0.5", 2, avg="100"))
    assert [r.reason for r in inv.requests() if isinstance(r, QueryOrder)] == [
        "fills missing: reported 0.5, known 0"
    ]


def test_a_report_with_the_old_values_keeps_an_amend_in_flight() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(103))
    assert usdt(inv) == (D(10000), D(9897))
    inv.apply(report("new", "0", 2))  # a copy of the old report: no answer yet
    assert usdt(inv) == (D(10000), D(9897))


def test_a_later_report_with_another_client_id_does_not_rename_the_order() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("canceled", "0", 3, cid="c9"))  # e.g. the cancel request's own id
    assert order_view(inv, "1").client_order_id == "c1"
    assert inv.order("c9") is None


def test_an_older_report_of_a_venue_order_dates_its_run_for_a_later_amend() -> None:
    """A venue order reported at v5, then at v3 (same values), then amended (v7 at 98)."""
    inv = spot("10000")
    inv.apply(report("new", "0", 5, cid=None, oid="9"))
    inv.apply(report("new", "0", 3, cid=None, oid="9"))
    inv.apply(report("new", "0", 7, cid=None, oid="9", price="98"))
    assert usdt(inv) == (D(10000), D(9902))
    assert order_view(inv, "9").price == D(98)


def test_a_repeated_report_of_the_amended_values_extends_their_run() -> None:
    """100 (v2), 98 (v3 and v5), 96 (v7): the second amend happened after v5."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, price="98"))
    inv.apply(report("new", "0", 5, price="98"))
    inv.apply(report("new", "0", 7, price="96"))
    inv.apply(bal("USDT", "10000", "9902", 5))  # v5: reserving 98
    # The release of 2 (98 -> 96) is dated v6, after the report: 9902 + 2.
    assert usdt(inv) == (D(10000), D(9904))


def test_reports_in_descending_versions_keep_the_order_open() -> None:
    """v5, then v3, then v2 with the same values: each older one lowers the earliest seen."""
    inv = spot("1000")
    for v in (5, 3, 2):
        inv.apply(report("new", "0", v, cid=None, oid="7"))
    view = inv.order("7")
    assert view is not None
    assert (view.status, view.quantity, view.price) == ("open", D(1), D(100))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D(1000), D(900), D(100))


def test_rejected_report_of_an_order_with_fills_reserves_nothing() -> None:
    """A rejected report cannot end an order with fills; it must not lock its rest either."""
    inv = spot("1000")
    inv.apply(fill("T1", "0.5", "100", 2, cid=None, oid="7"))
    inv.apply(report("rejected", "0", 3, cid=None, oid="7"))
    view = inv.order("7")
    assert view is not None
    assert (view.status, view.filled_quantity) == ("partially_filled", D("0.5"))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D("950.0"), D("950.0"), D("0.0"))


def test_report_of_an_intermediate_price_keeps_the_amend_in_flight() -> None:
    """(1, 100) amended to 103; the venue shows 101 first: the amend is not taken yet."""
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(103))
    inv.apply(report("new", "0", 5, price="101"))
    assert _usdt_late(inv) == (D(1000), D(896), D(897))
    inv.apply(report("new", "0", 4, price="101"))
    assert _usdt_late(inv) == (D(1000), D(896), D(897))
    inv.apply(report("new", "0", 6, price="103"))
    assert _usdt_late(inv) == (D(1000), D(897), D(897))
    inv.apply(fill("T1", "0.5", "100", 3))
    assert _usdt_late(inv) == (D("950.0"), D("898.5"), D("898.5"))


def test_amend_by_venue_id_survives_the_link_to_the_intent() -> None:
    """Order 7, amended by its venue id to 103, then named c1: the amend stays in flight."""
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_rep("new", 2))
    inv.amend(order_id="7", price=D(103))
    assert _usdt_late(inv) == (D(1000), D(797), D(797))
    inv.apply(_rep("new", 3, client_order_id="c1"))
    assert _usdt_late(inv) == (D(1000), D(897), D(897))
    assert inv.stats()["pending_changes"] == 2
    inv.apply(bal("USDT", "1000", "900", 3))
    assert _usdt_late(inv) == (D(1000), D(897), D(897))
    inv.apply(_rep("new", 4, client_order_id="c1", price=D(103)))
    assert _usdt_late(inv) == (D(1000), D(897), D(897))
    view = inv.order("c1")
    assert view is not None
    assert (view.order_id, view.price) == ("7", D(103))


def test_non_conditional_order_reported_triggered_reserves_until_the_trigger() -> None:
    """Accepted at v2, triggered at v3: 100 locked from v2, released at v3 (both pending)."""
    inv = spot("1000")
    inv.apply(_rep("new", 2))
    inv.apply(_rep("triggered", 3))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D(1000), D(1000), D(0))
    stats = inv.stats()
    assert (stats["pending_changes"], stats["retired_orders"]) == (2, 0)
    inv.apply(bal("USDT", "1000", "900", 2))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D(1000), D(1000), D(0))
    stats = inv.stats()
    assert (stats["pending_changes"], stats["retired_orders"]) == (1, 0)
    inv.apply(bal("USDT", "1000", "1000", 3))
    stats = inv.stats()
    assert (stats["pending_changes"], stats["retired_orders"]) == (0, 1)


@pytest.mark.parametrize("kind", ["spot", "linear"])
def test_a_late_older_report_moves_no_value_of_the_order(kind: str) -> None:
    """Seen at v5 as 2 @101, live; a late v3 copy says 1 @100, conditional: still 2 @101."""
    inv = spot("1000") if kind == "spot" else perp()
    inv.apply(_rep("new", 5, quantity=D(2), price=D(101), kind=kind))
    inv.apply(_rep("new", 3, conditional=True, kind=kind))
    o = order_view(inv, "7")
    assert (o.quantity, o.price, o.conditional, o.status) == (D(2), D(101), False, "open")
    assert o.remaining_quantity == D(2)
    # What may fill unheard is the newer size: a spot buy's base, the position.
    assert inv.exposure("BTC" if kind == "spot" else "BTCUSDT").high == D(2)


def test_older_conditional_report_does_not_re_date_the_reserve() -> None:
    """Live at v4, then reported conditional (v5, v3): the reserve stays dated v4."""
    inv = spot("1000")
    inv.apply(_rep("new", 4))
    inv.apply(_rep("new", 5, conditional=True))
    inv.apply(_rep("new", 3, conditional=True))
    assert inv.stats()["pending_changes"] == 1
    inv.apply(bal("USDT", "1000", "900", 3))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D(1000), D(800), D(200))
    inv.apply(bal("USDT", "1000", "900", 6))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D(1000), D(900), D(100))
    assert inv.stats()["pending_changes"] == 0


def test_reports_of_the_old_values_do_not_answer_a_chain_back() -> None:
    """(1, 100) at v3 and v4 may predate both amends: the chain stays in flight."""
    inv = spot("1000")
    _chain_back(inv)
    inv.apply(report("new", "0", 3, oid="1"))
    assert _usdt_pending(inv) == (D(1000), D(897), D(897), 2)
    inv.apply(report("new", "0", 4, oid="1"))
    assert _usdt_pending(inv) == (D(1000), D(897), D(897), 2)


def test_chain_back_is_answered_only_after_the_changed_values() -> None:
    """103 seen at v5 then v4 (the change dates from v4); 100 at v6 answers the chain."""
    inv = spot("1000")
    _chain_back(inv)
    inv.apply(report("new", "0", 5, oid="1", price="103"))
    assert _usdt_pending(inv) == (D(1000), D(894), D(897), 3)
    inv.apply(report("new", "0", 4, oid="1", price="103"))
    assert _usdt_pending(inv) == (D(1000), D(894), D(897), 3)
    inv.apply(report("new", "0", 6, oid="1"))
    # v6 shows 100 and nothing filled: no fill came at 103, so the low bound is back at 100.
    assert _usdt_pending(inv) == (D(1000), D(900), D(900), 3)
    inv.apply(report("new", "0", 3, oid="1"))
    assert _usdt_pending(inv) == (D(1000), D(900), D(900), 3)


def test_old_values_at_the_version_of_the_change_do_not_answer_the_chain() -> None:
    """103 and then 100 both at v4: the second is not newer than the change."""
    inv = spot("1000")
    _chain_back(inv)
    inv.apply(report("new", "0", 4, oid="1", price="103"))
    assert _usdt_pending(inv) == (D(1000), D(894), D(897), 3)
    inv.apply(report("new", "0", 4, oid="1"))
    assert _usdt_pending(inv) == (D(1000), D(900), D(897), 3)


def test_rejected_order_with_an_amend_timeline_releases_every_change() -> None:
    """c1 was gone by a complete snapshot at v5; late reports at v3 (100) and v4 (103)
    build its timeline (an amend step pending); OrderNotFound then rejects it: the accept
    and the amend step both leave, nothing stays locked.
    """
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SnapshotTaken(version=5, balances_complete=False, positions_complete=False))
    inv.apply(report("new", "0", 3))
    inv.apply(report("new", "0", 4, price="103"))
    assert _usdt_pending(inv) == (D(1000), D(897), D(897), 2)
    inv.apply(ev.OrderNotFound("c1"))
    assert _usdt_pending(inv) == (D(1000), D(1000), D(1000), 0)
    view = inv.order("c1")
    assert view is not None
    assert view.status == "rejected"
    assert inv.stats()["retired_orders"] == 1


def test_link_keeps_the_venue_orders_own_amend_over_the_intents() -> None:
    """c1 amended to 105 in flight; venue order 7 amended by id to 103; the link keeps 103."""
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", price=D(105))
    assert _usdt_full(inv) == (D(1000), D(895), D(105), D(895), 2)
    inv.apply(_rep("new", 2))
    inv.amend(order_id="7", price=D(103))
    assert _usdt_full(inv) == (D(1000), D(792), D(208), D(792), 4)
    inv.apply(_rep("new", 3, client_order_id="c1"))
    assert _usdt_full(inv) == (D(1000), D(897), D(103), D(897), 2)
    inv.apply(_rep("new", 4, client_order_id="c1", price=D(103)))
    assert _usdt_full(inv) == (D(1000), D(897), D(103), D(897), 2)


def test_link_of_a_conditional_intent_does_not_date_its_values_into_the_live_order() -> None:
    """A conditional intent (1 at 100) is venue order 7, live at 101: the intent's values
    are no earlier state of the live order, so only one reserve change stays pending.
    """
    inv = spot("1000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    inv.apply(_rep("new", 2, price=D(101)))
    assert _usdt_full(inv) == (D(1000), D(899), D(101), D(799), 1)
    inv.apply(_rep("new", 3, client_order_id="c1", price=D(101)))
    assert _usdt_full(inv) == (D(1000), D(899), D(101), D(899), 1)
    inv.apply(bal("USDT", "1000", "899", 2))
    assert _usdt_full(inv) == (D(1000), D(899), D(101), D(899), 0)


def test_a_later_triggered_report_without_the_new_id_keeps_the_hand_over() -> None:
    """Order 7 triggered into 8 at v3; a copy at v4 omits the new id. Once 8 is known it
    carries the quantity alone: 7 no longer widens the range.
    """
    inv = spot("1000")
    inv.apply(_rep("new", 2))
    inv.apply(_rep("triggered", 3, triggered_order_id="8"))
    inv.apply(_rep("triggered", 4))
    inv.apply(_rep("new", 5, order_id="8"))
    assert inv.exposure("BTC") == Exposure(low=D(0), expected=D(0), high=D(1))
    assert inv.exposure("USDT") == Exposure(low=D(900), expected=D(1000), high=D(1000))
    assert inv.stats()["pending_changes"] == 3
