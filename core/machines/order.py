"""The order lifecycle machine: one per order, the single source of truth for its statuses.

Reports arrive in any order, so every event is allowed where it can be late: status only
moves forward (pending_new < open < partially_filled < terminal; ``pending_cancel`` and
``unknown`` are local doubts that a report settles), and terminal states absorb every
status report. Fills are counted elsewhere; a fill only feeds the ``fill`` event here.
Events with no transition from a state are absorbed (the status stays).
"""

from __future__ import annotations

from typing import Any, Final

from statemachine import State, StateMachine

from core.machines.table import Table, derive


class OrderLifecycle(StateMachine):
    """Status of one order; guards read the order's known fill quantity."""

    pending_new = State("pending_new", initial=True)
    """Submitted by the bot, not yet reported by the venue (in flight)."""
    open = State("open")
    """Live on the venue with no known fill (a conditional order waiting for its trigger)."""
    partially_filled = State("partially_filled")
    """Live, with some quantity filled."""
    pending_cancel = State("pending_cancel")
    """The bot asked to cancel; the venue has not confirmed the end."""
    unknown = State("unknown")
    """Fate unknown (submission timed out, or gone from an open-orders snapshot)."""
    filled = State("filled", final=True)
    """Ended: the whole quantity filled."""
    canceled = State("canceled", final=True)
    """Ended: canceled, by the bot or the venue."""
    rejected = State("rejected", final=True)
    """Ended: refused by the venue; never lived."""
    expired = State("expired", final=True)
    """Ended: expired (time in force, IOC/FOK remainder)."""
    triggered = State("triggered", final=True)
    """Ended: a conditional order that triggered into a new order, which carries it on."""

    accepted = (
        pending_new.to(partially_filled, cond="has_fills")
        | pending_new.to(open)
        | unknown.to(partially_filled, cond="has_fills")
        | unknown.to(open)
        | open.to(partially_filled, cond="has_fills")
    )
    """The venue reports the order live (new, or re-pushed after an amend or a trigger)."""

    fill = (
        pending_new.to(filled, cond="complete")
        | pending_new.to(partially_filled)
        | open.to(filled, cond="complete")
        | open.to(partially_filled)
        | partially_filled.to(filled, cond="complete")
        | unknown.to(filled, cond="complete")
        | unknown.to(partially_filled)
        | pending_cancel.to(filled, cond="complete")
    )
    """A fill or a partially-filled report: known fills grew (complete once they reach quantity)."""

    done = (
        pending_new.to(filled)
        | open.to(filled)
        | partially_filled.to(filled)
        | pending_cancel.to(filled)
        | unknown.to(filled)
    )
    """The venue reports the order filled."""

    cancel = (
        pending_new.to(canceled)
        | open.to(canceled)
        | partially_filled.to(canceled)
        | pending_cancel.to(canceled)
        | unknown.to(canceled)
    )
    """The venue reports the order canceled."""

    reject = (
        pending_new.to(rejected, unless="has_fills")
        | unknown.to(rejected, unless="has_fills")
        | pending_cancel.to(rejected, unless="has_fills")
    )
    """The venue refused the order (a rejected report, a definite submission failure)."""

    expire = (
        pending_new.to(expired)
        | open.to(expired)
        | partially_filled.to(expired)
        | pending_cancel.to(expired)
        | unknown.to(expired)
    )
    """The venue reports the order expired."""

    trigger = (
        pending_new.to(triggered)
        | open.to(triggered)
        | unknown.to(triggered)
        | pending_cancel.to(triggered)
    )
    """A conditional order triggered into a new order."""

    cancel_requested = (
        pending_new.to(pending_cancel)
        | open.to(pending_cancel)
        | partially_filled.to(pending_cancel)
        | unknown.to(pending_cancel)
    )
    """The bot asked to cancel."""

    cancel_failed = (
        pending_cancel.to(unknown, unless="acknowledged")
        | pending_cancel.to(partially_filled, cond="has_fills")
        | pending_cancel.to(open)
    )
    """The venue refused the cancel; the order lives on until a report says otherwise."""

    timed_out = pending_new.to(unknown) | pending_cancel.to(unknown, unless="acknowledged")
    """The submission's answer never came (timeout, 5xx, -1006/-1007)."""

    vanished = (
        pending_new.to(unknown)
        | open.to(unknown)
        | partially_filled.to(unknown)
        | pending_cancel.to(unknown)
    )
    """A complete open-orders snapshot no longer lists the order (for one still in flight:
    a report older than that snapshot arrived)."""

    not_found = (
        pending_new.to(rejected, unless="has_fills")
        | unknown.to(rejected, unless="has_fills")
        | pending_cancel.to(rejected, unless="has_fills")
    )
    """An order query answered that the venue has no such order."""

    def __init__(self, model: Any = None, **kwargs: Any) -> None:
        super().__init__(model=model, **kwargs)

    def has_fills(self) -> bool:
        """Some quantity of the order is known filled."""
        return bool(self.model.has_fills)

    def complete(self) -> bool:
        """Known fills reach the order's quantity."""
        return bool(self.model.complete)

    def acknowledged(self) -> bool:
        """The venue has reported the order (a report or a fill of it was heard)."""
        return bool(self.model.acknowledged)


TABLE: Final[Table] = derive(OrderLifecycle)
TERMINAL: Final = TABLE.final
