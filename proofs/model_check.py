"""Bounded model checking of the real ``core.Inventory`` (DESIGN §4, §6).

For one scenario (``proofs.scenarios``) the checker explores, breadth first, every way
the network can deliver the venue's messages: any message already emitted may be
delivered at any moment, each up to ``max_deliveries`` times (duplicates), in any order
(reorder, delay), and interleaved with the venue's timeline (local intents are applied
when the bot does them; venue steps emit messages). Drops need no action of their own:
a message never delivered is dropped.

A state is ``(timeline position, delivery count of each message, fingerprint)`` where
the fingerprint is the Inventory's observable state: every balance (total, free,
locked), every exposure range, every position, every order (status, filled, remaining,
average price, fees, ids), the open orders, the sync state, the requests it makes and
its ``stats()``. States are hashed; each new state is checked for

* P1 exactly once: each order's filled quantity is the larger of the sum of its distinct
  delivered fills and its highest delivered cumulative quantity; its fees are the sum of
  its distinct delivered fills' fees; each spot balance total is the newest delivered
  report plus the distinct delivered fills newer than it (never a fill twice); each
  position quantity likewise;
* P3 the venue's true balances (spot) and positions at this point of its timeline lie
  inside the exposure ranges;
* P6 every spot free balance is <= the true free balance;
* P2 at quiescence (the timeline is over and every message was delivered at least once):
  balances, positions, orders equal the truth exactly, and the account is ``synced``;
* P8 at quiescence with no live order: every exposure range is its expected value
  (``low == expected == high``);
* P5 (scenarios with drops) once the final REST snapshot is delivered, whatever else was
  dropped or arrives late: after the edge answers what the Inventory asks
  (``take_requests``: order queries; an order still in flight is timed out by the edge
  first), the state equals the truth exactly;

and every transition for P4 (an order's status moves only along the order machine's
transitions, a terminal status stays, filled never decreases) and P7 (a valid event is
never rejected). BFS order makes the first counterexample a shortest one.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core import events as ev
from core.inventory import Inventory
from core.machines import order as order_machine
from proofs.result import Result
from proofs.scenarios import Scenario
from proofs.venue import Truth

ZERO = Decimal(0)

Action = tuple[str, int]  # ("advance", step) or ("deliver", message index)
Key = tuple[int, tuple[int, ...], tuple[Any, ...]]


class Violation(Exception):
    """A property failed in a state or on a transition."""


def _reachability() -> dict[str, frozenset[str]]:
    """For each order status, the statuses the order machine can move it to (any path)."""
    table = order_machine.TABLE
    succ: dict[str, set[str]] = {s: set() for s in table.states}
    for (s, _e), branches in table.branches.items():
        for b in branches:
            succ[s].add(b.target)
    out: dict[str, frozenset[str]] = {}
    for s in table.states:
        seen = {s}
        todo = [s]
        while todo:
            for t in succ[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        out[s] = frozenset(seen)
    return out


# --- what was delivered ------------------------------------------------------------


@dataclass
class Knowledge:
    """What the delivered events say (the P1 oracle, computed from the events alone)."""

    fills: dict[str, ev.FillReported]  # trade id -> fill
    cumulative: dict[str, Decimal]  # client order id -> highest reported cumulative
    balances: dict[str, tuple[int, Decimal]]  # asset -> (version, total) of the newest report
    positions: dict[str, tuple[int, Decimal]]  # symbol -> (version, quantity)


def _events(sc: Scenario, counts: tuple[int, ...]) -> Iterable[ev.Event]:
    yield sc.initial
    for m, c in enumerate(counts):
        if c:
            yield from sc.messages[m]


def knowledge(sc: Scenario, counts: tuple[int, ...]) -> Knowledge:
    k = Knowledge({}, {}, {}, {})

    def balance(b: ev.BalanceReported) -> None:
        old = k.balances.get(b.asset)
        if old is None or b.version >= old[0]:
            k.balances[b.asset] = (b.version, b.total)

    def position(p: ev.PositionReported) -> None:
        old = k.positions.get(p.symbol)
        if old is None or p.version >= old[0]:
            k.positions[p.symbol] = (p.version, p.quantity)

    def order(r: ev.OrderReported) -> None:
        assert r.client_order_id is not None
        k.cumulative[r.client_order_id] = max(
            k.cumulative.get(r.client_order_id, ZERO), r.filled_quantity
        )

    for e in _events(sc, counts):
        if isinstance(e, ev.FillReported):
            k.fills[e.trade_id] = e
        elif isinstance(e, ev.OrderReported):
            order(e)
        elif isinstance(e, ev.BalanceReported):
            balance(e)
        elif isinstance(e, ev.PositionReported):
            position(e)
        elif isinstance(e, ev.SnapshotTaken):
            for b in e.balances:
                balance(b)
            for p in e.positions:
                position(p)
            for r in e.open_orders:
                order(r)
            for f in e.trades:
                k.fills[f.trade_id] = f
    return k


# --- the Inventory's observable state ---------------------------------------------------


class Observer:
    """Reads a scenario's observables off an Inventory."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        spot = [i for i in sc.instruments if i.kind == "spot"]
        self.spot_assets = sorted({a for i in spot for a in (i.base, i.quote)})
        self.settle_assets = sorted({i.settle for i in sc.instruments if i.is_derivative})
        self.assets = sorted(set(self.spot_assets) | set(self.settle_assets))
        self.derivatives = sorted(i.symbol for i in sc.instruments if i.is_derivative)
        self.cids = [
            c
            for s in sc.steps
            for e in s.local
            if isinstance(e, ev.OrderSubmitted)
            for c in (e.client_order_id,)
        ]

    def fingerprint(self, inv: Inventory) -> tuple[Any, ...]:
        parts: list[Any] = []
        for a in self.assets:
            b, x = inv.balance(a), inv.exposure(a)
            parts.append((b.total, b.free, b.locked, x.low, x.high))
        for s in self.derivatives:
            p, x = inv.position(s), inv.exposure(s)
            parts.append((p.quantity, p.entry_price, x.low, x.high))
        for c in self.cids:
            o = inv.order(c)
            parts.append(
                None
                if o is None
                else (
                    o.status,
                    o.filled_quantity,
                    o.remaining_quantity,
                    o.average_price,
                    o.fees,
                    o.order_id,
                    o.quantity,
                    o.price,
                )
            )
        parts.append(tuple(sorted(o.client_order_id or "" for o in inv.open_orders())))
        parts.append(inv.sync_state)
        parts.append(tuple(sorted(repr(r) for r in inv.requests())))
        parts.append(tuple(sorted(inv.stats().items())))
        return tuple(parts)

    def orders(self, inv: Inventory) -> dict[str, tuple[str, Decimal]]:
        out = {}
        for c in self.cids:
            o = inv.order(c)
            if o is not None:
                out[c] = (o.status, o.filled_quantity)
        return out

    # --- properties ---------------------------------------------------------------

    def p1(self, inv: Inventory, k: Knowledge) -> None:
        by_order: dict[str, list[ev.FillReported]] = {}
        for f in k.fills.values():
            assert f.client_order_id is not None
            by_order.setdefault(f.client_order_id, []).append(f)
        for c in self.cids:
            o = inv.order(c)
            fills = by_order.get(c, [])
            want = max(sum((f.quantity for f in fills), ZERO), k.cumulative.get(c, ZERO))
            got = ZERO if o is None else o.filled_quantity
            if got != want:
                raise Violation(f"P1: order {c} filled {got}, delivered fills/reports say {want}")
            fees: dict[str, Decimal] = {}
            for f in fills:
                if f.fee and f.fee_asset:
                    fees[f.fee_asset] = fees.get(f.fee_asset, ZERO) + f.fee
            want_fees = tuple(sorted(fees.items()))
            got_fees = () if o is None else o.fees
            if got_fees != want_fees:
                raise Violation(f"P1: order {c} fees {got_fees}, delivered fills say {want_fees}")
        inst = {i.symbol: i for i in self.sc.instruments}
        for a in self.spot_assets:
            if a in self.settle_assets:
                continue
            v, total = k.balances.get(a, (-1, ZERO))
            for f in k.fills.values():
                i = inst[f.symbol]
                if f.version <= v or i.kind != "spot":
                    continue
                buy = f.side == "buy"
                if a == i.base:
                    total += f.quantity if buy else -f.quantity
                if a == i.quote:
                    total += -(f.quantity * f.price) if buy else f.quantity * f.price
                if f.fee and f.fee_asset == a:
                    total -= f.fee
            got = inv.balance(a).total
            if got != total:
                raise Violation(
                    f"P1: {a} total {got}, the newest delivered report (v{v}) plus the delivered "
                    f"fills newer than it give {total}"
                )
        for s in self.derivatives:
            v, q = k.positions.get(s, (-1, ZERO))
            for f in k.fills.values():
                if f.symbol == s and f.version > v:
                    q += f.quantity if f.side == "buy" else -f.quantity
            got = inv.position(s).quantity
            if got != q:
                raise Violation(
                    f"P1: position {s} {got}, delivered report (v{v}) and fills give {q}"
                )

    def p3_p6(self, inv: Inventory, truth: Truth) -> None:
        for a in self.spot_assets:
            total, free = truth.balance(a)
            x = inv.exposure(a)
            if not x.low <= total <= x.high:
                raise Violation(f"P3: true {a} {total} outside the exposure [{x.low}, {x.high}]")
            got_free = inv.balance(a).free
            if got_free > free:
                raise Violation(f"P6: {a} free {got_free} above the true free {free}")
        for s in self.derivatives:
            q, _ = truth.position(s)
            x = inv.exposure(s)
            if not x.low <= q <= x.high:
                raise Violation(
                    f"P3: true position {s} {q} outside the exposure [{x.low}, {x.high}]"
                )

    def tight(self, inv: Inventory, what: str) -> None:
        """P8: with no live order left, every range is the expected value itself."""
        if inv.open_orders():
            return
        loose = [
            f"{n} [{x.low}, {x.expected}, {x.high}]"
            for n in (*self.assets, *self.derivatives)
            for x in (inv.exposure(n),)
            if not x.low == x.expected == x.high
        ]
        if loose:
            raise Violation(f"P8 {what}: ranges wider than expected: " + "; ".join(loose))

    def exact(self, inv: Inventory, truth: Truth, what: str) -> None:
        """P2 (or P5 after the resync): the Inventory equals the truth exactly."""
        diffs: list[str] = []
        for a in self.assets:
            total, free = truth.balance(a)
            b = inv.balance(a)
            if (b.total, b.free, b.locked) != (total, free, total - free):
                diffs.append(f"{a} {b.total}/{b.free}/{b.locked} != {total}/{free}/{total - free}")
        for s in self.derivatives:
            q, e = truth.position(s)
            p = inv.position(s)
            if (p.quantity, p.entry_price) != (q, e):
                diffs.append(f"position {s} {p.quantity}@{p.entry_price} != {q}@{e}")
        for c in self.cids:
            t = truth.order(c)
            o = inv.order(c)
            if t is None or o is None:
                if (t is None) != (o is None):
                    diffs.append(f"order {c}: {o} != {t}")
                continue
            got = (o.status, o.filled_quantity, o.average_price, o.fees)
            want = (t.status, t.filled, t.average_price, t.fees)
            if got != want:
                diffs.append(f"order {c} {got} != {want}")
        if inv.sync_state != "synced":
            diffs.append(f"sync state {inv.sync_state} != synced")
        if diffs:
            raise Violation(f"{what}: " + "; ".join(diffs))


