"""The Binance USD-M futures loopback: listen-key user-data stream and the /fapi subset.

Served (spec/venues/binance_usdm.md, "Live edge"):

* ``POST`` / ``PUT`` / ``DELETE /fapi/v1/listenKey`` (``X-MBX-APIKEY`` only): create (or
  return and extend the active key), keep alive (-1125 when the key is unknown), close.
* ``/private/ws/<listenKey>`` (and the legacy ``/ws/<listenKey>``): pushes flow at once
  for a valid key; an unknown key is refused (HTTP 400). The fault knob ``shutdown`` is
  rendered as the key expiring: ``listenKeyExpired`` is pushed, the key dies, and nothing
  more is pushed on that connection; ``expire_listen_keys()`` does it on demand.
* Signed REST (``X-MBX-APIKEY``, ``timestamp``, ``signature`` = HMAC-SHA256 hex of the
  query string + body): ``GET /fapi/v3/account``, ``/fapi/v3/positionRisk``,
  ``/fapi/v1/openOrders``, ``/fapi/v1/userTrades``, ``/fapi/v1/order``;
  ``POST`` / ``DELETE`` / ``PUT /fapi/v1/order``. Errors are ``{"code", "msg"}``: -1022
  bad signature, -2014/-2015 bad key, -2013 no such order, -2011 cancel of an unknown
  order, -4116 duplicate client id, -5027 nothing to modify, -1003 (HTTP 429, with
  ``Retry-After``), -1007 (HTTP 503: execution status unknown).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import random
import string
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import parse_qsl

from aiohttp import web

from invsync.live.loopback.venues.base import Connection, DerivativeLoopback, Encoder, Handler
from invsync.live.venues.binance_usdm import encode, signing
from models.exchange import ModelOrder, Rejection

_SIDES: Final = {"BUY": "buy", "SELL": "sell"}
_KEY_CHARS: Final = string.ascii_letters + string.digits


class UsdmError(Exception):
    """A Binance error answer: HTTP status, code, message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code}: {msg}")
        self.status, self.code, self.msg = status, code, msg


