"""The loopback exchange: Binance spot REST and WebSocket API on 127.0.0.1, over ExchangeModel.

One asyncio server (aiohttp) per instance. Every model action is followed by
``_publish``: the model's emitted core events are encoded (``encode.UserDataEncoder``)
and handed to each live user-data subscription, where the seeded fault layer decides
their fate. All writes to one WebSocket go through one queue and one writer task, so
responses and pushes never interleave inside a frame and keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import random
import re
import string
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from core.instrument import Instrument
from invsync.live.loopback import auth, encode
from invsync.live.loopback.encode import Clock, OrderMeta
from invsync.live.loopback.faults import Faults, PushPlan, RestPlan
from invsync.live.loopback.limits import WS_WEIGHTS, WeightBudget, weight
from invsync.live.loopback.serving import Handler, LoopbackServer, Writer
from models.exchange import ExchangeModel, ModelOrder, Rejection, Trade

_CLIENT_ID: Final = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
_DECIMAL: Final = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_ID_CHARS: Final = string.ascii_letters + string.digits
_MAX_RECV_WINDOW: Final = 60000
_SIDES: Final = {"BUY": "buy", "SELL": "sell"}
_TYPES: Final = frozenset({"LIMIT", "LIMIT_MAKER", "MARKET"})
_TIFS: Final = frozenset({"GTC", "IOC", "FOK"})
_UNEXPECTED: Final = (
    "An unexpected response was received from the message bus. Execution status unknown."
)
_TIMEOUT: Final = (
    "Timeout waiting for response from backend server. "
    "Send status unknown; execution status unknown."
)

Json = dict[str, Any] | list[Any]


class ApiError(Exception):
    """A Binance error answer: HTTP (or WebSocket API) status, code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg

    def body(self) -> dict[str, Any]:
        """The documented error body."""
        return {"code": self.code, "msg": self.msg}


def _missing(name: str) -> ApiError:
    return ApiError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _decimal(params: Mapping[str, str], name: str) -> Decimal:
    raw = params.get(name)
    if raw is None or raw == "":
        raise _missing(name)
    if not _DECIMAL.match(raw):
        raise ApiError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        )
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise _missing(name) from None


