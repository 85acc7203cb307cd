"""``invsync bench``: the core's speed and memory on a market maker's private streams.

The stream is generated, seeded and deterministic: a market maker quoting both sides of
BTCUSDT on Binance Spot and on the Binance USD-M perpetual, as the venues send it (spot
``executionReport`` / ``outboundAccountPosition``; USD-M ``ORDER_TRADE_UPDATE``,
``TRADE_LITE`` and ``ACCOUNT_UPDATE`` with balance and position), with orders that fill,
fill in part, or are canceled, and with the network's duplicates and reorders. The two
accounts are two Inventories, each fed by its own adapter (``core.adapters.binance_spot``
and ``core.adapters.binance_usdm``).

Rows, each the median of ``--repeats`` runs over the whole stream in this one process,
with the spread (min…max):

a. parse+apply: adapter ``parse`` then ``Inventory.apply``, in messages/s;
b. apply of the same events built beforehand, in events/s;
c. a naive tracker reading the same fields into Decimals and overwriting dicts, in
   messages/s (the floor any tracker pays);
d. the python-statemachine classes (``core.machines``) driven directly by the same events,
   one ``OrderLifecycle`` per order, one ``FillSettlement`` per trade, one ``AccountSync``
   per account, in events/s (on the stream's first ``--machine-events`` events: the
   library is too slow for the whole stream);
e. a resync after the run: one complete REST snapshot agreeing with each Inventory
   (balances, position, open orders), applied with its history of ended orders full, in
   ms (a snapshot is applied whole or not at all, so it pays for a rollback copy);

and parse alone (building b's events, timed too), to show how (a) splits.

Rows are timed by this process's CPU time unless ``--clock wall``: on a shared machine
the time spent waiting for a core is not the code's. The stream is generated in chunks
(untimed) and every row runs on each chunk in turn, so the machine's load falls on all
rows alike and memory stays bounded. Memory is measured in a separate pass under
``tracemalloc`` (which slows it): memory retained after warm-up and at the end, and the
peak. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import random
import resource
import statistics
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Final, TextIO

from core import Instrument, Inventory
from core import events as ev
from core.adapters import binance_spot, binance_usdm
from core.machines import AccountSync, FillSettlement, OrderLifecycle

SPOT: Final = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
PERP: Final = Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT")

#: Which account (and adapter) a message belongs to.
SPOT_ACCOUNT: Final = 0
PERP_ACCOUNT: Final = 1

_D = Decimal
_START_USDT: Final = _D(10_000_000)
_START_BTC: Final = _D(200)
_SPOT_FEE: Final = _D("0.001")  # Binance spot maker fee rate (commission in the asset bought)
_PERP_FEE: Final = _D("0.0002")  # USD-M maker fee rate, in USDT
_E8: Final = _D("0.00000001")
#: Ended orders an Inventory keeps by default (``Inventory(history=...)``).
_HISTORY: Final = 10_000
_TARGETS: Final = {"parse_apply_msg_s": 300_000, "cost_vs_naive": 3.0, "apply_ev_s": 1_000_000}


# --- the stream ---------------------------------------------------------------------------


def _s8(x: Decimal) -> str:
    """Binance Spot's decimal strings: eight places."""
    return f"{x:.8f}"


def _plain(x: Decimal) -> str:
    """Binance USD-M's decimal strings: as few places as the value needs."""
    text = f"{x.normalize():f}"
    return text


