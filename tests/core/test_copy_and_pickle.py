"""Copy and pickle of an Inventory mid-stream, and a snapshot rolled back when it fails half-way.

The Inventory's state (ledgers, orders, fills, amend chains, position books) copies and
pickles by the explicit state each class saves, so that a compiled (mypyc) build, whose
native classes have no default copy, behaves like the pure one; both builds run these.
Each copy must read as the original did when copied, stay untouched while the original
goes on, and then go through the same events to the same observations step by step.
A snapshot deep-copies the state before applying and puts it back if a part is invalid;
the copy shares the retired orders no part can change, so those tests compare every byte
of the pickled state, with a retired order reached by each path a part can take.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from core.inventory import state as inventory_state
from tests.core.builders import (
    BTCUSDT,
    ETHBTC,
    D,
    bal,
    fill,
    fingerprint,
    perp,
    report,
    spot,
)

Copier = Callable[[Inventory], Inventory]
COPIERS: dict[str, Copier] = {
    "pickle": lambda inv: pickle.loads(pickle.dumps(inv)),
    "pickle protocol 2": lambda inv: pickle.loads(pickle.dumps(inv, protocol=2)),
    "deepcopy": copy.deepcopy,
}


def _sell(tid: str, qty: str, price: str, v: int) -> ev.FillReported:
    return fill(tid, qty, price, v, cid="c2", oid="2", side="sell")


def _spot_mid_stream() -> tuple[Inventory, list[ev.Event]]:
    """A spot account with an amend in flight and unsettled fills; and the events after."""
    inv = spot("10000", "1", version=1)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.submit("c2", "BTCUSDT", "sell", D("0.5"), D(120))
    inv.apply(report("new", "0", 3, cid="c2", oid="2", side="sell", qty="0.5", price="120"))
    inv.apply(fill("t1", "0.4", "100", 4))
    inv.apply(report("partially_filled", "0.4", 4))
    free = inv.balance("USDT").free
    inv.amend("c1", quantity=D(2))
    # The amend in flight reserves what the venue may already hold for the larger size.
    assert inv.balance("USDT").free < free
    inv.apply(_sell("t2", "0.2", "120", 5))
    assert inv.stats()["unsettled_fills"] == 2
    rest: list[ev.Event] = [
        report("partially_filled", "0.4", 6, qty="2"),  # the venue took the amend
        fill("t3", "0.6", "100", 7),
        fill("t1", "0.4", "100", 4),  # a duplicate
        report("partially_filled", "1.0", 7, qty="2"),
        # 10000 - 40 + 24 - 60 USDT, 100 of it reserved; 1.8 BTC, 0.3 reserved.
        bal("USDT", "9924", "9824", 8),
        bal("BTC", "1.8", "1.5", 8),
        _sell("t4", "0.3", "120", 9),
        report("filled", "0.5", 9, cid="c2", oid="2", side="sell", qty="0.5", price="120"),
        ev.CancelRequested(client_order_id="c1"),
        report("canceled", "1.0", 10, qty="2"),
        bal("USDT", "9960", "9960", 11),
        bal("BTC", "1.5", "1.5", 11),
    ]
    return inv, rest


def _perp(tid: str, side: str, qty: str, price: str, v: int, oid: str) -> ev.FillReported:
    return fill(tid, qty, price, v, side=side, oid=oid, cid=None, kind="linear", fee="0.1")


def _position(qty: str, entry: str, v: int) -> ev.PositionReported:
    return ev.PositionReported("BTCUSDT", D(qty), D(entry), v, "linear")


def _derivative_mid_stream() -> tuple[Inventory, list[ev.Event]]:
    """A linear perpetual with fills its position report does not cover yet; the events after."""
    inv = perp()
    inv.apply(_perp("t1", "buy", "2", "100", 2, "1"))
    inv.apply(_position("2", "100", 2))
    inv.apply(_perp("t2", "buy", "2", "110", 3, "2"))
    inv.apply(_perp("t3", "sell", "1", "120", 4, "3"))
    assert inv.stats()["pending_position_fills"] == 2
    rest: list[ev.Event] = [
        _perp("t2", "buy", "2", "110", 3, "2"),  # a duplicate
        _position("4", "105", 3),
        _perp("t4", "sell", "5", "90", 5, "4"),
        _position("3", "105", 4),
        _position("-2", "90", 6),
        bal("USDT", "953.6", "953.6", 6),
        _perp("t5", "buy", "2", "95", 7, "5"),
    ]
    return inv, rest


SCENARIOS: dict[str, Callable[[], tuple[Inventory, list[ev.Event]]]] = {
    "spot with an amend in flight and unsettled fills": _spot_mid_stream,
    "perpetual with pending position fills": _derivative_mid_stream,
}


def _observe(inv: Inventory) -> Any:
    return fingerprint(inv, keys=("c1", "c2", "1", "2", "3", "4", "5"))


def _run(inv: Inventory, events: Sequence[ev.Event]) -> list[Any]:
    seen = []
    for e in events:
        inv.apply(e)
        seen.append(_observe(inv))
    return seen


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("how", COPIERS)
def test_a_copy_reads_and_continues_like_the_original(scenario: str, how: str) -> None:
    inv, rest = SCENARIOS[scenario]()
    at_copy = _observe(inv)
    twin = COPIERS[how](inv)
    assert type(twin) is Inventory
    assert _observe(twin) == at_copy
    after = _run(inv, rest)
    # Nothing the original went through reached the copy.
    assert _observe(twin) == at_copy
    assert _run(twin, rest) == after
    # The stream really moved the account on (the comparison is not between still states).
    assert after[-1] != at_copy


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_copy_of_a_copy_continues_like_the_original(scenario: str) -> None:
    inv, rest = SCENARIOS[scenario]()
    twin = pickle.loads(pickle.dumps(copy.deepcopy(inv)))
    assert _run(twin, rest) == _run(inv, rest)


def _bad_order(v: int) -> ev.OrderReported:
    """An open order of an instrument the Inventory does not track: invalid in a snapshot."""
    return report("new", "0", v, cid=None, oid="77", symbol="XRPUSDT")


def test_a_spot_snapshot_invalid_half_way_leaves_the_state_unchanged() -> None:
    inv, rest = _spot_mid_stream()
    untouched = copy.deepcopy(inv)
    before = _observe(inv)
    bad = ev.SnapshotTaken(
        version=20,
        # Applied before the invalid order: each would change the state if kept.
        balances=(bal("USDT", "5000", "5000", 20), bal("ETH", "3", "3", 20)),
        balances_complete=True,
        open_orders=(report("new", "0.4", 20, qty="2"), _bad_order(20)),
        orders_complete=True,
    )
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    assert _observe(inv) == before
    assert _run(inv, rest) == _run(untouched, rest)


def test_a_derivative_snapshot_invalid_half_way_leaves_the_state_unchanged() -> None:
    inv, rest = _derivative_mid_stream()
    untouched = copy.deepcopy(inv)
    before = _observe(inv)
    bad = ev.SnapshotTaken(
        version=20,
        balances=(bal("USDT", "5000", "5000", 20),),
        positions=(_position("7", "80", 20),),
        positions_complete=True,
        open_orders=(_bad_order(20),),
    )
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    assert _observe(inv) == before
    assert _run(inv, rest) == _run(untouched, rest)


def test_the_same_snapshot_without_its_invalid_part_is_applied() -> None:
    # The control for the two above: their valid parts do change the state when kept.
    inv, _ = _spot_mid_stream()
    before = _observe(inv)
    inv.apply(ev.SnapshotTaken(version=20, balances=(bal("USDT", "5000", "5000", 20),)))
    assert _observe(inv) != before
    assert inv.balance("USDT").total == D(5000)


def test_an_inventory_of_two_spot_instruments_copies_its_instruments() -> None:
    inv = Inventory([BTCUSDT, ETHBTC])
    for how, copier in COPIERS.items():
        assert copier(inv).instruments == (BTCUSDT, ETHBTC), how


def _natives() -> list[object]:
    """One of each class the Inventory's state is made of that copies by explicit state."""
    from core.inventory.amends import _Amend
    from core.inventory.state import State, _blank_fill, _Order
    from core.ledger import AssetLedger
    from core.position import PendingFill, PositionBook

    order = _Order(0, 0, BTCUSDT, "buy")
    return [
        AssetLedger("BTC"),
        PositionBook(False, D(1)),
        PendingFill(None, 0, D(1), D(1), "t", None),
        _Amend([(D(1), D(1), None)]),
        State((), 10),
        order,
        _blank_fill(),
    ]


