"""The exchange model's state and core events rendered as Binance spot payloads.

Identity and time mapping (the only liberties, documented in spec/venues/loopback.md):
the model's order id ``X<n>`` is Binance ``orderId`` ``n`` and trade id ``T<n>`` is trade
``id`` ``n``; the model's version ``v`` is the millisecond timestamp ``Clock.ms(v)`` in
every time field (``T``, ``u``, ``E``, ``updateTime``, ``transactTime``, ``time``): near
the wall clock, strictly increasing, so distinct changes never share a millisecond and
the core's versions keep the model's order.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Final

import attrs

from core import events as ev
from models.exchange import ExchangeModel, ModelOrder, Trade

_EIGHT: Final = -8
_STATUS: Final = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "rejected": "REJECTED",
    "expired": "EXPIRED",
}
_EXECUTION: Final = {"canceled": "CANCELED", "rejected": "REJECTED", "expired": "EXPIRED"}


def fmt(d: Decimal) -> str:
    """A decimal as Binance writes it: fixed point, at least 8 places, never an exponent."""
    if d == 0:
        return "0.00000000"
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp >= _EIGHT:
        return f"{d:.8f}"
    return format(d, "f")


def order_number(model_id: str) -> int:
    """Binance ``orderId`` of a model order id (``X12`` -> 12)."""
    return int(model_id[1:])


def trade_number(model_id: str) -> int:
    """Binance trade ``id`` of a model trade id (``T7`` -> 7)."""
    return int(model_id[1:])


@attrs.define(slots=True)
class OrderMeta:
    """What Binance shows of an order that the model does not hold."""

    order_type: str  # LIMIT, LIMIT_MAKER, MARKET
    time_in_force: str  # GTC, IOC, FOK
    client_order_id: str  # the current one (amend may change it)
    first_client_order_id: str


class Clock:
    """Model versions as Binance millisecond timestamps, strictly increasing.

    With ``base_ms`` (tests): version v is ``base_ms + v``. Without: each new version is
    stamped when first asked for, at the wall clock, or 1 ms per version after the last
    stamp when the clock has not moved that far (so a burst runs ahead, then the clock
    catches up); a version between two stamped ones counts on from the one below it.
    """

    def __init__(self, base_ms: int | None = None) -> None:
        self.base_ms = base_ms
        self._versions: list[int] = [0]
        self._times: list[int] = [int(time.time() * 1000) if base_ms is None else base_ms]

    def ms(self, version: int) -> int:
        """The timestamp of ``version``."""
        if self.base_ms is not None:
            return self.base_ms + version
        last_v, last_t = self._versions[-1], self._times[-1]
        if version > last_v:
            stamp = max(int(time.time() * 1000), last_t + (version - last_v))
            self._versions.append(version)
            self._times.append(stamp)
            return stamp
        i = bisect.bisect_right(self._versions, version) - 1
        return self._times[i] + (version - self._versions[i])


def default_meta(o: ModelOrder) -> OrderMeta:
    """Meta of an order placed outside the API (straight on the model)."""
    kind = "MARKET" if o.price is None else ("LIMIT_MAKER" if o.post_only else "LIMIT")
    cid = o.client_order_id or ""
    return OrderMeta(kind, "GTC", cid, cid)


def _quote(o: ModelOrder | None, report: ev.OrderReported) -> Decimal:
    """Cumulative quote quantity: exact from the model order when it is at this report."""
    if o is not None and o.version == report.version:
        return o.notional
    if report.average_price is None:
        return Decimal(0)
    return report.filled_quantity * report.average_price


def execution_report(
    report: ev.OrderReported,
    fill: ev.FillReported | None,
    execution: str,
    order: ModelOrder | None,
    meta: OrderMeta,
    clock: Clock,
    maker: bool = True,
) -> dict[str, Any]:
    """One ``executionReport`` event (the field set of the doc sample)."""
    t = clock.ms(report.version)
    created = clock.ms(order.accept_version) if order and order.accept_version else t
    return {
        "e": "executionReport",
        "E": t,
        "s": report.symbol,
        "c": meta.client_order_id,
        "S": report.side.upper(),
        "o": meta.order_type,
        "f": meta.time_in_force,
        "q": fmt(report.quantity),
        "p": fmt(report.price or Decimal(0)),
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": execution,
        "X": _STATUS[report.status],
        "r": "NONE",
        "i": order_number(report.order_id),
        "l": fmt(fill.quantity) if fill else "0.00000000",
        "z": fmt(report.filled_quantity),
        "L": fmt(fill.price) if fill else "0.00000000",
        "n": fmt(fill.fee) if fill and fill.fee is not None else "0",
        "N": fill.fee_asset if fill and fill.fee else None,
        "T": t,
        "t": trade_number(fill.trade_id) if fill else -1,
        "I": report.version,
        "w": report.status in ("new", "partially_filled"),
        "m": maker if fill else False,
        "M": False,
        "O": created,
        "Z": fmt(_quote(order, report)),
        "Y": fmt(fill.quantity * fill.price) if fill else "0.00000000",
        "Q": "0.00000000",
        "W": created,
        "V": "NONE",
    }


def account_position(balances: Iterable[ev.BalanceReported], clock: Clock) -> dict[str, Any]:
    """One ``outboundAccountPosition`` for balance reports of one version."""
    items = list(balances)
    t = clock.ms(items[0].version)
    return {
        "e": "outboundAccountPosition",
        "E": t,
        "u": t,
        "B": [
            {
                "a": b.asset,
                "f": fmt(b.free if b.free is not None else b.total),
                "l": fmt(b.total - (b.free if b.free is not None else b.total)),
            }
            for b in items
        ],
    }


def balance_update(cash: ev.CashChanged, clock: Clock) -> dict[str, Any]:
    """One ``balanceUpdate`` (deposit, withdrawal, transfer)."""
    t = clock.ms(cash.version)
    return {"e": "balanceUpdate", "E": t, "a": cash.asset, "d": fmt(cash.total_delta), "T": t}


def server_shutdown(now_ms: int) -> dict[str, Any]:
    """The WebSocket API's ``serverShutdown`` message (no subscription id)."""
    return {"event": {"e": "serverShutdown", "E": now_ms}}


