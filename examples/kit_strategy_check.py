"""Check a strategy with invsync's verification kit: copy this file into your CI.

Replace ``target_buyer`` with your strategy's decision function. The kit runs it against
the exchange model (the truth) over a network that delays, reorders, duplicates and drops,
and fails if the strategy ever

* overshoots its target (``p3_no_overshoot``: what it truly holds plus every open buy
  must never exceed the target), or
* sends an order the venue refuses for funds (``p6_affordable``),

and checks the Inventory's own properties P1-P8 on the way.

    python -m pytest examples/kit_strategy_check.py               # the kit's ci profile
    invsync fuzz examples/kit_strategy_check.py --workers 2       # a deep campaign
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from invsync.testing import Cancel, InventorySuite, Place, ReadOnlyInventory, Target

LOT = Decimal("0.001")


def target_buyer(inventory: ReadOnlyInventory, target: Target) -> list[Place]:
    """Buy what is missing up to the target, sized from what may already be coming.

    ``exposure(asset).high`` counts the coins held, fills heard but not yet settled, and
    every open or in-flight buy: sizing from it never buys twice because of lag. The
    quantity is also capped by the free funds, which the Inventory never overstates.
    """
    missing = target.quantity - inventory.exposure(target.asset).high
    affordable = inventory.balance(target.funds).free / target.price
    quantity = min(missing, affordable).quantize(LOT, rounding=ROUND_DOWN)
    return [Place("buy", quantity, target.price)] if quantity > 0 else []


class TargetBuyerCheck(InventorySuite):
    """The kit's world, with ``target_buyer`` deciding instead of the kit's random bot."""

    def strategy(self, inventory: ReadOnlyInventory, target: Target) -> Iterable[Place | Cancel]:
        return target_buyer(inventory, target)


TestTargetBuyer = TargetBuyerCheck.TestCase
