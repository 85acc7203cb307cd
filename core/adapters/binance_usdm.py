"""Binance USDⓈ-M futures: user-data stream messages and REST bodies in, invsync events out.

Pure: decoded JSON in, events out; no I/O, clocks or state. Every instrument is linear
and quantities stay in base units, as the venue sends them. The version of every stream
event is the matching engine's transaction time ``T`` (ms); REST bodies are versioned by
their ``updateTime``/``time``. Why, and the tie rule, are in spec/venues/binance_usdm.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
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
    PositionReported,
    SnapshotTaken,
    StreamDisconnected,
    SubmissionFailed,
    SubmissionTimedOut,
    unchecked_balance_reported,
    unchecked_fill_reported,
    unchecked_order_reported,
    unchecked_position_reported,
)

VENUE: Final = "binance_usdm"
#: Every USDⓈ-M instrument is a linear derivative settled in its quote asset.
KIND: Final = "linear"
#: The name the stream-status events use for the listenKey user-data stream.
STREAM: Final = "binance_usdm.user_data"
#: Prefix of the order ids given to ALGO_UPDATE orders: algo ids (``aid``) come from a
#: separate service and could equal a matching-engine order id (``i``) of the same symbol.
ALGO_PREFIX: Final = "algo-"

_ZERO: Final = Decimal(0)

_SIDES: Final = {"BUY": "buy", "SELL": "sell"}
_ORDER_STATUS: Final = {
    "NEW": "new",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
    # Not in the stream's list, but a REST order status of the futures enum definitions.
    "REJECTED": "rejected",
}
_ALGO_STATUS: Final = {
    "NEW": "new",
    # Still waiting in the algo service: the matching engine has no order yet.
    "TRIGGERING": "new",
    "TRIGGERED": "triggered",
    # The triggered order ended; the algo order's own part ended at the trigger.
    "FINISHED": "triggered",
    "CANCELED": "canceled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
}
_EXECUTION_TYPES: Final = {
    x: x for x in ("NEW", "CANCELED", "CALCULATED", "EXPIRED", "TRADE", "AMENDMENT")
}
#: Execution types that carry a trade: ``CALCULATED`` is the liquidation execution.
_FILL_EXECUTIONS: Final = frozenset({"TRADE", "CALCULATED"})
#: Order types that wait for a trigger while their current type is still this one.
_CONDITIONAL_TYPES: Final = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
#: Client order ids the venue gives to orders it makes itself (liquidation, ADL,
#: delisting/delivery settlement): shared or meaningless, so never a bot's id.
_EXCHANGE_MADE: Final = (
    "autoclose-",
    "adl_autoclose",
    "settlement_autoclose-",
    "delivery_autoclose-",
)
#: Known kinds that never change the inventory (risk notices, leverage/mode settings).
_INFORMATIONAL: Final = frozenset({"MARGIN_CALL", "ACCOUNT_CONFIG_UPDATE"})


# --- small readers --------------------------------------------------------------------


def _client_id(msg: Mapping[str, Any], key: str, where: str) -> tuple[str | None, bool]:
    """The bot's client order id, or None; and whether the venue made the order itself."""
    cid = fields.opt_text(msg, key, where)
    if cid is None:
        return None, False
    if cid.startswith(_EXCHANGE_MADE):
        return None, True
    return cid, False


def _one_way(msg: Mapping[str, Any], key: str, where: str) -> None:
    """Refuse hedge-mode payloads: positions are tracked net (one-way) only."""
    side = fields.text(msg, key, where)
    if side == "BOTH":
        return
    if side in ("LONG", "SHORT"):
        raise ParseError(
            f"{where}.{key}: position side {side!r}: hedge mode is not supported "
            "(switch the account to one-way position mode)"
        )
    raise ParseError(f"{where}.{key}: unknown position side {side!r:.80}")


def _limit_price(price: Decimal) -> tuple[Decimal | None, str]:
    """Binance sends price "0" for market-type orders: no price, a market order."""
    if price > 0:
        return price, "limit"
    return None, "market"