#: Fields __reduce__ builds the blank object from (a chain's states, the history size).
_REBUILT_FROM = frozenset({"states", "history"})
#: A compiled build's modules are extension modules, not .py files.
_COMPILED = not (inventory_state.__file__ or "").endswith(".py")


@pytest.mark.skipif(
    _COMPILED, reason="sets every slot to a marker of any type: the pure build's classes only"
)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_every_field_of_the_state_classes_is_copied(how: str) -> None:
    # A field added to a class and not to what its __reduce__ saves would be lost on copy.
    for obj in _natives():
        names = type(obj).__dict__["__slots__"]
        assert names, type(obj)
        # What a blank object is built from keeps a value of its type (checked all the same).
        marks = {n: getattr(obj, n) if n in _REBUILT_FROM else f"{n} marker" for n in names}
        for name, mark in marks.items():
            setattr(obj, name, mark)
        twin = copy.deepcopy(obj) if how == "deepcopy" else pickle.loads(pickle.dumps(obj))
        for name, mark in marks.items():
            assert getattr(twin, name) == mark, (type(obj).__name__, name)


def test_a_saved_state_of_another_shape_is_refused_not_spread_over_the_wrong_fields() -> None:
    # A pickle made by a version with one field more or fewer must fail loudly: zipped
    # loosely, its values would land in the wrong slots or leave some unset.
    for obj in _natives():
        native: Any = obj
        state = native.__reduce__()[2]
        assert isinstance(state, tuple) and state, type(obj)
        for wrong in (state[:-1], (*state, None)):
            # ValueError from the pure build's unpacking; TypeError from a compiled
            # build's typed state.
            with pytest.raises((ValueError, TypeError)):
                native.__setstate__(wrong)


