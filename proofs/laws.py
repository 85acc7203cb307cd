"""Laws of the merge rules, proved with z3 and tied to the real code (DESIGN §6).

Order status (``status:*``): the lattice is *derived* from ``core.machines.order.TABLE``
(read when the proof runs, never copied): its elements are the statuses reachable from
the initial one by venue status reports (the events ``core.inventory`` maps reported
statuses to), ordered by reachability; two distinct terminal statuses have no upper
bound, so a top element ``conflict`` is added. z3 proves, for all elements, that the
order is a partial order, that ``join`` is its least upper bound, that ``join`` is
associative, commutative and idempotent, and that the real transition table realizes
it: applying any report event in any status under any guard outcome gives
``join(status, meaning of the report)`` (a report in conflict with a terminal status is
absorbed), terminal statuses absorb every event, and more knowledge (fills) never lowers
a report's meaning (except that a report contradicting known fills, ``rejected``, means
nothing: it is absorbed). The domain is finite, so these are proofs for all inputs.

Ledger (``ledger:*``): the accounting rule of ``core.ledger.AssetLedger`` -- a reported
balance ``(total, free)`` at version ``v`` plus keyed pending changes; a change is
pending unless a report covers it (``version <= v``); a report older than the current
one is ignored and drops what it covers; ``expected = reported + sum(pending)`` -- is
encoded once (``_Enc``) over z3 Ints (versions) and Reals (amounts). z3 proves for all
versions and amounts: a pending change is never covered (invariant), any two
reports/changes applied in either order give the same ledger expected balance (two
reports of one version agree, one key names one change), applying one twice is a no-op,
and (bounded in the number of messages, unbounded in values) for every delivery
sequence from an empty ledger the expected balance counts every delivered change
exactly once: the newest report plus the delivered changes newer than it. Then the
*same* encoding, evaluated on concrete values, is compared with the real
``AssetLedger`` on every sequence of up to three operations over a small domain
(exhaustive, bounded), and the laws are also run directly on the real code there; so a
mutated real rule is caught with a concrete counterexample.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import z3

from core import inventory as inventory_module
from core import ledger as ledger_module
from core.machines import order as order_machine
from proofs.result import Result

CONFLICT = "conflict"
VALUATIONS = ((False, False), (True, False), (True, True))  # (has_fills, complete)


# --- order status lattice --------------------------------------------------------------


@dataclass(frozen=True)
class Lattice:
    """The order-status lattice read off the machine table."""

    elements: tuple[str, ...]
    report_events: tuple[str, ...]
    leq: frozenset[tuple[str, str]]
    join: dict[tuple[str, str], str]
    nxt: dict[tuple[str, str, bool, bool], str]  # (status, event, has_fills, complete)
    meaning: dict[tuple[str, bool, bool], str]  # (report event, has_fills, complete) -> status
    terminal: frozenset[str]
    events: tuple[str, ...]


def derive_lattice() -> Lattice:
    table = order_machine.TABLE
    status_event: dict[str, str] = inventory_module._STATUS_EVENT
    report_events = tuple(sorted(set(status_event.values())))

    def step(s: str, e: str, g: tuple[bool, bool]) -> str:
        # Venue reports speak of an order the venue knows: acknowledged holds for them.
        guards = {"has_fills": g[0], "complete": g[1], "acknowledged": True}
        t = table.next(s, e, guards.__getitem__)
        return s if t is None else t

    nxt = {
        (s, e, g[0], g[1]): step(s, e, g)
        for s in table.states
        for e in table.events
        for g in VALUATIONS
    }
    elements = [table.initial]
    edges: set[tuple[str, str]] = set()
    todo = [table.initial]
    while todo:
        s = todo.pop()
        for e in report_events:
            for g in VALUATIONS:
                t = step(s, e, g)
                edges.add((s, t))
                if t not in elements:
                    elements.append(t)
                    todo.append(t)
    leq = {(s, s) for s in elements} | edges
    changed = True
    while changed:  # transitive closure
        changed = False
        for a, b in list(leq):
            for c, d in list(leq):
                if b == c and (a, d) not in leq:
                    leq.add((a, d))
                    changed = True
    full = [*elements, CONFLICT]
    leq |= {(x, CONFLICT) for x in full}
    join: dict[tuple[str, str], str] = {}
    for a in full:
        for b in full:
            ups = [u for u in full if (a, u) in leq and (b, u) in leq]
            least = [u for u in ups if all((u, w) in leq for w in ups)]
            join[(a, b)] = least[0] if len(least) == 1 else CONFLICT
    meaning = {
        (e, g[0], g[1]): step(table.initial, e, g) for e in report_events for g in VALUATIONS
    }
    return Lattice(
        tuple(full),
        report_events,
        frozenset(leq),
        join,
        nxt,
        meaning,
        frozenset(table.final),
        tuple(table.events),
    )


def _table_fn(pairs: Sequence[tuple[Any, Any]], default: Any) -> Any:
    expr = default
    for cond, value in reversed(pairs):
        expr = z3.If(cond, value, expr)
    return expr


def _prove(
    name: str, bound: str, cases: int, claim: Any, start: float, show: Callable[[z3.ModelRef], str]
) -> Result:
    s = z3.Solver()
    s.set("timeout", 60_000)
    s.add(z3.Not(claim))
    r = s.check()
    took = time.perf_counter() - start
    if r == z3.unsat:
        return Result(name, bound, cases, took, True, "proved for all inputs (z3: negation unsat)")
    if r == z3.sat:
        return Result(name, bound, cases, took, False, "counterexample: " + show(s.model()))
    return Result(name, bound, cases, took, False, f"z3 gave {r}")


_RUNS: list[int] = []


def status_laws() -> list[Result]:
    """The order-status join laws, derived from the real order machine table."""
    t0 = time.perf_counter()
    lat = derive_lattice()
    _RUNS.append(len(_RUNS))  # z3 sort names are global: a fresh name per run
    tag = f"_{len(_RUNS)}"
    status_sort, consts = z3.EnumSort("Status" + tag, list(lat.elements))
    st = dict(zip(lat.elements, consts, strict=True))
    ev_sort, ev_consts = z3.EnumSort("ReportEvent" + tag, list(lat.report_events))
    evc = dict(zip(lat.report_events, ev_consts, strict=True))
    all_sort, all_consts = z3.EnumSort("Event" + tag, list(lat.events))
    allc = dict(zip(lat.events, all_consts, strict=True))
    a, b, c, u, s = z3.Consts("a b c u s", status_sort)
    e = z3.Const("e", ev_sort)
    ea = z3.Const("ea", all_sort)
    hf, cp, hf2, cp2 = z3.Bools("has_fills complete has_fills2 complete2")

    def leq(x: Any, y: Any) -> Any:
        return z3.Or([z3.And(x == st[p], y == st[q]) for p, q in sorted(lat.leq)])

    def join(x: Any, y: Any) -> Any:
        return _table_fn(
            [(z3.And(x == st[p], y == st[q]), st[r]) for (p, q), r in sorted(lat.join.items())],
            st[CONFLICT],
        )

    statuses = [x for x in lat.elements if x != CONFLICT]

    def nxt_report(x: Any, ev: Any, h: Any, k: Any) -> Any:
        return _table_fn(
            [
                (
                    z3.And(x == st[p], ev == evc[q], h == z3.BoolVal(g0), k == z3.BoolVal(g1)),
                    st[lat.nxt[(p, q, g0, g1)]],
                )
                for p in statuses
                for q in lat.report_events
                for g0, g1 in VALUATIONS
            ],
            st[CONFLICT],
        )

    machine_states = sorted({p for p, _, _, _ in lat.nxt})
    any_sort, any_consts = z3.EnumSort("AnyStatus" + tag, [f"any_{x}" for x in machine_states])
    anyc = dict(zip(machine_states, any_consts, strict=True))
    sa = z3.Const("status", any_sort)

    def nxt_any(x: Any, ev: Any, h: Any, k: Any) -> Any:
        return _table_fn(
            [
                (
                    z3.And(x == anyc[p], ev == allc[q], h == z3.BoolVal(g0), k == z3.BoolVal(g1)),
                    anyc[lat.nxt[(p, q, g0, g1)]],
                )
                for p in machine_states
                for q in lat.events
                for g0, g1 in VALUATIONS
            ],
            x,
        )

    def meaning(ev: Any, h: Any, k: Any) -> Any:
        return _table_fn(
            [
                (z3.And(ev == evc[q], h == z3.BoolVal(g0), k == z3.BoolVal(g1)), st[r])
                for (q, g0, g1), r in sorted(lat.meaning.items())
            ],
            st[CONFLICT],
        )

    is_status = z3.Or([s == st[x] for x in statuses])
    valid = z3.Implies(cp, hf)
    valid2 = z3.And(z3.Implies(cp2, hf2), z3.Implies(hf, hf2), z3.Implies(cp, cp2))
    n = len(lat.elements)
    bound = f"all {n} statuses (incl. conflict)"

    def show(*names: Any) -> Callable[[z3.ModelRef], str]:
        return lambda m: ", ".join(f"{x}={m.eval(x, model_completion=True)}" for x in names)

    j = join(s, meaning(e, hf, cp))
    claims: list[tuple[str, str, int, Any, Callable[[z3.ModelRef], str]]] = [
        (
            "status:partial_order",
            bound,
            n**3,
            z3.ForAll(
                [a, b, c],
                z3.And(
                    leq(a, a),
                    z3.Implies(z3.And(leq(a, b), leq(b, a)), a == b),
                    z3.Implies(z3.And(leq(a, b), leq(b, c)), leq(a, c)),
                ),
            ),
            show(),
        ),
        (
            "status:join_is_lub",
            bound,
            n**3,
            z3.ForAll(
                [a, b, u],
                z3.And(
                    leq(a, join(a, b)),
                    leq(b, join(a, b)),
                    z3.Implies(z3.And(leq(a, u), leq(b, u)), leq(join(a, b), u)),
                ),
            ),
            show(),
        ),
        ("status:join_idempotent", bound, n, join(a, a) == a, show(a)),
        ("status:join_commutative", bound, n**2, join(a, b) == join(b, a), show(a, b)),
        (
            "status:join_associative",
            bound,
            n**3,
            join(join(a, b), c) == join(a, join(b, c)),
            show(a, b, c),
        ),
        (
            "status:table_realizes_join",
            f"{len(statuses)} statuses x {len(lat.report_events)} report events x 3 guard outcomes",
            len(statuses) * len(lat.report_events) * 3,
            z3.Implies(
                z3.And(is_status, valid), nxt_report(s, e, hf, cp) == z3.If(j == st[CONFLICT], s, j)
            ),
            show(s, e, hf, cp),
        ),
        (
            "status:terminal_absorbs",
            f"{len(lat.terminal)} terminal statuses x {len(lat.events)} events x 3 guard outcomes",
            len(lat.terminal) * len(lat.events) * 3,
            z3.Implies(
                z3.And(z3.Or([sa == anyc[x] for x in sorted(lat.terminal)]), valid),
                nxt_any(sa, ea, hf, cp) == sa,
            ),
            show(sa, ea, hf, cp),
        ),
        (
            "status:knowledge_monotone",
            f"{len(lat.report_events)} report events x guard outcome pairs",
            len(lat.report_events) * 9,
            z3.Implies(
                z3.And(valid, valid2),
                z3.Or(
                    leq(meaning(e, hf, cp), meaning(e, hf2, cp2)),
                    meaning(e, hf2, cp2) == st[lat.elements[0]],
                ),
            ),
            show(e, hf, cp, hf2, cp2),
        ),
    ]
    out = []
    for name, bnd, cases, claim, sh in claims:
        out.append(_prove(name, bnd, cases, claim, t0, sh))
        t0 = time.perf_counter()
    return out


# --- ledger ----------------------------------------------------------------------------


class _Enc:
    """The ledger rule, written once for z3 terms and for concrete values alike."""

    def __init__(self, symbolic: bool) -> None:
        self.symbolic = symbolic

    def ite(self, c: Any, x: Any, y: Any) -> Any:
        if self.symbolic:
            return z3.If(c, x, y)
        return x if c else y

    def both(self, x: Any, y: Any) -> Any:
        return z3.And(x, y) if self.symbolic else (x and y)

    def either(self, x: Any, y: Any) -> Any:
        return z3.Or(x, y) if self.symbolic else (x or y)

    def neg(self, x: Any) -> Any:
        return z3.Not(x) if self.symbolic else (not x)


# state: (total, free, version, {key: (pending, version, dtotal, dfree)})
LState = tuple[Any, Any, Any, dict[str, tuple[Any, Any, Any, Any]]]


def enc_report(en: _Enc, s: LState, v: Any, total: Any, free: Any) -> LState:
    t0, f0, v0, pend = s
    newer = v >= v0  # a report older than the current one is ignored
    slots = {
        k: (en.both(p, en.neg(en.both(newer, u <= v))), u, dt, df)
        for k, (p, u, dt, df) in pend.items()
    }
    return (en.ite(newer, total, t0), en.ite(newer, free, f0), en.ite(newer, v, v0), slots)


def enc_add(en: _Enc, s: LState, key: str, u: Any, dt: Any, df: Any) -> LState:
    t0, f0, v0, pend = s
    old = pend.get(key)
    if old is None:
        take = u > v0
        slot = (take, u, dt, df)
    else:
        p, ou, odt, odf = old
        take = en.both(en.neg(p), u > v0)
        slot = (
            en.either(p, take),
            en.ite(take, u, ou),
            en.ite(take, dt, odt),
            en.ite(take, df, odf),
        )
    return (t0, f0, v0, {**pend, key: slot})


def enc_expected(en: _Enc, s: LState) -> tuple[Any, Any]:
    t0, f0, _, pend = s
    zero: Any = 0
    total = t0 + sum((en.ite(p, dt, zero) for p, _, dt, _ in pend.values()), zero)
    free = f0 + sum((en.ite(p, df, zero) for p, _, _, df in pend.values()), zero)
    return total, free


Op = tuple[Any, ...]  # ("R", v, total, free) or ("A", key, version, dtotal, dfree)


def enc_apply(en: _Enc, s: LState, op: Op) -> LState:
    if op[0] == "R":
        return enc_report(en, s, op[1], op[2], op[3])
    return enc_add(en, s, op[1], op[2], op[3], op[4])


def _sym_state(tag: str, keys: Sequence[str]) -> tuple[LState, Any]:
    """An arbitrary ledger state satisfying the invariant (pending changes are uncovered)."""
    v = z3.Int(f"{tag}_v")
    pend = {
        k: (
            z3.Bool(f"{tag}_{k}_p"),
            z3.Int(f"{tag}_{k}_u"),
            z3.Real(f"{tag}_{k}_dt"),
            z3.Real(f"{tag}_{k}_df"),
        )
        for k in keys
    }
    inv = z3.And([z3.Implies(p, u > v) for p, u, _, _ in pend.values()])
    return (z3.Real(f"{tag}_t"), z3.Real(f"{tag}_f"), v, pend), inv


def _sym_op(kind: str, tag: str, key: str = "") -> Op:
    if kind == "R":
        return ("R", z3.Int(f"{tag}_v"), z3.Real(f"{tag}_t"), z3.Real(f"{tag}_f"))
    return ("A", key, z3.Int(f"{tag}_u"), z3.Real(f"{tag}_dt"), z3.Real(f"{tag}_df"))


def _consistent(ops: Sequence[Op]) -> Any:
    """Two reports of one version agree; one key names one change."""
    cs: list[Any] = []
    for x, y in itertools.combinations(ops, 2):
        if x[0] == y[0] == "R":
            cs.append(z3.Implies(x[1] == y[1], z3.And(x[2] == y[2], x[3] == y[3])))
        if x[0] == y[0] == "A" and x[1] == y[1]:
            cs.append(z3.And(x[2] == y[2], x[3] == y[3], x[4] == y[4]))
    return z3.And(cs) if cs else z3.BoolVal(True)


def _seen(s: LState, op: Op) -> Any:
    """A change whose key the state holds is that same change, pending or covered."""
    if op[0] != "A" or op[1] not in s[3]:
        return z3.BoolVal(True)
    p, u, dt, df = s[3][op[1]]
    return z3.And(op[2] == u, op[3] == dt, op[4] == df, z3.Or(p, u <= s[2]))


def _same(s1: LState, s2: LState, en: _Enc) -> Any:
    e1, e2 = enc_expected(en, s1), enc_expected(en, s2)
    return z3.And(e1[0] == e2[0], e1[1] == e2[1])


def _model_text(m: z3.ModelRef) -> str:
    return ", ".join(f"{d.name()}={m[d]}" for d in sorted(m.decls(), key=lambda d: d.name()))


def ledger_laws(max_len: int) -> list[Result]:
    """The ledger laws for all versions and amounts (sequence laws up to ``max_len`` ops)."""
    en = _Enc(True)
    out: list[Result] = []

    t0 = time.perf_counter()
    s0, inv0 = _sym_state("s", ["k", "j"])
    pairs = [("R", "R"), ("R", "A"), ("A", "R"), ("A", "A")]
    ok = True
    cases = 0
    detail = ""
    for kx, ky in pairs:
        for same_key in (False, True) if (kx, ky) == ("A", "A") else (False,):
            for key_x in ("k", "n"):  # a key already in the state, or a fresh one
                x = _sym_op(kx, "x", key_x)
                y = _sym_op(ky, "y", key_x if same_key else "m")
                pre = z3.And(inv0, _consistent([x, y]), _seen(s0, x), _seen(s0, y))
                sxy = enc_apply(en, enc_apply(en, s0, x), y)
                syx = enc_apply(en, enc_apply(en, s0, y), x)
                r = _prove("", "", 0, z3.Implies(pre, _same(sxy, syx, en)), t0, _model_text)
                cases += 1
                if not r.ok:
                    ok, detail = False, f"{kx}{ky}: {r.detail}"
                    break
    out.append(
        Result(
            "ledger:commutative",
            "any state, any 2 reports/changes, all versions/amounts",
            cases,
            time.perf_counter() - t0,
            ok,
            detail or "proved for all inputs (z3: negation unsat)",
        )
    )

    t0 = time.perf_counter()
    ok, detail, cases = True, "", 0
    for kind in ("R", "A"):
        for key in ("k", "n"):
            x = _sym_op(kind, "x", key)
            s1 = enc_apply(en, s0, x)
            s2 = enc_apply(en, s1, x)
            claim = z3.Implies(
                z3.And(inv0, _seen(s0, x)),
                z3.And(
                    _same(s1, s2, en),
                    s1[2] == s2[2],
                    *[z3.And(s1[3][k][0] == s2[3][k][0]) for k in s1[3]],
                ),
            )
            r = _prove("", "", 0, claim, t0, _model_text)
            cases += 1
            if not r.ok:
                ok, detail = False, f"{kind} twice: {r.detail}"
    out.append(
        Result(
            "ledger:idempotent",
            "any state, any report/change applied twice, all values",
            cases,
            time.perf_counter() - t0,
            ok,
            detail or "proved for all inputs (z3: negation unsat)",
        )
    )

    t0 = time.perf_counter()
    ok, detail, cases = True, "", 0
    for kind in ("R", "A"):
        x = _sym_op(kind, "x", "k")
        s1 = enc_apply(en, s0, x)
        claim = z3.Implies(
            inv0, z3.And([z3.Implies(p, u > s1[2]) for p, u, _, _ in s1[3].values()])
        )
        r = _prove("", "", 0, claim, t0, _model_text)
        cases += 1
        if not r.ok:
            ok, detail = False, f"after {kind}: {r.detail}"
    out.append(
        Result(
            "ledger:pending_never_covered",
            "invariant preserved by any report/change, all values",
            cases,
            time.perf_counter() - t0,
            ok,
            detail or "proved for all inputs (z3: negation unsat)",
        )
    )

    # exactly once: every delivery sequence from an empty ledger, truthful reports
    t0 = time.perf_counter()
    base_t, base_f = z3.Reals("base_t base_f")
    changes = {k: _sym_op("A", f"c{k}", k) for k in ("a", "b")}
    reports = {}
    for r_name in ("r1", "r2"):
        v = z3.Int(f"{r_name}_v")
        inc = [z3.If(ch[2] <= v, ch[3], 0) for ch in changes.values()]
        incf = [z3.If(ch[2] <= v, ch[4], 0) for ch in changes.values()]
        reports[r_name] = ("R", v, base_t + z3.Sum(inc), base_f + z3.Sum(incf))
    alphabet: dict[str, Op] = {**reports, **changes}
    pre = z3.And([op[2] >= 0 for op in changes.values()] + [op[1] >= 0 for op in reports.values()])
    empty: LState = (z3.RealVal(0), z3.RealVal(0), z3.IntVal(-1), {})
    ok, detail, cases = True, "", 0
    solver = z3.Solver()
    solver.add(pre)
    for n in range(1, max_len + 1):
        for seq in itertools.product(sorted(alphabet), repeat=n):
            st = empty
            for name in seq:
                st = enc_apply(en, st, alphabet[name])
            got_t, got_f = enc_expected(en, st)
            seen_r = sorted({x for x in seq if x in reports})
            seen_c = sorted({x for x in seq if x in changes})
            # the newest delivered report, plus the delivered changes newer than it
            if seen_r:
                newest: Op = reports[seen_r[0]]
                for rn in seen_r[1:]:
                    rep = reports[rn]
                    newest = (
                        "R",
                        z3.If(rep[1] >= newest[1], rep[1], newest[1]),
                        z3.If(rep[1] >= newest[1], rep[2], newest[2]),
                        z3.If(rep[1] >= newest[1], rep[3], newest[3]),
                    )
                vmax, want_t, want_f = newest[1], newest[2], newest[3]
            else:
                vmax, want_t, want_f = z3.IntVal(-1), z3.RealVal(0), z3.RealVal(0)
            for cn in seen_c:
                ch = changes[cn]
                want_t = want_t + z3.If(ch[2] > vmax, ch[3], 0)
                want_f = want_f + z3.If(ch[2] > vmax, ch[4], 0)
            solver.push()
            solver.add(z3.Not(z3.And(got_t == want_t, got_f == want_f)))
            res = solver.check()
            if res != z3.unsat:
                ok = False
                detail = f"sequence {' '.join(seq)}: " + (
                    _model_text(solver.model()) if res == z3.sat else str(res)
                )
            solver.pop()
            cases += 1
            if not ok:
                break
        if not ok:
            break
    out.append(
        Result(
            "ledger:exactly_once",
            f"every sequence of <= {max_len} msgs over 2 reports+2 changes, all values",
            cases,
            time.perf_counter() - t0,
            ok,
            detail or "proved for all versions/amounts; bounded in sequence length",
        )
    )
    return out


# --- the real code agrees with the encoding ---------------------------------------------


def _real_run(ops: Sequence[Op]) -> tuple[Any, ...]:
    led = ledger_module.AssetLedger("X")
    for op in ops:
        if op[0] == "R":
            dropped = led.report(op[2], op[3], op[1], None)
            del dropped
        else:
            led.add(op[1], op[2], op[3], op[4], None, None)
    return _real_obs(led)


def _change_fields(c: Any) -> tuple[Any, Any, Any]:
    """(version, total, free) of a pending change, whether a tuple or an object."""
    if isinstance(c, tuple):
        return c[0], c[1], c[2]
    return c.version, c.total, c.free


def _real_obs(led: ledger_module.AssetLedger) -> tuple[Any, ...]:
    pending: dict[Any, Any] = led.pending
    pend = tuple(sorted((str(k), *_change_fields(c)) for k, c in pending.items()))
    return (led.total + led.sum_total, led.free + led.sum_free, pend)


def _enc_run(ops: Sequence[Op]) -> tuple[Any, ...]:
    en = _Enc(False)
    zero = Decimal(0)
    st: LState = (zero, zero, -1, {})
    for op in ops:
        st = enc_apply(en, st, op)
    t, f = enc_expected(en, st)
    pend = tuple(sorted((k, u, dt, df) for k, (p, u, dt, df) in st[3].items() if p))
    return (t, f, pend)


def _domain() -> list[Op]:
    d = Decimal
    ops: list[Op] = [("R", v, d(t), d(f)) for v in (0, 1, 2) for t, f in ((0, 0), (7, 3))]
    ops += [
        ("A", k, u, d(dt), d(df))
        for k in ("a", "b")
        for u in (0, 1, 2)
        for dt, df in ((1, 1), (-2, 0))
    ]
    return ops


def _consistent_concrete(ops: Sequence[Op]) -> bool:
    for x, y in itertools.combinations(ops, 2):
        if x[0] == y[0] == "R" and x[1] == y[1] and x[2:] != y[2:]:
            return False
        if x[0] == y[0] == "A" and x[1] == y[1] and x[2:] != y[2:]:
            return False
    return True


def ledger_conformance(max_len: int) -> list[Result]:
    """Real ``AssetLedger`` == the encoding, and the laws on the real code, exhaustively."""
    t0 = time.perf_counter()
    dom = _domain()
    cases = 0
    bad = ""
    for n in range(1, max_len + 1):
        for seq in itertools.product(dom, repeat=n):
            cases += 1
            real, enc = _real_run(seq), _enc_run(seq)
            if real != enc:
                bad = f"ops {list(seq)}: real AssetLedger {real} != proved rule {enc}"
                break
        if bad:
            break
    out = [
        Result(
            "ledger:real_code_agrees",
            f"all sequences of <= {max_len} ops over {len(dom)} ops",
            cases,
            time.perf_counter() - t0,
            not bad,
            bad or "bounded: exhaustive on the small domain",
        )
    ]
    t0 = time.perf_counter()
    cases = 0
    bad = ""
    for prefix_len in (0, 1):
        for prefix in itertools.product(dom, repeat=prefix_len):
            for x in dom:
                # idempotence: applying one twice is a no-op
                cases += 1
                if _real_run([*prefix, x, x]) != _real_run([*prefix, x]):
                    bad = f"idempotence: {[*prefix, x]} then {x} again changes the ledger"
                    break
                for y in dom:
                    if not _consistent_concrete([*prefix, x, y]):
                        continue
                    cases += 1
                    a, b = _real_run([*prefix, x, y]), _real_run([*prefix, y, x])
                    if a[:2] != b[:2]:
                        bad = (
                            f"commutativity: after {list(prefix)}, {x} then {y} gives {a[:2]}, "
                            f"{y} then {x} gives {b[:2]}"
                        )
                        break
                if bad:
                    break
            if bad:
                break
        if bad:
            break
    out.append(
        Result(
            "ledger:real_code_laws",
            f"real AssetLedger, prefixes <= 1 op, all pairs over {len(dom)} ops",
            cases,
            time.perf_counter() - t0,
            not bad,
            bad or "bounded: exhaustive on the small domain",
        )
    )
    return out


def all_laws(deep: bool) -> list[Result]:
    return [*status_laws(), *ledger_laws(5 if deep else 4), *ledger_conformance(4 if deep else 3)]