def _rest_list(body: Any, where: str) -> list[Any]:
    if type(body) is not list:
        _refuse_error_body(body, where)
        raise ParseError(f"{where}: expected a list, got {type(body).__name__} {body!r:.80}")
    return body


def _refuse_error_body(body: Any, where: str) -> None:
    """A REST error body where data was expected says so, with the venue's code."""
    if isinstance(body, Mapping) and "code" in body and "msg" in body:
        raise ParseError(
            f"{where}: venue error {body.get('code')!r:.20}: {body.get('msg')!r:.80} "
            "(pass error bodies to parse_error)"
        )


# --- stream -----------------------------------------------------------------------------


def parse(message: Any) -> list[Event]:
    """Events from one decoded user-data stream message; raises only ``ParseError``."""
    # Fast path: the hot kinds of a decoded JSON object, read with exact type checks; any
    # surprise (None) and the careful path parses the message afresh and decides.
    if type(message) is dict:
        msg: Any = message
        kind = msg.get("e")
        if kind is None and "e" not in msg and "stream" in msg:
            msg = msg.get("data")  # a combined-stream wrapper, {"stream": ..., "data": ...}
            kind = msg.get("e") if type(msg) is dict else None
        if type(kind) is str:
            fast = _FAST.get(kind)
            if fast is not None:
                events = fast(msg)
                if events is not None:
                    return events
    return _parse_careful(message)


def _parse_careful(message: Any) -> list[Event]:
    """``parse`` without the fast path: authoritative, and the one that names errors."""
    if isinstance(message, str):
        return [] if message == "pong" else [MessageIgnored(venue=VENUE, kind="text")]
    if isinstance(message, list):
        return [MessageIgnored(venue=VENUE, kind="list")]
    msg = fields.obj(message, "message")
    data = msg.get("data")
    if "e" not in msg and "stream" in msg and isinstance(data, Mapping):
        # A combined-stream connection wraps each event as {"stream": ..., "data": ...}.
        msg = data
    if "e" not in msg:
        if "id" in msg and "result" in msg and "error" not in msg:
            return []  # a request's acknowledgement
        return [MessageIgnored(venue=VENUE, kind="unknown")]
    kind = fields.text(msg, "e", "message")
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(msg)
    if kind in _INFORMATIONAL:
        return []
    return [MessageIgnored(venue=VENUE, kind=kind)]


def _order_trade_update(msg: Mapping[str, Any]) -> list[Event]:
    where = "ORDER_TRADE_UPDATE"
    version = fields.integer(msg, "T", where)
    w = f"{where}.o"
    o = fields.obj(fields.field(msg, "o", where), w)
    _one_way(o, "ps", w)
    symbol = fields.text(o, "s", w)
    order_id = fields.ident(o, "i", w)
    cid, exchange_made = _client_id(o, "c", w)
    side = fields.choice(o, "S", w, _SIDES)
    order_type = fields.text(o, "o", w)
    execution = fields.choice(o, "x", w, _EXECUTION_TYPES)
    status = fields.choice(o, "X", w, _ORDER_STATUS)
    quantity = fields.decimal(o, "q", w)
    price, type_ = _limit_price(fields.decimal(o, "p", w))
    average = fields.decimal(o, "ap", w)
    cumulative = fields.decimal(o, "z", w)
    last_qty = fields.decimal(o, "l", w)
    trade = execution in _FILL_EXECUTIONS and last_qty > 0
    if quantity == 0 and o.get("cp") is True:
        # A close-position order has no quantity of its own until it executes.
        quantity = max(cumulative, last_qty)
        if quantity == 0:
            return [MessageIgnored(venue=VENUE, kind=f"{where}:closePosition")]
    conditional = order_type in _CONDITIONAL_TYPES and status == "new" and cumulative == 0
    out: list[Event] = [
        fields.build(
            OrderReported,
            w,
            symbol=symbol,
            order_id=order_id,
            client_order_id=cid,
            side=side,
            status=status,
            quantity=quantity,
            price=price,
            filled_quantity=cumulative,
            average_price=average if cumulative > 0 else None,
            version=version,
            kind=KIND,
            order_type=type_,
            conditional=conditional,
        )
    ]
    if trade:
        fee = fields.opt_decimal(o, "n", w)
        if fee is None:
            fee = _ZERO  # "will not push if no commission": a full message, so none charged
        out.append(
            fields.build(
                FillReported,
                w,
                symbol=symbol,
                order_id=order_id,
                client_order_id=cid,
                trade_id=fields.ident(o, "t", w),
                side=side,
                quantity=last_qty,
                price=fields.decimal(o, "L", w),
                fee=fee,
                fee_asset=fields.opt_text(o, "N", w),
                version=version,
                kind=KIND,
                realized_pnl=fields.opt_decimal(o, "rp", w),
                liquidation=exchange_made or execution == "CALCULATED",
            )
        )
    return out


