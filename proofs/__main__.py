"""``python -m proofs [--deep] [--only SUBSTRING]``: run every proof, one line each."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator

from proofs import laws, model_check
from proofs.result import Result
from proofs.scenarios import SCENARIOS


def proofs(deep: bool, only: str | None = None) -> Iterator[Callable[[], list[Result]]]:
    """The proofs to run, lazily (each returns its results)."""

    def want(name: str) -> bool:
        return only is None or only in name

    if want("status"):
        yield laws.status_laws
    if want("ledger"):
        yield lambda: laws.ledger_laws(5 if deep else 4)
        yield lambda: laws.ledger_conformance(4 if deep else 3)
    for make in SCENARIOS:
        if want("model:" + make.__name__):
            yield lambda make=make: [model_check.check(make(deep))]  # type: ignore[misc]


def run(deep: bool, only: str | None = None, out: Callable[[str], None] = print) -> list[Result]:
    results: list[Result] = []
    for proof in proofs(deep, only):
        for r in proof():
            out(r.render())
            results.append(r)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs", description=__doc__)
    ap.add_argument("--deep", action="store_true", help="the deep bound (minutes, not seconds)")
    ap.add_argument("--only", help="run only the proofs whose name contains this")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    print(
        f"invsync proofs, {'deep' if args.deep else 'CI'} bound. 'proved for all inputs' = z3 "
        "proof over unbounded/complete domains; 'bounded' = exhaustive within the stated bound.",
        flush=True,
    )
    results = run(args.deep, args.only, lambda s: print(s, flush=True))
    failed = [r for r in results if not r.ok]
    states = sum(r.states for r in results)
    print(
        f"{len(results) - len(failed)}/{len(results)} proofs passed, {states} states/cases, "
        f"{time.perf_counter() - start:.1f}s"
        + (f"; FAILED: {', '.join(r.name for r in failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
