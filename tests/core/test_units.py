"""The core's small building blocks, each pinned on its own with exact ``Decimal`` values.

The balance ledger (``AssetLedger``: reports, coverage, pending changes), the position book
and its ``step`` (entry prices, realized PnL, flips), the shared validators, the hot
events' checks and fast constructors, and the derivation of the machines' tables. Two
kinds of code run here at test time although the core runs them only at import:
``table.derive`` and the event classes' own checks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import attrs
import pytest
from statemachine import State, StateMachine

from core import InvalidEvent, values
from core import events as ev
from core.ledger import AssetLedger
from core.machines import account, fill, order
from core.machines.table import Branch, Table, derive
from core.position import PendingFill, PositionBook, step

D = Decimal


ZERO = D(0)


NO_GUARD: tuple[str, ...] = ()


def _b(target: str, cond: tuple[str, ...] = NO_GUARD, unless: tuple[str, ...] = NO_GUARD) -> Branch:
    return Branch(cond=cond, unless=unless, target=target)


# Kills order.OrderLifecycle.__init__ mutmut_3 (``**kwargs`` dropped).
class _OrderModel:
    """A model whose status lives in ``status`` (not the default ``state`` field)."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.has_fills = False
        self.complete = False
        self.acknowledged = True


# The optional validators below are not used by any core value type today; they are part
# of the shared validator set, so their contract is pinned on a probe class. Kills
# values.optional_decimal mutmut_1..7 and values.optional_non_negative mutmut_1..7.
@attrs.frozen
class _Probe:
    """A value type using the optional validators."""

    any_amount: Decimal | None = attrs.field(default=None, validator=values.optional_decimal)
    amount: Decimal | None = attrs.field(default=None, validator=values.optional_non_negative)


# Kills AssetLedger.__init__ mutmut_1, covers mutmut_1..5, add mutmut_6, remove mutmut_4/7,
# amend mutmut_5..7, report mutmut_18 and 35.
def _ledger() -> AssetLedger:
    """A USDT ledger reported at version 5 (total 10, free 8), including trade t1."""
    led = AssetLedger("USDT")
    assert led.report(D(10), D(8), 5, frozenset({"t1"})) == []
    return led


def _ids(fills: list[PendingFill] | None) -> list[tuple[object, int, str]]:
    """What identifies each pending fill: key, version, trade id."""
    assert fills is not None
    return [(f.key, f.version, f.trade_id) for f in fills]


# --- table.derive and table._guards, called at test time ------------------------------------
# Kills derive__mutmut_1..41 except 3, 4 and 6 (see MUTATION_units_notes.md) and
# _guards__mutmut_1..9: every field of the derived Table, the guard split into ``cond`` and
# ``unless``, the guard order (first seen) and the branch order (class order) are pinned.
def test_derive_fill_settlement_gives_exactly_its_table() -> None:
    """The fill machine: no guards, one final state, branches in declaration order."""
    table = derive(fill.FillSettlement)
    assert table == Table(
        machine="FillSettlement",
        states=("implied", "reported", "covered", "settled"),
        events=("message", "cover"),
        final=frozenset({"settled"}),
        initial="implied",
        guards=(),
        branches={
            ("implied", "message"): (_b("reported"),),
            ("implied", "cover"): (_b("covered"),),
            ("reported", "cover"): (_b("settled"),),
            ("covered", "message"): (_b("settled"),),
        },
    )
    assert table == fill.TABLE


def test_derive_account_sync_splits_cond_and_unless_guards() -> None:
    """The account machine: ``cond="unsettled"`` and ``unless="unsettled"`` land apart."""
    table = derive(account.AccountSync)
    settle_or_sync = (_b("settling", cond=("unsettled",)), _b("synced"))
    assert table == Table(
        machine="AccountSync",
        states=("unknown", "synced", "settling", "stale", "resyncing"),
        events=("snapshot", "unsettled_fill", "all_settled", "broken", "resync_requested"),
        final=frozenset(),
        initial="unknown",
        guards=("unsettled",),
        branches={
            ("unknown", "snapshot"): settle_or_sync,
            ("unknown", "resync_requested"): (_b("unknown"),),
            ("synced", "snapshot"): (_b("settling", cond=("unsettled",)),),
            ("synced", "unsettled_fill"): (_b("settling"),),
            ("synced", "broken"): (_b("stale"),),
            ("settling", "snapshot"): (_b("synced", unless=("unsettled",)),),
            ("settling", "all_settled"): (_b("synced", unless=("unsettled",)),),
            ("settling", "broken"): (_b("stale"),),
            ("stale", "snapshot"): settle_or_sync,
            ("stale", "resync_requested"): (_b("resyncing"),),
            ("resyncing", "snapshot"): settle_or_sync,
            ("resyncing", "broken"): (_b("stale"),),
        },
    )
    assert table == account.TABLE


