"""The ``invsync`` command: every subcommand has --help; a user mistake is one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from invsync.cli import COMMANDS, main


@pytest.mark.parametrize("command", [c[0] for c in COMMANDS])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: invsync {command}")


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name, *_ in COMMANDS)


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    assert status == 2, argv
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["backtest", "--bogus"], "invsync backtest: unrecognized arguments: --bogus"),
        (["demo", "--seed", "x"], "invsync demo: argument --seed: invalid int value: 'x'"),
        (["frobnicate"], "invsync: argument COMMAND: invalid choice: 'frobnicate'"),
        (["backtest", "--strategy", "yolo"], "invsync backtest: argument --strategy"),
        (["backtest", "--faults", "drop=2"], "invsync backtest: --faults: probabilities"),
        (["backtest", "--latency", "feed=-3"], "invsync backtest: --latency: 'feed=-3'"),
        (["backtest", "--fee-rate", "cheap"], "invsync backtest: --fee-rate 'cheap'"),
        (["backtest", "--repeats", "0", "--bench"], "invsync backtest: --repeats 0"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _one_line_error(capsys, argv).startswith(expected)


def test_a_missing_price_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    line = _one_line_error(capsys, ["backtest", "--csv", str(missing)])
    assert line == f"invsync backtest: --csv: {missing}: no such file"


def test_a_bad_price_row_is_one_line_naming_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,price,qty,side\n1,10,1,buy\n2,1O.5,1,buy\n")
    line = _one_line_error(capsys, ["backtest", "--csv", str(bad)])
    why = "row 3, column price: '1O.5' is not a decimal number"
    assert line == f"invsync backtest: --csv: {bad} {why}"


def test_an_unwritable_output_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_error(
        capsys, ["backtest", "--strategy", "idle", "--out", "/no/such/dir/out.csv"]
    )
    assert line.startswith("invsync backtest: --out /no/such/dir/out.csv: ")


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invsync.cli", "backtest", "--csv", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"invsync backtest: --csv: {tmp_path / 'x.csv'}: no such file"
    ]


def test_backtest_runs_the_sample_and_writes_the_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bt.csv"
    assert main(["backtest", "--seed", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "price steps" in text and "12,000" in text
    assert out.read_text().startswith("ts,event,")


def test_bench_prints_the_speed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--strategy", "idle", "--bench", "--repeats", "1"]) == 0
    assert "price steps/s" in capsys.readouterr().out


def test_backtest_can_read_the_naive_tracker(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--tracker", "naive", "--csv", "sample-bars"]) == 0
    assert "reading the naive tracker" in capsys.readouterr().out
