"""The order book: identity, linking, an order's end, bounded history, ``stats``.

Instruments resolved by symbol and kind (and refused by name); the release at an order's
end, dated by its terminal report; handed-over triggered orders; the bounded history, the
ids remembered after it and the forgotten watermark; a venue order linked to the bot's
own intent (its first run, its reserve, its amend); ``stats`` by name. Covers
``core.inventory.book``. Values are computed by hand through the public surface.
"""

from __future__ import annotations

import attrs
import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from core.views import Exposure
from tests.core.builders import BTCUSDT, ETHBTC, PERP, D, bal, fill, order_view, report, spot, usdt


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
    assert order_view(inv, "1").kind == "linear"


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


# --- the end of an order -------------------------------------------------------------------
def test_end_release_is_dated_by_the_terminal_report_not_the_newest_message() -> None:
    """Fill heard at v5 first, the cancel report (v4) after: the release is a v4 change."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.25", "100", 5))
    inv.apply(report("canceled", "0.25", 4, avg="100"))
    assert usdt(inv) == (D(9975), D(9975))
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
    assert usdt(inv) == (D("9975.5"), D("9975.5"))
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert inv.stats()["pending_changes"] == 2


def test_late_amend_report_after_the_end_keeps_the_release_once() -> None:
    """Ended at v4; a late report of v3 shows an amend to 98: the release is rebuilt."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("canceled", "0", 4))
    assert usdt(inv) == (D(10000), D(10000))
    inv.apply(report("new", "0", 3, price="98"))
    assert usdt(inv) == (D(10000), D(10000))
    # The canceled report (v4) shows 100 again: down to 98 and back. Acceptance, the two
    # halves of the amends and the end stay pending until a report covers them.
    assert inv.stats()["pending_changes"] == 4


def test_rejected_report_withdraws_the_in_flight_reserve() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("rejected", "0", 2))
    assert usdt(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(bal("USDT", "10000", "10000", 3))
    assert usdt(inv) == (D(10000), D(10000))


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
    assert order_view(inv, "n1").status == "open"
    inv = Inventory([BTCUSDT], history=1)
    _reject_venue_orders(inv, list(range(1, 19)))  # r0..r17: r0 leaves the id memory
    inv.apply(report("new", "0", 1, cid=None, oid="n1"))  # at the watermark: old news
    assert inv.order("n1") is None
    inv.apply(report("new", "0", 2, cid=None, oid="n2"))  # above it: a new order
    assert order_view(inv, "n2").status == "open"


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
    view = order_view(inv, "c1")
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
    view = order_view(inv, "c1")
    assert (view.order_id, view.price, view.status) == ("1", D(98), "open")
    assert usdt(inv) == (D(10000), D(9902))
    # The bot's 100 came first, the venue's 98 is seen from v1: a report at v1 covers the
    # acceptance (-100) and the release (+2) alike.
    inv.apply(bal("USDT", "10000", "9902", 1))
    assert usdt(inv) == (D(10000), D(9902))
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
    assert usdt(inv) == (D(10000), D(10000))


def test_venue_order_known_from_a_fill_takes_the_intents_values_and_reserve() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "0.25", "100", 2, cid=None))
    inv.apply(fill("T2", "0.25", "100", 3))  # names c1: linked
    view = order_view(inv, "c1")
    assert (view.order_id, view.quantity, view.price, view.filled_quantity) == (
        "1",
        D(1),
        D(100),
        D("0.5"),
    )
    # Reserve 100 accepted at v2, half unlocked by the fills: 10000 - 50 - 50.
    assert usdt(inv) == (D(9950), D(9900))
    inv.apply(bal("USDT", "9975", "9900", 2))  # v2: the reserve and T1 in it
    assert usdt(inv) == (D(9950), D(9900))


def test_fill_naming_an_unknown_client_id_just_names_the_order() -> None:
    inv = spot("10000")
    inv.apply(report("new", "0", 2, cid=None))
    inv.apply(fill("T1", "0.25", "100", 3, cid="x1"))
    assert order_view(inv, "x1").order_id == "1"


def test_fill_naming_the_client_id_of_an_ended_order_leaves_that_order_alone() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0", 2))
    inv.apply(report("new", "0", 3, cid=None, oid="2"))
    inv.apply(fill("T1", "0.25", "100", 4, cid="c1", oid="2"))
    assert order_view(inv, "1").status == "canceled"
    assert order_view(inv, "c1").order_id == "2"


def test_venue_order_of_an_intent_thought_refused_is_linked() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(ev.SubmissionFailed("c1", "rejected"))
    inv.apply(report("new", "0", 2, cid=None))
    inv.apply(fill("T1", "0.25", "100", 3))
    view = order_view(inv, "c1")
    assert (view.order_id, view.status) == ("1", "partially_filled")


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
