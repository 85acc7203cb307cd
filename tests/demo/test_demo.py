"""``invsync demo``: the naive bot overshoots, the Inventory's never does; the table and the
PNG show it. Checked against the venue's truth the harness recorded, by an oracle written
here (not the demo's own measure)."""

from __future__ import annotations

import io
import struct
from decimal import Decimal
from pathlib import Path

import pytest

from invsync import demo
from invsync.backtest import Result, TargetInventory
from invsync.cli import main


@pytest.fixture(scope="module")
def outcomes() -> tuple[demo.Outcome, demo.Outcome]:
    return demo.compare(demo.DEFAULT_SEED, demo.DEFAULT_STEPS, demo.DEFAULT_FAULTS)


def _orders_past_target(result: Result, strategy: TargetInventory) -> list[Decimal]:
    """How far past its target each order would take the truth if all live orders filled."""
    out = []
    for o in result.sent:
        target = strategy.target_at(o.ts)
        past = (
            o.true_high + o.quantity - target
            if o.side == "buy"
            else target - (o.true_low - o.quantity)
        )
        out.append(past)
    return out


def _realized_overshoot(result: Result, strategy: TargetInventory) -> Decimal:
    """The truth beyond the target, past what the orders live at the target's change allowed."""
    worst = Decimal(0)
    boundary = strategy.t0
    before = result.samples[0]
    limits = (before.true_high, before.true_low)
    for s in result.samples:
        while s.ts >= boundary:
            # A new target: the last sample before it bounds what earlier orders can bring.
            target = strategy.target_at(boundary)
            limits = (max(target, before.true_high), min(target, before.true_low))
            boundary += strategy.period_us
        worst = max(worst, s.base - limits[0], limits[1] - s.base)
        before = s
    return worst


def test_the_naive_bot_overshoots_and_the_inventory_bot_never_does(
    outcomes: tuple[demo.Outcome, demo.Outcome],
) -> None:
    naive, inv = outcomes
    assert max(_orders_past_target(inv.result, inv.strategy)) <= 0
    assert max(_orders_past_target(naive.result, naive.strategy)) > 0
    assert _realized_overshoot(inv.result, inv.strategy) == 0 == inv.worst_overshoot
    naive_over = _realized_overshoot(naive.result, naive.strategy)
    assert naive_over > Decimal("0.5")
    assert naive.worst_overshoot == naive_over
    assert inv.duplicates == 0 < naive.duplicates
    assert naive.duplicates == sum(
        1 for p in _orders_past_target(naive.result, naive.strategy) if p > 0
    )
    # Same world for both: prices, and the Inventory's bot reached its final target.
    assert naive.result.last_price == inv.result.last_price
    assert abs(inv.reached - inv.target) < Decimal("0.01")  # within one lot


def test_the_table_shows_the_contrast(outcomes: tuple[demo.Outcome, demo.Outcome]) -> None:
    naive, inv = outcomes
    out = io.StringIO()
    demo.print_table(naive, inv, out, demo.DEFAULT_SEED, demo.DEFAULT_FAULTS)
    text = out.getvalue()
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    overshoot = lines["worst overshoot (BTC)"].split("│")
    assert overshoot[2].strip() == str(naive.worst_overshoot)
    assert overshoot[3].strip() == "0"
    duplicates = lines["duplicate orders sent"].split("│")
    assert (duplicates[2].strip(), duplicates[3].strip()) == (str(naive.duplicates), "0")
    assert f"overshot its target by up to {naive.worst_overshoot} BTC" in text


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.png"
    assert main(["demo", "--plot", str(path)]) == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width > 500 and height > 300
    assert data[-8:-4] == b"IEND"
    out = capsys.readouterr().out
    assert "naive tracker" in out and f"wrote {path}" in out


def test_demo_refuses_bad_options_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--steps", "5"]) == 2
    assert main(["demo", "--faults", "nope"]) == 2
    assert main(["demo", "--plot", "/no/such/dir/x.png"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("invsync demo: ") for line in err)
