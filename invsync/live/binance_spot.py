"""Binance spot venue client: signed REST and the WebSocket API user-data subscription.

Facts from binance/binance-spot-api-docs (rest-api.md, web-socket-api.md): REST SIGNED
requests carry ``X-MBX-APIKEY``, ``timestamp``, ``recvWindow`` and ``signature`` = HMAC-
SHA256 (hex) of the query string concatenated with the body; WebSocket API requests are
signed over their params (all but ``signature``) sorted by name, ``name=value`` joined by
``&``. The user-data stream is ``userDataStream.subscribe.signature`` (spot listen keys are
retired); a connection lives at most 24 h; the server pings every 20 s (aiohttp answers
with pongs); ``serverShutdown`` announces a disconnect. 429 and 418 carry ``Retry-After``
(seconds); ``X-MBX-USED-WEIGHT-1M`` reports the IP's weight use. Weights: account 20,
openOrders 6 per symbol (80 for all), myTrades 20 (5 with orderId), order query 4, new order 1,
cancel 1, amend keepPriority 4, WebSocket connection 2.

Keys: held in ``Credentials`` (no repr); a signature exists only inside the request being
sent. Nothing a client returns or raises contains a URL, header or parameter we sent.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from invsync.live.config import RunnerConfig
from invsync.live.session import VenueSession
from invsync.live.venue import Reply, StreamEnded
from invsync.live.venues.credentials import Credentials

log = logging.getLogger("invsync.live.binance_spot")

WS_SOURCE: Final = "ws:/ws-api/v3"
#: Documented REST weights of the requests this client sends.
WEIGHTS: Final = {
    "GET /api/v3/account": 20,
    "GET /api/v3/openOrders": 80,
    "GET /api/v3/openOrders?symbol": 6,
    "GET /api/v3/myTrades": 20,
    "GET /api/v3/myTrades?orderId": 5,
    "GET /api/v3/order": 4,
    "POST /api/v3/order": 1,
    "DELETE /api/v3/order": 1,
    "PUT /api/v3/order/amend/keepPriority": 4,
    "WS /ws-api/v3": 2,
}
_RECV_WINDOW: Final = 5000


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return "0" if text in ("-0", "") else text


def hmac_hex(secret: str, payload: str) -> str:
    """HMAC-SHA256 of ``payload`` keyed by ``secret``, as hex (Binance HMAC keys)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class WeightBudget:
    """A sliding one-minute window of REST weight: ``acquire`` waits rather than overspend."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._spent: collections.deque[tuple[float, int]] = collections.deque()
        self._used = 0
        self.venue_used: int | None = None  # last X-MBX-USED-WEIGHT-1M seen

    def used(self, now: float) -> int:
        """Weight spent in the last window."""
        while self._spent and self._spent[0][0] <= now - self.window:
            self._used -= self._spent.popleft()[1]
        return self._used

    async def acquire(self, weight: int) -> None:
        """Wait until ``weight`` fits in the window, then count it."""
        loop = asyncio.get_running_loop()
        while self.used(loop.time()) + weight > self.per_minute and self._spent:
            log.info("weight budget %d/min spent: waiting", self.per_minute)
            await asyncio.sleep(max(0.01, self._spent[0][0] + self.window - loop.time()))
        self._spent.append((loop.time(), weight))
        self._used += weight


class _Stream:
    """One subscribed WebSocket API connection."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        ack: str,
        idle: float,
        max_age: float,
    ) -> None:
        self.ws = ws
        self.ack = ack
        self._idle = idle
        self._deadline = time.monotonic() + max_age

    async def messages(self) -> AsyncIterator[tuple[str, str]]:
        """Raw text messages; ends with ``StreamEnded`` (``now`` for a planned disconnect)."""
        yield WS_SOURCE, self.ack
        while True:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise StreamEnded("connection age limit (Binance closes at 24 h)", now=True)
            try:
                # aiohttp's own timeout, not asyncio.wait_for: on 3.11 wait_for can swallow
                # a cancellation that races a message, and the runner could not close.
                msg = await self.ws.receive(timeout=min(self._idle, left))
            except TimeoutError:
                if self._deadline - time.monotonic() <= 0:
                    raise StreamEnded(
                        "connection age limit (Binance closes at 24 h)", now=True
                    ) from None
                raise StreamEnded(f"no frame for {self._idle:.0f} s") from None
            if msg.type == aiohttp.WSMsgType.TEXT:
                text = str(msg.data)
                yield WS_SOURCE, text
                kind = _event_kind(text)
                if kind == "serverShutdown":
                    raise StreamEnded("serverShutdown", now=True)
                if kind == "eventStreamTerminated":
                    raise StreamEnded("eventStreamTerminated", now=True)
                continue
            if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue
            code = self.ws.close_code
            raise StreamEnded(f"connection closed ({msg.type.name}, code {code})")