def _trade_lite(msg: Mapping[str, Any]) -> list[Event]:
    where = "TRADE_LITE"
    cid, exchange_made = _client_id(msg, "c", where)
    quantity = fields.decimal(msg, "l", where)
    # "q" is the order's original quantity: it bounds an order known only from its fills.
    # Not where it is below the fill (the doc sample has q 0.001 with l 0.040).
    size = fields.opt_decimal(msg, "q", where)
    if size is not None and size < quantity:
        size = None
    return [
        fields.build(
            FillReported,
            where,
            symbol=fields.text(msg, "s", where),
            order_id=fields.ident(msg, "i", where),
            client_order_id=cid,
            trade_id=fields.ident(msg, "t", where),
            side=fields.choice(msg, "S", where, _SIDES),
            quantity=quantity,
            price=fields.decimal(msg, "L", where),
            fee=None,  # the fast stream has no commission: the full message adds it
            fee_asset=None,
            version=fields.integer(msg, "T", where),
            kind=KIND,
            liquidation=exchange_made,
            order_quantity=size,
        )
    ]


def _optional_list(msg: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A list the venue may leave out when nothing of its kind changed (``B`` or ``P``)."""
    if msg.get(key) is None:
        return []
    return fields.items(msg, key, where)


def _account_update(msg: Mapping[str, Any]) -> list[Event]:
    where = "ACCOUNT_UPDATE"
    version = fields.integer(msg, "T", where)
    w = f"{where}.a"
    a = fields.obj(fields.field(msg, "a", where), w)
    reason = fields.text(a, "m", w)
    if not reason:
        raise ParseError(f"{w}.m: empty reason")
    out: list[Event] = []
    for n, row in enumerate(_optional_list(a, "B", w)):
        wb = f"{w}.B[{n}]"
        b = fields.obj(row, wb)
        asset = fields.text(b, "a", wb)
        out.append(
            fields.build(
                BalanceReported,
                wb,
                asset=asset,
                total=fields.decimal(b, "wb", wb),
                # cw is the cross wallet (the wallet less isolated margin), not what is
                # available: in single-asset mode a BNB row has cw "0". The push carries
                # no available amount, so free keeps the last reported locked part
                # (the REST snapshot's maxWithdrawAmount sets it).
                free=None,
                version=version,
            )
        )
        change = fields.opt_decimal(b, "bc", wb)
        # Order-driven changes arrive as fills; only cash moves without an order are
        # CashChanged. Same version as the report above, so the ledger never adds it twice.
        if reason != "ORDER" and change is not None and change != 0:
            out.append(
                fields.build(
                    CashChanged,
                    wb,
                    asset=asset,
                    total_delta=change,
                    free_delta=change,
                    version=version,
                    reason=reason,
                )
            )
    for n, row in enumerate(_optional_list(a, "P", w)):
        wp = f"{w}.P[{n}]"
        p = fields.obj(row, wp)
        _one_way(p, "ps", wp)
        out.append(
            fields.build(
                PositionReported,
                wp,
                symbol=fields.text(p, "s", wp),
                quantity=fields.decimal(p, "pa", wp),
                entry_price=fields.decimal(p, "ep", wp),
                version=version,
                kind=KIND,
            )
        )
    return out


def _algo_update(msg: Mapping[str, Any]) -> list[Event]:
    where = "ALGO_UPDATE"
    version = fields.integer(msg, "T", where)
    w = f"{where}.o"
    o = fields.obj(fields.field(msg, "o", where), w)
    _one_way(o, "ps", w)
    order_id = ALGO_PREFIX + fields.ident(o, "aid", w)
    cid, _ = _client_id(o, "caid", w)
    status = fields.choice(o, "X", w, _ALGO_STATUS)
    quantity = fields.decimal(o, "q", w)
    price, type_ = _limit_price(fields.decimal(o, "p", w))
    triggered: str | None = None
    if status == "triggered":
        raw = o.get("ai")
        triggered = None if raw is None or raw == "" else fields.ident(o, "ai", w)
    if quantity == 0 and o.get("cp") is True:
        return [MessageIgnored(venue=VENUE, kind=f"{where}:closePosition")]
    return [
        fields.build(
            OrderReported,
            w,
            symbol=fields.text(o, "s", w),
            order_id=order_id,
            client_order_id=cid,
            side=fields.choice(o, "S", w, _SIDES),
            status=status,
            quantity=quantity,
            price=price,
            # The triggered order carries the fills under its own id (``ai``): counting
            # them here too would imply fills this order never reports.
            filled_quantity=_ZERO,
            average_price=None,
            version=version,
            kind=KIND,
            order_type=type_,
            conditional=True,
            triggered_order_id=triggered,
        )
    ]


def _listen_key_expired(msg: Mapping[str, Any]) -> list[Event]:
    return [StreamDisconnected(stream=STREAM, reason="listenKeyExpired")]


_HANDLERS: Final = {
    "ORDER_TRADE_UPDATE": _order_trade_update,
    "TRADE_LITE": _trade_lite,
    "ACCOUNT_UPDATE": _account_update,
    "ALGO_UPDATE": _algo_update,
    "listenKeyExpired": _listen_key_expired,
}


# --- stream, fast path ---------------------------------------------------------------------
#
# Each returns exactly what the careful handler returns for the same message, or None
# whenever anything is not the plain expected shape (a missing key, a value of another
# type, a string the careful path would refuse, an event the core would refuse): the
# careful path then runs and is the one that accepts it or raises the ParseError naming
# the field. tests/adapters/test_binance_usdm_fastpath.py checks the two agree.
#
# The events are built unchecked (core.events.unchecked_*): reading the message already
# proves most of what the core checks (types, finite decimals, known words, ids, versions);
# what it does not is checked here, marked "core:", and anything else means None.

_qd: Final = fields.quick_decimal
_fresh: Final = fields.fresh_decimal
# Checked for type str first (a str subclass must not hit the cache); on a miss, _qd decides.
_hit: Final = fields.cached_decimal
_MAX_INT: Final = 10**40  # fields._MAX_INT: larger ints are not ids, times or sequences
_ORDER_FIELDS: Final = itemgetter("ps", "s", "i", "S", "o", "x", "X", "q", "p", "ap", "z", "l")
_LITE_FIELDS: Final = itemgetter("s", "i", "t", "S", "l", "L", "T")
_POSITION_FIELDS: Final = itemgetter("ps", "s", "pa", "ep")


def _fast_client_id(c: object) -> tuple[str | None, bool] | None:
    """``_client_id`` of a value already read; None where the careful path must decide."""
    if c is None or c == "":
        return None, False
    if type(c) is not str:
        return None
    if c.startswith(_EXCHANGE_MADE):
        return None, True
    return c, False


def _fast_id(value: object) -> str | None:
    """``fields.ident`` of a value already read, or None."""
    if type(value) is int and 0 <= value < _MAX_INT:
        return str(value)
    if type(value) is str and value:
        return value
    return None


def _fast_amount(value: object) -> Decimal | None:
    """``fields.decimal`` of an amount that rarely repeats (read, not kept), or None."""
    if type(value) is not str:
        return None
    d = _hit(value)
    return d if d is not None else _fresh(value)


class _Careful(Exception):
    """A fast reader met a value only the careful path may judge."""


def _fast_optional(value: object) -> Decimal | None:
    """``fields.opt_decimal`` of a value already read; raises ``_Careful`` unless plain."""
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Careful
    d = _hit(value)
    if d is None:
        d = _fresh(value)
        if d is None:
            raise _Careful
    return d


def _fast_order_trade_update(msg: dict[str, Any]) -> list[Event] | None:
    version = msg.get("T")
    o = msg.get("o")
    if type(version) is not int or not 0 <= version < _MAX_INT or type(o) is not dict:
        return None
    try:
        ps, symbol, oid, s_, ot, x, raw, q_, p_, ap_, z_, l_ = _ORDER_FIELDS(o)
    except KeyError:
        return None
    if (
        type(ps) is not str
        or ps != "BOTH"
        or type(symbol) is not str
        or not symbol  # core: a symbol
        or type(s_) is not str
        or type(ot) is not str
        or type(x) is not str
        or type(raw) is not str
        or x not in _EXECUTION_TYPES
        # _qd refuses all but a str: the same None, sooner.
        or type(q_) is not str
        or type(p_) is not str
        or type(ap_) is not str
        or type(z_) is not str
        or type(l_) is not str
    ):
        return None
    order_id = _fast_id(oid)
    client = _fast_client_id(o.get("c"))
    side = _SIDES.get(s_)
    status = _ORDER_STATUS.get(raw)
    quantity, raw_price, last = _hit(q_), _hit(p_), _hit(l_)
    if quantity is None or raw_price is None or last is None:
        quantity, raw_price, last = _qd(q_), _qd(p_), _qd(l_)
    average, cumulative = _hit(ap_), _hit(z_)
    if average is None or cumulative is None:
        average, cumulative = _qd(ap_), _qd(z_)
    if (
        order_id is None
        or client is None
        or side is None
        or status is None
        or quantity is None
        or raw_price is None
        or last is None
        or average is None
        or cumulative is None
        # not a close-position order without a quantity (the careful path reads "cp");
        # core: a positive quantity, a filled quantity within it
        or quantity <= _ZERO
        or cumulative < _ZERO
        or cumulative > quantity
    ):
        return None
    cid, exchange_made = client
    if raw_price > _ZERO:
        price: Decimal | None = raw_price
        type_ = "limit"
    else:
        price, type_ = None, "market"
    if cumulative > _ZERO:
        if average < _ZERO:
            return None  # core: an average price >= 0
    else:
        average = None
    order = unchecked_order_reported(
        symbol,
        order_id,
        cid,
        side,
        status,
        quantity,
        price,
        cumulative,
        average,
        version,
        KIND,
        type_,
        ot in _CONDITIONAL_TYPES and status == "new" and cumulative == _ZERO,
    )
    if x not in _FILL_EXECUTIONS or not last > _ZERO:
        return [order]
    trade_id = _fast_id(o.get("t"))
    lp_ = o.get("L")
    fill_price = _hit(lp_) if type(lp_) is str else None
    if fill_price is None:
        fill_price = _qd(lp_)
    try:
        fee = _fast_optional(o.get("n"))
        pnl = _fast_optional(o.get("rp"))
    except _Careful:
        return None
    fee_asset = o.get("N")
    if fee_asset == "":
        fee_asset = None
    if (
        trade_id is None
        or fill_price is None
        or (fee_asset is not None and type(fee_asset) is not str)
        or fill_price <= _ZERO  # core: a positive price
    ):
        return None
    if fee is None:
        fee = _ZERO  # as the careful path: a full message without commission charged none
    elif fee and fee_asset is None:
        return None  # core: a fee names its asset
    fill = unchecked_fill_reported(
        symbol,
        order_id,
        cid,
        trade_id,
        side,
        last,
        fill_price,
        fee,
        fee_asset,
        version,
        KIND,
        pnl,
        exchange_made or x == "CALCULATED",
    )
    return [order, fill]


def _fast_trade_lite(msg: dict[str, Any]) -> list[Event] | None:
    try:
        symbol, oid, tid, s_, l_, lp_, version = _LITE_FIELDS(msg)
    except KeyError:
        return None
    if (
        type(symbol) is not str
        or not symbol  # core: a symbol
        or type(s_) is not str
        or type(l_) is not str
        or type(lp_) is not str
        or type(version) is not int
        or not 0 <= version < _MAX_INT
    ):
        return None
    order_id = _fast_id(oid)
    trade_id = _fast_id(tid)
    client = _fast_client_id(msg.get("c"))
    side = _SIDES.get(s_)
    quantity, price = _hit(l_), _hit(lp_)
    if quantity is None or price is None:
        quantity, price = _qd(l_), _qd(lp_)
    try:
        size = _fast_optional(msg.get("q"))
    except _Careful:
        return None
    if (
        order_id is None
        or trade_id is None
        or client is None
        or side is None
        or quantity is None
        or price is None
        # core: a positive quantity and price
        or quantity <= _ZERO
        or price <= _ZERO
    ):
        return None
    if size is not None and size < quantity:
        size = None  # as the careful path: below the fill, it bounds nothing
    return [
        unchecked_fill_reported(
            symbol,
            order_id,
            client[0],
            trade_id,
            side,
            quantity,
            price,
            None,
            None,
            version,
            KIND,
            None,
            client[1],
            size,
        )
    ]


def _fast_account_update(msg: dict[str, Any]) -> list[Event] | None:
    version = msg.get("T")
    a = msg.get("a")
    if type(version) is not int or not 0 <= version < _MAX_INT or type(a) is not dict:
        return None
    reason = a.get("m")
    balances = a.get("B")
    positions = a.get("P")
    if (
        type(reason) is not str
        or not reason
        or (balances is not None and type(balances) is not list)
        or (positions is not None and type(positions) is not list)
    ):
        return None
    out: list[Event] = []
    if balances:
        for b in balances:
            if type(b) is not dict:
                return None
            asset = b.get("a")
            total = _fast_amount(b.get("wb"))
            try:
                change = _fast_optional(b.get("bc"))
            except _Careful:
                return None
            if type(asset) is not str or not asset or total is None:
                return None  # core: an asset
            out.append(unchecked_balance_reported(asset, total, None, version))
            if reason != "ORDER" and change is not None and change != _ZERO:
                out.append(CashChanged(asset, change, change, version, reason))
    if positions:
        for p in positions:
            if type(p) is not dict:
                return None
            try:
                ps, symbol, pa_, ep_ = _POSITION_FIELDS(p)
            except KeyError:
                return None
            if type(ps) is not str or ps != "BOTH" or type(symbol) is not str or not symbol:
                return None  # core: a symbol
            quantity = _fast_amount(pa_)
            entry = _fast_amount(ep_)
            if quantity is None or entry is None or entry < _ZERO:
                return None  # core: an entry price >= 0
            out.append(unchecked_position_reported(symbol, quantity, entry, version, KIND))
    return out


_FAST: Final[dict[str, Callable[[dict[str, Any]], list[Event] | None]]] = {
    "ORDER_TRADE_UPDATE": _fast_order_trade_update,
    "TRADE_LITE": _fast_trade_lite,
    "ACCOUNT_UPDATE": _fast_account_update,
}


# --- REST -------------------------------------------------------------------------------


def _rest_order(row: Any, where: str) -> OrderReported | MessageIgnored:
    """One order of GET /fapi/v1/order or /fapi/v1/openOrders."""
    r = fields.obj(row, where)
    _one_way(r, "positionSide", where)
    cid, _ = _client_id(r, "clientOrderId", where)
    status = fields.choice(r, "status", where, _ORDER_STATUS)
    quantity = fields.decimal(r, "origQty", where)
    executed = fields.decimal(r, "executedQty", where)
    order_type = fields.text(r, "type", where)
    price, type_ = _limit_price(fields.decimal(r, "price", where))
    average = fields.decimal(r, "avgPrice", where)
    if quantity == 0 and r.get("closePosition") is True:
        quantity = executed
        if quantity == 0:
            return MessageIgnored(venue=VENUE, kind="order:closePosition")
    return fields.build(
        OrderReported,
        where,
        symbol=fields.text(r, "symbol", where),
        order_id=fields.ident(r, "orderId", where),
        client_order_id=cid,
        side=fields.choice(r, "side", where, _SIDES),
        status=status,
        quantity=quantity,
        price=price,
        filled_quantity=executed,
        average_price=average if executed > 0 else None,
        version=fields.integer(r, "updateTime", where),
        kind=KIND,
        order_type=type_,
        conditional=order_type in _CONDITIONAL_TYPES and status == "new" and executed == 0,
    )


def parse_order(body: Any) -> list[Event]:
    """Events from a GET /fapi/v1/order answer (an order); error bodies go to ``parse_error``."""
    _refuse_error_body(body, "order")
    return [_rest_order(body, "order")]


def parse_error(
    body: Any, client_order_id: str | None, *, order_id: str | None = None
) -> list[Event]:
    """The outcome of an error answer ``{"code", "msg"}`` to the bot's order request.

    -2013 NO_SUCH_ORDER (order query) is ``OrderNotFound``; -1006/-1007 (execution
    status unknown) and a WebSocket-API status 5xx leave the order's fate unknown
    (``SubmissionTimedOut``); -2011 CANCEL_REJECTED is ``CancelFailed``; any other code
    is a definite ``SubmissionFailed``.
    """
    where = "error"
    status: object = None
    err: Any = body
    if isinstance(body, Mapping) and "error" in body:
        # WebSocket-API answers wrap the same {"code", "msg"} in {"status", "error"}.
        status, err = body.get("status"), body["error"]
    b = fields.obj(err, where)
    code = fields.field(b, "code", where)
    if type(code) is not int or code >= 0:
        raise ParseError(f"{where}.code: expected a negative integer error code, got {code!r:.80}")
    text = b.get("msg")
    reason = f"{code}: {text}" if isinstance(text, str) and text else str(code)
    if code == -2013:
        return [
            fields.build(OrderNotFound, where, client_order_id=client_order_id, order_id=order_id)
        ]
    if code in (-1006, -1007) or (type(status) is int and status >= 500):
        return [
            fields.build(SubmissionTimedOut, where, client_order_id=client_order_id, reason=reason)
        ]
    if code == -2011:
        return [fields.build(CancelFailed, where, client_order_id=client_order_id, reason=reason)]
    return [fields.build(SubmissionFailed, where, client_order_id=client_order_id, reason=reason)]


def _max_time(rows: list[Mapping[str, Any]], key: str, where: str) -> int:
    return max((fields.integer(r, key, f"{where}[{n}]") for n, r in enumerate(rows)), default=0)


def _available(a: Mapping[str, Any], total: Decimal, where: str) -> Decimal:
    """What of an asset the venue says is available: maxWithdrawAmount, else total."""
    free = fields.opt_decimal(a, "maxWithdrawAmount", where)
    return total if free is None or free > total else free


def _account(body: Any) -> tuple[list[BalanceReported], int]:
    """Balances of GET /fapi/v2|v3/account: total = walletBalance, free = maxWithdrawAmount
    (the asset's own available amount; availableBalance is account-wide in multi-assets
    mode), never above the wallet balance."""
    where = "account"
    _refuse_error_body(body, where)
    acct = fields.obj(body, where)
    assets = [
        fields.obj(r, f"{where}.assets[{n}]")
        for n, r in enumerate(fields.items(acct, "assets", where))
    ]
    rows = [
        fields.obj(r, f"{where}.positions[{n}]")
        for n, r in enumerate(_optional_list(acct, "positions", where))
    ]
    for n, r in enumerate(rows):
        # Positions are read from positionRisk (v3 account rows have no entry price),
        # but a hedge-mode account is refused wherever it shows.
        if r.get("positionSide") is not None:
            _one_way(r, "positionSide", f"{where}.positions[{n}]")
    version = max(
        _max_time(assets, "updateTime", f"{where}.assets"),
        _max_time(rows, "updateTime", f"{where}.positions"),
    )
    balances = []
    for n, a in enumerate(assets):
        wa = f"{where}.assets[{n}]"
        total = fields.decimal(a, "walletBalance", wa)
        balances.append(
            fields.build(
                BalanceReported,
                wa,
                asset=fields.text(a, "asset", wa),
                total=total,
                free=_available(a, total, wa),
                version=version,
            )
        )
    return balances, version


def _positions(body: Any) -> tuple[list[PositionReported], int]:
    """Positions of GET /fapi/v2|v3/positionRisk (one-way rows)."""
    where = "positions"
    rows = [fields.obj(r, f"{where}[{n}]") for n, r in enumerate(_rest_list(body, where))]
    version = _max_time(rows, "updateTime", where)
    out = []
    for n, r in enumerate(rows):
        wr = f"{where}[{n}]"
        _one_way(r, "positionSide", wr)
        out.append(
            fields.build(
                PositionReported,
                wr,
                symbol=fields.text(r, "symbol", wr),
                quantity=fields.decimal(r, "positionAmt", wr),
                entry_price=fields.decimal(r, "entryPrice", wr),
                version=version,
                kind=KIND,
            )
        )
    return out, version


def _trades(body: Any) -> list[FillReported]:
    """Fills of GET /fapi/v1/userTrades, each at its own ``time``."""
    where = "trades"
    out = []
    for n, row in enumerate(_rest_list(body, where)):
        wr = f"{where}[{n}]"
        r = fields.obj(row, wr)
        _one_way(r, "positionSide", wr)
        out.append(
            fields.build(
                FillReported,
                wr,
                symbol=fields.text(r, "symbol", wr),
                order_id=fields.ident(r, "orderId", wr),
                client_order_id=None,
                trade_id=fields.ident(r, "id", wr),
                side=fields.choice(r, "side", wr, _SIDES),
                quantity=fields.decimal(r, "qty", wr),
                price=fields.decimal(r, "price", wr),
                fee=fields.decimal(r, "commission", wr),
                fee_asset=fields.opt_text(r, "commissionAsset", wr),
                version=fields.integer(r, "time", wr),
                kind=KIND,
                realized_pnl=fields.opt_decimal(r, "realizedPnl", wr),
            )
        )
    return out


def parse_snapshot(
    *,
    account: Any = None,
    positions: Any = None,
    open_orders: Any = None,
    trades: Any = None,
) -> list[Event]:
    """A ``SnapshotTaken`` from REST bodies: account (v2/v3), positionRisk, openOrders, userTrades.

    Balances and positions are versioned by the newest ``updateTime`` of their own body
    (the account's last change in that part), each open order by its own; the snapshot's
    version is the newest ``updateTime`` of all. A part not passed is left out and marked
    incomplete. Fetch open orders last: an order missing from the list is then gone.
    """
    if account is None and positions is None and open_orders is None and trades is None:
        raise ParseError("snapshot: no REST body given")
    versions = [0]
    balances: list[BalanceReported] = []
    if account is not None:
        balances, v = _account(account)
        versions.append(v)
    position_reports: list[PositionReported] = []
    if positions is not None:
        position_reports, v = _positions(positions)
        versions.append(v)
    orders: list[OrderReported] = []
    if open_orders is not None:
        for n, row in enumerate(_rest_list(open_orders, "open_orders")):
            r = _rest_order(row, f"open_orders[{n}]")
            if isinstance(r, OrderReported):
                orders.append(r)
                versions.append(r.version)
    # Trades are deltas deduplicated by trade id: their times describe no cut of the account.
    fills = _trades(trades) if trades is not None else []
    return [
        fields.build(
            SnapshotTaken,
            "snapshot",
            version=max(versions),
            balances=tuple(balances),
            positions=tuple(position_reports),
            open_orders=tuple(orders),
            trades=tuple(fills),
            balances_complete=account is not None,
            positions_complete=positions is not None,
            orders_complete=open_orders is not None,
        )
    ]
