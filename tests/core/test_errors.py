"""P7: every invalid event or intent is refused with a named error and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from core import InvalidEvent, Inventory, InventoryError, ParseError
from core import events as ev
from tests.core.builders import D, bal, fill, fingerprint, report, spot


def test_error_hierarchy() -> None:
    assert issubclass(ParseError, InventoryError) and issubclass(InvalidEvent, InventoryError)
    assert issubclass(InventoryError, ValueError)


def busy() -> Inventory:
    """An Inventory with an open, partly filled order and pending changes."""
    inv = spot()
    inv.submit(client_order_id="c1", symbol="BTCUSDT", side="buy", quantity=D(1), price=D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("t1", "0.5", "100", 3))
    return inv


CONSTRUCTION: list[tuple[str, Callable[[], Any], str]] = [
    ("negative quantity", lambda: fill("t2", "-1", "100", 4), "quantity: must be > 0, got -1"),
    (
        "float quantity",
        lambda: ev.FillReported(
            "BTCUSDT",
            "1",
            "c1",
            "t2",
            "buy",
            cast(Any, 0.5),
            D(1),
            D(0),
            "USDT",
            4,
        ),
        "expected a finite Decimal, got 0.5",
    ),
    (
        "int price",
        lambda: ev.FillReported(
            "BTCUSDT",
            "1",
            "c1",
            "t2",
            "buy",
            D(1),
            100,  # type: ignore[arg-type]
            D(0),
            "USDT",
            4,
        ),
        "price: expected a finite Decimal",
    ),
    ("NaN total", lambda: ev.BalanceReported("USDT", D("NaN"), D(0), 4), "total"),
    ("unknown side", lambda: fill("t2", "1", "100", 4, side="long"), "unknown side 'long'"),
    (
        "missing order id",
        lambda: report("new", "0", 4, oid=""),
        "order_id: expected a non-empty id",
    ),
    ("missing trade id", lambda: fill("", "1", "100", 4), "trade_id: expected a non-empty id"),
    ("negative version", lambda: bal("USDT", "1", "1", -1), "version: expected an int >= 0"),
    ("unknown status", lambda: report("open", "0", 4), "unknown status 'open'"),
    (
        "fee without asset",
        lambda: fill("t2", "1", "100", 4, fee="1", fee_asset=None),
        "without fee_asset",
    ),
    ("overfilled report", lambda: report("filled", "2", 4), "above quantity 1"),
]


@pytest.mark.parametrize(
    ("case", "make", "message"), CONSTRUCTION, ids=[c[0] for c in CONSTRUCTION]
)
def test_malformed_values_are_refused_at_construction(
    case: str, make: Callable[[], Any], message: str
) -> None:
    with pytest.raises(InvalidEvent, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


CONTRADICTIONS: list[tuple[str, ev.Event, str]] = [
    (
        "unknown instrument",
        fill("t2", "0.1", "100", 4, symbol="DOGEUSDT"),
        "unknown instrument 'DOGEUSDT'",
    ),
    (
        "overfill",
        fill("t2", "0.6", "100", 4),
        "would take filled quantity to 1.1, above the order quantity 1",
    ),
    (
        "fill side contradicts order",
        fill("t2", "0.1", "100", 4, side="sell"),
        "side sell contradicts order c1",
    ),
    (
        "report side contradicts order",
        report("new", "0", 4, side="sell"),
        "contradicts the order's side buy",
    ),
    ("report quantity below fills", report("new", "0", 4, qty="0.4"), "below the known fills 0.5"),
    ("same trade id, other quantity", fill("t1", "0.4", "100", 3), "contradict the same trade"),
    (
        "unknown kind for symbol",
        fill("t2", "0.1", "100", 4, kind="linear"),
        "unknown instrument BTCUSDT (linear)",
    ),
    (
        "position of a spot symbol",
        ev.PositionReported("BTCUSDT", D(1), D(1), 4),
        "not a derivative",
    ),
    ("not an event", "hello", "not an invsync event"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(
    ("case", "event", "message"), CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS]
)
def test_contradictory_events_change_nothing(case: str, event: ev.Event, message: str) -> None:
    inv = busy()
    before = fingerprint(inv)
    with pytest.raises(InvalidEvent) as err:
        inv.apply(event)
    assert message in str(err.value)
    assert fingerprint(inv) == before


def test_snapshot_with_a_bad_part_changes_nothing() -> None:
    inv = busy()
    before = fingerprint(inv)
    bad = ev.SnapshotTaken(
        version=9,
        balances=(bal("USDT", "5", "5", 9),),
        trades=(fill("t9", "0.9", "100", 8),),  # would overfill c1
    )
    with pytest.raises(InvalidEvent, match="above the order quantity"):
        inv.apply(bad)
    assert fingerprint(inv) == before


INTENTS: list[tuple[str, dict[str, Any], str]] = [
    ("float quantity", {"quantity": 1.0}, "quantity: expected a finite Decimal, got 1.0"),
    ("zero quantity", {"quantity": D(0)}, "quantity: must be > 0, got 0"),
    ("negative price", {"price": D(-1)}, "price: must be > 0, got -1"),
    ("str price", {"price": "100"}, "price: expected a finite Decimal"),
    ("unknown symbol", {"symbol": "XRPUSDT"}, "unknown instrument 'XRPUSDT'"),
    ("unknown side", {"side": "long"}, "unknown side 'long'"),
    ("duplicate client id", {"client_order_id": "c1"}, "already names a live order"),
    ("limit without price", {"price": None, "order_type": "limit"}, "a limit order needs a price"),
]


@pytest.mark.parametrize(("case", "change", "message"), INTENTS, ids=[c[0] for c in INTENTS])
def test_invalid_submit_is_refused_and_records_nothing(
    case: str, change: dict[str, Any], message: str
) -> None:
    inv = busy()
    before = fingerprint(inv, keys=("c1", "c2", "1"))
    args: dict[str, Any] = {
        "client_order_id": "c2",
        "symbol": "BTCUSDT",
        "side": "buy",
        "quantity": D(1),
        "price": D(100),
    }
    args.update(change)
    with pytest.raises(InvalidEvent, match=message):
        inv.submit(**args)
    assert fingerprint(inv, keys=("c1", "c2", "1")) == before


def test_cancel_of_unknown_id_is_refused() -> None:
    inv = busy()
    before = fingerprint(inv)
    with pytest.raises(InvalidEvent, match="unknown client order id 'nope'"):
        inv.cancel("nope")
    assert fingerprint(inv) == before


def test_late_early_and_duplicate_events_are_never_errors() -> None:
    inv = busy()
    late: list[ev.Event] = [
        report("new", "0", 1),
        fill("t1", "0.5", "100", 3),
        bal("USDT", "1", "1", 0),
        report("partially_filled", "0.5", 3),
        report("new", "0", 2),
    ]
    for e in late:
        inv.apply(e)
        inv.apply(e)
    assert inv.order("c1") is not None


def test_exact_decimal_survives_extremes() -> None:
    inv = spot(usdt="100000000000000000000")
    inv.submit(
        client_order_id="c1",
        symbol="BTCUSDT",
        side="buy",
        quantity=Decimal("1e-8"),
        price=Decimal("99999999999.12345678"),
    )
    inv.apply(fill("t1", "0.00000001", "99999999999.12345678", 2))
    assert inv.balance("BTC").total == Decimal("0.00000001")
    assert inv.balance("USDT").total == Decimal("100000000000000000000") - Decimal(
        "999.9999999912345678"
    )
