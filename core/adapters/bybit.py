"""Bybit v5 (unified account) private WebSocket and REST payloads to core events.

Pure: one decoded message (or REST body) in, events out; no I/O, clocks or state.
Version rules, tie rules and the handled/ignored/refused message kinds are documented
in ``spec/venues/bybit.md``. In short: orders are versioned by ``updatedTime``, fills
by ``execTime``, positions by ``updatedTime``, wallet pushes by the message's
``creationTime`` and REST bodies by their ``time`` (all milliseconds; a report at T
covers every change at T or earlier).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Any, Final

from core.adapters import fields as F
from core.errors import ParseError
from core.events import (
    BalanceReported,
    CashChanged,
    Event,
    FillReported,
    MessageIgnored,
    OrderNotFound,
    OrderReported,
    PositionReported,
    SnapshotTaken,
    StreamDisconnected,
)

VENUE: Final = "bybit"
#: The stream name carried by ``StreamDisconnected`` (Bybit has one private stream).
STREAM: Final = "private"

_ZERO: Final = Decimal(0)
# Subtraction must be exact: 60 digits covers any real balance; anything needing more
# (or an absurd exponent) is refused instead of silently rounded.
_EXACT: Final = Context(
    prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Overflow, InvalidOperation]
)
# Ms times and sequence-like ids have < 20 digits; the bound keeps int() within Python's
# digit limit so a fuzzed huge number is a ParseError, never a ValueError.
_MAX_DIGITS: Final = 30

# category -> core kind; option is a known category the core does not model (None).
_CATEGORIES: Final[Mapping[str, str | None]] = {
    "spot": "spot",
    "linear": "linear",
    "inverse": "inverse",
    "option": None,
}
_SIDES: Final = {"Buy": "buy", "Sell": "sell"}
_ORDER_TYPES: Final = {"Limit": "limit", "Market": "market"}
# orderStatus -> (core status, conditional). Triggered keeps its orderId on Bybit, so
# it is the same order going live ("new"), not a hand-over to another order id.
_STATUSES: Final[Mapping[str, tuple[str, bool]]] = {
    "New": ("new", False),
    "PartiallyFilled": ("partially_filled", False),
    "Filled": ("filled", False),
    "Cancelled": ("canceled", False),
    "PartiallyFilledCanceled": ("canceled", False),
    "Rejected": ("rejected", False),
    "Deactivated": ("canceled", True),
    "Untriggered": ("new", True),
    "Triggered": ("new", False),
}
_TERMINAL: Final = frozenset({"filled", "canceled", "rejected"})
# execType -> liquidation flag, for executions that are trades of the account.
_FILL_EXEC: Final[Mapping[str, bool]] = {
    "Trade": False,
    "BlockTrade": False,
    "MovePosition": False,
    "FutureSpread": False,
    "Delivery": False,
    "AdlTrade": True,
    "BustTrade": True,
}
# Known execTypes whose payload shape is undocumented: named, not guessed at.
_IGNORED_EXEC: Final = frozenset({"Settle", "UNKNOWN"})
_OPS: Final = frozenset({"auth", "subscribe", "unsubscribe", "ping", "pong"})
_HEARTBEATS: Final = frozenset({"ping", "pong"})
_PRIVATE_TOPICS: Final = ("order", "execution", "execution.fast", "position")

# Settle coin from Bybit's documented symbol naming (enum.mdx, "symbol"): USDT perps and
# futures (BTCUSDT, BTCUSDT-21FEB25), USDC perps and futures (BTCPERP, BTC-24MAR23),
# inverse perps and futures (BTCUSD, BTCUSDH23: settled in the base coin).
_USDT_LINEAR: Final = re.compile(r"[A-Z0-9]+USDT(?:-[0-9]{1,2}[A-Z]{3}[0-9]{2})?", re.ASCII)
_USDC_LINEAR: Final = re.compile(r"[A-Z0-9]+(?:PERP|USDC|-[0-9]{1,2}[A-Z]{3}[0-9]{2})", re.ASCII)
_INVERSE: Final = re.compile(r"([A-Z0-9]+?)USD(?:[FGHJKMNQUVXZ][0-9]{2})?", re.ASCII)


# --- small field readers ------------------------------------------------------------------


def _huge(value: Any) -> bool:
    return type(value) is int and abs(value) >= 10**_MAX_DIGITS


def _time(msg: Mapping[str, Any], key: str, where: str) -> int:
    value = F.field(msg, key, where)
    if (type(value) is str and len(value) > _MAX_DIGITS) or _huge(value):
        raise ParseError(f"{where}.{key}: not a plausible time")
    return F.integer(msg, key, where)


def _ident(msg: Mapping[str, Any], key: str, where: str) -> str:
    if _huge(F.field(msg, key, where)):
        raise ParseError(f"{where}.{key}: not a plausible id")
    return F.ident(msg, key, where)


def _minus(a: Decimal, b: Decimal, name: str) -> Decimal:
    try:
        return _EXACT.subtract(a, b)
    except DecimalException:
        raise ParseError(f"{name}: {a} - {b} is not exactly representable") from None


def _plus(a: Decimal, b: Decimal, name: str) -> Decimal:
    try:
        return _EXACT.add(a, b)
    except DecimalException:
        raise ParseError(f"{name}: {a} + {b} is not exactly representable") from None


def _kind(msg: Mapping[str, Any], where: str) -> str | None:
    """The core kind of a Bybit category; None for option (not modelled)."""
    return F.choice(msg, "category", where, _CATEGORIES)


def _one_way(msg: Mapping[str, Any], where: str, required: bool) -> None:
    """Refuse hedge-mode payloads (positionIdx 1 = Buy leg, 2 = Sell leg)."""
    if "positionIdx" not in msg and not required:
        return
    idx = F.field(msg, "positionIdx", where)
    if type(idx) is not int or idx not in (0, 1, 2):
        raise ParseError(f"{where}.positionIdx: expected 0, 1 or 2, got {idx!r:.40}")
    if idx:
        raise ParseError(
            f"{where}.positionIdx: {idx} is a hedge-mode position; hedge mode is not supported "
            "(use one-way mode, positionIdx 0)"
        )


def _settle_coin(symbol: str, kind: str) -> str | None:
    """The settle coin a derivative's symbol names, per Bybit's naming; None if unknown."""
    if kind == "linear":
        if _USDT_LINEAR.fullmatch(symbol):
            return "USDT"
        if _USDC_LINEAR.fullmatch(symbol):
            return "USDC"
        return None
    if kind == "inverse":
        m = _INVERSE.fullmatch(symbol)
        return m.group(1) if m else None
    return None


def _fee_asset(
    msg: Mapping[str, Any], symbol: str, kind: str, fee: Decimal, where: str
) -> str | None:
    """``feeCurrency`` where sent; for a derivative without it, the symbol's settle coin."""
    asset = F.opt_text(msg, "feeCurrency", where)
    if asset is None and kind != "spot":
        asset = _settle_coin(symbol, kind)
    if asset is None and fee != 0:
        raise ParseError(
            f"{where}.feeCurrency: missing, and the fee asset of {symbol!r} ({kind}) cannot be "
            "told without it"
        )
    return asset


