"""Orders: the ``Order`` view, an order's lifecycle under reports in any order, and requests.

A submitted intent, an order known only from a fill, reported average prices; what an
unknown quantity adds to ``exposure``; when the Inventory asks to query an order (exact
fields, taken once); ``stats``; refusals naming an unknown or ambiguous instrument or an
unknown client id; reports in descending version order, ``rejected`` after fills,
triggered and conditional orders, linking a venue order to the bot's intent; releases
at an order's end. Values are computed by hand through the public surface.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from core import Instrument, InvalidEvent, Inventory
from core import events as ev
from core.requests import QueryOrder, ResyncAccount
from core.views import Balance, Exposure, Order
from tests.core.builders import BTCUSDT, ETHBTC, PERP, D, bal, fill, report, spot

INVERSE_SAME_SYMBOL = Instrument(symbol="BTCUSDT", kind="inverse", base="BTC", quote="USD")


def _view(inv: Inventory, key: str) -> Order:
    view = inv.order(key)
    assert view is not None
    return view


def _usdt(inv: Inventory) -> tuple[Decimal, Decimal]:
    b = inv.balance("USDT")
    return b.total, b.free


def _triggered(oid: str, version: int, new_id: str) -> ev.OrderReported:
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id=oid,
        client_order_id=None,
        side="buy",
        status="triggered",
        quantity=D(1),
        price=None,
        filled_quantity=D(0),
        average_price=None,
        version=version,
        order_type="market",
        conditional=True,
        triggered_order_id=new_id,
    )


def _reject_venue_orders(inv: Inventory, versions: list[int]) -> None:
    for i, v in enumerate(versions):
        inv.apply(report("rejected", "0", v, cid=None, oid=f"r{i}"))


def _two_derivatives() -> Inventory:
    inv = Inventory([PERP, INVERSE_SAME_SYMBOL])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1),),
            positions=(
                ev.PositionReported("BTCUSDT", D(2), D(100), 1, kind="linear"),
                ev.PositionReported("BTCUSDT", D(3), D(100), 1, kind="inverse"),
            ),
        )
    )
    return inv


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


# --- the Order view ------------------------------------------------------------------------
def test_view_of_a_submitted_intent_names_every_field() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.order("c1") == Order(
        symbol="BTCUSDT",
        kind="spot",
        side="buy",
        status="pending_new",
        quantity=D(1),
        price=D(100),
        filled_quantity=D(0),
        remaining_quantity=D(1),
        average_price=None,
        fees=(),
        client_order_id="c1",
        order_id=None,
        conditional=False,
    )
    inv.apply(fill("T1", "0.25", "100", 2))
    view = _view(inv, "c1")
    assert (view.remaining_quantity, view.average_price) == (D("0.75"), D(100))


def test_view_of_an_order_known_only_from_a_fill() -> None:
    """A venue order heard of through a fill: quantity, price and client id still unknown."""
    inv = spot("10000")
    inv.apply(fill("T1", "0.25", "100", 2, cid=None, oid="7"))
    assert inv.order("7") == Order(
        symbol="BTCUSDT",
        kind="spot",
        side="buy",
        status="partially_filled",
        quantity=None,
        price=None,
        filled_quantity=D("0.25"),
        remaining_quantity=D(0),
        average_price=D(100),
        fees=(),
        client_order_id=None,
        order_id="7",
        conditional=False,
    )


def test_view_takes_the_reported_average_while_fills_are_unheard() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("partially_filled", "0.5", 2, avg="99"))
    view = _view(inv, "c1")
    assert (view.filled_quantity, view.remaining_quantity, view.average_price) == (
        D("0.5"),
        D("0.5"),
        D(99),
    )
    # A later report with the same cumulative quantity and no average keeps the first one.
    inv.apply(report("canceled", "0.5", 3))
    view = _view(inv, "c1")
    assert (view.status, view.remaining_quantity, view.average_price) == (
        "canceled",
        D(0),
        D(99),
    )


# --- exposure: what an order may still do ---------------------------------------------------
def test_terminal_order_widens_by_its_implied_fills_only() -> None:
    """Canceled with 0.5 filled, 0.25 of it heard: 0.25 BTC may still arrive unheard."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "0.25", "100", 2))
    inv.apply(report("canceled", "0.5", 3, avg="100"))
    exp = inv.exposure("BTC")
    assert (exp.low, exp.expected, exp.high) == (D("0.25"), D("0.25"), D("0.5"))
    # USDT: 10000 - 25 spent; low 25 lower still (0.25 at the price 100).
    assert inv.exposure("USDT") == Exposure(low=D(9950), expected=D(9975), high=D(9975))


