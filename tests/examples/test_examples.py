"""Every example in examples/ that this module knows runs to completion, as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _run(name: str, *args: str, timeout: float = 90) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def test_backtest_example_trades_and_never_holds_past_its_target() -> None:
    out = _run("backtest_target_inventory.py")
    orders = int(out.split(" orders,")[0].split()[-1])
    most = Decimal(out.split("most BTC ever held: ")[1].split()[0])
    assert orders > 10  # it did trade, through the hostile stream
    assert Decimal(0) < most <= Decimal(2)


def test_live_loopback_example_buys_once(tmp_path: Path) -> None:
    out = _run("live_loopback_bot.py", str(tmp_path / "bot.journal"))
    # One buy of 0.1 BTC at 49,000 out of 10,000 USDT, the fee taken in BTC: one fill, not two.
    btc = Decimal(out.split()[1])
    assert Decimal("0.09") < btc <= Decimal("0.1"), out
    assert "total=Decimal('5100" in out, out
