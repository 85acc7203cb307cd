"""The Bybit v5 loopback: private WebSocket (auth, subscribe, ping) and the REST subset.

Served (spec/venues/bybit.md, "Live edge"):

* ``/v5/private``: ``{"op":"auth","args":[key, expires, sign]}`` checked as Bybit signs
  it (a wrong key or signature, or an expired ``expires``: ``success: false``);
  ``{"op":"subscribe","args":[topics]}`` (only after auth; an unknown topic fails the
  request); ``{"op":"ping"}`` answered with the private pong. Pushes of the subscribed
  topics flow after a successful subscribe.
* REST, signed with the ``X-BAPI-*`` headers: ``GET /v5/account/wallet-balance``,
  ``/v5/position/list``, ``/v5/order/realtime``, ``/v5/execution/list``;
  ``POST /v5/order/create``, ``/v5/order/cancel``, ``/v5/order/amend``. Errors are
  ``retCode`` bodies: 10003 invalid key, 10004 bad signature, 10006 rate limit, 10016
  server error (a mutation's outcome then unknown), 110001 no such order.
"""

from __future__ import annotations

import contextlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from aiohttp import web

from core import events as ev
from invsync.live.loopback.venues.base import Connection, DerivativeLoopback, Encoder, Handler
from invsync.live.venues.bybit import encode, signing
from invsync.live.venues.wire import plain
from models.exchange import Rejection

TOPICS: Final = frozenset({"order", "execution", "execution.fast", "position", "wallet"})
_SIDES: Final = {"Buy": "buy", "Sell": "sell"}