def test_derive_order_lifecycle_matches_the_prebuilt_table_and_its_guards() -> None:
    """The order machine: guard names in first-seen order, mixed cond/unless branches."""
    table = derive(order.OrderLifecycle)
    # The table the core runs on (built at import), pinned by hand rather than by deriving
    # it a second time: a partial fill of a partially filled order moves only when complete.
    assert order.TABLE.branches[("partially_filled", "fill")] == (_b("filled", cond=("complete",)),)
    assert table.machine == "OrderLifecycle"
    assert table.states == (
        "pending_new",
        "open",
        "partially_filled",
        "pending_cancel",
        "unknown",
        "filled",
        "canceled",
        "rejected",
        "expired",
        "triggered",
    )
    assert table.events == (
        "accepted",
        "fill",
        "done",
        "cancel",
        "reject",
        "expire",
        "trigger",
        "cancel_requested",
        "cancel_failed",
        "timed_out",
        "vanished",
        "not_found",
    )
    assert table.final == {"filled", "canceled", "rejected", "expired", "triggered"}
    assert table.initial == "pending_new"
    assert table.guards == ("has_fills", "complete", "acknowledged")
    assert table.branches[("pending_cancel", "cancel_failed")] == (
        _b("unknown", unless=("acknowledged",)),
        _b("partially_filled", cond=("has_fills",)),
        _b("open"),
    )
    assert table.branches[("pending_new", "fill")] == (
        _b("filled", cond=("complete",)),
        _b("partially_filled"),
    )
    assert table.branches[("unknown", "not_found")] == (_b("rejected", unless=("has_fills",)),)
    # (state, event) pairs the class declares, counted event by event from the class body:
    # accepted 3, fill 5, done 5, cancel 5, reject 3, expire 5, trigger 4,
    # cancel_requested 4, cancel_failed 1, timed_out 2, vanished 4, not_found 3.
    assert len(table.branches) == 44
    assert all(k[0] not in table.final for k in table.branches)


def test_derive_skips_the_initial_transition_of_a_compound_state() -> None:
    """A compound state's implicit initial transition has no event and makes no branch."""

    class Nested(StateMachine):
        class outer(State.Compound):  # a state, named like one
            a = State(initial=True)
            b = State()
            go = a.to(b)

        done = State(final=True)
        leave = outer.to(done)

    table = derive(Nested)
    assert table.initial == "outer"
    assert table.states == ("outer", "done")
    assert table.branches == {("outer", "leave"): (_b("done"),)}


def test_order_lifecycle_honours_the_state_field_keyword() -> None:
    """``state_field`` reaches python-statemachine: the machine reads and writes ``status``."""
    model = _OrderModel("open")
    sm = order.OrderLifecycle(model=model, state_field="status")
    sm.send("cancel")
    assert model.status == "canceled"
    assert not hasattr(model, "state")


# --- events._twin, called at test time ------------------------------------------------------
# Kills _twin__mutmut_1..12: the twin is a slotless subclass with the plain __setattr__ and
# __delattr__, so fields can be stored on it and it can then become the real class.
def test_twin_is_a_slotless_subclass_with_plain_attribute_access() -> None:
    """A twin is built, filled field by field, and turned into an equal real event."""
    twin = ev._twin(ev.BalanceReported)
    assert twin.__name__ == "_BalanceReportedInit"
    assert twin.__bases__ == (ev.BalanceReported,)
    assert twin.__module__ == "core.events"
    assert twin.__dict__["__slots__"] == ()
    assert twin.__dict__["__setattr__"] is object.__setattr__
    assert twin.__dict__["__delattr__"] is object.__delattr__
    o = object.__new__(twin)
    o.asset = "BTC"  # the plain __setattr__: no FrozenInstanceError
    del o.asset  # the plain __delattr__
    o.asset, o.total, o.free, o.version, o.trade_ids = "BTC", D("1.5"), None, 3, None
    assert not hasattr(o, "__dict__")  # same layout as the slotted class
    object.__setattr__(o, "__class__", ev.BalanceReported)
    assert type(o) is ev.BalanceReported
    assert o == ev.BalanceReported("BTC", D("1.5"), None, 3)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        o.version = 4  # type: ignore[misc]


