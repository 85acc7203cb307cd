"""Backtests on the same Inventory a live bot uses (``invsync[demo]`` for tables and plots).

The exchange model (``models.exchange.ExchangeModel``) is the venue; a price path comes from
a CSV of trades or bars (``PriceFile``); the private stream between venue and bot has
latency and seeded faults (``Latency``, ``Faults``); a ``Strategy`` reads the tracker and
sends orders through ``ctx.orders.place / cancel / amend``, the live runner's names.
``Backtest(...).run()`` returns a ``Result`` (fills, samples of the account over time,
orders sent with the truth at that moment); ``invsync.backtest.report`` prints it and
writes it as CSV. A run is deterministic for its seed.

    from invsync.backtest import Backtest, PriceFile, TargetInventory, SAMPLE_TRADES
    result = Backtest(PriceFile(SAMPLE_TRADES), TargetInventory(), seed=1).run()
"""

from invsync.backtest.engine import (
    DEFAULT_BALANCES,
    SAMPLE_INSTRUMENT,
    Backtest,
    Context,
    Fill,
    OrderEntry,
    Result,
    Sample,
    SentOrder,
    Strategy,
    Tracker,
)
from invsync.backtest.faults import Faults, parse_faults
from invsync.backtest.latency import Latency, Leg, parse_latency
from invsync.backtest.prices import PriceFile, PriceFileError, Tick
from invsync.backtest.sample import BARS as SAMPLE_BARS
from invsync.backtest.sample import TRADES as SAMPLE_TRADES
from invsync.backtest.strategies import Idle, MarketMaker, TargetInventory

__all__ = [
    "DEFAULT_BALANCES",
    "SAMPLE_BARS",
    "SAMPLE_INSTRUMENT",
    "SAMPLE_TRADES",
    "Backtest",
    "Context",
    "Faults",
    "Fill",
    "Idle",
    "Latency",
    "Leg",
    "MarketMaker",
    "OrderEntry",
    "PriceFile",
    "PriceFileError",
    "Result",
    "Sample",
    "SentOrder",
    "Strategy",
    "TargetInventory",
    "Tick",
    "Tracker",
    "parse_faults",
    "parse_latency",
]
