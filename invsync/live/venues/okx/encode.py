"""Exchange-model events rendered as OKX v5 private pushes and REST bodies.

Field sets follow the doc samples in tests/fixtures/okx/ (``orders``, ``account``,
``positions``, ``balance_and_position`` pushes; balance, positions, orders-pending,
fills, bills, order bodies). Identity and time as in ``venues.wire`` (OKX ids are
strings, so the model's are kept). OKX never pushes a cash change as a delta: a funding
payment, deposit or withdrawal shows on the stream only as the balance it produced, and
as a delta in ``GET /api/v5/account/bills`` (``bills_body``). What the format cannot
carry (spec/venues/okx.md, "Live edge"): fee-less early fills, ``expired`` and
``rejected`` orders, conditional orders, a balance report with both ``free`` and trade
ids (``EncodeError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from core import events as ev
from core.instrument import Instrument
from invsync.live.venues.wire import Clock, EncodeError, plain

_STATE: Final = {
    "new": "live",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
}
#: Bill (type, subType) of a model cash change: funding expense / income, transfer in / out.
#: Type 8 for funding is the adapter's reading (spec/venues/okx.md); 173/174 are "Funding
#: fee expense/income" and 1/11, 1/12 "Transfer in/out" (bills page, subtypes fixture).
_BILL_TYPES: Final = {
    ("funding", False): ("8", "173"),
    ("funding", True): ("8", "174"),
    ("deposit", True): ("1", "11"),
    ("withdrawal", False): ("1", "12"),
}
_UID: Final = "loopback"


class Instruments:
    """The account's instruments by symbol: OKX rows name ``instType`` and ``ctVal``."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.by_symbol = {i.symbol: i for i in instruments}

    def inst_type(self, symbol: str) -> str:
        """``SPOT`` or ``SWAP`` (futures with an expiry are not modelled)."""
        inst = self.by_symbol.get(symbol)
        if inst is None:
            raise EncodeError(f"{symbol}: not an instrument of the account")
        return "SPOT" if inst.kind == "spot" else "SWAP"


def _check_order(o: ev.OrderReported) -> None:
    if o.conditional or o.triggered_order_id is not None or o.status == "triggered":
        raise EncodeError(f"order {o.order_id}: conditional (algo) orders are not rendered")
    if o.status not in _STATE:
        raise EncodeError(f"order {o.order_id}: OKX has no {o.status!r} order state")


def order_row(
    o: ev.OrderReported, fill: ev.FillReported | None, inst: Instruments, clock: Clock
) -> dict[str, Any]:
    """An order as an ``orders`` push row, an orders-pending row or an order-query row;
    with ``fill`` it also carries that trade (``tradeId``, ``fillSz``, ``fillFee`` ...)."""
    _check_order(o)
    if fill is not None and fill.fee is None:
        raise EncodeError(f"trade {fill.trade_id}: OKX has no fee-less early fill message")
    liquidation = fill is not None and fill.liquidation
    t = str(clock.ms(o.version))
    fee_ccy = fill.fee_asset or "" if fill else ""
    return {
        "instType": inst.inst_type(o.symbol),
        "instId": o.symbol,
        "ordId": o.order_id,
        "clOrdId": "" if liquidation else (o.client_order_id or ""),
        "tag": "",
        "category": "full_liquidation" if liquidation else "normal",
        "side": o.side,
        "posSide": "net",
        "tdMode": "cross",
        "ordType": o.order_type,
        "px": plain(o.price) if o.price is not None else "",
        "sz": plain(o.quantity),
        "tgtCcy": "",
        "state": _STATE[o.status],
        "accFillSz": plain(o.filled_quantity),
        "avgPx": plain(o.average_price) if o.average_price is not None else "",
        "tradeId": fill.trade_id if fill else "",
        "fillSz": plain(fill.quantity) if fill else "0",
        "fillPx": plain(fill.price) if fill else "",
        # OKX: a negative fee is charged; the core: a positive one.
        "fillFee": plain(-fill.fee) if fill and fill.fee is not None else "0",
        "fillFeeCcy": fee_ccy,
        "fillPnl": plain(fill.realized_pnl) if fill and fill.realized_pnl is not None else "0",
        "fillTime": t if fill else "",
        "execType": "T" if fill else "",
        "fee": "0",
        "feeCcy": fee_ccy,
        "pnl": "0",
        "reduceOnly": "false",
        "cancelSource": "",
        "amendResult": "",
        "reqId": "",
        "code": "0",
        "msg": "",
        "cTime": t,
        "uTime": t,
    }


def _detail(b: ev.BalanceReported, clock: Clock) -> dict[str, Any]:
    if b.free is None:
        raise EncodeError(f"balance {b.asset}: the account channel always gives availBal")
    return {
        "ccy": b.asset,
        "cashBal": plain(b.total),
        "availBal": plain(b.free),
        "eq": plain(b.total),
        "frozenBal": plain(b.total - b.free),
        "ordFrozen": "0",
        "upl": "0",
        "uTime": str(clock.ms(b.version)),
    }


