"""Binance Spot: user-data-stream messages and REST bodies to invsync events (pure).

Two stream forms carry the same events: the listen-key form (the event object at the
top level, typed by ``"e"``; or wrapped as ``{"stream", "data"}`` on a combined stream)
and the WebSocket-API subscription form (the event under ``"event"`` beside
``"subscriptionId"``). WebSocket-API responses (``{"id", "status", "result"}``) are acks.

Versions (spec/venues/binance_spot.md): an order's reports and its fills at ``T``
(transaction time); account balances at ``u`` (time of the last account update) on the
stream and ``updateTime`` in REST; cash changes at their ``T``. All are milliseconds, so
ties happen; no Binance Spot private sequence is documented as gap-free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)
from operator import itemgetter
from typing import Any, Final

from core.adapters import fields
from core.errors import ParseError
from core.events import (
    BalanceReported,
    CancelFailed,
    CashChanged,
    Event,
    FillReported,
    MessageIgnored,
    OrderNotFound,
    OrderReported,
    SnapshotTaken,
    StreamDisconnected,
    SubmissionFailed,
    SubmissionTimedOut,
    unchecked_balance_reported,
    unchecked_fill_reported,
    unchecked_order_reported,
)

__all__ = [
    "CANCEL_REJECTED_CODES",
    "NOT_FOUND_CODES",
    "STREAM",
    "UNKNOWN_OUTCOME_CODES",
    "VENUE",
    "parse",
    "parse_error",
    "parse_order",
    "parse_snapshot",
]

VENUE: Final = "binance_spot"
#: The stream name carried by ``StreamDisconnected`` (a subscription id is appended).
STREAM: Final = "binance_spot.user_data"

#: Error codes whose request may still have executed (errors.md: "execution status unknown").
UNKNOWN_OUTCOME_CODES: Final = frozenset({-1006, -1007})
#: Error codes answering an order query: the venue has no such (live) order.
NOT_FOUND_CODES: Final = frozenset({-2013, -2026})
#: Error codes of a refused cancel (-2011 CANCEL_REJECTED, e.g. "Unknown order sent.").
CANCEL_REJECTED_CODES: Final = frozenset({-2011})

_SIDES: Final = {"BUY": "buy", "SELL": "sell"}
# PENDING_CANCEL ("currently unused") and PENDING_NEW are resolved in _status.
_STATUSES: Final = {
    "NEW": "new",
    "PENDING_NEW": "new",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
    "PENDING_CANCEL": "new",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}
_EXECUTION_TYPES: Final = {
    x: x
    for x in ("NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION")
}
_ZERO: Final = Decimal(0)

# Sums must be exact: any rounding or overflow is refused rather than silently absorbed.
_SUM: Final = Context(prec=1000, traps=[Inexact, Rounded, Overflow, InvalidOperation])
# An average price need not terminate: 28 digits, half-even, like the core's own means.
_AVG: Final = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[Overflow, InvalidOperation, DivisionByZero]
)


# --- small readers -----------------------------------------------------------------------


def _version(msg: Mapping[str, Any], key: str, where: str) -> int:
    try:
        return fields.integer(msg, key, where)
    except ParseError:
        raise
    except ValueError as e:  # int() refuses digit strings longer than the interpreter allows
        raise ParseError(f"{where}.{key}: not a usable integer ({e})") from None


def _ident(msg: Mapping[str, Any], key: str, where: str) -> str:
    try:
        return fields.ident(msg, key, where)
    except ParseError:
        raise
    except ValueError as e:  # str() of an int above the interpreter's digit limit
        raise ParseError(f"{where}.{key}: not a usable id ({e})") from None


def _sum(a: Decimal, b: Decimal, name: str) -> Decimal:
    try:
        return _SUM.add(a, b)
    except ArithmeticError:
        raise ParseError(f"{name}: {a} + {b} has no exact decimal value") from None


def _average(quote: Decimal, filled: Decimal, name: str) -> Decimal | None:
    """Average fill price = cumulative quote / cumulative quantity, when both are known."""
    # REST: "cummulativeQuoteQty < 0 means the data is not available at this time".
    if filled <= _ZERO or quote <= _ZERO:
        return None
    try:
        return _AVG.divide(quote, filled)
    except ArithmeticError:
        raise ParseError(f"{name}: average price {quote} / {filled} is out of range") from None


def _status(raw: str, filled: Decimal, name: str) -> str:
    try:
        status = _STATUSES[raw]
    except KeyError:
        raise ParseError(f"{name}: unknown order status {raw!r:.80}") from None
    if raw == "PENDING_CANCEL" and filled > _ZERO:
        return "partially_filled"
    return status


def _price(raw: Decimal, order_type: str, name: str) -> tuple[Decimal | None, str]:
    """A zero price means a market order (MARKET, STOP_LOSS, TAKE_PROFIT)."""
    if raw < _ZERO:
        raise ParseError(f"{name}: negative price {raw}")
    if not raw or order_type == "MARKET":
        return None, "market"
    return raw, "limit"


def _client_id(msg: Mapping[str, Any], original: str, current: str, where: str) -> str | None:
    """The bot's id: the original one on cancels (``C``/``origClientOrderId``) when non-empty."""
    first = fields.opt_text(msg, original, where)
    second = fields.opt_text(msg, current, where)
    return first if first is not None else second