def test_amend_lowering_the_size_does_not_narrow_exposure_before_the_venue_says() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D("0.5"))
    assert inv.exposure("BTC").high == D(1)  # the venue may still fill the whole 1
    assert inv.exposure("USDT").low == D(9900)


# --- requests ---------------------------------------------------------------------------
def test_requests_name_the_order_and_the_reason_exactly() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None, oid="9"))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "10000", 5),)))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "0.25", "100", 6))
    inv.apply(report("canceled", "0.5", 7, avg="100"))
    assert inv.requests() == [
        QueryOrder(
            symbol="BTCUSDT", client_order_id=None, order_id="9", reason="order fate unknown"
        ),
        QueryOrder(
            symbol="BTCUSDT",
            client_order_id="c1",
            order_id="1",
            reason="fills missing: reported 0.5, known 0.25",
        ),
    ]


def test_take_requests_gives_the_resync_and_the_queries_once() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None, oid="9"))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "10000", 5),)))
    inv.apply(ev.StreamDisconnected("user", "closed"))
    query = QueryOrder(
        symbol="BTCUSDT", client_order_id=None, order_id="9", reason="order fate unknown"
    )
    assert inv.take_requests() == [ResyncAccount(reason="account is stale"), query]
    assert inv.sync_state == "resyncing"
    assert inv.take_requests() == []