def _long_history() -> tuple[Inventory, ev.SnapshotTaken]:
    """A spot account after 60 orders ended and were retired (each buy kept its fee-less
    fill, waiting for the full copy), and a snapshot naming some of them: their late
    reports and the full copies of their fills, which change a retired order if kept."""
    inv = spot("100000", "0", version=1)
    v = 1
    for i in range(60):
        oid = str(100 + i)
        cid = f"h{i}"
        inv.submit(cid, "BTCUSDT", "buy", D(1), D(100))
        inv.apply(report("new", "0", v + 1, cid=cid, oid=oid))
        inv.apply(fill(f"t{i}", "1", "100", v + 2, cid=cid, oid=oid, fee=None, fee_asset=None))
        inv.apply(report("filled", "1", v + 2, cid=cid, oid=oid))
        inv.apply(bal("USDT", str(100000 - 100 * (i + 1)), str(100000 - 100 * (i + 1)), v + 3))
        inv.apply(bal("BTC", str(i + 1), str(i + 1), v + 3))
        v += 3
    assert inv.stats()["retired_orders"] == 60
    named = range(10, 60, 10)
    snapshot = ev.SnapshotTaken(
        version=v + 1,
        balances=(bal("USDT", "94000", "94000", v + 1), bal("BTC", "60", "60", v + 1)),
        balances_complete=True,
        open_orders=tuple(
            report("filled", "1", v + 1, cid=f"h{i}", oid=str(100 + i)) for i in named
        ),
        trades=tuple(
            fill(
                f"t{i}",
                "1",
                "100",
                3 * i + 4,
                cid=f"h{i}",
                oid=str(100 + i),
                fee="0.001",
                fee_asset="BTC",
            )
            for i in named
        ),
        orders_complete=True,
    )
    return inv, snapshot


