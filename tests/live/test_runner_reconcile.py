"""The runner's periodic reconciliation on derivative venues: positions are diffed too.

Each venue's runner client against its loopback on 127.0.0.1: the account opens a long
position through the runner; then the venue's pushes are dropped and the venue
liquidates part of it, so the runner's position is stale (drift nobody told it about).
The next periodic reconciliation must log (WARNING) and journal a structured diff naming
the position, local vs venue, and its snapshot must repair the position through the
normal path; once they agree, a reconciliation diffs no position.
"""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from core.inventory import Inventory
from invsync.live.journal import Journal
from invsync.live.loopback.faults import Faults
from invsync.live.runner import Runner
from tests.live.venue_accounts import CONFIG, INSTRUMENT, UNIT, account

D = Decimal
PERIODIC = attrs.evolve(CONFIG, reconcile_interval=0.3)


def _reconcile_notes(journal: Journal, after: int) -> list[dict[str, Any]]:
    notes = [json.loads(r.body) for r in journal.rows(after) if r.kind == "note"]
    return [n for n in notes if n.get("what") == "reconcile"]


@pytest.mark.parametrize("venue", ["binance_usdm", "bybit", "okx"])
def test_periodic_reconciliation_diffs_a_drifted_position_and_repairs_it(
    venue: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inst, unit = INSTRUMENT[venue], UNIT[venue]
    symbol = inst.symbol

    async def session() -> dict[str, Any]:
        ex, client_of = account(venue, Faults(), seed=21)
        await ex.start()
        try:
            runner = Runner(client_of(ex), tmp_path / "journal.sqlite", Inventory([inst]), PERIODIC)
            async with runner:
                await runner.wait_synced(10)
                await runner.place(symbol, "buy", D(2) / unit, None, client_order_id="p1")
                for _ in range(250):
                    mine = runner.inventory.position(symbol)
                    if mine.quantity != 0 and mine == ex.model.position(symbol):
                        break
                    await asyncio.sleep(0.02)
                before = runner.inventory.position(symbol)
                assert before.quantity == D(2) / unit, f"{venue}: long not opened: {before}"
                mark = runner.journal.last_seq
                ex.faults = Faults(drop=1.0)  # every push from here on is lost
                ex.liquidate(symbol, D(1) / unit, D(90))
                truth = ex.model.position(symbol)
                assert truth.quantity == D(1) / unit
                found: dict[str, Any] | None = None
                for _ in range(250):
                    await asyncio.sleep(0.02)
                    found = next(
                        (
                            n
                            for n in _reconcile_notes(runner.journal, mark)
                            if "positions" in n["diff"]
                        ),
                        None,
                    )
                    if found is not None and runner.inventory.position(symbol) == truth:
                        break
                repaired = runner.inventory.position(symbol)
                ex.faults = Faults()
                await runner.reconcile(10)
                agreed = _reconcile_notes(runner.journal, mark)[-1]
            return {
                "before": before,
                "truth": truth,
                "found": found,
                "repaired": repaired,
                "agreed": agreed,
            }
        finally:
            await ex.stop()

    with caplog.at_level(logging.INFO, logger="invsync.live.runner"):
        out = asyncio.run(asyncio.wait_for(session(), 30))
    found, before, truth = out["found"], out["before"], out["truth"]
    assert found is not None, f"{venue}: no reconciliation diffed the position"
    assert found["why"] == "periodic reconciliation"
    side = found["diff"]["positions"][symbol]
    assert [D(x) for x in side["local"]] == [before.quantity, before.entry_price]
    assert [D(x) for x in side["venue"]] == [truth.quantity, truth.entry_price]
    assert out["repaired"] == truth, f"{venue}: the snapshot did not repair the position"
    assert "positions" not in out["agreed"]["diff"], out["agreed"]
    warned = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "periodic reconciliation" in r.getMessage()
    ]
    assert any(f'"positions": {{"{symbol}"' in r.getMessage() for r in warned), [
        r.getMessage() for r in warned
    ]
