"""invsync: the product shell around the verified core.

The public surface of the core is re-exported here (``from invsync import Inventory,
Instrument, ...``; ``from core import ...`` keeps working). Optional parts, each behind an
extra: ``invsync.live`` (the I/O edge: runner, journal, order entry, loopback exchange;
``invsync[live]``), ``invsync.backtest`` (``invsync[demo]``) and ``invsync.testing`` (the
verification kit for your own CI; ``invsync[testing]``). The ``invsync`` command is
``invsync.cli``.
"""

from core import Instrument, InvalidEvent, Inventory, InventoryError, ParseError, events, requests
from core.adapters import binance_spot, binance_usdm, bybit, okx

__all__ = [
    "Instrument",
    "InvalidEvent",
    "Inventory",
    "InventoryError",
    "ParseError",
    "binance_spot",
    "binance_usdm",
    "bybit",
    "events",
    "okx",
    "requests",
]