# --- hot events: values between 0 and 1 are valid ---------------------------------------
# Kills FillReported.__attrs_post_init__ mutmut_40, new_order_reported mutmut_36 and 44,
# new_fill_reported mutmut_40 (``> 0`` mutated to ``> 1``).
def test_fill_reported_accepts_a_price_below_one() -> None:
    """A fill at a price in (0, 1] is valid (many altcoins trade below 1)."""
    f = ev.FillReported("DOGEUSDT", "1", None, "t1", "buy", D("0.5"), D("0.5"), None, None, 1)
    assert (f.quantity, f.price) == (D("0.5"), D("0.5"))


def test_fast_constructors_accept_quantities_and_prices_below_one() -> None:
    """``new_order_reported`` and ``new_fill_reported`` take 0.5 like the constructors do."""
    o = ev.new_order_reported(
        "DOGEUSDT",
        "1",
        "c1",
        "buy",
        "new",
        D("0.5"),
        D("0.25"),
        D(0),
        None,
        1,
        None,
        "limit",
        False,
    )
    assert o == ev.OrderReported(
        "DOGEUSDT", "1", "c1", "buy", "new", D("0.5"), D("0.25"), D(0), None, 1
    )
    f = ev.new_fill_reported(
        "DOGEUSDT", "1", "c1", "t1", "sell", D("0.5"), D("0.25"), D(0), None, 1, None
    )
    assert f == ev.FillReported(
        "DOGEUSDT", "1", "c1", "t1", "sell", D("0.5"), D("0.25"), D(0), None, 1
    )


# --- shared validators name the class, the field and the value (P7) ----------------------
# Kills values.non_negative mutmut_1/2, values.side mutmut_3, events._order_type mutmut_2/3.
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ev.PositionReported("P", D(1), cast(Any, 1.5), 1),
            "PositionReported.entry_price: expected a finite Decimal, got 1.5",
        ),
        (
            lambda: ev.OrderSubmitted("c1", "X", "hold", D(1), D(1)),
            "OrderSubmitted.side: unknown side 'hold'",
        ),
        (
            lambda: ev.OrderSubmitted("c1", "X", "buy", D(1), D(1), order_type="stop"),
            "OrderSubmitted.order_type: unknown order type 'stop'",
        ),
    ],
)
def test_validator_errors_are_exact(build: Any, message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        build()
    assert str(err.value) == message


def test_optional_decimal_and_non_negative_take_none_and_valid_values() -> None:
    assert _Probe() == _Probe(None, None)
    assert _Probe(D("-1.5"), D(0)).any_amount == D("-1.5")
    assert _Probe(D(0), D("2.5")).amount == D("2.5")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"any_amount": 1.5}, "_Probe.any_amount: expected a finite Decimal, got 1.5"),
        (
            {"any_amount": D("NaN")},
            "_Probe.any_amount: expected a finite Decimal, got Decimal('NaN')",
        ),
        ({"amount": D("-0.1")}, "_Probe.amount: must be >= 0, got -0.1"),
        ({"amount": "1"}, "_Probe.amount: expected a finite Decimal, got '1'"),
    ],
)
def test_optional_validators_refuse_bad_values_by_name(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidEvent) as err:
        _Probe(**kwargs)
    assert str(err.value) == message


# ``events._status`` and the ``optional`` flag of ``events._bad_text`` have no caller in the
# core (OrderReported checks its status inline); their contract is pinned directly.
# Kills events._status mutmut_1..3 and events._bad_text mutmut_3/4.
def test_status_validator_accepts_reported_statuses_and_names_an_unknown_one() -> None:
    field = attrs.fields(ev.OrderReported).status
    probe = ev.CancelRequested("c1")
    for status in sorted(ev.REPORTED_STATUSES):
        ev._status(probe, field, status)
    with pytest.raises(InvalidEvent) as err:
        ev._status(probe, field, "open")
    assert str(err.value) == "CancelRequested.status: unknown status 'open'"


