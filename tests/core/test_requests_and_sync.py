"""What the Inventory asks of the I/O edge, and how snapshots bring the account back.

Query requests name the order and the reason exactly and are taken once (asked again
after the order's state moves); a not-found answer by exchange id; a snapshot that does
not cover a counted fill leaves the account settling; complete balances and positions
zero or flatten what they omit; a failed snapshot changes nothing. Covers
``core.inventory.sync``. Values are computed by hand through the public surface.
"""

from __future__ import annotations

import pytest

from core import Instrument, InvalidEvent, Inventory
from core import events as ev
from core.requests import QueryOrder, ResyncAccount
from core.views import Balance
from tests.core.builders import BTCUSDT, PERP, D, bal, fill, order_view, report, spot, usdt

INVERSE_SAME_SYMBOL = Instrument(symbol="BTCUSDT", kind="inverse", base="BTC", quote="USD")


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
    assert order_view(inv, "9").status == "unknown"
    inv.apply(ev.OrderNotFound(None, order_id="9"))
    assert order_view(inv, "9").status == "rejected"
    assert inv.requests() == []


# --- account sync -------------------------------------------------------------------------
def test_snapshot_not_covering_a_counted_fill_leaves_the_account_settling() -> None:
    inv = Inventory([BTCUSDT])
    inv.apply(fill("T1", "1", "100", 5, cid=None))
    inv.apply(ev.SnapshotTaken(version=3, balances=(bal("USDT", "1000", "1000", 3),)))
    assert inv.sync_state == "settling"
    assert inv.stats()["unsettled_fills"] == 1


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
    assert order_view(inv, "1").status == "open"
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
    assert usdt(inv) == (D(1000), D(1000))
    inv.apply(bal("USDT", "700", "700", 4))
    assert usdt(inv) == (D(700), D(700))
    inv.apply(ev.StreamDisconnected("user", "closed"))
    assert inv.sync_state == "stale"


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
