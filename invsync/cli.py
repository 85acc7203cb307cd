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
from typing import NoReturn

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


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2) instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _load(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only a missing third-party module is the user's to install; a missing module of
        # ours is a bug and keeps its traceback.
        if exc.name is None or exc.name.split(".")[0] in ("core", "models", "invsync"):
            raise
        hint = f" (pip install 'invsync[{extra}]')" if extra else ""
        raise UsageError(f"needs the missing module {exc.name!r}{hint}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    # No command, or options alone: the demo (the README's first command is ``invsync demo``).
    if not args_in or (args_in[0].startswith("-") and args_in[0] not in ("-h", "--help")):
        args_in.insert(0, "demo")
    parser = _Parser(prog="invsync", description="invsync: a verified inventory for trading bots.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = args_in[0]
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, module, help_text, extra in COMMANDS:
        p = parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            try:
                _load(module, extra).add_arguments(p)
            except UsageError as exc:
                print(f"invsync {name}: {exc}", file=sys.stderr)
                return 2
    args, extras = parser.parse_known_args(args_in)
    name = args.command or "demo"
    if extras:
        parsers[name].error(f"unrecognized arguments: {' '.join(extras)}")
    entry = next(c for c in COMMANDS if c[0] == name)
    try:
        status: int = _load(entry[1], entry[3]).run(args)
    except UsageError as exc:
        print(f"invsync {name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``invsync demo | head``): nothing left to say to it.
        sys.stderr.close()
        return 0
    except OSError as exc:
        # A file or socket the user named: say which, in one line.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"invsync {name}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    # Run as ``python -m invsync.cli``, this file is ``__main__``; the subcommands raise
    # ``invsync.cli.UsageError``, so dispatch through that module, not this copy of it.
    from invsync.cli import main as _main

    raise SystemExit(_main())
