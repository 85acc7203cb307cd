"""A live bot against the loopback exchange (a Binance spot venue on 127.0.0.1)."""

import asyncio
import sys
import tempfile
from decimal import Decimal

from core import Instrument, Inventory
from invsync.live import BinanceSpotClient, Runner
from invsync.live.loopback import LoopbackExchange

BTC = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
JOURNAL = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp() + "/bot.journal"


async def main() -> None:
    prices = {"BTCUSDT": Decimal(50_000)}
    async with LoopbackExchange([BTC], {"USDT": Decimal(10_000)}, prices=prices) as ex:
        venue = BinanceSpotClient(ex.rest_url, ex.ws_api_url, "loopback-key", "loopback-secret")
        async with Runner(venue, JOURNAL, Inventory([BTC])) as bot:
            await bot.wait_synced()
            if bot.inventory.exposure("BTC").high < Decimal("0.1"):  # never buys twice
                cid = await bot.place("BTCUSDT", "buy", Decimal("0.1"), Decimal(49_000))
                ex.match("BTCUSDT", Decimal(48_900))  # the market trades through our price
                while (order := bot.inventory.order(cid)) is None or order.status != "filled":
                    await asyncio.sleep(0.01)
            print("BTC", bot.inventory.balance("BTC").total, "USDT", bot.inventory.balance("USDT"))


asyncio.run(main())
