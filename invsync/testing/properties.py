"""The kit's property checks: DESIGN §4's P1-P8, stated for what a kit world can observe.

Each check reads the truth (``World.model``), the oracle's books (what the Inventory has
heard of, what was lost) and the Inventory's public answers (DESIGN §7), and raises
``PropertyFailed`` naming the property, the asset or order, both values and the seed.

* ``p1_exactly_once`` — every order's filled quantity is the larger of its heard fills
  (distinct by trade id) and its newest heard cumulative quantity: never a fill counted
  twice or missed; and once every order and fill message is heard (nothing lost, no REST
  answer or request pending), every traded asset's total and free are exact.
* ``p2_convergence`` — at quiescence every balance, order (status, filled, remaining,
  average price, fees) and the set of open orders equal the venue's; ``synced``.
* ``p3_bounded_exposure`` — while nothing is lost unrecovered, each traded asset's truth
  lies in ``exposure``'s [low, high]. ``no_overshoot`` is P3 as a strategy sees it: its
  true holding plus every open buy never exceeds its target.
* ``p4_monotonicity`` — no order's status regresses or filled quantity decreases.
* ``p5_recovery`` — P2 after drops and disconnects, once a snapshot is delivered
  (``World.quiesce`` gives one): checked by ``p2_convergence`` in lossy worlds.
* ``p6_free_not_overstated`` — local free never above the true free (traded assets);
  ``affordable`` is P6 as a strategy sees it: the venue never refuses its order for funds.
* ``p7_atomic`` — the parser lets only ``ParseError`` escape, even for a message with a
  field missing; the Inventory refuses a contradictory event and stays unchanged; and it
  never refuses an event parsed from a genuine message (``World._apply``).
* ``p8_tight`` — at quiescence, with no live order, ``low == expected == high`` and no
  request is pending.

Left out (checked by invsync's own suites, not observable or not modelled here):
derivative positions, amends, conditional orders, fee-less fast fills, venue sequences.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any, NoReturn

from core import events as ev
from core.errors import InventoryError, ParseError
from invsync.testing.world import TERMINAL, ZERO, World


def check_p1(w: World) -> None:
    """Exactly once, per order and, when every trading message is heard, per balance."""
    inv = w.inventory
    for cid in w.cids:
        mo = w.model_order(cid)
        view = inv.order(cid)
        if mo is None or view is None:
            continue
        fills = w.heard_fills.get(mo.order_id, {})
        want = max(sum(fills.values(), ZERO), w.heard_cum.get(mo.order_id, ZERO))
        if view.filled_quantity != want:
            w.fail(
                "p1_exactly_once",
                f"order {cid}: filled {view.filled_quantity}, but the heard fills "
                f"{sorted(fills.items())} and cumulative quantity "
                f"{w.heard_cum.get(mo.order_id, ZERO)} make {want} (venue: {mo.filled})",
            )
    if w.rest.pending() or inv.requests() or not w.bounded():
        return
    if any(e not in w.heard for e in w.trading):
        return
    for asset in w.account.traded_assets():
        got = inv.balance(asset)
        total, free = w.truth(asset), w.true_free(asset)
        if got.total != total or got.free != free:
            w.fail(
                "p1_exactly_once",
                f"{asset}: every order and fill message heard, total/free "
                f"{got.total}/{got.free} but the venue's {total}/{free}",
            )


def check_p3(w: World) -> None:
    """The truth lies in the exposure range of every traded asset (nothing lost unrecovered)."""
    if not w.bounded():
        return
    for asset in w.account.traded_assets():
        exp = w.inventory.exposure(asset)
        truth = w.truth(asset)
        if not exp.low <= truth <= exp.high:
            w.fail(
                "p3_bounded_exposure",
                f"{asset}: the venue holds {truth}, outside the exposure range "
                f"[{exp.low}, {exp.high}] (expected {exp.expected})",
            )


def check_p4(w: World) -> None:
    """Statuses only move forward, filled quantities never decrease, terminal absorbs."""
    for cid in w.cids:
        view = w.inventory.order(cid)
        if view is None:
            continue
        now = (view.status, view.filled_quantity)
        before = w.seen_status.get(cid)
        w.seen_status[cid] = now
        if before is None or before == now:
            continue
        (s0, f0), (s1, f1) = before, now
        if f1 < f0:
            w.fail("p4_monotonicity", f"order {cid}: filled went down {f0} -> {f1}")
        if s0 in TERMINAL and s1 != s0:
            w.fail("p4_monotonicity", f"order {cid}: terminal {s0} became {s1}")
        if (s0 == "partially_filled" and s1 in ("open", "pending_new")) or (
            s0 != "pending_new" and s1 == "pending_new"
        ):
            w.fail("p4_monotonicity", f"order {cid}: status regressed {s0} -> {s1}")


def check_p6(w: World) -> None:
    """Local free never above the true free, for every traded asset."""
    if not w.bounded():
        return
    for asset in w.account.traded_assets():
        local, true = w.inventory.balance(asset).free, w.true_free(asset)
        if local > true:
            w.fail("p6_free_not_overstated", f"{asset}: local free {local} above the true {true}")


def fingerprint(w: World) -> tuple[object, ...]:
    """Everything the Inventory answers (P7 compares it before and after a refused input)."""
    inv = w.inventory
    names = (*w.model.assets, *w.account.symbols)
    return (
        tuple(inv.balance(a) for a in w.model.assets),
        tuple(inv.order(c) for c in w.cids),
        tuple(sorted(repr(o) for o in inv.open_orders())),
        tuple(inv.exposure(n) for n in names if n not in w.account.symbols),
        inv.sync_state,
        tuple(inv.requests()),
    )


def _without_one_field(payload: Any, pick: int) -> Any | None:
    """The payload with one field of its event object removed (None: nothing to remove)."""
    if not isinstance(payload, dict):
        return None
    out = copy.deepcopy(payload)
    inner = out
    for wrapper in ("event", "data"):
        if isinstance(inner.get(wrapper), dict):
            inner = inner[wrapper]
    if not inner:
        return None
    keys = sorted(inner)
    del inner[keys[pick % len(keys)]]
    return out


def check_p7(w: World) -> None:
    """Malformed input: the parser raises only ParseError; a contradiction changes nothing."""
    broken = _without_one_field(w.last_payload, w.steps)
    if broken is not None:
        try:
            w.adapter.parse(broken)
        except ParseError:
            pass
        except Exception as exc:
            w.fail(
                "p7_atomic",
                f"the parser raised {type(exc).__name__}: {exc} (only ParseError may escape) "
                f"on {broken!r:.300}",
            )
    inv = w.inventory
    live = [o for o in inv.open_orders() if o.quantity is not None and o.order_id is not None]
    bad: list[tuple[str, Any]] = [("a string, not an event", "executionReport")]
    if live:
        o = live[w.steps % len(live)]
        assert o.quantity is not None and o.order_id is not None
        mo = w.model_order(o.client_order_id) if o.client_order_id else None
        over = max(o.quantity, mo.quantity if mo else ZERO) + 1
        price = o.price if o.price is not None else Decimal(1)
        bad.append(
            (
                f"a fill of {over} on order {o.order_id} of {o.quantity}",
                ev.FillReported(
                    o.symbol,
                    o.order_id,
                    o.client_order_id,
                    "kit-overfill",
                    o.side,
                    over,
                    price,
                    None,
                    None,
                    w.model.version + 10**15,
                    kind="spot",
                ),
            )
        )
    what, event = bad[w.steps % len(bad)]
    before = fingerprint(w)
    try:
        inv.apply(event)
    except InventoryError:
        pass
    else:
        w.fail("p7_atomic", f"{what} was accepted without an error")
    if fingerprint(w) != before:
        w.fail("p7_atomic", f"{what} raised but changed the Inventory")


def check_p2(w: World) -> None:
    """Convergence (and, after losses, recovery P5): at quiescence all equals the venue."""
    prop = "p2_convergence" if not w.lossy else "p5_recovery"
    inv = w.inventory
    for asset in w.model.assets:
        if inv.balance(asset) != w.model.balance(asset):
            w.fail(
                prop, f"{asset}: {inv.balance(asset)} but the venue has {w.model.balance(asset)}"
            )
    venue_open: set[str] = set()
    for cid in w.cids:
        mo = w.model_order(cid)
        view = inv.order(cid)
        if mo is None:
            if view is None or view.status != "rejected":
                w.fail(prop, f"order {cid} never reached the venue, the Inventory says {view}")
            continue
        if mo.is_open:
            venue_open.add(cid)
        if view is None:
            w.fail(prop, f"order {cid} is unknown to the Inventory")
        fees = tuple(sorted((a, f) for a, f in mo.fees.items() if f))
        got = (
            view.status,
            view.filled_quantity,
            view.remaining_quantity,
            view.average_price,
            tuple((a, f) for a, f in view.fees if f),
        )
        status = "open" if mo.status == "new" else mo.status
        want = (status, mo.filled, mo.remaining, mo.average_price, fees)
        if got != want:
            w.fail(
                prop,
                f"order {cid}: (status, filled, remaining, average, fees) {got} but the "
                f"venue's {want}",
            )
    local_open = {o.client_order_id or str(o.order_id) for o in inv.open_orders()}
    if local_open != venue_open:
        w.fail(prop, f"open orders {sorted(local_open)} but the venue's {sorted(venue_open)}")
    if inv.sync_state != "synced":
        w.fail(prop, f"sync state {inv.sync_state} at quiescence")


def check_p8(w: World) -> None:
    """Tight exposure at quiescence: with no live order the range is a point; nothing asked."""
    inv = w.inventory
    if inv.requests():
        w.fail("p8_tight", f"at quiescence the Inventory still asks {inv.requests()}")
    if inv.open_orders():
        return
    for asset in w.account.traded_assets():
        exp = inv.exposure(asset)
        if not exp.low == exp.expected == exp.high:
            w.fail(
                "p8_tight",
                f"{asset}: no live order, yet the range is [{exp.low}, {exp.high}] around "
                f"{exp.expected}",
            )


def check_no_overshoot(w: World, symbol: str, asset: str, target: Decimal) -> None:
    """P3 for a strategy: true holding plus every open buy on ``symbol`` within the target."""
    if not w.bounded():
        return
    have = w.truth(asset)
    buys = sum(
        (
            o.remaining
            for o in w.model.open_orders()
            if o.instrument.symbol == symbol and o.side == "buy"
        ),
        ZERO,
    )
    if have + buys > target:
        w.fail(
            "p3_no_overshoot",
            f"the strategy holds {have} {asset} with {buys} more on open buys: "
            f"{have + buys} overshoots its target {target}",
        )


def check_affordable(w: World, cid: str, reason: str) -> NoReturn:
    """P6 for a strategy: the venue refused one of its orders for funds."""
    w.fail(
        "p6_affordable",
        f"the venue refused the strategy's order {cid} ({reason}): it was sized from a free "
        "amount the account did not have",
    )
