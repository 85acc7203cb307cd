"""The ``invsync`` command: one subcommand per module, each with ``--help``.

Every subcommand lives in the module named in ``COMMANDS``; that module defines
``add_arguments(parser)`` and ``run(args) -> int``. The module is imported only when its
command runs (or its help is asked for), so an extra that is not installed costs nothing
until it is used, and then says which extra to install. A user error is one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# (command, module, one-line help, the extra that brings its dependencies)
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("demo", "invsync.demo", "naive tracker vs Inventory over a chaotic private stream", "demo"),
    ("backtest", "invsync.backtest.command", "run a strategy over a price path", "demo"),
    ("bench", "invsync.bench", "speed and memory of the core", ""),
    ("spec", "invsync.spec", "generate (or --check) spec/ from the machine classes", ""),
    (
        "loopback",
        "invsync.live.loopback.command",
        "serve a fault-injecting exchange on 127.0.0.1",
        "live",
    ),
    (
        "replay",
        "invsync.live.replay",
        "rebuild an Inventory from a journal, list anomalies",
        "live",
    ),
    ("fuzz", "invsync.testing.fuzz", "run a long property campaign (pytest-xdist)", "testing"),
)


class UsageError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2."""


def _load(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        hint = f" (pip install 'invsync[{extra}]')" if extra else ""
        raise UsageError(f"needs the missing module {exc.name!r}{hint}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="invsync", description="invsync: a verified inventory for trading bots."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in args_in if not a.startswith("-")), "demo")
    for name, module, help_text, extra in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            try:
                _load(module, extra).add_arguments(p)
            except UsageError as exc:
                print(f"invsync {name}: {exc}", file=sys.stderr)
                return 2
    if not args_in or (args_in[0].startswith("-") and args_in[0] not in ("-h", "--help")):
        args_in.insert(0, "demo")
    args = parser.parse_args(args_in)
    name = args.command or "demo"
    entry = next(c for c in COMMANDS if c[0] == name)
    try:
        status: int = _load(entry[1], entry[3]).run(args)
    except UsageError as exc:
        print(f"invsync {name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    raise SystemExit(main())