def test_a_queried_order_is_asked_again_after_its_state_moves() -> None:
    """Timed out (queried once), then canceled before the venue spoke: a new question."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SubmissionTimedOut("c1"))
    assert [r.reason for r in inv.take_requests() if isinstance(r, QueryOrder)] == [
        "order fate unknown"
    ]
    assert inv.take_requests() == []
    inv.cancel("c1")
    assert inv.take_requests() == [
        QueryOrder(
            symbol="BTCUSDT",
            client_order_id="c1",
            order_id=None,
            reason="cancel requested before the venue acknowledged the order",
        )
    ]


def test_order_not_found_by_exchange_id_rejects_an_order_without_client_id() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None, oid="9"))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "10000", 5),)))
    assert _view(inv, "9").status == "unknown"
    inv.apply(ev.OrderNotFound(None, order_id="9"))
    assert _view(inv, "9").status == "rejected"
    assert inv.requests() == []


# --- stats --------------------------------------------------------------------------------
def test_stats_count_intents_venue_orders_and_kept_fills() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))  # an intent: no exchange id yet
    # A venue order, filled by a fee-less copy: retired once covered, the fill is kept
    # (its full message, with the fee, may still come).
    inv.apply(report("new", "0", 2, cid=None, oid="9"))
    inv.apply(fill("T9", "1", "100", 3, cid=None, oid="9", fee=None, fee_asset=None))
    inv.apply(report("filled", "1", 3, cid=None, oid="9", avg="100"))
    inv.apply(bal("USDT", "9900", "9800", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    stats = inv.stats()
    assert (stats["orders"], stats["live_orders"], stats["retired_orders"], stats["fills"]) == (
        2,
        1,
        1,
        1,
    )


# --- instruments: resolution and its error messages ----------------------------------------
def test_inventory_refuses_a_non_instrument_and_a_duplicate_by_name() -> None:
    with pytest.raises(InvalidEvent) as err:
        Inventory(["BTCUSDT"])  # type: ignore[list-item]
    assert str(err.value) == "Inventory: expected an Instrument, got 'BTCUSDT'"
    with pytest.raises(InvalidEvent) as err:
        Inventory([BTCUSDT, BTCUSDT])
    assert str(err.value) == "Inventory: instrument BTCUSDT (spot) given twice"


def test_order_report_for_an_unknown_or_ambiguous_instrument_is_refused_by_name() -> None:
    inv = Inventory([BTCUSDT, PERP, ETHBTC])
    cases = [
        (report("new", "0", 2, symbol="XRPUSDT"), "OrderReported 1: unknown instrument 'XRPUSDT'"),
        (
            report("new", "0", 2, symbol="ETHBTC", kind="inverse"),
            "OrderReported 1: unknown instrument ETHBTC (inverse)",
        ),
        (
            report("new", "0", 2),
            "OrderReported 1: symbol BTCUSDT names several instruments; give kind=",
        ),
    ]
    for event, message in cases:
        with pytest.raises(InvalidEvent) as err:
            inv.apply(event)
        assert str(err.value) == message
    inv.apply(report("new", "0", 2, kind="linear"))
    assert _view(inv, "1").kind == "linear"


def test_submit_for_an_unknown_instrument_is_refused_by_name() -> None:
    inv = spot()
    with pytest.raises(InvalidEvent) as err:
        inv.submit("c1", "XRPUSDT", "buy", D(1), D(1))
    assert str(err.value) == "submit c1: unknown instrument 'XRPUSDT'"


def test_position_reports_resolve_a_derivative_by_symbol_or_kind() -> None:
    inv = Inventory([BTCUSDT, PERP])
    inv.apply(ev.PositionReported("BTCUSDT", D(2), D(100), 1))  # kind None: the derivative
    assert inv.position("BTCUSDT").quantity == D(2)
    cases = [
        (
            ev.PositionReported("BTCUSDT", D(1), D(1), 2, kind="spot"),
            "PositionReported BTCUSDT: spot is not a derivative",
        ),
        (
            ev.PositionReported("BTCUSDT", D(1), D(1), 2, kind="inverse"),
            "PositionReported BTCUSDT: unknown instrument BTCUSDT (inverse)",
        ),
        (
            ev.PositionReported("XRPUSDT", D(1), D(1), 2),
            "PositionReported: 'XRPUSDT' is not a derivative of this account",
        ),
    ]
    for event, message in cases:
        with pytest.raises(InvalidEvent) as err:
            inv.apply(event)
        assert str(err.value) == message


# --- account sync -------------------------------------------------------------------------
def test_snapshot_not_covering_a_counted_fill_leaves_the_account_settling() -> None:
    inv = Inventory([BTCUSDT])
    inv.apply(fill("T1", "1", "100", 5, cid=None))
    inv.apply(ev.SnapshotTaken(version=3, balances=(bal("USDT", "1000", "1000", 3),)))
    assert inv.sync_state == "settling"
    assert inv.stats()["unsettled_fills"] == 1


# --- order reports ------------------------------------------------------------------------
def test_first_report_without_any_snapshot_is_live() -> None:
    """No complete open-orders list yet: a report at version 0 or 1 is news, not old."""
    inv = Inventory([BTCUSDT])
    inv.apply(report("new", "0", 1, cid=None, oid="9"))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1, oid="2"))
    assert (_view(inv, "9").status, _view(inv, "c1").status) == ("open", "open")


def test_a_report_with_fills_makes_the_order_partially_filled() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0.5", 2, avg="100"))
    assert _view(inv, "c1").status == "partially_filled"


def test_report_as_old_as_the_snapshot_that_dropped_the_order_says_nothing() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "9900", 5),)))
    assert _view(inv, "c1").status == "unknown"
    inv.apply(report("new", "0", 5))
    assert _view(inv, "c1").status == "unknown"
    inv.apply(report("new", "0", 6))
    assert _view(inv, "c1").status == "open"


def test_order_accepted_at_the_snapshot_version_and_not_listed_is_unknown() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 5))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "10000", "9900", 5),)))
    assert _view(inv, "c1").status == "unknown"


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
    assert _view(inv, "c1").status == "partially_filled"


@pytest.mark.parametrize("status", ["new", "partially_filled"])
def test_known_fills_reaching_a_quantity_learnt_later_make_the_order_filled(status: str) -> None:
    inv = spot("10000")
    inv.apply(fill("T1", "1", "100", 3, cid=None, oid="7"))
    assert _view(inv, "7").status == "partially_filled"  # quantity still unknown
    inv.apply(report(status, "0", 2, cid=None, oid="7"))
    assert _view(inv, "7").status == "filled"


def test_report_counting_the_whole_quantity_makes_the_order_filled() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "1", 2, avg="100"))
    assert _view(inv, "c1").status == "filled"


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
    assert _usdt(inv) == (D(10000), D(9897))
    inv.apply(report("new", "0", 2))  # a copy of the old report: no answer yet
    assert _usdt(inv) == (D(10000), D(9897))


def test_a_later_report_with_another_client_id_does_not_rename_the_order() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("canceled", "0", 3, cid="c9"))  # e.g. the cancel request's own id
    assert _view(inv, "1").client_order_id == "c1"
    assert inv.order("c9") is None


def test_an_older_report_of_a_venue_order_dates_its_run_for_a_later_amend() -> None:
    """A venue order reported at v5, then at v3 (same values), then amended (v7 at 98)."""
    inv = spot("10000")
    inv.apply(report("new", "0", 5, cid=None, oid="9"))
    inv.apply(report("new", "0", 3, cid=None, oid="9"))
    inv.apply(report("new", "0", 7, cid=None, oid="9", price="98"))
    assert _usdt(inv) == (D(10000), D(9902))
    assert _view(inv, "9").price == D(98)


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
    assert _usdt(inv) == (D(10000), D(9904))


# --- the end of an order -------------------------------------------------------------------
def test_end_release_is_dated_by_the_terminal_report_not_the_newest_message() -> None:
    """Fill heard at v5 first, the cancel report (v4) after: the release is a v4 change."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.25", "100", 5))
    inv.apply(report("canceled", "0.25", 4, avg="100"))
    assert _usdt(inv) == (D(9975), D(9975))
    # A report at v4 covers the acceptance and the release: only the fill (USDT, BTC) of
    # v5 is left pending.
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert inv.stats()["pending_changes"] == 2


