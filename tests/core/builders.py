"""Small builders for core events and a fingerprint of an Inventory's observable state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core import Instrument, Inventory
from core import events as ev
from core.views import Order

D = Decimal
BTCUSDT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
ETHBTC = Instrument(symbol="ETHBTC", kind="spot", base="ETH", quote="BTC")
PERP = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")
INVERSE = Instrument(
    symbol="BTCUSD_PERP", kind="inverse", base="BTC", quote="USD", contract_size=D(100)
)


def spot(usdt: str = "1000", btc: str = "0", version: int = 1) -> Inventory:
    """A synced spot Inventory holding ``usdt`` USDT and ``btc`` BTC at ``version``."""
    inv = Inventory([BTCUSDT, ETHBTC])
    inv.apply(
        ev.SnapshotTaken(
            version=version,
            balances=(
                ev.BalanceReported("USDT", D(usdt), D(usdt), version),
                ev.BalanceReported("BTC", D(btc), D(btc), version),
            ),
        )
    )
    return inv


def perp(quantity: str = "0", entry: str = "0") -> Inventory:
    """A synced linear-perpetual account: 1000 USDT and a position of ``quantity`` at
    ``entry``, both reported at version 1."""
    inv = Inventory([PERP])
    inv.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(ev.BalanceReported("USDT", D(1000), D(1000), 1),),
            positions=(ev.PositionReported("BTCUSDT", D(quantity), D(entry), 1),),
        )
    )
    return inv


def report(
    status: str,
    filled: str,
    version: int,
    *,
    cid: str | None = "c1",
    oid: str = "1",
    side: str = "buy",
    qty: str = "1",
    price: str | None = "100",
    avg: str | None = None,
    symbol: str = "BTCUSDT",
    kind: str | None = None,
) -> ev.OrderReported:
    """An order report."""
    return ev.OrderReported(
        symbol=symbol,
        order_id=oid,
        client_order_id=cid,
        side=side,
        status=status,
        quantity=D(qty),
        price=None if price is None else D(price),
        filled_quantity=D(filled),
        average_price=None if avg is None else D(avg),
        version=version,
        kind=kind,
        order_type="limit" if price is not None else "market",
    )


def fill(
    tid: str,
    qty: str,
    price: str,
    version: int,
    *,
    cid: str | None = "c1",
    oid: str = "1",
    side: str = "buy",
    fee: str | None = "0",
    fee_asset: str | None = "USDT",
    symbol: str = "BTCUSDT",
    kind: str | None = None,
    pnl: str | None = None,
) -> ev.FillReported:
    """A fill."""
    return ev.FillReported(
        symbol=symbol,
        order_id=oid,
        client_order_id=cid,
        trade_id=tid,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=None if fee is None else D(fee),
        fee_asset=fee_asset,
        version=version,
        kind=kind,
        realized_pnl=None if pnl is None else D(pnl),
    )


def bal(asset: str, total: str, free: str, version: int) -> ev.BalanceReported:
    """A balance report."""
    return ev.BalanceReported(asset, D(total), D(free), version)


def fingerprint(
    inv: Inventory,
    assets: tuple[str, ...] = ("USDT", "BTC", "ETH", "BNB"),
    keys: tuple[str, ...] = ("c1", "c2", "1", "2"),
) -> Any:
    """Everything a caller can observe, as one comparable value."""
    positions = []
    for inst in inv.instruments:
        if inst.is_derivative:
            positions.append((inst.symbol, inv.position(inst.symbol), inv.exposure(inst.symbol)))
    return (
        tuple((a, inv.balance(a), inv.exposure(a)) for a in assets),
        tuple(positions),
        tuple((k, inv.order(k)) for k in keys),
        tuple(sorted(map(repr, inv.open_orders()))),
        inv.sync_state,
        inv.stats(),
        tuple(inv.requests()),
    )


def order_view(inv: Inventory, key: str) -> Order:
    """The order's public view, which must exist."""
    view = inv.order(key)
    assert view is not None, key
    return view


def usdt(inv: Inventory) -> tuple[Decimal, Decimal]:
    """USDT's expected (total, free)."""
    b = inv.balance("USDT")
    return b.total, b.free
