"""The ``invsync`` command: ``demo`` (the default), ``spec`` and ``spec --check``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="invsync", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="replay the double-buy scenario (no exchange account)")
    bench_cmd = sub.add_parser("bench", help="measure parse+apply, apply and memory")
    bench_cmd.add_argument("--orders", type=int, default=20_000, help="orders in the stream")
    bench_cmd.add_argument("--repeats", type=int, default=5, help="runs per measurement")
    bench_cmd.add_argument("--memory-events", type=int, default=2_000_000, help="0 to skip")
    spec = sub.add_parser("spec", help="generate spec/ from the machine classes")
    spec.add_argument("--check", action="store_true", help="exit 1 if spec/ differs from the code")
    spec.add_argument("--root", type=Path, default=_root(), help="project root")
    args = parser.parse_args(argv)
    if args.command == "spec":
        from models import spec as specgen

        if args.check:
            stale = specgen.check(args.root)
            for rel in stale:
                print(f"spec out of date: {rel} (run `invsync spec`)")
            print("spec/ is in sync with the code" if not stale else f"{len(stale)} page(s) differ")
            return 1 if stale else 0
        for rel in specgen.write(args.root):
            print(f"wrote {rel}")
        return 0
    if args.command == "bench":
        from models import bench as bench_mod

        return bench_mod.run(
            sys.stdout, orders=args.orders, repeats=args.repeats, memory_events=args.memory_events
        )
    from models import demo as demo_mod

    return demo_mod.run(out=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