def test_end_release_of_an_amended_order_is_dated_by_the_terminal_report() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, price="98"))
    inv.apply(fill("T1", "0.25", "98", 5))
    inv.apply(report("canceled", "0.25", 4, price="98", avg="98"))
    assert _usdt(inv) == (D("9975.5"), D("9975.5"))
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert inv.stats()["pending_changes"] == 2


def test_late_amend_report_after_the_end_keeps_the_release_once() -> None:
    """Ended at v4; a late report of v3 shows an amend to 98: the release is rebuilt."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("canceled", "0", 4))
    assert _usdt(inv) == (D(10000), D(10000))
    inv.apply(report("new", "0", 3, price="98"))
    assert _usdt(inv) == (D(10000), D(10000))
    # The canceled report (v4) shows 100 again: down to 98 and back. Acceptance, the two
    # halves of the amends and the end stay pending until a report covers them.
    assert inv.stats()["pending_changes"] == 4


def test_rejected_report_withdraws_the_in_flight_reserve() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("rejected", "0", 2))
    assert _usdt(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(bal("USDT", "10000", "10000", 3))
    assert _usdt(inv) == (D(10000), D(10000))


def test_canceled_market_buy_leaves_no_change_pending() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1))
    inv.apply(report("new", "0", 2, price=None))
    inv.apply(report("canceled", "0", 3, price=None))
    # A market buy reserves nothing: no change waits for a report, it retires at once.
    assert (inv.stats()["pending_changes"], inv.stats()["retired_orders"]) == (0, 1)


def test_handed_over_orders_are_kept_up_to_the_history_size() -> None:
    inv = Inventory([PERP], history=2)
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(bal("USDT", "1000", "1000", 1),),
            positions=(ev.PositionReported("BTCUSDT", D(0), D(0), 1),),
        )
    )
    inv.apply(_triggered("A1", 2, "X1"))
    inv.apply(_triggered("A2", 3, "X2"))
    assert inv.exposure("BTCUSDT") == Exposure(low=D(0), expected=D(0), high=D(2))
    inv.apply(_triggered("A3", 4, "X3"))  # the oldest hand-over is let go
    assert inv.exposure("BTCUSDT") == Exposure(low=D(0), expected=D(0), high=D(2))


# --- history, id memory and the forgotten watermark ----------------------------------------
def test_history_keeps_ten_thousand_orders_by_default() -> None:
    inv = Inventory([BTCUSDT])
    for i in range(10_001):
        inv.apply(report("rejected", "0", i, cid=None, oid=f"r{i}"))
    assert inv.stats()["retired_orders"] == 10_000


def test_ids_are_remembered_for_sixteen_orders_then_the_watermark_takes_over() -> None:
    """history=1: the 18th retirement drops order r0 (version 1) from the id memory."""
    inv = Inventory([BTCUSDT], history=1)
    _reject_venue_orders(inv, list(range(1, 18)))  # r0..r16 at v1..v17
    inv.apply(report("new", "0", 1, cid=None, oid="n1"))  # no watermark yet: a new order
    assert _view(inv, "n1").status == "open"
    inv = Inventory([BTCUSDT], history=1)
    _reject_venue_orders(inv, list(range(1, 19)))  # r0..r17: r0 leaves the id memory
    inv.apply(report("new", "0", 1, cid=None, oid="n1"))  # at the watermark: old news
    assert inv.order("n1") is None
    inv.apply(report("new", "0", 2, cid=None, oid="n2"))  # above it: a new order
    assert _view(inv, "n2").status == "open"


def test_the_watermark_never_falls() -> None:
    """r0 at v50 leaves the id memory first, r1 at v1 next: the watermark stays 50."""
    inv = Inventory([BTCUSDT], history=1)
    _reject_venue_orders(inv, [50, 1, *range(60, 77)])
    inv.apply(report("new", "0", 40, cid=None, oid="n1"))
    assert inv.order("n1") is None


def test_evicting_an_old_order_keeps_its_reused_client_id_on_the_new_one() -> None:
    inv = Inventory([BTCUSDT], history=1)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SubmissionFailed("c1", "rejected"))
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))  # the id reused
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SubmissionFailed("c2", "rejected"))  # retiring c2 evicts the first c1
    view = _view(inv, "c1")
    assert (view.status, view.quantity) == ("pending_new", D(2))


def test_three_orders_are_three_open_orders() -> None:
    inv = spot("10000")
    for cid in ("c1", "c2", "c3"):
        inv.submit(cid, "BTCUSDT", "buy", D(1), D(100))
    assert [o.client_order_id for o in inv.open_orders()] == ["c1", "c2", "c3"]


# --- linking a venue order to the bot's intent ----------------------------------------------
def test_linked_venue_order_keeps_the_price_the_bot_sent_as_its_first_run() -> None:
    """Seen at 98 (v1) without client id, then named c1 (sent at 100): an amend 100 -> 98."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1, cid=None, price="98"))
    inv.apply(report("new", "0", 2, price="98"))
    view = _view(inv, "c1")
    assert (view.order_id, view.price, view.status) == ("1", D(98), "open")
    assert _usdt(inv) == (D(10000), D(9902))
    # The bot's 100 came first, the venue's 98 is seen from v1: a report at v1 covers the
    # acceptance (-100) and the release (+2) alike.
    inv.apply(bal("USDT", "10000", "9902", 1))
    assert _usdt(inv) == (D(10000), D(9902))
    # A fill at 100 would predate v1 (the report there shows 98 and nothing filled), so the
    # balance report at v1 holds it: unheard fills come at 98 at most.
    assert inv.exposure("USDT").low == D(9902)
    assert len(inv.open_orders()) == 1