def _error_body(body: Any, name: str) -> None:
    """A venue error where a data body was expected: say so instead of 'missing field'."""
    if isinstance(body, Mapping) and "code" in body and "msg" in body:
        raise ParseError(
            f"{name}: the venue answered with an error, code {body['code']!r:.20}: "
            f"{body['msg']!r:.120} (use parse_error)"
        )


def _unwrap(body: Any, name: str) -> Any:
    """A REST body as returned, or the ``result`` of the same request over the WebSocket API."""
    if isinstance(body, Mapping) and "id" in body and ("result" in body or "error" in body):
        if "error" in body:
            _error_body(fields.obj(body["error"], f"{name}.error"), name)
            raise ParseError(f"{name}.error: the request failed: {body['error']!r:.120}")
        return body["result"]
    _error_body(body, name)
    return body


# --- stream ------------------------------------------------------------------------------


def parse(message: Any) -> list[Event]:
    """Events from one decoded user-data-stream message (either form); raises only ParseError."""
    # Fast path: the hot event kinds of a decoded JSON object, read with exact type checks;
    # any surprise (None) and the careful path parses the message afresh and decides.
    if type(message) is dict:
        msg: Any = message
        kind = msg.get("e")
        if type(kind) is not str or "stream" in msg:
            if "stream" in msg and "data" in msg:
                msg = msg["data"]
            if type(msg) is dict and "e" not in msg and "event" in msg:
                msg = msg["event"]
            kind = msg.get("e") if type(msg) is dict else None
            if type(kind) is not str:
                return _parse_careful(message)
        fast = _FAST.get(kind)
        if fast is not None:
            events = fast(msg)
            if events is not None:
                return events
    return _parse_careful(message)


def _parse_careful(message: Any) -> list[Event]:
    """``parse`` without the fast path: authoritative, and the one that names errors."""
    if isinstance(message, str):
        return [] if message in ("ping", "pong") else [MessageIgnored(venue=VENUE, kind="text")]
    if isinstance(message, list):
        return [MessageIgnored(venue=VENUE, kind="list")]
    msg = fields.obj(message, "message")
    if "stream" in msg and "data" in msg:
        msg = fields.obj(msg["data"], "data")
    if "e" in msg:
        return _on_event(msg, "message", STREAM)
    if "event" in msg:
        inner = msg["event"]
        if isinstance(inner, str):  # another protocol's shape, e.g. {"event": "subscribe"}
            return [MessageIgnored(venue=VENUE, kind=inner)]
        stream = STREAM
        sub = msg.get("subscriptionId")
        if type(sub) is int and sub >= 0:
            stream = f"{STREAM}.{sub}"
        return _on_event(fields.obj(inner, "event"), "event", stream)
    if "id" in msg and ("result" in msg or "error" in msg or "status" in msg):
        return _on_response(msg)
    return [MessageIgnored(venue=VENUE, kind="unknown")]


