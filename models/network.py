"""The chaotic network between the exchange model and the Inventory: delay, reorder, dup, drop.

``ChaoticNetwork`` keeps one FIFO queue per stream. A test drives it step by step
(``deliver_head``, ``deliver_at`` to reorder, ``duplicate``, ``drop``, ``delay``,
``disconnect``/``reconnect``); a simulation calls ``step()``, which picks one action at
random from a ``FaultProfile`` of probabilities. All randomness comes from
``random.Random(seed)``: one seed replays every fault, and ``describe()`` (which every
failure message should include) prints it.

With ``sequenced=True`` every message carries a per-stream sequence number, as on venues
with gap-free sequences; the receiving side yields ``core.events.SequenceGap`` before a
message whose number skips ahead. A disconnect loses everything in flight (and
everything sent while down), and yields ``StreamDisconnected`` for every stream; a
reconnect yields ``StreamConnected`` and starts fresh sequences.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from core import events as ev

DEFAULT_STREAMS: Final = ("orders", "fills", "balances", "positions")


@attrs.frozen(slots=True)
class FaultProfile:
    """Probabilities of each fault per ``ChaoticNetwork.step`` (the rest is in-order delivery)."""

    reorder: float = 0.15
    duplicate: float = 0.05
    delay: float = 0.1
    drop: float = 0.0
    disconnect: float = 0.0
    reconnect: float = 0.5
    echo: float = 0.0
    """Probability that a message is sent twice, back to back (a venue or proxy replay)."""

    def __attrs_post_init__(self) -> None:
        faults = self.reorder + self.duplicate + self.delay + self.drop + self.disconnect
        if faults > 1 or min(attrs.astuple(self)) < 0:
            raise ValueError(f"FaultProfile: probabilities must be >= 0 and sum to <= 1: {self}")


#: No faults besides delay/reorder across streams: nothing is lost.
LOSSLESS: Final = FaultProfile(drop=0.0, disconnect=0.0)
#: Everything a real private stream does, drops and disconnects included.
HOSTILE: Final = FaultProfile(
    reorder=0.2, duplicate=0.1, delay=0.1, drop=0.03, disconnect=0.005, echo=0.1
)


@attrs.frozen(slots=True)
class Envelope:
    """One message in flight: its stream, sequence number, payload and a free-form note."""

    stream: str
    seq: int
    event: ev.Event
    note: str = ""


class ChaoticNetwork:
    """Per-stream queues with explicit or seeded faults; see the module docstring."""

    def __init__(
        self,
        streams: Sequence[str] = DEFAULT_STREAMS,
        *,
        seed: int = 0,
        profile: FaultProfile = LOSSLESS,
        sequenced: bool = False,
    ) -> None:
        self.streams = tuple(streams)
        self.seed = seed
        self.profile = profile
        self.sequenced = sequenced
        self.rng = random.Random(seed)
        self.queues: dict[str, list[Envelope]] = {s: [] for s in self.streams}
        self.connected = True
        self.lost: list[Envelope] = []
        self.delivered = 0
        self._sent: dict[str, int] = dict.fromkeys(self.streams, 0)
        self._expect: dict[str, int | None] = dict.fromkeys(self.streams, None)

    def describe(self) -> str:
        """How to replay this network: its seed and fault profile (print it on every failure)."""
        return (
            f"ChaoticNetwork(seed={self.seed}, profile={self.profile}, sequenced={self.sequenced})"
        )

    # --- sending ------------------------------------------------------------------------

    def send(self, stream: str, event: ev.Event, note: str = "") -> None:
        """Put a message in flight (lost at once while disconnected)."""
        if stream not in self.queues:
            raise KeyError(f"{self.describe()}: unknown stream {stream!r}")
        self._sent[stream] += 1
        env = Envelope(stream, self._sent[stream], event, note)
        copies = 2 if self.profile.echo and self.rng.random() < self.profile.echo else 1
        for _ in range(copies):
            if self.connected:
                self.queues[stream].append(env)
            else:
                self.lost.append(env)

    def send_all(self, items: Iterable[tuple[str, ev.Event]]) -> None:
        """Send (stream, event) pairs in order (``ExchangeModel.take_emitted`` output)."""
        for stream, event in items:
            self.send(stream, event)

    # --- inspecting ---------------------------------------------------------------------

    def pending(self, stream: str | None = None) -> int:
        """Messages in flight on one stream, or on all."""
        if stream is not None:
            return len(self.queues[stream])
        return sum(len(q) for q in self.queues.values())

    def busy_streams(self) -> list[str]:
        """Streams with messages in flight."""
        return [s for s in self.streams if self.queues[s]]

    def in_flight(self) -> list[Envelope]:
        """Every message in flight, stream by stream."""
        return [e for s in self.streams for e in self.queues[s]]

    # --- faults and delivery --------------------------------------------------------------

    def _receive(self, env: Envelope) -> list[ev.Event]:
        self.delivered += 1
        if not self.sequenced:
            return [env.event]
        expected = self._expect[env.stream]
        out: list[ev.Event] = []
        if expected is not None and env.seq > expected:
            out.append(ev.SequenceGap(env.stream, expected, env.seq))
        if expected is None or env.seq >= expected:
            self._expect[env.stream] = env.seq + 1
        out.append(env.event)
        return out

    def _take(self, stream: str, index: int) -> Envelope:
        q = self.queues[stream]
        if not q:
            raise IndexError(f"{self.describe()}: nothing in flight on {stream!r}")
        return q.pop(index % len(q))

    def deliver_head(self, stream: str) -> list[ev.Event]:
        """Deliver the oldest message of a stream (with a ``SequenceGap`` first if one shows)."""
        return self._receive(self._take(stream, 0))

    def deliver_at(self, stream: str, index: int) -> list[ev.Event]:
        """Deliver any message of a stream, overtaking the older ones (reorder)."""
        return self._receive(self._take(stream, index))

    def take_at(self, stream: str, index: int) -> Envelope:
        """Remove a message and return its envelope (the caller delivers or discards it)."""
        return self._take(stream, index)

    def duplicate(self, stream: str, index: int, adjacent: bool = False) -> None:
        """Send a copy of a message in flight again: right behind it, or at the back (a replay)."""
        q = self.queues[stream]
        if not q:
            raise IndexError(f"{self.describe()}: nothing in flight on {stream!r}")
        i = index % len(q)
        if adjacent:
            q.insert(i + 1, q[i])
        else:
            q.append(q[i])

    def drop(self, stream: str, index: int) -> Envelope:
        """Lose a message in flight."""
        env = self._take(stream, index)
        self.lost.append(env)
        return env

    def delay(self, stream: str, index: int) -> None:
        """Move a message to the back of its stream's queue."""
        self.queues[stream].append(self._take(stream, index))

    def disconnect(self, reason: str = "disconnect") -> list[ev.Event]:
        """Break every stream: all in flight is lost; the receiver hears ``StreamDisconnected``."""
        for s in self.streams:
            self.lost.extend(self.queues[s])
            self.queues[s].clear()
        self.connected = False
        return [ev.StreamDisconnected(s, reason) for s in self.streams]

    def reconnect(self) -> list[ev.Event]:
        """Reconnect every stream (fresh sequences); the receiver hears ``StreamConnected``."""
        self.connected = True
        for s in self.streams:
            self._expect[s] = None
        return [ev.StreamConnected(s) for s in self.streams]

    def drain(self) -> list[ev.Event]:
        """Deliver everything in flight, interleaving streams at random (each in its own order)."""
        out: list[ev.Event] = []
        while True:
            busy = self.busy_streams()
            if not busy:
                return out
            out.extend(self.deliver_head(self.rng.choice(busy)))

    def step(self) -> list[ev.Event]:
        """One random action per the fault profile; returns what reaches the receiver."""
        p = self.profile
        r = self.rng.random()
        if not self.connected:
            return self.reconnect() if r < p.reconnect else []
        if r < p.disconnect:
            return self.disconnect("simulated disconnect")
        r -= p.disconnect
        busy = self.busy_streams()
        if not busy:
            return []
        stream = self.rng.choice(busy)
        index = self.rng.randrange(len(self.queues[stream]))
        if r < p.drop:
            self.drop(stream, index)
            return []
        r -= p.drop
        if r < p.duplicate:
            self.duplicate(stream, index, adjacent=self.rng.random() < 0.5)
            return []
        r -= p.duplicate
        if r < p.delay:
            self.delay(stream, index)
            return []
        r -= p.delay
        if r < p.reorder:
            return self.deliver_at(stream, index)
        return self.deliver_head(stream)
