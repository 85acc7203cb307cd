"""P1-P7 under chaos: the Inventory against the exchange model, spot and derivatives.

The state machines live in ``chaos_machines``; this module runs them with the active
Hypothesis profile (``tests/conftest.py``: ``ci`` by default, ``deep`` for fuzzing).
"""

from __future__ import annotations

from hypothesis import settings

from tests.properties.chaos_machines import DerivativeChaos, HistoryChaos, SpotChaos

#: The state machines are the heart of the suite: 5x the profile's examples.
STATEFUL = settings(max_examples=5 * settings().max_examples)

TestSpotAccount = SpotChaos.TestCase
TestSpotAccount.settings = STATEFUL
TestDerivativeAccount = DerivativeChaos.TestCase
TestDerivativeAccount.settings = STATEFUL

#: History eviction: the spot world once more, against a 3-order history.
TestHistoryEviction = HistoryChaos.TestCase
TestHistoryEviction.settings = STATEFUL