def _on_event(msg: Mapping[str, Any], where: str, stream: str) -> list[Event]:
    kind = fields.text(msg, "e", where)
    handler = _HANDLERS.get(kind)
    if handler is None:
        return [MessageIgnored(venue=VENUE, kind=kind)]
    return handler(msg, stream)


def _on_response(msg: Mapping[str, Any]) -> list[Event]:
    # A WebSocket-API answer carries no hint of which request it answers: a failure may be
    # the subscription's, after which nothing arrives, so it is treated as a broken stream.
    status = msg.get("status")
    if status is not None and type(status) is not int:
        raise ParseError(f"status: expected an integer, got {status!r:.80}")
    error = msg.get("error")
    if error is None and (status is None or 200 <= status < 300):
        return []
    code: object = None
    text: object = None
    if error is not None:
        err = fields.obj(error, "error")
        code, text = err.get("code"), err.get("msg")
    return [
        StreamDisconnected(
            stream=STREAM,
            reason=f"WebSocket API request failed: status {status}, "
            f"code {code!r:.20}: {text!r:.120}",
        )
    ]


def _execution_report(msg: Mapping[str, Any], stream: str) -> list[Event]:
    w = "executionReport"
    symbol = fields.text(msg, "s", w)
    order_id = _ident(msg, "i", w)
    fields.text(msg, "c", w)
    cid = _client_id(msg, "C", "c", w)
    side = fields.choice(msg, "S", w, _SIDES)
    execution = fields.choice(msg, "x", w, _EXECUTION_TYPES)
    raw_status = fields.text(msg, "X", w)
    quantity = fields.decimal(msg, "q", w)
    price, order_type = _price(fields.decimal(msg, "p", w), fields.text(msg, "o", w), f"{w}.p")
    filled = fields.decimal(msg, "z", w)
    quote = fields.decimal(msg, "Z", w)
    version = _version(msg, "T", w)
    order = fields.build(
        OrderReported,
        w,
        symbol=symbol,
        order_id=order_id,
        client_order_id=cid,
        side=side,
        status=_status(raw_status, filled, f"{w}.X"),
        quantity=quantity,
        price=price,
        filled_quantity=filled,
        average_price=_average(quote, filled, f"{w}.Z"),
        version=version,
        kind="spot",
        order_type=order_type,
        # An OTO's pending leg waits for the working leg to fill; it is not on the book.
        conditional=raw_status == "PENDING_NEW",
    )
    if execution != "TRADE":
        return [order]
    fill = fields.build(
        FillReported,
        w,
        symbol=symbol,
        order_id=order_id,
        client_order_id=cid,
        trade_id=_ident(msg, "t", w),
        side=side,
        quantity=fields.decimal(msg, "l", w),
        price=fields.decimal(msg, "L", w),
        fee=fields.decimal(msg, "n", w),
        fee_asset=fields.opt_text(msg, "N", w),
        version=version,
        kind="spot",
    )
    return [order, fill]


def _account_position(msg: Mapping[str, Any], stream: str) -> list[Event]:
    w = "outboundAccountPosition"
    version = _version(msg, "u", w)
    out: list[Event] = []
    for k, item in enumerate(fields.items(msg, "B", w)):
        iw = f"{w}.B[{k}]"
        b = fields.obj(item, iw)
        free = fields.decimal(b, "f", iw)
        locked = fields.decimal(b, "l", iw)
        out.append(
            fields.build(
                BalanceReported,
                iw,
                asset=fields.text(b, "a", iw),
                total=_sum(free, locked, f"{iw}.f+l"),
                free=free,
                version=version,
            )
        )
    return out


