"""Realized PnL of a fill without a venue figure is priced against the position as it was at
that fill: the report before it replayed with the fills between, recomputed whenever a
report or an earlier fill changes what it rests on (DESIGN §2, Edge rules: Realized PnL).

The setting is Bybit linear with ``execution.fast`` first (no fee, no PnL) and the wallet
reported apart from the position: the wallet report stays at the snapshot, so every fill's
PnL is a pending change on top of it and must be right on its own.
"""

from __future__ import annotations

from decimal import Decimal

from core import Instrument, Inventory
from core import events as ev

D = Decimal
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
INVERSE = Instrument(
    symbol="BTCUSD_PERP", kind="inverse", base="BTC", quote="USD", contract_size=D(100)
)


def _inv(inst: Instrument = PERP, qty: str = "1", entry: str = "100") -> Inventory:
    inv = Inventory([inst])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(ev.BalanceReported(inst.settle, D(1000), D(1000), 1),),
            positions=(ev.PositionReported(inst.symbol, D(qty), D(entry), 1),),
        )
    )
    return inv


def _fast(tid: str, side: str, qty: str, price: str, v: int, sym: str = "BTCUSDT") -> ev.Event:
    """A fee-less, PnL-less copy of a trade (execution.fast, TRADE_LITE)."""
    return ev.FillReported(
        symbol=sym,
        order_id=f"o{tid}",
        client_order_id=None,
        trade_id=tid,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=None,
        fee_asset=None,
        version=v,
    )


def _pos(qty: str, entry: str, v: int, sym: str = "BTCUSDT") -> ev.Event:
    return ev.PositionReported(sym, D(qty), D(entry), v)


# A long 1 @100; A sells 1 @110 (+10), B buys 1 @120 (opens), C sells 1 @130 (+10).
A = _fast("A", "sell", "1", "110", 2)
B = _fast("B", "buy", "1", "120", 3)
C = _fast("C", "sell", "1", "130", 4)


def test_fill_priced_against_an_old_position_is_repriced_once_its_earlier_fills_come() -> None:
    # C first (against long 1 @100 it looks like +30), then a flat report covering all
    # three, then A and B: each is priced against the position before it, +10, 0, +10.
    inv = _inv()
    for e in (C, _pos("0", "0", 4), A, B):
        inv.apply(e)
    assert inv.balance("USDT").total == D(1020)
    assert inv.position("BTCUSDT").quantity == 0


def test_closing_fill_after_a_flat_report_covering_it_realizes_its_pnl() -> None:
    inv = _inv()
    inv.apply(_pos("0", "0", 2))
    inv.apply(A)
    assert inv.balance("USDT").total == D(1010)


def test_position_report_between_a_fill_and_its_earlier_fills_reprices_it() -> None:
    # C (+30 against the stale long @100), then the report after A and B (long 1 @120):
    # C rests on that report now: +10. A and B come last, covered: +10 and 0.
    inv = _inv()
    for e in (C, _pos("1", "120", 3)):
        inv.apply(e)
    assert inv.balance("USDT").total == D(1010)
    inv.apply(A)
    inv.apply(B)
    assert inv.balance("USDT").total == D(1020)


def test_every_arrival_order_gives_the_same_wallet() -> None:
    import itertools

    events = [A, B, C, _pos("0", "0", 4), _pos("1", "120", 3), _pos("0", "0", 2)]
    for perm in itertools.permutations(events):
        inv = _inv()
        for e in perm:
            inv.apply(e)
        assert inv.balance("USDT").total == D(1020), perm
        assert inv.position("BTCUSDT").quantity == 0, perm


def test_wallet_report_covering_a_fill_ends_its_repricing() -> None:
    # Once a wallet report at v4 includes every PnL, later news changes nothing.
    inv = _inv()
    inv.apply(C)
    inv.apply(ev.BalanceReported("USDT", D(1020), D(1020), 4))
    for e in (_pos("0", "0", 4), A, B):
        inv.apply(e)
    assert inv.balance("USDT").total == D(1020)


def test_venue_pnl_of_an_earlier_fill_still_moves_the_entry_a_later_fill_closes() -> None:
    inv = _inv()
    inv.apply(C)
    inv.apply(
        ev.FillReported(
            symbol="BTCUSDT",
            order_id="oB",
            client_order_id=None,
            trade_id="B",
            side="buy",
            quantity=D(1),
            price=D(120),
            fee=D(0),
            fee_asset="USDT",
            version=3,
            realized_pnl=D(0),
        )
    )
    inv.apply(_pos("0", "0", 2))  # A is inside it; its own message never comes
    assert inv.balance("USDT").total == D(1010)  # C against B's entry 120


def test_inverse_fill_after_a_flat_report_covering_it() -> None:
    # Long 100 contracts @ 20000 of 100 USD each, closed @ 25000:
    # 100 * 100 * (1/20000 - 1/25000) = 0.1 BTC.
    inv = _inv(INVERSE, qty="100", entry="20000")
    inv.apply(_pos("0", "0", 2, "BTCUSD_PERP"))
    inv.apply(_fast("A", "sell", "100", "25000", 2, "BTCUSD_PERP"))
    assert inv.balance("BTC").total == D(1000) + D("0.1")


def test_fill_whose_earlier_fills_are_missing_is_priced_against_its_covering_report() -> None:
    # From flat (v1) no known fill reaches the long 1 @120 reported at v4: fills between
    # are missing, so C's position before it is read off that report (long 2 @120): +10.
    inv = _inv(qty="0", entry="0")
    inv.apply(_pos("1", "120", 4))
    inv.apply(C)
    assert inv.balance("USDT").total == D(1010)


def test_fill_priced_against_the_report_that_covers_it_not_an_older_one() -> None:
    # Reports: flat (v1), long 5 @100 (v2), long 1 @120 (v4). C (sell 1 @130, v4): no known
    # fill takes v2's 5 to v4's 1, so C rests on the v4 report (long 2 @120 before it): +10.
    inv = _inv(qty="0", entry="0")
    inv.apply(_pos("5", "100", 2))
    inv.apply(_pos("1", "120", 4))
    inv.apply(C)
    assert inv.balance("USDT").total == D(1010)


def test_settled_fill_repriced_by_a_late_earlier_fill_is_unsettled_until_the_wallet_covers_it() -> (
    None
):
    # Flat at v1; a flat report at v3 covers A (buy 1 @100, v2) and B (sell 1 @110, v3).
    # B comes first: nothing known reaches the report, so it is priced 0 and, fee 0 and
    # its position covered, settled at once. A then shows B closed a long: +10, a change
    # of B pending again (settling) until the wallet report includes it.
    inv = _inv(qty="0", entry="0")
    inv.apply(_pos("0", "0", 3))

    def fill(tid: str, side: str, price: str, v: int) -> ev.Event:
        return ev.FillReported(
            "BTCUSDT", f"o{tid}", None, tid, side, D(1), D(price), D(0), "USDT", v
        )

    inv.apply(fill("B", "sell", "110", 3))
    assert (inv.balance("USDT").total, inv.sync_state) == (D(1000), "synced")
    inv.apply(fill("A", "buy", "100", 2))
    assert (inv.balance("USDT").total, inv.sync_state) == (D(1010), "settling")
    inv.apply(ev.BalanceReported("USDT", D(1010), D(1010), 3))
    assert (inv.balance("USDT").total, inv.sync_state) == (D(1010), "synced")
