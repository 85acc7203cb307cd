"""The kit's pytest plugin (entry point ``pytest11: invsync``): options, shards, counts.

Harmless when not used: it only adds ``--invsync-kit-*`` options; it touches no settings
profile, no test and no item unless one of them is given. With them:

* ``--invsync-kit-profile ci|deep``, ``--invsync-kit-db DIR|redis://host:port``,
  ``--invsync-kit-max-examples N``, ``--invsync-kit-steps N`` choose the kit's settings
  (``invsync.testing.profiles``; they are passed on through the environment, so
  pytest-xdist workers see them too);
* ``--invsync-kit-shards K`` runs every kit suite (a ``TestCase`` of an ``InventorySuite``)
  as K items, so pytest-xdist spreads one suite over K workers; with
  ``--invsync-kit-seed S`` shard ``i`` draws its programs from seed ``S * 1000 + i``
  (a failure names it), and all shards share one example database;
* ``--invsync-kit-stats DIR`` writes each process's program and step counts to
  ``DIR/<worker>.json`` (``invsync fuzz`` sums them into its throughput line).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

_ENV = {
    "invsync_kit_profile": "INVSYNC_KIT_PROFILE",
    "invsync_kit_db": "INVSYNC_KIT_DB",
    "invsync_kit_max_examples": "INVSYNC_KIT_MAX_EXAMPLES",
    "invsync_kit_steps": "INVSYNC_KIT_STEPS",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """The kit's options; none is on by default."""
    group = parser.getgroup("invsync-kit", "invsync verification kit")
    group.addoption("--invsync-kit-profile", choices=("ci", "deep"), help="kit settings profile")
    group.addoption("--invsync-kit-db", help="example database: a directory or redis://host:port")
    group.addoption("--invsync-kit-max-examples", type=int, help="programs per suite (or shard)")
    group.addoption("--invsync-kit-steps", type=int, help="steps per program, at most")
    group.addoption("--invsync-kit-shards", type=int, default=1, help="items per kit suite")
    group.addoption("--invsync-kit-seed", type=int, help="campaign seed (shard i: seed*1000+i)")
    group.addoption("--invsync-kit-stats", help="directory for per-worker program/step counts")


def pytest_configure(config: pytest.Config) -> None:
    """Hand the given options to the kit through the environment (xdist workers inherit)."""
    for option, variable in _ENV.items():
        value = config.getoption(option, default=None)
        if value is not None:
            os.environ[variable] = str(value)


def _machine(item: pytest.Item) -> Any:
    """The ``InventorySuite`` subclass behind a collected ``TestCase`` item, or None."""
    from invsync.testing.suite import InventorySuite

    machine = getattr(getattr(item, "obj", None), "_hypothesis_state_machine_class", None)
    if isinstance(machine, type) and issubclass(machine, InventorySuite):
        return machine
    return None


class KitShard(pytest.Item):
    """One shard of a kit suite: the suite's programs from this shard's own seed."""

    def __init__(self, *, machine: Any, seed: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.machine = machine
        self.seed = seed

    def runtest(self) -> None:
        """Run the suite's state machine with the kit's settings (and this shard's seed)."""
        from hypothesis.stateful import get_state_machine_test

        from invsync.testing import profiles

        test = get_state_machine_test(self.machine, settings=profiles.kit_settings())
        if self.seed is not None:
            test._hypothesis_internal_use_seed = self.seed  # type: ignore[attr-defined]
        try:
            test()
        except BaseException as exc:
            exc.add_note(f"invsync kit: {self.name}, shard seed {self.seed}")
            raise

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """A property failure as the kit words it: the property, the seed, the shrunk steps."""
        from invsync.testing.world import PropertyFailed

        exc = excinfo.value
        if isinstance(exc, PropertyFailed):
            return "\n".join([f"PropertyFailed: {exc}", *getattr(exc, "__notes__", [])])
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the shard comes from, for pytest's report."""
        return self.path, None, self.name


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Split kit suites into shards, only when ``--invsync-kit-shards`` or a seed is given."""
    shards: int = config.getoption("invsync_kit_shards", default=1) or 1
    seed: int | None = config.getoption("invsync_kit_seed", default=None)
    if shards <= 1 and seed is None:
        return
    out: list[pytest.Item] = []
    for item in items:
        machine = _machine(item)
        if machine is None or item.parent is None:
            out.append(item)
            continue
        for i in range(shards):
            out.append(
                KitShard.from_parent(
                    item.parent,  # a unittest TestCase class
                    name=f"{item.name}[shard{i}]",
                    machine=machine,
                    seed=None if seed is None else seed * 1000 + i,
                )
            )
    items[:] = out


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write this process's counts where ``--invsync-kit-stats`` says (if it ran any)."""
    where = session.config.getoption("invsync_kit_stats", default=None)
    if not where:
        return
    from invsync.testing import stats

    if stats.COUNTS["programs"]:
        stats.write(Path(where), os.environ.get("PYTEST_XDIST_WORKER", "main"))