def _balance_update(msg: Mapping[str, Any], stream: str) -> list[Event]:
    w = "balanceUpdate"
    delta = fields.decimal(msg, "d", w)
    return [
        fields.build(
            CashChanged,
            w,
            asset=fields.text(msg, "a", w),
            total_delta=delta,
            free_delta=delta,
            version=_version(msg, "T", w),
            reason="balanceUpdate",
            change_id=None,
        )
    ]


def _external_lock(msg: Mapping[str, Any], stream: str) -> list[Event]:
    # "d" is the change of the amount locked by an external system (e.g. margin
    # collateral): the funds stay in the wallet, only free moves, the opposite way.
    w = "externalLockUpdate"
    delta = fields.decimal(msg, "d", w)
    return [
        fields.build(
            CashChanged,
            w,
            asset=fields.text(msg, "a", w),
            total_delta=_ZERO,
            free_delta=delta.copy_negate(),
            version=_version(msg, "T", w),
            reason="externalLockUpdate",
            change_id=None,
        )
    ]


def _nothing(msg: Mapping[str, Any], stream: str) -> list[Event]:
    return []


def _broken(msg: Mapping[str, Any], stream: str) -> list[Event]:
    return [StreamDisconnected(stream=stream, reason=str(msg["e"]))]


_HANDLERS: Final[dict[str, Callable[[Mapping[str, Any], str], list[Event]]]] = {
    "executionReport": _execution_report,
    "outboundAccountPosition": _account_position,
    "balanceUpdate": _balance_update,
    "externalLockUpdate": _external_lock,
    "listStatus": _nothing,  # order-list bookkeeping; each leg has its own executionReport
    "serverShutdown": _nothing,  # a warning: the stream still works until it closes
    "listenKeyExpired": _broken,
    "eventStreamTerminated": _broken,
}


# --- stream, fast path ---------------------------------------------------------------------
#
# Each returns exactly what the careful handler returns for the same message, or None
# whenever anything is not the plain expected shape (a missing key, a value of another
# type, a string the careful path would refuse, an event the core would refuse): the
# careful path then runs and is the one that accepts it or raises the ParseError naming
# the field. tests/adapters/test_binance_spot_fastpath.py checks the two agree.
#
# The events are built unchecked (core.events.unchecked_*): reading the message already
# proves most of what the core checks (types, finite decimals, known words, ids, versions);
# what it does not is checked here, marked "core:", and anything else means None.

_qd: Final = fields.quick_decimal
_fresh: Final = fields.fresh_decimal
# Checked for type str first (a str subclass must not hit the cache); on a miss, _qd decides.
_hit: Final = fields.cached_decimal
_MAX_INT: Final = 10**40  # fields._MAX_INT: larger ints are not ids, times or sequences
_EXECUTION_FIELDS: Final = itemgetter("s", "i", "c", "S", "x", "X", "q", "p", "o", "z", "Z", "T")
_TRADE_FIELDS: Final = itemgetter("t", "l", "L", "n")
_BALANCE_FIELDS: Final = itemgetter("a", "f", "l")