# --- exploration ---------------------------------------------------------------------


def _describe(e: ev.Event) -> str:
    if isinstance(e, ev.OrderReported):
        return f"Order({e.client_order_id} {e.status} cum={e.filled_quantity} v{e.version})"
    if isinstance(e, ev.FillReported):
        return f"Fill({e.trade_id} {e.side} {e.quantity}@{e.price} v{e.version})"
    if isinstance(e, ev.BalanceReported):
        return f"Balance({e.asset} {e.total}/{e.free} v{e.version})"
    if isinstance(e, ev.PositionReported):
        return f"Position({e.symbol} {e.quantity}@{e.entry_price} v{e.version})"
    if isinstance(e, ev.SnapshotTaken):
        return f"Snapshot(v{e.version})"
    return type(e).__name__


def describe_action(sc: Scenario, a: Action, nth: int = 1) -> str:
    kind, i = a
    if kind == "advance":
        return f"timeline: {sc.steps[i].label}"
    copy = "" if nth == 1 else f" (copy {nth})"
    return f"deliver m{i}{copy}: " + " + ".join(_describe(e) for e in sc.messages[i])


def trace(sc: Scenario, actions: list[Action]) -> str:
    lines = []
    seen: dict[int, int] = {}
    for n, a in enumerate(actions, 1):
        nth = 1
        if a[0] == "deliver":
            nth = seen[a[1]] = seen.get(a[1], 0) + 1
        lines.append(f"    {n:2}. {describe_action(sc, a, nth)}")
    return "\n".join(lines)


