"""What a kit process checked: programs (Hypothesis examples) and steps, for throughput.

The suites count into this process's ``COUNTS``; the pytest plugin writes them to one JSON
file per worker (``write``) and ``invsync fuzz`` sums the files (``read_all``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

#: programs: machines started; steps: rules run; seconds and cpu: wall and CPU time spent
#: inside kit programs (CPU time shows what a worker did when it shares its core).
COUNTS: Final[dict[str, float]] = {"programs": 0, "steps": 0, "seconds": 0.0, "cpu": 0.0}


def write(directory: Path, worker: str) -> Path:
    """Write this process's counts to ``directory/<worker>.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{worker}.json"
    path.write_text(json.dumps(COUNTS))
    return path


def read_all(directory: Path) -> dict[str, float]:
    """The counts of every worker file in ``directory``, summed."""
    total: dict[str, float] = {"programs": 0, "steps": 0, "seconds": 0.0, "cpu": 0.0, "workers": 0}
    for path in sorted(directory.glob("*.json")):
        counts = json.loads(path.read_text())
        for key in ("programs", "steps", "seconds", "cpu"):
            total[key] += float(counts.get(key, 0))
        total["workers"] += 1
    return total
