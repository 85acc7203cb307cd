"""Built-in strategies: ``Idle`` (the speed baseline), ``TargetInventory``, ``MarketMaker``.

They read only what a live bot reads — the tracker (``ctx.inventory``: balances, exposure,
open orders, sync state) and the last price — and act only through ``ctx.orders``. Each
remembers the cancels and amends it has sent (a tracker that does not record intents,
like the naive one, would otherwise be asked the same thing on every price step).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Final

from core import events as ev
from invsync.backtest.engine import Context, Strategy

#: The states in which an Inventory's figures may be traded on (a naive tracker is always
#: "synced"): while stale or resyncing the bot waits for the snapshot it asked for.
TRADABLE: Final = frozenset({"synced", "settling"})
_BPS: Final = Decimal("0.0001")
_LIVE: Final = frozenset({"open", "partially_filled"})
#: Don't amend the same order again sooner than this (us): its last amend may be in flight.
AMEND_GAP_US: Final = 2_000_000


def _tick(price: Decimal, tick: Decimal) -> Decimal:
    return price.quantize(tick)


class Idle(Strategy):
    """Does nothing: measures the harness itself."""


class TargetInventory(Strategy):
    """Holds a target quantity of the base asset: buys up to it, sells down to it.

    The target steps through ``levels`` every ``period_s`` simulated seconds. Sizing reads
    the exposure range: buy ``target - high``, sell ``low - target``, in whole ``lot`` s, so
    that with an Inventory no lag can make it overshoot. Orders rest ``offset_bps`` inside
    the last price; every ``aggressive_every``-th order crosses it instead (an instant fill);
    resting orders further than ``reprice_bps`` from where they would go now are amended,
    orders on the wrong side of the target are canceled (once: a refused cancel means the
    order is done). It looks again on every price step and on every order or fill message.
    """

    def __init__(
        self,
        levels: Sequence[Decimal] = (Decimal(1), Decimal(3), Decimal("0.5"), Decimal(2)),
        period_s: float = 60.0,
        *,
        lot: Decimal = Decimal("0.01"),
        offset_bps: Decimal = Decimal(3),
        reprice_bps: Decimal = Decimal(10),
        aggressive_every: int = 3,
        price_tick: Decimal = Decimal("0.01"),
    ) -> None:
        if not levels:
            raise ValueError("TargetInventory: needs at least one target level")
        self.levels = tuple(levels)
        self.period_us = int(period_s * 1_000_000)
        self.lot = lot
        self.offset = offset_bps * _BPS
        self.reprice = reprice_bps * _BPS
        self.aggressive_every = aggressive_every
        self.price_tick = price_tick
        self.t0 = 0
        self._placed = 0
        self._canceling: set[str] = set()
        self._amended: dict[str, int] = {}

    def target_at(self, now: int) -> Decimal:
        """The target at simulated time ``now`` (us)."""
        k = max(0, now - self.t0) // max(1, self.period_us)
        return self.levels[k % len(self.levels)]

    def on_start(self, ctx: Context) -> None:
        """The schedule starts with the run."""
        self.t0 = ctx.now

    def on_event(self, ctx: Context, event: ev.Event) -> None:
        """News about an order is a reason to look again (as bots react to "order filled")."""
        if ctx.price is not None and isinstance(event, ev.OrderReported | ev.FillReported):
            self.on_price(ctx, ctx.price)

    def _price(self, side: str, last: Decimal, aggressive: bool) -> Decimal:
        sign = 1 if (side == "buy") == aggressive else -1
        return _tick(last * (1 + sign * self.offset), self.price_tick)

    def on_price(self, ctx: Context, price: Decimal) -> None:
        """Cancel what points the wrong way, re-price what drifted, send what is missing."""
        inv = ctx.inventory
        if inv.sync_state not in TRADABLE:
            return
        inst = ctx.instrument
        target = self.target_at(ctx.now)
        e = inv.exposure(inst.base)
        for o in inv.open_orders():
            cid = o.client_order_id
            if cid is None or o.symbol != inst.symbol or cid in self._canceling:
                continue
            if (o.side == "buy" and e.high > target) or (o.side == "sell" and e.low < target):
                self._canceling.add(cid)
                ctx.orders.cancel(cid)
                continue
            if o.status in _LIVE and o.price is not None:
                want = self._price(o.side, price, aggressive=False)
                far = abs(o.price - want) > self.reprice * price
                if far and ctx.now - self._amended.get(cid, -AMEND_GAP_US) >= AMEND_GAP_US:
                    self._amended[cid] = ctx.now
                    ctx.orders.amend(cid, price=want)
        if target > e.high:
            side, need = "buy", target - e.high
        elif target < e.low:
            side, need = "sell", e.low - target
        else:
            return
        qty = (need / self.lot).to_integral_value(ROUND_DOWN) * self.lot
        if qty <= 0:
            return
        self._placed += 1
        aggressive = self.aggressive_every > 0 and self._placed % self.aggressive_every == 0
        ctx.orders.place(inst.symbol, side, qty, self._price(side, price, aggressive))


class MarketMaker(Strategy):
    """Quotes one bid and one ask around the last price, within an inventory band.

    A side is quoted only while the exposure range leaves room for its whole size inside
    ``center ± max_position`` (``center``: the base held at the start); quotes further than
    ``reprice_bps`` from where they would go now are amended.
    """

    def __init__(
        self,
        size: Decimal = Decimal("0.05"),
        half_spread_bps: Decimal = Decimal(4),
        max_position: Decimal = Decimal("0.5"),
        *,
        reprice_bps: Decimal = Decimal(6),
        price_tick: Decimal = Decimal("0.01"),
    ) -> None:
        self.size = size
        self.half_spread = half_spread_bps * _BPS
        self.max_position = max_position
        self.reprice = reprice_bps * _BPS
        self.price_tick = price_tick
        self.center = Decimal(0)
        self._amended: dict[str, int] = {}

    def on_start(self, ctx: Context) -> None:
        """The band is centred on what the account holds at the start."""
        self.center = ctx.inventory.balance(ctx.instrument.base).total

    def on_price(self, ctx: Context, price: Decimal) -> None:
        """Keep one quote per side where the band allows; re-price drifted quotes."""
        inv = ctx.inventory
        if inv.sync_state not in TRADABLE:
            return
        inst = ctx.instrument
        e = inv.exposure(inst.base)
        quoting: set[str] = set()
        for o in inv.open_orders():
            cid = o.client_order_id
            if cid is None or o.symbol != inst.symbol:
                continue
            quoting.add(o.side)
            if o.status not in _LIVE or o.price is None:
                continue
            sign = -1 if o.side == "buy" else 1
            want = _tick(price * (1 + sign * self.half_spread), self.price_tick)
            if abs(o.price - want) > self.reprice * price and (
                ctx.now - self._amended.get(cid, -AMEND_GAP_US) >= AMEND_GAP_US
            ):
                self._amended[cid] = ctx.now
                ctx.orders.amend(cid, price=want)
        if "buy" not in quoting and e.high + self.size <= self.center + self.max_position:
            bid = _tick(price * (1 - self.half_spread), self.price_tick)
            ctx.orders.place(inst.symbol, "buy", self.size, bid)
        if "sell" not in quoting and e.low - self.size >= self.center - self.max_position:
            ask = _tick(price * (1 + self.half_spread), self.price_tick)
            ctx.orders.place(inst.symbol, "sell", self.size, ask)


#: ``--strategy`` names.
STRATEGIES: Final = {
    "target-inventory": TargetInventory,
    "market-maker": MarketMaker,
    "idle": Idle,
}