# --- orders ---------------------------------------------------------------------------------


def _order(item: Any, where: str, kind: str) -> OrderReported | MessageIgnored:
    """One order object (WS ``order`` item or REST open-orders row) of a known kind."""
    item = F.obj(item, where)
    symbol = F.text(item, "symbol", where)
    order_id = _ident(item, "orderId", where)
    client_id = F.opt_text(item, "orderLinkId", where)
    side = F.choice(item, "side", where, _SIDES)
    status, conditional = F.choice(item, "orderStatus", where, _STATUSES)
    _one_way(item, where, required=kind != "spot")
    order_type = F.choice(item, "orderType", where, _ORDER_TYPES)
    qty = F.decimal(item, "qty", where)
    filled = F.decimal(item, "cumExecQty", where)
    version = _time(item, "updatedTime", where)
    price: Decimal | None = None
    if order_type == "limit":
        price = F.opt_decimal(item, "price", where)
        if price is not None and price == 0:
            price = None
    avg = F.opt_decimal(item, "avgPrice", where)
    average = avg if filled > 0 and avg else None
    if conditional and qty == 0:
        # A TP/SL sized by the whole position carries no quantity of its own.
        return MessageIgnored(venue=VENUE, kind="order:conditional-without-qty")
    if kind == "spot" and order_type == "market":
        unit = F.opt_text(item, "marketUnit", where)
        if unit not in (None, "baseCoin", "quoteCoin"):
            raise ParseError(f"{where}.marketUnit: unknown value {unit!r:.40}")
        # A spot market order's qty is quote coin when so marked, and by default for a buy.
        if unit == "quoteCoin" or (unit is None and side == "buy"):
            if status in _TERMINAL and filled > 0:
                qty = filled  # over: its base quantity is what filled
            elif status not in _TERMINAL:
                return MessageIgnored(venue=VENUE, kind="order:spot-market-quote-qty")
    return F.build(
        OrderReported,
        where,
        symbol=symbol,
        order_id=order_id,
        client_order_id=client_id,
        side=side,
        status=status,
        quantity=qty,
        price=price,
        filled_quantity=filled,
        average_price=average,
        version=version,
        kind=kind,
        order_type=order_type,
        conditional=conditional,
    )