class _Spot:
    """The truth of the spot account and the messages Binance Spot sends about it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.free = {"USDT": _START_USDT, "BTC": _START_BTC}
        self.locked = {"USDT": _D(0), "BTC": _D(0)}
        self.trade_id = 0

    def push(self, t: int, assets: tuple[str, ...]) -> dict[str, Any]:
        return {
            "e": "outboundAccountPosition",
            "E": t + 1,
            "u": t,
            "B": [{"a": a, "f": _s8(self.free[a]), "l": _s8(self.locked[a])} for a in assets],
        }

    def order(
        self, n: int, t: int, side: str, qty: Decimal, price: Decimal, fills: list[Decimal]
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """One order's life: NEW, its fills, and a cancel of the rest (if any is left)."""
        buy = side == "BUY"
        lock_asset = "USDT" if buy else "BTC"
        lock = qty * price if buy else qty
        self.free[lock_asset] -= lock
        self.locked[lock_asset] += lock
        base = {
            "e": "executionReport",
            "s": "BTCUSDT",
            "c": f"mm-s{n}",
            "S": side,
            "o": "LIMIT",
            "f": "GTC",
            "q": _s8(qty),
            "p": _s8(price),
            "P": "0.00000000",
            "F": "0.00000000",
            "g": -1,
            "C": "",
            "r": "NONE",
            "i": 5_000_000 + n,
            "w": True,
            "m": True,
            "M": False,
            "O": t,
            "Q": "0.00000000",
            "V": "EXPIRE_MAKER",
        }
        seq = 3 * n
        yield (
            SPOT_ACCOUNT,
            {
                **base,
                "E": t + 1,
                "x": "NEW",
                "X": "NEW",
                "l": "0.00000000",
                "z": "0.00000000",
                "L": "0.00000000",
                "n": "0",
                "N": None,
                "T": t,
                "t": -1,
                "I": seq,
                "W": t,
                "Z": "0.00000000",
                "Y": "0.00000000",
            },
        )
        yield SPOT_ACCOUNT, self.push(t, (lock_asset,))
        filled = _D(0)
        for last in fills:
            t += self.rng.randint(1, 40)
            seq += 1
            self.trade_id += 1
            filled += last
            quote = last * price
            if buy:
                fee, fee_asset = (last * _SPOT_FEE).quantize(_E8), "BTC"
                self.locked["USDT"] -= quote
                self.free["BTC"] += last - fee
            else:
                fee, fee_asset = (quote * _SPOT_FEE).quantize(_E8), "USDT"
                self.locked["BTC"] -= last
                self.free["USDT"] += quote - fee
            yield (
                SPOT_ACCOUNT,
                {
                    **base,
                    "E": t + 1,
                    "x": "TRADE",
                    "X": "FILLED" if filled == qty else "PARTIALLY_FILLED",
                    "l": _s8(last),
                    "z": _s8(filled),
                    "L": _s8(price),
                    "n": _s8(fee),
                    "N": fee_asset,
                    "T": t,
                    "t": 900_000_000 + self.trade_id,
                    "I": seq,
                    "W": base["O"],
                    "Z": _s8(filled * price),
                    "Y": _s8(quote),
                },
            )
            yield SPOT_ACCOUNT, self.push(t, ("BTC", "USDT"))
        if filled < qty:
            t += self.rng.randint(1, 40)
            rest = (qty - filled) * price if buy else qty - filled
            self.locked[lock_asset] -= rest
            self.free[lock_asset] += rest
            yield (
                SPOT_ACCOUNT,
                {
                    **base,
                    "E": t + 1,
                    "x": "CANCELED",
                    "X": "CANCELED",
                    "l": "0.00000000",
                    "z": _s8(filled),
                    "L": "0.00000000",
                    "n": "0",
                    "N": None,
                    "T": t,
                    "t": -1,
                    "I": seq + 1,
                    "W": base["O"],
                    "Z": _s8(filled * price),
                    "Y": "0.00000000",
                },
            )
            yield SPOT_ACCOUNT, self.push(t, (lock_asset,))


class _Perp:
    """The truth of the USD-M account (one-way, cross) and the messages Binance USD-M sends."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.wallet = _START_USDT
        self.position = _D(0)
        self.entry = _D(0)
        self.trade_id = 0

    def _fill(self, side: str, last: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
        """Move the position; the realized PnL and the fee of this fill."""
        signed = last if side == "BUY" else -last
        pos, entry = self.position, self.entry
        pnl = _D(0)
        if pos == 0 or (pos > 0) == (signed > 0):
            new = pos + signed
            self.entry = ((abs(pos) * entry + last * price) / abs(new)).quantize(_E8)
        else:
            closing = min(last, abs(pos))
            pnl = closing * (price - entry) * (1 if pos > 0 else -1)
            new = pos + signed
            if new == 0:
                self.entry = _D(0)
            elif (new > 0) != (pos > 0):
                self.entry = price
        self.position = new
        fee = (last * price * _PERP_FEE).quantize(_E8)
        self.wallet += pnl - fee
        return pnl, fee

    def order(
        self, n: int, t: int, side: str, qty: Decimal, price: Decimal, fills: list[Decimal]
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """One order's life: NEW, each fill (TRADE_LITE, the trade, ACCOUNT_UPDATE), a cancel."""
        cid, oid = f"mm-p{n}", 8_000_000 + n
        order = {
            "s": "BTCUSDT",
            "c": cid,
            "S": side,
            "o": "LIMIT",
            "f": "GTX",
            "q": _plain(qty),
            "p": _plain(price),
            "sp": "0",
            "i": oid,
            "b": "0",
            "a": "0",
            "m": True,
            "R": False,
            "wt": "CONTRACT_PRICE",
            "ot": "LIMIT",
            "ps": "BOTH",
            "cp": False,
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "EXPIRE_MAKER",
            "pm": "NONE",
            "gtd": 0,
            "er": "0",
        }
        yield (
            PERP_ACCOUNT,
            {
                "e": "ORDER_TRADE_UPDATE",
                "E": t + 1,
                "T": t,
                "o": {
                    **order,
                    "x": "NEW",
                    "X": "NEW",
                    "ap": "0",
                    "l": "0",
                    "z": "0",
                    "L": "0",
                    "N": "USDT",
                    "n": "0",
                    "T": t,
                    "t": 0,
                    "rp": "0",
                },
            },
        )
        filled = _D(0)
        for last in fills:
            t += self.rng.randint(1, 40)
            self.trade_id += 1
            tid = 700_000_000 + self.trade_id
            filled += last
            pnl, fee = self._fill(side, last, price)
            yield (
                PERP_ACCOUNT,
                {
                    "e": "TRADE_LITE",
                    "E": t + 1,
                    "T": t,
                    "s": "BTCUSDT",
                    "q": _plain(qty),
                    "p": _plain(price),
                    "m": True,
                    "c": cid,
                    "S": side,
                    "L": _plain(price),
                    "l": _plain(last),
                    "t": tid,
                    "i": oid,
                },
            )
            yield (
                PERP_ACCOUNT,
                {
                    "e": "ORDER_TRADE_UPDATE",
                    "E": t + 2,
                    "T": t,
                    "o": {
                        **order,
                        "x": "TRADE",
                        "X": "FILLED" if filled == qty else "PARTIALLY_FILLED",
                        "ap": _plain(price),
                        "l": _plain(last),
                        "z": _plain(filled),
                        "L": _plain(price),
                        "N": "USDT",
                        "n": _plain(fee),
                        "T": t,
                        "t": tid,
                        "rp": _plain(pnl),
                    },
                },
            )
            yield (
                PERP_ACCOUNT,
                {
                    "e": "ACCOUNT_UPDATE",
                    "E": t + 2,
                    "T": t,
                    "a": {
                        "m": "ORDER",
                        "B": [
                            {"a": "USDT", "wb": _s8(self.wallet), "cw": _s8(self.wallet), "bc": "0"}
                        ],
                        "P": [
                            {
                                "s": "BTCUSDT",
                                "pa": _plain(self.position),
                                "ep": _plain(self.entry),
                                "bep": _plain(self.entry),
                                "cr": "0",
                                "up": "0",
                                "mt": "cross",
                                "iw": "0",
                                "ps": "BOTH",
                            }
                        ],
                    },
                },
            )
        if filled < qty:
            t += self.rng.randint(1, 40)
            yield (
                PERP_ACCOUNT,
                {
                    "e": "ORDER_TRADE_UPDATE",
                    "E": t + 1,
                    "T": t,
                    "o": {
                        **order,
                        "x": "CANCELED",
                        "X": "CANCELED",
                        "ap": _plain(price) if filled else "0",
                        "l": "0",
                        "z": _plain(filled),
                        "L": "0",
                        "N": "USDT",
                        "n": "0",
                        "T": t,
                        "t": 0,
                        "rp": "0",
                    },
                },
            )