def stream_terminated(subscription_id: int, now_ms: int) -> dict[str, Any]:
    """``eventStreamTerminated`` for an unsubscribed subscription."""
    return {"subscriptionId": subscription_id, "event": {"e": "eventStreamTerminated", "E": now_ms}}


class UserDataEncoder:
    """Turns ``ExchangeModel.take_emitted()`` batches into user-data events, in order.

    A fill and the order report of the same version become one ``executionReport``
    (``x=TRADE``); consecutive balance reports of one version one
    ``outboundAccountPosition``; an order's first report is ``x=NEW``, a later live one
    ``x=REPLACED`` (an amend).
    """

    def __init__(
        self, model: ExchangeModel, clock: Clock, meta: Callable[[ModelOrder], OrderMeta]
    ) -> None:
        self.model = model
        self.clock = clock
        self.meta = meta
        self._seen: set[str] = set()

    def encode(self, emitted: Iterable[tuple[str, ev.Event]]) -> list[dict[str, Any]]:
        """The events of one batch, in emission order."""
        out: list[dict[str, Any]] = []
        fill: ev.FillReported | None = None
        balances: list[ev.BalanceReported] = []

        def flush_balances() -> None:
            if balances:
                out.append(account_position(balances, self.clock))
                balances.clear()

        for _stream, e in emitted:
            if isinstance(e, ev.BalanceReported):
                if balances and balances[0].version != e.version:
                    flush_balances()
                balances.append(e)
                continue
            flush_balances()
            if isinstance(e, ev.FillReported):
                if e.fee is not None:  # a fee-less fast copy has no Binance form
                    fill = e
            elif isinstance(e, ev.OrderReported):
                o = self.model.orders.get(e.order_id)
                meta = self.meta(o) if o is not None else OrderMeta("LIMIT", "GTC", "", "")
                if fill is not None and fill.order_id == e.order_id:
                    execution = "TRADE"
                elif e.status in _EXECUTION:
                    execution = _EXECUTION[e.status]
                else:
                    execution = "REPLACED" if e.order_id in self._seen else "NEW"
                self._seen.add(e.order_id)
                out.append(
                    execution_report(
                        e, fill if execution == "TRADE" else None, execution, o, meta, self.clock
                    )
                )
                fill = None
            elif isinstance(e, ev.CashChanged):
                out.append(balance_update(e, self.clock))
        flush_balances()
        return out


# --- REST bodies -------------------------------------------------------------------------


def rest_order(o: ModelOrder, meta: OrderMeta, clock: Clock) -> dict[str, Any]:
    """GET /api/v3/order and /api/v3/openOrders item."""
    created = clock.ms(o.accept_version if o.accept_version is not None else o.version)
    return {
        "symbol": o.instrument.symbol,
        "orderId": order_number(o.order_id),
        "orderListId": -1,
        "clientOrderId": meta.client_order_id,
        "price": fmt(o.price or Decimal(0)),
        "origQty": fmt(o.quantity),
        "executedQty": fmt(o.filled),
        "cummulativeQuoteQty": fmt(o.notional),
        "status": _STATUS[o.status],
        "timeInForce": meta.time_in_force,
        "type": meta.order_type,
        "side": o.side.upper(),
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": created,
        "updateTime": clock.ms(o.version),
        "isWorking": True,
        "workingTime": created,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "NONE",
    }


