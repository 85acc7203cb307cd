"""The balance ledger seen through the Inventory: reports without ``free``, ties, coverage."""

from __future__ import annotations

from core import events as ev
from tests.core.builders import D, bal, fill, report, spot


# --- balance ledger: reports without free, partial coverage, ties ---------------------------
def test_total_only_report_keeps_the_reported_locked_amount() -> None:
    inv = spot()
    inv.apply(bal("USDT", "1000", "800", 2))
    inv.apply(ev.BalanceReported("USDT", D(950), None, 3))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(950), D(750), D(200))


def test_report_at_the_same_version_replaces_the_balance() -> None:
    inv = spot()
    inv.apply(bal("USDT", "900", "850", 1))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(900), D(850), D(50))


def test_report_drops_changes_up_to_its_version_and_keeps_later_ones() -> None:
    inv = spot()
    inv.apply(ev.CashChanged("USDT", D(10), D(10), 3, "deposit", "a"))
    inv.apply(ev.CashChanged("USDT", D(1), D(1), 4, "deposit", "b"))
    inv.apply(ev.CashChanged("USDT", D(5), D(2), 5, "lock", "c"))
    inv.apply(bal("USDT", "1011", "1011", 4))  # includes a and b, not c
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1016), D(1013), D(3))
    assert inv.stats()["pending_changes"] == 1


def test_report_listing_trade_ids_drops_exactly_those_fills() -> None:
    inv = spot()
    inv.apply(report("new", "0", 2, qty="2"))  # reserves 200 USDT at v2
    inv.apply(fill("t1", "1", "100", 6))
    inv.apply(fill("t2", "1", "100", 7))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(800), D(800), D(0))
    # The venue's v5 report includes the reserve (v2) and t1 (by id): 900 total, 100 locked.
    inv.apply(ev.BalanceReported("USDT", D(900), D(800), 5, frozenset({"t1"})))
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(800), D(800), D(0))
    assert inv.stats()["pending_changes"] == 3  # t2 on USDT; t1, t2 on BTC
