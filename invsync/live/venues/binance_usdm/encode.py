"""Exchange-model events rendered as Binance USD-M user-data events and REST bodies.

Field sets follow the doc samples in tests/fixtures/binance_usdm/ (ORDER_TRADE_UPDATE,
TRADE_LITE, ACCOUNT_UPDATE, /fapi/v3/account, /fapi/v3/positionRisk, /fapi/v1/openOrders,
/fapi/v1/userTrades, /fapi/v1/order). Identity and time as in ``venues.wire``. What the
format cannot carry is refused with ``EncodeError`` (spec/venues/binance_usdm.md,
"Live edge"): a pushed ``rejected`` status (USD-M refuses a post-only order that would
take with -5022 instead), conditional orders (ALGO_UPDATE, not rendered yet), OKX-style
reports naming trade ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from core import events as ev
from invsync.live.venues.wire import Clock, EncodeError, number, plain

_ZERO: Final = Decimal(0)
_STATUS: Final = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "expired": "EXPIRED",
}
_END_EXECUTION: Final = {"canceled": "CANCELED", "expired": "EXPIRED"}
#: ACCOUNT_UPDATE reason (``m``) of a model cash change (the venue's "Event reason type").
CASH_REASONS: Final = {"funding": "FUNDING_FEE", "deposit": "DEPOSIT", "withdrawal": "WITHDRAW"}
#: Prefix of the client id Binance gives a liquidation order ("autoclose-…").
LIQUIDATION_PREFIX: Final = "autoclose-"


def _side(side: str) -> str:
    return side.upper()


def _check_order(o: ev.OrderReported) -> None:
    if o.conditional or o.triggered_order_id is not None or o.status == "triggered":
        raise EncodeError(f"order {o.order_id}: conditional (algo) orders are not rendered")
    if o.status not in _STATUS:
        raise EncodeError(
            f"order {o.order_id}: status {o.status!r} is never pushed by USD-M "
            "(a post-only order that would take is refused with -5022)"
        )


def _client_id(o: ev.OrderReported, liquidation: bool) -> str:
    if liquidation:
        return f"{LIQUIDATION_PREFIX}{number(o.order_id)}"
    if o.client_order_id is None:
        raise EncodeError(f"order {o.order_id}: Binance orders always carry a client id")
    return o.client_order_id


def order_trade_update(
    o: ev.OrderReported,
    fill: ev.FillReported | None,
    execution: str,
    clock: Clock,
) -> dict[str, Any]:
    """One ``ORDER_TRADE_UPDATE`` (the doc sample's field set); ``fill`` for x=TRADE."""
    _check_order(o)
    liquidation = fill is not None and fill.liquidation
    t = clock.ms(o.version)
    order_type = "LIQUIDATION" if liquidation else o.order_type.upper()
    return {
        "e": "ORDER_TRADE_UPDATE",
        "E": t,
        "T": t,
        "o": {
            "s": o.symbol,
            "c": _client_id(o, liquidation),
            "S": _side(o.side),
            "o": order_type,
            "f": "IOC" if o.order_type == "market" else "GTC",
            "q": plain(o.quantity),
            "p": plain(o.price) if o.price is not None else "0",
            "ap": plain(o.average_price) if o.average_price is not None else "0",
            "sp": "0",
            "x": "CALCULATED" if liquidation else execution,
            "X": _STATUS[o.status],
            "i": number(o.order_id),
            "l": plain(fill.quantity) if fill else "0",
            "z": plain(o.filled_quantity),
            "L": plain(fill.price) if fill else "0",
            "N": fill.fee_asset if fill and fill.fee_asset else "USDT",
            "n": plain(fill.fee) if fill and fill.fee is not None else "0",
            "T": t,
            "t": number(fill.trade_id) if fill else 0,
            "b": "0",
            "a": "0",
            "m": False,
            "R": False,
            "wt": "CONTRACT_PRICE",
            "ot": order_type,
            "ps": "BOTH",
            "cp": False,
            "rp": plain(fill.realized_pnl) if fill and fill.realized_pnl is not None else "0",
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "NONE",
            "pm": "NONE",
            "gtd": 0,
        },
    }


def trade_lite(
    fill: ev.FillReported, order: ev.OrderReported | None, clock: Clock
) -> dict[str, Any]:
    """One ``TRADE_LITE`` (the fee-less early copy of a trade)."""
    if fill.liquidation:
        raise EncodeError(f"trade {fill.trade_id}: TRADE_LITE is not sent for liquidations")
    if fill.client_order_id is None:
        raise EncodeError(f"trade {fill.trade_id}: Binance orders always carry a client id")
    t = clock.ms(fill.version)
    return {
        "e": "TRADE_LITE",
        "E": t,
        "T": t,
        "s": fill.symbol,
        "q": plain(order.quantity if order else fill.quantity),
        "p": plain(order.price) if order and order.price is not None else "0",
        "m": False,
        "c": fill.client_order_id,
        "S": _side(fill.side),
        "L": plain(fill.price),
        "l": plain(fill.quantity),
        "t": number(fill.trade_id),
        "i": number(fill.order_id),
    }


def _balance_row(b: ev.BalanceReported, change: Decimal) -> dict[str, Any]:
    if b.trade_ids is not None:
        raise EncodeError(f"balance {b.asset}: USD-M reports never name trade ids")
    if b.free is None:
        raise EncodeError(f"balance {b.asset}: USD-M always reports the cross wallet (free)")
    return {"a": b.asset, "wb": plain(b.total), "cw": plain(b.free), "bc": plain(change)}


def _position_row(p: ev.PositionReported) -> dict[str, Any]:
    if p.trade_ids is not None:
        raise EncodeError(f"position {p.symbol}: USD-M reports never name trade ids")
    return {
        "s": p.symbol,
        "pa": plain(p.quantity),
        "ep": plain(p.entry_price),
        "bep": plain(p.entry_price),
        "cr": "0",
        "up": "0",
        "mt": "cross",
        "iw": "0",
        "ps": "BOTH",
    }


def account_update(
    version: int,
    balances: Sequence[ev.BalanceReported],
    positions: Sequence[ev.PositionReported],
    cash: Sequence[ev.CashChanged],
    clock: Clock,
) -> dict[str, Any]:
    """One ``ACCOUNT_UPDATE`` for the reports (and cash changes) of one version."""
    reason = "ORDER"
    changes: dict[str, Decimal] = {}
    for c in cash:
        if c.free_delta != c.total_delta:
            raise EncodeError(f"cash change {c.asset} {c.reason}: USD-M has no external locks")
        mapped = CASH_REASONS.get(c.reason)
        if mapped is None:
            raise EncodeError(f"cash change {c.asset}: no ACCOUNT_UPDATE reason for {c.reason!r}")
        if reason not in ("ORDER", mapped) or c.asset in changes:
            raise EncodeError(f"version {version}: two cash changes in one ACCOUNT_UPDATE")
        reason = mapped
        changes[c.asset] = c.total_delta
    reported = {b.asset for b in balances}
    for asset in changes:
        if asset not in reported:
            raise EncodeError(f"cash change {asset}: needs the balance report of its version")
    t = clock.ms(version)
    return {
        "e": "ACCOUNT_UPDATE",
        "E": t,
        "T": t,
        "a": {
            "m": reason,
            "B": [_balance_row(b, changes.get(b.asset, _ZERO)) for b in balances],
            "P": [_position_row(p) for p in positions],
        },
    }


class StreamEncoder:
    """Turns ``ExchangeModel.take_emitted()`` batches into USD-M user-data events.

    A fill and its order's report of the same version become one ``ORDER_TRADE_UPDATE``
    (x=TRADE, or x=CALCULATED for a liquidation); a fee-less early fill a ``TRADE_LITE``;
    the balance and position reports of one version (with the cash change that moved
    them) one ``ACCOUNT_UPDATE``. An order's later live report (an amend) is
    x=AMENDMENT. Messages keep the order of the first event each one carries.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._seen: set[str] = set()

    def encode(self, batch: Iterable[ev.Event | tuple[str, ev.Event]]) -> list[dict[str, Any]]:
        """The messages of one batch (events, or ``(stream, event)`` pairs)."""
        events = [e[1] if isinstance(e, tuple) else e for e in batch]
        orders = {(e.order_id, e.version): e for e in events if isinstance(e, ev.OrderReported)}
        paired: set[tuple[str, int]] = set()
        for e in events:
            if isinstance(e, ev.FillReported) and e.fee is not None:
                if (e.order_id, e.version) not in orders:
                    raise EncodeError(
                        f"trade {e.trade_id}: its order's report of version {e.version} "
                        "is not in the batch (ORDER_TRADE_UPDATE carries both)"
                    )
                paired.add((e.order_id, e.version))
        out: list[dict[str, Any]] = []
        accounts: dict[int, int] = {}  # version -> index in out
        account_parts: dict[
            int, tuple[list[ev.BalanceReported], list[ev.PositionReported], list[ev.CashChanged]]
        ] = {}
        for e in events:
            if isinstance(e, ev.FillReported):
                order = orders.get((e.order_id, e.version))
                if e.fee is None:
                    out.append(trade_lite(e, order, self.clock))
                else:
                    assert order is not None
                    execution = "TRADE"
                    out.append(order_trade_update(order, e, execution, self.clock))
                    self._seen.add(e.order_id)
            elif isinstance(e, ev.OrderReported):
                if (e.order_id, e.version) in paired:
                    continue
                execution = _END_EXECUTION.get(e.status) or (
                    "AMENDMENT" if e.order_id in self._seen else "NEW"
                )
                out.append(order_trade_update(e, None, execution, self.clock))
                self._seen.add(e.order_id)
            elif isinstance(e, ev.BalanceReported | ev.PositionReported | ev.CashChanged):
                if e.version not in accounts:
                    accounts[e.version] = len(out)
                    account_parts[e.version] = ([], [], [])
                    out.append({})
                parts = account_parts[e.version]
                if isinstance(e, ev.BalanceReported):
                    parts[0].append(e)
                elif isinstance(e, ev.PositionReported):
                    parts[1].append(e)
                else:
                    parts[2].append(e)
            else:
                raise EncodeError(f"{type(e).__name__}: not a venue push")
        for version, index in accounts.items():
            b, p, c = account_parts[version]
            out[index] = account_update(version, b, p, c, self.clock)
        return out


# --- REST bodies -------------------------------------------------------------------------


def rest_order(o: ev.OrderReported, clock: Clock) -> dict[str, Any]:
    """A ``GET /fapi/v1/order`` body, also an item of ``/fapi/v1/openOrders``."""
    _check_order(o)
    t = clock.ms(o.version)
    order_type = o.order_type.upper()
    return {
        "avgPrice": plain(o.average_price) if o.average_price is not None else "0",
        # Only the venue's own orders (liquidations) have no client id in the model.
        "clientOrderId": _client_id(o, o.client_order_id is None),
        "cumQuote": plain(o.filled_quantity * (o.average_price or _ZERO)),
        "executedQty": plain(o.filled_quantity),
        "orderId": number(o.order_id),
        "origQty": plain(o.quantity),
        "origType": order_type,
        "price": plain(o.price) if o.price is not None else "0",
        "reduceOnly": False,
        "side": _side(o.side),
        "positionSide": "BOTH",
        "status": _STATUS[o.status],
        "stopPrice": "0",
        "closePosition": False,
        "symbol": o.symbol,
        "time": t,
        "timeInForce": "IOC" if o.order_type == "market" else "GTC",
        "type": order_type,
        "updateTime": t,
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
    }


def order_not_found() -> dict[str, Any]:
    """The error body of a query for an order the venue does not know (-2013)."""
    return {"code": -2013, "msg": "Order does not exist."}


def rest_trade(f: ev.FillReported, clock: Clock) -> dict[str, Any]:
    """A ``GET /fapi/v1/userTrades`` item (no client id: the venue sends none)."""
    if f.fee is None:
        raise EncodeError(f"trade {f.trade_id}: a REST trade always has its commission")
    return {
        "buyer": f.side == "buy",
        "commission": plain(f.fee),
        "commissionAsset": f.fee_asset or "USDT",
        "id": number(f.trade_id),
        "maker": False,
        "orderId": number(f.order_id),
        "price": plain(f.price),
        "qty": plain(f.quantity),
        "quoteQty": plain(f.price * f.quantity),
        "realizedPnl": plain(f.realized_pnl) if f.realized_pnl is not None else "0",
        "side": _side(f.side),
        "positionSide": "BOTH",
        "symbol": f.symbol,
        "time": clock.ms(f.version),
    }


def rest_position(p: ev.PositionReported, version: int, clock: Clock) -> dict[str, Any]:
    """A ``GET /fapi/v3/positionRisk`` item (one-way mode) with ``updateTime`` = ``version``."""
    return {
        "symbol": p.symbol,
        "positionSide": "BOTH",
        "positionAmt": plain(p.quantity),
        "entryPrice": plain(p.entry_price),
        "breakEvenPrice": plain(p.entry_price),
        "markPrice": plain(p.entry_price),
        "unRealizedProfit": "0",
        "liquidationPrice": "0",
        "isolatedMargin": "0",
        "notional": "0",
        "marginAsset": "USDT",
        "isolatedWallet": "0",
        "initialMargin": "0",
        "maintMargin": "0",
        "positionInitialMargin": "0",
        "openOrderInitialMargin": "0",
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": clock.ms(version),
    }


def rest_account(snap: ev.SnapshotTaken, clock: Clock) -> dict[str, Any]:
    """A ``GET /fapi/v3/account`` body: every asset, ``updateTime`` = the snapshot's version.

    The venue's ``updateTime`` is an asset's last change; the model's snapshot is a cut at
    its version, which the adapter reads as the newest ``updateTime``: the same cut.
    """
    t = clock.ms(snap.version)
    assets = []
    for b in snap.balances:
        free = b.free if b.free is not None else b.total
        assets.append(
            {
                "asset": b.asset,
                "walletBalance": plain(b.total),
                "unrealizedProfit": "0",
                "marginBalance": plain(b.total),
                "maintMargin": "0",
                "initialMargin": "0",
                "positionInitialMargin": "0",
                "openOrderInitialMargin": "0",
                "crossWalletBalance": plain(free),
                "crossUnPnl": "0",
                "availableBalance": plain(free),
                "maxWithdrawAmount": plain(free),
                "updateTime": t,
            }
        )
    total = sum((b.total for b in snap.balances), _ZERO)
    return {
        "totalInitialMargin": "0",
        "totalMaintMargin": "0",
        "totalWalletBalance": plain(total),
        "totalUnrealizedProfit": "0",
        "totalMarginBalance": plain(total),
        "totalPositionInitialMargin": "0",
        "totalOpenOrderInitialMargin": "0",
        "totalCrossWalletBalance": plain(total),
        "totalCrossUnPnl": "0",
        "availableBalance": plain(total),
        "maxWithdrawAmount": plain(total),
        "assets": assets,
        "positions": [
            {
                "symbol": p.symbol,
                "positionSide": "BOTH",
                "positionAmt": plain(p.quantity),
                "unrealizedProfit": "0",
                "isolatedMargin": "0",
                "notional": "0",
                "isolatedWallet": "0",
                "initialMargin": "0",
                "maintMargin": "0",
                "updateTime": t,
            }
            for p in snap.positions
        ],
    }


def snapshot_bodies(snap: ev.SnapshotTaken, clock: Clock | None = None) -> dict[str, Any]:
    """The four REST bodies of a resync, keyed as ``binance_usdm.parse_snapshot`` takes them."""
    c = clock or Clock()
    return {
        "account": rest_account(snap, c),
        "positions": [rest_position(p, snap.version, c) for p in snap.positions],
        "open_orders": [rest_order(o, c) for o in snap.open_orders],
        "trades": [rest_trade(f, c) for f in snap.trades],
    }
