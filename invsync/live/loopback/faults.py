"""The loopback's fault model: what can go wrong, how often, decided from one seed.

Every decision is drawn when a message is published or a request arrives, in that
order, from random streams derived from the exchange's seed (one stream for pushes, one
for REST), so the same seed and the same sequence of client requests inject the same
faults. Durations are drawn too; only the wall clock decides when they end.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Final

import attrs


def _probability(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"Faults.{attribute.name}: {value!r} is not a probability in [0, 1]")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"Faults.{attribute.name}: {value!r} must be >= 0")


@attrs.frozen(slots=True)
class Faults:
    """Fault probabilities (0..1) and durations (seconds); all zero is a perfect venue.

    Push faults act on each user-data message sent to each subscription; REST faults on
    each request. See spec/venues/loopback.md for what each one looks like on the wire.
    """

    #: A user-data message is never sent.
    drop: float = attrs.field(default=0.0, validator=_probability)
    #: A user-data message is sent twice.
    duplicate: float = attrs.field(default=0.0, validator=_probability)
    #: A user-data message is held and sent after the next one (or after ``reorder_hold``).
    reorder: float = attrs.field(default=0.0, validator=_probability)
    #: A user-data message is sent after a random pause up to ``max_delay``; later ones overtake it.
    delay: float = attrs.field(default=0.0, validator=_probability)
    #: After a user-data message, the connection is closed (code 1011), what is queued is lost.
    disconnect: float = attrs.field(default=0.0, validator=_probability)
    #: After a user-data message, ``serverShutdown`` is sent, then the connection closes.
    shutdown: float = attrs.field(default=0.0, validator=_probability)
    #: A REST request is answered 503 without a body code (a mutation may have executed).
    rest_5xx: float = attrs.field(default=0.0, validator=_probability)
    #: A REST request is answered only after ``timeout`` seconds (a mutation may have executed).
    rest_timeout: float = attrs.field(default=0.0, validator=_probability)
    #: A REST request is refused 429 with ``Retry-After``; a request inside that wait gets 418.
    rate_limit: float = attrs.field(default=0.0, validator=_probability)
    #: An order mutation is answered -1006 or -1007 (HTTP 5xx); executed or not, seeded.
    unknown_outcome: float = attrs.field(default=0.0, validator=_probability)
    #: Longest pause of a delayed message.
    max_delay: float = attrs.field(default=0.3, validator=_non_negative)
    #: How long a reordered message waits for a successor before it is sent anyway.
    reorder_hold: float = attrs.field(default=0.2, validator=_non_negative)
    #: How long a timed-out REST request hangs before it is answered 503 (or the server stops).
    timeout: float = attrs.field(default=30.0, validator=_non_negative)
    #: Retry-After (seconds) of an injected 429; the 418 ban after ignoring it lasts twice that.
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    #: Share of unknown-outcome and 5xx/timeout mutations that really executed.
    executed_share: float = attrs.field(default=0.5, validator=_probability)

    @classmethod
    def parse(cls, text: str) -> Faults:
        """A named profile (``PROFILES``) or ``key=value,key=value`` (a profile may lead)."""
        values: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if "=" not in part:
                if part not in PROFILES:
                    raise ValueError(
                        f"faults: unknown profile {part!r} (one of {', '.join(sorted(PROFILES))})"
                    )
                values.update(PROFILES[part])
                continue
            key, _, raw = part.partition("=")
            key = key.strip()
            if key not in _FIELDS:
                raise ValueError(f"faults: unknown knob {key!r} (one of {', '.join(_FIELDS)})")
            try:
                values[key] = float(raw)
            except ValueError:
                raise ValueError(f"faults: {key}={raw!r} is not a number") from None
        kwargs: dict[str, float | int] = dict(values)
        if "retry_after" in kwargs:
            kwargs["retry_after"] = int(kwargs["retry_after"])
        return cls(**kwargs)  # type: ignore[arg-type]


_FIELDS: Final = tuple(a.name for a in attrs.fields(Faults))

#: Named fault profiles for ``invsync loopback --faults``.
PROFILES: Final[Mapping[str, Mapping[str, float]]] = {
    "none": {},
    "lossy": {"drop": 0.05, "duplicate": 0.05, "reorder": 0.05, "delay": 0.1},
    "flaky": {
        "disconnect": 0.02,
        "shutdown": 0.01,
        "rest_5xx": 0.03,
        "rest_timeout": 0.01,
        "timeout": 5.0,
    },
    "hostile": {
        "drop": 0.05,
        "duplicate": 0.05,
        "reorder": 0.05,
        "delay": 0.1,
        "disconnect": 0.02,
        "shutdown": 0.01,
        "rest_5xx": 0.03,
        "rest_timeout": 0.01,
        "rate_limit": 0.02,
        "unknown_outcome": 0.05,
        "timeout": 5.0,
    },
}


@attrs.frozen(slots=True)
class PushPlan:
    """What happens to one user-data message on one subscription."""

    drop: bool = False
    duplicate: bool = False
    reorder: bool = False
    delay: float = 0.0
    disconnect: bool = False
    shutdown: bool = False


@attrs.frozen(slots=True)
class RestPlan:
    """What happens to one REST request."""

    rate_limit: bool = False
    fail_5xx: bool = False
    timeout: bool = False
    unknown: int | None = None  # -1006 or -1007
    executed: bool = True


class FaultDice:
    """The seeded decisions; one instance per exchange."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._push = random.Random(f"loopback/{seed}/push")
        self._rest = random.Random(f"loopback/{seed}/rest")

    def push(self, f: Faults) -> PushPlan:
        """Draw the fate of one message (always the same number of draws)."""
        r = self._push
        drop, dup, reo, dly, dis, sd, amount = (r.random() for _ in range(7))
        if drop < f.drop:
            return PushPlan(drop=True)
        return PushPlan(
            duplicate=dup < f.duplicate,
            reorder=reo < f.reorder,
            delay=amount * f.max_delay if dly < f.delay else 0.0,
            disconnect=dis < f.disconnect,
            shutdown=sd < f.shutdown,
        )

    def rest(self, f: Faults, mutation: bool) -> RestPlan:
        """Draw the fate of one request (always the same number of draws)."""
        r = self._rest
        rl, five, to, unk, which, ex = (r.random() for _ in range(6))
        executed = ex < f.executed_share
        if rl < f.rate_limit:
            return RestPlan(rate_limit=True)
        if mutation and unk < f.unknown_outcome:
            return RestPlan(unknown=-1006 if which < 0.5 else -1007, executed=executed)
        if five < f.rest_5xx:
            return RestPlan(fail_5xx=True, executed=mutation and executed)
        if to < f.rest_timeout:
            return RestPlan(timeout=True, executed=mutation and executed)
        return RestPlan()
