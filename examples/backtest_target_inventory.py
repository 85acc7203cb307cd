"""A trend bot holding 0 or 2 BTC, backtested on the shipped sample over a hostile private stream.

On every price it picks a target (2 BTC above the average of the last 300 prices, else 0),
reads the Inventory's exposure range and trades only what the range leaves missing: an
order in flight, a fill heard before its balance update, or a fill not heard at all are
all inside ``low..high``, so however late, duplicated or lost the venue's messages are,
it never buys or sells twice.
"""

from collections import deque
from decimal import ROUND_DOWN, Decimal

from core import Instrument
from invsync.backtest import SAMPLE_TRADES, Backtest, Context, PriceFile, Strategy, parse_faults

BTC = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
TARGET = Decimal(2)
LOT = Decimal("0.01")


class TrendTarget(Strategy):
    def __init__(self) -> None:
        self.recent: deque[Decimal] = deque(maxlen=300)

    def on_price(self, ctx: Context, price: Decimal) -> None:
        self.recent.append(price)
        inv = ctx.inventory
        if len(self.recent) < 300 or inv.sync_state not in ("synced", "settling"):
            return  # warming up, or the stream broke: a snapshot is on its way
        target = TARGET if price > sum(self.recent) / len(self.recent) else Decimal(0)
        btc = inv.exposure("BTC")
        buy = (target - btc.high).quantize(LOT, ROUND_DOWN)
        sell = (btc.low - target).quantize(LOT, ROUND_DOWN)
        if buy > 0:  # limits a little through the market: they fill on arrival
            ctx.orders.place("BTCUSDT", "buy", buy, (price * Decimal("1.001")).quantize(LOT))
        elif sell > 0:
            ctx.orders.place("BTCUSDT", "sell", sell, (price * Decimal("0.999")).quantize(LOT))


result = Backtest(
    PriceFile(SAMPLE_TRADES),
    TrendTarget(),
    instrument=BTC,
    balances={"USDT": Decimal(100_000)},
    seed=1,
    faults=parse_faults("hostile"),
).run()
most = max(s.base for s in result.samples)  # the venue's truth, sampled at every fill
print(f"{len(result.sent)} orders, {len(result.fills)} fills, most BTC ever held: {most}")
print(f"resyncs after lost messages: {result.counters.resyncs}; PnL {result.pnl:.2f} USDT")
assert most <= TARGET, "bought past the target"
