"""invsync.testing: the verification kit for your own CI (``pip install 'invsync[testing]'``).

The exchange model (truth), the chaotic network and invsync's properties (DESIGN §4,
P1-P8), packaged as one Hypothesis state machine you subclass:

* check a **strategy**: override ``InventorySuite.strategy(inventory, target)``; the kit
  runs it against the model under chaos and fails if it ever overshoots its target
  (``p3_no_overshoot``) or sends an order the venue refuses for funds (``p6_affordable``);
* check an **adapter** for a venue invsync does not ship: override ``make_adapter()`` to
  return an ``Adapter`` whose ``encode`` renders the model's events as your venue's
  payloads and whose ``parse`` is your parser; P1-P8 are checked end to end.

    from invsync.testing import InventorySuite
    class MyStrategyCheck(InventorySuite):
        def strategy(self, inventory, target): ...
    TestMyStrategy = MyStrategyCheck.TestCase

Runs with the kit's ``ci`` profile by default (``INVSYNC_KIT_PROFILE=deep`` for long
runs; ``invsync fuzz`` runs campaigns over pytest-xdist). See docs/verification-kit.md.
"""

from invsync.testing.adapter import Adapter, Emitted, Message, core_events
from invsync.testing.encoders import BinanceSpotEncoder, binance_spot
from invsync.testing.suite import InventorySuite
from invsync.testing.world import (
    SPOT_ACCOUNT,
    Account,
    Cancel,
    Place,
    PropertyFailed,
    ReadOnlyInventory,
    Target,
    World,
)

__all__ = [
    "SPOT_ACCOUNT",
    "Account",
    "Adapter",
    "BinanceSpotEncoder",
    "Cancel",
    "Emitted",
    "InventorySuite",
    "Message",
    "Place",
    "PropertyFailed",
    "ReadOnlyInventory",
    "Target",
    "World",
    "binance_spot",
    "core_events",
]