def _fast_execution_report(msg: dict[str, Any]) -> list[Event] | None:
    try:
        symbol, oid, c, s_, x, raw, q_, p_, o, z_, zq_, version = _EXECUTION_FIELDS(msg)
    except KeyError:
        return None
    if (
        type(symbol) is not str
        or type(c) is not str
        or type(s_) is not str
        or type(x) is not str
        or type(raw) is not str
        or type(o) is not str
        or type(version) is not int
        or not 0 <= version < _MAX_INT
        or x not in _EXECUTION_TYPES
        # _qd refuses all but a str: the same None, sooner.
        or type(q_) is not str
        or type(p_) is not str
        or type(z_) is not str
        or type(zq_) is not str
    ):
        return None
    if type(oid) is int and 0 <= oid < _MAX_INT:
        order_id = str(oid)
    elif type(oid) is str and oid:
        order_id = oid
    else:
        return None
    orig = msg.get("C")
    if orig is None or orig == "":  # as fields.opt_text: None and "" mean absent
        cid = c or None
    elif type(orig) is str:
        cid = orig
    else:
        return None
    side = _SIDES.get(s_)
    status = _STATUSES.get(raw)
    quantity, raw_price, filled = _hit(q_), _hit(p_), _hit(z_)
    if quantity is None or raw_price is None or filled is None:
        quantity, raw_price, filled = _qd(q_), _qd(p_), _qd(z_)
    # The cumulative quote amount rarely repeats: read, not kept (it would evict prices).
    quote = _hit(zq_)
    if quote is None:
        quote = _fresh(zq_)
    if (
        side is None
        or status is None
        or quantity is None
        or raw_price is None
        or filled is None
        or quote is None
        or raw_price < _ZERO
        # core: a symbol, a positive quantity, a fill count within it
        or not symbol
        or quantity <= _ZERO
        or filled < _ZERO
        or filled > quantity
    ):
        return None
    if raw == "PENDING_CANCEL" and filled:
        status = "partially_filled"
    if not raw_price or o == "MARKET":
        price, order_type = None, "market"
    else:
        price, order_type = raw_price, "limit"
    average = None
    if filled and quote > _ZERO:
        try:
            average = _AVG.divide(quote, filled)
        except ArithmeticError:
            return None
    order = unchecked_order_reported(
        symbol,
        order_id,
        cid,
        side,
        status,
        quantity,
        price,
        filled,
        average,
        version,
        "spot",
        order_type,
        raw == "PENDING_NEW",
    )
    if x != "TRADE":
        return [order]
    try:
        tid, l_, lp_, n_ = _TRADE_FIELDS(msg)
    except KeyError:
        return None
    if type(tid) is int and 0 <= tid < _MAX_INT:
        trade_id = str(tid)
    elif type(tid) is str and tid:
        trade_id = tid
    else:
        return None
    fee_asset = msg.get("N")
    if fee_asset == "":
        fee_asset = None
    elif fee_asset is not None and type(fee_asset) is not str:
        return None
    if type(l_) is not str or type(lp_) is not str or type(n_) is not str:
        return None  # as _qd would (a fee is required here: None is refused too)
    last, last_price = _hit(l_), _hit(lp_)
    if last is None or last_price is None:
        last, last_price = _qd(l_), _qd(lp_)
    fee = _hit(n_)
    if fee is None:
        fee = _fresh(n_)  # a fee is proportional to its fill: it rarely repeats
    if last is None or last_price is None or fee is None:
        return None  # a fee is required here (the careful path refuses a missing one)
    # core: a positive quantity and price; a fee names its asset
    if last <= _ZERO or last_price <= _ZERO or (fee and fee_asset is None):
        return None
    fill = unchecked_fill_reported(
        symbol, order_id, cid, trade_id, side, last, last_price, fee, fee_asset, version, "spot"
    )
    return [order, fill]


def _fast_account_position(msg: dict[str, Any]) -> list[Event] | None:
    version = msg.get("u")
    items = msg.get("B")
    if type(version) is not int or not 0 <= version < _MAX_INT or type(items) is not list:
        return None
    out: list[Event] = []
    add = _SUM.add
    for b in items:
        if type(b) is not dict:
            return None
        try:
            asset, f_, l_ = _BALANCE_FIELDS(b)
        except KeyError:
            return None
        if type(f_) is not str or type(l_) is not str:
            return None  # as _qd would
        # One at a time: a free amount is usually new (read, not kept: it would evict the
        # amounts that do repeat), a locked one often repeats.
        free = _hit(f_)
        if free is None:
            free = _fresh(f_)
        locked = _hit(l_)
        if locked is None:
            locked = _qd(l_)
        if free is None or locked is None:
            return None
        try:
            total = add(free, locked)  # exact (or it raises): finite
        except ArithmeticError:
            return None
        if type(asset) is not str or not asset:
            return None  # core: an asset
        out.append(unchecked_balance_reported(asset, total, free, version))
    return out


