"""The fill settlement machine: one per trade id, from first sight to settled.

A fill is ``implied`` while only a cumulative quantity speaks of it, ``reported`` once
its own message came, ``covered`` when a balance or position report includes it before
its message came (settled-before-reported), and ``settled`` when both hold.
"""

from __future__ import annotations

from typing import Final

from statemachine import State, StateMachine

from core.machines.table import Table, derive


class FillSettlement(StateMachine):
    """Where one trade stands between its message and the reports that include it."""

    implied = State("implied", initial=True)
    """Known only from an order's cumulative quantity; not yet counted."""
    reported = State("reported")
    """Its message came and is counted; no report covers it yet (unsettled)."""
    covered = State("covered")
    """A report includes it but its message has not come (settled before reported)."""
    settled = State("settled", final=True)
    """Counted, and included in the reports of every scope it moves."""

    message = implied.to(reported) | covered.to(settled)
    """The fill's own message arrived (counted once; later copies only merge)."""

    cover = implied.to(covered) | reported.to(settled)
    """Balance and position reports now include the fill."""


TABLE: Final[Table] = derive(FillSettlement)
