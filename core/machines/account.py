"""The account sync machine: one per account, from first snapshot to synced, and back after a break.

The core never does I/O: in ``unknown`` and ``stale`` it asks the caller for a complete
snapshot (see ``Inventory.take_requests``), which moves it to ``resyncing``; the
snapshot, whatever its own version, brings it back.
"""

from __future__ import annotations

from typing import Final

from statemachine import State, StateMachine

from core.machines.table import Table, derive


class AccountSync(StateMachine):
    """How far the local copy of the account can be trusted."""

    unknown = State("unknown", initial=True)
    """No complete snapshot yet, whatever stream messages arrived."""
    synced = State("synced")
    """A snapshot is applied and every known fill is settled."""
    settling = State("settling")
    """Synced, with fills not yet covered by a balance or position report."""
    stale = State("stale")
    """The stream broke (disconnect, gap, expired key, failed login); a snapshot is needed."""
    resyncing = State("resyncing")
    """A snapshot was requested from the caller and has not been applied yet."""

    snapshot = (
        unknown.to(settling, cond="unsettled")
        | unknown.to(synced)
        | synced.to(settling, cond="unsettled")
        | settling.to(synced, unless="unsettled")
        | stale.to(settling, cond="unsettled")
        | stale.to(synced)
        | resyncing.to(settling, cond="unsettled")
        | resyncing.to(synced)
    )
    """A complete snapshot was applied."""

    unsettled_fill = synced.to(settling)
    """A fill is counted that no report covers yet."""

    all_settled = settling.to(synced, unless="unsettled")
    """Reports now cover every counted fill."""

    broken = synced.to(stale) | settling.to(stale) | resyncing.to(stale)
    """The stream broke or lost messages."""

    resync_requested = stale.to(resyncing) | unknown.to(unknown)
    """The caller took the request for a snapshot."""

    def unsettled(self) -> bool:
        """Some counted fill is not covered by a report yet."""
        return bool(self.model.unsettled)


TABLE: Final[Table] = derive(AccountSync)
