"""OKX v5 behind the runner's ``Venue`` protocol (``invsync.live.venue``).

Stream: connect to the private service, ``login`` (signed, Unix seconds), subscribe to
``orders`` and ``positions`` (``instType`` ANY), ``account`` and
``balance_and_position``; a failed login or subscription (``event: error``) ends the
stream (the runner backs off, the account stays stale). The text ``ping`` goes out after
20 s without a frame (OKX cuts a connection silent for 30 s). Answers are ``Reply``s
holding the texts as received; OKX answers many errors with HTTP 200 and a ``code``, so a
non-zero ``code`` is given the status it means for the runner: 50011 (rate limit) 429,
any other 400. The snapshot's ``account`` part is ``{"balance", "positions", "bills"}``
(raw texts; bills bring funding and transfers as cash changes, which the stream shows
only inside absolute balances); open orders and fills come per symbol (``instId``).
Facts and sources: spec/venues/okx.md, "Live edge".
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
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.okx import codec, signing
from invsync.live.venues.stream import PrivateStream
from invsync.live.venues.wire import plain

CHANNELS: Final = (
    {"channel": "orders", "instType": "ANY"},
    {"channel": "positions", "instType": "ANY"},
    {"channel": "account"},
    {"channel": "balance_and_position"},
)
SOURCE: Final = "ws:/ws/v5/private"
PING_EVERY: Final = 20.0


def _status(http: int, text: str) -> int:
    if not 200 <= http < 300:
        return http
    try:
        body = json.loads(text)
    except ValueError:
        return http
    code = body.get("code") if isinstance(body, dict) else None
    if code in ("0", 0, None):
        return http
    return 429 if code == "50011" else 400


class OkxVenue(VenueSession):
    """One OKX trading account (net mode) for the runner."""

    codec: str = codec.CODEC

    def __init__(
        self,
        *,
        rest_url: str,
        ws_url: str,
        credentials: Credentials,
        instruments: Iterable[Instrument],
        timeout: float = 10.0,
        trade_mode: str = "cross",
    ) -> None:
        if credentials.passphrase is None:
            raise ValueError("OkxVenue: OKX keys need their passphrase (Credentials.passphrase)")
        super().__init__(timeout)
        self.rest_url = rest_url.rstrip("/")
        self.ws_url = ws_url
        self._creds = credentials
        self._passphrase: str = credentials.passphrase
        self.symbols = [i.symbol for i in instruments]
        self.trade_mode = trade_mode

    def __repr__(self) -> str:
        return f"OkxVenue(rest={self.rest_url!r}, ws={self.ws_url!r})"

    # --- REST ----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        self.refuse_if_blocked()
        body = ""
        if method == "GET":
            path_qs = f"{path}?{urlencode(params)}" if params else path
        else:
            path_qs, body = path, json.dumps(params, separators=(",", ":"))
        headers = signing.rest_headers(
            self._creds.api_key,
            self._creds.api_secret,
            self._passphrase,
            int(time.time() * 1000),
            method,
            path_qs,
            body,
        )
        if body:
            headers["Content-Type"] = "application/json"
        url = f"{self.rest_url}{path_qs}"
        reply, _ = await self.send(f"{method} {path}", method, url, headers, body or None)
        if reply.status == 0:
            return reply
        status = _status(reply.status, reply.text)
        if status == 429:
            self.block(2.0)  # OKX windows are 1-2 s
            return Reply(reply.endpoint, 429, reply.text, retry_after=2.0)
        return Reply(reply.endpoint, status, reply.text)

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Account (balance + positions), then open orders and fills per symbol."""
        out: dict[str, Reply] = {}
        balance = await self._request("GET", "/api/v5/account/balance", {})
        positions = await self._request("GET", "/api/v5/account/positions", {})
        # Funding, transfers and the like as deltas: the stream shows only their balances.
        bills = await self._request("GET", "/api/v5/account/bills", {})
        bad = next((r for r in (balance, positions, bills) if not r.ok), None)
        out["account"] = bad or Reply(
            "GET /api/v5/account/balance+positions+bills",
            200,
            json.dumps({"balance": balance.text, "positions": positions.text, "bills": bills.text}),
        )
        for s in symbols:
            out[f"open_orders:{s}"] = await self._request(
                "GET", "/api/v5/trade/orders-pending", {"instId": s}
            )
        for s in symbols:
            out[f"trades:{s}"] = await self._request("GET", "/api/v5/trade/fills", {"instId": s})
        return out

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """``GET /api/v5/trade/order`` by order id or client id."""
        params = {"instId": symbol}
        params |= {"ordId": order_id} if order_id else {"clOrdId": client_order_id or ""}
        return await self._request("GET", "/api/v5/trade/order", params)

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """The fills of one order (``GET /api/v5/trade/fills``)."""
        return await self._request(
            "GET", "/api/v5/trade/fills", {"instId": symbol, "ordId": order_id}
        )

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """``POST /api/v5/trade/order`` (limit with a price, market without); never retried."""
        params: dict[str, Any] = {
            "instId": symbol,
            "tdMode": self.trade_mode,
            "side": side,
            "ordType": "market" if price is None else "limit",
            "sz": plain(quantity),
            "clOrdId": client_order_id,
        }
        if price is not None:
            params["px"] = plain(price)
        return await self._request("POST", "/api/v5/trade/order", params)

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """``POST /api/v5/trade/cancel-order``; never retried."""
        params = {"instId": symbol}
        params |= {"ordId": order_id} if order_id else {"clOrdId": client_order_id}
        return await self._request("POST", "/api/v5/trade/cancel-order", params)

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """``POST /api/v5/trade/amend-order`` with ``newSz``; never retried."""
        params = {"instId": symbol, "newSz": plain(quantity)}
        params |= {"ordId": order_id} if order_id else {"clOrdId": client_order_id}
        return await self._request("POST", "/api/v5/trade/amend-order", params)

    # --- stream --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[PrivateStream]:
        """Connect, ``login``, subscribe; entered once every answer was positive."""
        ws = await self.connect(self.ws_url)
        try:
            login = signing.ws_login(
                self._creds.api_key,
                self._creds.api_secret,
                self._passphrase,
                int(time.time()),
            )
            await ws.send_str(json.dumps(login))
            acks = [await self.handshake(ws, "login", _answer_to("login"))]
            await ws.send_str(json.dumps({"op": "subscribe", "args": list(CHANNELS)}))
            for _ in CHANNELS:
                acks.append(await self.handshake(ws, "subscribe", _answer_to("subscribe")))
            yield PrivateStream(ws, SOURCE, acks, ping="ping", every=PING_EVERY)
        finally:
            await self.disconnect(ws)


def _answer_to(event: str) -> Callable[[dict[str, Any]], bool]:
    """The handshake judge of one ``event``: its success, or ``StreamEnded`` on an error."""

    def judge(body: dict[str, Any]) -> bool:
        if body.get("event") == "error":
            raise StreamEnded(f"{event} refused: {body.get('code')} {body.get('msg')}"[:200])
        return body.get("event") == event and body.get("code") in (None, "0")

    return judge