def _fills(rng: random.Random, qty: Decimal, lot: Decimal) -> list[Decimal]:
    """How an order ends: 35% fills whole (one or two trades), 20% in part, 45% canceled."""
    roll = rng.random()
    if roll < 0.45:
        return []
    lots = int(qty / lot)
    if roll < 0.65:
        return [lot * rng.randint(1, lots - 1)] if lots > 1 else []
    if lots > 1 and rng.random() < 0.5:
        first = rng.randint(1, lots - 1)
        return [lot * first, lot * (lots - first)]
    return [qty]


def _quotes(seed: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The undisturbed stream, forever: both accounts' messages in the venues' own order."""
    rng = random.Random(seed)
    spot, perp = _Spot(rng), _Perp(rng)
    lot = _D("0.001")
    mid = 43_000 * 100  # in cents: prices stay on a tick of 0.01 near the mid
    t = 1_700_000_000_000
    n = 0
    while True:
        mid += rng.randint(-3, 3)
        # A quote on each side of each book; the four orders' messages interleave by time.
        lives: list[Iterator[tuple[int, dict[str, Any]]]] = []
        for venue, side, off in (
            (spot, "BUY", -1),
            (spot, "SELL", 1),
            (perp, "BUY", -1),
            (perp, "SELL", 1),
        ):
            n += 1
            price = _D(mid + off * rng.randint(1, 4)) / 100
            qty = lot * rng.randint(2, 8)
            lives.append(
                venue.order(n, t + rng.randint(0, 5), side, qty, price, _fills(rng, qty, lot))
            )
        # Round-robin: the spot and perp accounts each keep their own order of events.
        while lives:
            for life in list(lives):
                item = next(life, None)
                if item is None:
                    lives.remove(life)
                else:
                    yield item
        t += 200


def _network(
    items: Iterator[tuple[int, dict[str, Any]]], seed: int, duplicates: float, reorders: float
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The network: some messages come twice, some late (behind up to 8 later ones)."""
    rng = random.Random(seed ^ 0x5EED)
    held: list[tuple[int, tuple[int, dict[str, Any]]]] = []
    for k, item in enumerate(items):
        if held and held[0][0] <= k:
            due = [h for h in held if h[0] <= k]
            held = [h for h in held if h[0] > k]
            for _, late in due:
                yield late
        roll = rng.random()
        if roll < reorders:
            held.append((k + rng.randint(1, 8), item))
            held.sort(key=lambda h: h[0])
            continue
        yield item
        if roll < reorders + duplicates:
            held.append((k + rng.randint(1, 8), item))
            held.sort(key=lambda h: h[0])
    for _, late in held:  # a finite stream delivers what it held, last
        yield late


def stream(
    seed: int = 1, duplicates: float = 0.02, reorders: float = 0.05
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The benchmark's stream, endless: ``(account, decoded JSON message)`` pairs.

    ``account`` is ``SPOT_ACCOUNT`` (a Binance Spot message) or ``PERP_ACCOUNT`` (Binance
    USD-M). Deterministic for a seed.
    """
    return _network(_quotes(seed), seed, duplicates, reorders)


def binance_stream(orders: int) -> Iterator[dict[str, Any]]:
    """The Binance Spot messages of the stream's first ``orders`` quote rounds, undisturbed."""
    for account, msg in _quotes(1):
        if account == SPOT_ACCOUNT:
            if msg["e"] == "executionReport" and msg["i"] - 5_000_000 > 4 * orders:
                return
            yield msg


def fresh_inventories() -> tuple[Inventory, Inventory]:
    """The spot and the USD-M account, each after its first REST snapshot."""
    spot = Inventory([SPOT])
    spot.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(
                ev.BalanceReported("USDT", _START_USDT, _START_USDT, 1),
                ev.BalanceReported("BTC", _START_BTC, _START_BTC, 1),
            ),
        )
    )
    perp = Inventory([PERP])
    perp.apply(
        ev.SnapshotTaken(
            version=1,
            balances=(ev.BalanceReported("USDT", _START_USDT, _START_USDT, 1),),
            positions=(ev.PositionReported("BTCUSDT", _D(0), _D(0), 1, "linear"),),
        )
    )
    return spot, perp


