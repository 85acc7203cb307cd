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

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

from core.instrument import Instrument
from invsync.live.session import VenueSession
from invsync.live.venue import Reply, StreamEnded
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


class BybitVenue(VenueSession):
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
        super().__init__(timeout)
        self.rest_url = rest_url.rstrip("/")
        self.ws_url = ws_url
        self._creds = credentials
        self.kinds = {i.symbol: i.kind for i in instruments}
        self.settles = sorted({i.settle for i in instruments if i.kind == "linear"})
        self.recv_window = recv_window

    def __repr__(self) -> str:
        return f"BybitVenue(rest={self.rest_url!r}, ws={self.ws_url!r})"

    # --- REST ----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        self.refuse_if_blocked()
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
        reply, answered = await self.send(f"{method} {path}", method, url, headers, body)
        if reply.status == 0:
            return reply
        status = _status(reply.status, reply.text)
        if status == 429:
            reset = answered.get("X-Bapi-Limit-Reset-Timestamp")
            until = int(reset) / 1000 - time.time() if reset and reset.isdigit() else 1.0
            self.block(max(0.0, min(until, 60.0)))
            return Reply(reply.endpoint, 429, reply.text, retry_after=max(0.0, until))
        return Reply(reply.endpoint, status, reply.text)

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
        ws = await self.connect(self.ws_url)
        try:
            expires = _ms() + 10_000
            auth = signing.ws_auth(self._creds.api_key, self._creds.api_secret, expires)
            await ws.send_str(json.dumps(auth))
            acks = [await self.handshake(ws, "auth", _answer_to("auth"))]
            await ws.send_str(json.dumps({"op": "subscribe", "args": list(TOPICS)}))
            acks.append(await self.handshake(ws, "subscribe", _answer_to("subscribe")))
            yield PrivateStream(ws, SOURCE, acks, ping=json.dumps({"op": "ping"}), every=PING_EVERY)
        finally:
            await self.disconnect(ws)


def _answer_to(op: str) -> Callable[[dict[str, Any]], bool]:
    """The handshake judge of one ``op``: its success, or ``StreamEnded`` with the reason."""

    def judge(body: dict[str, Any]) -> bool:
        if body.get("op") != op:
            return False
        if body.get("success") is True:
            return True
        reason = str(body.get("ret_msg") or "no reason given")[:200]
        raise StreamEnded(f"{op} failed: {reason}")

    return judge