def new_order_response(
    o: ModelOrder, meta: OrderMeta, clock: Clock, resp_type: str, trades: list[Trade]
) -> dict[str, Any]:
    """POST /api/v3/order answer: ACK, RESULT or FULL (``fills`` = trades of this request)."""
    ack: dict[str, Any] = {
        "symbol": o.instrument.symbol,
        "orderId": order_number(o.order_id),
        "orderListId": -1,
        "clientOrderId": meta.client_order_id,
        "transactTime": clock.ms(o.version),
    }
    if resp_type == "ACK":
        return ack
    created = clock.ms(o.accept_version if o.accept_version is not None else o.version)
    ack.update(
        {
            "price": fmt(o.price or Decimal(0)),
            "origQty": fmt(o.quantity),
            "executedQty": fmt(o.filled),
            "origQuoteOrderQty": "0.00000000",
            "cummulativeQuoteQty": fmt(o.notional),
            "status": _STATUS[o.status],
            "timeInForce": meta.time_in_force,
            "type": meta.order_type,
            "side": o.side.upper(),
            "workingTime": created,
            "selfTradePreventionMode": "NONE",
        }
    )
    if resp_type == "FULL":
        ack["fills"] = [
            {
                "price": fmt(t.price),
                "qty": fmt(t.quantity),
                "commission": fmt(t.fee),
                "commissionAsset": t.fee_asset,
                "tradeId": trade_number(t.trade_id),
            }
            for t in trades
        ]
    return ack


def cancel_response(
    o: ModelOrder, meta: OrderMeta, cancel_client_id: str, clock: Clock
) -> dict[str, Any]:
    """DELETE /api/v3/order answer."""
    return {
        "symbol": o.instrument.symbol,
        "origClientOrderId": meta.client_order_id,
        "orderId": order_number(o.order_id),
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": clock.ms(o.version),
        "price": fmt(o.price or Decimal(0)),
        "origQty": fmt(o.quantity),
        "executedQty": fmt(o.filled),
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": fmt(o.notional),
        "status": _STATUS[o.status],
        "timeInForce": meta.time_in_force,
        "type": meta.order_type,
        "side": o.side.upper(),
        "selfTradePreventionMode": "NONE",
    }


def amend_response(
    o: ModelOrder, meta: OrderMeta, previous_client_id: str, clock: Clock
) -> dict[str, Any]:
    """PUT /api/v3/order/amend/keepPriority answer (a single order)."""
    created = clock.ms(o.accept_version if o.accept_version is not None else o.version)
    return {
        "transactTime": clock.ms(o.version),
        "executionId": o.version,
        "amendedOrder": {
            "symbol": o.instrument.symbol,
            "orderId": order_number(o.order_id),
            "orderListId": -1,
            "origClientOrderId": previous_client_id,
            "clientOrderId": meta.client_order_id,
            "price": fmt(o.price or Decimal(0)),
            "qty": fmt(o.quantity),
            "executedQty": fmt(o.filled),
            "preventedQty": "0.00000000",
            "quoteOrderQty": "0.00000000",
            "cumulativeQuoteQty": fmt(o.notional),
            "status": _STATUS[o.status],
            "timeInForce": meta.time_in_force,
            "type": meta.order_type,
            "side": o.side.upper(),
            "workingTime": created,
            "selfTradePreventionMode": "NONE",
        },
    }


def rest_trade(t: Trade, clock: Clock, maker: bool = True) -> dict[str, Any]:
    """GET /api/v3/myTrades item."""
    return {
        "symbol": t.instrument.symbol,
        "id": trade_number(t.trade_id),
        "orderId": order_number(t.order_id),
        "orderListId": -1,
        "price": fmt(t.price),
        "qty": fmt(t.quantity),
        "quoteQty": fmt(t.price * t.quantity),
        "commission": fmt(t.fee),
        "commissionAsset": t.fee_asset,
        "time": clock.ms(t.version),
        "isBuyer": t.side == "buy",
        "isMaker": maker,
        "isBestMatch": True,
    }


def account(
    model: ExchangeModel, clock: Clock, omit_zero: bool = False, fee_rate: Decimal = Decimal(0)
) -> dict[str, Any]:
    """GET /api/v3/account answer as of the model's current version."""
    balances = []
    for a in model.assets:
        b = model.balance(a)
        if omit_zero and b.total == 0:
            continue
        balances.append({"asset": a, "free": fmt(b.free), "locked": fmt(b.locked)})
    bips = int(fee_rate * 10000)
    return {
        "makerCommission": bips,
        "takerCommission": bips,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": fmt(fee_rate),
            "taker": fmt(fee_rate),
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": clock.ms(model.version),
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": 1,
    }
