"""API keys and signatures never reach logs, the journal, exceptions or reprs (issue 17)."""

from __future__ import annotations

import logging
import re
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from core import Inventory
from invsync.live import BinanceSpotClient, RateLimited, Runner, RunnerConfig
from invsync.live.loopback import Faults
from invsync.live.venue import StreamEnded
from tests.live.conftest import BTCUSDT, make_loopback, run

KEY = "K3yThatMustNeverLeak0123456789abcdefABCDEF0123456789abcdefABCDEF"
SECRET = "S3cretThatMustNeverLeak9876543210fedcbaFEDCBA9876543210fedcbaFED"
HEX64 = re.compile(r"[0-9a-fA-F]{64}")  # an HMAC-SHA256 signature in hex


def _leaks(text: str) -> list[str]:
    found = [name for name, s in (("api key", KEY), ("secret", SECRET)) if s in text]
    found += [f"signature-like {m}" for m in HEX64.findall(text)]
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_keys_and_signatures_stay_out_of_logs_journal_reprs_and_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "secret.journal"
    texts: list[str] = []

    async def scenario() -> None:
        ex = make_loopback(
            seed=3,
            api_key=KEY,
            api_secret=SECRET,
            faults=Faults(),
        )
        async with ex:
            cfg = RunnerConfig(request_timeout=0.5, cycle=0.05, inflight_threshold=0.1)
            client = BinanceSpotClient(ex.rest_url, ex.ws_api_url, KEY, SECRET, cfg)
            async with Runner(client, path, Inventory([BTCUSDT]), cfg) as runner:
                await runner.wait_synced(5)
                cid = await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
                ex.faults = Faults(rest_5xx=1.0, executed_share=1.0)
                await runner.cancel(cid)  # 503: outcome unknown, queried later
                ex.faults = Faults(rate_limit=1.0, retry_after=1)
                reply = await client.query("BTCUSDT", cid, None)
                assert reply.status == 429
                with pytest.raises(RateLimited) as refused:
                    await runner.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("40000"))
                texts.append(str(refused.value))
                texts.append(repr(runner))
                texts.append(repr(client))
                texts.append(repr(runner.journal))
                texts.append(repr(client._creds))
            # A venue that is not there: the failure names no URL, key or signature.
            gone = BinanceSpotClient(
                f"http://127.0.0.1:{_free_port()}", "ws://127.0.0.1:1/ws-api/v3", KEY, SECRET, cfg
            )
            answer = await gone.query("BTCUSDT", "x", None)
            texts.append(repr(answer))
            assert answer.status == 0 and answer.error
            with pytest.raises(StreamEnded) as ended:
                async with gone.subscribe():
                    pass
            texts.append(str(ended.value))
            texts.append(repr(ended.value))
            await gone.close()

    run(scenario(), timeout=30)
    journal_bytes = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secret.journal")
    )
    assert journal_bytes, "the journal was not written"
    assert KEY.encode() not in journal_bytes and SECRET.encode() not in journal_bytes
    assert not HEX64.search(journal_bytes.decode("latin-1"))
    assert caplog.records, "nothing was logged: the log check would be vacuous"
    log_text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert _leaks(log_text) == []
    for t in texts:
        assert _leaks(t) == [], t


def test_the_leak_detector_sees_a_signature() -> None:
    # The check above must be able to fail: a real signature of this client is 64 hex digits.
    from invsync.live.binance_spot import hmac_hex

    assert _leaks(f"GET /api/v3/account?signature={hmac_hex(SECRET, 'timestamp=1')}")
    assert _leaks(f"key {KEY}") == ["api key"]