def test_bad_text_passes_none_only_where_optional() -> None:
    probe = ev.CancelRequested("c1")
    assert ev._bad_text(probe, "client_order_id", None, optional=True) is True
    with pytest.raises(InvalidEvent) as err:
        ev._bad_text(probe, "client_order_id", None)
    assert str(err.value) == "CancelRequested.client_order_id: expected a non-empty id, got None"
    with pytest.raises(InvalidEvent) as err:
        ev._bad_text(probe, "client_order_id", "", optional=True)
    assert str(err.value) == "CancelRequested.client_order_id: expected a non-empty id, got ''"


def test_ledger_keeps_its_asset_and_starts_empty() -> None:
    led = AssetLedger("USDT")
    assert led.asset == "USDT"
    assert led.expected() == (ZERO, ZERO)
    assert led.pending == {}


def test_ledger_covers_by_version_or_by_listed_trade_id() -> None:
    """``covers``: at or below the report's version, or a trade id the report lists."""
    led = _ledger()
    assert led.covers(5, None) is True
    assert led.covers(4, "t9") is True
    assert led.covers(6, None) is False
    assert led.covers(9, "t1") is True
    assert led.covers(9, "t2") is False


def test_ledger_skips_a_change_whose_trade_the_report_lists() -> None:
    """A later-versioned change of a trade the report already includes is never added."""
    led = _ledger()
    assert led.add("f1", 9, D(-3), D(-3), "t1", None) is False
    assert led.pending == {}
    assert led.add("f2", 9, D(-3), D(-3), "t2", None) is True
    assert led.expected() == (D(7), D(5))


def test_ledger_remove_returns_the_change_and_undoes_it() -> None:
    led = _ledger()
    owner = object()
    led.add("r", 6, D("1.5"), D("-0.5"), None, owner)
    assert led.expected() == (D("11.5"), D("7.5"))
    assert led.remove("r") == (6, D("1.5"), D("-0.5"), None, owner)
    assert led.expected() == (D(10), D(8))
    assert led.remove("r") is None  # removing what is not pending is a no-op


def test_ledger_amend_replaces_both_amounts_of_a_pending_change() -> None:
    led = _ledger()
    # The other pending change keeps the pending sums away from zero, so a new sum set to
    # the amended change's delta alone would show.
    led.add("keep", 6, D(1), D(2), None, None)
    led.add("fee", 7, D(2), D(-1), "t2", "o")
    assert led.expected() == (D(13), D(9))
    led.amend("fee", D(3), D("-2.5"))
    assert led.pending["fee"] == (7, D(3), D("-2.5"), "t2", "o")
    assert led.expected() == (D(14), D("7.5"))


def test_ledger_report_listing_ids_still_drops_changes_at_its_version() -> None:
    """With trade ids listed, a change at exactly the report's version is covered too."""
    led = AssetLedger("USDT")
    led.add("a", 5, D(1), D(1), "t9", None)
    led.add("b", 6, D(2), D(2), "t7", None)
    dropped = led.report(D(10), D(10), 5, frozenset({"t8"}))
    assert dropped == [(5, D(1), D(1), "t9", None)]
    assert list(led.pending) == ["b"]
    assert led.expected() == (D(12), D(12))


def test_ledger_report_keeps_exactly_the_changes_it_neither_dates_nor_lists() -> None:
    """Partial coverage: old by version, later by trade id; the rest stays pending."""
    led = AssetLedger("USDT")
    led.add("a", 3, D(1), D(1), "x", None)
    led.add("b", 9, D(2), D("0.5"), "y", None)
    led.add("c", 9, D(4), D("1.25"), "z", None)
    dropped = led.report(D(100), D(90), 5, frozenset({"y"}))
    assert dropped is not None
    assert sorted(ch[3] for ch in dropped if ch[3] is not None) == ["x", "y"]
    assert list(led.pending) == ["c"]
    assert led.expected() == (D(104), D("91.25"))