def _event_kind(text: str) -> str | None:
    # Only connection events end the stream; the adapter reads everything else.
    if "serverShutdown" not in text and "eventStreamTerminated" not in text:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    inner = doc.get("event") if isinstance(doc, dict) else None
    kind = inner.get("e") if isinstance(inner, dict) else None
    return kind if isinstance(kind, str) else None


class BinanceSpotClient(VenueSession):
    """The ``Venue`` of one Binance spot account (REST + WebSocket API); see module doc."""

    codec: str = "binance_spot"

    def __init__(
        self,
        rest_url: str,
        ws_api_url: str,
        api_key: str,
        api_secret: str,
        config: RunnerConfig | None = None,
    ) -> None:
        self.config = config or RunnerConfig()
        super().__init__(self.config.request_timeout)
        self.rest_url = rest_url.rstrip("/")
        self.ws_api_url = ws_api_url
        self._creds = Credentials(api_key=api_key, api_secret=api_secret)
        self.budget = WeightBudget(self.config.weight_budget)
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"BinanceSpotClient(rest_url={self.rest_url!r}, credentials=<redacted>)"

    # --- REST ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        weight_key: str,
        *,
        mutation: bool = False,
    ) -> Reply:
        endpoint = f"{method} {path}"
        await self.wait_out_block(mutation)
        await self.budget.acquire(WEIGHTS[weight_key])
        p = dict(params)
        p["recvWindow"] = str(_RECV_WINDOW)
        p["timestamp"] = str(int(time.time() * 1000))
        query = urlencode(p)
        signed = f"{query}&signature={hmac_hex(self._creds.api_secret, query)}"
        headers = {"X-MBX-APIKEY": self._creds.api_key}
        url = f"{self.rest_url}{path}"
        data: str | None = None
        if method == "GET":
            url = f"{url}?{signed}"
        else:
            data = signed
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.requests_sent += 1
        reply, answered = await self.send(endpoint, method, url, headers, data)
        used = answered.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.budget.venue_used = int(used)
        if reply.status in (418, 429):
            after = answered.get("Retry-After")
            retry_after = float(after) if after and after.isdigit() else 60.0
            self.block(retry_after)
            log.warning(
                "venue rate limit %s: waiting %.0f s (%s)", reply.status, retry_after, endpoint
            )
            return Reply(endpoint, reply.status, text=reply.text, retry_after=retry_after)
        return reply

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Account, then open orders and recent trades per symbol (in this order: see
        spec/live.md, the snapshot's version is the account's last change)."""
        out = {"account": await self._request("GET", "/api/v3/account", {}, "GET /api/v3/account")}
        if not out["account"].ok:
            return out
        # Per symbol: weight 6 each instead of 80 for all, and no order of a symbol the
        # Inventory does not track (it would refuse the whole snapshot).
        for s in symbols:
            r = await self._request(
                "GET", "/api/v3/openOrders", {"symbol": s}, "GET /api/v3/openOrders?symbol"
            )
            out[f"open_orders:{s}"] = r
            if not r.ok:
                return out
        for s in symbols:
            r = await self._request(
                "GET", "/api/v3/myTrades", {"symbol": s}, "GET /api/v3/myTrades"
            )
            out[f"trades:{s}"] = r
            if not r.ok:
                return out
        return out

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """GET /api/v3/order by orderId when known, else origClientOrderId."""
        params = {"symbol": symbol}
        if order_id is not None:
            params["orderId"] = order_id
        elif client_order_id is not None:
            params["origClientOrderId"] = client_order_id
        return await self._request("GET", "/api/v3/order", params, "GET /api/v3/order")

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """GET /api/v3/myTrades of one order."""
        return await self._request(
            "GET",
            "/api/v3/myTrades",
            {"symbol": symbol, "orderId": order_id},
            "GET /api/v3/myTrades?orderId",
        )

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """POST /api/v3/order (LIMIT GTC with a price, else MARKET), answer type FULL."""
        params = {
            "symbol": symbol,
            "side": side.upper(),
            "type": "LIMIT" if price is not None else "MARKET",
            "quantity": _plain(quantity),
            "newClientOrderId": client_order_id,
            "newOrderRespType": "FULL",
        }
        if price is not None:
            params["price"] = _plain(price)
            params["timeInForce"] = "GTC"
        return await self._request(
            "POST", "/api/v3/order", params, "POST /api/v3/order", mutation=True
        )

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """DELETE /api/v3/order."""
        params = {"symbol": symbol}
        if order_id is not None:
            params["orderId"] = order_id
        else:
            params["origClientOrderId"] = client_order_id
        return await self._request(
            "DELETE", "/api/v3/order", params, "DELETE /api/v3/order", mutation=True
        )

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """PUT /api/v3/order/amend/keepPriority (quantity down), keeping the client id."""
        params = {"symbol": symbol, "newQty": _plain(quantity)}
        if order_id is not None:
            params["orderId"] = order_id
        else:
            params["origClientOrderId"] = client_order_id
        # Without newClientOrderId the venue gives the order a random one; ours must stay.
        params["newClientOrderId"] = client_order_id
        return await self._request(
            "PUT",
            "/api/v3/order/amend/keepPriority",
            params,
            "PUT /api/v3/order/amend/keepPriority",
            mutation=True,
        )

    # --- WebSocket API -------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[_Stream]:
        """Connect to the WebSocket API and subscribe; yields once the venue acknowledged."""
        await self.wait_out_block(mutation=False)
        await self.budget.acquire(WEIGHTS["WS /ws-api/v3"])
        ws = await self.connect(self.ws_api_url, heartbeat=None)
        try:
            params: dict[str, Any] = {
                "apiKey": self._creds.api_key,
                "timestamp": int(time.time() * 1000),
            }
            payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
            params["signature"] = hmac_hex(self._creds.api_secret, payload)
            rid = f"sub-{time.monotonic_ns()}"
            await ws.send_str(
                json.dumps(
                    {"id": rid, "method": "userDataStream.subscribe.signature", "params": params}
                )
            )
            del params
            ack = await self._await_ack(ws, rid)
            yield _Stream(ws, ack, self.config.stream_idle_timeout, self.config.max_connection_age)
        finally:
            await self.disconnect(ws)

    async def _await_ack(self, ws: aiohttp.ClientWebSocketResponse, rid: str) -> str:
        deadline = time.monotonic() + self.config.request_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamEnded("subscription not acknowledged in time")
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                raise StreamEnded("subscription not acknowledged in time") from None
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                    continue
                raise StreamEnded(f"closed before the subscription ack ({msg.type.name})")
            text = str(msg.data)
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            if not isinstance(doc, dict) or doc.get("id") != rid:
                continue
            if doc.get("status") == 200 and isinstance(doc.get("result"), dict):
                return text
            status = doc.get("status")
            raw_err = doc.get("error")
            err: dict[str, Any] = raw_err if isinstance(raw_err, dict) else {}
            if status in (418, 429):
                data = err.get("data")
                until = data.get("retryAfter") if isinstance(data, dict) else None
                wait = 60.0
                if isinstance(until, int):
                    wait = max(1.0, until / 1000 - time.time())
                self.block(wait)
            raise StreamEnded(
                f"subscription refused: status {status}, code {err.get('code')}: {err.get('msg')}"
            )
