"""The kit's Hypothesis settings: its own ``ci`` and ``deep`` profiles and where findings go.

Two profiles, registered under the kit's own names so they never replace a project's:

* ``invsync-kit-ci`` (the default): 100 programs of up to 30 steps, derandomized (the same
  programs every run, so a green build means the same thing each time), no database.
* ``invsync-kit-deep``: 10,000 programs of up to 100 steps, random, saving what fails in an
  example database so the next run (on any machine sharing it) replays it first.

Chosen at run time from the environment (the ``invsync fuzz`` command and the pytest
plugin's options set it): ``INVSYNC_KIT_PROFILE`` (``ci`` or ``deep``), ``INVSYNC_KIT_DB``
(a directory, or ``redis://host:port[/db]``), ``INVSYNC_KIT_MAX_EXAMPLES``,
``INVSYNC_KIT_STEPS``.
"""

from __future__ import annotations

import os
from typing import Final
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import InvalidArgument

CI: Final = "invsync-kit-ci"
DEEP: Final = "invsync-kit-deep"
#: Where the deep profile keeps its findings unless ``INVSYNC_KIT_DB`` says otherwise.
DEFAULT_DB: Final = ".hypothesis/invsync-kit"
_SHORT: Final = {"ci": CI, "deep": DEEP, CI: CI, DEEP: DEEP}
_PHASES: Final = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
_QUIET: Final = [HealthCheck.too_slow, HealthCheck.filter_too_much]


def register() -> None:
    """Register the kit's two profiles, unless a profile of the same name already exists."""
    for name, values in (
        (
            CI,
            {"max_examples": 100, "stateful_step_count": 30, "derandomize": True, "database": None},
        ),
        (DEEP, {"max_examples": 10_000, "stateful_step_count": 100, "derandomize": False}),
    ):
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(
                name,
                deadline=None,
                print_blob=True,
                report_multiple_bugs=False,
                # The explain phase replays a failure many more times to annotate it; a
                # shrunk step list is what a stateful failure needs, so it is skipped.
                phases=_PHASES,
                suppress_health_check=_QUIET,
                **values,
            )


def database(where: str) -> ExampleDatabase:
    """An example database: a directory path, or ``redis://host:port[/db]`` (needs ``redis``)."""
    if where.startswith("redis://"):
        parts = urlsplit(where)
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError as exc:
            raise ValueError(
                f"--db {where}: the redis client is missing (pip install 'invsync[testing]')"
            ) from exc
        db = int(parts.path.strip("/") or 0)
        client = redis.Redis(host=parts.hostname or "127.0.0.1", port=parts.port or 6379, db=db)
        return RedisExampleDatabase(client)
    if "://" in where:
        raise ValueError(f"--db {where}: a directory or redis://host:port, nothing else")
    return DirectoryBasedExampleDatabase(where)


def profile_name() -> str:
    """The profile this run uses (``INVSYNC_KIT_PROFILE``, default ``ci``)."""
    raw = os.environ.get("INVSYNC_KIT_PROFILE", "ci")
    try:
        return _SHORT[raw]
    except KeyError:
        raise ValueError(f"INVSYNC_KIT_PROFILE={raw!r}: use 'ci' or 'deep'") from None


def kit_settings() -> settings:
    """The settings a kit suite runs with now (profile plus the environment's overrides)."""
    register()
    name = profile_name()
    base = settings.get_profile(name)
    where = os.environ.get("INVSYNC_KIT_DB") or (DEFAULT_DB if name == DEEP else None)
    examples = os.environ.get("INVSYNC_KIT_MAX_EXAMPLES")
    steps = os.environ.get("INVSYNC_KIT_STEPS")
    return settings(
        base,
        database=database(where) if where else base.database,
        max_examples=int(examples) if examples else base.max_examples,
        stateful_step_count=int(steps) if steps else base.stateful_step_count,
    )
