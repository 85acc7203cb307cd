"""invsync core: a verified, sans-I/O inventory of one exchange account.

Pure and embeddable: depends on ``attrs`` and ``python-statemachine`` only. Feed it
events (``core.events``, usually from ``core.adapters``), ask it for balances,
positions, orders and exposure; it tells the I/O edge what to fetch (``core.requests``).
"""

from core.errors import InvalidEvent, InventoryError, ParseError
from core.instrument import Instrument
from core.inventory import Inventory

__all__ = ["Instrument", "InvalidEvent", "Inventory", "InventoryError", "ParseError"]