_FAST: Final[dict[str, Callable[[dict[str, Any]], list[Event] | None]]] = {
    "executionReport": _fast_execution_report,
    "outboundAccountPosition": _fast_account_position,
}


# --- REST --------------------------------------------------------------------------------


def _rest_order(body: Any, where: str) -> OrderReported:
    o = fields.obj(body, where)
    filled = fields.decimal(o, "executedQty", where)
    # GET order / openOrders carry updateTime; a new-order response only transactTime.
    vkey = "updateTime" if "updateTime" in o or "transactTime" not in o else "transactTime"
    price, order_type = _price(
        fields.decimal(o, "price", where), fields.text(o, "type", where), f"{where}.price"
    )
    raw_status = fields.text(o, "status", where)
    return fields.build(
        OrderReported,
        where,
        symbol=fields.text(o, "symbol", where),
        order_id=_ident(o, "orderId", where),
        client_order_id=_client_id(o, "origClientOrderId", "clientOrderId", where),
        side=fields.choice(o, "side", where, _SIDES),
        status=_status(raw_status, filled, f"{where}.status"),
        quantity=fields.decimal(o, "origQty", where),
        price=price,
        filled_quantity=filled,
        average_price=_average(
            fields.decimal(o, "cummulativeQuoteQty", where), filled, f"{where}.cummulativeQuoteQty"
        ),
        version=_version(o, vkey, where),
        kind="spot",
        order_type=order_type,
        conditional=raw_status == "PENDING_NEW",
    )


def _rest_trade(body: Any, where: str) -> FillReported:
    t = fields.obj(body, where)
    buyer = fields.field(t, "isBuyer", where)
    if type(buyer) is not bool:
        raise ParseError(f"{where}.isBuyer: expected a boolean, got {buyer!r:.80}")
    return fields.build(
        FillReported,
        where,
        symbol=fields.text(t, "symbol", where),
        order_id=_ident(t, "orderId", where),
        client_order_id=None,
        trade_id=_ident(t, "id", where),
        side="buy" if buyer else "sell",
        quantity=fields.decimal(t, "qty", where),
        price=fields.decimal(t, "price", where),
        fee=fields.decimal(t, "commission", where),
        fee_asset=fields.opt_text(t, "commissionAsset", where),
        version=_version(t, "time", where),
        kind="spot",
    )


def _list(body: Any, name: str) -> list[Any]:
    value = _unwrap(body, name)
    if type(value) is not list:
        raise ParseError(f"{name}: expected a list, got {value!r:.80}")
    return value


def parse_snapshot(
    *,
    account: Any = None,
    open_orders: Any = None,
    trades: Any = None,
    open_orders_complete: bool = True,
) -> list[Event]:
    """One ``SnapshotTaken`` from GET /api/v3/account, /api/v3/openOrders and /api/v3/myTrades.

    Each body as returned (or as the ``result`` of the same WebSocket-API request); a part
    not passed is marked incomplete. Pass ``open_orders_complete=False`` when the open
    orders were fetched for one symbol only: they then say nothing of other orders.
    """
    if account is None and open_orders is None and trades is None:
        raise ParseError("parse_snapshot: pass at least one of account=, open_orders=, trades=")
    balances: tuple[BalanceReported, ...] = ()
    version: int | None = None
    if account is not None:
        acct = fields.obj(_unwrap(account, "account"), "account")
        version = _version(acct, "updateTime", "account")
        out: list[BalanceReported] = []
        for k, item in enumerate(fields.items(acct, "balances", "account")):
            iw = f"account.balances[{k}]"
            b = fields.obj(item, iw)
            free = fields.decimal(b, "free", iw)
            locked = fields.decimal(b, "locked", iw)
            out.append(
                fields.build(
                    BalanceReported,
                    iw,
                    asset=fields.text(b, "asset", iw),
                    total=_sum(free, locked, f"{iw}.free+locked"),
                    free=free,
                    version=version,
                )
            )
        balances = tuple(out)
    orders: tuple[OrderReported, ...] = ()
    if open_orders is not None:
        orders = tuple(
            _rest_order(item, f"open_orders[{k}]")
            for k, item in enumerate(_list(open_orders, "open_orders"))
        )
    fills: tuple[FillReported, ...] = ()
    if trades is not None:
        fills = tuple(
            _rest_trade(item, f"trades[{k}]") for k, item in enumerate(_list(trades, "trades"))
        )
    # updateTime is the account's last change, so nothing changed between it and the fetch;
    # without the account, the newest listed time is still no later than the fetch.
    if version is None:
        version = max((o.version for o in orders), default=None)
    if version is None:
        version = max((f.version for f in fills), default=0)
    return [
        fields.build(
            SnapshotTaken,
            "snapshot",
            version=version,
            balances=balances,
            open_orders=orders,
            trades=fills,
            balances_complete=account is not None,
            positions_complete=False,
            orders_complete=open_orders is not None and open_orders_complete,
        )
    ]


