"""Per-leg latency in simulated time: base + jitter + rare spikes, seeded, never the wall clock.

Legs (each a ``Leg``): ``feed`` (market data to the strategy), ``entry`` (the strategy's
order, cancel or amend to the venue), ``response`` (the venue's answer back), ``private``
(one push on the private stream, before the network's faults), ``rest`` (a REST round
trip: a resync snapshot or an order query, half each way).

``--latency`` takes a preset (``none``, ``colo``, ``retail``, ``poor``) optionally
followed by overrides, comma separated: ``retail,entry=20/5/0.01/400`` sets the entry leg
to 20 ms base, up to 5 ms jitter, a 1 % chance of a spike of about 400 ms.
"""

from __future__ import annotations

import random
from typing import Final

import attrs

LEGS: Final = ("feed", "entry", "response", "private", "rest")


@attrs.frozen(slots=True)
class Leg:
    """One leg's delay in milliseconds: ``base`` + uniform jitter in [0, ``jitter``), and with
    probability ``spike_p`` a spike of ``spike`` x [0.5, 1.5)."""

    base: float = 0.0
    jitter: float = 0.0
    spike_p: float = 0.0
    spike: float = 0.0

    def __attrs_post_init__(self) -> None:
        if min(self.base, self.jitter, self.spike) < 0 or not 0 <= self.spike_p <= 1:
            raise ValueError(f"latency leg {self}: times must be >= 0 and spike_p in [0, 1]")

    def sample(self, rng: random.Random) -> int:
        """One delay in microseconds."""
        ms = self.base
        if self.jitter:
            ms += self.jitter * rng.random()
        if self.spike_p and rng.random() < self.spike_p:
            ms += self.spike * (0.5 + rng.random())
        return int(ms * 1000)


@attrs.frozen(slots=True)
class Latency:
    """The five legs (see the module docstring)."""

    feed: Leg = Leg()
    entry: Leg = Leg()
    response: Leg = Leg()
    private: Leg = Leg()
    rest: Leg = Leg()


PRESETS: Final[dict[str, Latency]] = {
    "none": Latency(),
    "colo": Latency(
        feed=Leg(0.05, 0.05, 0.001, 5),
        entry=Leg(0.05, 0.05, 0.001, 5),
        response=Leg(0.05, 0.05, 0.001, 5),
        private=Leg(0.2, 0.3, 0.002, 20),
        rest=Leg(1, 1, 0.01, 50),
    ),
    "retail": Latency(
        feed=Leg(5, 5, 0.005, 200),
        entry=Leg(10, 10, 0.01, 300),
        response=Leg(10, 10, 0.01, 300),
        private=Leg(20, 40, 0.01, 500),
        rest=Leg(80, 40, 0.02, 1000),
    ),
    "poor": Latency(
        feed=Leg(30, 30, 0.02, 800),
        entry=Leg(50, 50, 0.03, 1500),
        response=Leg(50, 50, 0.03, 1500),
        private=Leg(80, 150, 0.03, 2000),
        rest=Leg(300, 200, 0.05, 3000),
    ),
}


def parse_latency(spec: str) -> Latency:
    """A ``Latency`` from ``--latency`` text; a bad spec raises ``ValueError`` naming the part."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ValueError("latency: empty; give a preset (" + ", ".join(PRESETS) + ")")
    first = parts[0]
    if first in PRESETS:
        lat, parts = PRESETS[first], parts[1:]
    else:
        lat = PRESETS["none"]
    for part in parts:
        name, eq, value = part.partition("=")
        if name not in LEGS or not eq:
            raise ValueError(
                f"latency: {part!r}: expected a preset ({', '.join(PRESETS)}) or "
                f"LEG=base/jitter/spike_p/spike with LEG one of {', '.join(LEGS)}"
            )
        try:
            numbers = [float(x) for x in value.split("/")]
            if not 1 <= len(numbers) <= 4:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"latency: {part!r}: expected up to four numbers base/jitter/spike_p/spike "
                "(milliseconds, probability, milliseconds)"
            ) from None
        if min(numbers) < 0 or (len(numbers) > 2 and numbers[2] > 1):
            raise ValueError(f"latency: {part!r}: times must be >= 0 and spike_p in [0, 1]")
        lat = attrs.evolve(lat, **{name: Leg(*numbers)})
    return lat