# --- position.step ---------------------------------------------------------------------------
# Kills step mutmut_56, 60, 61 (the sign of a short), 63 (entry in (0, 1]) and 64..67
# (closing against no entry price).
def test_step_closing_part_of_a_short_realizes_the_short_pnl() -> None:
    """Short 2 at 100, buy 1 at 90: realizes +10 and keeps the entry."""
    assert step(D(-2), D(100), D(1), D(90), False, D(1)) == (D(-1), D(100), D(10))
    # Inverse, cs 100: 1 * 100 * -1 * (1/100 - 1/80) = +0.25 BTC.
    assert step(D(-2), D(100), D(1), D(80), True, D(100)) == (D(-1), D(100), D("0.25"))


def test_step_closing_a_long_with_an_entry_below_one() -> None:
    """An entry price of 0.5 is a real entry: closing 1 at 0.75 realizes 0.25."""
    assert step(D(2), D("0.5"), D(-1), D("0.75"), False, D(1)) == (D(1), D("0.5"), D("0.25"))


def test_step_without_an_entry_price_moves_quantity_only() -> None:
    """A position rebuilt from a flat report has entry 0: no PnL, entry = price unless flat."""
    assert step(D(2), ZERO, D(-1), D(90), False, D(1)) == (D(1), D(90), ZERO)
    assert step(D(2), ZERO, D(-2), D(90), False, D(1)) == (ZERO, ZERO, ZERO)
    assert step(D(2), ZERO, D(-3), D(90), False, D(1)) == (D(-1), D(90), ZERO)


# --- PositionBook and PendingFill ---------------------------------------------------------
# Kills PendingFill.__init__ mutmut_6, PositionBook.__init__ mutmut_3, 4, 6, 8,
# add mutmut_4, 7, 13, 21 and report mutmut_1, 5, 10, 17.
def test_fresh_position_book_replays_fills_from_flat() -> None:
    """Before any report the book is flat at version -1: every fill counts from zero."""
    book = PositionBook(False, D(1))
    assert book.add("k0", 0, D(1), D(100), "t0") is True
    assert book.replay() == (D(1), D(100), {"k0": ZERO})
    assert _ids(book.report(D(1), D(100), 0, None)) == [("k0", 0, "t0")]


def test_position_book_add_refuses_duplicates_and_listed_trades() -> None:
    book = PositionBook(False, D(1))
    assert book.report(D(0), D(0), 5, frozenset({"t1"})) == []
    assert book.add("k1", 9, D(1), D(100), "t1") is False  # listed by the report
    assert book.add("k2", 9, D(1), D(100), "t2") is True
    assert book.add("k2", 10, D(1), D(100), "t2") is False  # already pending
    assert list(book.pending) == ["k2"]


def test_position_book_orders_version_ties_by_trade_id() -> None:
    """Fills at the same version replay in trade-id order, whatever their arrival order."""
    book = PositionBook(False, D(1))
    book.add("k2", 5, D(-1), D(120), "t2")
    book.add("k1", 5, D(2), D(100), "t1")
    assert [f.trade_id for f in book.ordered()] == ["t1", "t2"]
    # Buy 2 at 100, then sell 1 at 120: long 1 at 100, +20 on the sale.
    assert book.replay() == (D(1), D(100), {"k1": ZERO, "k2": D(20)})
    assert PendingFill("k", 1, D(1), D(2), "t9", None).trade_id == "t9"


def test_position_report_at_the_same_version_replaces_and_flat_clears_the_entry() -> None:
    book = PositionBook(False, D(1))
    assert book.report(D(1), D(100), 5, None) == []
    assert book.report(D(2), D(110), 5, None) == []
    assert (book.quantity, book.entry, book.version) == (D(2), D(110), 5)
    assert book.report(D(0), D(110), 6, None) == []
    assert (book.quantity, book.entry) == (ZERO, ZERO)
    assert book.report(D(3), D(1), 4, None) is None  # older: ignored
    assert (book.quantity, book.version) == (ZERO, 6)


def test_position_report_drops_fills_it_dates_or_lists_and_keeps_the_rest() -> None:
    book = PositionBook(False, D(1))
    book.add("old", 3, D(1), D(100), "t3")
    book.add("listed", 9, D(1), D(100), "t9")
    book.add("later", 9, D(1), D(100), "t10")
    dropped = book.report(D(2), D(100), 5, frozenset({"t9"}))
    assert _ids(dropped) == [("old", 3, "t3"), ("listed", 9, "t9")]
    assert list(book.pending) == ["later"]
    assert book.trade_ids == frozenset({"t9"})
    assert book.covers(12, "t9") is True
    assert book.covers(12, "t10") is False
