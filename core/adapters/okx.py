"""OKX v5 private streams and REST bodies -> invsync events (pure; see spec/venues/okx.md).

Versions: an order is versioned by ``uTime`` (algo-advance: ``pTime``), a fill by
``fillTime``, a balance by its currency's ``uTime``, a position by its ``uTime``; all are
millisecond times, so ties are possible (a report at the same millisecond as a fill is
taken to include it). ``balance_and_position`` names the trades it includes
(``trades[].tradeId``): they are passed as ``trade_ids`` so coverage is exact there.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from core.adapters import fields as f
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

VENUE: Final = "okx"

#: ``orders`` channel and REST order states (orders-ch, get-order).
ORDER_STATES: Final[Mapping[str, str]] = {
    "live": "new",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "mmp_canceled": "canceled",
}

#: ``orders-algo`` / ``algo-advance`` states. ``partially_effective`` keeps the algo live
#: (an iceberg/TWAP still places children); ``partially_failed`` has ended. ``order_failed``
#: (triggered, but the order could not be placed) ends an accepted order without a trade:
#: "expired", since "rejected" is only for orders the venue never accepted.
ALGO_STATES: Final[Mapping[str, str]] = {
    "live": "new",
    "pause": "new",
    "partially_effective": "new",
    "effective": "triggered",
    "partially_failed": "triggered",
    "order_failed": "expired",
    "canceled": "canceled",
}

#: Order categories made by the venue's risk engine: their fills are liquidations.
LIQUIDATION_CATEGORIES: Final = frozenset({"adl", "full_liquidation", "partial_liquidation"})

#: Order types without a limit price.
MARKET_TYPES: Final = frozenset({"market", "optimal_limit_ioc"})

#: Instrument types that have a one-way position in invsync (MARGIN, OPTION, EVENTS do not).
POSITION_TYPES: Final = frozenset({"SWAP", "FUTURES"})

#: Instrument types that are spot for invsync (margin trading is spot with borrowing).
SPOT_TYPES: Final = frozenset({"SPOT", "MARGIN"})

#: REST error code of ``GET /api/v5/trade/order`` for an unknown order.
ORDER_DOES_NOT_EXIST: Final = "51603"

#: ``event: notice`` code announcing a disconnect for a service upgrade (a warning only).
NOTICE_UPGRADE: Final = "64008"

_ACK_EVENTS: Final = frozenset({"login", "subscribe", "unsubscribe", "channel-conn-count"})
_STREAM: Final = VENUE
_ZERO: Final = Decimal(0)


# --- small readers ----------------------------------------------------------------------


def _kind(row: Mapping[str, Any], where: str) -> str | None:
    """Spot for SPOT/MARGIN; None for derivatives (linear/inverse is not in the payload)."""
    return "spot" if f.text(row, "instType", where) in SPOT_TYPES else None


def _check_net(row: Mapping[str, Any], where: str) -> None:
    """Refuse hedge-mode rows: invsync tracks one-way (net) positions only."""
    pos_side = f.opt_text(row, "posSide", where)
    if pos_side in ("long", "short"):
        raise ParseError(
            f"{where}.posSide: {pos_side!r}: hedge mode (long/short) is not supported; "
            "set the account to net mode"
        )
    if pos_side not in (None, "net"):
        raise ParseError(f"{where}.posSide: unknown value {pos_side!r:.80}")


def _rows(msg: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects, each checked."""
    out: list[Mapping[str, Any]] = []
    for i, row in enumerate(f.items(msg, key, where)):
        out.append(f.obj(row, f"{where}.{key}[{i}]"))
    return out


