"""The runner's knobs, with the defaults spec/live.md explains (times in seconds)."""

from __future__ import annotations

import attrs


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"RunnerConfig.{attribute.name}: must be > 0, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 0:
        raise ValueError(f"RunnerConfig.{attribute.name}: must be >= 0, got {value!r}")


@attrs.frozen(slots=True)
class RunnerConfig:
    """How often the runner checks, how long it waits, how much REST weight it may spend.

    In-flight checks (an order whose fate is in doubt: ``pending_new``, ``pending_cancel``,
    ``unknown``, or an amend without an answer) start ``inflight_threshold`` after the
    order's last request *returned* (never while one is outstanding: a query racing its own
    placement could answer "no such order"), then repeat every ``inflight_interval``,
    doubling per order up to ``inflight_max_interval``; at most ``queries_per_cycle``
    queries leave per ``cycle`` (Nautilus: 5 s threshold, 2 s interval, 10 per cycle, timed
    from submission).
    """

    #: Seconds after an order's last request returned before its first status query.
    inflight_threshold: float = attrs.field(default=1.0, validator=_non_negative)
    #: Seconds between queries of the same doubtful order (doubles each time).
    inflight_interval: float = attrs.field(default=1.0, validator=_positive)
    #: Cap of the per-order query interval.
    inflight_max_interval: float = attrs.field(default=30.0, validator=_positive)
    #: Most order queries sent per cycle.
    queries_per_cycle: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    #: Seconds between two passes of the request loop (core requests, in-flight checks).
    cycle: float = attrs.field(default=0.25, validator=_positive)
    #: Seconds between periodic reconciliations (a full snapshot compared with local state).
    reconcile_interval: float = attrs.field(default=300.0, validator=_positive)
    #: REST weight the runner allows itself per minute (Binance's IP limit is 6000).
    weight_budget: int = attrs.field(default=1200, validator=attrs.validators.ge(100))
    #: Seconds a REST request may take before its outcome is unknown.
    request_timeout: float = attrs.field(default=10.0, validator=_positive)
    #: First reconnect delay; doubles up to ``backoff_max``, each with full jitter.
    backoff_initial: float = attrs.field(default=0.5, validator=_positive)
    #: Longest reconnect delay.
    backoff_max: float = attrs.field(default=30.0, validator=_positive)
    #: A WebSocket connection is replaced after this long (Binance closes it at 24 h).
    max_connection_age: float = attrs.field(default=23.5 * 3600, validator=_positive)
    #: Seconds without any frame (Binance pings every 20 s) before the stream is deemed dead.
    stream_idle_timeout: float = attrs.field(default=60.0, validator=_positive)
    #: Journal rows between checkpoints (compaction); 0 = never compact automatically.
    checkpoint_every: int = attrs.field(default=100_000, validator=attrs.validators.ge(0))
    #: Seed of the reconnect jitter (None: from the OS), for reproducible tests.
    jitter_seed: int | None = None