# --- the baselines ------------------------------------------------------------------------


class NaiveBinance:
    """The naive tracker: reads the same fields into Decimals, overwrites dicts in arrival order.

    No versions, no dedup, no checks: the floor any tracker of these messages pays.
    """

    _ENDED: Final = frozenset({"FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"})

    def __init__(self) -> None:
        self.orders: dict[str, tuple[str, Decimal, Decimal, Decimal, Decimal]] = {}
        self.balances: dict[str, tuple[Decimal, Decimal]] = {}
        self.positions: dict[str, tuple[Decimal, Decimal]] = {}
        self.fills: dict[str, tuple[Decimal, Decimal, Decimal | None]] = {}

    def on_spot(self, m: dict[str, Any]) -> None:
        """One Binance Spot message."""
        e = m["e"]
        if e == "executionReport":
            cid = m["C"] or m["c"]
            q, p, z, zq = _D(m["q"]), _D(m["p"]), _D(m["z"]), _D(m["Z"])
            if m["x"] == "TRADE":
                self.fills[str(m["t"])] = (_D(m["l"]), _D(m["L"]), _D(m["n"]))
            if m["X"] in self._ENDED:
                self.orders.pop(cid, None)
            else:
                self.orders[cid] = (m["X"], q, p, z, zq)
        elif e == "outboundAccountPosition":
            for b in m["B"]:
                f, lk = _D(b["f"]), _D(b["l"])
                self.balances[b["a"]] = (f + lk, f)

    def on_usdm(self, m: dict[str, Any]) -> None:
        """One Binance USD-M message."""
        e = m["e"]
        if e == "ORDER_TRADE_UPDATE":
            o = m["o"]
            q, p, ap, z = _D(o["q"]), _D(o["p"]), _D(o["ap"]), _D(o["z"])
            if o["x"] == "TRADE":
                self.fills[str(o["t"])] = (_D(o["l"]), _D(o["L"]), _D(o["n"]))
                _D(o["rp"])
            if o["X"] in self._ENDED:
                self.orders.pop(o["c"], None)
            else:
                self.orders[o["c"]] = (o["X"], q, p, z, ap)
        elif e == "TRADE_LITE":
            self.fills[str(m["t"])] = (_D(m["l"]), _D(m["L"]), None)
        elif e == "ACCOUNT_UPDATE":
            a = m["a"]
            for b in a["B"]:
                self.balances[b["a"]] = (_D(b["wb"]), _D(b["cw"]))
            for p in a["P"]:
                self.positions[p["s"]] = (_D(p["pa"]), _D(p["ep"]))


class _Facts:
    """What the machines' guards read about one order (or account)."""

    __slots__ = ("acknowledged", "complete", "has_fills", "state", "unsettled")

    def __init__(self) -> None:
        self.state: Any = None  # where python-statemachine writes the current state
        self.has_fills = False
        self.complete = False
        self.acknowledged = False
        self.unsettled = False


# Absorbing events a state has no transition for, as the core's tables do.
class _Order(OrderLifecycle):
    allow_event_without_transition = True


class _Fill(FillSettlement):
    allow_event_without_transition = True


class _Account(AccountSync):
    allow_event_without_transition = True


_STATUS_EVENT: Final = {
    "new": "accepted",
    "partially_filled": "fill",
    "filled": "done",
    "canceled": "cancel",
    "expired": "expire",
    "rejected": "reject",
    "triggered": "trigger",
}


