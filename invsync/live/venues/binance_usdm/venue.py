"""Binance USD-M futures behind the runner's ``Venue`` protocol (``invsync.live.venue``).

Stream: ``POST /fapi/v1/listenKey`` (returns the active key or a new one), then the
user-data stream ``<ws_base>/ws/<listenKey>``; while it is open a keepalive ``PUT``
goes out every ``keepalive`` seconds (default 30 min: the key lives 60 min). A keepalive
answered -1125 (the key is gone) closes the socket, and a pushed ``listenKeyExpired``
ends the stream at once: either way the runner subscribes again (a new key) and resyncs.
No application ping exists (the server pings; aiohttp answers; ``heartbeat`` detects a
dead peer). REST parameters travel in the query string, signed (HMAC-SHA256 hex of the
query string, ``signature`` last). The snapshot's ``account`` part is ``{"account",
"positions"}`` (raw texts of ``/fapi/v3/account`` and ``/fapi/v3/positionRisk``). An
amend is ``PUT /fapi/v1/order``, which needs side and price: the order is read first.
Facts and sources: spec/venues/binance_usdm.md, "Live edge".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, Final

import aiohttp

from invsync.live.session import VenueSession
from invsync.live.venue import Reply, StreamEnded
from invsync.live.venues.binance_usdm import codec, signing
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.stream import PrivateStream
from invsync.live.venues.wire import plain

SOURCE: Final = "ws:/private/ws/<listenKey>"
#: Keepalive period (s): half the key's 60 minutes.
KEEPALIVE: Final = 30 * 60.0
#: A connection is replaced after this long (the venue disconnects at 24 h).
MAX_AGE: Final = 23.5 * 3600


def _expired(text: str) -> str | None:
    return "listenKeyExpired" if '"listenKeyExpired"' in text else None


class BinanceUsdmVenue(VenueSession):
    """One Binance USD-M futures account (one-way mode) for the runner."""

    codec: str = codec.CODEC

    def __init__(
        self,
        *,
        rest_url: str,
        ws_base: str,
        credentials: Credentials,
        timeout: float = 10.0,
        keepalive: float = KEEPALIVE,
        recv_window: int = 5000,
        max_age: float = MAX_AGE,
    ) -> None:
        super().__init__(timeout)
        self.rest_url = rest_url.rstrip("/")
        self.ws_base = ws_base.rstrip("/")
        self._creds = credentials
        self.keepalive = keepalive
        self.max_age = max_age
        self.recv_window = recv_window
        self.keepalives_sent = 0

    def __repr__(self) -> str:
        return f"BinanceUsdmVenue(rest={self.rest_url!r}, ws={self.ws_base!r})"

    # --- REST ----------------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, params: list[tuple[str, str]], signed: bool = True
    ) -> Reply:
        self.refuse_if_blocked()
        query = (
            signing.signed_query(
                self._creds.api_secret, params, int(time.time() * 1000), self.recv_window
            )
            if signed
            else signing.encode_params(params)
        )
        url = f"{self.rest_url}{path}" + (f"?{query}" if query else "")
        headers = {signing.API_KEY_HEADER: self._creds.api_key}
        reply, answered = await self.send(f"{method} {path}", method, url, headers)
        if reply.status in (418, 429):
            # USD-M pages do not promise Retry-After: without one, wait out the minute.
            retry = answered.get("Retry-After")
            seconds = float(retry) if retry and retry.isdigit() else 60.0
            self.block(seconds)
            return Reply(reply.endpoint, reply.status, reply.text, retry_after=seconds)
        return reply

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Account (balances + positionRisk), then open orders and trades per symbol."""
        out: dict[str, Reply] = {}
        account = await self._request("GET", "/fapi/v3/account", [])
        positions = await self._request("GET", "/fapi/v3/positionRisk", [])
        bad = next((r for r in (account, positions) if not r.ok), None)
        out["account"] = bad or Reply(
            "GET /fapi/v3/account+positionRisk",
            200,
            json.dumps({"account": account.text, "positions": positions.text}),
        )
        for s in symbols:
            out[f"open_orders:{s}"] = await self._request(
                "GET", "/fapi/v1/openOrders", [("symbol", s)]
            )
        for s in symbols:
            out[f"trades:{s}"] = await self._request("GET", "/fapi/v1/userTrades", [("symbol", s)])
        return out

    def _which(self, client_order_id: str | None, order_id: str | None) -> list[tuple[str, str]]:
        if order_id:
            return [("orderId", order_id)]
        return [("origClientOrderId", client_order_id or "")]

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """``GET /fapi/v1/order``."""
        params = [("symbol", symbol), *self._which(client_order_id, order_id)]
        return await self._request("GET", "/fapi/v1/order", params)

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """``GET /fapi/v1/userTrades`` of one order."""
        return await self._request(
            "GET", "/fapi/v1/userTrades", [("symbol", symbol), ("orderId", order_id)]
        )

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """``POST /fapi/v1/order`` (LIMIT GTC with a price, MARKET without); never retried."""
        params = [
            ("symbol", symbol),
            ("side", side.upper()),
            ("type", "MARKET" if price is None else "LIMIT"),
            ("quantity", plain(quantity)),
        ]
        if price is not None:
            params += [("price", plain(price)), ("timeInForce", "GTC")]
        params += [("newClientOrderId", client_order_id), ("newOrderRespType", "RESULT")]
        return await self._request("POST", "/fapi/v1/order", params)

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """``DELETE /fapi/v1/order``; never retried."""
        params = [("symbol", symbol), *self._which(client_order_id, order_id)]
        return await self._request("DELETE", "/fapi/v1/order", params)

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """``PUT /fapi/v1/order`` with the new quantity (side and price read first)."""
        current = await self.query(symbol, client_order_id, order_id)
        if not current.ok:
            return current
        order = json.loads(current.text)
        params = [
            ("symbol", symbol),
            *self._which(client_order_id, order_id),
            ("side", str(order.get("side"))),
            ("quantity", plain(quantity)),
            ("price", str(order.get("price"))),
        ]
        return await self._request("PUT", "/fapi/v1/order", params)

    # --- stream --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[PrivateStream]:
        """Get a listen key, connect; entered once the socket is open."""
        created = await self._request("POST", "/fapi/v1/listenKey", [], signed=False)
        key: Any = None
        if created.ok:
            with contextlib.suppress(ValueError, AttributeError):
                key = json.loads(created.text).get("listenKey")
        if not isinstance(key, str) or not key:
            raise StreamEnded(f"listen key not created (HTTP {created.status} {created.error})")
        ws = await self.connect(f"{self.ws_base}/ws/{key}", heartbeat=30.0)
        keeper = asyncio.get_running_loop().create_task(self._keep_alive(ws))
        try:
            yield PrivateStream(
                ws,
                SOURCE,
                [],
                ping=None,
                every=60.0,
                silent_limit=10**9,
                ends=_expired,
                max_age=self.max_age,
            )
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keeper
            await self.disconnect(ws)

    async def _keep_alive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.keepalive)
            reply = await self._request("PUT", "/fapi/v1/listenKey", [], signed=False)
            self.keepalives_sent += 1
            if reply.status == 400 and '"code":-1125' in reply.text.replace(" ", ""):
                await ws.close()  # the key is gone: the stream ends, the runner resubscribes
                return
