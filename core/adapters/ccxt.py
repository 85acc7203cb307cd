"""ccxt unified structures -> invsync events (pure; see spec/venues/ccxt.md).

This adapter never imports ccxt: it reads the plain dicts ccxt returns from
``fetch_balance``, ``fetch_order(s)``, ``fetch_open_orders``, ``fetch_my_trades``,
``fetch_positions`` and their CCXT Pro ``watch_*`` counterparts.

Numbers: ccxt hands out Python floats (or strings when ``exchange.number = str``). A
float becomes ``Decimal(repr(x))``, never ``Decimal(x)``: ccxt made the float with
``float(exchange_string)``, and ``repr`` is the shortest string that reads back as the
same double, which for any decimal of up to 15 significant digits is that very string
(``Decimal(0.1)`` would be 0.1000000000000000055511151231257827...). Digits past the
17th were lost inside ccxt already; ask ccxt for strings if a venue sends more.

Versions are ccxt's millisecond times: an order is versioned by ``lastUpdateTimestamp``
(or ``lastTradeTimestamp``, whichever is later), else ``timestamp``; a trade by its
``timestamp``; a position by ``lastUpdateTimestamp``, else ``timestamp``, else the
caller's version. A ccxt balance carries no trustworthy time, so the caller gives one.
"""

from __future__ import annotations

import math
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
    OrderReported,
    PositionReported,
    SnapshotTaken,
)

VENUE: Final = "ccxt"

ZERO: Final = Decimal(0)

#: ccxt's unified order statuses (Manual, "Order Structure"). "open" and "closed" are
#: refined by the fill: "open" with a fill is partially filled; "closed" only says the
#: order left the book, so it is "filled" when filled == amount and "canceled" (ended
#: with a remainder, e.g. an IOC or a market order out of liquidity) when below.
ORDER_STATUSES: Final = frozenset({"open", "closed", "canceled", "expired", "rejected"})

SIDES: Final[Mapping[str, str]] = {"buy": "buy", "sell": "sell"}

#: A position's ``side`` gives the sign of its unsigned ``contracts``.
POSITION_SIGNS: Final[Mapping[str, int]] = {"long": 1, "short": -1}

#: Structures the adapter recognises but does not turn into events, by a marker key.
_OTHER_SHAPES: Final = (
    ("txid", "transaction"),
    ("bids", "orderbook"),
    ("bid", "ticker"),
    ("fundingRate", "funding_rate"),
    ("marginMode", "margin_mode"),
)


# --- values ---------------------------------------------------------------------------


def to_decimal(value: Any, name: str) -> Decimal:
    """A ccxt number (float, int or decimal string) as an exact ``Decimal``; finite only."""
    if type(value) is float:
        if not math.isfinite(value):
            raise ParseError(f"{name}: not a finite number: {value!r}")
        # repr, not Decimal(value): see the module docstring.
        return Decimal(repr(value))
    return f.to_decimal(value, name)


def _sum(a: Decimal, b: Decimal, name: str) -> Decimal:
    """a + b, where a huge exponent would overflow the decimal context."""
    try:
        return a + b
    except ArithmeticError:
        raise ParseError(f"{name}: number out of range") from None