class MachineDriver:
    """The python-statemachine classes driven directly by one account's events.

    An ``OrderLifecycle`` per order, a ``FillSettlement`` per trade id, one ``AccountSync``;
    a balance or position report covers every reported fill at or below its version. No
    quantities, balances or dedup: only the machines' own work.
    """

    def __init__(self) -> None:
        self.orders: dict[str, tuple[_Order, _Facts]] = {}
        self.fills: dict[str, _Fill] = {}
        self.pending: list[tuple[int, _Fill]] = []
        self.facts = _Facts()
        self.account = _Account(model=self.facts)
        self.account.send("snapshot")

    def _order(self, key: str) -> tuple[_Order, _Facts]:
        got = self.orders.get(key)
        if got is None:
            facts = _Facts()
            got = self.orders[key] = (_Order(model=facts), facts)
        return got

    def apply(self, e: Any) -> None:
        """Drive the machines with one event."""
        t = type(e)
        if t is ev.OrderReported:
            machine, facts = self._order(e.order_id)
            facts.acknowledged = True
            facts.has_fills = e.filled_quantity > 0
            facts.complete = e.filled_quantity >= e.quantity
            machine.send(_STATUS_EVENT[e.status])
        elif t is ev.FillReported:
            fill = self.fills.get(e.trade_id)
            if fill is None:
                fill = self.fills[e.trade_id] = _Fill()
                self.pending.append((e.version, fill))
            fill.send("message")
            machine, facts = self._order(e.order_id)
            facts.has_fills = True
            machine.send("fill")
            self.facts.unsettled = True
            self.account.send("unsettled_fill")
        elif t is ev.BalanceReported or t is ev.PositionReported:
            v = e.version
            keep = []
            for fv, fill in self.pending:
                if fv <= v:
                    fill.send("cover")
                else:
                    keep.append((fv, fill))
            self.pending = keep
            self.facts.unsettled = bool(keep)
            self.account.send("all_settled")


# --- measuring ----------------------------------------------------------------------------


def _spread(rates: list[float], unit: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "runs": rates,
    }