def _integer(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _missing(name) from None


def _refuse_new(msg: str) -> ApiError:
    return ApiError(400, -2010, msg)


class _Connection(Writer):
    """One WebSocket API connection: a write queue, its writer, at most one subscription."""

    def __init__(self, ex: LoopbackExchange, ws: web.WebSocketResponse, number: int) -> None:
        self.ex = ex
        self.subscription: int | None = None
        self.next_subscription = 0
        self.hold_timer: asyncio.TimerHandle | None = None
        # Delayed pushes as (due, publication number, text, copies), a heap; one timer.
        self.delayed: list[tuple[float, int, str, int]] = []
        self._published = 0
        self._delay_timer: asyncio.TimerHandle | None = None
        self._delay_fires_at = 0.0
        self._burst_start: float | None = None
        super().__init__(ws, number)

    # --- pushes with faults ------------------------------------------------------------

    def push(self, event: dict[str, Any], plan: PushPlan) -> None:
        """Send one user-data event under ``plan`` (drop, duplicate, reorder, delay, close)."""
        if self.closing or self.subscription is None:
            return
        text = json.dumps({"subscriptionId": self.subscription, "event": event})
        self.push_under(text, plan, self.ex.stats)

    def after_push(self, plan: PushPlan, stats: Counter[str]) -> None:
        """``disconnect`` closes (code 1011); ``shutdown`` sends ``serverShutdown`` first."""
        if plan.disconnect:
            stats["disconnect"] += 1
            self.close_soon("close")
        elif plan.shutdown:
            stats["shutdown"] += 1
            self.close_soon("shutdown")

    def hold(self, text: str, copies: int) -> None:
        """Hold back for reordering; released by the next push or after ``reorder_hold``."""
        super().hold(text, copies)
        if self.hold_timer is None:
            self.hold_timer = asyncio.get_running_loop().call_later(
                self.ex.faults.reorder_hold, self.flush_held
            )

    def delay(self, text: str, copies: int, seconds: float) -> None:
        """Send after ``seconds``, counted from the burst that published it."""
        # Dues count from the start of the synchronous burst that published the message,
        # and ties go by publication: the order delayed pushes leave in is the seed's alone,
        # however long the burst took to queue.
        loop = asyncio.get_running_loop()
        if self._burst_start is None:
            self._burst_start = loop.time()
            loop.call_soon(self._end_burst)
        self._published += 1
        due = self._burst_start + seconds
        heapq.heappush(self.delayed, (due, self._published, text, copies))
        self._arm()

    def _end_burst(self) -> None:
        self._burst_start = None

    def _arm(self) -> None:
        if not self.delayed:
            return
        due = self.delayed[0][0]
        if self._delay_timer is not None:
            if self._delay_fires_at <= due:
                return
            self._delay_timer.cancel()
        self._delay_fires_at = due
        self._delay_timer = asyncio.get_running_loop().call_at(due, self._release_due)

    def _release_due(self) -> None:
        self._delay_timer = None
        while self.delayed and self.delayed[0][0] <= self._delay_fires_at:
            _, _, text, copies = heapq.heappop(self.delayed)
            if not self.closing:
                self.send(text, copies)
        self._arm()

    def flush_held(self) -> None:
        """Send the messages held back for reordering."""
        if self.hold_timer is not None:
            self.hold_timer.cancel()
            self.hold_timer = None
        super().flush_held()

    def drain(self) -> None:
        """Send every delayed message now (in publication order), then the held ones."""
        if self._delay_timer is not None:
            self._delay_timer.cancel()
            self._delay_timer = None
        waiting, self.delayed = sorted(self.delayed, key=lambda d: d[1]), []
        if not self.closing:
            for _, _, text, copies in waiting:
                self.send(text, copies)
        self.flush_held()

    def respond(self, body: dict[str, Any]) -> None:
        """Queue a WebSocket API response (never subject to faults)."""
        self.send(json.dumps(body))

    def drop_pending(self) -> None:
        """Cancel the delayed pushes and forget the held ones (closing)."""
        if self._delay_timer is not None:
            self._delay_timer.cancel()
        self.delayed.clear()
        if self.hold_timer is not None:
            self.hold_timer.cancel()
        self.held.clear()

    async def end(self, how: str) -> None:
        """ "close": code 1011; "shutdown": the ``serverShutdown`` event, then going away."""
        if how == "shutdown":
            await self.ws.send_str(json.dumps(encode.server_shutdown(self.ex.now_ms())))
            await asyncio.sleep(0.05)
            await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
            return
        await super().end(how)


class LoopbackExchange(LoopbackServer[_Connection]):
    """A Binance spot venue on 127.0.0.1 backed by ``ExchangeModel``; see the package docstring."""

    #: A planned stop: serverShutdown first, as Binance announces maintenance.
    farewell = "shutdown"

    def __init__(
        self,
        instruments: Iterable[Instrument],
        balances: Mapping[str, Decimal],
        *,
        seed: int = 0,
        faults: Faults | None = None,
        api_key: str = "loopback-key",
        api_secret: str = "loopback-secret",
        host: str = "127.0.0.1",
        port: int = 0,
        prices: Mapping[str, Decimal] | None = None,
        fee_rate: Decimal = Decimal("0.001"),
        weight_limit: int = 6000,
        weight_window: float = 60.0,
        heartbeat: float = 20.0,
        time_base_ms: int | None = None,
        check_model: bool = True,
    ) -> None:
        insts = list(instruments)
        for inst in insts:
            if inst.kind != "spot":
                raise ValueError(f"LoopbackExchange: {inst.symbol} is {inst.kind}; only spot")
        # check_model: the model asserts its invariants after every change (a scan of every
        # order it ever held); off, a long session with many orders stays fast.
        self.model = ExchangeModel(insts, balances, prices=prices, seed=seed, check=check_model)
        super().__init__(seed, faults, api_key, api_secret, host, port, fee_rate)
        self.heartbeat = heartbeat
        self.clock = Clock(time_base_ms)
        self.budget = WeightBudget(limit=weight_limit, window=weight_window)
        self.meta: dict[str, OrderMeta] = {}
        self._by_client_id: dict[str, str] = {}
        self._ids = random.Random(f"loopback/{seed}/ids")
        self.encoder = encode.UserDataEncoder(self.model, self.clock, self._meta_of)
        self._connection_count = 0
        self._closing: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"LoopbackExchange(seed={self.seed}, url={self.rest_url!r}, faults={self.faults!r})"

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def ws_api_url(self) -> str:
        """WebSocket API endpoint."""
        return f"ws://{self.host}:{self.port}/ws-api/v3"

    def routes(self) -> list[tuple[str, str, Handler]]:
        """The REST endpoints (paths /api/v3/...) and the WebSocket API."""
        return [*self._routes(), ("GET", "/ws-api/v3", self._ws_handler)]

    async def start(self) -> None:
        """Bind and serve (``port=0`` picks a free port, then ``self.port`` holds it)."""
        self._closing = asyncio.Event()
        await super().start()

    async def stop(self) -> None:
        """Close every connection (``serverShutdown`` first) and the listening socket."""
        if self._closing is not None:
            self._closing.set()
        await super().stop()

    # --- driving the venue (tests, the CLI's market) ------------------------------------------

    def match(self, symbol: str, price: Decimal) -> list[Trade]:
        """Move the price: every resting order it crosses fills at its limit; pushed."""
        trades = self.model.set_price(symbol, price, self.fee_rate)
        self._publish()
        return trades

    def fill(
        self, key: str | int, quantity: Decimal | None = None, price: Decimal | None = None
    ) -> Trade | Rejection:
        """One fill of an open order (client order id, Binance orderId, or model id); pushed."""
        o = self._lookup(key)
        if o is None:
            return Rejection(f"fill {key}: unknown order")
        result = self.model.fill(o.order_id, quantity, price, fee_rate=self.fee_rate)
        self._publish()
        return result

    def cancel(self, key: str | int) -> ModelOrder | Rejection:
        """The venue cancels an open order (as on expiry or maintenance); pushed."""
        o = self._lookup(key)
        result = self.model.cancel(o.order_id) if o is not None else Rejection(f"{key}: unknown")
        self._publish()
        return result

    def deposit(self, asset: str, amount: Decimal) -> None:
        """Credit ``amount`` of ``asset`` (pushed as balanceUpdate + outboundAccountPosition)."""
        result = self.model.deposit(asset, amount)
        if isinstance(result, Rejection):
            raise ValueError(result.reason)
        self._publish()

    def disconnect_all(self, how: str = "close") -> None:
        """Close every WebSocket connection now ("close" or "shutdown" with serverShutdown)."""
        for conn in list(self.connections):
            conn.close_soon(how)

    @property
    def subscriptions(self) -> int:
        """How many connections have a live user-data subscription."""
        return sum(1 for c in self.connections if c.subscription is not None and not c.closing)

    def order_id_of(self, key: str | int) -> int | None:
        """Binance orderId of an order named by client order id or model id."""
        o = self._lookup(key)
        return encode.order_number(o.order_id) if o is not None else None

    def now_ms(self) -> int:
        """Server time: the wall clock (what signed requests' timestamps are checked against)."""
        return int(time.time() * 1000)

    # --- internals: orders ---------------------------------------------------------------------

    def _meta_of(self, o: ModelOrder) -> OrderMeta:
        meta = self.meta.get(o.order_id)
        if meta is None:  # an order made outside the API (a test's direct model call)
            meta = encode.default_meta(o)
            self.meta[o.order_id] = meta
        return meta

    def _lookup(self, key: str | int) -> ModelOrder | None:
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return self.model.orders.get(f"X{int(key)}")
        oid = self._by_client_id.get(key)
        if oid is not None:
            return self.model.orders.get(oid)
        return self.model.order(key)

    def _publish(self) -> None:
        events = self.encoder.encode(self.model.take_emitted())
        if not events:
            return
        conns = sorted(
            (c for c in self.connections if c.subscription is not None and not c.closing),
            key=lambda c: c.number,
        )
        for event in events:
            for conn in conns:
                conn.push(event, self.dice.push(self.faults))

    def _new_client_id(self) -> str:
        return "".join(self._ids.choice(_ID_CHARS) for _ in range(22))

    def _instrument(self, params: Mapping[str, str]) -> Instrument:
        symbol = params.get("symbol")
        if not symbol:
            raise _missing("symbol")
        inst = self.model.instruments.get(symbol)
        if inst is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return inst

    def _find(self, params: Mapping[str, str], inst: Instrument) -> ModelOrder | None:
        oid = _integer(params, "orderId")
        cid = params.get("origClientOrderId") or None
        if oid is None and cid is None:
            raise ApiError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        o: ModelOrder | None
        if oid is not None:
            o = self.model.orders.get(f"X{oid}")
            if o is not None and cid is not None and self._meta_of(o).client_order_id != cid:
                o = None
        else:
            assert cid is not None
            found = self._by_client_id.get(cid)
            o = self.model.orders.get(found) if found is not None else None
        if o is not None and o.instrument.symbol != inst.symbol:
            return None
        return o

    def _place(self, params: Mapping[str, str]) -> dict[str, Any]:
        inst = self._instrument(params)
        side = _SIDES.get(params.get("side", ""))
        if side is None:
            raise ApiError(400, -1117, "Invalid side.")
        otype = params.get("type", "")
        if otype not in _TYPES:
            raise ApiError(400, -1116, "Invalid orderType.")
        quantity = _decimal(params, "quantity")
        price: Decimal | None = None
        tif = "GTC"
        if otype != "MARKET":
            price = _decimal(params, "price")
            if otype == "LIMIT":
                tif = params.get("timeInForce", "")
                if not tif:
                    raise _missing("timeInForce")
                if tif not in _TIFS:
                    raise ApiError(400, -1115, "Invalid timeInForce.")
        elif params.get("timeInForce"):
            raise ApiError(400, -1114, "TimeInForce parameter sent when not required.")
        self._filters(inst, quantity, price)
        cid = params.get("newClientOrderId")
        if cid is None:
            cid = self._new_client_id()
        elif not _CLIENT_ID.match(cid):
            raise ApiError(
                400,
                -1100,
                "Illegal characters found in parameter 'newClientOrderId'; "
                "legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
            )
        taken = self._by_client_id.get(cid)
        if taken is not None and self.model.orders[taken].is_open:
            raise _refuse_new("Duplicate order sent.")
        # rest-api.md: MARKET and LIMIT answer FULL by default, other types ACK.
        resp_type = params.get("newOrderRespType", "FULL" if otype != "LIMIT_MAKER" else "ACK")
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise ApiError(400, -1102, "Mandatory parameter 'newOrderRespType' was malformed.")
        last = self.model.prices.get(inst.symbol)
        crosses = (
            price is not None
            and last is not None
            and (price >= last if side == "buy" else price <= last)
        )
        if otype == "LIMIT_MAKER" and crosses:
            raise _refuse_new("Order would immediately match and take.")
        if otype == "MARKET":
            if last is None:
                raise _refuse_new("Order book liquidity is less than symbol minimum quantity.")
            need = quantity * last if side == "buy" else quantity
            asset = inst.quote if side == "buy" else inst.base
            if self.model.balance(asset).free < need:
                raise _refuse_new("Account has insufficient balance for requested action.")
        result = self.model.submit(
            cid, inst.symbol, side, quantity, price, post_only=otype == "LIMIT_MAKER"
        )
        if isinstance(result, Rejection):
            raise _refuse_new("Account has insufficient balance for requested action.")
        o = result
        self.meta[o.order_id] = OrderMeta(otype, tif, cid, cid)
        self._by_client_id[cid] = o.order_id
        trades: list[Trade] = []
        if last is not None and (otype == "MARKET" or crosses):
            # Taker: the whole order trades at the last price (the loopback's book is one level).
            t = self.model.fill(o.order_id, price=last, fee_rate=self.fee_rate)
            if isinstance(t, Trade):
                trades.append(t)
        if o.is_open and tif in ("IOC", "FOK"):
            self.model.expire(o.order_id)
        self._publish()
        return encode.new_order_response(o, self.meta[o.order_id], self.clock, resp_type, trades)

    def _filters(self, inst: Instrument, quantity: Decimal, price: Decimal | None) -> None:
        if quantity <= 0 or (inst.lot_size is not None and quantity % inst.lot_size != 0):
            raise ApiError(400, -1013, "Filter failure: LOT_SIZE")
        if price is not None and (
            price <= 0 or (inst.tick_size is not None and price % inst.tick_size != 0)
        ):
            raise ApiError(400, -1013, "Filter failure: PRICE_FILTER")

    def _cancel(self, params: Mapping[str, str]) -> dict[str, Any]:
        inst = self._instrument(params)
        o = self._find(params, inst)
        if o is None or not o.is_open:
            raise ApiError(400, -2011, "Unknown order sent.")
        meta = self._meta_of(o)
        cancel_id = params.get("newClientOrderId") or self._new_client_id()
        self.model.cancel(o.order_id)
        self._publish()
        return encode.cancel_response(o, meta, cancel_id, self.clock)

    def _amend(self, params: Mapping[str, str]) -> dict[str, Any]:
        inst = self._instrument(params)
        new_qty = _decimal(params, "newQty")
        o = self._find(params, inst)
        if o is None or not o.is_open:
            raise ApiError(400, -2038, "Unknown order sent.")
        if new_qty >= o.quantity:
            msg = (
                "The requested action would change no state; rejecting"
                if new_qty == o.quantity
                else "Order amend (quantity increase) is not supported."
            )
            raise ApiError(400, -2038, msg)
        self._filters(inst, new_qty, None)
        meta = self._meta_of(o)
        new_cid = params.get("newClientOrderId") or self._new_client_id()
        if not _CLIENT_ID.match(new_cid):
            raise ApiError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'.")
        result = self.model.amend(o.order_id, quantity=new_qty)
        if isinstance(result, Rejection):
            # The model refuses an amend to or below the executed quantity.
            raise ApiError(400, -2038, "Order amend rejected: newQty is not above executedQty.")
        previous = meta.client_order_id
        if new_cid != previous:
            self._by_client_id.pop(previous, None)
            self._by_client_id[new_cid] = o.order_id
            meta.client_order_id = new_cid
        self._publish()
        return encode.amend_response(o, meta, previous, self.clock)

    def _exchange_info(self) -> dict[str, Any]:
        symbols = []
        for inst in self.model.instruments.values():
            tick = inst.tick_size or Decimal("0.00000001")
            lot = inst.lot_size or Decimal("0.00000001")
            symbols.append(
                {
                    "symbol": inst.symbol,
                    "status": "TRADING",
                    "baseAsset": inst.base,
                    "baseAssetPrecision": 8,
                    "quoteAsset": inst.quote,
                    "quotePrecision": 8,
                    "quoteAssetPrecision": 8,
                    "baseCommissionPrecision": 8,
                    "quoteCommissionPrecision": 8,
                    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
                    "icebergAllowed": False,
                    "ocoAllowed": False,
                    "otoAllowed": False,
                    "opoAllowed": False,
                    "quoteOrderQtyMarketAllowed": False,
                    "allowTrailingStop": False,
                    "cancelReplaceAllowed": False,
                    "amendAllowed": True,
                    "pegInstructionsAllowed": False,
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "filters": [
                        {
                            "filterType": "PRICE_FILTER",
                            "minPrice": encode.fmt(tick),
                            "maxPrice": "1000000.00000000",
                            "tickSize": encode.fmt(tick),
                        },
                        {
                            "filterType": "LOT_SIZE",
                            "minQty": encode.fmt(lot),
                            "maxQty": "9000000.00000000",
                            "stepSize": encode.fmt(lot),
                        },
                    ],
                    "permissions": [],
                    "permissionSets": [["SPOT"]],
                    "defaultSelfTradePreventionMode": "NONE",
                    "allowedSelfTradePreventionModes": ["NONE"],
                }
            )
        return {
            "timezone": "UTC",
            "serverTime": self.now_ms(),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.budget.limit,
                },
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            ],
            "exchangeFilters": [],
            "symbols": symbols,
        }

    def _my_trades(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        inst = self._instrument(params)
        order_id = _integer(params, "orderId")
        from_id = _integer(params, "fromId")
        start = _integer(params, "startTime")
        end = _integer(params, "endTime")
        limit = _integer(params, "limit") or 500
        if not 1 <= limit <= 1000:
            raise ApiError(
                400, -1102, "'limit' contains unexpected value. Cannot be greater than 1000."
            )
        out = []
        for t in self.model.trades:
            if t.instrument.symbol != inst.symbol:
                continue
            if order_id is not None and encode.order_number(t.order_id) != order_id:
                continue
            if from_id is not None and encode.trade_number(t.trade_id) < from_id:
                continue
            ms = self.clock.ms(t.version)
            if (start is not None and ms < start) or (end is not None and ms > end):
                continue
            out.append(encode.rest_trade(t, self.clock))
        # fromId / startTime: the oldest up to the limit; otherwise the most recent.
        return out[:limit] if from_id is not None or start is not None else out[-limit:]

    # --- internals: HTTP -----------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]]:
        def route(
            fn: Callable[[dict[str, str]], Json], signed: bool, mutation: bool
        ) -> Callable[[web.Request], Awaitable[web.Response]]:
            async def handler(request: web.Request) -> web.Response:
                return await self._rest(request, fn, signed, mutation)

            return handler

        return [
            ("GET", "/api/v3/ping", route(lambda p: {}, False, False)),
            ("GET", "/api/v3/time", route(lambda p: {"serverTime": self.now_ms()}, False, False)),
            ("GET", "/api/v3/exchangeInfo", route(lambda p: self._exchange_info(), False, False)),
            (
                "GET",
                "/api/v3/account",
                route(
                    lambda p: encode.account(
                        self.model, self.clock, p.get("omitZeroBalances") == "true", self.fee_rate
                    ),
                    True,
                    False,
                ),
            ),
            ("GET", "/api/v3/openOrders", route(self._open_orders, True, False)),
            ("GET", "/api/v3/myTrades", route(self._my_trades, True, False)),
            ("GET", "/api/v3/order", route(self._query, True, False)),
            ("POST", "/api/v3/order", route(self._place, True, True)),
            ("DELETE", "/api/v3/order", route(self._cancel, True, True)),
            ("PUT", "/api/v3/order/amend/keepPriority", route(self._amend, True, True)),
        ]

    def _open_orders(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        symbol = None
        if params.get("symbol"):
            symbol = self._instrument(params).symbol
        orders = sorted(self.model.open_orders(), key=lambda o: encode.order_number(o.order_id))
        return [
            encode.rest_order(o, self._meta_of(o), self.clock)
            for o in orders
            if symbol is None or o.instrument.symbol == symbol
        ]

    def _query(self, params: Mapping[str, str]) -> dict[str, Any]:
        inst = self._instrument(params)
        o = self._find(params, inst)
        if o is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return encode.rest_order(o, self._meta_of(o), self.clock)

    def _headers(self) -> dict[str, str]:
        return {"X-MBX-USED-WEIGHT-1M": str(self.budget.used)}

    def _error(self, err: ApiError, extra: Mapping[str, str] | None = None) -> web.Response:
        headers = self._headers()
        headers.update(extra or {})
        return web.json_response(err.body(), status=err.status, headers=headers)

    def _check_signed(
        self, request: web.Request, query: str, body: str, params: Mapping[str, str]
    ) -> None:
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise ApiError(401, -2014, "API-key format invalid.")
        if key != self._key:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload, signature = auth.rest_payload(query, body)
        if not signature:
            raise _missing("signature")
        self._check_time(params)
        if not auth.verify(self._secret, payload, signature):
            self.stats["signature_refused"] += 1
            raise ApiError(400, -1022, "Signature for this request is not valid.")

    def _check_time(self, params: Mapping[str, Any]) -> None:
        raw = params.get("timestamp")
        try:
            ts = int(str(raw))
        except ValueError:
            raise _missing("timestamp") from None
        if ts > 10**14:  # microseconds
            ts //= 1000
        window_raw = params.get("recvWindow")
        window = Decimal(5000)
        if window_raw is not None:
            try:
                window = Decimal(str(window_raw))
            except InvalidOperation:
                raise _missing("recvWindow") from None
            if not window.is_finite() or window > _MAX_RECV_WINDOW or window < 0:
                raise ApiError(
                    400,
                    -1102,
                    "'recvWindow' contains unexpected value. Cannot be greater than 60000.",
                )
        now = self.now_ms()
        if ts >= now + 1000:
            raise ApiError(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if now - ts > window:
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")

    async def _hang(self, seconds: float) -> None:
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    @staticmethod
    def _execute_quietly(fn: Callable[[dict[str, str]], Json], params: dict[str, str]) -> bool:
        """Run a request whose answer will be lost; whether it executed (not refused)."""
        try:
            fn(params)
        except ApiError:
            return False
        return True

    async def _rest(
        self,
        request: web.Request,
        fn: Callable[[dict[str, str]], Json],
        signed: bool,
        mutation: bool,
    ) -> web.Response:
        query = request.raw_path.partition("?")[2]
        body = await request.text() if request.method in ("POST", "PUT", "DELETE") else ""
        params = dict(parse_qsl(body, keep_blank_values=True))
        params.update(parse_qsl(query, keep_blank_values=True))
        plan: RestPlan = self.dice.rest(self.faults, mutation)
        loop = asyncio.get_running_loop()
        forced = self.faults.retry_after if plan.rate_limit else None
        status, after = self.budget.check(
            loop.time(), weight(request.method, request.path, params), forced
        )
        if status != 200:
            self.stats["ban" if status == 418 else "rate_limit"] += 1
            msg = (
                f"Way too much request weight used; IP banned until {self.now_ms() + after * 1000}."
                if status == 418
                else f"Too much request weight used; current limit is {self.budget.limit} "
                "request weight per 1 MINUTE."
            )
            return self._error(ApiError(status, -1003, msg), {"Retry-After": str(after)})
        try:
            if signed:
                self._check_signed(request, query, body, params)
            if plan.unknown is not None:
                self.stats["unknown_outcome"] += 1
                if plan.executed and self._execute_quietly(fn, params):
                    self.stats["unknown_executed"] += 1
                if plan.unknown == -1006:
                    raise ApiError(500, -1006, _UNEXPECTED)
                raise ApiError(503, -1007, _TIMEOUT)
            if plan.fail_5xx:
                self.stats["rest_5xx"] += 1
                if plan.executed and self._execute_quietly(fn, params):
                    self.stats["rest_5xx_executed"] += 1
                return web.Response(status=503, text="Service Unavailable", headers=self._headers())
            if plan.timeout:
                self.stats["rest_timeout"] += 1
                if plan.executed and self._execute_quietly(fn, params):
                    self.stats["rest_timeout_executed"] += 1
                await self._hang(self.faults.timeout)
                raise ApiError(503, -1007, _TIMEOUT)
            result = fn(params)
        except ApiError as err:
            return self._error(err)
        return web.json_response(result, headers=self._headers())

    # --- internals: WebSocket API ----------------------------------------------------------------

    async def _ws_handler(self, request: web.Request) -> web.WebSocketResponse:
        loop = asyncio.get_running_loop()
        status, after = self.budget.check(loop.time(), 2)
        if status != 200:
            raise web.HTTPTooManyRequests(headers={"Retry-After": str(after)})
        ws = web.WebSocketResponse(heartbeat=self.heartbeat)
        await ws.prepare(request)
        self._connection_count += 1
        conn = _Connection(self, ws, self._connection_count)
        self.connections.add(conn)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT or conn.closing:
                    continue
                self._ws_request(conn, msg.data)
        finally:
            conn.closing = True
            self.connections.discard(conn)
            if not conn.writer.done():
                conn.writer.cancel()
        return ws

    def _rate_limits(self) -> list[dict[str, Any]]:
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.budget.limit,
                "count": self.budget.used,
            }
        ]

    def _ws_request(self, conn: _Connection, text: str) -> None:
        try:
            req = json.loads(text)
        except ValueError:
            req = None
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            conn.respond(
                {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}}
            )
            return
        rid = req.get("id")
        method = str(req["method"]).removeprefix("v3/")
        params = req.get("params") or {}
        loop = asyncio.get_running_loop()
        status, after = self.budget.check(loop.time(), WS_WEIGHTS.get(method, 1))
        if status != 200:
            self.stats["ban" if status == 418 else "rate_limit"] += 1
            conn.respond(
                {
                    "id": rid,
                    "status": status,
                    "error": {
                        "code": -1003,
                        "msg": "Too much request weight used.",
                        "data": {
                            "serverTime": self.now_ms(),
                            "retryAfter": self.now_ms() + after * 1000,
                        },
                    },
                    "rateLimits": self._rate_limits(),
                }
            )
            return
        try:
            if not isinstance(params, dict):
                raise ApiError(400, -1102, "Field value was empty or malformed.")
            result = self._ws_method(conn, method, params)
        except ApiError as err:
            conn.respond(
                {
                    "id": rid,
                    "status": err.status,
                    "error": err.body(),
                    "rateLimits": self._rate_limits(),
                }
            )
            return
        conn.respond(
            {"id": rid, "status": 200, "result": result, "rateLimits": self._rate_limits()}
        )
        if method == "userDataStream.subscribe.signature":
            conn.subscription = result["subscriptionId"]

    def _ws_method(self, conn: _Connection, method: str, params: dict[str, Any]) -> Any:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": self.now_ms()}
        if method == "userDataStream.subscribe.signature":
            if not params.get("apiKey"):
                raise _missing("apiKey")
            if params["apiKey"] != self._key:
                raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
            if not params.get("signature"):
                raise _missing("signature")
            self._check_time(params)
            if not auth.verify(self._secret, auth.ws_payload(params), str(params["signature"])):
                self.stats["signature_refused"] += 1
                raise ApiError(400, -1022, "Signature for this request is not valid.")
            if conn.subscription is not None:
                raise ApiError(400, -2035, "User Data Stream subscription already active.")
            sid = conn.next_subscription
            conn.next_subscription += 1
            return {"subscriptionId": sid}
        if method == "userDataStream.unsubscribe":
            wanted = params.get("subscriptionId")
            if conn.subscription is None or (wanted is not None and wanted != conn.subscription):
                raise ApiError(400, -2036, "User Data Stream subscription not active.")
            conn.drain()
            conn.respond(encode.stream_terminated(conn.subscription, self.now_ms()))
            conn.subscription = None
            return {}
        if method == "session.subscriptions":
            return [] if conn.subscription is None else [{"subscriptionId": conn.subscription}]
        raise ApiError(400, -1020, "This operation is not supported.")
