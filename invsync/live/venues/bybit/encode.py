"""Exchange-model events rendered as Bybit v5 private pushes and REST bodies.

Field sets follow the doc samples in tests/fixtures/bybit/ (``order``, ``execution``,
``execution.fast``, ``position``, ``wallet`` pushes; wallet-balance, position list,
order realtime, execution list bodies). Identity and time as in ``venues.wire``
(Bybit ids are strings, so the model's ids are kept as they are). What the format
cannot carry (spec/venues/bybit.md, "Live edge"): deposits and withdrawals as deltas
(the private stream shows them only in the ``wallet`` push, so the ``CashChanged`` is
dropped), ``expired`` orders, conditional orders, balance reports without ``free`` and
OKX-style reports naming trade ids (``EncodeError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from core import events as ev
from core.instrument import Instrument
from invsync.live.venues.wire import Clock, EncodeError, plain

_ZERO: Final = Decimal(0)
_STATUS: Final = {
    "new": "New",
    "partially_filled": "PartiallyFilled",
    "filled": "Filled",
    "canceled": "Cancelled",
    "rejected": "Rejected",
}
_SIDE: Final = {"buy": "Buy", "sell": "Sell"}


def _category(kind: str | None, what: str) -> str:
    if kind not in ("linear", "inverse", "spot"):
        raise EncodeError(f"{what}: Bybit needs the instrument kind (linear, inverse, spot)")
    return kind


def _check_order(o: ev.OrderReported) -> None:
    if o.conditional or o.triggered_order_id is not None or o.status == "triggered":
        raise EncodeError(f"order {o.order_id}: conditional orders are not rendered")
    if o.status not in _STATUS:
        raise EncodeError(
            f"order {o.order_id}: Bybit has no {o.status!r} status (an IOC rest is Cancelled)"
        )


def order_row(o: ev.OrderReported, clock: Clock, *, with_category: bool) -> dict[str, Any]:
    """An order as the ``order`` push (``with_category``) or a REST list row shows it."""
    _check_order(o)
    t = str(clock.ms(o.version))
    average = o.average_price
    row: dict[str, Any] = {}
    if with_category:
        row["category"] = _category(o.kind, f"order {o.order_id}")
    row |= {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderLinkId": o.client_order_id or "",
        "blockTradeId": "",
        "side": _SIDE[o.side],
        "positionIdx": 0,
        "orderStatus": _STATUS[o.status],
        "cancelType": "UNKNOWN",
        "rejectReason": "EC_NoError",
        "timeInForce": "IOC" if o.order_type == "market" else "GTC",
        "orderType": "Market" if o.order_type == "market" else "Limit",
        "price": plain(o.price) if o.price is not None else "0",
        "qty": plain(o.quantity),
        "avgPrice": plain(average) if average is not None and o.filled_quantity else "",
        "leavesQty": plain(o.quantity - o.filled_quantity)
        if o.status in ("new", "partially_filled")
        else "0",
        "cumExecQty": plain(o.filled_quantity),
        "cumExecValue": plain(o.filled_quantity * (average or _ZERO)),
        "stopOrderType": "",
        "triggerPrice": "",
        "tpslMode": "",
        "reduceOnly": False,
        "closeOnTrigger": False,
        "createdTime": t,
        "updatedTime": t,
    }
    return row


def execution_row(
    f: ev.FillReported,
    order: ev.OrderReported | None,
    clock: Clock,
    *,
    with_category: bool,
    with_pnl: bool,
) -> dict[str, Any]:
    """A trade as an ``execution`` push item (``with_category``) or an execution-list row."""
    if f.fee is None:
        raise EncodeError(f"trade {f.trade_id}: a full execution carries its fee")
    row: dict[str, Any] = {}
    if with_category:
        row["category"] = _category(f.kind, f"trade {f.trade_id}")
    row |= {
        "symbol": f.symbol,
        "execFee": plain(f.fee),
        "execId": f.trade_id,
        "execPrice": plain(f.price),
        "execQty": plain(f.quantity),
        "execType": "BustTrade" if f.liquidation else "Trade",
        "execValue": plain(f.quantity * f.price),
        "orderId": f.order_id,
        "orderLinkId": "" if f.liquidation else (f.client_order_id or ""),
        "orderPrice": plain(order.price) if order and order.price is not None else "0",
        "orderQty": plain(order.quantity) if order else plain(f.quantity),
        "orderType": "Market" if order is None or order.price is None else "Limit",
        "side": _SIDE[f.side],
        "execTime": str(clock.ms(f.version)),
        "isMaker": False,
        "feeCurrency": f.fee_asset or "",
    }
    if with_pnl:
        row["execPnl"] = plain(f.realized_pnl) if f.realized_pnl is not None else "0"
    return row


def fast_row(f: ev.FillReported, clock: Clock) -> dict[str, Any]:
    """A trade as an ``execution.fast`` item (no fee, maybe no client id)."""
    return {
        "category": _category(f.kind, f"trade {f.trade_id}"),
        "symbol": f.symbol,
        "execId": f.trade_id,
        "execPrice": plain(f.price),
        "execQty": plain(f.quantity),
        "orderId": f.order_id,
        "isMaker": False,
        "orderLinkId": f.client_order_id or "",
        "side": _SIDE[f.side],
        "execTime": str(clock.ms(f.version)),
    }


def funding_row(
    c: ev.CashChanged, instrument: Instrument, exec_id: str, clock: Clock
) -> dict[str, Any]:
    """A funding payment as an ``execution`` item: ``execType`` Funding, ``execFee`` > 0 paid."""
    return {
        "category": instrument.kind,
        "symbol": instrument.symbol,
        "execFee": plain(-c.total_delta),
        "execId": exec_id,
        "execPrice": "0",
        "execQty": "0",
        "execType": "Funding",
        "execValue": "0",
        "orderId": "",
        "orderLinkId": "",
        "side": "Buy",
        "execTime": str(clock.ms(c.version)),
        "feeCurrency": c.asset,
    }


def position_row(
    p: ev.PositionReported, clock: Clock, version: int, *, rest: bool
) -> dict[str, Any]:
    """A one-way position as the ``position`` push or a position-list row (``avgPrice``)."""
    if p.trade_ids is not None:
        raise EncodeError(f"position {p.symbol}: Bybit reports never name trade ids")
    flat = p.quantity == 0
    row: dict[str, Any] = {}
    if not rest:
        row["category"] = _category(p.kind, f"position {p.symbol}")
    row |= {
        "positionIdx": 0,
        "tradeMode": 0,
        "symbol": p.symbol,
        "side": "" if flat else ("Buy" if p.quantity > 0 else "Sell"),
        "size": plain(abs(p.quantity)),
        ("avgPrice" if rest else "entryPrice"): "0" if flat else plain(p.entry_price),
        "positionValue": "0",
        "markPrice": plain(p.entry_price),
        "unrealisedPnl": "0",
        "positionStatus": "Normal",
        "updatedTime": str(clock.ms(version)),
    }
    return row


def coin_row(b: ev.BalanceReported) -> dict[str, Any]:
    """One coin of a wallet push or wallet-balance body (``locked`` = total - free)."""
    if b.trade_ids is not None:
        raise EncodeError(f"balance {b.asset}: Bybit reports never name trade ids")
    if b.free is None:
        raise EncodeError(f"balance {b.asset}: Bybit wallet reports always give locked")
    return {
        "coin": b.asset,
        "equity": plain(b.total),
        "walletBalance": plain(b.total),
        "locked": plain(b.total - b.free),
        "unrealisedPnl": "0",
        "cumRealisedPnl": "0",
    }


class StreamEncoder:
    """Turns ``ExchangeModel.take_emitted()`` batches into Bybit private pushes.

    Each order, execution, fast execution and position event is one push of its topic;
    the balance reports of one version one ``wallet`` push (``creationTime`` = the
    version); a funding payment an ``execution`` push with ``execType`` Funding.
    ``instruments`` tells which derivative a funding payment in an asset belongs to.
    """

    def __init__(self, instruments: Iterable[Instrument], clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.instruments = list(instruments)
        self._pushes = 0

    def _push(self, topic: str, data: list[dict[str, Any]], version: int) -> dict[str, Any]:
        self._pushes += 1
        return {
            "id": f"loopback-{self._pushes}",
            "topic": topic,
            "creationTime": self.clock.ms(version),
            "data": data,
        }

    def _funded(self, c: ev.CashChanged) -> Instrument:
        for inst in self.instruments:
            if inst.is_derivative and inst.settle == c.asset:
                return inst
        raise EncodeError(f"funding in {c.asset}: no derivative of the account settles in it")

    def encode(self, batch: Iterable[ev.Event | tuple[str, ev.Event]]) -> list[dict[str, Any]]:
        """The pushes of one batch (events, or ``(stream, event)`` pairs), in order."""
        events = [e[1] if isinstance(e, tuple) else e for e in batch]
        orders = {(e.order_id, e.version): e for e in events if isinstance(e, ev.OrderReported)}
        out: list[dict[str, Any]] = []
        wallets: dict[int, int] = {}
        coins: dict[int, list[dict[str, Any]]] = {}
        for e in events:
            c = self.clock
            if isinstance(e, ev.OrderReported):
                out.append(self._push("order", [order_row(e, c, with_category=True)], e.version))
            elif isinstance(e, ev.FillReported):
                if e.fee is None:
                    out.append(self._push("execution.fast", [fast_row(e, c)], e.version))
                else:
                    order = orders.get((e.order_id, e.version))
                    row = execution_row(e, order, c, with_category=True, with_pnl=True)
                    out.append(self._push("execution", [row], e.version))
            elif isinstance(e, ev.PositionReported):
                out.append(
                    self._push("position", [position_row(e, c, e.version, rest=False)], e.version)
                )
            elif isinstance(e, ev.BalanceReported):
                if e.version not in wallets:
                    wallets[e.version] = len(out)
                    coins[e.version] = []
                    out.append({})
                coins[e.version].append(coin_row(e))
            elif isinstance(e, ev.CashChanged):
                if e.reason == "funding":
                    exec_id = f"funding-{c.ms(e.version)}-{e.asset}"
                    row = funding_row(e, self._funded(e), exec_id, c)
                    out.append(self._push("execution", [row], e.version))
                # Deposits, withdrawals: no private push of their own (the wallet shows them).
            else:
                raise EncodeError(f"{type(e).__name__}: not a venue push")
        for version, index in wallets.items():
            self._pushes += 1
            out[index] = {
                "id": f"loopback-{self._pushes}",
                "topic": "wallet",
                "creationTime": self.clock.ms(version),
                "data": [{"accountType": "UNIFIED", "coin": coins[version]}],
            }
        return out


# --- REST bodies -------------------------------------------------------------------------


def _body(result: dict[str, Any], time_ms: int) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": time_ms}


def _by_category(items: Sequence[Any], kinds: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {k: [] for k in kinds}
    for item in items:
        out.setdefault(_category(item.kind, type(item).__name__), []).append(item)
    return out


def snapshot_bodies(
    snap: ev.SnapshotTaken, categories: Sequence[str], clock: Clock | None = None
) -> dict[str, Any]:
    """The REST bodies of a resync, keyed as ``bybit.parse_snapshot`` takes them.

    One body per category in ``categories`` (every category the account trades) for the
    position list, order realtime and execution list; every ``time`` is the snapshot's.
    """
    c = clock or Clock()
    t = c.ms(snap.version)
    wallet = _body(
        {"list": [{"accountType": "UNIFIED", "coin": [coin_row(b) for b in snap.balances]}]}, t
    )
    derivative = [k for k in categories if k != "spot"]
    positions = [
        _body(
            {
                "category": k,
                "list": [position_row(p, c, snap.version, rest=True) for p in rows],
                "nextPageCursor": "",
            },
            t,
        )
        for k, rows in _by_category(snap.positions, derivative).items()
    ]
    orders = [
        _body(
            {
                "category": k,
                "list": [order_row(o, c, with_category=False) for o in rows],
                "nextPageCursor": "",
            },
            t,
        )
        for k, rows in _by_category(snap.open_orders, categories).items()
    ]
    executions = [
        _body(
            {
                "category": k,
                "list": [
                    execution_row(f, None, c, with_category=False, with_pnl=False) for f in rows
                ],
                "nextPageCursor": "",
            },
            t,
        )
        for k, rows in _by_category(snap.trades, categories).items()
    ]
    return {
        "wallet": wallet,
        "positions": positions,
        "open_orders": orders,
        "executions": executions,
    }


def order_query_body(
    answer: ev.OrderReported | ev.OrderNotFound, category: str, time_ms: int, clock: Clock
) -> dict[str, Any]:
    """A ``GET /v5/order/realtime`` answer to a query by id: the order, or an empty list."""
    rows = (
        []
        if isinstance(answer, ev.OrderNotFound)
        else [order_row(answer, clock, with_category=False)]
    )
    return _body({"category": category, "list": rows, "nextPageCursor": ""}, time_ms)
