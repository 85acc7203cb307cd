"""Latency and faults: specs parse, and the private stream is really perturbed, seeded."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from core import events as ev
from invsync.backtest import Faults, Leg, parse_faults, parse_latency
from invsync.backtest.faults import PrivateChannel
from invsync.backtest.latency import PRESETS


def _balance(i: int) -> ev.BalanceReported:
    return ev.BalanceReported("BTC", Decimal(i), Decimal(i), i)


def _stream(channel: PrivateChannel, n: int) -> list[tuple[int, str, int, ev.Event]]:
    out: list[tuple[int, str, int, ev.Event]] = []
    for i in range(1, n + 1):
        out.extend(channel.send(i * 10_000, "balances", _balance(i)))
    return sorted(out, key=lambda d: d[0])


def test_presets_and_overrides_parse() -> None:
    f = parse_faults("mild,drop=0.2,timeout=0")
    assert (f.drop, f.timeout, f.duplicate) == (0.2, 0.0, parse_faults("mild").duplicate)
    lat = parse_latency("retail,entry=7/2/0.5/100")
    assert lat.entry == Leg(7, 2, 0.5, 100)
    assert lat.feed == PRESETS["retail"].feed
    assert parse_latency("feed=3").feed == Leg(3) and parse_latency("feed=3").entry == Leg()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("wild", "'wild': expected a preset"),
        ("drop=x", "'x' is not a probability"),
        ("drop=0.6,duplicate=0.6", "sum to <= 1"),
        ("duplicate=-0.1", "must be >= 0"),
    ],
)
def test_bad_fault_specs_name_the_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("retail,wire=1", "'wire=1': expected a preset"),
        ("feed=1/2/3/4/5", "up to four numbers"),
        ("feed=-1", "times must be >= 0"),
        ("feed=1/1/2/1", "spike_p in \\[0, 1\\]"),
    ],
)
def test_bad_latency_specs_name_the_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_latency(spec)


def test_a_leg_stays_within_base_plus_jitter_and_spikes_when_told() -> None:
    rng = random.Random(3)
    calm = [Leg(10, 5).sample(rng) for _ in range(2000)]
    assert min(calm) >= 10_000 and max(calm) < 15_000 and len(set(calm)) > 100
    spiky = [Leg(10, 0, 1.0, 100).sample(rng) for _ in range(200)]
    assert min(spiky) >= 10_000 + 50_000 and max(spiky) < 10_000 + 150_000


def test_without_faults_a_stream_arrives_whole_in_order_without_gaps() -> None:
    channel = PrivateChannel(Leg(5, 20), Faults(), random.Random(1))
    deliveries = _stream(channel, 500)
    assert [d[2] for d in deliveries] == list(range(1, 501))
    received = [e for d in deliveries for e in channel.receive(d[1], d[2], d[3])]
    assert received == [_balance(i) for i in range(1, 501)]
    assert channel.counts.gaps == 0


def test_faults_duplicate_reorder_delay_and_drop_the_private_stream() -> None:
    faults = Faults(duplicate=0.1, reorder=0.1, delay=0.1, drop=0.1)
    channel = PrivateChannel(Leg(5, 20), faults, random.Random(2))
    deliveries = _stream(channel, 2000)
    seqs = [d[2] for d in deliveries]
    c = channel.counts
    assert min(c.duplicated, c.reordered, c.delayed, c.dropped) > 100
    # What the counters say is what the deliveries show.
    assert len(seqs) - len(set(seqs)) == c.duplicated
    assert 2000 - len(set(seqs)) == c.dropped
    overtaken = sum(1 for a, b in itertools.pairwise(seqs) if b < a)
    assert overtaken >= c.reordered // 2
    stalls = [b[0] - a[0] for a, b in itertools.pairwise(deliveries)]
    assert max(stalls) >= int(faults.stall_ms * 1000 * 0.5) - 10_000
    # The receiving side hears of every loss or overtaking as a gap in the sequence.
    events = [e for d in deliveries for e in channel.receive(d[1], d[2], d[3])]
    gaps = [e for e in events if isinstance(e, ev.SequenceGap)]
    assert len(gaps) == c.gaps > 0
    assert all(g.received > g.expected for g in gaps)


def test_the_same_seed_perturbs_the_same_way() -> None:
    def once(seed: int) -> list[tuple[int, str, int, ev.Event]]:
        channel = PrivateChannel(Leg(5, 20), parse_faults("hostile"), random.Random(seed))
        return _stream(channel, 300)

    assert once(9) == once(9)
    assert once(9) != once(10)
