"""``invsync fuzz`` and the kit plugin: shards, counts, seeds, shrunk steps, one shared database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from invsync.cli import main
from invsync.testing import profiles
from invsync.testing.fuzz import plugin_args

PASSING = """
    from invsync.testing import InventorySuite

    class Plain(InventorySuite):
        pass

    TestPlain = Plain.TestCase

    def test_not_a_kit_test():
        assert 1 + 1 == 2
"""
# The lag bug of tests/testing/test_kit_strategy.py: it needs two strategy steps to overshoot.
LAGGING = """
    from decimal import ROUND_DOWN, Decimal
    from invsync.testing import InventorySuite, Place

    class SizedFromTotal(InventorySuite):
        def strategy(self, inventory, target):
            missing = target.quantity - inventory.balance(target.asset).total
            affordable = inventory.balance(target.funds).free / target.price
            quantity = min(missing, affordable).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
            return [Place("buy", quantity, target.price)] if quantity > 0 else []

    TestSizedFromTotal = SizedFromTotal.TestCase
"""
COUNTS = re.compile(r"(\d+) programs \(examples\), (\d+) steps in [\d.]+ s wall over (\d+) worker")


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVSYNC_KIT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), *sys.path])
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fuzz(target: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return _run(["-m", "invsync.cli", "fuzz", target.name, *options], target.parent)


def test_campaign_runs_shards_and_counts_examples_and_steps(tmp_path: Path) -> None:
    target = _write(tmp_path, "plain_check.py", PASSING)
    done = _fuzz(target, "--profile", "ci", "--shards", "2", "--max-examples", "4", "--seed", "9")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout  # two shards of the suite, and the plain test untouched
    found = COUNTS.search(done.stdout)
    assert found is not None, done.stdout
    programs, steps, workers = map(int, found.groups())
    assert programs >= 8 and steps > programs and workers == 1
    assert re.search(r"[\d.]+ examples/s, \d+ steps/s", done.stdout)
    assert "replay: invsync fuzz plain_check.py --profile ci --seed 9" in done.stdout


def test_failure_prints_seed_and_shrunk_steps_and_is_pooled_in_the_database(
    tmp_path: Path,
) -> None:
    target = _write(tmp_path, "lag_check.py", LAGGING)
    db = tmp_path / "pool"
    first = _fuzz(target, "--max-examples", "100", "--steps", "20", "--seed", "1", "--db", str(db))
    assert first.returncode == 1, first.stdout + first.stderr
    out = first.stdout
    assert "PropertyFailed: p3_no_overshoot" in out
    assert "shard seed 1000" in out and "world seed=" in out
    # pytest may repeat the failure's message in its short summary; read the first report.
    case = out.split("Failing test case:", 1)[1].split("state.teardown()", 1)[0]
    steps = [line for line in case.splitlines() if line.startswith("state.strategy_acts(")]
    assert len(steps) == 2, out  # shrunk: the two strategy steps that overshoot
    assert "@reproduce_failure" in out
    assert any(db.iterdir())
    # Another machine, another seed, one program: it fails only because it replays the pool.
    pooled = _fuzz(target, "--max-examples", "1", "--steps", "20", "--seed", "2", "--db", str(db))
    assert pooled.returncode == 1 and "p3_no_overshoot" in pooled.stdout
    alone = _fuzz(
        target, "--max-examples", "1", "--steps", "20", "--seed", "2", "--db", str(tmp_path / "e")
    )
    assert alone.returncode == 0, alone.stdout


def test_plugin_changes_nothing_unless_asked(tmp_path: Path) -> None:
    target = _write(tmp_path, "plain_check.py", PASSING)
    plain = _run(
        ["-m", "pytest", "--collect-only", "-q", *plugin_args(), target.name],
        tmp_path,
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "plain_check.py::TestPlain::runTest" in plain.stdout
    assert "shard" not in plain.stdout
    sharded = _run(
        [
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            *plugin_args(),
            "--invsync-kit-shards",
            "3",
            target.name,
        ],
        tmp_path,
    )
    names = [line for line in sharded.stdout.splitlines() if "::" in line]
    assert names == [
        "plain_check.py::TestPlain::runTest[shard0]",
        "plain_check.py::TestPlain::runTest[shard1]",
        "plain_check.py::TestPlain::runTest[shard2]",
        "plain_check.py::test_not_a_kit_test",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--db", "ftp://host/x"], "a directory or redis://host:port"),
        (["--workers", "0"], "must be at least 1"),
        (["--max-examples", "0"], "--max-examples must be at least 1"),
    ],
)
def test_fuzz_usage_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    target = _write(tmp_path, "plain_check.py", PASSING)
    assert main(["fuzz", str(target), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_fuzz_refuses_a_missing_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "no/such/kit_check.py"]) == 2
    assert "no/such/kit_check.py: no such file or directory" in capsys.readouterr().err
    there = _write(tmp_path, "plain_check.py", PASSING)
    assert main(["fuzz", f"{there}::TestPlain", "no/such/other_check.py"]) == 2
    assert "no/such/other_check.py: no such file" in capsys.readouterr().err


def test_database_is_a_directory_or_redis(tmp_path: Path) -> None:
    from hypothesis.database import DirectoryBasedExampleDatabase

    assert isinstance(profiles.database(str(tmp_path)), DirectoryBasedExampleDatabase)
    pytest.importorskip("redis", reason="the redis client comes with invsync[testing]")
    from hypothesis.extra.redis import RedisExampleDatabase

    db = profiles.database("redis://127.0.0.1:6390/3")
    assert isinstance(db, RedisExampleDatabase)
    kwargs = db.redis.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 3)


def _redis_server() -> str | None:
    where = os.environ.get("INVSYNC_TEST_REDIS", "redis://127.0.0.1:6379")
    host, port = where.removeprefix("redis://").split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return None
    return where


def test_redis_database_pools_findings_across_campaigns(tmp_path: Path) -> None:
    pytest.importorskip("redis", reason="the redis client comes with invsync[testing]")
    where = _redis_server()
    if where is None:
        pytest.skip("no redis server on 127.0.0.1:6379 (set INVSYNC_TEST_REDIS=redis://host:port)")
    target = _write(tmp_path, "lag_check.py", LAGGING)
    first = _fuzz(target, "--max-examples", "100", "--steps", "20", "--seed", "1", "--db", where)
    assert first.returncode == 1, first.stdout + first.stderr
    pooled = _fuzz(target, "--max-examples", "1", "--steps", "20", "--seed", "2", "--db", where)
    assert pooled.returncode == 1 and "p3_no_overshoot" in pooled.stdout
