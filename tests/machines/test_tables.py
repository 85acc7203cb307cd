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


def test_inventory_hot_tables_are_the_derived_tables() -> None:
    for (s, e, hf, c, ack), target in inventory._ORDER_NEXT.items():
        guards = {"has_fills": hf, "complete": c, "acknowledged": ack}
        assert target == order.TABLE.next(s, e, guards.__getitem__)
    for (s, e, u), target in inventory._ACCOUNT_NEXT.items():
        assert target == account.TABLE.next(s, e, {"unsettled": u}.__getitem__)
    assert len(inventory._ORDER_NEXT) == len(order.TABLE.states) * len(order.TABLE.events) * 8


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