def _positive_or_none(row: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """An optional price: "", "0" and OKX's "-1" (market) mean no limit price."""
    value = f.opt_decimal(row, key, where)
    return value if value is not None and value > 0 else None


def _envelope(body: Any, where: str) -> list[Mapping[str, Any]]:
    """The ``data`` rows of a REST body ``{"code": "0", "msg": "", "data": [...]}``."""
    msg = f.obj(body, where)
    code = f.field(msg, "code", where)
    if code not in ("0", 0):
        raise ParseError(f"{where}.code: venue error {code!r:.20}: {msg.get('msg')!r:.120}")
    return _rows(msg, "data", where)


# --- orders -----------------------------------------------------------------------------


def _order_quantity(
    row: Mapping[str, Any], where: str, status: str, filled: Decimal
) -> Decimal | None:
    """``sz`` in base units (or contracts); None where it is not known yet.

    A spot market order sized in quote (``tgtCcy`` "quote_ccy", the default for a buy) has
    ``sz`` in quote units (FACTS §10): once ended, what filled is its whole base quantity;
    while live its base quantity is not known.
    """
    sz = f.decimal(row, "sz", where)
    if f.opt_text(row, "tgtCcy", where) != "quote_ccy":
        return sz
    if status in ("filled", "canceled") and filled > 0:
        return filled
    if status == "canceled":
        return sz  # ended with nothing filled: no base quantity will ever move
    return None


def _order(row: Mapping[str, Any], where: str) -> OrderReported | MessageIgnored:
    _check_net(row, where)
    status = f.choice(row, "state", where, ORDER_STATES)
    filled = f.decimal(row, "accFillSz", where)
    quantity = _order_quantity(row, where, status, filled)
    if quantity is None:
        # Its fills (in base units) still count; the order's size comes once it ends.
        return MessageIgnored(venue=VENUE, kind="orders:spot-market-quote-sized")
    ord_type = f.text(row, "ordType", where)
    price = None if ord_type in MARKET_TYPES else _positive_or_none(row, "px", where)
    # Venue-made orders share no client id with the bot's (liquidation, ADL).
    liquidation = f.opt_text(row, "category", where) in LIQUIDATION_CATEGORIES
    return f.build(
        OrderReported,
        where,
        symbol=f.text(row, "instId", where),
        order_id=f.ident(row, "ordId", where),
        client_order_id=None if liquidation else f.opt_text(row, "clOrdId", where),
        side=f.choice(row, "side", where, {"buy": "buy", "sell": "sell"}),
        status=status,
        quantity=quantity,
        price=price,
        filled_quantity=filled,
        average_price=f.opt_decimal(row, "avgPx", where),
        version=f.integer(row, "uTime", where),
        kind=_kind(row, where),
        order_type="limit" if price is not None else "market",
    )


def _trade_id(row: Mapping[str, Any], where: str) -> str | None:
    """The fill's trade id; "" and "0" (an order-level placeholder, FACTS §2) give None."""
    tid = f.opt_text(row, "tradeId", where)
    return None if tid is None or tid == "0" else tid


def _fill(
    row: Mapping[str, Any],
    where: str,
    trade_id: str,
    quantity: Decimal,
    *,
    price_key: str,
    fee_key: str,
    fee_ccy_key: str,
) -> FillReported:
    symbol = f.text(row, "instId", where)
    kind = _kind(row, where)
    fee = f.opt_decimal(row, fee_key, where)
    category = f.opt_text(row, "category", where)
    # Negative trade ids are liquidation/ADL fills on /trade/fills (FACTS §2).
    liquidation = category in LIQUIDATION_CATEGORIES or trade_id.startswith("-")
    # fillPnl is meaningless for spot (the doc sample has 0.01 on a spot sell).
    pnl = None if kind == "spot" else f.opt_decimal(row, "fillPnl", where)
    return f.build(
        FillReported,
        where,
        symbol=symbol,
        order_id=f.ident(row, "ordId", where),
        client_order_id=None if liquidation else f.opt_text(row, "clOrdId", where),
        trade_id=trade_id,
        side=f.choice(row, "side", where, {"buy": "buy", "sell": "sell"}),
        quantity=quantity,
        price=f.decimal(row, price_key, where),
        # OKX: negative = charged; invsync: positive = charged.
        fee=None if fee is None else (fee.copy_negate() if fee else _ZERO),
        fee_asset=f.opt_text(row, fee_ccy_key, where),
        version=f.integer(row, "fillTime", where),
        kind=kind,
        realized_pnl=pnl,
        liquidation=liquidation,
    )


def _orders_push(rows: list[Mapping[str, Any]], where: str) -> list[Event]:
    out: list[Event] = []
    for i, row in enumerate(rows):
        w = f"{where}[{i}]"
        out.append(_order(row, w))
        size = f.opt_decimal(row, "fillSz", w)
        if size is None or size <= 0:
            continue  # market orders may end "filled" with fillSz 0 (orders-ch)
        tid = _trade_id(row, w)
        if tid is None:
            continue  # no per-trade id: the order's accFillSz implies the fill instead
        out.append(
            _fill(
                row, w, tid, size, price_key="fillPx", fee_key="fillFee", fee_ccy_key="fillFeeCcy"
            )
        )
    return out


def _algo_push(rows: list[Mapping[str, Any]], channel: str, time_key: str) -> list[Event]:
    out: list[Event] = []
    where = f"{channel}.data"
    for i, row in enumerate(rows):
        w = f"{where}[{i}]"
        _check_net(row, w)
        status = f.choice(row, "state", w, ALGO_STATES)
        size = f.opt_decimal(row, "sz", w)
        if size is None or size <= 0:
            # A close-position TP/SL (closeFraction) has no size of its own.
            out.append(MessageIgnored(venue=VENUE, kind=f"{channel}:no-size"))
            continue
        triggered = f.opt_text(row, "ordId", w)
        if triggered is None:
            ids = row.get("ordIdList")
            if isinstance(ids, list) and ids and type(ids[0]) is str and ids[0]:
                triggered = ids[0]
        price = _positive_or_none(row, "ordPx", w)
        out.append(
            f.build(
                OrderReported,
                w,
                symbol=f.text(row, "instId", w),
                order_id=f.ident(row, "algoId", w),
                client_order_id=f.opt_text(row, "algoClOrdId", w),
                side=f.choice(row, "side", w, {"buy": "buy", "sell": "sell"}),
                status=status,
                quantity=size,
                price=price,
                filled_quantity=_ZERO,
                average_price=None,
                version=f.integer(row, time_key, w),
                kind=_kind(row, w),
                order_type="limit" if price is not None else "market",
                conditional=True,
                triggered_order_id=triggered if status == "triggered" else None,
            )
        )
    return out


# --- balances and positions -----------------------------------------------------------------


def _balance(detail: Mapping[str, Any], where: str) -> BalanceReported:
    # cashBal is the wallet balance; eq adds unrealized PnL and bot equity (acct-ch).
    total = f.decimal(detail, "cashBal", where)
    free = f.opt_decimal(detail, "availBal", where)
    return f.build(
        BalanceReported,
        where,
        asset=f.text(detail, "ccy", where),
        total=total,
        free=total if free is None else free,
        version=f.integer(detail, "uTime", where),
    )


def _balances(rows: list[Mapping[str, Any]], where: str) -> list[BalanceReported]:
    out: list[BalanceReported] = []
    for i, row in enumerate(rows):
        w = f"{where}[{i}]"
        for j, detail in enumerate(_rows(row, "details", w)):
            out.append(_balance(detail, f"{w}.details[{j}]"))
    return out


def _position(
    row: Mapping[str, Any], where: str, trade_ids: frozenset[str] | None
) -> PositionReported | None:
    """A net-mode SWAP/FUTURES position; None for an instrument type without one."""
    _check_net(row, where)
    if f.text(row, "instType", where) not in POSITION_TYPES:
        return None
    quantity = f.decimal(row, "pos", where)
    entry = f.opt_decimal(row, "avgPx", where)
    last = f.opt_text(row, "tradeId", where)
    if last is not None:
        # "Last trade ID": the position includes that trade.
        trade_ids = (trade_ids or frozenset()) | {last}
    return f.build(
        PositionReported,
        where,
        symbol=f.text(row, "instId", where),
        quantity=quantity,
        entry_price=_ZERO if entry is None or quantity == 0 else entry,
        version=f.integer(row, "uTime", where),
        trade_ids=trade_ids,
    )


def _positions_push(rows: list[Mapping[str, Any]], where: str) -> list[Event]:
    out: list[Event] = []
    for i, row in enumerate(rows):
        p = _position(row, f"{where}[{i}]", None)
        if p is None:
            p_kind = f"positions:{f.text(row, 'instType', f'{where}[{i}]')}"
            out.append(MessageIgnored(venue=VENUE, kind=p_kind))
        else:
            out.append(p)
    return out


def _balance_and_position(rows: list[Mapping[str, Any]], where: str) -> list[Event]:
    out: list[Event] = []
    for i, row in enumerate(rows):
        w = f"{where}[{i}]"
        by_inst: dict[str, set[str]] = {}
        trades = _rows(row, "trades", w) if row.get("trades") is not None else []
        for j, t in enumerate(trades):
            tw = f"{w}.trades[{j}]"
            by_inst.setdefault(f.text(t, "instId", tw), set()).add(f.ident(t, "tradeId", tw))
        every = frozenset(tid for ids in by_inst.values() for tid in ids)
        bal = _rows(row, "balData", w) if row.get("balData") is not None else []
        pos = _rows(row, "posData", w) if row.get("posData") is not None else []
        for j, b in enumerate(bal):
            bw = f"{w}.balData[{j}]"
            total = f.decimal(b, "cashBal", bw)
            # No available amount in this channel: free=None keeps the locked amount.
            out.append(
                f.build(
                    BalanceReported,
                    bw,
                    asset=f.text(b, "ccy", bw),
                    total=total,
                    free=None,
                    version=f.integer(b, "uTime", bw),
                    trade_ids=every or None,
                )
            )
        for j, p in enumerate(pos):
            pw = f"{w}.posData[{j}]"
            ids = by_inst.get(f.text(p, "instId", pw))
            rep = _position(p, pw, frozenset(ids) if ids else None)
            if rep is not None:
                out.append(rep)
    return out


# --- stream messages ------------------------------------------------------------------------


def _event(msg: Mapping[str, Any]) -> list[Event]:
    event = f.text(msg, "event", "message")
    code = msg.get("code")
    if code is not None:
        reason = f"{event} {code}: {msg.get('msg', '')}"
    else:
        reason = f"{event} channel={msg.get('channel')} connCount={msg.get('connCount')}"
    if event in ("error", "channel-conn-count-error"):
        # A failed login/subscription, or a subscription terminated over the limit.
        return [StreamDisconnected(stream=_STREAM, reason=reason[:500])]
    if event == "login" and code not in (None, "0", 0):
        return [StreamDisconnected(stream=_STREAM, reason=reason[:500])]
    if event in _ACK_EVENTS:
        return []
    if event == "notice":
        if code == NOTICE_UPGRADE:
            return []
        return [MessageIgnored(venue=VENUE, kind=f"notice:{code}")]
    return [MessageIgnored(venue=VENUE, kind=f"event:{event}")]


def parse(message: Any) -> list[Event]:
    """One decoded OKX WebSocket message (dict, or the bare text "pong") -> events."""
    if isinstance(message, str):
        return [] if message == "pong" else [MessageIgnored(venue=VENUE, kind="text")]
    msg = f.obj(message, "message")
    if "event" in msg:
        return _event(msg)
    if "arg" not in msg:
        kind = f"op:{msg['op']}" if type(msg.get("op")) is str else "unknown"
        return [MessageIgnored(venue=VENUE, kind=kind)]
    channel = f.text(f.obj(f.field(msg, "arg", ""), "arg"), "channel", "arg")
    if channel == "orders":
        return _orders_push(_rows(msg, "data", "orders"), "orders.data")
    if channel == "account":
        return list(_balances(_rows(msg, "data", "account"), "account.data"))
    if channel == "positions":
        return _positions_push(_rows(msg, "data", "positions"), "positions.data")
    if channel == "balance_and_position":
        return _balance_and_position(
            _rows(msg, "data", "balance_and_position"), "balance_and_position.data"
        )
    if channel == "orders-algo":
        return _algo_push(_rows(msg, "data", "orders-algo"), "orders-algo", "uTime")
    if channel == "algo-advance":
        return _algo_push(_rows(msg, "data", "algo-advance"), "algo-advance", "pTime")
    return [MessageIgnored(venue=VENUE, kind=channel)]


# --- REST -------------------------------------------------------------------------------------


def parse_snapshot(
    *,
    balance: Any = None,
    positions: Any = None,
    open_orders: Any = None,
    fills: Any = None,
) -> list[Event]:
    """REST bodies -> one ``SnapshotTaken``.

    ``balance``: ``GET /api/v5/account/balance`` (no ``ccy`` filter); ``positions``:
    ``GET /api/v5/account/positions`` (unfiltered); ``open_orders``:
    ``GET /api/v5/trade/orders-pending`` (every page); ``fills``:
    ``GET /api/v5/trade/fills``. A part not passed is marked incomplete.
    """
    versions: list[int] = []
    balances: list[BalanceReported] = []
    if balance is not None:
        rows = _envelope(balance, "balance")
        for i, row in enumerate(rows):
            # The account row's uTime is when the venue read the account (the response time).
            versions.append(f.integer(row, "uTime", f"balance.data[{i}]"))
        balances = _balances(rows, "balance.data")
    pos: list[PositionReported] = []
    if positions is not None:
        for i, row in enumerate(_envelope(positions, "positions")):
            p = _position(row, f"positions.data[{i}]", None)
            if p is not None:
                pos.append(p)
    orders: list[OrderReported] = []
    if open_orders is not None:
        for i, row in enumerate(_envelope(open_orders, "open_orders")):
            o = _order(row, f"open_orders.data[{i}]")
            if isinstance(o, OrderReported):
                orders.append(o)
    trades: list[FillReported] = []
    if fills is not None:
        for i, row in enumerate(_envelope(fills, "fills")):
            w = f"fills.data[{i}]"
            if f.opt_text(row, "ordId", w) is None:
                continue  # block trades have no order id (fills: "always \"\" for block trading")
            tid = _trade_id(row, w)
            if tid is None:
                raise ParseError(f"{w}.tradeId: missing trade id")
            trades.append(
                _fill(
                    row,
                    w,
                    tid,
                    f.decimal(row, "fillSz", w),
                    price_key="fillPx",
                    fee_key="fee",
                    fee_ccy_key="feeCcy",
                )
            )
    versions += [b.version for b in balances] + [p.version for p in pos]
    versions += [o.version for o in orders] + [t.version for t in trades]
    return [
        f.build(
            SnapshotTaken,
            "snapshot",
            version=max(versions, default=0),
            balances=tuple(balances),
            positions=tuple(pos),
            open_orders=tuple(orders),
            trades=tuple(trades),
            balances_complete=balance is not None,
            positions_complete=positions is not None,
            orders_complete=open_orders is not None,
        )
    ]


def parse_order(
    body: Any, *, order_id: str | None = None, client_order_id: str | None = None
) -> list[Event]:
    """``GET /api/v5/trade/order`` -> ``[OrderReported]``; 51603 -> ``[OrderNotFound]``.

    Its fill fields describe only the last fill (get-order), so no fill is emitted: the
    cumulative ``accFillSz`` implies them and ``/trade/fills`` reports them.
    """
    msg = f.obj(body, "order")
    if f.field(msg, "code", "order") == ORDER_DOES_NOT_EXIST:
        if order_id is None and client_order_id is None:
            raise ParseError("order.code: 51603 (order does not exist) but no id was given")
        return [
            f.build(
                OrderNotFound,
                "order",
                client_order_id=client_order_id or None,
                order_id=order_id or None,
            )
        ]
    return [_order(row, f"order.data[{i}]") for i, row in enumerate(_envelope(msg, "order"))]


# --- bills: cash changes without an order ------------------------------------------------

#: Bill ``type`` 2 is a trade: its balance change is the fill's, counted from the fill.
_TRADE_BILL: Final = "2"


def parse_bills(body: Any) -> list[Event]:
    """Cash changes from ``GET /api/v5/account/bills`` (funding, transfers, interest, ...).

    Trade bills (``type`` 2) yield nothing: fills carry those changes. Every other bill is
    a ``CashChanged`` of ``balChg`` at version ``ts``, deduplicated by ``billId``; the
    stream shows such changes only inside absolute balance pushes (``account``,
    ``balance_and_position`` with ``eventType`` ``funding_fee``, ``transferred``...),
    which cover the bill once their ``uTime`` reaches its ``ts``.
    """
    where = "bills"
    out: list[Event] = []
    for i, row in enumerate(_envelope(body, where)):
        w = f"{where}.data[{i}]"
        kind = f.text(row, "type", w)
        if kind == _TRADE_BILL:
            continue
        change = f.decimal(row, "balChg", w)
        if change == 0:
            continue
        sub = f.opt_text(row, "subType", w) or ""
        out.append(
            f.build(
                CashChanged,
                w,
                asset=f.text(row, "ccy", w),
                total_delta=change,
                free_delta=change,
                version=f.integer(row, "ts", w),
                reason=f"okx bill type {kind}" + (f" subType {sub}" if sub else ""),
                change_id=f.ident(row, "billId", w),
            )
        )
    return out
