"""The hot-path tables agree with the python-statemachine classes on every input.

For each machine: every state x event x guard outcome is sent to a real instance of the
class (started in that state) and compared with the derived table the Inventory runs on.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

from core import inventory
from core.machines import account, fill, order
from core.machines.table import Table

MACHINES = [
    (order.OrderLifecycle, order.TABLE),
    (fill.FillSettlement, fill.TABLE),
    (account.AccountSync, account.TABLE),
]


class _Model:
    """A model object carrying a preset state and fixed guard outcomes."""

    def __init__(self, state: str, guards: dict[str, bool]) -> None:
        self.state = state
        for name, value in guards.items():
            setattr(self, name, value)


def _outcomes(table: Table) -> list[dict[str, bool]]:
    return [
        dict(zip(table.guards, values, strict=True))
        for values in itertools.product((False, True), repeat=len(table.guards))
    ]


def _class_next(machine: type[Any], state: str, event: str, guards: dict[str, bool]) -> str | None:
    model = _Model(state, guards)
    sm = machine(model=model)
    try:
        sm.send(event)
    except TransitionNotAllowed:
        return None
    return str(model.state)


@pytest.mark.parametrize(("machine", "table"), MACHINES, ids=lambda m: getattr(m, "__name__", ""))
def test_table_agrees_with_class_on_every_state_event_and_guard(
    machine: type[Any], table: Table
) -> None:
    checked = 0
    for state in table.states:
        for event in table.events:
            for guards in _outcomes(table):
                expected = _class_next(machine, state, event, guards)
                got = table.next(state, event, guards.__getitem__)
                # A self-transition and "not allowed" both leave the status where it was.
                assert (got or state) == (expected or state), (state, event, guards)
                checked += 1
    assert checked == len(table.states) * len(table.events) * 2 ** len(table.guards)


# The order lifecycle as DESIGN §3 and the Edge rules state it, written out by hand:
# (status, event, has_fills, complete, acknowledged) -> the next status (None: it stays).
ORDER_RULES: list[tuple[str, str, bool, bool, bool, str | None]] = [
    ("pending_new", "accepted", False, False, True, "open"),
    ("pending_new", "accepted", True, False, True, "partially_filled"),  # fill before ack
    ("pending_new", "fill", True, False, False, "partially_filled"),
    ("pending_new", "fill", True, True, False, "filled"),  # fills reach the quantity
    ("open", "fill", True, False, True, "partially_filled"),
    ("open", "fill", True, True, True, "filled"),
    ("partially_filled", "fill", True, True, True, "filled"),
    ("partially_filled", "accepted", True, False, True, None),  # never back to open
    ("partially_filled", "cancel", True, False, True, "canceled"),
    ("pending_cancel", "fill", True, True, True, "filled"),
    ("pending_cancel", "fill", True, False, True, None),  # still asking to cancel
    ("pending_cancel", "cancel", False, False, True, "canceled"),
    ("pending_cancel", "cancel_failed", False, False, False, "unknown"),  # never heard of
    ("pending_cancel", "cancel_failed", True, False, True, "partially_filled"),
    ("pending_cancel", "cancel_failed", False, False, True, "open"),
    ("pending_new", "timed_out", False, False, False, "unknown"),  # a timeout is no rejection
    ("unknown", "accepted", False, False, True, "open"),
    ("unknown", "not_found", False, False, False, "rejected"),
    ("unknown", "not_found", True, False, True, None),  # its fills prove it lived
    ("open", "vanished", False, False, True, "unknown"),
    ("open", "trigger", False, False, True, "triggered"),
    ("open", "expire", False, False, True, "expired"),
    ("pending_new", "reject", False, False, False, "rejected"),
    ("filled", "cancel", True, True, True, None),  # terminal absorbs
    ("canceled", "fill", True, False, True, None),  # a late fill counts, status stays
    ("rejected", "accepted", False, False, True, None),
]

# The account's sync state (DESIGN §3 machine 3):
# (state, event, unsettled fills pending) -> the next state (None: it stays).
ACCOUNT_RULES: list[tuple[str, str, bool, str | None]] = [
    ("unknown", "snapshot", False, "synced"),
    ("unknown", "snapshot", True, "settling"),
    ("unknown", "unsettled_fill", True, None),  # stream messages do not sync the account
    ("synced", "unsettled_fill", True, "settling"),
    ("settling", "all_settled", False, "synced"),
    ("synced", "broken", False, "stale"),
    ("settling", "broken", True, "stale"),
    ("stale", "resync_requested", False, "resyncing"),
    ("resyncing", "snapshot", False, "synced"),
    ("stale", "snapshot", True, "settling"),
    ("resyncing", "broken", False, "stale"),
]


@pytest.mark.parametrize(("state", "event", "hf", "complete", "ack", "want"), ORDER_RULES)
def test_inventory_order_table_follows_the_lifecycle_rules(
    state: str, event: str, hf: bool, complete: bool, ack: bool, want: str | None
) -> None:
    got = inventory._ORDER_NEXT[(state, event, hf, complete, ack)]
    assert (got or state) == (want or state)
    guards = {"has_fills": hf, "complete": complete, "acknowledged": ack}
    assert (_class_next(order.OrderLifecycle, state, event, guards) or state) == (want or state)


@pytest.mark.parametrize(("state", "event", "unsettled", "want"), ACCOUNT_RULES)
def test_inventory_account_table_follows_the_sync_rules(
    state: str, event: str, unsettled: bool, want: str | None
) -> None:
    got = inventory._ACCOUNT_NEXT[(state, event, unsettled)]
    assert (got or state) == (want or state)
    guards = {"unsettled": unsettled}
    assert (_class_next(account.AccountSync, state, event, guards) or state) == (want or state)


def test_inventory_order_table_covers_every_status_event_and_guard() -> None:
    # 10 statuses (DESIGN §3 machine 1), 12 events of the class, 3 boolean guards.
    statuses = {s for s, *_ in inventory._ORDER_NEXT}
    assert statuses == {
        "pending_new", "open", "partially_filled", "pending_cancel", "unknown",
        "filled", "canceled", "rejected", "expired", "triggered",
    }  # fmt: skip
    assert len(inventory._ORDER_NEXT) == 10 * 12 * 2**3


def test_every_state_and_event_has_a_docstring() -> None:
    import ast
    import inspect

    for machine, table in MACHINES:
        tree = ast.parse(inspect.getsource(machine))
        body = tree.body[0].body  # type: ignore[attr-defined]
        documented: set[str] = set()
        for stmt, nxt in itertools.pairwise(body):
            if (
                isinstance(stmt, ast.Assign)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                documented.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        missing = (set(table.states) | set(table.events)) - documented
        assert not missing, f"{machine.__name__}: undocumented {sorted(missing)}"


def test_terminal_states_absorb_every_status_report() -> None:
    for state in order.TERMINAL:
        for event in ("accepted", "fill", "done", "cancel", "reject", "expire", "trigger"):
            for guards in _outcomes(order.TABLE):
                assert order.TABLE.next(state, event, guards.__getitem__) is None
