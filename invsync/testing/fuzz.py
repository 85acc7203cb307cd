"""``invsync fuzz TARGET...``: a long kit campaign through pytest and pytest-xdist.

Runs the kit suites found at each TARGET (a pytest path or node id) under the ``deep`` profile
(or ``ci``), split into shards over ``--workers`` processes (pytest-xdist ``-n``), every
shard drawing from the campaign seed and saving what fails in one example database: a
directory, or Redis (``--db redis://host:port``) so CI jobs on several machines pool their
findings and each replays the others' first. Every failure prints the shard's seed and
Hypothesis' shrunk step list; the end prints programs (examples), steps, examples/s and
steps/s, and the command that replays the campaign.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from invsync.cli import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fuzz command's options."""
    parser.add_argument(
        "targets", metavar="TARGET", nargs="+", help="pytest paths or node ids of kit suites"
    )
    parser.add_argument("--profile", choices=("ci", "deep"), default="deep", help="default deep")
    parser.add_argument("--workers", type=int, default=1, help="processes (pytest-xdist -n)")
    parser.add_argument("--shards", type=int, help="items per suite (default: the workers)")
    parser.add_argument("--db", help="example database: a directory or redis://host:port[/db]")
    parser.add_argument("--seed", type=int, help="campaign seed (default: a fresh one)")
    parser.add_argument("--max-examples", type=int, help="programs per shard")
    parser.add_argument("--steps", type=int, help="steps per program, at most")
    parser.add_argument("--stats", help="where workers write their counts (default: a temp dir)")


def plugin_registered() -> bool:
    """Whether pytest loads the kit's plugin by itself (the installed entry point)."""
    return any(ep.name == "invsync" for ep in importlib.metadata.entry_points(group="pytest11"))


def plugin_args() -> list[str]:
    """What loads the kit's plugin into a pytest run: nothing where the entry point does."""
    return [] if plugin_registered() else ["-p", "invsync.testing.plugin"]


def command(args: argparse.Namespace, seed: int, stats_dir: str) -> list[str]:
    """The pytest command line of a campaign."""
    shards = args.shards or args.workers
    cmd = [sys.executable, "-m", "pytest", *args.targets, "-q", "-p", "no:cacheprovider"]
    cmd += plugin_args()
    cmd += [
        "--invsync-kit-profile",
        args.profile,
        "--invsync-kit-shards",
        str(shards),
        "--invsync-kit-seed",
        str(seed),
        "--invsync-kit-stats",
        stats_dir,
    ]
    if args.db:
        cmd += ["--invsync-kit-db", args.db]
    if args.max_examples:
        cmd += ["--invsync-kit-max-examples", str(args.max_examples)]
    if args.steps:
        cmd += ["--invsync-kit-steps", str(args.steps)]
    if args.workers > 1:
        cmd += ["-n", str(args.workers)]
    return cmd


def _check(args: argparse.Namespace) -> None:
    for target in args.targets:
        path = target.split("::", 1)[0]
        if not Path(path).exists():
            raise UsageError(f"TARGET {path}: no such file or directory")
    if args.workers < 1 or (args.shards is not None and args.shards < 1):
        raise UsageError("--workers and --shards must be at least 1")
    if args.workers > 1 and importlib.util.find_spec("xdist") is None:
        raise UsageError("--workers above 1 needs pytest-xdist (pip install 'invsync[testing]')")
    for name in ("max_examples", "steps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.db:
        from invsync.testing import profiles

        try:
            profiles.database(args.db)
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def replay_line(args: argparse.Namespace, seed: int) -> str:
    """The command that runs the same campaign again (same seed and shards)."""
    parts = ["invsync fuzz", *args.targets, f"--profile {args.profile}", f"--seed {seed}"]
    parts.append(f"--workers {args.workers} --shards {args.shards or args.workers}")
    for flag, value in (("--db", args.db), ("--max-examples", args.max_examples)):
        if value:
            parts.append(f"{flag} {value}")
    if args.steps:
        parts.append(f"--steps {args.steps}")
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Run the campaign; exit status 0 when every shard passed, pytest's status otherwise."""
    _check(args)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    with tempfile.TemporaryDirectory(prefix="invsync-fuzz-") as tmp:
        stats_dir = args.stats or tmp
        for old in Path(stats_dir).glob("*.json"):
            old.unlink()
        cmd = command(args, seed, stats_dir)
        print(
            f"invsync fuzz: campaign seed {seed}, profile {args.profile}, {args.workers} worker(s)"
        )
        print("  " + " ".join(cmd), flush=True)
        start = time.perf_counter()
        status = subprocess.run(cmd, env=dict(os.environ), check=False).returncode
        wall = time.perf_counter() - start
        from invsync.testing import stats

        total = stats.read_all(Path(stats_dir))
    programs, steps = int(total["programs"]), int(total["steps"])
    print(
        f"invsync fuzz: {programs} programs (examples), {steps} steps in {wall:.1f} s wall "
        f"over {int(total['workers'])} worker(s): {programs / wall:.1f} examples/s, "
        f"{steps / wall:.0f} steps/s"
    )
    cpu = total["cpu"]
    if cpu > 0:
        print(
            f"  CPU time inside kit programs {cpu:.1f} s: {programs / cpu:.1f} examples and "
            f"{steps / cpu:.0f} steps per CPU-second (per core, whatever else the machine runs)"
        )
    print(f"  replay: {replay_line(args, seed)}")
    if status == 5:
        raise UsageError(f"{' '.join(args.targets)}: pytest collected no tests there")
    if status in (3, 4):
        raise UsageError(f"pytest could not run {' '.join(args.targets)} (its message is above)")
    return status