def position_row(p: ev.PositionReported, inst: Instruments, clock: Clock) -> dict[str, Any]:
    """A net-mode position as a ``positions`` push or ``/account/positions`` row."""
    ids = sorted(p.trade_ids or ())
    if len(ids) > 1:
        raise EncodeError(f"position {p.symbol}: a positions row names one (the last) trade")
    return {
        "instType": inst.inst_type(p.symbol),
        "instId": p.symbol,
        "mgnMode": "cross",
        "posSide": "net",
        "pos": plain(p.quantity),
        "avgPx": plain(p.entry_price) if p.quantity else "",
        "tradeId": ids[0] if ids else "",
        "upl": "0",
        "uTime": str(clock.ms(p.version)),
    }


def _b_and_p_event(reason: str | None, ids: frozenset[str] | None) -> str:
    if ids:
        return "filled"
    return {"funding": "funding_fee", "deposit": "transferred", "withdrawal": "transferred"}.get(
        reason or "", "snapshot"
    )


class StreamEncoder:
    """Turns ``ExchangeModel.take_emitted()`` batches into OKX private pushes.

    A fill and its order's report of the same version are one ``orders`` row; other order
    reports a row each. Balance reports with ``free`` and no trade ids go, per version, to
    one ``account`` push; those without ``free`` or naming trade ids, per version and ids,
    to one ``balance_and_position`` push listing the trades. Each position report is a
    ``positions`` push (``tradeId`` = the trade it names). Cash changes are kept in
    ``bills`` (with the balance after them) for ``bills_body``: OKX pushes none.
    """

    def __init__(self, instruments: Iterable[Instrument], clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.inst = Instruments(instruments)
        self.bills: list[tuple[ev.CashChanged, Decimal]] = []

    def _arg(self, channel: str) -> dict[str, Any]:
        arg: dict[str, Any] = {"channel": channel, "uid": _UID}
        if channel in ("orders", "positions"):
            arg["instType"] = "ANY"
        return arg

    def encode(self, batch: Iterable[ev.Event | tuple[str, ev.Event]]) -> list[dict[str, Any]]:
        """The pushes of one batch (events, or ``(stream, event)`` pairs), in order."""
        events = [e[1] if isinstance(e, tuple) else e for e in batch]
        c = self.clock
        fills: dict[tuple[str, int], ev.FillReported] = {}
        for e in events:
            if isinstance(e, ev.FillReported):
                if e.fee is None:
                    raise EncodeError(f"trade {e.trade_id}: OKX has no fee-less early fill")
                fills[(e.order_id, e.version)] = e
        orders = {(e.order_id, e.version) for e in events if isinstance(e, ev.OrderReported)}
        for key, f in fills.items():
            if key not in orders:
                raise EncodeError(
                    f"trade {f.trade_id}: its order's report of version {f.version} is not "
                    "in the batch (an orders row carries both)"
                )
        cash = {(e.asset, e.version): e for e in events if isinstance(e, ev.CashChanged)}
        out: list[dict[str, Any]] = []
        groups: dict[tuple[str, int, frozenset[str] | None], int] = {}
        rows: dict[int, list[ev.BalanceReported]] = {}
        for e in events:
            if isinstance(e, ev.OrderReported):
                fill = fills.get((e.order_id, e.version))
                out.append({"arg": self._arg("orders"), "data": [order_row(e, fill, self.inst, c)]})
            elif isinstance(e, ev.PositionReported):
                row = position_row(e, self.inst, c)
                out.append({"arg": self._arg("positions"), "data": [row]})
            elif isinstance(e, ev.BalanceReported):
                plain_report = e.free is not None and e.trade_ids is None
                group = ("account" if plain_report else "bp", e.version, e.trade_ids)
                if e.free is not None and e.trade_ids is not None:
                    raise EncodeError(
                        f"balance {e.asset}: no OKX push has both availBal and trade ids"
                    )
                if group not in groups:
                    groups[group] = len(out)
                    rows[len(out)] = []
                    out.append({})
                rows[groups[group]].append(e)
            elif isinstance(e, ev.CashChanged):
                after = next(
                    (
                        b.total
                        for b in events
                        if isinstance(b, ev.BalanceReported)
                        and b.asset == e.asset
                        and b.version == e.version
                    ),
                    None,
                )
                if after is None:
                    raise EncodeError(f"cash change {e.asset}: needs the balance of its version")
                self.bills.append((e, after))
            elif not isinstance(e, ev.FillReported):
                raise EncodeError(f"{type(e).__name__}: not a venue push")
        for (channel, version, ids), index in groups.items():
            reports = rows[index]
            t = str(c.ms(version))
            if channel == "account":
                out[index] = {
                    "arg": self._arg("account"),
                    "eventType": "event_update",
                    "curPage": 1,
                    "lastPage": True,
                    "data": [
                        {
                            "uTime": t,
                            "totalEq": "0",
                            "details": [_detail(b, c) for b in reports],
                        }
                    ],
                }
                continue
            reason = next(
                (cash[(b.asset, version)].reason for b in reports if (b.asset, version) in cash),
                None,
            )
            trades = sorted(ids or ())
            out[index] = {
                "arg": self._arg("balance_and_position"),
                "data": [
                    {
                        "pTime": t,
                        "eventType": _b_and_p_event(reason, ids),
                        "balData": [
                            {"ccy": b.asset, "cashBal": plain(b.total), "uTime": t} for b in reports
                        ],
                        "posData": [],
                        "trades": [
                            {"instId": self._traded(events, tid), "tradeId": tid} for tid in trades
                        ],
                    }
                ],
            }
        return out

    def _traded(self, events: Sequence[ev.Event], trade_id: str) -> str:
        for e in events:
            if isinstance(e, ev.FillReported) and e.trade_id == trade_id:
                return e.symbol
        raise EncodeError(f"trade {trade_id}: named by a balance report but not in the batch")


# --- REST bodies -------------------------------------------------------------------------


def _body(data: list[Any], code: str = "0", msg: str = "") -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data}


