"""Hypothesis settings profiles for the whole test-suite.

* ``ci`` (default): Hypothesis' usual 100 examples (the chaos state machines run 5x that,
  50 steps each); ``tests/properties`` runs in well under a minute on two cores.
* ``deep``: 100x the examples and programs of 100 steps, for fuzzing runs
  (``INVSYNC_PROFILE=deep pytest -n auto tests/properties``).

Both print a reproduction blob on failure (``@reproduce_failure``) and keep failing
examples in the local example database (``.hypothesis/``), so a failure replays on the
next run; ``derandomize`` stays off so every run explores new programs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_DB = DirectoryBasedExampleDatabase(".hypothesis/examples")

settings.register_profile(
    "ci",
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    print_blob=True,
    derandomize=False,
    database=_DB,
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
settings.load_profile(os.environ.get("INVSYNC_PROFILE", "ci"))
