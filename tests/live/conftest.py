"""Shared fixtures of the live tests: the ``loopback`` factory and a signed test client.

Tests are plain sync functions that call ``run(coro)``: one ``asyncio.run`` per test with
a hard timeout, so a hung server or client fails the test instead of the suite. Each
test starts and stops its own LoopbackExchange (``async with ex:``) on a free port.

``SignedClient`` is a minimal Binance client for the loopback's own tests (an aiohttp
session that signs the way the Binance docs say); the runner's tests use the runner's
client instead.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
import yarl

from core.instrument import Instrument
from invsync.live.loopback import Faults, LoopbackExchange
from invsync.live.loopback.auth import sign, ws_payload

T = TypeVar("T")

KEY = "loopback-key"
SECRET = "loopback-secret"
BTCUSDT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
ETHUSDT = Instrument(symbol="ETHUSDT", kind="spot", base="ETH", quote="USDT")


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run one test coroutine on a fresh loop, failing it after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def make_loopback(**kwargs: Any) -> LoopbackExchange:
    """A LoopbackExchange with test defaults (BTCUSDT at 50000, 10000 USDT + 1 BTC)."""
    kwargs.setdefault("instruments", [BTCUSDT])
    kwargs.setdefault("balances", {"USDT": Decimal("10000"), "BTC": Decimal("1")})
    kwargs.setdefault("prices", {"BTCUSDT": Decimal("50000")})
    kwargs.setdefault("faults", Faults())
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("api_secret", SECRET)
    kwargs.setdefault("heartbeat", 5.0)
    return LoopbackExchange(**kwargs)


def ccxt_binance(ex: Endpoints, key: str = KEY, secret: str = SECRET) -> Any:
    """A real ccxt.pro Binance client pointed at the loopback (spot only: no margin,
    futures or currency endpoints, which the loopback does not serve)."""
    import ccxt.pro as ccxtpro

    client = ccxtpro.binance(
        {
            "apiKey": key,
            "secret": secret,
            "enableRateLimit": False,
            "timeout": 5000,
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
            },
        }
    )
    client.urls["api"]["public"] = f"{ex.rest_url}/api/v3"
    client.urls["api"]["private"] = f"{ex.rest_url}/api/v3"
    client.urls["api"]["ws"]["ws-api"]["spot"] = ex.ws_api_url
    return client


@pytest.fixture
def loopback() -> Callable[..., LoopbackExchange]:
    """Factory: ``loopback(seed=3, faults=Faults(drop=0.5))`` -> an unstarted exchange."""
    return make_loopback


class Answer:
    """One REST answer: HTTP status, headers and decoded JSON (None if not JSON)."""

    def __init__(self, status: int, headers: Mapping[str, str], text: str) -> None:
        self.status = status
        self.headers = dict(headers)
        self.text = text
        try:
            self.json: Any = json.loads(text)
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.text[:200]!r})"


class Endpoints(Protocol):
    """Where a venue listens (a LoopbackExchange, or the URLs a subprocess printed)."""

    @property
    def rest_url(self) -> str: ...

    @property
    def ws_api_url(self) -> str: ...


class SignedClient:
    """A small Binance REST + WebSocket API client for the loopback's tests."""

    def __init__(
        self, ex: Endpoints, key: str = KEY, secret: str = SECRET, timeout: float = 5.0
    ) -> None:
        self.ex = ex
        self.key = key
        self.secret = secret
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.session.close()

    async def __aenter__(self) -> SignedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def signed_query(self, params: Mapping[str, Any]) -> str:
        """``params`` + timestamp, url-encoded, with the HMAC signature appended."""
        p = dict(params)
        p.setdefault("timestamp", int(time.time() * 1000))
        query = urlencode(p)
        return f"{query}&signature={sign(self.secret, query)}"

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        signed: bool = True,
        in_body: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One REST request; signed ones carry X-MBX-APIKEY; POST/PUT/DELETE may use a body."""
        params = params or {}
        query = self.signed_query(params) if signed else urlencode(params)
        hdrs = {"X-MBX-APIKEY": self.key} if signed else {}
        hdrs.update(headers or {})
        url = f"{self.ex.rest_url}{path}"
        data = None
        if in_body:
            data = query
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif query:
            url = f"{url}?{query}"
        # encoded=True: send the query exactly as signed (yarl would re-quote '%21' as '!').
        target = yarl.URL(url, encoded=True)
        async with self.session.request(method, target, data=data, headers=hdrs) as resp:
            return Answer(resp.status, resp.headers, await resp.text())

    def subscribe_request(self, rid: Any = 1, **extra: Any) -> dict[str, Any]:
        """A signed ``userDataStream.subscribe.signature`` request."""
        params: dict[str, Any] = {"apiKey": self.key, "timestamp": int(time.time() * 1000)}
        params.update(extra)
        params["signature"] = sign(self.secret, ws_payload(params))
        return {"id": rid, "method": "userDataStream.subscribe.signature", "params": params}

    async def user_stream(self) -> tuple[aiohttp.ClientWebSocketResponse, int]:
        """Open the WebSocket API and subscribe; returns (socket, subscriptionId)."""
        ws = await self.session.ws_connect(self.ex.ws_api_url)
        await ws.send_json(self.subscribe_request("sub"))
        msg = await ws.receive_json(timeout=5)
        assert msg["id"] == "sub" and msg["status"] == 200, msg
        return ws, int(msg["result"]["subscriptionId"])


async def receive_events(
    ws: aiohttp.ClientWebSocketResponse,
    quiet: float = 0.3,
    limit: float = 5.0,
    closes: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Every JSON message until ``quiet`` seconds pass without one (or the socket closes).

    The server's close code goes to ``closes`` (``ws.close_code`` may read 1006 once the
    server has dropped the connection after its close frame).
    """
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        # wait_for, not receive(timeout=): control frames (pings) restart receive's timer.
        try:
            msg = await asyncio.wait_for(ws.receive(), min(quiet, deadline - time.monotonic()))
        except TimeoutError:
            break
        if msg.type == aiohttp.WSMsgType.TEXT:
            out.append(json.loads(msg.data))
        elif msg.type == aiohttp.WSMsgType.CLOSE and closes is not None:
            closes.append(int(msg.data))
        elif msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        ):
            break
    return out


class LoopbackProcess:
    """``invsync loopback`` in a subprocess: its URLs (read from its banner) and a bounded stop."""

    def __init__(self, *args: str, start_timeout: float = 20.0) -> None:
        cmd = [sys.executable, "-c", "import sys; from invsync.cli import main; sys.exit(main())"]
        self.proc = subprocess.Popen(
            [*cmd, "loopback", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.banner: list[str] = []
        self.rest_url = ""
        self.ws_api_url = ""
        deadline = time.monotonic() + start_timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip())
            words = line.split()
            if words[:1] == ["REST"]:
                self.rest_url = words[1]
            if words[:2] == ["WebSocket", "API"]:
                self.ws_api_url = words[2]
            if line.startswith("Ctrl-C"):
                return
        self.stop()
        raise AssertionError(f"invsync loopback did not start: {self.banner}")

    def stop(self, timeout: float = 10.0) -> tuple[int, str]:
        """SIGINT (Ctrl-C), then wait; kill if it hangs. Returns (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=timeout)
            raise AssertionError(f"invsync loopback ignored Ctrl-C for {timeout} s") from None
        return self.proc.returncode, err
