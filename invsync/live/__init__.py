"""The live edge: runner, journal, order entry, venue clients and the loopback exchange.

Needs the ``live`` extra (aiohttp). A runner per account::

    async with Runner(BinanceSpotClient(rest, ws, key, secret), "bot.journal", inventory) as r:
        await r.wait_synced()
        cid = await r.place("BTCUSDT", "buy", Decimal("0.01"), Decimal("50000"))
        r.inventory.order(cid)

spec/live.md states the behaviour (gaps, query cadence, journal durability, compaction,
weight budget).
"""

from invsync.live.binance_spot import BinanceSpotClient, WeightBudget
from invsync.live.config import RunnerConfig
from invsync.live.journal import Journal, JournalError
from invsync.live.journaled import JournaledInventory, rebuild
from invsync.live.runner import OrderRefused, Runner
from invsync.live.venue import RateLimited, Reply, StreamEnded, Venue

__all__ = [
    "BinanceSpotClient",
    "Journal",
    "JournalError",
    "JournaledInventory",
    "OrderRefused",
    "RateLimited",
    "Reply",
    "Runner",
    "RunnerConfig",
    "StreamEnded",
    "Venue",
    "WeightBudget",
    "rebuild",
]
