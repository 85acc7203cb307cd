"""Bybit v5 behind the runner's ``Venue`` protocol (``invsync.live.venue``).

Every answer goes back as a ``Reply`` holding the text as received. Bybit answers most
errors with HTTP 200 and a ``retCode``; so the runner (which reads statuses) sees what an
answer means, a non-zero ``retCode`` is given the status it stands for: 10006 (rate
limit) 429, 10000/10016 (server error: a mutation's outcome unknown) 503, any other 400.
Where one runner part needs several answers, ``Reply.text`` is a JSON object of the raw
texts (``codec`` reads it): the snapshot's ``account`` is ``{"wallet", "positions": [..]}``
(positions per category and settle coin); ``open_orders:<symbol>`` and ``trades:<symbol>``
are the order realtime and execution list answers of one symbol; a query ``{"category", "realtime",
"history"}``. The stream pings every 20 s without a frame and ends after three silent
periods. Facts and sources: spec/venues/bybit.md, "Live edge".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from core.instrument import Instrument
from invsync.live.venue import RateLimited, Reply, StreamEnded
from invsync.live.venues.bybit import codec, signing
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.stream import PrivateStream
from invsync.live.venues.wire import plain

TOPICS: Final = ("order", "execution", "execution.fast", "position", "wallet")
SOURCE: Final = "ws:/v5/private"
PING_EVERY: Final = 20.0


def _ms() -> int:
    return int(time.time() * 1000)


def _status(http: int, text: str) -> int:
    """The status a Bybit answer means (see the module docstring)."""
    if not 200 <= http < 300:
        return http
    try:
        body = json.loads(text)
    except ValueError:
        return http
    code = body.get("retCode") if isinstance(body, dict) else None
    if code in (0, None):
        return http
    if code == 10006:
        return 429
    if code in codec.UNKNOWN_CODES:
        return 503
    return 400


class BybitVenue:
    """One Bybit unified account for the runner (``instruments``: what it trades)."""

    codec: str = codec.CODEC

    def __init__(
        self,
        *,
        rest_url: str,
        ws_url: str,
        credentials: Credentials,
        instruments: Iterable[Instrument],
        timeout: float = 10.0,
        recv_window: int = 5000,
    ) -> None:
        codec.register()
        self.rest_url = rest_url.rstrip("/")
        self.ws_url = ws_url
        self._creds = credentials
        self.kinds = {i.symbol: i.kind for i in instruments}
        self.settles = sorted({i.settle for i in instruments if i.kind == "linear"})
        self.timeout = timeout
        self.recv_window = recv_window
        self._session: aiohttp.ClientSession | None = None
        self._blocked_until = 0.0

    def __repr__(self) -> str:
        return f"BybitVenue(rest={self.rest_url!r}, ws={self.ws_url!r})"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        """Release the session and its sockets."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def blocked_for(self) -> float:
        """Seconds until the venue accepts requests again (after a 10006)."""
        return max(0.0, self._blocked_until - time.monotonic())

    # --- REST ----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        endpoint = f"{method} {path}"
        wait = self.blocked_for()
        if wait > 0:
            raise RateLimited(wait)
        if method == "GET":
            payload = urlencode(params)
            url, body = f"{self.rest_url}{path}?{payload}", None
        else:
            payload = json.dumps(params, separators=(",", ":"))
            url, body = f"{self.rest_url}{path}", payload
        headers = signing.rest_headers(
            self._creds.api_key, self._creds.api_secret, _ms(), payload, self.recv_window
        )
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._http().request(
                method, URL(url, encoded=True), headers=headers, data=body
            ) as resp:
                text = await resp.text()
                reset = resp.headers.get("X-Bapi-Limit-Reset-Timestamp")
                status = _status(resp.status, text)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return Reply(endpoint, 0, error=type(exc).__name__)
        if status == 429:
            until = int(reset) / 1000 - time.time() if reset and reset.isdigit() else 1.0
            self._blocked_until = time.monotonic() + max(0.0, min(until, 60.0))
            return Reply(endpoint, 429, text, retry_after=max(0.0, until))
        return Reply(endpoint, status, text)

    def _category(self, symbol: str) -> str:
        return self.kinds.get(symbol, "linear")

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Account (wallet + positions), then open orders and trades per symbol."""
        out: dict[str, Reply] = {}
        wallet = await self._request(
            "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"}
        )
        positions: list[Reply] = []
        for category in sorted({self._category(s) for s in symbols} - {"spot"}):
            for coin in self.settles if category == "linear" else [""]:
                params = {"category": category} | ({"settleCoin": coin} if coin else {})
                positions.append(await self._request("GET", "/v5/position/list", params))
        bad = next((r for r in [wallet, *positions] if not r.ok), None)
        out["account"] = bad or Reply(
            "GET /v5/account/wallet-balance+/v5/position/list",
            200,
            json.dumps({"wallet": wallet.text, "positions": [p.text for p in positions]}),
        )
        for s in symbols:
            params = {"category": self._category(s), "symbol": s}
            out[f"open_orders:{s}"] = await self._request("GET", "/v5/order/realtime", params)
        for s in symbols:
            params = {"category": self._category(s), "symbol": s}
            out[f"trades:{s}"] = await self._request("GET", "/v5/execution/list", params)
        return out

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """Realtime, then (if not there) history, by order id or client id."""
        category = self._category(symbol)
        params: dict[str, Any] = {"category": category, "symbol": symbol}
        if order_id:
            params["orderId"] = order_id
        else:
            params["orderLinkId"] = client_order_id or ""
        realtime = await self._request("GET", "/v5/order/realtime", params)
        if not realtime.ok:
            return realtime
        texts: dict[str, Any] = {"category": category, "realtime": realtime.text, "history": None}
        body = json.loads(realtime.text)
        if not body.get("result", {}).get("list"):
            history = await self._request("GET", "/v5/order/history", params)
            if not history.ok:
                return history
            texts["history"] = history.text
        return Reply("GET /v5/order/realtime+history", 200, json.dumps(texts))

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """The executions of one order."""
        params = {"category": self._category(symbol), "symbol": symbol, "orderId": order_id}
        return await self._request("GET", "/v5/execution/list", params)

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """``POST /v5/order/create`` (limit GTC with a price, market without); never retried."""
        params: dict[str, Any] = {
            "category": self._category(symbol),
            "symbol": symbol,
            "side": "Buy" if side == "buy" else "Sell",
            "orderType": "Market" if price is None else "Limit",
            "qty": plain(quantity),
            "orderLinkId": client_order_id,
        }
        if price is not None:
            params |= {"price": plain(price), "timeInForce": "GTC"}
        return await self._request("POST", "/v5/order/create", params)

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """``POST /v5/order/cancel``; never retried."""
        params: dict[str, Any] = {"category": self._category(symbol), "symbol": symbol}
        params |= {"orderId": order_id} if order_id else {"orderLinkId": client_order_id}
        return await self._request("POST", "/v5/order/cancel", params)

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """``POST /v5/order/amend`` with a new ``qty``; never retried."""
        params: dict[str, Any] = {"category": self._category(symbol), "symbol": symbol}
        params |= {"orderId": order_id} if order_id else {"orderLinkId": client_order_id}
        params["qty"] = plain(quantity)
        return await self._request("POST", "/v5/order/amend", params)

    # --- stream --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[PrivateStream]:
        """Connect, ``auth``, ``subscribe``; entered once both succeeded."""
        try:
            ws = await self._http().ws_connect(
                self.ws_url, autoping=True, timeout=aiohttp.ClientWSTimeout(ws_close=2.0)
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise StreamEnded(f"connect failed: {type(exc).__name__}") from None
        try:
            expires = _ms() + 10_000
            auth = signing.ws_auth(self._creds.api_key, self._creds.api_secret, expires)
            await ws.send_str(json.dumps(auth))
            acks = [await self._ack(ws, "auth")]
            await ws.send_str(json.dumps({"op": "subscribe", "args": list(TOPICS)}))
            acks.append(await self._ack(ws, "subscribe"))
            yield PrivateStream(ws, SOURCE, acks, ping=json.dumps({"op": "ping"}), every=PING_EVERY)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)

    async def _ack(self, ws: aiohttp.ClientWebSocketResponse, op: str) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamEnded(f"no {op} answer within {self.timeout:.0f} s")
            try:
                msg = await asyncio.wait_for(ws.receive(), left)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise StreamEnded(f"socket closed before the {op} answer")
            try:
                body = json.loads(msg.data)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("op") == op:
                if body.get("success") is True:
                    return str(msg.data)
                reason = str(body.get("ret_msg") or "no reason given")[:200]
                raise StreamEnded(f"{op} failed: {reason}")
