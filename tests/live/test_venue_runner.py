"""The runner (issue 17) on the derivative venues: each venue's ``Venue`` client against
its loopback exchange on 127.0.0.1, per fault kind.

A derivative account's life goes through the real ``Runner`` (journal on disk, requests
loop, resyncs, in-flight queries): the bot places, amends and cancels through the
runner; the venue fills, moves the price, pays funding and liquidates (positions open,
flip and close). Under each fault kind (none, duplicate/reorder/delay, drop, disconnect,
REST 5xx) the runner's Inventory must equal the model's truth once the faults stop and a
reconciliation ran (P2), and replaying the journal must rebuild the same Inventory.
Every failure prints the seed; servers and runners are stopped by the test; every wait
is bounded.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from invsync.live.journal import Journal
from invsync.live.journaled import rebuild
from invsync.live.loopback.faults import Faults
from tests.live.venue_accounts import CONFIG, INSTRUMENT, UNIT, account, run_matrix_cell

FAULTS: dict[str, Faults] = {
    "none": Faults(),
    "rate_limit": Faults(rate_limit=0.1, retry_after=1),
    "unknown_outcome": Faults(unknown_outcome=0.3),
    "rest_timeout": Faults(rest_timeout=0.2, timeout=3.0),  # answered after the client gave up
    "mix": Faults(
        drop=0.05,
        duplicate=0.05,
        reorder=0.05,
        delay=0.05,
        max_delay=0.05,
        reorder_hold=0.05,
        disconnect=0.04,
        rest_5xx=0.05,
        unknown_outcome=0.05,
    ),
    "shuffle": Faults(duplicate=0.15, reorder=0.15, delay=0.15, max_delay=0.05, reorder_hold=0.05),
    "drop": Faults(drop=0.12),
    "disconnect": Faults(disconnect=0.15),
    "rest_5xx": Faults(rest_5xx=0.15),
}


def _cell(venue: str, fault: str, faults: Faults, seed: int, tmp: Path) -> dict[str, Any]:
    """One matrix cell of ``venue`` under ``faults``: converged (P2), P3, replay equal."""
    stats = asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(
                tmp,
                lambda f: account(venue, f, seed),
                INSTRUMENT[venue],
                UNIT[venue],
                faults,
                seed,
            ),
            60,
        )
    )
    if fault != "none":
        assert any(k.startswith("fault:") for k in stats), (fault, stats)
    print(f"{venue} {fault}: {stats}")
    return stats


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_bybit_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    _cell("bybit", fault, FAULTS[fault], 11, tmp_path)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_okx_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    _cell("okx", fault, FAULTS[fault], 12, tmp_path)


# USD-M's own planned end: the listen key expires (listenKeyExpired is pushed).
USDM_FAULTS = FAULTS | {"key_expiry": Faults(shutdown=0.15)}


@pytest.mark.parametrize("fault", sorted(USDM_FAULTS))
def test_binance_usdm_runner_converges_under_each_fault_kind(fault: str, tmp_path: Path) -> None:
    stats = _cell("binance_usdm", fault, USDM_FAULTS[fault], 13, tmp_path)
    if fault == "key_expiry":
        assert stats["fault:shutdown"] > 0 and stats["connects"] > 1, stats


@pytest.mark.parametrize("venue", ["binance_usdm", "bybit", "okx"])
def test_invsync_replay_reads_a_venue_journal_in_a_fresh_process(
    venue: str, tmp_path: Path
) -> None:
    """``invsync replay`` on a derivative venue's journal: the codec is found by its name."""
    seed = 14
    rows_kept = attrs.evolve(CONFIG, checkpoint_every=0)  # no compaction: replay decodes rows
    asyncio.run(
        asyncio.wait_for(
            run_matrix_cell(
                tmp_path,
                lambda f: account(venue, f, seed),
                INSTRUMENT[venue],
                UNIT[venue],
                Faults(),
                seed,
                rows_kept,
            ),
            60,
        )
    )
    journal = tmp_path / f"journal-{seed}.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "invsync.cli", "replay", str(journal), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    replayed = json.loads(done.stdout)
    live, _ = rebuild(Journal(journal))
    assert replayed["rows"] > 20, replayed
    assert replayed["balances"]["USDT"]["total"] == str(live.balance("USDT").total)
