"""The optional compiled build: ``INVSYNC_COMPILE=1 pip install .`` compiles the hot modules.

Everything else about the package is declared in pyproject.toml. Without the variable this
file adds nothing and the install is pure Python; the ``.py`` files are always the source.
With it, mypyc (mypy's compiler, pinned like the ``test`` extra) turns the modules in
``COMPILED`` into C extensions. setuptools asks for mypy as a build requirement only then
(``setup_requires`` is what its build backend reports as the build's own dependencies, and
pip installs them in the isolated build environment), so a pure build never needs mypy.
An editable install is never compiled. ``.ci/compiled`` builds this into a fresh venv and
runs the core and adapter tests against it.

Compiled: the value checks, the Binance field readers and adapters, the position book, the
ledger and every module of core/inventory but its facade. Their native classes
(``PositionBook``, ``PendingFill``, ``AssetLedger``, ``State``, ``_Order``, ``_Fill``,
``_Amend``) copy and pickle by an explicit ``__reduce__``/``__setstate__``: a native class
has no default for either ("__init__() missing required argument"), and the Inventory
deep-copies its state to roll back a snapshot that fails half-way, and users pickle it
(tests/core/test_copy_and_pickle.py checks both, on both builds).

Left pure, and why:

* core/inventory/__init__.py, the ``Inventory`` facade: it compiles, but a native class
  cannot be weakly referenced (its ``__weakref__`` slot is dropped) and it would need its
  own ``__reduce__``; it is one dictionary lookup and one call per event.
* core/events.py: builds its hot events as a slotless twin subclass, then assigns
  ``__class__``; a native class cannot be the target of that, and attrs writes the
  ``__init__`` at import time, where mypyc cannot see it. So are the other attrs classes
  (core/instrument.py, core/views.py, core/requests.py), off the hot path anyway.
* core/machines/*: python-statemachine classes, built by a metaclass at import time.
"""

from __future__ import annotations

import glob
import os
import sys

from setuptools import setup  # type: ignore[import-untyped]

#: Compiled with INVSYNC_COMPILE=1; each passes tests/core and tests/adapters compiled.
COMPILED = [
    "core/values.py",
    "core/adapters/fields.py",
    "core/adapters/binance_spot.py",
    "core/adapters/binance_usdm.py",
    "core/position.py",
    "core/ledger.py",
    "core/inventory/state.py",
    "core/inventory/book.py",
    "core/inventory/timeline.py",
    "core/inventory/amends.py",
    "core/inventory/fills.py",
    "core/inventory/spot.py",
    "core/inventory/derivatives.py",
    "core/inventory/changes.py",
    "core/inventory/sync.py",
    "core/inventory/intents.py",
    "core/inventory/exposure.py",
]

MYPY = "mypy==2.4.1"
# mypyc type-checks what the compiled modules import: the runtime dependencies must be in
# the build environment too (pyproject's [project] dependencies).
BUILD_NEEDS = [MYPY, "attrs>=23.1", "python-statemachine==3.2.2"]


def _compile() -> bool:
    return os.environ.get("INVSYNC_COMPILE", "") not in ("", "0")


def _extensions() -> list[object]:
    if not _compile():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        # setuptools runs this file once before installing setup_requires, to read them.
        # Anywhere else this means a pure build: .ci/compiled checks it really compiled.
        sys.stderr.write(f"invsync: INVSYNC_COMPILE is set but mypyc is missing ({MYPY})\n")
        return []
    # Type-check the whole package, as mypy does, and compile only the hot modules: given
    # these alone, mypy meets the package's import cycle in another order and cannot infer
    # some module constants ("Cannot determine type").
    package = sorted(glob.glob("core/**/*.py", recursive=True))
    return list(mypycify(package, only_compile_paths=COMPILED, opt_level="3", debug_level="0"))


setup(
    ext_modules=_extensions(),
    setup_requires=BUILD_NEEDS if _compile() else [],
)
