"""Seeded faults on the private stream, in simulated time (what ``ChaoticNetwork`` does step
by step, here per message with delivery times).

Every push the venue emits travels on its own stream (``orders``, ``fills``, ``balances``,
``positions``) with the ``private`` latency leg; streams are independent, so related facts
(a fill and the balance it moved) already arrive in either order. On top of that, each
message draws at most one fault:

* ``duplicate``: delivered, and again later (a reconnect replay, REST and stream both);
* ``reorder``: held back so that the next messages of its own stream overtake it;
* ``delay``: a long stall (head-of-line: the messages behind it on its stream wait too);
* ``drop``: lost.

Each stream numbers its messages (a gap-free sequence), so the receiving side notices a
loss, or an overtaking, when a later number arrives: it applies ``SequenceGap`` first,
the Inventory goes ``stale`` and asks for a snapshot. The order-entry leg has one fault of
its own: ``timeout``, the answer to a new order lost, so its fate is unknown
(``SubmissionTimedOut``) until a report or an order query settles it.

``--faults`` takes a preset (``none``, ``mild``, ``hostile``) optionally followed by
overrides: ``mild,drop=0.05,timeout=0``.
"""

from __future__ import annotations

import random
from typing import Final

import attrs

from core import events as ev
from invsync.backtest.latency import Leg

KINDS: Final = ("duplicate", "reorder", "delay", "drop", "timeout")


@attrs.frozen(slots=True)
class Faults:
    """Per-message probabilities of each fault (see the module docstring)."""

    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    drop: float = 0.0
    timeout: float = 0.0
    #: How long a ``delay`` stalls its stream, in milliseconds (x [0.5, 1.5)).
    stall_ms: float = 1500.0
    #: How long after the original a duplicate arrives, in milliseconds (x [0.5, 1.5)).
    replay_ms: float = 800.0

    def __attrs_post_init__(self) -> None:
        ps = (self.duplicate, self.reorder, self.delay, self.drop, self.timeout)
        if min(ps) < 0 or self.duplicate + self.reorder + self.delay + self.drop > 1:
            raise ValueError(
                f"faults: probabilities must be >= 0 and the stream's four sum to <= 1: {self}"
            )


PRESETS: Final[dict[str, Faults]] = {
    "none": Faults(),
    "mild": Faults(duplicate=0.02, reorder=0.01, delay=0.02, drop=0.005, timeout=0.005),
    "hostile": Faults(duplicate=0.1, reorder=0.05, delay=0.08, drop=0.03, timeout=0.03),
}


def parse_faults(spec: str) -> Faults:
    """A ``Faults`` from ``--faults`` text; a bad spec raises ``ValueError`` naming the part."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ValueError("faults: empty; give a preset (" + ", ".join(PRESETS) + ")")
    faults = PRESETS["none"]
    if parts[0] in PRESETS:
        faults, parts = PRESETS[parts[0]], parts[1:]
    for part in parts:
        name, eq, value = part.partition("=")
        if name not in KINDS or not eq:
            raise ValueError(
                f"faults: {part!r}: expected a preset ({', '.join(PRESETS)}) or "
                f"KIND=probability with KIND one of {', '.join(KINDS)}"
            )
        try:
            p = float(value)
        except ValueError:
            raise ValueError(f"faults: {part!r}: {value!r} is not a probability") from None
        faults = attrs.evolve(faults, **{name: p})
    return faults


@attrs.define(slots=True)
class FaultCounts:
    """What the private stream and order entry actually did in one run."""

    sent: int = 0
    delivered: int = 0
    duplicated: int = 0
    reordered: int = 0
    delayed: int = 0
    dropped: int = 0
    timeouts: int = 0
    gaps: int = 0


#: One delivery: (time in us, stream, sequence number, event).
Delivery = tuple[int, str, int, ev.Event]


class PrivateChannel:
    """The private stream between venue and bot: latency, faults, sequence numbers."""

    def __init__(self, leg: Leg, faults: Faults, rng: random.Random) -> None:
        self.leg = leg
        self.faults = faults
        self.rng = rng
        self.counts = FaultCounts()
        self._seq: dict[str, int] = {}
        self._tail: dict[str, int] = {}
        self._expect: dict[str, int] = {}

    def send(self, now: int, stream: str, event: ev.Event) -> list[Delivery]:
        """Emit one message at ``now``; returns its deliveries (none if dropped, two if copied)."""
        f, rng, c = self.faults, self.rng, self.counts
        c.sent += 1
        seq = self._seq.get(stream, 0) + 1
        self._seq[stream] = seq
        at = max(now + self.leg.sample(rng), self._tail.get(stream, 0))
        r = rng.random() if (f.drop or f.duplicate or f.reorder or f.delay) else 1.0
        if r < f.drop:
            c.dropped += 1
            return []
        r -= f.drop
        if r < f.reorder:
            # Held back past what follows: the stream's tail is not moved by it.
            c.reordered += 1
            late = at + self.leg.sample(rng) + int(f.replay_ms * 1000 * (0.5 + rng.random()))
            return [(late, stream, seq, event)]
        r -= f.reorder
        if r < f.delay:
            c.delayed += 1
            at += int(f.stall_ms * 1000 * (0.5 + rng.random()))
        self._tail[stream] = at
        out: list[Delivery] = [(at, stream, seq, event)]
        if r - f.delay < f.duplicate and r >= f.delay:
            c.duplicated += 1
            again = at + int(f.replay_ms * 1000 * (0.5 + rng.random()))
            out.append((again, stream, seq, event))
        return out

    def receive(self, stream: str, seq: int, event: ev.Event) -> list[ev.Event]:
        """What the bot's socket hands on: a ``SequenceGap`` first if numbers were skipped."""
        self.counts.delivered += 1
        expected = self._expect.get(stream, 1)
        if seq > expected:
            self.counts.gaps += 1
            self._expect[stream] = seq + 1
            return [ev.SequenceGap(stream, expected, seq), event]
        if seq == expected:
            self._expect[stream] = seq + 1
        return [event]
