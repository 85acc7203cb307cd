"""Price paths for backtests: a CSV of trades or of bars, read row by row.

Two shapes, told apart by the header (columns in any order, names as given here):

* trades: ``ts, price, qty, side`` — one execution of the market; ``side`` is the
  aggressor (``buy`` or ``sell``), ``qty`` caps what resting orders can fill at that print;
* bars: ``ts, open, high, low, close, volume`` — one bar per row, replayed as four price
  steps (open, then the nearer extreme, the other extreme, close) spread over the bar;
  ``volume`` is read and checked but caps nothing (a bar does not say how much traded
  at which price).

``ts`` is epoch milliseconds (an integer) or an ISO 8601 time (``2026-01-02T03:04:05Z``);
rows must not go back in time. Prices and quantities are read as ``Decimal`` from their
text. A bad row raises ``PriceFileError`` naming the file, the row (as a line number, the
header being row 1) and the column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

import attrs

TRADE_COLUMNS: Final = ("ts", "price", "qty", "side")
BAR_COLUMNS: Final = ("ts", "open", "high", "low", "close", "volume")
_SIDES: Final = frozenset({"buy", "sell"})
_ZERO: Final = Decimal(0)


class PriceFileError(ValueError):
    """A price file that cannot be read: names the file, row and column."""


@attrs.frozen(slots=True)
class Tick:
    """One price step: time in microseconds, price, and (trades only) size and aggressor."""

    ts: int
    price: Decimal
    qty: Decimal | None = None
    side: str | None = None


class PriceFile:
    """A CSV price path; iterate it for ``Tick`` s, ``rows`` counts the data rows read so far."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise PriceFileError(f"{self.path}: no such file")
        self.rows = 0
        with self.path.open(newline="") as f:
            header = next(csv.reader(f), None)
        if header is None:
            raise PriceFileError(f"{self.path}: empty file (expected a header row)")
        names = [h.strip().lower() for h in header]
        if set(TRADE_COLUMNS) <= set(names):
            self.shape = "trades"
            wanted: tuple[str, ...] = TRADE_COLUMNS
        elif set(BAR_COLUMNS) <= set(names):
            self.shape = "bars"
            wanted = BAR_COLUMNS
        else:
            raise PriceFileError(
                f"{self.path} row 1: header {','.join(names)!r} is neither trades "
                f"({', '.join(TRADE_COLUMNS)}) nor bars ({', '.join(BAR_COLUMNS)})"
            )
        self._index = {name: names.index(name) for name in wanted}

    def count_rows(self) -> int:
        """Data rows in the file (a quick line count, for a progress bar's total)."""
        with self.path.open("rb") as f:
            lines = sum(1 for line in f if line.strip())
        return max(0, lines - 1)

    def __iter__(self) -> Iterator[Tick]:
        return self._trades() if self.shape == "trades" else self._bars()

    # --- parsing ------------------------------------------------------------------------

    def _fail(self, row: int, column: str, value: str, why: str) -> PriceFileError:
        return PriceFileError(f"{self.path} row {row}, column {column}: {value!r} {why}")

    def _ts(self, row: int, text: str, last: int | None) -> int:
        text = text.strip()
        try:
            if text.lstrip("-").isdigit():
                us = int(text) * 1000
            else:
                dt = datetime.fromisoformat(text)
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=UTC)
                us = round(dt.timestamp() * 1_000_000)
        except ValueError:
            raise self._fail(
                row, "ts", text, "is neither epoch milliseconds nor an ISO 8601 time"
            ) from None
        if last is not None and us < last:
            raise self._fail(row, "ts", text, "goes back in time (rows must be in time order)")
        return us

    def _decimal(self, row: int, column: str, text: str, positive: bool = True) -> Decimal:
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise self._fail(row, column, text, "is not a decimal number") from None
        if not d.is_finite() or (d <= 0 if positive else d < 0):
            raise self._fail(row, column, text, "must be > 0" if positive else "must be >= 0")
        return d

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        width = max(self._index.values()) + 1
        with self.path.open(newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                line = reader.line_num
                if len(cells) < width:
                    missing = next(n for n, i in self._index.items() if i >= len(cells))
                    raise PriceFileError(
                        f"{self.path} row {line}, column {missing}: missing "
                        f"(the row has {len(cells)} cells)"
                    )
                self.rows += 1
                yield line, cells

    def _trades(self) -> Iterator[Tick]:
        its, ip, iq, iside = (self._index[c] for c in TRADE_COLUMNS)
        last: int | None = None
        for line, cells in self._rows():
            ts = last = self._ts(line, cells[its], last)
            price = self._decimal(line, "price", cells[ip])
            qty = self._decimal(line, "qty", cells[iq])
            side = cells[iside].strip().lower()
            if side not in _SIDES:
                raise self._fail(line, "side", cells[iside], "must be buy or sell")
            yield Tick(ts, price, qty, side)

    def _bars(self) -> Iterator[Tick]:
        its, io, ih, il, ic, iv = (self._index[c] for c in BAR_COLUMNS)
        pending: tuple[int, Decimal, Decimal, Decimal, Decimal] | None = None
        gap = 0
        last: int | None = None
        for line, cells in self._rows():
            ts = self._ts(line, cells[its], last)
            o, h, lo, c = (
                self._decimal(line, name, cells[i])
                for name, i in (("open", io), ("high", ih), ("low", il), ("close", ic))
            )
            self._decimal(line, "volume", cells[iv], positive=False)
            if h < max(o, c, lo):
                raise self._fail(line, "high", cells[ih], "is below open, low or close")
            if lo > min(o, c):
                raise self._fail(line, "low", cells[il], "is above open or close")
            if last is not None and ts == last:
                raise self._fail(line, "ts", cells[its], "repeats the previous bar's time")
            if pending is not None:
                gap = ts - pending[0]
                yield from _bar_steps(pending, gap)
            pending, last = (ts, o, h, lo, c), ts
        if pending is not None:
            yield from _bar_steps(pending, gap)


def _bar_steps(bar: tuple[int, Decimal, Decimal, Decimal, Decimal], gap: int) -> Iterator[Tick]:
    """Four steps over the bar; the extreme nearer the open is taken first (a common guess)."""
    ts, o, h, lo, c = bar
    first, second = (lo, h) if o - lo <= h - o else (h, lo)
    quarter = gap // 4
    for k, price in enumerate((o, first, second, c)):
        yield Tick(ts + k * quarter, price)