class BinanceUsdmLoopback(DerivativeLoopback):
    """A Binance USD-M futures account on 127.0.0.1 (one-way mode)."""

    venue = "binance_usdm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys = random.Random(f"loopback/{self.seed}/listenkey")
        self.listen_key: str | None = None
        self.keepalives = 0
        self._conn_key: dict[int, str] = {}

    def _encoder(self) -> Encoder:
        return encode.StreamEncoder(self.clock)

    def ws_url(self, listen_key: str) -> str:
        """The user-data stream URL of a listen key (the routed ``/private`` form)."""
        return f"{self.ws_base}/private/ws/{listen_key}"

    def routes(self) -> list[tuple[str, str, Handler]]:
        """The served endpoints."""
        return [
            ("POST", "/fapi/v1/listenKey", self._listen_key),
            ("PUT", "/fapi/v1/listenKey", self._listen_key),
            ("DELETE", "/fapi/v1/listenKey", self._listen_key),
            ("GET", "/private/ws/{key}", self._ws),
            ("GET", "/ws/{key}", self._ws),
            ("GET", "/fapi/v3/account", self._rest(self._account, False)),
            ("GET", "/fapi/v3/positionRisk", self._rest(self._positions, False)),
            ("GET", "/fapi/v1/openOrders", self._rest(self._open_orders, False)),
            ("GET", "/fapi/v1/userTrades", self._rest(self._trades, False)),
            ("GET", "/fapi/v1/order", self._rest(self._query, False)),
            ("POST", "/fapi/v1/order", self._rest(self._place, True)),
            ("DELETE", "/fapi/v1/order", self._rest(self._cancel, True)),
            ("PUT", "/fapi/v1/order", self._rest(self._modify, True)),
        ]

    # --- listen key and stream -----------------------------------------------------------------

    async def _listen_key(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get(signing.API_KEY_HEADER) != self._key:
            return web.json_response(
                {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                status=401,
            )
        if request.method == "POST":
            if self.listen_key is None:
                self.listen_key = "".join(self._keys.choice(_KEY_CHARS) for _ in range(64))
            return web.json_response({"listenKey": self.listen_key})
        if self.listen_key is None:
            return web.json_response(
                {"code": -1125, "msg": "This listenKey does not exist."}, status=400
            )
        if request.method == "PUT":
            self.keepalives += 1
            return web.json_response({"listenKey": self.listen_key})
        self.listen_key = None
        return web.json_response({})

    def expire_listen_keys(self) -> None:
        """The active key expires: ``listenKeyExpired`` on its connections, then silence."""
        key = self.listen_key
        self.listen_key = None
        for conn in list(self.connections):
            if key is not None and self._conn_key.get(conn.number) == key:
                self._expired(conn, key)

    def _expired(self, conn: Connection, key: str) -> None:
        now = self.now_ms()
        conn.send(json.dumps({"e": "listenKeyExpired", "E": now, "listenKey": key}))
        conn.ready = False  # "no more user data event will be updated" until a new key

    def end_connection(self, conn: Connection) -> bool:
        """The ``shutdown`` fault: the connection's key expires (the socket stays open)."""
        key = self._conn_key.get(conn.number)
        if key is not None and key == self.listen_key:
            self.listen_key = None
            self._expired(conn, key)
            return True
        return False

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        if self.listen_key is None or key != self.listen_key:
            return web.json_response({"code": -1125, "msg": "Invalid listenKey."}, status=400)

        async def on_open(conn: Connection) -> None:
            self._conn_key[conn.number] = key
            conn.ready = True

        async def on_text(conn: Connection, text: str) -> None:
            return None  # the user-data stream takes no requests

        return await self.websocket(request, on_text, on_open)

    # --- REST --------------------------------------------------------------------------------

    def _rest(self, inner: Any, mutation: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            try:
                params = self._check_signature(request, body)
                plan = self.rest_plan(mutation)
                if plan.rate_limit:
                    return web.json_response(
                        {"code": -1003, "msg": "Too many requests; please use the websocket."},
                        status=429,
                        headers={"Retry-After": str(self.faults.retry_after)},
                    )
                if plan.timeout or plan.fail_5xx or plan.unknown is not None:
                    if mutation and plan.executed:
                        with contextlib.suppress(UsdmError):
                            inner(params)
                    if plan.timeout:
                        await self.hang()
                    return web.json_response(
                        {
                            "code": -1007,
                            "msg": "Timeout waiting for response from backend server. Send "
                            "status unknown; execution status unknown.",
                        },
                        status=503,
                    )
                result = inner(params)
            except UsdmError as e:
                return web.json_response({"code": e.code, "msg": e.msg}, status=e.status)
            return web.json_response(result)

        return handler

    def _check_signature(self, request: web.Request, body: str) -> dict[str, str]:
        if request.headers.get(signing.API_KEY_HEADER) != self._key:
            raise UsdmError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        query = request.rel_url.raw_query_string  # as sent: the signature covers it
        parts = [p for p in query.split("&") if p] + [p for p in body.split("&") if p]
        sig = next((p[len("signature=") :] for p in parts if p.startswith("signature=")), None)
        kept_q = "&".join(p for p in query.split("&") if p and not p.startswith("signature="))
        kept_b = "&".join(p for p in body.split("&") if p and not p.startswith("signature="))
        if sig is None:
            raise UsdmError(400, -1102, "Mandatory parameter 'signature' was not sent.")
        expected = signing.signature(self._secret, kept_q + kept_b)
        if not hmac.compare_digest(expected, sig.lower()):
            raise UsdmError(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(kept_q)) | dict(parse_qsl(kept_b))
        if "timestamp" not in params:
            raise UsdmError(400, -1102, "Mandatory parameter 'timestamp' was not sent.")
        return params

    def _bodies(self) -> dict[str, Any]:
        return encode.snapshot_bodies(self.model.snapshot(), self.clock)

    def _account(self, params: dict[str, str]) -> Any:
        return self._bodies()["account"]

    def _positions(self, params: dict[str, str]) -> Any:
        rows = self._bodies()["positions"]
        symbol = params.get("symbol")
        return [r for r in rows if symbol in (None, r["symbol"])]

    def _open_orders(self, params: dict[str, str]) -> Any:
        rows = self._bodies()["open_orders"]
        symbol = params.get("symbol")
        return [r for r in rows if symbol in (None, r["symbol"])]

    def _trades(self, params: dict[str, str]) -> Any:
        symbol = params.get("symbol")
        if not symbol:
            raise UsdmError(400, -1102, "Mandatory parameter 'symbol' was not sent.")
        order = params.get("orderId")
        rows = self._bodies()["trades"]
        return [
            r
            for r in rows
            if r["symbol"] == symbol and (order is None or str(r["orderId"]) == order)
        ]

    def _find(self, params: dict[str, str]) -> ModelOrder | None:
        oid, cid = params.get("orderId"), params.get("origClientOrderId")
        if oid and oid.isdigit():
            o = self.model.orders.get(f"X{int(oid)}")
        elif cid:
            o = self.model.order(cid)
        else:
            raise UsdmError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if o is not None and o.instrument.symbol != params.get("symbol"):
            return None
        return o

    def _query(self, params: dict[str, str]) -> Any:
        o = self._find(params)
        if o is None:
            raise UsdmError(400, -2013, "Order does not exist.")
        return encode.rest_order(o.report(), self.clock)

    def _place(self, params: dict[str, str]) -> Any:
        inst = self.model.instruments.get(params.get("symbol", ""))
        side = _SIDES.get(params.get("side", ""))
        otype = params.get("type")
        if inst is None or side is None or otype not in ("LIMIT", "MARKET"):
            raise UsdmError(
                400, -1102, "A mandatory parameter was not sent, was empty/null, or malformed."
            )
        try:
            quantity = Decimal(params["quantity"])
            price = Decimal(params["price"]) if otype == "LIMIT" else None
        except (KeyError, InvalidOperation):
            raise UsdmError(
                400, -1102, "A mandatory parameter was not sent, was empty/null, or malformed."
            ) from None
        cid = (
            params.get("newClientOrderId") or f"lb{self.model.version}{self._keys.randrange(10**9)}"
        )
        taken = self.model.order(cid)
        if taken is not None and taken.is_open:
            raise UsdmError(400, -4116, "ClientOrderId is duplicated.")
        result = self.place(cid, inst.symbol, side, quantity, price)
        if isinstance(result, Rejection):
            raise UsdmError(400, -2010, "NEW_ORDER_REJECTED")
        self.publish()
        return encode.rest_order(result.report(), self.clock)

    def _cancel(self, params: dict[str, str]) -> Any:
        o = self._find(params)
        if o is None or not o.is_open:
            raise UsdmError(400, -2011, "Unknown order sent.")
        self.model.cancel(o.order_id)
        self.publish()
        return encode.rest_order(o.report(), self.clock)

    def _modify(self, params: dict[str, str]) -> Any:
        o = self._find(params)
        if o is None or not o.is_open:
            raise UsdmError(400, -2013, "Order does not exist.")
        try:
            quantity = Decimal(params["quantity"])
            price = Decimal(params["price"])
        except (KeyError, InvalidOperation):
            raise UsdmError(
                400, -1102, "A mandatory parameter was not sent, was empty/null, or malformed."
            ) from None
        if quantity == o.quantity and price == o.price:
            raise UsdmError(400, -5027, "No need to modify the order.")
        result = self.model.amend(
            o.order_id, quantity=quantity, price=price if price != o.price else None
        )
        if isinstance(result, Rejection):
            raise UsdmError(400, -2010, "NEW_ORDER_REJECTED")
        self.publish()
        return encode.rest_order(o.report(), self.clock)
