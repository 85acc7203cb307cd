"""Run one chaos state machine for N examples and print what was checked.

    python -m tests.properties.run_deep SpotChaos 4000            # a deep run
    python -m tests.properties.run_deep SpotChaos 500 --steps 50  # the ci profile's size
    python -m tests.properties.run_deep SpotChaos 4000 --seed 123 # replay one search

Prints the examples run, the steps checked (each followed by the P1-P7 invariants), the
wall time, steps per second and the result; a failure prints its step list. No example
database is read or written: each run explores afresh unless ``--seed`` fixes it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.properties import chaos_machines


def main(argv: list[str] | None = None) -> int:
    """Run the named machine; 0 if every example passed, 1 on a failure."""
    parser = argparse.ArgumentParser(prog="run_deep", description=__doc__.split("\n")[0])
    parser.add_argument("machine", choices=["SpotChaos", "DerivativeChaos", "HistoryChaos"])
    parser.add_argument("examples", type=int)
    parser.add_argument("--steps", type=int, default=100, help="most steps per program")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    machine: Any = getattr(chaos_machines, args.machine)
    counts = {"examples": 0, "steps": 0}

    class Counted(machine):  # type: ignore[misc]
        def teardown(self) -> None:
            counts["examples"] += 1
            if self._h is not None:
                counts["steps"] += self.h.steps
            super().teardown()

    target: Any = Counted if args.seed is None else seed(args.seed)(Counted)
    start = time.perf_counter()
    result, code = "PASS", 0
    try:
        run_state_machine_as_test(
            target,
            settings=settings(
                max_examples=args.examples,
                stateful_step_count=args.steps,
                database=None,
                deadline=None,
                print_blob=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except AssertionError as e:
        notes = "\n".join(getattr(e, "__notes__", []))
        result, code = f"FAIL\n{e}\n{notes}", 1
    wall = time.perf_counter() - start
    print(
        f"{args.machine}: examples={counts['examples']} steps={counts['steps']} "
        f"wall={wall:.0f}s steps/s={counts['steps'] / wall:.0f} result={result}"
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
