"""The README's live bot (examples/live_loopback_bot.py) runs against the loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_live_loopback_bot_example_buys_once_and_reports_the_fill(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "live_loopback_bot.py"), str(tmp_path / "j")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # 0.1 BTC bought at 49000 with the loopback's 0.1 % fee taken in BTC.
    assert done.stdout.startswith("BTC 0.09990000 USDT Balance(total=Decimal('5100"), done.stdout
