"""Derive a hot-path transition table from a python-statemachine class, at import time.

The class is the single source of truth; this module only reads it (states, their
transitions, events, ``cond``/``unless`` guard names) into plain dicts, so the hot path
pays a dict lookup and a few guard calls instead of a machine instance per object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs


@attrs.frozen(slots=True)
class Branch:
    """One guarded transition: taken when every ``cond`` holds and no ``unless`` holds."""

    cond: tuple[str, ...]
    unless: tuple[str, ...]
    target: str


@attrs.frozen(slots=True)
class Table:
    """The transitions of one machine class: ``(state, event) -> branches`` in class order."""

    machine: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    final: frozenset[str]
    initial: str
    guards: tuple[str, ...]
    branches: Mapping[tuple[str, str], tuple[Branch, ...]]

    def next(self, state: str, event: str, guard: Callable[[str], bool]) -> str | None:
        """The target of ``event`` in ``state`` given guard outcomes; None if not allowed."""
        for b in self.branches.get((state, event), ()):
            if all(guard(c) for c in b.cond) and not any(guard(u) for u in b.unless):
                return b.target
        return None


def _guards(t: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a transition's guard specs into ``cond`` names and ``unless`` names."""
    cond: list[str] = []
    unless: list[str] = []
    for spec in t.cond:
        (unless if spec.expected_value is False else cond).append(spec.attr_name)
    return tuple(cond), tuple(unless)


def derive(machine: type[Any]) -> Table:
    """Read states, events, transitions and guard names off a state machine class."""
    branches: dict[tuple[str, str], list[Branch]] = {}
    guards: list[str] = []
    initial = ""
    for state in machine.states:
        if state.initial:
            initial = state.id
        for t in state.transitions:
            if t.initial:
                continue
            cond, unless = _guards(t)
            for g in (*cond, *unless):
                if g not in guards:
                    guards.append(g)
            for event in t.events:
                branches.setdefault((state.id, str(event)), []).append(
                    Branch(cond=cond, unless=unless, target=t.target.id)
                )
    return Table(
        machine=machine.__name__,
        states=tuple(s.id for s in machine.states),
        events=tuple(e.id for e in machine.events),
        final=frozenset(s.id for s in machine.states if s.final),
        initial=initial,
        guards=tuple(guards),
        branches={k: tuple(v) for k, v in branches.items()},
    )
