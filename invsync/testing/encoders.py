"""Encoders: the exchange model's core events rendered as a real venue's payloads.

``BinanceSpotEncoder`` writes what Binance Spot sends on its user data stream
(``executionReport``, ``outboundAccountPosition``, ``balanceUpdate``; the WebSocket-API
form ``{"subscriptionId", "event"}`` or the listen-key form) and answers REST calls with
the bodies of ``GET /api/v3/order``, ``/api/v3/account``, ``/api/v3/openOrders``,
``/api/v3/myTrades`` and the ``{"code", "msg"}`` errors. ``binance_spot()`` pairs it with
the shipped parser ``core.adapters.binance_spot`` as a kit ``Adapter``.

The liberties taken (everything else follows the venue's documented fields): the model's
order id ``X<n>`` is ``orderId`` ``n`` and trade ``T<n>`` is trade id ``n``; the model's
version ``v`` is the millisecond time ``EPOCH_MS + v`` in every time field, so two changes
never share a millisecond; a bot cancel and a venue cancel look alike (``C`` names the
canceled order's client id, ``c`` a fresh cancel id).

The encoder keeps per-order state (first version, cumulative quote amount from the fills
it rendered), so make a fresh one per world: the kit calls ``Suite.make_adapter`` once per
example.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any, Final

from core import events as ev
from core.adapters import binance_spot as parser
from invsync.testing.adapter import Adapter, Emitted, Message

#: Model version 0 as a Binance millisecond timestamp (2026-01-01T00:00:00Z).
EPOCH_MS: Final = 1_767_225_600_000
_EXACT: Final = Context(prec=200)
_STATUS: Final = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "rejected": "REJECTED",
    "expired": "EXPIRED",
}
# Why a report without a fill was sent (executionReport "x").
_EXECUTION: Final = {
    "new": "NEW",
    "canceled": "CANCELED",
    "rejected": "REJECTED",
    "expired": "EXPIRED",
}
#: Binance error codes the encoder answers with (errors.md).
INSUFFICIENT_BALANCE: Final = -2010
CANCEL_REJECTED: Final = -2011
NO_SUCH_ORDER: Final = -2013
STREAMS: Final = ("executionReport", "account")


def decimal_text(d: Decimal) -> str:
    """A decimal as Binance prints it: fixed point, eight places unless more are needed."""
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -8:
        return f"{d:.8f}"
    return format(d, "f")


def venue_number(model_id: str) -> int:
    """Binance's integer id of a model id (``X12`` -> 12, ``T7`` -> 7)."""
    digits = model_id[1:]
    if not digits.isdigit():
        raise ValueError(f"model id {model_id!r} has no number after its letter")
    return int(digits)


def millis(version: int) -> int:
    """The Binance millisecond timestamp standing for a model version."""
    return EPOCH_MS + version