def test_a_snapshot_failing_after_a_long_history_leaves_every_byte_of_the_state() -> None:
    # The rollback copy shares the retired orders no part of the snapshot reaches; the
    # ones it names (late fill copies merging a fee) must come back as they were.
    inv, good = _long_history()
    before = pickle.dumps(inv)
    bad = ev.SnapshotTaken(
        version=good.version,
        balances=good.balances,
        balances_complete=True,
        open_orders=good.open_orders,
        trades=(*good.trades, fill("tx", "1", "100", good.version, oid="77", symbol="XRPUSDT")),
        orders_complete=True,
    )
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    assert pickle.dumps(inv) == before
    # The control: kept, the same parts do change retired orders (each merges its fee).
    inv.apply(good)
    assert pickle.dumps(inv) != before
    assert inv.stats()["retired_orders"] == 60


def _partial(
    version: int,
    trades: tuple[ev.FillReported, ...] = (),
    balances: tuple[ev.BalanceReported, ...] = (),
) -> ev.SnapshotTaken:
    """A snapshot of no complete part: it says nothing of what it does not list."""
    return ev.SnapshotTaken(
        version=version,
        balances=balances,
        trades=trades,
        balances_complete=False,
        positions_complete=False,
        orders_complete=False,
    )


def test_a_failed_snapshot_puts_back_the_very_retired_orders_out_of_its_reach() -> None:
    # The rollback shares them instead of copying them (a resync with a full history would
    # copy thousands): the retired orders the snapshot does not name stay the same objects,
    # the ones it names come back as copies of what they were.
    inv, good = _long_history()
    retired = list(inv._st.retired)
    bad = ev.SnapshotTaken(
        version=good.version,
        balances=good.balances,
        trades=(*good.trades, _bad_fill(good.version)),
    )
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    named = {t.order_id for t in good.trades}
    after = list(inv._st.retired)
    assert [a is b for a, b in zip(retired, after, strict=True)] == [
        o.order_id not in named for o in retired
    ]


def _retired_sell() -> tuple[Inventory, ev.FillReported]:
    """Order A sold 1 @100 at v3 and is retired (its report says filled, the position
    report at v3 covers its fill); the wallet is still at v1, so its PnL is still computed.
    The position report shows 0 after it, so a fill before it is missing: A is priced as
    closing nothing (PnL 0). Also returned: that missing fill (B bought 1 @90 at v2), with
    which A closes a long at 90, PnL 10, booked on behalf of the retired order."""
    inv = perp()
    inv.apply(fill("tA", "1", "100", 3, side="sell", oid="A", cid=None, kind="linear"))
    inv.apply(report("filled", "1", 3, cid=None, oid="A", side="sell", kind="linear"))
    inv.apply(_position("0", "0", 3))
    assert inv.stats()["retired_orders"] == 1
    assert inv.balance("USDT").total == D(1000)
    return inv, fill("tB", "1", "90", 2, oid="B", cid=None, kind="linear")


def test_a_failed_snapshot_undoes_the_repricing_of_a_retired_orders_fill() -> None:
    inv, trade = _retired_sell()
    before = pickle.dumps(inv)
    bad = _partial(4, trades=(trade, _bad_fill(4)))
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    assert pickle.dumps(inv) == before
    # The control: kept, the trade reprices A.
    inv.apply(_partial(4, trades=(trade,)))
    assert inv.balance("USDT").total == D(1010)


def test_a_failed_snapshot_undoes_the_cover_of_a_retired_orders_pending_pnl() -> None:
    # A's PnL (10) is pending in the wallet; 70 newer position reports push its fill out of
    # the position book's kept history, so only its pending change still ties A to now.
    inv, trade = _retired_sell()
    inv.apply(_partial(4, trades=(trade,)))
    for v in range(5, 75):
        inv.apply(_position("0", "0", v))
    before = pickle.dumps(inv)
    wallet = (bal("USDT", "1010", "1010", 80),)
    bad = _partial(80, trades=(_bad_fill(80),), balances=wallet)
    with pytest.raises(InvalidEvent, match="XRPUSDT"):
        inv.apply(bad)
    assert pickle.dumps(inv) == before
    # The control: kept, the wallet report covers A's PnL (A has nothing pending after).
    inv.apply(_partial(80, balances=wallet))
    assert pickle.dumps(inv) != before
    assert inv.balance("USDT").total == D(1010)


def _bad_fill(v: int) -> ev.FillReported:
    """A trade of an instrument the Inventory does not track: invalid in a snapshot."""
    return fill("tx", "1", "100", v, oid="77", symbol="XRPUSDT")