def _orders(message: Mapping[str, Any], topic: str) -> list[Event]:
    out: list[Event] = []
    for i, item in enumerate(F.items(message, "data", topic)):
        where = f"{topic}[{i}]"
        kind = _kind(F.obj(item, where), where)
        if kind is None:
            out.append(MessageIgnored(venue=VENUE, kind="order:option"))
            continue
        out.append(_order(item, where, kind))
    return out


# --- executions -----------------------------------------------------------------------------


def _extra_fees(item: Mapping[str, Any], where: str) -> list[tuple[str, Decimal]]:
    """``extraFees`` (e.g. GST), charged on top of ``execFee``: (coin, fee) each."""
    raw = item.get("extraFees")
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise ParseError(f"{where}.extraFees: expected a list, got {raw!r:.40}")
    out: list[tuple[str, Decimal]] = []
    for i, raw_row in enumerate(raw):
        w = f"{where}.extraFees[{i}]"
        row = F.obj(raw_row, w)
        out.append((F.text(row, "feeCoin", w), F.decimal(row, "fee", w)))
    return out


def _order_size(
    item: Mapping[str, Any], where: str, kind: str, quantity: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """(orderQty, leavesQty) where they are in the fill's own unit: every derivative, and
    a spot limit order (a spot market order's may be quote coin, ``marketUnit``)."""
    if kind == "spot" and F.opt_text(item, "orderType", where) != "Limit":
        return None, None
    size = F.opt_decimal(item, "orderQty", where)
    if size is None or size <= 0:
        return None, None
    left = F.opt_decimal(item, "leavesQty", where)
    if left is not None and (left < 0 or left + quantity > size):
        left = None  # not after this fill (a later state): the size alone still bounds
    if quantity > size:
        raise ParseError(f"{where}.orderQty: {size} below the execQty {quantity}")
    return size, left


def _fill(
    item: Mapping[str, Any],
    where: str,
    kind: str,
    fast: bool,
    other_fees: list[Event] | None = None,
) -> FillReported:
    """A trade of the account; ``fast`` (execution.fast) carries no fee, type or PnL.

    ``extraFees`` in the fee's coin add to it; one in another coin is appended to
    ``other_fees`` as a cash change (keyed by the execution), or dropped where None (a
    REST snapshot's wallet already includes it).
    """
    symbol = F.text(item, "symbol", where)
    liquidation = False if fast else F.choice(item, "execType", where, _FILL_EXEC)
    fee: Decimal | None = None
    fee_asset: str | None = None
    pnl: Decimal | None = None
    size: Decimal | None = None
    left: Decimal | None = None
    quantity = F.decimal(item, "execQty", where)
    if not fast:
        fee = F.decimal(item, "execFee", where)
        fee_asset = _fee_asset(item, symbol, kind, fee, where)
        for n, (coin, extra) in enumerate(_extra_fees(item, where)):
            if fee_asset is None and fee == 0:
                fee_asset = coin
            if coin == fee_asset:
                fee = _plus(fee, extra, f"{where}.extraFees")
            elif other_fees is not None and extra != 0:
                other_fees.append(
                    F.build(
                        CashChanged,
                        f"{where}.extraFees[{n}]",
                        asset=coin,
                        total_delta=extra.copy_negate(),
                        free_delta=extra.copy_negate(),
                        version=_time(item, "execTime", where),
                        reason="fee",
                        change_id=f"{_ident(item, 'execId', where)}:extraFees:{n}",
                    )
                )
        if kind != "spot":
            pnl = F.opt_decimal(item, "execPnl", where)
        size, left = _order_size(item, where, kind, quantity)
    client_id = None if liquidation else F.opt_text(item, "orderLinkId", where)
    return F.build(
        FillReported,
        where,
        symbol=symbol,
        order_id=_ident(item, "orderId", where),
        client_order_id=client_id,
        trade_id=_ident(item, "execId", where),
        side=F.choice(item, "side", where, _SIDES),
        quantity=quantity,
        price=F.decimal(item, "execPrice", where),
        fee=fee,
        fee_asset=fee_asset,
        version=_time(item, "execTime", where),
        kind=kind,
        realized_pnl=pnl,
        liquidation=liquidation,
        order_quantity=size,
        leaves_quantity=left,
    )


def _execution(
    item: Any,
    where: str,
    category: Mapping[str, Any] | None = None,
    other_fees: list[Event] | None = None,
) -> Event | None:
    """One full execution: a fill, a funding payment, or a named ignored kind.

    ``category`` is the REST result whose ``category`` applies to its rows (REST rows
    carry none); ``None`` for a WS item, which carries its own. REST rows that are not
    fills yield None: the snapshot's wallet part already includes them.
    """
    item = F.obj(item, where)
    for_snapshot = category is not None
    source = category if category is not None else item
    exec_type = F.text(item, "execType", where)
    if exec_type == "Funding":
        if for_snapshot:
            return None
        kind = _kind(source, where)
        symbol = F.text(item, "symbol", where)
        fee = F.decimal(item, "execFee", where)
        version = _time(item, "execTime", where)
        change_id = _ident(item, "execId", where)
        asset = _fee_asset(item, symbol, kind or "option", fee, where)
        if asset is None:
            return None  # a zero payment in no known coin changes nothing
        # execFee > 0 is paid (same sign rule as trading fees): the wallet goes down.
        return F.build(
            CashChanged,
            where,
            asset=asset,
            total_delta=fee.copy_negate(),
            free_delta=fee.copy_negate(),
            version=version,
            reason="funding",
            change_id=change_id,
        )
    if exec_type in _IGNORED_EXEC:
        return None if for_snapshot else MessageIgnored(venue=VENUE, kind=f"execution:{exec_type}")
    if exec_type not in _FILL_EXEC:
        raise ParseError(f"{where}.execType: unknown value {exec_type!r:.80}")
    kind = _kind(source, where)
    if kind is None:
        return None if for_snapshot else MessageIgnored(venue=VENUE, kind="execution:option")
    return _fill(item, where, kind, fast=False, other_fees=other_fees)


def _executions(message: Mapping[str, Any], topic: str) -> list[Event]:
    out: list[Event] = []
    for i, item in enumerate(F.items(message, "data", topic)):
        extra: list[Event] = []
        event = _execution(item, f"{topic}[{i}]", other_fees=extra)
        if event is not None:
            out.append(event)
        out += extra
    return out


def _fast(message: Mapping[str, Any], topic: str) -> list[Event]:
    out: list[Event] = []
    for i, raw in enumerate(F.items(message, "data", topic)):
        where = f"{topic}[{i}]"
        item = F.obj(raw, where)
        kind = _kind(item, where)
        if kind is None:
            out.append(MessageIgnored(venue=VENUE, kind="execution.fast:option"))
            continue
        out.append(_fill(item, where, kind, fast=True))
    return out


# --- positions and wallet -------------------------------------------------------------------


def _position(item: Mapping[str, Any], where: str, kind: str, price_key: str) -> PositionReported:
    """One one-way position; ``price_key`` is ``entryPrice`` (WS) or ``avgPrice`` (REST)."""
    if kind == "spot":
        raise ParseError(f"{where}.category: spot has no positions")
    symbol = F.text(item, "symbol", where)
    _one_way(item, where, required=True)
    size = F.decimal(item, "size", where)
    if size < 0:
        raise ParseError(f"{where}.size: must be >= 0 (the direction is in side), got {size}")
    side = F.text(item, "side", where)
    entry = F.opt_decimal(item, price_key, where)
    if size == 0:
        if side not in ("", "None", "Buy", "Sell"):
            raise ParseError(f"{where}.side: unknown value {side!r:.40}")
        quantity, entry = _ZERO, _ZERO
    elif side in _SIDES:
        quantity = size if side == "Buy" else size.copy_negate()
        if entry is None:
            raise ParseError(f"{where}.{price_key}: missing for an open position")
    else:
        raise ParseError(f"{where}.side: {side!r:.40} with size {size}")
    # A never-traded symbol may carry no update time: version 0 covers nothing.
    version = (
        0
        if size == 0 and item.get("updatedTime") in ("", "0")
        else _time(item, "updatedTime", where)
    )
    return F.build(
        PositionReported,
        where,
        symbol=symbol,
        quantity=quantity,
        entry_price=entry,
        version=version,
        kind=kind,
    )


def _positions(message: Mapping[str, Any], topic: str) -> list[Event]:
    out: list[Event] = []
    for i, raw in enumerate(F.items(message, "data", topic)):
        where = f"{topic}[{i}]"
        item = F.obj(raw, where)
        kind = _kind(item, where)
        if kind is None:
            out.append(MessageIgnored(venue=VENUE, kind="position:option"))
            continue
        out.append(_position(item, where, kind, "entryPrice"))
    return out


def _coins(accounts: list[Any], where: str, version: int, seen: set[str]) -> list[BalanceReported]:
    """Wallet balances: total = walletBalance, free = walletBalance - locked (spot order locks).

    A coin without ``locked`` (older wallet pushes, REST): free is ``availableToWithdraw``
    (never above the wallet balance), else 0: free is never read above what the venue
    says is available (P6).
    """
    out: list[BalanceReported] = []
    for i, account in enumerate(accounts):
        aw = f"{where}[{i}]"
        for j, raw in enumerate(F.items(F.obj(account, aw), "coin", aw)):
            cw = f"{aw}.coin[{j}]"
            coin = F.obj(raw, cw)
            asset = F.text(coin, "coin", cw)
            if asset in seen:
                raise ParseError(
                    f"{cw}.coin: {asset!r:.40} listed twice (one Inventory is one account)"
                )
            seen.add(asset)
            total = F.decimal(coin, "walletBalance", cw)
            locked = F.opt_decimal(coin, "locked", cw)
            if locked is not None:
                free = _minus(total, locked, f"{cw}.locked")
            else:
                available = F.opt_decimal(coin, "availableToWithdraw", cw)
                free = _ZERO if available is None else min(available, total)
            out.append(
                F.build(BalanceReported, cw, asset=asset, total=total, free=free, version=version)
            )
    return out


def _wallet(message: Mapping[str, Any], topic: str) -> list[Event]:
    version = _time(message, "creationTime", topic)
    return list(_coins(F.items(message, "data", topic), topic, version, set()))


# --- dispatch -------------------------------------------------------------------------------

_Handler = Callable[[Mapping[str, Any], str], list[Event]]
_TOPICS: Final[Mapping[str, _Handler]] = {
    "order": _orders,
    "execution": _executions,
    "execution.fast": _fast,
    "position": _positions,
    "wallet": _wallet,
}


def _route(topic: str) -> _Handler | None:
    handler = _TOPICS.get(topic)
    if handler is not None:
        return handler
    head, dot, category = topic.rpartition(".")
    if dot and head in _PRIVATE_TOPICS and category in _CATEGORIES:
        return _TOPICS[head]  # categorised topics: order.spot, execution.fast.linear, ...
    return None


def _op(message: Mapping[str, Any]) -> list[Event]:
    op = F.text(message, "op", "op")
    if op not in _OPS:
        return [MessageIgnored(venue=VENUE, kind=f"op:{op}")]
    if "success" not in message and op in _HEARTBEATS:
        return []  # the private pong has no success field
    success = F.field(message, "success", op)
    if type(success) is not bool:
        raise ParseError(f"{op}.success: expected a boolean, got {success!r:.40}")
    if success:
        return []
    reason = F.opt_text(message, "ret_msg", op)
    return [StreamDisconnected(stream=STREAM, reason=f"{op} failed: {reason or 'no reason given'}")]


def parse(message: Any) -> list[Event]:
    """One decoded private WebSocket message to events; ``ParseError`` if malformed."""
    try:
        return _parse(message)
    except ParseError:
        raise
    except ValueError as e:
        # fields.py quotes bad values with repr(), which Python refuses for ints over
        # 4300 digits: such a value is malformed input, not a crash.
        if "integer string conversion" not in str(e):
            raise
        raise ParseError(f"message: a number too large to quote ({e})") from None


def _parse(message: Any) -> list[Event]:
    if isinstance(message, str):
        return [] if message == "pong" else [MessageIgnored(venue=VENUE, kind="text")]
    if not isinstance(message, Mapping):
        return [MessageIgnored(venue=VENUE, kind=type(message).__name__)]
    if "topic" in message:
        topic = F.text(message, "topic", "message")
        handler = _route(topic)
        if handler is None:
            return [MessageIgnored(venue=VENUE, kind=topic)]
        return handler(message, topic)
    if "op" in message:
        return _op(message)
    return [MessageIgnored(venue=VENUE, kind="unknown")]


# --- REST snapshot --------------------------------------------------------------------------


def _pages(value: Any, name: str) -> list[tuple[str, Mapping[str, Any], int]]:
    """REST bodies (one, or a list of pages/categories): (where, result, time) each."""
    bodies = value if isinstance(value, list) else [value]
    if not bodies:
        raise ParseError(f"{name}: an empty list of REST bodies")
    out: list[tuple[str, Mapping[str, Any], int]] = []
    for k, raw in enumerate(bodies):
        where = f"{name}[{k}]" if isinstance(value, list) else name
        body = F.obj(raw, where)
        code = F.field(body, "retCode", where)
        if type(code) is not int:
            raise ParseError(f"{where}.retCode: expected an integer, got {code!r:.40}")
        if code != 0:
            msg = body.get("retMsg")
            raise ParseError(f"{where}.retCode: {code} (the venue answered an error: {msg!r:.80})")
        result = F.obj(F.field(body, "result", where), f"{where}.result")
        out.append((f"{where}.result", result, _time(body, "time", where)))
    return out


def parse_order(
    body: Any, *, order_id: str | None = None, client_order_id: str | None = None
) -> list[Event]:
    """An order query's answer (GET /v5/order/realtime or /v5/order/history with
    ``orderId``/``orderLinkId``) to ``[OrderReported]``; an empty list to ``[OrderNotFound]``
    (pass the ids asked for)."""
    try:
        return _order_answer(body, order_id, client_order_id)
    except ParseError:
        raise
    except ValueError as e:
        if "integer string conversion" not in str(e):
            raise
        raise ParseError(f"order: a number too large to quote ({e})") from None


def _order_answer(body: Any, order_id: str | None, client_order_id: str | None) -> list[Event]:
    out: list[Event] = []
    for where, result, _ in _pages(body, "order"):
        kind = _kind(result, where)
        for i, item in enumerate(F.items(result, "list", where)):
            iw = f"{where}.list[{i}]"
            if kind is None:
                out.append(MessageIgnored(venue=VENUE, kind="order:option"))
                continue
            out.append(_order(item, iw, kind))
    if out:
        return out
    if not order_id and not client_order_id:
        raise ParseError("order.result.list: empty (no such order) but no id was given")
    return [
        F.build(
            OrderNotFound,
            "order",
            client_order_id=client_order_id or None,
            order_id=order_id or None,
        )
    ]


def parse_snapshot(
    *,
    wallet: Any = None,
    positions: Any = None,
    open_orders: Any = None,
    executions: Any = None,
) -> list[Event]:
    """REST bodies (each one body or a list of pages) to one ``SnapshotTaken``.

    ``wallet``: GET /v5/account/wallet-balance; ``positions``: GET /v5/position/list;
    ``open_orders``: GET /v5/order/realtime; ``executions``: GET /v5/execution/list.
    A part not passed is marked incomplete; a passed part must hold every page and
    category the Inventory trades, since a complete part flattens what it omits.
    """
    try:
        return _snapshot(wallet, positions, open_orders, executions)
    except ParseError:
        raise
    except ValueError as e:
        if "integer string conversion" not in str(e):
            raise
        raise ParseError(f"snapshot: a number too large to quote ({e})") from None


def _snapshot(wallet: Any, positions: Any, open_orders: Any, executions: Any) -> list[Event]:
    times: list[int] = []
    balances: list[BalanceReported] = []
    if wallet is not None:
        seen: set[str] = set()
        for where, result, t in _pages(wallet, "wallet"):
            times.append(t)
            balances += _coins(F.items(result, "list", where), f"{where}.list", t, seen)
    reported: list[PositionReported] = []
    if positions is not None:
        keys: set[tuple[str, str]] = set()
        for where, result, t in _pages(positions, "positions"):
            times.append(t)
            kind = _kind(result, where)
            for i, item in enumerate(F.items(result, "list", where)):
                if kind is None:
                    continue
                iw = f"{where}.list[{i}]"
                p = _position(F.obj(item, iw), iw, kind, "avgPrice")
                if (p.symbol, kind) in keys:
                    raise ParseError(f"{iw}.symbol: {p.symbol} listed twice")
                keys.add((p.symbol, kind))
                reported.append(p)
    orders: list[OrderReported] = []
    if open_orders is not None:
        for where, result, t in _pages(open_orders, "open_orders"):
            times.append(t)
            kind = _kind(result, where)
            for i, item in enumerate(F.items(result, "list", where)):
                if kind is None:
                    continue
                o = _order(item, f"{where}.list[{i}]", kind)
                if isinstance(o, OrderReported):
                    orders.append(o)
    trades: list[FillReported] = []
    if executions is not None:
        for where, result, t in _pages(executions, "executions"):
            times.append(t)
            _kind(result, where)
            for i, item in enumerate(F.items(result, "list", where)):
                ev = _execution(item, f"{where}.list[{i}]", category=result)
                if isinstance(ev, FillReported):
                    trades.append(ev)
    if not times:
        raise ParseError("parse_snapshot: no REST body given")
    return [
        F.build(
            SnapshotTaken,
            "snapshot",
            version=min(times),
            balances=tuple(balances),
            positions=tuple(reported),
            open_orders=tuple(orders),
            trades=tuple(trades),
            balances_complete=wallet is not None,
            positions_complete=positions is not None,
            orders_complete=open_orders is not None,
        )
    ]
