"""Keys, secrets, passphrases and signatures of the derivative venues never leave the client.

A runner session per venue (Binance USD-M, Bybit, OKX) against its loopback, with
distinctive credentials: every signature the venue client computes is recorded (the
signing functions are wrapped), and afterwards none of the key, secret, passphrase or
any signature appears in the journal file (database and WAL), in any log record, in the
reprs of the venue client, its credentials and the runner, or in the message of a
refused stream.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.inventory import Inventory
from invsync.live.loopback.venues.base import DerivativeLoopback
from invsync.live.runner import Runner
from invsync.live.venue import StreamEnded
from invsync.live.venues.binance_usdm import signing as usdm_signing
from invsync.live.venues.bybit import signing as bybit_signing
from invsync.live.venues.okx import signing as okx_signing
from tests.live.venue_accounts import CONFIG, INSTRUMENT, LOOPBACKS, UNIT, client, loopback

D = Decimal
KEY, SECRET, PASS = "KEY-7f3a91c2", "SECRET-9b1c44e0", "PASS-2d4e8a17"


def _account(
    venue: str, bad: bool = False
) -> tuple[DerivativeLoopback, Callable[[DerivativeLoopback], Any]]:
    """The venue's loopback with these credentials, and its client (``bad``: wrong secret)."""
    ex = loopback(
        LOOPBACKS[venue], balance="1000", price=D(100), key=KEY, secret=SECRET, passphrase=PASS
    )
    secret = SECRET + ("x" if bad else "")
    return ex, lambda lb: client(venue, lb, key=KEY, secret=secret, passphrase=PASS)


VENUES = {
    venue: (functools.partial(_account, venue), INSTRUMENT[venue], UNIT[venue])
    for venue in ("binance_usdm", "bybit", "okx")
}


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every signature the clients compute in the test."""
    seen: list[str] = []

    def record(module: Any, name: str) -> None:
        original = getattr(module, name)

        def wrapped(*args: Any) -> str:
            out = str(original(*args))
            seen.append(out)
            return out

        monkeypatch.setattr(module, name, wrapped)

    record(usdm_signing, "signature")
    record(bybit_signing, "hex_hmac")
    record(okx_signing, "b64_hmac")
    return seen


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_no_key_secret_passphrase_or_signature_in_journal_logs_reprs_or_errors(
    venue: str, tmp_path: Path, signatures: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    make, instrument, unit = VENUES[venue]
    journal = tmp_path / "journal.sqlite"
    shown: list[str] = []

    async def session() -> None:
        ex, venue_of = make()
        async with ex:
            client = venue_of(ex)
            runner = Runner(client, journal, Inventory([instrument]), CONFIG)
            async with runner:
                await runner.wait_synced(10)
                await runner.place(
                    instrument.symbol, "buy", D(1) / unit, D(99), client_order_id="s1"
                )
                ex.fill("s1")
                await runner.reconcile(10)
                shown.extend([repr(client), repr(runner), repr(client._creds), str(client._creds)])
        bad_ex, bad_of = make(bad=True)
        async with bad_ex:
            bad = bad_of(bad_ex)
            try:
                async with bad.subscribe():
                    pass
            except StreamEnded as e:
                shown.append(str(e))
            await bad.close()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(asyncio.wait_for(session(), 30))
    assert len(signatures) > 5, f"{venue}: the signing functions were not used"
    files = [p for p in tmp_path.iterdir() if p.name.startswith("journal.sqlite")]
    assert files
    blobs = [p.read_bytes() for p in files]
    texts = [r.getMessage() for r in caplog.records] + shown
    for secret in {KEY, SECRET, PASS, *signatures}:
        assert not any(secret.encode() in b for b in blobs), f"{venue}: {secret[:6]}… in journal"
        assert not any(secret in t for t in texts), f"{venue}: {secret[:6]}… in logs/reprs/errors"