class BybitError(Exception):
    """A Bybit ``retCode`` answer."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


class BybitLoopback(DerivativeLoopback):
    """A Bybit v5 unified account on 127.0.0.1 (linear and inverse instruments)."""

    venue = "bybit"

    def _encoder(self) -> Encoder:
        return encode.StreamEncoder(self.model.instruments.values(), self.clock)

    @property
    def ws_private_url(self) -> str:
        """The private stream's URL."""
        return f"{self.ws_base}/v5/private"

    def topic_of(self, message: dict[str, Any]) -> str | None:
        """A push's ``topic``."""
        topic = message.get("topic")
        return topic if isinstance(topic, str) else None

    def routes(self) -> list[tuple[str, str, Handler]]:
        """The served endpoints."""
        return [
            ("GET", "/v5/private", self._ws),
            ("GET", "/v5/market/time", self._time),
            ("GET", "/v5/market/instruments-info", self._instruments),
            ("GET", "/v5/account/wallet-balance", self._rest(self._wallet, False)),
            ("GET", "/v5/position/list", self._rest(self._positions, False)),
            ("GET", "/v5/order/realtime", self._rest(self._orders, False)),
            ("GET", "/v5/order/history", self._rest(self._orders, False)),
            ("GET", "/v5/execution/list", self._rest(self._executions, False)),
            ("POST", "/v5/order/create", self._rest(self._create, True)),
            ("POST", "/v5/order/cancel", self._rest(self._cancel, True)),
            ("POST", "/v5/order/amend", self._rest(self._amend, True)),
        ]

    # --- WebSocket ---------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        authed: dict[int, bool] = {}

        async def on_text(conn: Connection, text: str) -> None:
            try:
                msg = json.loads(text)
            except ValueError:
                return
            if not isinstance(msg, dict):
                return
            op = msg.get("op")
            raw = msg.get("args")
            args: list[Any] = raw if isinstance(raw, list) else []
            answer: dict[str, Any] = {
                "success": True,
                "ret_msg": "",
                "op": op,
                "conn_id": f"lb-{conn.number}",
            }
            if "req_id" in msg:
                answer["req_id"] = msg["req_id"]
            if op == "ping":
                pong = {"op": "pong", "args": [str(self.now_ms())], "conn_id": f"lb-{conn.number}"}
                if "req_id" in msg:
                    pong["req_id"] = msg["req_id"]
                conn.send(json.dumps(pong))
                return
            if op == "auth":
                ok = self._auth_ok(args)
                authed[conn.number] = ok
                if not ok:
                    answer.update(success=False, ret_msg="Params Error")
            elif op == "subscribe":
                topics = {a for a in args if isinstance(a, str)}
                if not authed.get(conn.number) or not topics or not topics <= TOPICS:
                    answer.update(
                        success=False,
                        ret_msg="Request not authorized"
                        if not authed.get(conn.number)
                        else "Invalid topic",
                    )
                else:
                    conn.topics = (conn.topics or set()) | topics
                    conn.send(json.dumps(answer))
                    conn.ready = True
                    return
            else:
                answer.update(success=False, ret_msg=f"unknown op {op!r}")
            conn.send(json.dumps(answer))

        return await self.websocket(request, on_text)

    def _auth_ok(self, args: list[Any]) -> bool:
        # The docs' example sends expires as a number; ccxt sends it as a string: both.
        if len(args) != 3 or args[0] != self._key:
            return False
        raw = args[1]
        if not (type(raw) is int or (isinstance(raw, str) and raw.isdigit())):
            return False
        expires = int(raw)
        expected = signing.hex_hmac(self._secret, signing.ws_auth_prehash(expires))
        fresh = expires > self.now_ms() - 1000
        return fresh and isinstance(args[2], str) and hmac.compare_digest(expected, args[2])

    # --- REST --------------------------------------------------------------------------------

    async def _time(self, request: web.Request) -> web.StreamResponse:
        now = self.now_ms()
        return web.json_response(
            {
                "retCode": 0,
                "retMsg": "OK",
                "result": {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)},
                "retExtInfo": {},
                "time": now,
            }
        )

    async def _instruments(self, request: web.Request) -> web.StreamResponse:
        """``GET /v5/market/instruments-info``: the account's instruments of a category."""
        category = request.query.get("category", "")
        status = request.query.get("status")
        rows = []
        for inst in self.model.instruments.values():
            if inst.kind != category or status not in (None, "Trading"):
                continue
            tick = inst.tick_size or Decimal("0.1")
            lot = inst.lot_size or Decimal("0.001")
            rows.append(
                {
                    "symbol": inst.symbol,
                    "contractType": "LinearPerpetual"
                    if inst.kind == "linear"
                    else "InversePerpetual",
                    "status": "Trading",
                    "baseCoin": inst.base,
                    "quoteCoin": inst.quote,
                    "launchTime": "1585526400000",
                    "deliveryTime": "0",
                    "deliveryFeeRate": "",
                    "priceScale": str(max(0, -tick.as_tuple().exponent)),  # type: ignore[operator]
                    "leverageFilter": {
                        "minLeverage": "1",
                        "maxLeverage": "100.00",
                        "leverageStep": "0.01",
                    },
                    "priceFilter": {
                        "minPrice": plain(tick),
                        "maxPrice": "1999999.80",
                        "tickSize": plain(tick),
                    },
                    "lotSizeFilter": {
                        "maxOrderQty": "1000000",
                        "minOrderQty": plain(lot),
                        "qtyStep": plain(lot),
                        "postOnlyMaxOrderQty": "1000000",
                        "maxMktOrderQty": "1000000",
                        "minNotionalValue": "0",
                    },
                    "unifiedMarginTrade": True,
                    "fundingInterval": 480,
                    "settleCoin": inst.settle,
                    "copyTrading": "none",
                    "upperFundingRate": "0.00375",
                    "lowerFundingRate": "-0.00375",
                    "isPreListing": False,
                    "preListingInfo": None,
                }
            )
        result = {"category": category, "list": rows, "nextPageCursor": ""}
        return web.json_response(
            {
                "retCode": 0,
                "retMsg": "OK",
                "result": result,
                "retExtInfo": {},
                "time": self.now_ms(),
            }
        )

    def _rest(self, inner: Any, mutation: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            payload = body if request.method == "POST" else request.rel_url.raw_query_string
            try:
                self._check_signature(request, payload)
                params: dict[str, Any] = dict(request.query)
                if request.method == "POST":
                    loaded = json.loads(body) if body else {}
                    if not isinstance(loaded, dict):
                        raise BybitError(10001, "Request parameter error.")
                    params = loaded
                plan = self.rest_plan(mutation)
                if plan.rate_limit:
                    return web.json_response(
                        self._error(10006, "Too many visits. Exceeded the API Rate Limit."),
                        headers={"X-Bapi-Limit-Reset-Timestamp": str(self.now_ms() + 1000)},
                    )
                if plan.timeout:
                    if mutation and plan.executed:
                        with contextlib.suppress(BybitError):  # refused: nothing executed
                            inner(params)
                    await self.hang()
                    return web.json_response(self._error(10016, "Server error."))
                if plan.fail_5xx or plan.unknown is not None:
                    if mutation and plan.executed:
                        with contextlib.suppress(BybitError):
                            inner(params)
                    return web.json_response(self._error(10016, "Server error."))
                result = inner(params)
            except BybitError as e:
                return web.json_response(self._error(e.code, e.msg))
            return web.json_response(
                {
                    "retCode": 0,
                    "retMsg": "OK",
                    "result": result,
                    "retExtInfo": {},
                    "time": self.event_now(),
                }
            )

        return handler

    def _error(self, code: int, msg: str) -> dict[str, Any]:
        return {
            "retCode": code,
            "retMsg": msg,
            "result": {},
            "retExtInfo": {},
            "time": self.now_ms(),
        }

    def _check_signature(self, request: web.Request, payload: str) -> None:
        h = request.headers
        if h.get(signing.KEY_HEADER) != self._key:
            raise BybitError(10003, "API key is invalid.")
        stamp, window = (
            h.get(signing.TIMESTAMP_HEADER, ""),
            h.get(signing.RECV_WINDOW_HEADER, "5000"),
        )
        if not (stamp.isdigit() and window.isdigit()):
            raise BybitError(10002, "The request time exceeds the time window range.")
        pre = signing.rest_prehash(int(stamp), self._key, int(window), payload)
        if not hmac.compare_digest(
            signing.hex_hmac(self._secret, pre), h.get(signing.SIGN_HEADER, "")
        ):
            raise BybitError(10004, "Error sign, please check your signature generation algorithm.")

    def _categories(self) -> list[str]:
        return sorted({i.kind for i in self.model.instruments.values()})

    def _bodies(self) -> dict[str, Any]:
        return encode.snapshot_bodies(self.model.snapshot(), self._categories(), self.clock)

    def _wallet(self, params: dict[str, Any]) -> Any:
        return self._bodies()["wallet"]["result"]

    def _pick(self, part: str, params: dict[str, Any]) -> Any:
        category = params.get("category")
        for body in self._bodies()[part]:
            if body["result"]["category"] == category:
                return body["result"]
        if category in ("linear", "inverse"):
            return {"category": category, "list": [], "nextPageCursor": ""}
        raise BybitError(10001, "Request parameter error.")

    def _positions(self, params: dict[str, Any]) -> Any:
        return self._pick("positions", params)

    def _executions(self, params: dict[str, Any]) -> Any:
        return self._pick("executions", params)

    def _orders(self, params: dict[str, Any]) -> Any:
        cid, oid = params.get("orderLinkId"), params.get("orderId")
        if not cid and not oid:
            return self._pick("open_orders", params)
        category = params.get("category", "linear")
        answer = self.model.query_order(client_order_id=cid or None, order_id=oid or None)
        if isinstance(answer, ev.OrderReported) and answer.kind != category:
            answer = ev.OrderNotFound(client_order_id=cid or None, order_id=oid or None)
        return encode.order_query_body(answer, category, self.event_now(), self.clock)["result"]

    def _create(self, params: dict[str, Any]) -> Any:
        symbol = params.get("symbol")
        inst = self.model.instruments.get(symbol) if isinstance(symbol, str) else None
        side = _SIDES.get(params.get("side", ""))
        if inst is None or side is None or params.get("category") != inst.kind:
            raise BybitError(10001, "Request parameter error.")
        try:
            qty = Decimal(params["qty"])
            price = Decimal(params["price"]) if params.get("orderType") == "Limit" else None
        except (KeyError, InvalidOperation, TypeError):
            raise BybitError(10001, "Request parameter error.") from None
        cid = params.get("orderLinkId") or None
        if cid is not None and self.model.order(cid) is not None:
            raise BybitError(110072, "OrderLinkedID is duplicate")
        result = self.place(cid, inst.symbol, side, qty, price)
        if isinstance(result, Rejection):
            raise BybitError(110007, "ab not enough for new order")
        self.publish()
        return {"orderId": result.order_id, "orderLinkId": cid or ""}

    def _cancel(self, params: dict[str, Any]) -> Any:
        cid, oid = params.get("orderLinkId"), params.get("orderId")
        o = self.model.orders.get(oid) if oid else (self.model.order(cid) if cid else None)
        if o is None or not o.is_open:
            raise BybitError(110001, "Order does not exist")
        self.model.cancel(o.order_id)
        self.publish()
        return {"orderId": o.order_id, "orderLinkId": o.client_order_id or ""}

    def _amend(self, params: dict[str, Any]) -> Any:
        cid, oid = params.get("orderLinkId"), params.get("orderId")
        o = self.model.orders.get(oid) if oid else (self.model.order(cid) if cid else None)
        if o is None or not o.is_open:
            raise BybitError(110001, "Order does not exist")
        try:
            qty = Decimal(params["qty"]) if "qty" in params else None
            price = Decimal(params["price"]) if "price" in params else None
        except (InvalidOperation, TypeError):
            raise BybitError(10001, "Request parameter error.") from None
        result = self.model.amend(o.order_id, quantity=qty, price=price)
        if isinstance(result, Rejection):
            raise BybitError(110079, "The order is processing and can not be operated")
        self.publish()
        return {"orderId": o.order_id, "orderLinkId": o.client_order_id or ""}