def test_linked_conditional_order_has_no_runs() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    cond = ev.OrderReported(
        symbol="BTCUSDT",
        order_id="A1",
        client_order_id=None,
        side="buy",
        status="new",
        quantity=D(1),
        price=D(98),
        filled_quantity=D(0),
        average_price=None,
        version=2,
        conditional=True,
    )
    inv.apply(cond)
    inv.apply(attrs.evolve(cond, client_order_id="c1", version=3))
    assert inv.exposure("USDT").low == D(9902)  # u = 1 at 98
    assert _usdt(inv) == (D(10000), D(10000))


def test_venue_order_known_from_a_fill_takes_the_intents_values_and_reserve() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "0.25", "100", 2, cid=None))
    inv.apply(fill("T2", "0.25", "100", 3))  # names c1: linked
    view = _view(inv, "c1")
    assert (view.order_id, view.quantity, view.price, view.filled_quantity) == (
        "1",
        D(1),
        D(100),
        D("0.5"),
    )
    # Reserve 100 accepted at v2, half unlocked by the fills: 10000 - 50 - 50.
    assert _usdt(inv) == (D(9950), D(9900))
    inv.apply(bal("USDT", "9975", "9900", 2))  # v2: the reserve and T1 in it
    assert _usdt(inv) == (D(9950), D(9900))