class BinanceSpotEncoder:
    """Model events to Binance Spot user-data payloads and REST bodies (see the module doc)."""

    def __init__(self, *, form: str = "websocket_api") -> None:
        if form not in ("websocket_api", "listen_key"):
            raise ValueError(f"form must be 'websocket_api' or 'listen_key', got {form!r}")
        self.form = form
        self._quote: dict[str, Decimal] = {}
        self._created: dict[str, int] = {}
        self._executions = 0
        self._cancels = 0

    # --- stream -------------------------------------------------------------------------

    def messages(self, emitted: Emitted) -> list[Message]:
        """One model batch as the stream messages Binance would push, each naming its events."""
        out: list[Message] = []
        events = [e for _, e in emitted]
        used: set[int] = set()
        for k, event in enumerate(events):
            if k in used:
                continue
            if isinstance(event, ev.FillReported):
                j = self._report_of(events, event)
                used.add(j)
                report = events[j]
                assert isinstance(report, ev.OrderReported)
                out.append(self._stream(STREAMS[0], self._execution(report, event), report, event))
            elif isinstance(event, ev.OrderReported):
                out.append(self._stream(STREAMS[0], self._execution(event, None), event))
            elif isinstance(event, ev.BalanceReported):
                group = [
                    (i, e)
                    for i, e in enumerate(events)
                    if isinstance(e, ev.BalanceReported) and e.version == event.version
                ]
                used.update(i for i, _ in group)
                reports = [e for _, e in group if isinstance(e, ev.BalanceReported)]
                out.append(self._stream(STREAMS[1], self._account(reports), *reports))
            elif isinstance(event, ev.CashChanged):
                out.append(self._stream(STREAMS[1], self._balance_update(event), event))
            else:
                raise ValueError(f"Binance Spot has no stream message for {event!r}")
        return out

    def _report_of(self, events: list[ev.Event], fill: ev.FillReported) -> int:
        """The order report emitted with a fill: Binance sends both as one executionReport."""
        for j, e in enumerate(events):
            if (
                isinstance(e, ev.OrderReported)
                and e.order_id == fill.order_id
                and e.version == fill.version
            ):
                return j
        raise ValueError(
            f"fill {fill.trade_id} of order {fill.order_id}: no order report at version "
            f"{fill.version} in its batch (Binance sends them together)"
        )

    def _stream(self, stream: str, body: dict[str, Any], *carries: ev.Event) -> Message:
        if self.form == "websocket_api":
            return Message(stream, {"subscriptionId": 0, "event": body}, carries)
        return Message(stream, body, carries)

    def _execution(self, o: ev.OrderReported, fill: ev.FillReported | None) -> dict[str, Any]:
        if o.kind not in (None, "spot"):
            raise ValueError(f"Binance Spot has no {o.kind} order: {o!r}")
        created = self._created.setdefault(o.order_id, o.version)
        quote = self._quote.get(o.order_id, Decimal(0))
        last_quote = Decimal(0)
        if fill is not None:
            last_quote = _EXACT.multiply(fill.quantity, fill.price)
            quote = _EXACT.add(quote, last_quote)
            self._quote[o.order_id] = quote
            execution = "TRADE"
        elif o.status in _EXECUTION:
            execution = _EXECUTION[o.status]
        else:
            raise ValueError(f"order {o.order_id}: a {o.status} report without a fill: {o!r}")
        self._executions += 1
        cid = o.client_order_id or ""
        current, original = cid, ""
        if execution == "CANCELED" and cid:
            self._cancels += 1
            current, original = f"web_cancel{self._cancels}", cid
        t = millis(o.version)
        zero = "0.00000000"
        return {
            "e": "executionReport",
            "E": t + 1,
            "s": o.symbol,
            "c": current,
            "S": o.side.upper(),
            "o": "LIMIT" if o.price is not None else "MARKET",
            "f": "GTC" if o.price is not None else "IOC",
            "q": decimal_text(o.quantity),
            "p": zero if o.price is None else decimal_text(o.price),
            "P": zero,
            "F": zero,
            "g": -1,
            "C": original,
            "x": execution,
            "X": _STATUS[o.status],
            "r": "NONE",
            "i": venue_number(o.order_id),
            "l": zero if fill is None else decimal_text(fill.quantity),
            "z": decimal_text(o.filled_quantity),
            "L": zero if fill is None else decimal_text(fill.price),
            "n": "0" if fill is None or fill.fee is None else decimal_text(fill.fee),
            "N": None if fill is None else fill.fee_asset,
            "T": t,
            "t": -1 if fill is None else venue_number(fill.trade_id),
            "I": self._executions,
            "w": o.status in ("new", "partially_filled"),
            "m": False,
            "M": fill is not None,
            "O": millis(created),
            "Z": decimal_text(quote),
            "Y": decimal_text(last_quote),
            "Q": zero,
            "W": millis(created),
            "V": "NONE",
        }

    def _account(self, reports: list[ev.BalanceReported]) -> dict[str, Any]:
        items = []
        for b in reports:
            if b.free is None or b.trade_ids is not None:
                raise ValueError(f"Binance Spot always sends free and never trade ids: {b!r}")
            items.append(
                {"a": b.asset, "f": decimal_text(b.free), "l": decimal_text(b.total - b.free)}
            )
        t = millis(reports[0].version)
        return {"e": "outboundAccountPosition", "E": t + 1, "u": t, "B": items}

    def _balance_update(self, c: ev.CashChanged) -> dict[str, Any]:
        if c.free_delta != c.total_delta:
            raise ValueError(f"balanceUpdate moves free and total alike: {c!r}")
        t = millis(c.version)
        return {
            "e": "balanceUpdate",
            "E": t + 1,
            "a": c.asset,
            "d": decimal_text(c.total_delta),
            "T": t,
        }

    # --- REST ---------------------------------------------------------------------------

    def order_body(self, o: ev.OrderReported) -> dict[str, Any]:
        """``GET /api/v3/order`` (also an ``openOrders`` item) for an order as of its report."""
        created = self._created.setdefault(o.order_id, o.version)
        return {
            "symbol": o.symbol,
            "orderId": venue_number(o.order_id),
            "orderListId": -1,
            "clientOrderId": o.client_order_id or "",
            "price": "0.00000000" if o.price is None else decimal_text(o.price),
            "origQty": decimal_text(o.quantity),
            "executedQty": decimal_text(o.filled_quantity),
            "cummulativeQuoteQty": decimal_text(self._quote.get(o.order_id, Decimal(0))),
            "status": _STATUS[o.status],
            "timeInForce": "GTC" if o.price is not None else "IOC",
            "type": "LIMIT" if o.price is not None else "MARKET",
            "side": o.side.upper(),
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": millis(created),
            "updateTime": millis(o.version),
            "isWorking": True,
            "workingTime": millis(created),
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "NONE",
        }

    def trade_body(self, f: ev.FillReported) -> dict[str, Any]:
        """One ``GET /api/v3/myTrades`` item."""
        return {
            "symbol": f.symbol,
            "id": venue_number(f.trade_id),
            "orderId": venue_number(f.order_id),
            "orderListId": -1,
            "price": decimal_text(f.price),
            "qty": decimal_text(f.quantity),
            "quoteQty": decimal_text(_EXACT.multiply(f.quantity, f.price)),
            "commission": decimal_text(f.fee or Decimal(0)),
            "commissionAsset": f.fee_asset,
            "time": millis(f.version),
            "isBuyer": f.side == "buy",
            "isMaker": True,
            "isBestMatch": True,
        }

    def account_body(self, s: ev.SnapshotTaken) -> dict[str, Any]:
        """``GET /api/v3/account`` as of a snapshot (``updateTime`` is its version)."""
        balances = []
        for b in s.balances:
            free = b.total if b.free is None else b.free
            balances.append(
                {
                    "asset": b.asset,
                    "free": decimal_text(free),
                    "locked": decimal_text(b.total - free),
                }
            )
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "updateTime": millis(s.version),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
        }

    def rest(self, answer: ev.Event) -> list[ev.Event]:
        """A REST answer rendered as Binance's body and read back by the shipped parser."""
        if isinstance(answer, ev.OrderReported):
            return parser.parse_order(self.order_body(answer))
        if isinstance(answer, ev.SnapshotTaken):
            return parser.parse_snapshot(
                account=self.account_body(answer),
                open_orders=[self.order_body(o) for o in answer.open_orders],
                trades=[self.trade_body(f) for f in answer.trades],
            )
        if isinstance(answer, ev.OrderNotFound):
            body = _error(NO_SUCH_ORDER, "Order does not exist.")
            oid = None if answer.order_id is None else str(venue_number(answer.order_id))
            return parser.parse_error(body, answer.client_order_id, order_id=oid)
        if isinstance(answer, ev.SubmissionFailed):
            body = _error(
                INSUFFICIENT_BALANCE, "Account has insufficient balance for requested action."
            )
            return parser.parse_error(body, answer.client_order_id)
        if isinstance(answer, ev.CancelFailed):
            return parser.parse_error(
                _error(CANCEL_REJECTED, "Unknown order sent."), answer.client_order_id
            )
        # A timeout is the edge's own knowledge: no body to parse.
        return [answer]


def model_order_id(venue_order_id: str) -> str | None:
    """The model's id of a Binance ``orderId`` (``12`` -> ``X12``); None for anything else."""
    return f"X{venue_order_id}" if venue_order_id.isdigit() else None


def _error(code: int, text: str) -> Mapping[str, Any]:
    return {"code": code, "msg": text}


def binance_spot(*, form: str = "websocket_api") -> Adapter:
    """The shipped Binance Spot parser, fed by a fresh ``BinanceSpotEncoder``."""
    encoder = BinanceSpotEncoder(form=form)
    return Adapter(
        name=f"binance_spot ({form.replace('_', ' ')} form)",
        encode=encoder.messages,
        parse=parser.parse,
        rest=encoder.rest,
        streams=STREAMS,
        model_order_id=model_order_id,
    )