def _chunks(messages: int, chunk: int, seed: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    source = stream(seed)
    left = messages
    while left > 0:
        take = min(chunk, left)
        yield [next(source) for _ in range(take)]
        left -= take


def _parsers() -> tuple[Callable[[Any], list[ev.Event]], ...]:
    return (binance_spot.parse, binance_usdm.parse)


#: The clocks a run can be timed by: this process's CPU time (the default: on a shared,
#: loaded machine, time spent waiting for a core is not the code's) or the wall clock.
CLOCKS: Final[dict[str, Callable[[], float]]] = {
    "cpu": time.process_time,
    "wall": time.perf_counter,
}


#: Resyncs timed per run and Inventory: each a complete REST snapshot of the account.
_RESYNCS: Final = 5


def resync_snapshot(inv: Inventory, version: int) -> ev.SnapshotTaken:
    """A complete snapshot agreeing with what ``inv`` expects now: what a resync brings."""
    balances = tuple(
        ev.BalanceReported(asset, b.total, b.free, version)
        for asset in ("USDT", "BTC")
        for b in [inv.balance(asset)]
        if b.total or b.free
    )
    positions = tuple(
        ev.PositionReported(i.symbol, p.quantity, p.entry_price, version, i.kind)
        for i in inv.instruments
        if i.is_derivative
        for p in [inv.position(i.symbol)]
    )
    orders = tuple(
        ev.OrderReported(
            o.symbol,
            o.order_id,
            o.client_order_id,
            o.side,
            "partially_filled" if o.filled_quantity else "new",
            o.quantity,
            o.price,
            o.filled_quantity,
            o.average_price,
            version,
            o.kind,
            "limit" if o.price is not None else "market",
        )
        for o in inv.open_orders()
        if o.order_id is not None
        and o.quantity is not None
        and o.status in ("open", "partially_filled")
    )
    return ev.SnapshotTaken(
        version=version, balances=balances, positions=positions, open_orders=orders
    )


def _resyncs(invs: tuple[Inventory, Inventory], clock: Callable[[], float]) -> list[float]:
    """Seconds per resync of each Inventory (after the run: its history is full)."""
    out = []
    for inv in invs:
        for i in range(_RESYNCS):
            snapshot = resync_snapshot(inv, 10**15 + i)
            t0 = clock()
            inv.apply(snapshot)
            out.append(clock() - t0)
    return out


def _timed_pass(
    messages: int, chunk: int, seed: int, machine_events: int, clock: Callable[[], float]
) -> tuple[dict[str, float], tuple[int, int, int]]:
    """One run of every row over the whole stream: seconds per row; messages, events and
    events driven through the machines."""
    parsers = _parsers()
    invs_a = fresh_inventories()
    applies_a = (invs_a[0].apply, invs_a[1].apply)
    invs_b = fresh_inventories()
    applies_b = (invs_b[0].apply, invs_b[1].apply)
    naive = NaiveBinance()
    ons = (naive.on_spot, naive.on_usdm)
    drivers = (MachineDriver(), MachineDriver())
    secs = {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0, "p": 0.0, "r": 0.0}
    n_msgs = n_events = n_machine = 0
    for part in _chunks(messages, chunk, seed):
        gc.collect()
        t0 = clock()
        for k, m in part:
            apply = applies_a[k]
            for e in parsers[k](m):
                apply(e)
        t1 = clock()
        for k, m in part:
            ons[k](m)
        t2 = clock()
        events = [(k, e) for k, m in part for e in parsers[k](m)]
        t3 = clock()
        for k, e in events:
            applies_b[k](e)
        t4 = clock()
        secs["a"] += t1 - t0
        secs["c"] += t2 - t1
        secs["b"] += t4 - t3
        secs["p"] += t3 - t2
        n_msgs += len(part)
        n_events += len(events)
        if n_machine < machine_events:
            sample = events[: machine_events - n_machine]
            t5 = clock()
            for k, e in sample:
                drivers[k].apply(e)
            secs["d"] += clock() - t5
            n_machine += len(sample)
        del events, part
    secs["r"] = statistics.median(_resyncs(invs_a, clock))
    secs["history"] = float(sum(inv.stats()["retired_orders"] for inv in invs_a))
    return secs, (n_msgs, n_events, n_machine)


def _memory_pass(target: int, chunk: int, seed: int, checkpoints: int = 10) -> dict[str, Any]:
    """Parse+apply of at least ``target`` events under tracemalloc: memory retained at
    checkpoints, and the peak."""
    parsers = _parsers()
    gc.collect()
    tracemalloc.start()
    invs = fresh_inventories()
    applies = (invs[0].apply, invs[1].apply)
    every = max(1, target // checkpoints)
    points: list[dict[str, int]] = []
    done = events = 0
    next_point = every
    source = stream(seed)
    # Chunks small enough that no checkpoint is passed by much (an event per message at least).
    size = max(1, min(chunk, every // 2))
    while events < target:
        part = [next(source) for _ in range(size)]
        for k, m in part:
            apply = applies[k]
            for e in parsers[k](m):
                apply(e)
                events += 1
        done += len(part)
        del part
        if events >= next_point or events >= target:
            gc.collect()
            points.append(
                {
                    "messages": done,
                    "events": events,
                    "retained_bytes": tracemalloc.get_traced_memory()[0],
                    "live_orders": invs[0].stats()["live_orders"] + invs[1].stats()["live_orders"],
                    "history_orders": invs[0].stats()["retired_orders"]
                    + invs[1].stats()["retired_orders"],
                }
            )
            while next_point <= events:
                next_point += every
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Warm once each Inventory's history of ended orders is full (then it only turns over).
    full = [p for p in points if p["history_orders"] >= 2 * _HISTORY]
    warm, end = (full or points)[0], points[-1]
    return {
        "events": events,
        "messages": done,
        "checkpoints": points,
        "warmup_events": warm["events"],
        "after_warmup_bytes": warm["retained_bytes"],
        "end_bytes": end["retained_bytes"],
        "growth_after_warmup": end["retained_bytes"] / max(1, warm["retained_bytes"]),
        "peak_traced_bytes": peak,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def measure(
    messages: int = 1_000_000,
    repeats: int = 5,
    chunk: int = 50_000,
    machine_events: int = 5_000,
    memory_events: int | None = None,
    seed: int = 1,
    progress: TextIO | None = None,
    clock: str = "cpu",
) -> dict[str, Any]:
    """Every row over ``repeats`` runs, and the memory pass; the figures as a JSON-ready dict.

    ``memory_events``: events the memory pass applies (default: the timed stream's own
    length; 0 skips it).
    """
    runs: list[dict[str, float]] = []
    counts = (0, 0, 0)
    for r in range(repeats):
        secs, counts = _timed_pass(messages, chunk, seed, machine_events, CLOCKS[clock])
        runs.append(secs)
        if progress is not None:
            progress.write(f"  run {r + 1}/{repeats} done\n")
            progress.flush()
    n_msgs, n_events, n_machine = counts
    rows = {
        "parse_apply": _spread([n_msgs / x["a"] for x in runs], "messages/s"),
        "apply": _spread([n_events / x["b"] for x in runs], "events/s"),
        "naive": _spread([n_msgs / x["c"] for x in runs], "messages/s"),
        "parse": _spread([n_msgs / x["p"] for x in runs], "messages/s"),
        "machines": _spread([n_machine / x["d"] for x in runs], "events/s") if n_machine else None,
        "resync": _spread([1000 * x["r"] for x in runs], "ms"),
    }
    # Ratios per run (same chunk, same moment), then their median.
    a_over_c = statistics.median([x["c"] / x["a"] for x in runs])
    b_over_d = (
        statistics.median([(n_events / x["b"]) / (n_machine / x["d"]) for x in runs])
        if n_machine
        else None
    )
    memory = None
    if memory_events is None:
        memory_events = n_events
    if memory_events:
        memory = _memory_pass(memory_events, chunk, seed)
    return {
        "stream": {
            "messages": n_msgs,
            "events": n_events,
            "seed": seed,
            "venues": ["binance_spot", "binance_usdm"],
            "repeats": repeats,
            "chunk": chunk,
            "machine_events": n_machine,
            "clock": clock,
            "history_orders_at_resync": int(runs[-1]["history"]),
        },
        "rows": rows,
        "ratios": {
            "parse_apply_over_naive": a_over_c,
            "cost_vs_naive": 1 / a_over_c,
            "apply_over_machines": b_over_d,
        },
        "memory": memory,
        "targets": dict(_TARGETS),
        "python": sys.version.split()[0],
        "compiled": _compiled(),
    }


def _opcodes(run: Callable[[], None]) -> collections.Counter[str]:
    """Bytecodes ``run`` executes, by function (``module:function``); Python code only."""
    counts: collections.Counter[str] = collections.Counter()

    def trace(frame: types.FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            module = frame.f_globals.get("__name__", code.co_filename)
            counts[f"{module}:{code.co_name}"] += 1
        return trace

    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
    return counts


def profile(messages: int = 3_000, seed: int = 1, skip: int = 2_000) -> dict[str, Any]:
    """Bytecodes per message of parse, of apply and of the naive tracker, by function.

    Counted on ``messages`` messages of the stream after ``skip`` (so the Inventories hold
    a run's state, not a fresh one's): a count, not a time, so it reads the same on any
    machine, loaded or not. A compiled module runs no bytecode and drops out.
    """
    source = stream(seed)
    parsers = _parsers()
    invs = fresh_inventories()
    naive = NaiveBinance()
    for _ in range(skip):
        k, m = next(source)
        for e in parsers[k](m):
            invs[k].apply(e)
    part = [next(source) for _ in range(messages)]
    events = [(k, e) for k, m in part for e in parsers[k](m)]

    def parse() -> None:
        for k, m in part:
            parsers[k](m)

    def apply() -> None:
        for k, e in events:
            invs[k].apply(e)

    def track() -> None:
        ons = (naive.on_spot, naive.on_usdm)
        for k, m in part:
            ons[k](m)

    out: dict[str, Any] = {"messages": messages, "events": len(events), "compiled": _compiled()}
    for name, run in (("parse", parse), ("apply", apply), ("naive", track)):
        counts = _opcodes(run)
        counts.pop(f"{__name__}:{run.__name__}", None)  # the loop driving it
        out[name] = {
            "per_message": sum(counts.values()) / messages,
            "functions": [(f, n / messages) for f, n in counts.most_common()],
        }
    return out


def render_profile(result: dict[str, Any], out: TextIO, top: int = 12) -> None:
    """The bytecode profile a user reads."""
    print(
        f"invsync bench --profile: bytecodes per message over {result['messages']:,} messages "
        f"({result['events']:,} events) of the bench's stream, by function",
        file=out,
    )
    if result["compiled"]:
        print("  (compiled modules run no bytecode: not counted)", file=out)
    for name in ("parse", "apply", "naive"):
        r = result[name]
        print(f"  {name}: {r['per_message']:,.0f} per message", file=out)
        for f, n in r["functions"][:top]:
            print(f"    {n:8.1f}  {100 * n / r['per_message']:5.1f} %  {f}", file=out)


def _compiled() -> list[str]:
    """The core modules this process runs compiled (mypyc builds them as extension modules)."""
    import importlib

    out = []
    for name in (
        "core.values",
        "core.ledger",
        "core.position",
        "core.inventory",
        "core.inventory.state",
        "core.inventory.book",
        "core.inventory.timeline",
        "core.inventory.amends",
        "core.inventory.fills",
        "core.inventory.spot",
        "core.inventory.derivatives",
        "core.inventory.changes",
        "core.inventory.sync",
        "core.inventory.intents",
        "core.inventory.exposure",
        "core.adapters.fields",
        "core.adapters.binance_spot",
        "core.adapters.binance_usdm",
    ):
        path = getattr(importlib.import_module(name), "__file__", "") or ""
        if not path.endswith(".py"):
            out.append(name)
    return out


def _row(name: str, r: dict[str, Any] | None, note: str = "") -> str:
    if r is None:
        return f"  {name:<34} {'(not run)':>12}"
    f = ",.1f" if r["unit"] == "ms" else ",.0f"
    return (
        f"  {name:<34} {r['median']:>12{f}} {r['unit']:<11} ({r['min']:{f}} … {r['max']:{f}}){note}"
    )


def _target(r: dict[str, Any] | None, target: float) -> str:
    """A row's target, and how far its median is from it."""
    if r is None:
        return ""
    gap = "met" if r["median"] >= target else f"{target / r['median']:.2f}x short"
    return f"   target >= {target:,.0f}: {gap}"


def render(result: dict[str, Any], out: TextIO) -> None:
    """The table a user reads."""
    s, rows, ratios = result["stream"], result["rows"], result["ratios"]
    compiled = ", ".join(result["compiled"]) or "none (pure Python)"
    print(
        f"invsync bench: market maker on Binance Spot + USD-M BTCUSDT, {s['messages']:,} messages "
        f"({s['events']:,} events; duplicates and reorders), median of {s['repeats']} runs "
        f"(min … max)\n  Python {result['python']}; {s['clock']} clock; compiled modules: "
        f"{compiled}",
        file=out,
    )
    a_target, b_target = _TARGETS["parse_apply_msg_s"], _TARGETS["apply_ev_s"]
    print(
        _row("(a) parse+apply", rows["parse_apply"], _target(rows["parse_apply"], a_target)),
        file=out,
    )
    print(
        _row("(b) apply, events built before", rows["apply"], _target(rows["apply"], b_target)),
        file=out,
    )
    print(_row("(c) naive tracker, same fields", rows["naive"]), file=out)
    print(_row("    parse alone (a's first half)", rows["parse"]), file=out)
    print(_row(f"(d) python-statemachine, {s['machine_events']:,} ev", rows["machines"]), file=out)
    print(
        _row(
            "(e) resync, one complete snapshot",
            rows["resync"],
            f"  ({s['history_orders_at_resync']:,} orders in history)",
        ),
        file=out,
    )
    cost, most = ratios["cost_vs_naive"], _TARGETS["cost_vs_naive"]
    verdict = "met" if cost <= most else f"{cost / most:.2f}x over"
    print(
        f"  a/c  {ratios['parse_apply_over_naive']:.3f}  (invsync costs "
        f"{cost:.2f}x the naive tracker; target <= {most:g}x: {verdict})",
        file=out,
    )
    if ratios["apply_over_machines"] is not None:
        print(
            f"  b/d  {ratios['apply_over_machines']:.1f}  (apply is that many times the "
            "machine classes' event rate)",
            file=out,
        )
    mem = result["memory"]
    if mem:
        print(
            f"  memory (tracemalloc, parse+apply of {mem['events']:,} events): retained after "
            f"warm-up ({mem['warmup_events']:,} events) {mem['after_warmup_bytes'] / 1e6:.1f} MB, "
            f"at the end "
            f"{mem['end_bytes'] / 1e6:.1f} MB (x{mem['growth_after_warmup']:.2f}); peak "
            f"{mem['peak_traced_bytes'] / 1e6:.1f} MB traced, "
            f"{mem['max_rss_bytes'] / 1e6:.0f} MB process max RSS",
            file=out,
        )
        for p in mem["checkpoints"]:
            print(
                f"    after {p['events']:>11,} events: {p['retained_bytes'] / 1e6:8.2f} MB "
                f"({p['history_orders']:,} orders in history, {p['live_orders']} live)",
                file=out,
            )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``invsync bench``."""
    parser.add_argument(
        "--messages", type=int, default=1_000_000, help="messages in the stream (>= 1,000)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per row (>= 1)")
    parser.add_argument(
        "--quick", action="store_true", help="a short run: --messages 100000 --repeats 3"
    )
    parser.add_argument(
        "--machine-events",
        type=int,
        default=5_000,
        help="events driven through the python-statemachine classes per run (0 skips row d)",
    )
    parser.add_argument(
        "--memory-events",
        type=int,
        default=None,
        help="events of the memory pass (default: the stream's; 0 skips; 10000000 shows "
        "memory flat over 10^7 events)",
    )
    parser.add_argument("--seed", type=int, default=1, help="the stream's seed")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="time by this process's CPU time (default; fair on a loaded machine) or wall time",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, count the bytecodes per message of parse, apply and the "
        "naive tracker, by function (a sample of --profile-messages messages)",
    )
    parser.add_argument(
        "--profile-messages", type=int, default=3_000, help="messages --profile counts"
    )


def run(args: argparse.Namespace) -> int:
    """``invsync bench``."""
    from invsync.cli import UsageError

    if args.profile:
        if args.profile_messages < 1:
            raise UsageError(f"--profile-messages {args.profile_messages}: at least 1")
        _show(profile(args.profile_messages, args.seed), args.json, render_profile)
        return 0
    messages, repeats = args.messages, args.repeats
    if args.quick:
        messages, repeats = 100_000, 3
    if messages < 1_000:
        raise UsageError(f"--messages {messages}: at least 1000")
    if repeats < 1:
        raise UsageError(f"--repeats {repeats}: at least 1")
    if args.machine_events < 0 or (args.memory_events is not None and args.memory_events < 0):
        raise UsageError("--machine-events and --memory-events: 0 or more")
    result = measure(
        messages=messages,
        repeats=repeats,
        machine_events=args.machine_events,
        memory_events=args.memory_events,
        seed=args.seed,
        progress=None if args.json else sys.stderr,
        clock=args.clock,
    )
    _show(result, args.json, render)
    return 0


def _show(
    result: dict[str, Any], as_json: bool, table: Callable[[dict[str, Any], TextIO], None]
) -> None:
    """Print the figures: as JSON for machines, else as the table a user reads."""
    if as_json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        table(result, sys.stdout)
