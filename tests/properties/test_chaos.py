"""P1-P7 under chaos: the Inventory against the exchange model, spot and derivatives.

The state machines live in ``chaos_machines``; this module runs them with the active
Hypothesis profile (``tests/conftest.py``: ``ci`` by default, ``deep`` for fuzzing).
"""

from __future__ import annotations

from tests.properties.chaos_machines import DerivativeChaos, SpotChaos

TestSpotAccount = SpotChaos.TestCase
TestDerivativeAccount = DerivativeChaos.TestCase
