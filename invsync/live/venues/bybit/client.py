"""The Bybit v5 venue client: private stream, REST snapshot, order query and order entry.

Stream: connect to the private URL, ``auth`` (signed ``GET/realtime`` + expires), then
``subscribe`` to ``order``, ``execution``, ``execution.fast``, ``position``, ``wallet``;
a failed auth or subscription raises ``StreamRefused`` (the adapter also turns the
answer into ``StreamDisconnected``: the account is stale until the next snapshot).
``{"op":"ping"}`` goes out after 20 s without a frame (Bybit's recommendation).
Snapshot: wallet-balance (UNIFIED), position list and order realtime per category and
settle coin, execution list per category. Facts and sources: spec/venues/bybit.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from core import events as ev
from core.adapters import bybit
from invsync.live.venues.bybit import rest, signing
from invsync.live.venues.credentials import Credentials
from invsync.live.venues.transport import (
    OutcomeUnknown,
    StreamRefused,
    Transport,
    receive_json,
)
from invsync.live.venues.wire import plain

TOPICS: Final = ("order", "execution", "execution.fast", "position", "wallet")
PING_INTERVAL: Final = 20.0
#: retCodes after which a mutation's outcome is unknown (server error, busy).
_UNKNOWN_CODES: Final = frozenset({10016, 10000})
_NO_SUCH_ORDER: Final = 110001


def _ms() -> int:
    return int(time.time() * 1000)


class BybitClient:
    """One Bybit unified account: ``categories`` and their settle coins say what to fetch."""

    venue = "bybit"
    stream_name = bybit.STREAM

    def __init__(
        self,
        *,
        rest_url: str,
        ws_url: str,
        credentials: Credentials,
        categories: Sequence[str] = ("linear",),
        settle_coins: Sequence[str] = ("USDT",),
        timeout: float = 10.0,
        recv_window: int = 5000,
    ) -> None:
        self.ws_url = ws_url
        self._creds = credentials
        self.categories = tuple(categories)
        self.settle_coins = tuple(settle_coins)
        self.recv_window = recv_window
        self.transport = Transport(rest_url, timeout)
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    def __repr__(self) -> str:
        return f"BybitClient(rest={self.transport.base_url!r}, ws={self.ws_url!r})"

    # --- stream --------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open, authenticate and subscribe; ``StreamRefused`` if the venue says no."""
        await self.disconnect()
        ws = await self.transport.websocket(self.ws_url)
        self._ws = ws
        await ws.send_str(
            json.dumps(signing.ws_auth(self._creds.api_key, self._creds.api_secret, _ms() + 10_000))
        )
        await self._expect(ws, "auth")
        await ws.send_str(json.dumps({"op": "subscribe", "args": list(TOPICS)}))
        await self._expect(ws, "subscribe")

    async def _expect(self, ws: aiohttp.ClientWebSocketResponse, op: str) -> None:
        while True:
            msg = await receive_json(ws, self.transport.timeout, {"op": "ping"})
            if msg is None:
                raise StreamRefused(f"bybit: the socket closed before the {op} answer")
            if isinstance(msg, dict) and msg.get("op") == op:
                if msg.get("success") is True:
                    return
                reason = str(msg.get("ret_msg") or "no reason given")[:200]
                await self.disconnect()
                raise StreamRefused(f"bybit: {op} failed: {reason}")

    async def receive(self) -> Any | None:
        """The next private message (decoded JSON); None when the stream has ended."""
        if self._ws is None:
            return None
        return await receive_json(self._ws, PING_INTERVAL, {"op": "ping"})

    def parse(self, message: Any) -> list[ev.Event]:
        """The adapter's events for one message."""
        return bybit.parse(message)

    async def disconnect(self) -> None:
        """Close the private socket, if open."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def close(self) -> None:
        """Close everything."""
        await self.disconnect()
        await self.transport.close()

    # --- REST ------------------------------------------------------------------------------------

    async def _get(self, path: str, params: Sequence[tuple[str, str]]) -> Any:
        query = urlencode(list(params))
        headers = signing.rest_headers(
            self._creds.api_key, self._creds.api_secret, _ms(), query, self.recv_window
        )
        _, _, body = await self.transport.request("GET", f"{path}?{query}", headers)
        return body

    async def _post(self, path: str, params: dict[str, Any]) -> Any:
        text = json.dumps(params, separators=(",", ":"))
        headers = signing.rest_headers(
            self._creds.api_key, self._creds.api_secret, _ms(), text, self.recv_window
        )
        headers["Content-Type"] = "application/json"
        _, _, body = await self.transport.request("POST", path, headers, text)
        return body

    async def snapshot(self) -> list[ev.Event]:
        """A complete snapshot: wallet, positions, open orders, recent executions."""
        wallet = await self._get("/v5/account/wallet-balance", [("accountType", "UNIFIED")])
        positions, orders, executions = [], [], []
        for category in self.categories:
            coins = self.settle_coins if category == "linear" else ("",)
            for coin in coins:
                params = [("category", category)] + ([("settleCoin", coin)] if coin else [])
                if category != "spot":
                    positions.append(await self._get("/v5/position/list", params))
                orders.append(await self._get("/v5/order/realtime", params))
            executions.append(await self._get("/v5/execution/list", [("category", category)]))
        return bybit.parse_snapshot(
            wallet=wallet,
            positions=positions or None,
            open_orders=orders,
            executions=executions,
        )

    async def query_order(
        self,
        symbol: str,
        client_order_id: str | None,
        order_id: str | None,
        category: str = "linear",
    ) -> list[ev.Event]:
        """The order's report, or ``OrderNotFound`` (realtime, then history, by id)."""
        params = [("category", category), ("symbol", symbol)]
        params += [("orderId", order_id)] if order_id else [("orderLinkId", client_order_id or "")]
        for path in ("/v5/order/realtime", "/v5/order/history"):
            answer = rest.read_order(
                await self._get(path, params),
                category,
                client_order_id=client_order_id,
                order_id=order_id,
            )
            if not (len(answer) == 1 and isinstance(answer[0], ev.OrderNotFound)):
                return answer
        return answer

    async def place(
        self,
        client_order_id: str,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        category: str = "linear",
    ) -> list[ev.Event]:
        """Place an order: [] when accepted, else the outcome event for the core."""
        params: dict[str, Any] = {
            "category": category,
            "symbol": symbol,
            "side": "Buy" if side == "buy" else "Sell",
            "orderType": "Market" if price is None else "Limit",
            "qty": plain(quantity),
            "orderLinkId": client_order_id,
        }
        if price is not None:
            params["price"] = plain(price)
            params["timeInForce"] = "GTC"
        try:
            body = await self._post("/v5/order/create", params)
        except OutcomeUnknown as e:
            return [ev.SubmissionTimedOut(client_order_id=client_order_id, reason=str(e))]
        code = body.get("retCode") if isinstance(body, dict) else None
        if code == 0:
            return []
        reason = f"{code}: {body.get('retMsg') if isinstance(body, dict) else body}"[:200]
        if code in _UNKNOWN_CODES or code is None:
            return [ev.SubmissionTimedOut(client_order_id=client_order_id, reason=reason)]
        return [ev.SubmissionFailed(client_order_id=client_order_id, reason=reason)]

    async def cancel(
        self, client_order_id: str, symbol: str, category: str = "linear"
    ) -> list[ev.Event]:
        """Cancel: [] when accepted or unknown (the stream or a query tells), else refused."""
        params = {"category": category, "symbol": symbol, "orderLinkId": client_order_id}
        try:
            body = await self._post("/v5/order/cancel", params)
        except OutcomeUnknown:
            return []
        code = body.get("retCode") if isinstance(body, dict) else None
        if code == 0 or code in _UNKNOWN_CODES or code is None:
            return []
        return [
            ev.CancelFailed(
                client_order_id=client_order_id, reason=f"{code}: {body.get('retMsg')}"[:200]
            )
        ]
