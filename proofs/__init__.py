"""Proofs of the invsync core (DESIGN §6): bounded model checking and laws for all inputs.

* ``proofs.model_check``: every interleaving, duplicate and drop of small scenarios
  (``proofs.scenarios``, ground truth from ``proofs.venue``) against the real
  ``core.Inventory``, checking P1-P7 in every reachable state (BFS, state hashing).
* ``proofs.laws``: the order-status join and the ledger merge laws, proved with z3 and
  tied to the real code (the lattice is derived from the machine table; the ledger
  encoding is checked against the real ``AssetLedger`` exhaustively on a small domain).

``python -m proofs`` runs all at the CI bound (``--deep`` for the deep bound) and exits
non-zero, printing a shortest counterexample, if any proof fails.
"""

from proofs.result import Result

__all__ = ["Result"]
