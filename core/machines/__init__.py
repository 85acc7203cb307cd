"""The three machines of the core: order lifecycle, fill settlement, account sync."""

from core.machines.account import AccountSync
from core.machines.fill import FillSettlement
from core.machines.order import OrderLifecycle

__all__ = ["AccountSync", "FillSettlement", "OrderLifecycle"]