def _resync(sc: Scenario, inv: Inventory, obs: Observer) -> None:
    """The edge after the REST snapshot: time out what is still in flight, answer queries."""
    for c in obs.cids:
        o = inv.order(c)
        if o is not None and o.status == "pending_new":
            inv.apply(ev.SubmissionTimedOut(c))
    for _ in range(4):
        reqs = inv.take_requests()
        if not reqs:
            return
        for r in reqs:
            if isinstance(r, ev.SnapshotTaken):  # pragma: no cover - not a request type
                continue
            cid = getattr(r, "client_order_id", None)
            if cid is not None:
                inv.apply(sc.venue.query(cid))
            else:
                inv.apply(sc.venue.snapshot())


def check(sc: Scenario, max_states: int = 2_000_000) -> Result:
    """Explore every delivery of the scenario's messages; the first violation is shortest."""
    start = time.perf_counter()
    obs = Observer(sc)
    reach = _reachability()
    terminal = order_machine.TERMINAL
    n_msgs = len(sc.messages)
    emitted = [0]
    for s in sc.steps:
        emitted.append(s.first_message + s.n_messages)
    snapshot_msgs = [
        i for i, m in enumerate(sc.messages) if any(isinstance(e, ev.SnapshotTaken) for e in m)
    ]

    inv0 = Inventory(sc.instruments)
    inv0.apply(sc.initial)
    k0: Key = (0, (0,) * n_msgs, obs.fingerprint(inv0))
    parent: dict[Key, tuple[Key, Action] | None] = {k0: None}
    know_cache: dict[tuple[int, ...], Knowledge] = {}
    edges = 0

    def path(key: Key) -> list[Action]:
        out: list[Action] = []
        p = parent[key]
        while p is not None:
            out.append(p[1])
            p = parent[p[0]]
        return out[::-1]

    def fail(msg: str, actions: list[Action]) -> Result:
        detail = f"{msg}\n  shortest counterexample ({len(actions)} actions):\n{trace(sc, actions)}"
        return Result(
            f"model:{sc.name}", sc.bound, len(parent), time.perf_counter() - start, False, detail
        )

    def check_state(inv: Inventory, key: Key) -> None:
        pos, counts, _ = key
        k = know_cache.get(counts)
        if k is None:
            k = know_cache[counts] = knowledge(sc, counts)
        obs.p1(inv, k)
        obs.p3_p6(inv, sc.truth_at(pos))
        if pos == len(sc.steps) and all(counts):
            obs.exact(inv, sc.final, "P2 at quiescence")
            obs.tight(inv, "at quiescence")
        if sc.drops and pos == len(sc.steps) and any(counts[i] for i in snapshot_msgs):
            after = pickle.loads(pickle.dumps(inv, pickle.HIGHEST_PROTOCOL))
            _resync(sc, after, obs)
            obs.exact(after, sc.final, "P5 after the REST snapshot and the queries it asks for")

    try:
        check_state(inv0, k0)
    except Violation as v:
        return fail(str(v), [])
    level: list[tuple[Key, bytes]] = [(k0, pickle.dumps(inv0, pickle.HIGHEST_PROTOCOL))]
    while level:
        nxt: list[tuple[Key, bytes]] = []
        for key, blob in level:
            pos, counts, _ = key
            before = obs.orders(pickle.loads(blob))
            actions: list[Action] = []
            if pos < len(sc.steps):
                actions.append(("advance", pos))
            for m in range(emitted[pos]):
                if counts[m] < sc.max_deliveries:
                    actions.append(("deliver", m))
            for a in actions:
                edges += 1
                inv = pickle.loads(blob)
                try:
                    if a[0] == "advance":
                        for e in sc.steps[a[1]].local:
                            inv.apply(e)
                        new_key: Key = (pos + 1, counts, obs.fingerprint(inv))
                    else:
                        for e in sc.messages[a[1]]:
                            inv.apply(e)
                        c2 = list(counts)
                        c2[a[1]] += 1
                        new_key = (pos, tuple(c2), obs.fingerprint(inv))
                except Exception as exc:
                    return fail(
                        f"P7: a valid event was rejected: {type(exc).__name__}: {exc}",
                        [*path(key), a],
                    )
                after = obs.orders(inv)
                for c, (st, filled) in before.items():
                    st2, filled2 = after.get(c, (None, ZERO))
                    if st2 is None or (st2 != st and (st in terminal or st2 not in reach[st])):
                        return fail(f"P4: order {c} status {st} -> {st2}", [*path(key), a])
                    if filled2 < filled:
                        return fail(f"P4: order {c} filled {filled} -> {filled2}", [*path(key), a])
                if new_key in parent:
                    continue
                parent[new_key] = (key, a)
                try:
                    check_state(inv, new_key)
                except Violation as v:
                    return fail(str(v), path(new_key))
                except Exception as exc:
                    return fail(f"P7: {type(exc).__name__}: {exc}", path(new_key))
                if len(parent) > max_states:
                    return Result(
                        f"model:{sc.name}",
                        sc.bound,
                        len(parent),
                        time.perf_counter() - start,
                        False,
                        f"state limit {max_states} exceeded",
                    )
                nxt.append((new_key, pickle.dumps(inv, pickle.HIGHEST_PROTOCOL)))
        level = nxt
    return Result(
        f"model:{sc.name}",
        sc.bound,
        len(parent),
        time.perf_counter() - start,
        True,
        f"{edges} transitions; P1 P3 P4 P6 P7 in every state, P2 P8 at quiescence"
        + (", P5 after the snapshot" if sc.drops else ""),
    )


__all__ = ["Violation", "check", "knowledge"]
