"""The position book's memory of reports and fills: what a fill's PnL rests on.

``PositionBook.pnls(after)`` prices each kept fill newer than ``after`` against the
position just before it (the newest report not including it, replayed with the known
fills between); where the next report shows a quantity the known fills do not reach,
against that report's state. ``forget(before)`` lets go of what no newer fill rests on,
and keeps at most ``HISTORY`` reports whatever ``before`` is. Every expected PnL below is
worked by hand: (exit - entry) x closed quantity, signed by the side closed.
"""

from __future__ import annotations

from decimal import Decimal

from core.position import PositionBook
from tests.core.builders import D


def _book() -> PositionBook:
    return PositionBook(False, D(1))


def _pnls(book: PositionBook, after: int = -1) -> dict[str, Decimal]:
    return {f.trade_id: pnl for f, pnl in book.pnls(after)}


def test_fills_at_the_first_versions_of_a_fresh_book_are_priced() -> None:
    book = _book()
    book.add("a", 0, D(1), D(100), "t0")
    book.add("b", 1, D(-1), D(110), "t1")
    # Long 1 at 100, then sold at 110.
    assert _pnls(book) == {"t0": D(0), "t1": D(10)}


def test_only_fills_newer_than_after_are_priced_against_the_older_ones() -> None:
    book = _book()
    book.add("a", 1, D(1), D(100), "t1")
    book.add("b", 3, D(-1), D(110), "t3")
    assert _pnls(book, after=1) == {"t3": D(10)}
    assert _pnls(book, after=0) == {"t1": D(0), "t3": D(10)}


def test_a_fill_the_oldest_kept_report_lists_is_left_out_and_later_fills_still_priced() -> None:
    book = _book()
    book.report(D(0), D(0), 1, None)
    book.report(D(1), D(100), 3, frozenset({"t5"}))
    assert book.add("k5", 5, D(1), D(100), "t5") is False  # the report lists it
    assert book.add("k6", 6, D(-1), D(120), "t6") is True
    book.forget(3)
    # t5 is inside the only kept report: nothing to price it against. t6 sells the
    # reported long 1 @100 at 120.
    assert _pnls(book) == {"t6": D(20)}


def test_a_fill_with_fills_missing_before_the_next_report_is_priced_against_that_report() -> None:
    book = _book()
    book.report(D(-1), D(100), 1, None)
    book.add("a", 3, D(-1), D(90), "ta")  # adds to the short: no PnL
    book.report(D(-3), D(95), 5, None)  # another sell of 1 was never heard
    book.add("b", 7, D(1), D(85), "tb")  # buys back 1 of the short 3 @95 at 85
    assert _pnls(book) == {"ta": D(0), "tb": D(10)}


def test_a_report_at_the_same_version_replaces_the_one_before_it() -> None:
    book = _book()
    book.report(D(2), D(100), 1, None)
    book.report(D(2), D(100), 3, None)
    book.add("a", 4, D(-1), D(110), "t4")
    book.report(D(7), D(50), 5, None)  # superseded at the same version
    book.report(D(1), D(100), 5, None)
    book.add("b", 6, D(-1), D(110), "t6")
    # Only the corrected v5 counts: t4 takes 2 to 1 (sold 1 of a long @100 at 110), and
    # t6 sells the reported long 1 @100 at 110.
    assert _pnls(book) == {"t4": D(10), "t6": D(10)}


def test_the_same_fill_is_recorded_once_after_its_covering_report_is_superseded() -> None:
    book = _book()
    book.report(D(1), D(100), 10, frozenset({"t12"}))
    assert book.add("k", 12, D(1), D(100), "t12") is False
    assert book.report(D(1), D(100), 11, None) == []
    assert book.add("k", 12, D(1), D(100), "t12") is False


def test_forget_lets_go_of_fills_at_or_before_the_newest_report_at_before() -> None:
    book = _book()
    book.add("k2", 2, D(10), D(100), "t2")
    book.report(D(10), D(100), 3, None)
    book.add("k4", 4, D(-1), D(110), "t4")
    assert _pnls(book) == {"t2": D(0), "t4": D(10)}
    book.forget(3)
    assert _pnls(book) == {"t4": D(10)}


def test_forget_before_every_kept_report_still_caps_the_reports_kept() -> None:
    book = _book()
    for v in range(70):
        book.report(D(v), D(100), v, None)
    book.forget(0)  # keeps the newest HISTORY (64) reports: v6..v69
    book.add("k7", 7, D(1), D(100), "t7")
    assert set(_pnls(book)) == {"t7"}
    book.report(D(70), D(100), 70, None)
    book.forget(0)  # one report too many: v6 goes, and the fill at v7 it alone priced
    assert _pnls(book) == {}


def test_forget_lets_go_of_every_fill_at_or_before_the_kept_report() -> None:
    # Memory stays bounded: fills at v2 and v3 rest on nothing kept once the v3 report is
    # the oldest kept; only the v4 fill stays.
    book = _book()
    book.add("k2", 2, D(1), D(100), "t2")
    book.report(D(2), D(100), 3, None)
    book.add("k3", 3, D(1), D(100), "t3")
    book.add("k4", 4, D(-1), D(110), "t4")
    book.forget(3)
    assert len(book.seen) == 1
    assert _pnls(book) == {"t4": D(10)}
