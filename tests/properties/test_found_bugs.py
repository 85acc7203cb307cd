"""Core bugs the chaos suite found, each reduced to a plain scenario: now regression tests.

Bugs 1-7 were found by ``test_chaos.py`` and fixed in the core. A new
finding goes here first as ``@pytest.mark.xfail(strict=True, reason=...)`` stating the
correct behaviour, so its fix shows up as an XPASS and the marker comes off.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import Instrument, Inventory
from core import events as ev
from core.requests import QueryOrder

D = Decimal
BTCUSDT = Instrument("BTCUSDT", "spot", "BTC", "USDT", max_fee_rate=D("0.001"))
PERP = Instrument("BTCUSD_PERP", "inverse", "BTC", "USD", contract_size=D(100))


def _spot(version: int = 0) -> Inventory:
    inv = Inventory([BTCUSDT])
    inv.apply(
        ev.SnapshotTaken(
            version=version,
            balances=(
                ev.BalanceReported("BTC", D(10), D(10), version),
                ev.BalanceReported("USDT", D(10000), D(10000), version),
            ),
        )
    )
    return inv


def _new(status: str, version: int) -> ev.OrderReported:
    return ev.OrderReported(
        "BTCUSDT", "X1", "c1", "buy", status, D("0.1"), D(100), D(0), None, version
    )


# bug 1: a report older than a complete snapshot revives an order the snapshot proved gone
# (no query, status open)
def test_late_ack_after_snapshot_does_not_revive_a_gone_order() -> None:
    # c1 was accepted (v1) and canceled (v2) at the venue; both pushes were lost. The
    # snapshot at v2 lists no open order. The REST ack (v1) arrives after the snapshot.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(
                ev.BalanceReported("BTC", D(10), D(10), 2),
                ev.BalanceReported("USDT", D(10000), D(10000), 2),
            ),
        )
    )
    inv.apply(_new("new", 1))
    view = inv.order("c1")
    assert view is not None
    # Open at v1 but not open in a complete snapshot at v2: its fate must be asked.
    assert view.status == "unknown"
    assert any(isinstance(r, QueryOrder) for r in inv.requests())


# bug 2: a fee-less fill copy (TRADE_LITE / execution.fast) narrows the exposure and free as
# if no fee will come, though max_fee_rate bounds it
def test_fee_less_fill_keeps_room_for_its_fee() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.apply(_new("new", 1))
    inv.apply(ev.FillReported("BTCUSDT", "X1", "c1", "T1", "buy", D("0.1"), D(100), None, None, 2))
    # The venue may still charge up to 0.1 * 0.001 BTC on this fill (Binance: fee in base).
    truth_low = D(10) + D("0.1") - D("0.1") * D("0.001")
    assert inv.exposure("BTC").low <= truth_low
    assert inv.balance("BTC").free <= truth_low


# bug 3: after a submission timeout, a refused cancel moves an order the venue never
# acknowledged to open (no query; it reserves and sits in exposure forever)
def test_cancel_refused_after_timeout_keeps_the_order_in_doubt() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.cancel("c1")
    inv.apply(ev.SubmissionTimedOut("c1"))
    inv.apply(ev.CancelFailed("c1", "unknown order"))
    view = inv.order("c1")
    assert view is not None
    assert view.status == "unknown"
    assert any(isinstance(r, QueryOrder) for r in inv.requests())


# bug 4: a venue rejection arriving while a cancel is pending is ignored (pending_cancel has
# no reject transition); CancelFailed then makes the order open
@pytest.mark.parametrize("how", ["report", "submission_failed"])
def test_rejection_during_pending_cancel_ends_the_order(how: str) -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.cancel("c1")
    if how == "report":
        inv.apply(_new("rejected", 1))  # e.g. a post-only order that would have crossed
    else:
        inv.apply(ev.SubmissionFailed("c1", "insufficient balance"))
    inv.apply(ev.CancelFailed("c1", "unknown order"))
    view = inv.order("c1")
    assert view is not None
    assert view.status == "rejected"
    assert inv.balance("USDT").free == D(10000)


# bug 5: a fee-less inverse fill already covered by a flat position report raises
# decimal.DivisionByZero (entry 0) and leaves the order half-updated
def test_fee_less_inverse_fill_after_flat_report() -> None:
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=0,
            balances=(ev.BalanceReported("BTC", D(100), D(100), 0),),
            positions=(ev.PositionReported("BTCUSD_PERP", D(0), D(0), 0, "inverse"),),
        )
    )
    inv.submit("c1", "BTCUSD_PERP", "buy", D(1), D(100))
    inv.apply(
        ev.OrderReported(
            "BTCUSD_PERP", "X1", "c1", "buy", "new", D(1), D(100), D(0), None, 1, kind="inverse"
        )
    )
    # v2: c1 fills; v3: a liquidation closes the position. The flat report (v3) arrives
    # before the fee-less copy of the v2 fill (Bybit execution.fast).
    inv.apply(ev.PositionReported("BTCUSD_PERP", D(0), D(0), 3, "inverse"))
    inv.apply(
        ev.FillReported(
            "BTCUSD_PERP", "X1", "c1", "T1", "buy", D(1), D(100), None, None, 2, kind="inverse"
        )
    )
    view = inv.order("c1")
    assert view is not None
    assert view.status == "filled"
    assert inv.position("BTCUSD_PERP").quantity == 0


# bug 6: like bug 1, for an in-flight order the bot already asked to cancel: a report older
# than a complete snapshot that did not list it left it pending_cancel, unqueried.
def test_late_ack_after_snapshot_of_an_order_being_canceled() -> None:
    # c1 accepted (v1) and canceled (v2) at the venue; the pushes and the cancel answer were
    # lost. The snapshot at v2 lists no open order; then the REST ack (v1) arrives.
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.cancel("c1")
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(
                ev.BalanceReported("BTC", D(10), D(10), 2),
                ev.BalanceReported("USDT", D(10000), D(10000), 2),
            ),
        )
    )
    inv.apply(_new("new", 1))
    view = inv.order("c1")
    assert view is not None
    assert view.status == "unknown"
    assert any(isinstance(r, QueryOrder) for r in inv.requests())


# bug 7: an order the venue never acknowledged, in pending_cancel, was never queried: if the
# cancel's answer was lost (the core has no event for that timeout), it reserved forever.
def test_unacknowledged_order_with_a_lost_cancel_answer_is_queried() -> None:
    inv = _spot()
    inv.submit("c1", "BTCUSDT", "buy", D("0.1"), D(100))
    inv.apply(ev.SubmissionTimedOut("c1"))  # the venue never got it
    inv.cancel("c1")  # and the answer to this cancel never comes
    view = inv.order("c1")
    assert view is not None
    assert any(isinstance(r, QueryOrder) for r in inv.requests())