def fill_row(f: ev.FillReported, inst: Instruments, clock: Clock) -> dict[str, Any]:
    """A ``GET /api/v5/trade/fills`` row (REST keys ``fee``/``feeCcy``; no ``category``)."""
    if f.fee is None:
        raise EncodeError(f"trade {f.trade_id}: a REST fill always has its fee")
    t = str(clock.ms(f.version))
    return {
        "instType": inst.inst_type(f.symbol),
        "instId": f.symbol,
        "tradeId": f.trade_id,
        "ordId": f.order_id,
        "clOrdId": f.client_order_id or "",
        "billId": f"bill-{f.trade_id}",
        "subType": "1" if f.side == "buy" else "2",
        "tag": "",
        "fillPx": plain(f.price),
        "fillSz": plain(f.quantity),
        "side": f.side,
        "posSide": "net",
        "execType": "T",
        "feeCcy": f.fee_asset or "",
        "fee": plain(-f.fee),
        "fillPnl": plain(f.realized_pnl) if f.realized_pnl is not None else "0",
        "fillTime": t,
        "ts": t,
    }


def snapshot_bodies(
    snap: ev.SnapshotTaken, instruments: Iterable[Instrument], clock: Clock | None = None
) -> dict[str, Any]:
    """The four REST bodies of a resync, keyed as ``okx.parse_snapshot`` takes them."""
    c = clock or Clock()
    inst = Instruments(instruments)
    t = str(c.ms(snap.version))
    return {
        "balance": _body(
            [
                {
                    "uTime": t,
                    "totalEq": "0",
                    "details": [_detail(b, c) for b in snap.balances],
                }
            ]
        ),
        "positions": _body([position_row(p, inst, c) for p in snap.positions]),
        "open_orders": _body([order_row(o, None, inst, c) for o in snap.open_orders]),
        "fills": _body([fill_row(f, inst, c) for f in snap.trades]),
    }


def order_query_body(
    answer: ev.OrderReported | ev.OrderNotFound,
    instruments: Iterable[Instrument],
    clock: Clock | None = None,
) -> dict[str, Any]:
    """A ``GET /api/v5/trade/order`` answer: the order, or code 51603."""
    if isinstance(answer, ev.OrderNotFound):
        return _body([], code="51603", msg="Order does not exist")
    return _body([order_row(answer, None, Instruments(instruments), clock or Clock())])


def bills_body(
    bills: Sequence[tuple[ev.CashChanged, Decimal]],
    instruments: Iterable[Instrument],
    clock: Clock | None = None,
) -> dict[str, Any]:
    """A ``GET /api/v5/account/bills`` body for cash changes, each with the balance after it
    (``bal``); ``billId`` is the model's change id, else one made from time and asset."""
    c = clock or Clock()
    derivatives = [i for i in instruments if i.is_derivative]
    rows = []
    for change, after in bills:
        kind = _BILL_TYPES.get((change.reason, change.total_delta > 0))
        if kind is None:
            raise EncodeError(f"cash change {change.asset}: no OKX bill type for {change.reason!r}")
        funded = next((i.symbol for i in derivatives if i.settle == change.asset), "")
        t = str(c.ms(change.version))
        rows.append(
            {
                "bal": plain(after),
                "balChg": plain(change.total_delta),
                "billId": change.change_id or f"{change.reason}-{t}-{change.asset}",
                "ccy": change.asset,
                "clOrdId": "",
                "execType": "",
                "fee": "0",
                "from": "",
                "instId": funded if change.reason == "funding" else "",
                "instType": "SWAP" if change.reason == "funding" and funded else "",
                "mgnMode": "cross",
                "notes": "",
                "ordId": "",
                "pnl": plain(change.total_delta) if change.reason == "funding" else "0",
                "posBal": "0",
                "posBalChg": "0",
                "subType": kind[1],
                "sz": "0",
                "to": "",
                "tradeId": "",
                "ts": t,
                "type": kind[0],
            }
        )
    return _body(rows)
