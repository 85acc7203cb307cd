"""Hypothesis settings profiles for the whole test-suite, and CI's fixed seed.

* ``ci`` (default): Hypothesis' usual 100 examples (the chaos state machines run 5x that,
  50 steps each), **derandomized**: every run draws the same programs from one fixed
  seed (``INVSYNC_SEED``, default ``CI_SEED``; pytest's ``--hypothesis-seed`` wins), printed
  in the session header, so a green run means the same thing each time. No example
  database: a failure found under another seed is replayed with that seed, not from a
  local directory that differs between machines.
* ``deep``: 100x the examples and programs of 100 steps, random (a fresh seed each run)
  with the local example database (``.hypothesis/``), for fuzzing campaigns
  (``INVSYNC_PROFILE=deep pytest -n 2 tests/properties``; or
  ``python -m tests.properties.run_deep``).

Both print a reproduction blob on failure (``@reproduce_failure``).
"""

from __future__ import annotations

import os
from typing import Final

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

#: The seed of every CI run (change it with ``INVSYNC_SEED`` to explore another slice).
CI_SEED: Final = 20261203

_DB = DirectoryBasedExampleDatabase(".hypothesis/examples")
_PROFILE: Final = os.environ.get("INVSYNC_PROFILE", "ci")

settings.register_profile(
    "ci",
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "deep",
    max_examples=10_000,
    stateful_step_count=100,
    deadline=None,
    print_blob=True,
    derandomize=False,
    database=_DB,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(_PROFILE)


def _ci_seed(config: pytest.Config) -> int | None:
    """The fixed seed of this run, or None where the run is random (the ``deep`` profile)."""
    given = config.getoption("hypothesis_seed", default=None)
    if given is not None:
        return int(given)
    if _PROFILE != "ci":
        return None
    return int(os.environ.get("INVSYNC_SEED", str(CI_SEED)))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Hand CI's fixed seed to Hypothesis' own ``--hypothesis-seed`` before its plugin reads it."""
    seed = _ci_seed(config)
    if seed is not None:
        config.option.hypothesis_seed = str(seed)


def pytest_report_header(config: pytest.Config) -> str:
    """Print the profile and seed, so a failing run can be replayed exactly."""
    seed = _ci_seed(config)
    how = "random (fresh seed each run)" if seed is None else f"seed {seed}"
    return f"invsync hypothesis profile {_PROFILE!r}: {how} (INVSYNC_SEED / INVSYNC_PROFILE)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The same line at the end (``-q``, the project's default, hides the header)."""
    terminalreporter.write_line(pytest_report_header(terminalreporter.config))