def test_fill_naming_an_unknown_client_id_just_names_the_order() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None))
    inv.apply(fill("T1", "0.25", "100", 3, cid="x1"))
    assert _view(inv, "x1").order_id == "1"


def test_fill_naming_the_client_id_of_an_ended_order_leaves_that_order_alone() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0", 2))
    inv.apply(report("new", "0", 3, cid=None, oid="2"))
    inv.apply(fill("T1", "0.25", "100", 4, cid="c1", oid="2"))
    assert _view(inv, "1").status == "canceled"
    assert _view(inv, "c1").order_id == "2"


def test_venue_order_of_an_intent_thought_refused_is_linked() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SubmissionFailed("c1", "rejected"))
    inv.apply(report("new", "0", 2, cid=None))
    inv.apply(fill("T1", "0.25", "100", 3))
    view = _view(inv, "c1")
    assert (view.order_id, view.status) == ("1", "partially_filled")


# --- snapshots ------------------------------------------------------------------------------
def test_complete_balances_zero_an_omitted_asset_with_a_locked_part() -> None:
    inv = spot("1000", btc="2")
    inv.apply(bal("BTC", "2", "1", 2))
    inv.apply(ev.SnapshotTaken(version=5, balances=(bal("USDT", "900", "900", 5),)))
    assert inv.balance("BTC") == Balance(total=D(0), free=D(0), locked=D(0))


def test_complete_positions_flatten_exactly_the_omitted_derivative() -> None:
    inv = _two_derivatives()
    assert inv.position("BTCUSDT").quantity == D(2)  # the symbol's first derivative
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(bal("USDT", "1000", "1000", 2),),
            positions=(ev.PositionReported("BTCUSDT", D(5), D(100), 2, kind="linear"),),
        )
    )
    assert inv.position("BTCUSDT").quantity == D(5)
    inv = _two_derivatives()
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(bal("USDT", "1000", "1000", 2),),
            positions=(ev.PositionReported("BTCUSDT", D(5), D(100), 2, kind="inverse"),),
        )
    )
    assert inv.position("BTCUSDT").quantity == D(0)