def _where(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _num(d: Mapping[str, Any], key: str, where: str) -> Decimal:
    return to_decimal(f.field(d, key, where), _where(where, key))


def _opt_num(d: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    return to_decimal(value, _where(where, key))


def _opt_ms(d: Mapping[str, Any], key: str, where: str) -> int | None:
    """An optional millisecond time; ccxt's ``safe_integer`` gives ints."""
    if d.get(key) is None:
        return None
    return f.integer(d, key, where)


def _caller_version(version: Any, name: str) -> int:
    if type(version) is not int or version < 0:
        raise ParseError(f"{name}: expected an int version >= 0, got {version!r:.80}")
    return version


def _opt_kind(kind: Any) -> str | None:
    if kind is not None and kind not in ("spot", "linear", "inverse"):
        raise ParseError(f"kind: expected 'spot', 'linear', 'inverse' or None, got {kind!r:.80}")
    return kind  # type: ignore[no-any-return]


def _list(value: Any, where: str) -> list[Any]:
    if type(value) is not list:
        raise ParseError(f"{where}: expected a list, got {value!r:.80}")
    return value


# --- trades ---------------------------------------------------------------------------


def _fee(t: Mapping[str, Any], where: str) -> tuple[Decimal | None, str | None]:
    """The trade's fee as (cost, currency); (None, None) when ccxt does not know it.

    ``fees`` (a list) is ccxt's full account and ``fee`` its single-currency summary, so
    ``fees`` wins when it has entries. ccxt's sign is the core's: a cost > 0 is paid, < 0
    a rebate.
    """
    fees = t.get("fees")
    entries: list[tuple[str, Mapping[str, Any]]] = []
    if fees is not None and _list(fees, _where(where, "fees")):
        named = ((f"{where}.fees[{i}]", e) for i, e in enumerate(fees))
        entries = [(w, f.obj(e, w)) for w, e in named]
    elif t.get("fee") is not None:
        entries = [(_where(where, "fee"), f.obj(t["fee"], _where(where, "fee")))]
    known = False
    costs: dict[str, Decimal] = {}
    zero_asset: str | None = None
    for w, e in entries:
        cost = _opt_num(e, "cost", w)
        if cost is None:
            continue  # ccxt's {'cost': None, 'currency': None}: not known
        known = True
        currency = f.opt_text(e, "currency", w)
        if currency is None:
            if cost != 0:
                raise ParseError(f"{w}.currency: missing for fee cost {cost}")
            continue
        if cost == 0:
            zero_asset = zero_asset or currency
            continue
        costs[currency] = _sum(costs.get(currency, ZERO), cost, f"{w}.cost")
    if not known:
        return None, None
    charged = {c: v for c, v in costs.items() if v != 0}
    if len(charged) > 1:
        raise ParseError(
            f"{where}.fees: fees in several currencies ({sorted(charged)}) are not supported"
        )
    if charged:
        currency, cost = next(iter(charged.items()))
        return cost, currency
    return ZERO, (next(iter(costs), None) or zero_asset)


def _trade(
    t: Mapping[str, Any],
    where: str,
    kind: str | None,
    parent: OrderReported | None = None,
) -> FillReported:
    """One ccxt trade; inside an order's ``trades`` the order supplies missing ids."""
    if parent is None:
        order_id = f.ident(t, "order", where)
        symbol = f.text(t, "symbol", where)
        side = f.choice(t, "side", where, SIDES)
        cid = f.opt_text(t, "clientOrderId", where)
    else:
        order_id = f.ident(t, "order", where) if t.get("order") is not None else parent.order_id
        symbol = f.text(t, "symbol", where) if t.get("symbol") is not None else parent.symbol
        side = f.choice(t, "side", where, SIDES) if t.get("side") is not None else parent.side
        cid = f.opt_text(t, "clientOrderId", where) or parent.client_order_id
        for name, mine, theirs in (
            ("order", order_id, parent.order_id),
            ("symbol", symbol, parent.symbol),
            ("side", side, parent.side),
        ):
            if mine != theirs:
                raise ParseError(f"{where}.{name}: {mine!r} differs from the order's {theirs!r}")
    fee, fee_asset = _fee(t, where)
    return f.build(
        FillReported,
        where,
        symbol=symbol,
        order_id=order_id,
        client_order_id=cid,
        trade_id=f.ident(t, "id", where),
        side=side,
        quantity=_num(t, "amount", where),
        price=_num(t, "price", where),
        fee=fee,
        fee_asset=fee_asset,
        version=f.integer(t, "timestamp", where),
        kind=kind,
    )


def _funding(t: Mapping[str, Any], where: str) -> CashChanged | None:
    """A funding payment ccxt lists among trades (Bybit ``execType`` "Funding" rows of
    watch_my_trades): a cash change of its fee, not a fill; None for a real trade."""
    info = t.get("info")
    if not isinstance(info, Mapping) or info.get("execType") != "Funding":
        return None
    fee, currency = _fee(t, where)
    iw = _where(where, "info")
    if fee is None:
        fee = f.decimal(info, "execFee", iw)
    if currency is None:
        currency = f.opt_text(info, "feeCurrency", iw)
    if currency is None:
        symbol = f.text(t, "symbol", where)
        _, colon, settle = symbol.partition(":")  # unified derivative symbols: BTC/USDT:USDT
        currency = settle if colon and settle else None
    if currency is None:
        raise ParseError(f"{where}.fee.currency: missing for a funding row, and no settle coin")
    # A fee > 0 is paid (the core's sign): the wallet goes down by it.
    return f.build(
        CashChanged,
        where,
        asset=currency,
        total_delta=fee.copy_negate(),
        free_delta=fee.copy_negate(),
        version=f.integer(t, "timestamp", where),
        reason="funding",
        change_id=f.ident(t, "id", where),
    )


def _trade_event(t: Mapping[str, Any], where: str, kind: str | None) -> Event:
    funding = _funding(t, where)
    return funding if funding is not None else _trade(t, where, kind)


def parse_trade(trade: Any, kind: Any = None) -> list[Event]:
    """A ccxt trade (``fetch_my_trades``/``watch_my_trades`` entry) as one ``FillReported``
    (or a ``CashChanged`` for a funding payment listed among trades)."""
    return [_trade_event(f.obj(trade, "trade"), "trade", _opt_kind(kind))]


# --- orders ---------------------------------------------------------------------------


def _order_version(o: Mapping[str, Any], where: str) -> int:
    """``lastUpdateTimestamp``/``lastTradeTimestamp`` (the later), else ``timestamp``."""
    later = [
        v
        for v in (_opt_ms(o, "lastUpdateTimestamp", where), _opt_ms(o, "lastTradeTimestamp", where))
        if v is not None
    ]
    if later:
        return max(later)
    if o.get("timestamp") is None:
        raise ParseError(f"{where}.timestamp: is null (and no lastUpdateTimestamp)")
    return f.integer(o, "timestamp", where)


def _order(o: Mapping[str, Any], where: str, kind: str | None) -> OrderReported | MessageIgnored:
    amount = _opt_num(o, "amount", where)
    if amount is None:
        quote_sized = f.opt_text(o, "type", where) == "market" and o.get("cost") is not None
        if not quote_sized:
            raise ParseError(f"{where}.amount: is null")
        # A market order sized in quote (amount null, cost set): its base quantity is what
        # filled once it ended; while live it is not known.
        done = _opt_num(o, "filled", where)
        if f.text(o, "status", where) != "closed" or done is None or done <= 0:
            return MessageIgnored(venue=VENUE, kind="order:market-quote-sized")
        amount = done
    filled = _opt_num(o, "filled", where)
    if filled is None:
        remaining = _opt_num(o, "remaining", where)
        if remaining is None:
            raise ParseError(f"{where}.filled: is null (and no remaining)")
        filled = _sum(amount, -remaining, _where(where, "remaining"))
    raw = f.text(o, "status", where)
    if raw not in ORDER_STATUSES:
        raise ParseError(f"{where}.status: unknown value {raw!r:.80}")
    if raw == "open":
        status = "partially_filled" if filled > 0 else "new"
    elif raw == "closed":
        status = "filled" if filled == amount else "canceled"
    else:
        status = raw
    order_type = f.opt_text(o, "type", where)
    price = _opt_num(o, "price", where)
    if order_type == "market":
        price = None  # ccxt copies the average fill price into a market order's price
    elif order_type == "limit":
        if price is None:
            raise ParseError(f"{where}.price: is null for a limit order")
    else:
        order_type = "limit" if price is not None else "market"
    return f.build(
        OrderReported,
        where,
        symbol=f.text(o, "symbol", where),
        order_id=f.ident(o, "id", where),
        client_order_id=f.opt_text(o, "clientOrderId", where),
        side=f.choice(o, "side", where, SIDES),
        status=status,
        quantity=amount,
        price=price,
        filled_quantity=filled,
        average_price=_opt_num(o, "average", where),
        version=_order_version(o, where),
        kind=kind,
        order_type="market" if order_type == "market" else "limit",
    )


def _order_events(o: Mapping[str, Any], where: str, kind: str | None) -> list[Event]:
    report = _order(o, where, kind)
    out: list[Event] = [report]
    if not isinstance(report, OrderReported):
        return out
    trades = o.get("trades")
    if trades is not None:
        for i, t in enumerate(_list(trades, _where(where, "trades"))):
            tw = f"{where}.trades[{i}]"
            out.append(_trade(f.obj(t, tw), tw, kind, report))
    return out


def parse_order(order: Any, kind: Any = None) -> list[Event]:
    """A ccxt order: ``[OrderReported, FillReported for each entry of order['trades']]``."""
    return _order_events(f.obj(order, "order"), "order", _opt_kind(kind))


# --- balances and positions ------------------------------------------------------------


def _map(b: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = b.get(key)
    if value is None:
        return {}
    return f.obj(value, _where(where, key))


def _coin_rows(info: Any) -> list[Mapping[str, Any]]:
    """Bybit unified wallet rows in ccxt's ``info``: the WS push's ``data`` (a list of
    accounts) or the REST body (``result.list``); each account lists ``coin`` rows."""
    accounts: Any = info
    if isinstance(info, Mapping):
        result = info.get("result")
        accounts = result.get("list") if isinstance(result, Mapping) else None
    if type(accounts) is not list:
        return []
    rows: list[Mapping[str, Any]] = []
    for account in accounts:
        coins = account.get("coin") if isinstance(account, Mapping) else None
        if type(coins) is list:
            rows += [c for c in coins if isinstance(c, Mapping) and "walletBalance" in c]
    return rows


def _wallets(info: Any, where: str) -> dict[str, tuple[Decimal, Decimal]]:
    """(wallet balance, available) per asset from the venue's own body, where ccxt's
    ``total`` is equity (OKX ``eq``, Bybit unified ``equity``): spec/venues/ccxt.md."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    iw = _where(where, "info")
    data = info.get("data") if isinstance(info, Mapping) else None
    if type(data) is list:  # OKX account balance: data[].details[] with cashBal
        for i, row in enumerate(data):
            details = row.get("details") if isinstance(row, Mapping) else None
            if type(details) is not list:
                continue
            for j, d in enumerate(details):
                dw = f"{iw}.data[{i}].details[{j}]"
                if not isinstance(d, Mapping) or "cashBal" not in d:
                    continue
                cash = f.decimal(d, "cashBal", dw)
                avail = f.opt_decimal(d, "availBal", dw)
                out[f.text(d, "ccy", dw)] = (cash, cash if avail is None else min(avail, cash))
        return out
    for j, c in enumerate(_coin_rows(info)):
        cw = f"{iw}.coin[{j}]"
        wallet = f.decimal(c, "walletBalance", cw)
        locked = f.opt_decimal(c, "locked", cw)
        if locked is not None:
            free = _sum(wallet, -locked, f"{cw}.locked")
        else:
            avail = f.opt_decimal(c, "availableToWithdraw", cw)
            free = ZERO if avail is None else min(avail, wallet)
        out[f.text(c, "coin", cw)] = (wallet, free)
    return out


def _balances(balance: Any, version: int, where: str) -> list[BalanceReported]:
    b = f.obj(balance, where)
    totals = f.obj(f.field(b, "total", where), _where(where, "total"))
    frees = _map(b, "free", where)
    useds = _map(b, "used", where)
    wallets = _wallets(b.get("info"), where)
    out: list[BalanceReported] = []
    for asset in [*totals, *(a for a in frees if a not in totals)]:
        if type(asset) is not str or not asset:
            raise ParseError(f"{where}.total: expected currency codes, got {asset!r:.80}")
        if wallets and asset not in wallets:
            continue  # ccxt's cache of an earlier push (pro merges them): not reported now
        total = _opt_num(totals, asset, _where(where, "total"))
        free = _opt_num(frees, asset, _where(where, "free"))
        used = _opt_num(useds, asset, _where(where, "used"))
        if total is None:
            if free is None or used is None:
                raise ParseError(f"{where}.total.{asset}: is null")
            total = _sum(free, used, f"{where}.used.{asset}")
        if free is None:
            # DESIGN "Derivative wallets": with no available amount reported, free = total.
            free = total if used is None else _sum(total, -used, f"{where}.used.{asset}")
        if asset in wallets:
            total, free = wallets[asset]
        at = f"{where}.{asset}"
        out.append(
            f.build(BalanceReported, at, asset=asset, total=total, free=free, version=version)
        )
    return out


def parse_balance(balance: Any, version: Any) -> list[BalanceReported]:
    """A ccxt balance: one ``BalanceReported`` per currency of its ``total``/``free`` maps.

    ``version`` is the caller's (see spec/venues/ccxt.md): the exchange time, in ms, at or
    before which every change is included, e.g. the request's send time minus 1.
    """
    return _balances(balance, _caller_version(version, "balance version"), "balance")


def _position(
    p: Mapping[str, Any], where: str, version: int | None, kind: str | None
) -> PositionReported:
    symbol = f.text(p, "symbol", where)
    hedged = p.get("hedged")
    if hedged is not None and type(hedged) is not bool:
        raise ParseError(f"{where}.hedged: expected a boolean, got {hedged!r:.80}")
    if hedged:
        raise ParseError(f"{where}.hedged: {symbol}: hedge mode is not supported (one-way only)")
    contracts = _num(p, "contracts", where)
    if contracts < 0:
        raise ParseError(f"{where}.contracts: must be >= 0 (the sign is in side), got {contracts}")
    side = p.get("side")
    if side is not None and (type(side) is not str or side not in POSITION_SIGNS):
        raise ParseError(f"{where}.side: unknown value {side!r:.80}")
    if contracts == 0:
        quantity, entry = ZERO, ZERO
    else:
        if side is None:
            raise ParseError(f"{where}.side: is null for {contracts} contracts")
        quantity = contracts * POSITION_SIGNS[side]
        entry = _num(p, "entryPrice", where)
    v = _opt_ms(p, "lastUpdateTimestamp", where)
    if v is None:
        v = _opt_ms(p, "timestamp", where)
    if v is None:
        if version is None:
            raise ParseError(f"{where}.timestamp: is null (pass version=)")
        v = version
    return f.build(
        PositionReported,
        where,
        symbol=symbol,
        quantity=quantity,
        entry_price=entry,
        version=v,
        kind=kind,
    )


def parse_position(position: Any, version: Any = None, kind: Any = None) -> list[PositionReported]:
    """A ccxt position (one-way) as one signed ``PositionReported``; hedge mode is refused.

    ``version`` is used only when the position has neither ``lastUpdateTimestamp`` nor
    ``timestamp``.
    """
    v = None if version is None else _caller_version(version, "position version")
    return [_position(f.obj(position, "position"), "position", v, _opt_kind(kind))]


# --- dispatch ---------------------------------------------------------------------------


def _shape(s: Mapping[str, Any]) -> str:
    """Which unified structure a dict is, by the keys only that structure has."""
    if isinstance(s.get("total"), Mapping):
        return "balance"
    if "contracts" in s:
        return "position"
    if "status" in s and ("filled" in s or "remaining" in s):
        return "order"
    if "order" in s and "amount" in s and "price" in s and "status" not in s:
        return "trade"
    for key, name in _OTHER_SHAPES:
        if key in s:
            return name
    return "unknown"


def _one(s: Any, where: str, version: int | None, kind: str | None) -> list[Event]:
    d = f.obj(s, where or "structure")
    shape = _shape(d)
    if shape == "order":
        return _order_events(d, where or "order", kind)
    if shape == "trade":
        return [_trade_event(d, where or "trade", kind)]
    if shape == "position":
        return [_position(d, where or "position", version, kind)]
    if shape == "balance":
        if version is None:
            raise ParseError(
                f"{where or 'balance'}: a ccxt balance carries no reliable version: pass version="
            )
        return list(_balances(d, version, where or "balance"))
    return [MessageIgnored(venue=VENUE, kind=shape)]


def parse(structure: Any, version: Any = None, kind: Any = None) -> list[Event]:
    """One ccxt result (a unified dict, or a list of them as ``watch_*`` returns) -> events.

    Orders, trades and positions are told apart by shape; a balance needs ``version``
    (see ``parse_balance``), which also stands in for a position without a timestamp.
    Another unified structure (ticker, transaction, ...) gives ``MessageIgnored``.
    """
    v = None if version is None else _caller_version(version, "version")
    k = _opt_kind(kind)
    if type(structure) is list:
        out: list[Event] = []
        for i, s in enumerate(structure):
            out.extend(_one(s, f"[{i}]", v, k))
        return out
    if isinstance(structure, Mapping):
        return _one(structure, "", v, k)
    raise ParseError(f"expected a ccxt structure (dict) or a list of them, got {structure!r:.80}")


def parse_snapshot(
    *,
    balance: Any = None,
    open_orders: Any = None,
    trades: Any = None,
    positions: Any = None,
    version: Any = None,
    kind: Any = None,
    orders_complete: bool = True,
) -> list[Event]:
    """A REST resync from ccxt results -> ``[SnapshotTaken]``.

    ``balance`` is ``fetch_balance()``, ``open_orders`` ``fetch_open_orders()``, ``trades``
    ``fetch_my_trades()``, ``positions`` ``fetch_positions()``. A part passed is complete
    (what it omits is zero, flat or not open); a part not passed says nothing. Pass
    ``orders_complete=False`` when the open orders are one symbol's only.
    """
    v = _caller_version(version, "snapshot version")
    k = _opt_kind(kind)
    if type(orders_complete) is not bool:
        raise ParseError(f"orders_complete: expected a boolean, got {orders_complete!r:.80}")
    balances = _balances(balance, v, "balance") if balance is not None else []
    reports: list[OrderReported] = []
    fills: list[FillReported] = []
    if open_orders is not None:
        for i, o in enumerate(_list(open_orders, "open_orders")):
            w = f"open_orders[{i}]"
            for e in _order_events(f.obj(o, w), w, k):
                if isinstance(e, OrderReported):
                    reports.append(e)
                elif isinstance(e, FillReported):
                    fills.append(e)
    if trades is not None:
        for i, t in enumerate(_list(trades, "trades")):
            w = f"trades[{i}]"
            row = f.obj(t, w)
            if _funding(row, w) is None:  # the balance part includes funding already
                fills.append(_trade(row, w, k))
    held: list[PositionReported] = []
    if positions is not None:
        for i, p in enumerate(_list(positions, "positions")):
            w = f"positions[{i}]"
            held.append(_position(f.obj(p, w), w, v, k))
    return [
        f.build(
            SnapshotTaken,
            "snapshot",
            version=v,
            balances=tuple(balances),
            positions=tuple(held),
            open_orders=tuple(reports),
            trades=tuple(fills),
            balances_complete=balance is not None,
            positions_complete=positions is not None,
            orders_complete=open_orders is not None and orders_complete,
        )
    ]
