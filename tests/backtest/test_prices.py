"""Price files: both CSV shapes read exactly, and every bad row named by row and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from invsync.backtest import SAMPLE_BARS, SAMPLE_TRADES, PriceFile, PriceFileError, Tick


def _file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "prices.csv"
    p.write_text(text)
    return p


def test_trades_are_read_as_decimals_with_microsecond_times(tmp_path: Path) -> None:
    p = _file(tmp_path, "ts,price,qty,side\n1000,100.10,0.5,buy\n1500,99.9,2,SELL\n")
    ticks = list(PriceFile(p))
    assert ticks == [
        Tick(1_000_000, Decimal("100.10"), Decimal("0.5"), "buy"),
        Tick(1_500_000, Decimal("99.9"), Decimal("2"), "sell"),
    ]


def test_columns_in_any_order_and_iso_times(tmp_path: Path) -> None:
    text = "side,qty,price,ts\nbuy,1,10,2026-01-05T00:00:01Z\nsell,1,11,2026-01-05T00:00:02\n"
    p = _file(tmp_path, text)
    a, b = list(PriceFile(p))
    assert b.ts - a.ts == 1_000_000
    assert (a.price, b.price) == (Decimal(10), Decimal(11))


def test_a_bar_is_four_steps_nearer_extreme_first_spread_over_the_bar(tmp_path: Path) -> None:
    p = _file(
        tmp_path,
        "ts,open,high,low,close,volume\n"
        "0,100,104,99,103,5\n"  # the low (1 away) is nearer the open than the high (4 away)
        "60000,103,110,95,96,0\n",  # the high (7 away) is nearer than the low (8 away)
    )
    ticks = list(PriceFile(p))
    assert [t.price for t in ticks] == [Decimal(x) for x in (100, 99, 104, 103, 103, 110, 95, 96)]
    assert [t.ts for t in ticks[:4]] == [0, 15_000_000, 30_000_000, 45_000_000]
    assert all(t.qty is None and t.side is None for t in ticks)


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("ts,price,qty,side\n1,10,1,buy\n2,abc,1,buy\n", 3, "price"),
        ("ts,price,qty,side\n1,10,0,buy\n", 2, "qty"),
        ("ts,price,qty,side\n1,10,1,hold\n", 2, "side"),
        ("ts,price,qty,side\n5,10,1,buy\n4,10,1,buy\n", 3, "ts"),
        ("ts,price,qty,side\nyesterday,10,1,buy\n", 2, "ts"),
        ("ts,price,qty,side\n1,10\n", 2, "qty"),
        ("ts,open,high,low,close,volume\n0,10,9,8,9,1\n", 2, "high"),
        ("ts,open,high,low,close,volume\n0,10,12,11,11,1\n", 2, "low"),
        ("ts,open,high,low,close,volume\n0,10,12,9,11,-1\n", 2, "volume"),
        ("ts,open,high,low,close,volume\n0,10,12,9,11,1\n0,10,12,9,11,1\n", 3, "ts"),
    ],
)
def test_a_bad_row_is_named_by_row_and_column(
    tmp_path: Path, text: str, row: int, column: str
) -> None:
    p = _file(tmp_path, text)
    with pytest.raises(PriceFileError, match=rf"row {row}, column {column}: "):
        list(PriceFile(p))


def test_a_header_of_neither_shape_is_refused_naming_both(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match=r"row 1: header 'time,last' is neither trades"):
        PriceFile(_file(tmp_path, "time,last\n1,2\n"))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match=r"nope\.csv: no such file"):
        PriceFile(tmp_path / "nope.csv")


def test_the_shipped_samples_read_in_full() -> None:
    trades, bars = PriceFile(SAMPLE_TRADES), PriceFile(SAMPLE_BARS)
    assert (trades.shape, bars.shape) == ("trades", "bars")
    n_trades, n_bars = sum(1 for _ in trades), sum(1 for _ in bars)
    assert trades.rows == trades.count_rows() == n_trades > 10_000
    assert bars.rows == bars.count_rows() and n_bars == 4 * bars.rows


def test_the_generator_rebuilds_the_shipped_samples_byte_for_byte(tmp_path: Path) -> None:
    from invsync.backtest.sample import main

    assert main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / SAMPLE_TRADES.name).read_bytes() == SAMPLE_TRADES.read_bytes()
    assert (tmp_path / SAMPLE_BARS.name).read_bytes() == SAMPLE_BARS.read_bytes()
