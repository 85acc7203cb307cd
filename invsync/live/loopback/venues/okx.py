"""The OKX v5 loopback: private WebSocket (login, subscribe, text ping) and the REST subset.

Served (spec/venues/okx.md, "Live edge"):

* ``/ws/v5/private``: ``{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}``
  checked as OKX signs it (Unix seconds, 30 s validity; a failure is ``event: error``
  code 60009); ``{"op":"subscribe","args":[{"channel": ...}]}`` for ``orders``,
  ``positions``, ``account``, ``balance_and_position`` (before login, or an unknown
  channel: ``event: error``); the text ``ping`` is answered ``pong``.
* REST, signed with the ``OK-ACCESS-*`` headers: ``GET /api/v5/account/balance``,
  ``/account/positions``, ``/account/bills``, ``/trade/orders-pending``, ``/trade/fills``,
  ``/trade/order``; ``POST /api/v5/trade/order``, ``/trade/cancel-order``,
  ``/trade/amend-order``. A refused order is ``code "1"`` with the item's ``sCode``; a
  rate limit HTTP 429 code 50011; an unknown order 51603.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from aiohttp import web

from core import events as ev
from invsync.live.loopback.venues.base import Connection, DerivativeLoopback, Encoder, Handler
from invsync.live.venues.okx import encode, signing
from invsync.live.venues.wire import plain
from models.exchange import Rejection

CHANNELS: Final = frozenset({"orders", "positions", "account", "balance_and_position"})


class OkxError(Exception):
    """An OKX error answer (HTTP status, code, message, and the item ``sCode`` if any)."""

    def __init__(self, code: str, msg: str, status: int = 200, s_code: str | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.status, self.s_code = code, msg, status, s_code

    def body(self) -> dict[str, Any]:
        """The documented error body."""
        data = [] if self.s_code is None else [{"sCode": self.s_code, "sMsg": self.msg}]
        return {"code": self.code, "msg": self.msg if self.s_code is None else "", "data": data}


class OkxLoopback(DerivativeLoopback):
    """An OKX trading account on 127.0.0.1 (SWAP instruments, net mode)."""

    venue = "okx"

    def _encoder(self) -> Encoder:
        return encode.StreamEncoder(self.model.instruments.values(), self.clock)

    @property
    def ws_private_url(self) -> str:
        """The private WebSocket service."""
        return f"{self.ws_base}/ws/v5/private"

    def topic_of(self, message: dict[str, Any]) -> str | None:
        """A push's channel."""
        arg = message.get("arg")
        channel = arg.get("channel") if isinstance(arg, dict) else None
        return channel if isinstance(channel, str) else None

    def routes(self) -> list[tuple[str, str, Handler]]:
        """The served endpoints."""
        return [
            ("GET", "/ws/v5/private", self._ws),
            ("GET", "/api/v5/public/instruments", self._instruments),
            ("GET", "/api/v5/public/time", self._time),
            ("GET", "/api/v5/account/balance", self._rest(self._balance, False)),
            ("GET", "/api/v5/account/positions", self._rest(self._positions, False)),
            ("GET", "/api/v5/account/bills", self._rest(self._bills, False)),
            ("GET", "/api/v5/trade/orders-pending", self._rest(self._pending, False)),
            ("GET", "/api/v5/trade/fills", self._rest(self._fills, False)),
            ("GET", "/api/v5/trade/order", self._rest(self._order, False)),
            ("POST", "/api/v5/trade/order", self._rest(self._place, True)),
            ("POST", "/api/v5/trade/cancel-order", self._rest(self._cancel, True)),
            ("POST", "/api/v5/trade/amend-order", self._rest(self._amend, True)),
        ]

    # --- WebSocket ---------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        logged_in: set[int] = set()

        async def on_text(conn: Connection, text: str) -> None:
            if text == "ping":
                conn.send("pong")
                return
            try:
                msg = json.loads(text)
            except ValueError:
                return
            conn_id = f"lb{conn.number}"
            op = msg.get("op") if isinstance(msg, dict) else None
            args = msg.get("args") if isinstance(msg, dict) else None
            if op == "login" and isinstance(args, list) and args and self._login_ok(args[0]):
                logged_in.add(conn.number)
                conn.send(json.dumps({"event": "login", "code": "0", "msg": "", "connId": conn_id}))
                return
            if op == "login":
                error = {"event": "error", "code": "60009", "msg": "Login failed."}
                conn.send(json.dumps(error | {"connId": conn_id}))
                return
            if op == "subscribe" and isinstance(args, list):
                if conn.number not in logged_in:
                    error = {"event": "error", "code": "60011", "msg": "Please log in"}
                    conn.send(json.dumps(error | {"connId": conn_id}))
                    return
                channels = [a.get("channel") for a in args if isinstance(a, dict)]
                if not channels or not set(channels) <= CHANNELS:
                    error = {
                        "event": "error",
                        "code": "60018",
                        "msg": f"Wrong URL or channel:{channels}",
                    }
                    conn.send(json.dumps(error | {"connId": conn_id}))
                    return
                for arg in args:
                    conn.send(json.dumps({"event": "subscribe", "arg": arg, "connId": conn_id}))
                conn.topics = (conn.topics or set()) | {str(c) for c in channels}
                conn.ready = True
                return
            error = {"event": "error", "code": "60012", "msg": f"Invalid request: {text[:100]}"}
            conn.send(json.dumps(error | {"connId": conn_id}))

        return await self.websocket(request, on_text)

    def _login_ok(self, arg: Any) -> bool:
        if not isinstance(arg, dict) or arg.get("apiKey") != self._key:
            return False
        if arg.get("passphrase") != self._passphrase:
            return False
        ts = arg.get("timestamp")
        if not isinstance(ts, str) or not ts.isdigit() or abs(int(ts) - time.time()) > 30:
            return False
        expected = signing.b64_hmac(self._secret, signing.prehash(ts, "GET", signing.LOGIN_PATH))
        sign = arg.get("sign")
        return isinstance(sign, str) and hmac.compare_digest(expected, sign)

    # --- REST --------------------------------------------------------------------------------

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"code": "0", "msg": "", "data": [{"ts": str(self.now_ms())}]})

    async def _instruments(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/v5/public/instruments``: the account's SWAPs (what ccxt's markets need)."""
        rows = []
        if request.query.get("instType") == "SWAP":
            for inst in self.model.instruments.values():
                family = f"{inst.base}-{inst.quote}"
                rows.append(
                    {
                        "alias": "",
                        "baseCcy": "",
                        "category": "1",
                        "ctMult": "1",
                        "ctType": inst.kind,
                        "ctVal": plain(inst.contract_size),
                        "ctValCcy": inst.base if inst.kind == "linear" else inst.quote,
                        "expTime": "",
                        "instFamily": family,
                        "instId": inst.symbol,
                        "instType": "SWAP",
                        "lever": "100",
                        "listTime": "1606468572000",
                        "lotSz": plain(inst.lot_size or Decimal(1)),
                        "maxLmtSz": "100000000",
                        "maxMktSz": "10000",
                        "minSz": plain(inst.lot_size or Decimal(1)),
                        "optType": "",
                        "quoteCcy": "",
                        "settleCcy": inst.settle,
                        "state": "live",
                        "stk": "",
                        "tickSz": plain(inst.tick_size or Decimal("0.1")),
                        "uly": family,
                    }
                )
        return web.json_response({"code": "0", "msg": "", "data": rows})

    def _rest(self, inner: Any, mutation: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            try:
                self._check_signature(request, body)
                params: dict[str, Any] = dict(request.query)
                if request.method == "POST":
                    loaded = json.loads(body) if body else {}
                    if not isinstance(loaded, dict):
                        raise OkxError("50000", "Body can not be empty.", 400)
                    params = loaded
                plan = self.rest_plan(mutation)
                if plan.rate_limit:
                    limited = {"code": "50011", "msg": "Rate limit reached.", "data": []}
                    return web.json_response(limited, status=429)
                if plan.timeout or plan.fail_5xx or plan.unknown is not None:
                    if mutation and plan.executed:
                        with contextlib.suppress(OkxError):
                            inner(params)
                    if plan.timeout:
                        await self.hang()
                    return web.json_response(
                        {"code": "50001", "msg": "Service temporarily unavailable.", "data": []},
                        status=503,
                    )
                result = inner(params)
            except OkxError as e:
                return web.json_response(e.body(), status=e.status)
            return web.json_response(result)

        return handler

    def _check_signature(self, request: web.Request, body: str) -> None:
        h = request.headers
        if h.get(signing.KEY_HEADER) != self._key:
            raise OkxError("50111", "Invalid OK-ACCESS-KEY.", 401)
        if h.get(signing.PASSPHRASE_HEADER) != self._passphrase:
            raise OkxError("50105", "Invalid OK-ACCESS-PASSPHRASE.", 401)
        ts = h.get(signing.TIMESTAMP_HEADER, "")
        path = request.raw_path  # path and query as sent: the signature covers them
        expected = signing.b64_hmac(self._secret, signing.prehash(ts, request.method, path, body))
        if not hmac.compare_digest(expected, h.get(signing.SIGN_HEADER, "")):
            raise OkxError("50113", "Invalid Sign.", 401)

    def _bodies(self) -> dict[str, Any]:
        snap = self.model.snapshot()
        return encode.snapshot_bodies(snap, self.model.instruments.values(), self.clock)

    def _by_inst(self, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        inst_id = params.get("instId")
        if inst_id:
            body = body | {"data": [r for r in body["data"] if r.get("instId") == inst_id]}
        return body

    def _balance(self, params: dict[str, Any]) -> Any:
        body = self._bodies()["balance"]
        # The account row's uTime is when the venue read the account: "now" on the events' line.
        body["data"][0]["uTime"] = str(self.event_now())
        return body

    def _positions(self, params: dict[str, Any]) -> Any:
        return self._by_inst(self._bodies()["positions"], params)

    def _pending(self, params: dict[str, Any]) -> Any:
        return self._by_inst(self._bodies()["open_orders"], params)

    def _fills(self, params: dict[str, Any]) -> Any:
        return self._by_inst(self._bodies()["fills"], params)

    def _bills(self, params: dict[str, Any]) -> Any:
        return encode.bills_body(self.encoder_bills(), self.model.instruments.values(), self.clock)

    def encoder_bills(self) -> list[tuple[ev.CashChanged, Decimal]]:
        """Every cash change so far, with the balance after it (for ``/account/bills``)."""
        out = []
        for c in self.model.cash:
            out.append((c.report(), self.model.balance_at(c.asset, c.version).total))
        return out

    def _find(self, params: dict[str, Any]) -> Any:
        oid, cid = params.get("ordId"), params.get("clOrdId")
        o = self.model.orders.get(oid) if oid else (self.model.order(cid) if cid else None)
        if o is not None and params.get("instId") not in (None, o.instrument.symbol):
            return None
        return o

    def _order(self, params: dict[str, Any]) -> Any:
        o = self._find(params)
        if o is None:
            raise OkxError("51603", "Order does not exist")
        return encode.order_query_body(o.report(), self.model.instruments.values(), self.clock)

    def _ack(self, o: Any, message: str) -> dict[str, Any]:
        ack = {
            "clOrdId": o.client_order_id or "",
            "ordId": o.order_id,
            "tag": "",
            "ts": str(self.event_now()),
            "sCode": "0",
            "sMsg": message,
        }
        return {"code": "0", "msg": "", "data": [ack]}

    def _place(self, params: dict[str, Any]) -> Any:
        inst_id = params.get("instId")
        inst = self.model.instruments.get(inst_id) if isinstance(inst_id, str) else None
        side = params.get("side")
        if inst is None or side not in ("buy", "sell"):
            raise OkxError("1", "Instrument ID or side is invalid", s_code="51001")
        try:
            size = Decimal(params["sz"])
            price = Decimal(params["px"]) if params.get("ordType") == "limit" else None
        except (KeyError, InvalidOperation, TypeError):
            raise OkxError("1", "Parameter sz or px error", s_code="51000") from None
        cid = params.get("clOrdId") or None
        if cid is not None:
            taken = self.model.order(cid)
            if taken is not None and taken.is_open:
                raise OkxError("1", "Duplicated client order ID", s_code="51016")
        result = self.place(cid, inst.symbol, side, size, price)
        if isinstance(result, Rejection):
            raise OkxError("1", "Insufficient balance", s_code="51008")
        self.publish()
        return self._ack(result, "Order placed")

    def _cancel(self, params: dict[str, Any]) -> Any:
        o = self._find(params)
        if o is None or not o.is_open:
            raise OkxError(
                "1",
                "Order cancellation failed as the order has been filled, canceled or does not "
                "exist",
                s_code="51400",
            )
        self.model.cancel(o.order_id)
        self.publish()
        return self._ack(o, "")

    def _amend(self, params: dict[str, Any]) -> Any:
        o = self._find(params)
        if o is None or not o.is_open:
            raise OkxError("1", "Order does not exist", s_code="51603")
        try:
            size = Decimal(params["newSz"]) if params.get("newSz") else None
            price = Decimal(params["newPx"]) if params.get("newPx") else None
        except (InvalidOperation, TypeError):
            raise OkxError("1", "Parameter newSz error", s_code="51000") from None
        result = self.model.amend(o.order_id, quantity=size, price=price)
        if isinstance(result, Rejection):
            raise OkxError("1", f"Amend failed: {plain(size or Decimal(0))}", s_code="51503")
        self.publish()
        return self._ack(o, "")