def parse_order(body: Any) -> list[Event]:
    """``[OrderReported]`` from a GET /api/v3/order answer (also a new-order RESULT/FULL answer).

    A FULL new-order answer lists its fills: each becomes a ``FillReported`` at
    ``transactTime``. An error body raises ``ParseError``: pass it to ``parse_error``.
    """
    o = fields.obj(_unwrap(body, "order"), "order")
    report = _rest_order(o, "order")
    out: list[Event] = [report]
    if "fills" in o:
        version = _version(o, "transactTime", "order")
        for k, item in enumerate(fields.items(o, "fills", "order")):
            iw = f"order.fills[{k}]"
            f = fields.obj(item, iw)
            out.append(
                fields.build(
                    FillReported,
                    iw,
                    symbol=report.symbol,
                    order_id=report.order_id,
                    client_order_id=report.client_order_id,
                    trade_id=_ident(f, "tradeId", iw),
                    side=report.side,
                    quantity=fields.decimal(f, "qty", iw),
                    price=fields.decimal(f, "price", iw),
                    fee=fields.decimal(f, "commission", iw),
                    fee_asset=fields.opt_text(f, "commissionAsset", iw),
                    version=version,
                    kind="spot",
                )
            )
    return out


def parse_error(
    body: Any, client_order_id: str | None, *, order_id: str | None = None
) -> list[Event]:
    """The intent outcome of an error answer ``{"code", "msg"}`` to the bot's order request.

    -2013 NO_SUCH_ORDER / -2026 ORDER_ARCHIVED (order query): ``OrderNotFound``;
    -1006 / -1007 (execution status unknown) and WebSocket-API status 5xx:
    ``SubmissionTimedOut``; -2011 CANCEL_REJECTED: ``CancelFailed``; any other code:
    ``SubmissionFailed``. HTTP 5xx without a body is the caller's to map (timed out).
    """
    status: object = None
    err: Any = body
    if isinstance(body, Mapping) and "error" in body:
        status, err = body.get("status"), body["error"]
    e = fields.obj(err, "error")
    code = fields.field(e, "code", "error")
    if type(code) is not int:
        raise ParseError(f"error.code: expected an integer, got {code!r:.80}")
    text = e.get("msg")
    reason = f"{code}: {text}" if type(text) is str else str(code)
    if code in NOT_FOUND_CODES:
        return [
            fields.build(OrderNotFound, "error", client_order_id=client_order_id, order_id=order_id)
        ]
    if code in UNKNOWN_OUTCOME_CODES or (type(status) is int and status >= 500):
        return [
            fields.build(
                SubmissionTimedOut, "error", client_order_id=client_order_id, reason=reason
            )
        ]
    if code in CANCEL_REJECTED_CODES:
        return [fields.build(CancelFailed, "error", client_order_id=client_order_id, reason=reason)]
    return [fields.build(SubmissionFailed, "error", client_order_id=client_order_id, reason=reason)]