def test_snapshot_open_orders_resolve_with_their_kind() -> None:
    inv = Inventory([BTCUSDT, PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(bal("USDT", "1000", "900", 2),),
            open_orders=(report("new", "0", 2, kind="spot"),),
        )
    )
    assert _view(inv, "1").status == "open"
    with pytest.raises(InvalidEvent) as err:
        inv.apply(
            ev.SnapshotTaken(version=3, open_orders=(report("new", "0", 3, symbol="XRPUSDT"),))
        )
    assert str(err.value) == "OrderReported 1: unknown instrument 'XRPUSDT'"


def test_failed_snapshot_leaves_the_inventory_working() -> None:
    inv = spot("1000")
    with pytest.raises(InvalidEvent):
        inv.apply(
            ev.SnapshotTaken(
                version=3,
                balances=(bal("USDT", "500", "500", 3),),
                open_orders=(report("new", "0", 3, symbol="XRPUSDT"),),
            )
        )
    assert _usdt(inv) == (D(1000), D(1000))
    inv.apply(bal("USDT", "700", "700", 4))
    assert _usdt(inv) == (D(700), D(700))
    inv.apply(ev.StreamDisconnected("user", "closed"))
    assert inv.sync_state == "stale"


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


# --- local intents of unknown orders name what was attempted --------------------------------
@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ev.CancelRequested("zz"), "cancel: unknown client order id 'zz'"),
        (ev.CancelFailed("zz"), "cancel failed: unknown client order id 'zz'"),
        (ev.SubmissionFailed("zz"), "submission failed: unknown client order id 'zz'"),
        (ev.SubmissionTimedOut("zz"), "submission timed out: unknown client order id 'zz'"),
    ],
)
def test_local_intent_for_an_unknown_client_id_is_refused_by_name(
    event: ev.Event, message: str
) -> None:
    inv = spot()
    with pytest.raises(InvalidEvent) as err:
        inv.apply(event)
    assert str(err.value) == message


# --- stats ------------------------------------------------------------------------------------
def test_stats_counts_every_kind_of_retained_state_by_name() -> None:
    inv = spot()
    inv.submit("c9", "BTCUSDT", "buy", D(1), D(10))  # in flight: no exchange id yet
    inv.apply(report("new", "0", 2))  # c1 (order 1) from the venue
    inv.apply(fill("t1", "0.5", "100", 3))
    inv.apply(ev.MessageIgnored("binance", "newThing"))
    inv.apply(ev.MessageIgnored("binance", "newThing"))
    assert inv.stats() == {
        "orders": 2,
        "live_orders": 2,
        "retired_orders": 0,
        "fills": 1,
        "pending_changes": 4,  # c9's reserve, c1's reserve, t1 on BTC and on USDT
        "pending_position_fills": 0,
        "unsettled_fills": 1,
        "ignored_messages": 2,
    }
    inv.apply(report("filled", "1", 4))
    inv.apply(fill("t2", "0.5", "100", 4))
    inv.apply(bal("USDT", "900", "890", 4))
    inv.apply(bal("BTC", "1", "1", 4))
    s = inv.stats()
    assert (s["orders"], s["live_orders"], s["retired_orders"]) == (2, 1, 1)
    assert (s["fills"], s["pending_changes"], s["unsettled_fills"]) == (0, 1, 0)


# --- conditional submissions and query requests ---------------------------------------------
def test_conditional_submit_reserves_nothing_but_widens_exposure() -> None:
    inv = spot()
    inv.submit("s1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    o = inv.order("s1")
    assert o is not None and o.conditional and o.status == "pending_new"
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(1000), D(0))
    assert (inv.exposure("BTC").high, inv.exposure("USDT").low) == (D(1), D(900))


def test_only_an_unacknowledged_cancel_or_an_unknown_order_asks_for_a_query() -> None:
    inv = spot()
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert inv.requests() == []  # in flight, not canceled: nothing to ask yet
    inv.apply(report("new", "0", 2))
    inv.cancel("c1")
    assert inv.requests() == []  # acknowledged: the cancel's answer will come
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.cancel("c2")
    assert [r.reason for r in inv.requests()] == [
        "cancel requested before the venue acknowledged the order"
    ]
