"""The Hypothesis profiles of ``tests/conftest.py``: CI's runs are derandomized and say how.

At the ``ci`` profile (the default) every run draws the same programs from one fixed seed,
so green means the same thing each time, and the seed is printed for replay; the ``deep``
profile is random and keeps its findings in a database.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests import conftest


@pytest.mark.skipif(
    os.environ.get("INVSYNC_PROFILE", "ci") != "ci", reason="the deep profile is random by design"
)
def test_a_ci_run_draws_from_one_fixed_seed_and_prints_it(pytestconfig: pytest.Config) -> None:
    given = os.environ.get("INVSYNC_SEED", str(conftest.CI_SEED))
    seed = pytestconfig.option.hypothesis_seed
    # Hypothesis's own --hypothesis-seed wins when given; otherwise CI's seed is handed to it.
    assert seed is not None
    if "--hypothesis-seed" not in " ".join(pytestconfig.invocation_params.args):
        assert seed == given
    assert settings().database is None  # nothing carried over from an earlier run
    assert f"seed {seed}" in conftest.pytest_report_header(pytestconfig)


def test_the_deep_profile_is_random_and_remembers_its_findings() -> None:
    deep = settings.get_profile("deep")
    assert deep.derandomize is False
    assert deep.database is not None
    assert deep.max_examples > settings.get_profile("ci").max_examples
