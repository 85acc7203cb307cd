"""Amends: the bot's amend chains and the venue's amend timeline, and what they reserve.

What an amend in flight reserves (buys and sells, partly filled orders, two orders at
once), its refusal (by quantity and price asked, or the newest), a report answering a
chain only when it proves the venue walked it, the rise held back for chain states no
report showed, how each amend seen only in a later report is split and dated (release at
its window's start, increase at its end), fills arriving in between, orders ending while
a chain is in flight, and runs of equal reports. Values are computed by hand through the
public surface.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from core.views import Balance, Exposure
from tests.core.builders import BTCUSDT, ETHBTC, bal, fill, report, spot
from tests.core.test_amend_chains import _buy
from tests.core.test_amend_chains import _free as _usdt_free

D = Decimal


def _free(inv: Inventory, asset: str = "USDT") -> tuple[Decimal, Decimal]:
    b = inv.balance(asset)
    return b.total, b.free


def _open_buy(usdt: str = "10000", qty: str = "1", price: str = "100") -> Inventory:
    """A buy ``qty`` @ ``price`` accepted at v2 (its reserve pending at v2)."""
    inv = spot(usdt)
    inv.submit("c1", "BTCUSDT", "buy", D(qty), D(price))
    inv.apply(report("new", "0", 2, qty=qty, price=price))
    return inv


def _conditional_report(version: int, **kw: object) -> ev.OrderReported:
    args: dict[str, object] = {
        "symbol": "BTCUSDT",
        "order_id": "1",
        "client_order_id": "c1",
        "side": "buy",
        "status": "new",
        "quantity": D(1),
        "price": D(100),
        "filled_quantity": D(0),
        "average_price": None,
        "version": version,
        "order_type": "limit",
        "conditional": True,
    }
    args.update(kw)
    return ev.OrderReported(**args)  # type: ignore[arg-type]


def _triggered_at_v4() -> Inventory:
    """A stop-limit buy 1 @ 100 (conditional, accepted at v2), triggered under its own id:
    the first live report heard is v4's, so it reserves from v4."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    inv.apply(_conditional_report(2))
    assert _free(inv) == (D(10000), D(10000))
    inv.apply(report("new", "0", 4))
    assert _free(inv) == (D(10000), D(9900))
    view = inv.order("c1")
    assert view is not None
    assert view.conditional is False
    return inv


def _typed(
    version: int, order_type: str, *, conditional: bool = False, status: str = "new"
) -> ev.OrderReported:
    """A report of buy c1/1, 1 @ 100, with the given order type."""
    return ev.OrderReported(
        symbol="BTCUSDT",
        order_id="1",
        client_order_id="c1",
        side="buy",
        status=status,
        quantity=D(1),
        price=D(100),
        filled_quantity=D("0.5") if status == "partially_filled" else D(0),
        average_price=None,
        version=version,
        order_type=order_type,
        conditional=conditional,
    )


def _counts(inv: Inventory) -> tuple[int, int, int]:
    s = inv.stats()
    return s["live_orders"], s["retired_orders"], s["pending_changes"]


def _pending(inv: Inventory) -> int:
    return inv.stats()["pending_changes"]


def _usdt(inv: Inventory) -> tuple[str, str, str]:
    """USDT (total, free, locked) as strings: the exponent counts too."""
    b = inv.balance("USDT")
    return str(b.total), str(b.free), str(b.locked)


def _chain(inv: Inventory, *quantities: str) -> None:
    """Buy c1 1 @ 100 live at v1, then the bot's amends to each quantity in turn."""
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    for q in quantities:
        inv.amend("c1", quantity=D(q))


# --- refusals by name -------------------------------------------------------------------
def test_amend_and_its_failure_name_an_unknown_client_id() -> None:
    inv = spot("10000")
    with pytest.raises(InvalidEvent) as err:
        inv.amend("nope", price=D(1))
    assert str(err.value) == "amend nope: unknown order"
    with pytest.raises(InvalidEvent) as err:
        inv.apply(ev.AmendFailed("nope", "no such order"))
    assert str(err.value) == "amend failed nope: unknown order"


def test_amend_of_an_order_known_only_by_a_fill_is_refused() -> None:
    """A fill naming c9 creates the order, but its quantity is not known yet."""
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2, cid="c9", oid="9"))
    with pytest.raises(InvalidEvent) as err:
        inv.amend("c9", price=D(101))
    assert str(err.value) == "amend c9: the order's quantity is not known yet"


# --- the bot's own amends: what is reserved while the venue has not answered ------------
def test_size_raise_confirmed_by_a_report_is_reserved_once() -> None:
    """Amend 1 -> 2 (price kept at 100): the venue's report takes over the in-flight part."""
    inv = _open_buy()
    inv.amend("c1", quantity=D(2))
    assert _free(inv) == (D(10000), D(9800))  # 100 reserved + 100 in flight
    inv.apply(report("new", "0", 3, qty="2"))  # the venue took (2, 100): the intent is done
    assert _free(inv) == (D(10000), D(9800))
    inv.apply(bal("USDT", "10000", "9800", 3))
    assert _free(inv) == (D(10000), D(9800))
    inv.apply(report("canceled", "0", 4, qty="2"))
    assert _free(inv) == (D(10000), D(10000))


def test_amend_to_the_current_values_is_no_amend() -> None:
    """An amend to (1, 100) of a (1, 100) order leaves nothing in flight: when the venue
    then cuts the size to 0.5 on its own, only 0.5 may still fill."""
    inv = _open_buy()
    inv.amend("c1", quantity=D(1))
    assert _free(inv) == (D(10000), D(9900))
    inv.apply(report("new", "0", 3, qty="0.5"))
    exp = inv.exposure("BTC")
    assert (exp.low, exp.expected, exp.high) == (D(0), D(0), D("0.5"))
    assert inv.exposure("USDT").low == D(10000) - D(50)  # 0.5 @ 100


def test_two_orders_amending_at_once_each_reserve_their_extra() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.submit("c2", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 2, cid="c2", oid="2"))
    inv.amend("c1", price=D(103))
    inv.amend("c2", price=D(104))
    assert _free(inv) == (D(10000), D(10000 - 200 - 3 - 4))
    inv.apply(ev.AmendFailed("c1", "rejected"))
    assert _free(inv) == (D(10000), D(10000 - 200 - 4))
    inv.apply(ev.AmendFailed("c2", "rejected"))
    assert _free(inv) == (D(10000), D(9800))


def test_refused_amend_leaves_the_order_retirable() -> None:
    """The in-flight change is counted while pending and uncounted once refused: after the
    cancel is covered by a balance report, nothing of the order is pending and it retires."""
    inv = _open_buy()
    inv.apply(bal("USDT", "10000", "9900", 2))  # covers the acceptance
    assert inv.stats()["pending_changes"] == 0
    inv.amend("c1", price=D(103))
    assert inv.stats()["pending_changes"] == 1
    inv.apply(ev.AmendFailed("c1", "rejected"))
    assert inv.stats()["pending_changes"] == 0
    assert _free(inv) == (D(10000), D(9900))
    inv.apply(report("canceled", "0", 3))
    assert (inv.stats()["retired_orders"], inv.stats()["pending_changes"]) == (0, 1)
    assert _free(inv) == (D(10000), D(10000))
    inv.apply(bal("USDT", "10000", "10000", 3))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["live_orders"], stats["pending_changes"]) == (1, 0, 0)


def test_sell_amend_reserves_base_not_quote() -> None:
    """A sell reserves its base quantity: a price change adds nothing, a size raise adds
    the extra quantity (in BTC, whatever the price)."""
    inv = spot("0", btc="3")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.apply(report("new", "0", 2, side="sell"))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(2), locked=D(1))
    inv.amend("c1", price=D(105))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(2), locked=D(1))
    inv.amend("c1", quantity=D(2), price=D(105))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(1), locked=D(2))
    assert inv.exposure("BTC").low == D(1)  # 3 - 2: the larger size may sell unheard
    inv.apply(ev.AmendFailed("c1", "rejected"))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(2), locked=D(1))


def test_amend_of_a_partly_filled_order_reserves_for_what_is_left() -> None:
    """1 @ 100, 0.5 filled: a raise to 103 adds 0.5 * 3 = 1.5 (not 1.5 * 103 - 50)."""
    inv = _open_buy()
    inv.apply(fill("T1", "0.5", "100", 3))
    assert _free(inv) == (D(9950), D(9900))
    inv.amend("c1", price=D(103))
    assert _free(inv) == (D(9950), D("9898.5"))
    inv.apply(ev.AmendFailed("c1", "rejected"))
    assert _free(inv) == (D(9950), D(9900))


def test_amend_in_flight_reserves_only_a_positive_extra() -> None:
    """(1, 100) -> (1, 90) asks no more, whatever filled unheard: nothing is added.
    (1, 100) -> (2, 50) asks no more if nothing filled (2 * 50 = 100), but a unit filled
    unheard just before it leaves 0 reserved before and 50 after: 50 is held back. A second
    amend to 100.5 builds on the first (2 @ 100.5 = 201): 101 more than the least on the way."""
    inv = _open_buy()
    assert inv.stats()["pending_changes"] == 1  # the acceptance
    inv.amend("c1", price=D(90))
    assert inv.stats()["pending_changes"] == 1
    assert _free(inv) == (D(10000), D(9900))
    inv = _open_buy()
    inv.amend("c1", quantity=D(2), price=D(50))
    assert inv.stats()["pending_changes"] == 2
    assert _free(inv) == (D(10000), D(9850))
    inv.amend("c1", price=D("100.5"))
    assert inv.stats()["pending_changes"] == 2
    assert _free(inv) == (D(10000), D(9799))


# --- market orders and their price ------------------------------------------------------
def test_market_buy_with_a_price_reserves_nothing() -> None:
    """A market buy locks nothing, even when a (protection) price is sent with it."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), order_type="market")
    assert _free(inv) == (D(10000), D(10000))
    inv.apply(report("new", "0", 2))
    assert _free(inv) == (D(10000), D(10000))


def test_earlier_live_report_re_dates_the_reserve_of_a_triggered_order() -> None:
    inv = _triggered_at_v4()
    inv.apply(report("new", "0", 3))  # it was live at v3 already
    assert _free(inv) == (D(10000), D(9900))
    inv.apply(bal("USDT", "10000", "9900", 3))  # includes the reserve (dated v3 now)
    assert _free(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(report("new", "0", 5, price="97"))  # then amended down: 3 released at v5
    assert _free(inv) == (D(10000), D(9903))
    view = inv.order("c1")
    assert view is not None
    assert (view.price, view.status) == (D(97), "open")


def test_earlier_live_report_at_another_price_dates_an_amend_after_the_trigger() -> None:
    """Live at 98 at v3, at 100 at v4: reserve 98 from v3, +2 at v4."""
    inv = _triggered_at_v4()
    inv.apply(report("new", "0", 3, price="98"))
    assert _free(inv) == (D(10000), D(9900))
    view = inv.order("c1")
    assert view is not None
    assert view.price == D(100)
    inv.apply(bal("USDT", "10000", "9902", 3))
    assert _free(inv) == (D(10000), D(9900))


def test_earlier_live_report_at_another_size_dates_an_amend_after_the_trigger() -> None:
    """Live for 2 at v3, for 1 at v4: reserve 200 from v3, 100 released at v4."""
    inv = _triggered_at_v4()
    inv.apply(report("new", "0", 3, qty="2"))
    assert _free(inv) == (D(10000), D(9900))
    view = inv.order("c1")
    assert view is not None
    assert view.quantity == D(1)
    inv.apply(bal("USDT", "10000", "9800", 3))
    assert _free(inv) == (D(10000), D(9900))


def test_market_stop_triggered_with_a_price_reserves_nothing() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), None, conditional=True)
    inv.apply(_conditional_report(4, order_type="market", conditional=False))  # price 100
    assert _free(inv) == (D(10000), D(10000))
    view = inv.order("c1")
    assert view is not None
    assert (view.conditional, view.price, view.status) == (False, D(100), "open")


# --- the reports' runs: splitting and dating each amend ---------------------------------
def test_report_rejecting_an_order_at_other_values_releases_everything() -> None:
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("rejected", "0", 2, price="98"))
    assert _free(inv) == (D(10000), D(10000))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


def test_sell_size_cut_release_is_pending_after_a_report_of_the_acceptance() -> None:
    """Sell 2 (v2), cut to 1.5 (v4); a balance report at v2 covers the acceptance only:
    the 0.5 released at v3 (the window's start) is still to add."""
    inv = spot("0", btc="2")
    inv.submit("c1", "BTCUSDT", "sell", D(2), D(100))
    inv.apply(report("new", "0", 2, side="sell", qty="2"))
    inv.apply(bal("BTC", "2", "0", 2))
    inv.apply(report("new", "0", 4, side="sell", qty="1.5"))
    assert inv.balance("BTC") == Balance(total=D(2), free=D("0.5"), locked=D("1.5"))
    assert inv.stats()["pending_changes"] == 1


def test_sell_amend_below_one_is_sized_in_base() -> None:
    """ETHBTC sell 2 @ 0.05 (v2), amended to 1.5 @ 0.04 (v4): a sell's unit is one ETH
    whatever its price; a balance report at v3 (inside the window) may hold the release."""
    inv = Inventory([BTCUSDT, ETHBTC])
    inv.apply(
        ev.SnapshotTaken(version=1, balances=(bal("ETH", "2", "2", 1), bal("BTC", "0", "0", 1)))
    )
    inv.submit("c1", "ETHBTC", "sell", D(2), D("0.05"))
    inv.apply(report("new", "0", 2, side="sell", qty="2", price="0.05", symbol="ETHBTC"))
    inv.apply(report("new", "0", 4, side="sell", qty="1.5", price="0.04", symbol="ETHBTC"))
    assert _free(inv, "ETH") == (D(2), D("0.5"))
    inv.apply(bal("ETH", "2", "0", 3))  # taken as holding the release: reads low, not high
    assert _free(inv, "ETH") == (D(2), D(0))
    inv.apply(bal("ETH", "2", "0.5", 4))
    assert _free(inv, "ETH") == (D(2), D("0.5"))


def test_amend_of_a_market_buy_with_a_price_reserves_nothing() -> None:
    """A market buy sent with a price, its size cut by the venue: still nothing locked."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), order_type="market")
    inv.apply(_conditional_report(2, order_type="market", conditional=False))
    inv.apply(_conditional_report(3, order_type="market", conditional=False, quantity=D("0.5")))
    assert _free(inv) == (D(10000), D(10000))
    view = inv.order("c1")
    assert view is not None
    assert (view.quantity, view.price) == (D("0.5"), D(100))


def test_bot_amend_after_a_venue_amend_counts_from_the_venue_price() -> None:
    """Venue moved the buy to 98 (v3); the bot then asks 101: 1 * (101 - 98) = 3 extra."""
    inv = _open_buy()
    inv.apply(report("new", "0", 3, price="98"))
    assert _free(inv) == (D(10000), D(9902))
    inv.amend("c1", price=D(101))
    assert _free(inv) == (D(10000), D(9899))


def test_bot_sell_size_raise_after_a_venue_price_amend_adds_base() -> None:
    """A sell's unit stays one BTC when the venue moves its price: 1 -> 2 adds 1 BTC."""
    inv = spot("0", btc="3")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.apply(report("new", "0", 2, side="sell"))
    inv.apply(report("new", "0", 3, side="sell", price="105"))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(2), locked=D(1))
    inv.amend("c1", quantity=D(2))
    assert inv.balance("BTC") == Balance(total=D(3), free=D(1), locked=D(2))


def test_lowering_amend_confirmed_then_canceled_retires_once_covered() -> None:
    """An amend that adds nothing, confirmed by the venue: the order's pending changes are
    the release (v3) and the end (v4); it retires when the v4 report covers them."""
    inv = _open_buy()
    inv.apply(bal("USDT", "10000", "9900", 2))
    inv.amend("c1", price=D(90))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(report("new", "0", 3, price="90"))
    assert _free(inv) == (D(10000), D(9910))
    assert inv.stats()["pending_changes"] == 1
    inv.apply(report("canceled", "0", 4, price="90"))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (0, 2)
    inv.apply(bal("USDT", "10000", "10000", 4))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


# --- fills, unheard fills and the end of an amended order -------------------------------
def test_fills_before_an_amend_shrink_what_it_releases() -> None:
    """Buy 2 @ 100 (v2), two fills of 0.5 at v3, still 100 at v4, amended to 98 at v6:
    the release is (2 - 1) * (100 - 98) = 2."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("T1", "0.5", "100", 3))
    inv.apply(fill("T2", "0.5", "100", 3))
    assert _free(inv) == (D(9900), D(9800))
    inv.apply(report("partially_filled", "1", 4, qty="2", avg="100"))  # still 100 at v4
    inv.apply(report("partially_filled", "1", 6, qty="2", price="98", avg="100"))
    assert _free(inv) == (D(9900), D(9802))
    inv.apply(fill("T3", "0.5", "98", 7))  # unlocks 0.5 * 98 = 49, spends 49
    assert _free(inv) == (D(9851), D(9802))


def test_price_raised_then_lowered_is_dated_run_by_run() -> None:
    """100 (v2) -> 105 (v4) -> 95 (v6): +5 reserved at v4, 10 released at v5 (the start of
    the second window); a balance report at v4 holds the first and not the second."""
    inv = _open_buy()
    inv.apply(report("new", "0", 4, price="105"))
    inv.apply(report("new", "0", 6, price="95"))
    assert _free(inv) == (D(10000), D(9905))
    inv.apply(bal("USDT", "10000", "9895", 4))
    assert _free(inv) == (D(10000), D(9905))
    assert inv.stats()["pending_changes"] == 1


def test_increase_is_sized_without_the_unheard_fills() -> None:
    """100 -> 105 (v4) with 0.5 filled unheard: the increase counts on the whole 1
    (5, not 2.5); the release before it is sized net of the unheard 0.5 (nothing here)."""
    inv = _open_buy()
    inv.apply(report("partially_filled", "0.5", 4, price="105", avg="105"))
    assert _free(inv) == (D(10000), D(9895))


def test_sell_cut_below_one_then_canceled_releases_the_rest() -> None:
    inv = spot("0", btc="1")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    inv.apply(report("new", "0", 2, side="sell"))
    inv.apply(report("new", "0", 3, side="sell", qty="0.8"))
    assert inv.balance("BTC") == Balance(total=D(1), free=D("0.2"), locked=D("0.8"))
    inv.apply(report("canceled", "0", 4, side="sell", qty="0.8"))
    assert inv.balance("BTC") == Balance(total=D(1), free=D(1), locked=D(0))


def test_plain_order_reported_triggered_releases_its_reserve_at_the_end() -> None:
    """Amended 100 -> 98 (v3), then reported triggered (v4): acceptance -100 (v2), release
    2 (v3), end 98 (v4); a balance report at v2 leaves the last two to add."""
    inv = _open_buy()
    inv.apply(report("new", "0", 3, price="98"))
    inv.apply(report("triggered", "0", 4, price="98"))
    assert _free(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 3
    inv.apply(bal("USDT", "10000", "9900", 2))
    assert _free(inv) == (D(10000), D(10000))


def test_amended_order_retires_once_every_change_is_covered() -> None:
    inv = _open_buy()
    inv.apply(report("new", "0", 3, price="98"))
    inv.apply(report("canceled", "0", 4, price="98"))
    assert _free(inv) == (D(10000), D(10000))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (0, 3)
    inv.apply(bal("USDT", "10000", "9902", 3))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (0, 1)
    inv.apply(bal("USDT", "10000", "10000", 4))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


def test_acceptance_re_dated_by_an_older_report_keeps_the_count() -> None:
    """First heard at 98 (v3), then the older v2 report at 100: the acceptance moves from
    v3 to v2 (replaced, not added); after the end is covered the order retires."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, price="98"))
    assert (_free(inv), inv.stats()["pending_changes"]) == ((D(10000), D(9902)), 2)
    inv.apply(fill("T1", "0.5", "98", 5))  # two more changes (USDT, BTC)
    assert (_free(inv), inv.stats()["pending_changes"]) == ((D(9951), D(9902)), 4)
    inv.apply(report("new", "0", 2))
    assert (_free(inv), inv.stats()["pending_changes"]) == ((D(9951), D(9902)), 4)
    inv.apply(bal("USDT", "10000", "9900", 2))  # at v2: reserved at 100
    assert _free(inv) == (D(9951), D(9902))
    inv.apply(report("canceled", "0.5", 6, price="98", avg="98"))
    assert inv.stats()["retired_orders"] == 0
    inv.apply(bal("BTC", "0.5", "0.5", 6))
    assert inv.stats()["retired_orders"] == 0
    inv.apply(bal("USDT", "9951", "9951", 6))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


def test_live_amended_order_with_every_change_covered_stays_live() -> None:
    inv = _open_buy()
    inv.apply(report("new", "0", 3, price="98"))
    inv.apply(bal("USDT", "10000", "9902", 3))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(report("new", "0", 5, price="98"))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["live_orders"]) == (0, 1)
    inv.apply(report("new", "0", 6, price="97"))  # still heard: 1 more released
    assert _free(inv) == (D(10000), D(9903))


# --- runs: reports older than the first, inside a run, extending one ---------------------
def test_venue_order_report_older_than_its_first_run_at_other_values() -> None:
    """A venue order (no client id) heard at 98 (v4), 100 (v6), then 100 at v2: reserved
    at 100 from v2, 2 released by v4, 2 taken back by v6."""
    inv = spot("10000")
    inv.apply(report("new", "0", 4, cid=None, price="98"))
    inv.apply(report("new", "0", 6, cid=None))
    inv.apply(report("new", "0", 2, cid=None))
    assert _free(inv) == (D(10000), D(9900))
    inv.apply(bal("USDT", "10000", "9900", 2))
    assert _free(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 2


def test_venue_order_report_older_than_its_first_run_at_the_same_values() -> None:
    """98 (v4), 100 (v6), then 98 at v2: the first run starts at v2 (reserve 98 from v2)."""
    inv = spot("10000")
    inv.apply(report("new", "0", 4, cid=None, price="98"))
    inv.apply(report("new", "0", 6, cid=None))
    inv.apply(report("new", "0", 2, cid=None, price="98"))
    assert _free(inv) == (D(10000), D(9900))
    inv.apply(bal("USDT", "10000", "9902", 2))
    assert _free(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 1


def test_report_inside_a_run_splits_it_around_the_next_runs_values() -> None:
    """100 at v2 and v6, 98 at v8, then 98 at v4: down by v4, back up by v6, down by v8."""
    inv = _open_buy()
    inv.apply(report("new", "0", 6))
    inv.apply(report("new", "0", 8, price="98"))
    assert _free(inv) == (D(10000), D(9902))
    inv.apply(report("new", "0", 4, price="98"))
    assert _free(inv) == (D(10000), D(9902))
    view = inv.order("c1")
    assert view is not None
    assert view.price == D(98)
    inv.apply(bal("USDT", "10000", "9900", 6))  # at v6: back at 100
    assert _free(inv) == (D(10000), D(9902))  # the last 2 released at v7
    assert inv.stats()["pending_changes"] == 1


def test_older_report_of_the_new_values_moves_the_start_of_their_run() -> None:
    """100 (v2), 105 at v6 and v8, then 105 at v4: the raise is dated v4, not v6. Then a
    105 at v7 (inside the run, nothing new) and 95 at v10: released at v9."""
    inv = _open_buy()
    inv.apply(report("new", "0", 6, price="105"))
    inv.apply(report("new", "0", 8, price="105"))
    inv.apply(report("new", "0", 4, price="105"))
    assert _free(inv) == (D(10000), D(9895))
    inv.apply(bal("USDT", "10000", "9895", 5))
    assert _free(inv) == (D(10000), D(9895))
    assert inv.stats()["pending_changes"] == 0
    inv.apply(report("new", "0", 7, price="105"))
    inv.apply(report("new", "0", 10, price="95"))
    assert _free(inv) == (D(10000), D(9905))
    inv.apply(bal("USDT", "10000", "9895", 8))  # at v8: still at 105
    assert _free(inv) == (D(10000), D(9905))


def test_split_run_dates_the_release_from_its_first_report() -> None:
    """100 at v2 and v8, 98 at v5: the run of 100 splits; a balance report at v4 may hold
    the release (dated at the start of the window), so free reads low by it."""
    inv = _open_buy()
    inv.apply(report("new", "0", 8))
    inv.apply(report("new", "0", 5, price="98"))
    assert _free(inv) == (D(10000), D(9900))
    view = inv.order("c1")
    assert view is not None
    assert view.price == D(100)
    inv.apply(bal("USDT", "10000", "9900", 4))
    assert _free(inv) == (D(10000), D(9898))


def test_report_between_a_split_runs_first_part_and_the_amend() -> None:
    """100 at v2 and v8, 98 at v5, then 100 at v3: the release is dated v4 (after v3), so a
    balance report at v3 (at 100) leaves it to add; the raise back is dated v8."""
    inv = _open_buy()
    inv.apply(report("new", "0", 8))
    inv.apply(report("new", "0", 5, price="98"))
    inv.apply(report("new", "0", 3))
    inv.apply(bal("USDT", "10000", "9900", 3))
    assert _free(inv) == (D(10000), D(9900))
    assert inv.stats()["pending_changes"] == 2


def test_a_report_inside_a_run_still_dates_a_later_split() -> None:
    """100 at v2, v6, v8 and 98 at v4, all heard, and a balance report at v7 (truth: at 100,
    free 9900). Arrival order 2, 4, 6, 8 gives 9900; order 2, 8, 6, 4 gives 9898."""
    results = []
    for order in ((4, 6, 8), (8, 6, 4)):
        inv = _open_buy()
        for v in order:
            inv.apply(report("new", "0", v, price="98" if v == 4 else "100"))
        inv.apply(bal("USDT", "10000", "9900", 7))
        results.append(_free(inv))
    assert results == [(D(10000), D(9900)), (D(10000), D(9900))]


def test_split_of_a_later_run_keeps_each_piece_at_its_values() -> None:
    """100 (v2), 98 at v4 and v8, then 97 at v6: the run of 98 splits around it.
    Changes: -100 (v2), +2 (v3), +1 (v5, down to 97), -1 (v8, back to 98)."""
    inv = _open_buy()
    inv.apply(report("new", "0", 4, price="98"))
    inv.apply(report("new", "0", 8, price="98"))
    inv.apply(report("new", "0", 6, price="97"))
    assert _free(inv) == (D(10000), D(9902))
    view = inv.order("c1")
    assert view is not None
    assert view.price == D(98)
    inv.apply(bal("USDT", "10000", "9902", 4))  # at v4: at 98
    assert _free(inv) == (D(10000), D(9902))
    assert inv.stats()["pending_changes"] == 2


def test_market_buy_filled_before_any_report_reserves_nothing() -> None:
    """Its acceptance is dated by the fill (v3) and reserves nothing: no change for it."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), order_type="market")
    inv.apply(fill("T1", "1", "100", 3))
    assert _free(inv) == (D(9900), D(9900))
    assert inv.stats()["pending_changes"] == 2  # the fill in USDT and BTC
    inv.apply(bal("USDT", "9900", "9900", 3))
    inv.apply(bal("BTC", "1", "1", 3))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


def test_older_report_dating_the_last_pending_acceptance_retires_the_order() -> None:
    """Filled at v5; balance reports at v3 name the trade (covered by id) but not the
    acceptance (v5). A late report at v2 re-dates it to v2: covered, the order retires."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 5))
    inv.apply(report("filled", "1", 5, avg="100"))
    ids = frozenset({"T1"})
    inv.apply(ev.BalanceReported("USDT", D(9900), D(9900), 3, trade_ids=ids))
    inv.apply(ev.BalanceReported("BTC", D(1), D(1), 3, trade_ids=ids))
    assert _free(inv) == (D(9900), D(9800))  # the acceptance at v5 is still subtracted
    assert inv.stats()["pending_changes"] == 1
    inv.apply(report("new", "0", 2))
    assert _free(inv) == (D(9900), D(9900))
    stats = inv.stats()
    assert (stats["retired_orders"], stats["pending_changes"]) == (1, 0)


# --- runs of (quantity, price): a late report inside a run ------------------------------
def test_late_report_inside_a_run_splits_it_and_the_order_retires_once_covered() -> None:
    """Runs (1, 100) at v2..v4 and (2, 100) from v6; a late v3 report shows (2, 100): the
    first run is split in three. Every later report walks past two runs."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 4))
    inv.apply(report("new", "0", 6, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    inv.apply(report("new", "0", 3, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 4
    inv.apply(bal("USDT", "10000", "9800", 3))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    inv.apply(report("canceled", "0", 7, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    stats = inv.stats()
    assert (stats["live_orders"], stats["retired_orders"], stats["pending_changes"]) == (0, 0, 3)
    inv.apply(bal("USDT", "10000", "10000", 7))
    stats = inv.stats()
    assert (stats["live_orders"], stats["retired_orders"], stats["pending_changes"]) == (0, 1, 0)


# --- a fill while the bot's amend is in flight ---------------------------------------------
def test_fill_of_an_amended_order_while_a_new_amend_is_in_flight() -> None:
    """Runs (1, 100) then (1, 95); the bot asks for 90; a newer fill of 0.5 unlocks at the
    lowest price of the chain."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, price="95"))
    inv.amend("c1", price=D(90))
    assert _free(inv) == (D(10000), D(9905))
    inv.apply(fill("T1", "0.5", "90", 4))
    assert _free(inv) == (D("9955.0"), D("9905.0"))
    assert _free(inv, "BTC") == (D("0.5"), D("0.5"))


def test_fill_while_an_amend_is_in_flight_unlocks_at_the_lowest_price() -> None:
    """No runs yet: 1 @ 100 accepted, the bot asks for 90, a fill of 0.5 @ 90 arrives."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(90))
    inv.apply(fill("T1", "0.5", "90", 3))
    assert _free(inv) == (D("9955.0"), D("9900.0"))
    assert _free(inv, "BTC") == (D("0.5"), D("0.5"))


# --- the end release of an amended order ---------------------------------------------------
def test_end_release_of_an_amended_order_leaves_when_all_is_reported_filled() -> None:
    """1 -> 2 @ 100, canceled at v4: 200 released. A v5 report counts 2 filled: nothing is
    left to release, and the implied fills keep the quote low."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("canceled", "0", 4, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    assert inv.stats()["pending_changes"] == 3
    inv.apply(report("canceled", "2", 5, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert inv.stats()["pending_changes"] == 2
    exp = inv.exposure("USDT")
    assert (exp.low, exp.expected, exp.high) == (D(9800), D(10000), D(10000))


# --- the order type a report brings ----------------------------------------------------------
def test_first_report_of_a_spot_intent_sets_its_type() -> None:
    """Sent as a limit, reported as a market order: an amend's size raise reserves nothing."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(_typed(2, "market"))
    inv.amend("c1", quantity=D(2))
    assert _free(inv) == (D(10000), D(9900))


def test_conditional_intent_keeps_its_own_type() -> None:
    """A conditional limit buy reported with type market keeps the bot's limit: a size
    raise reserves one more unit at 100."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    inv.apply(_typed(2, "market", conditional=True))
    inv.amend("c1", quantity=D(2))
    assert _free(inv) == (D(10000), D(9900))
    exp = inv.exposure("USDT")
    assert (exp.low, exp.expected, exp.high) == (D(9800), D(10000), D(10000))


def test_order_first_known_by_a_fill_takes_the_type_of_its_first_report() -> None:
    """A market buy reserves nothing, even with a price in its report."""
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2))
    inv.apply(_typed(3, "market", status="partially_filled"))
    assert _free(inv) == (D("9950.0"), D("9950.0"))


# --- client ids of orders first known by a fill ------------------------------------------------
def test_order_created_by_a_fill_carries_its_client_id() -> None:
    inv = spot("10000")
    inv.apply(fill("T1", "0.5", "100", 2, cid="c9", oid="9"))
    o = inv.order("c9")
    assert o is not None
    assert (o.client_order_id, o.order_id) == ("c9", "9")


def test_fill_of_another_order_id_does_not_take_a_live_orders_client_id() -> None:
    """c1 names the open order 1; a fill of order 2 carrying c1 makes a new order, and c1
    still names order 1."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(fill("T1", "0.5", "100", 3, oid="2"))
    o1, o2 = inv.order("c1"), inv.order("2")
    assert o1 is not None and o2 is not None
    assert (o1.order_id, o1.status) == ("1", "open")
    assert (o2.order_id, o2.client_order_id, o2.filled_quantity) == ("2", "c1", D("0.5"))


def test_late_fill_of_an_order_whose_client_id_was_reused_does_not_take_it_back() -> None:
    """c1 was reused (OKX) for order 2; a late fill of order 1 naming c1 leaves c1 on 2."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("canceled", "0.5", 2))
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, oid="2"))
    inv.apply(fill("T1", "0.5", "100", 2))
    o = inv.order("c1")
    assert o is not None
    assert o.order_id == "2"


def test_late_report_splits_the_third_run_and_keeps_the_first() -> None:
    """Runs (1, 100) v2, (2, 100) v4..v6, (1, 100) v8; a late v5 report shows (1, 100):
    the middle run is split, the first run (the acceptance's size) stays."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    for v, q in ((2, "1"), (4, "2"), (6, "2"), (8, "1")):
        inv.apply(report("new", "0", v, qty=q))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 3)
    inv.apply(report("new", "0", 5, qty="1"))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 5)
    inv.apply(bal("USDT", "10000", "9900", 5))
    assert _free(inv) == (D(10000), D(9900))
    assert _counts(inv) == (1, 0, 2)


def test_withdrawn_end_release_keeps_the_pending_count_for_retirement() -> None:
    """The end release withdrawn by a report counting 2 filled; the fills then come and the
    balance reports cover the rest one asset at a time: the order retires only at the end."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("canceled", "0", 4, qty="2"))
    inv.apply(report("canceled", "2", 5, qty="2"))
    inv.apply(fill("T1", "2", "100", 5))
    assert _counts(inv) == (0, 0, 4)
    assert inv.sync_state == "settling"
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert _counts(inv) == (0, 0, 2)
    inv.apply(bal("BTC", "2", "2", 5))
    assert _counts(inv) == (0, 0, 1)
    assert inv.sync_state == "settling"
    inv.apply(bal("USDT", "9800", "9800", 5))
    assert _counts(inv) == (0, 1, 0)
    assert inv.sync_state == "synced"


def test_late_report_moving_the_last_pending_amend_under_a_balance_retires_the_order() -> None:
    """1 -> 2 @ 100 first seen at v6, filled by T1 at v7. A USDT report at v5 listing T1
    leaves only the increase (dated v6) pending; a late v4 report of (2, 100) dates it at
    v4, which that report covers: nothing is pending and the filled order retires."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.apply(report("new", "0", 6, qty="2"))
    inv.apply(fill("T1", "2", "100", 7))
    o = inv.order("c1")
    assert o is not None and o.status == "filled"
    assert _counts(inv) == (0, 0, 4)
    inv.apply(bal("BTC", "2", "2", 7))
    inv.apply(ev.BalanceReported("USDT", D(9800), D(9800), 5, frozenset({"T1"})))
    assert _free(inv) == (D(9800), D(9700))
    assert _counts(inv) == (0, 0, 1)
    inv.apply(report("new", "0", 4, qty="2"))
    assert _free(inv) == (D(9800), D(9800))
    assert _counts(inv) == (0, 1, 0)


def test_first_report_with_other_values_than_sent_moves_the_acceptance_once() -> None:
    """Sent 1 @ 100, first reported as 2 @ 100: the in-flight acceptance is replaced by a
    versioned one, and the order retires once a balance report covers its cancel."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    assert _counts(inv) == (1, 0, 1)
    inv.apply(report("new", "0", 2, qty="2"))
    assert _free(inv) == (D(10000), D(9800))
    assert _counts(inv) == (1, 0, 2)
    inv.apply(report("canceled", "0", 3, qty="2"))
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 0, 3)
    inv.apply(bal("USDT", "10000", "9800", 2))  # covers the acceptance and the raise
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 0, 1)
    inv.apply(bal("USDT", "10000", "10000", 3))
    assert _free(inv) == (D(10000), D(10000))
    assert _counts(inv) == (0, 1, 0)


def test_first_report_with_other_values_keeps_the_reserve_exact() -> None:
    """Sent 1 @ 100, first reported as 3 @ 90: 270 reserved, to the unit (no digits left
    over from the in-flight estimate it replaces)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 3, qty="3", price="90"))
    b = inv.balance("USDT")
    assert (str(b.total), str(b.free), str(b.locked)) == ("10000", "9730", "270")


def test_order_filled_by_its_fills_then_reported_larger_takes_a_further_fill() -> None:
    """Sent 1 @ 100 and filled by T1 (1) before any report; the venue then reports it
    amended to 2 with 1 filled, and T2 (0.5) comes: it is counted, not refused."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 2))
    assert _free(inv) == (D(9900), D(9900))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    assert _free(inv) == (D(9900), D(9800))
    assert inv.stats()["pending_changes"] == 4
    inv.apply(fill("T2", "0.5", "100", 4))
    o = inv.order("c1")
    assert o is not None and o.filled_quantity == D("1.5")
    assert _free(inv) == (D("9850.0"), D("9800.0"))
    assert _free(inv, "BTC") == (D("1.5"), D("1.5"))


def test_a_raise_made_outside_the_bot_after_the_fills_reached_the_size_is_documented() -> None:
    """Sent 1 @ 100; T1 fills 1 before any report; the venue then reports 2 with 1 filled:
    a raise the bot did not announce (spec/accounting.md, "Orders"). The order stays
    filled (P4), and the balances follow the venue exactly: the rest's reserve and fill."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(fill("T1", "1", "100", 2))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.quantity) == ("filled", D(2))
    assert _free(inv) == (D(9900), D(9800))
    inv.apply(fill("T2", "1", "100", 4))
    assert _free(inv) == (D(9800), D(9800))
    assert inv.balance("BTC").total == D(2)


def test_a_raise_the_bot_announced_keeps_the_order_open() -> None:
    """The same, announced with inv.amend: the order stays open and the rest counts."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1", "100", 2))
    inv.apply(report("partially_filled", "1", 3, qty="2"))
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"
    assert inv.exposure("BTC").high == D(2)
    assert _free(inv) == (D(9900), D(9800))


def test_late_report_of_the_next_runs_values_joins_that_run() -> None:
    """Sell sent 2 @ 100; reports (3, 105) v3, (3, 90) 0.5 filled v4, then a late v2 of
    (3, 105): it joins the v3 run, and the base reserve stays exact (3, not 3.0)."""
    inv = spot("100000", btc="10")
    inv.submit("c1", "BTCUSDT", "sell", D(2), D(100))
    inv.apply(report("new", "0", 3, qty="3", price="105", side="sell", cid=None))
    inv.apply(report("partially_filled", "0.5", 4, qty="3", price="90", side="sell"))
    inv.apply(report("new", "0", 2, qty="3", price="105", side="sell"))
    b = inv.balance("BTC")
    assert (str(b.total), str(b.free), str(b.locked)) == ("10", "7", "3")


# --- the rise held for unheard states, over two chains ----------------------------------
def test_unheard_states_of_two_chains_add_up_until_each_is_heard() -> None:
    """1 @ 100 -> 95 -> 105 (answered at v3, 95 unheard: 10 held), then 105 -> 96 -> 106
    (answered at v5, 96 unheard: 10 more). Both holds add up; hearing 95 keeps the hold
    (96 still unheard), hearing 96 too leaves the exact timeline."""
    inv = _buy("1")
    inv.amend("c1", price=D(95))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 3, price="105"))
    assert (_usdt_free(inv), _pending(inv)) == (D(9885), 3)  # 10000 - 105 - 10 held
    inv.amend("c1", price=D(96))
    inv.amend("c1", price=D(106))
    inv.apply(report("new", "0", 5, price="106"))
    assert (_usdt_free(inv), _pending(inv)) == (D(9874), 4)  # 10000 - 106 - 20 held
    inv.apply(report("new", "0", 2, price="95"))
    assert _usdt_free(inv) == D(9874)
    inv.apply(report("new", "0", 4, price="96"))
    assert _usdt_free(inv) == D(9894)  # exact: 10000 - 106


def test_a_start_valued_state_after_the_chain_began_is_not_heard() -> None:
    """1 @ 100 -> 110 -> 100 -> 120; 110 reported at v2, a balance report at v3 catches
    the venue back at 100, the answer (120) at v4. The report of 100 at v1 (before the
    chain) does not show the return to 100: its rise stays held (free never high)."""
    inv = _buy("1")
    for price in (110, 100, 120):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="110"))
    inv.apply(bal("USDT", "10000", "9900", 3))
    inv.apply(report("new", "0", 4, price="120"))
    assert _usdt_free(inv) == D(9870)  # at most the truth, 10000 - 120
    inv.apply(bal("USDT", "10000", "9880", 4))
    assert (_usdt_free(inv), _pending(inv)) == (D(9880), 0)


def test_states_after_where_the_venue_stopped_are_not_waited_for() -> None:
    """100 -> 95 -> 98 -> 110, canceled at v5 showing 98: 110 never was. Once 95 is
    heard, nothing is held any more (the end and the timeline's increase remain)."""
    inv = _buy("1")
    for price in (95, 98, 110):
        inv.amend("c1", price=D(price))
    inv.apply(bal("USDT", "10000", "9905", 3))
    inv.apply(report("canceled", "0", 5, price="98"))
    assert _usdt_free(inv) == D(10000)
    inv.apply(report("new", "0", 3, price="95"))
    assert (_usdt_free(inv), _pending(inv)) == (D(10000), 2)
    inv.apply(bal("USDT", "10000", "10000", 5))
    assert (_usdt_free(inv), _pending(inv)) == (D(10000), 0)


def test_an_unheard_state_of_a_chain_that_only_lowers_holds_nothing() -> None:
    """100 -> 98 -> 95 answered at v3 with 98 unheard: no rise, no held change."""
    inv = _buy("1")
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(95))
    inv.apply(report("new", "0", 3, price="95"))
    assert (_usdt_free(inv), _pending(inv)) == (D(9905), 2)  # the acceptance and the release


def test_a_chain_answered_at_version_zero_holds_its_unheard_rise() -> None:
    """No balance report yet (the ledger covers nothing); 1 @ 100 -> 95 -> 105 answered
    by the order's first report, at version 0: the rise through 95 is held at v0."""
    inv = Inventory([BTCUSDT])
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", price=D(95))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 0, price="105"))
    assert _usdt_free(inv) == D(-115)  # reserve 105, and 10 held until 95 is heard
    inv.apply(bal("USDT", "10000", "9895", 0))
    assert (_usdt_free(inv), _pending(inv)) == (D(9895), 0)


# --- refusals leaving a chain that a report already answered -----------------------------
def test_a_refusal_leaving_a_chain_a_report_answered_holds_its_unheard_state() -> None:
    """100 -> 95 -> 105 -> 110; 105 reported at v3; 110 refused: the rest of the chain is
    answered by that report, and its unheard 95 keeps 10 held until it is heard."""
    inv = _buy("1")
    for price in (95, 105, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 3, price="105"))
    inv.apply(ev.AmendFailed("c1", "insufficient balance"))
    assert _usdt_free(inv) == D(9885)  # 10000 - 105 - 10 held
    inv.apply(report("new", "0", 2, price="95"))
    assert _usdt_free(inv) == D(9895)


def test_a_refusal_leaving_a_chain_back_to_its_start_that_a_report_answered() -> None:
    """100 -> 105 -> 100 -> 110; 105 at v2 and 100 at v3 reported; 110 refused: the chain
    back to 100 is answered by the report of v3, newer than the one showing 105."""
    inv = _buy("1")
    for price in (105, 100, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="105"))
    inv.apply(report("new", "0", 3, price="100"))
    inv.apply(ev.AmendFailed("c1", "insufficient balance", price=D(110)))
    assert _usdt_free(inv) == D(9900)
    inv.apply(bal("USDT", "10000", "9900", 3))
    assert (_usdt_free(inv), _pending(inv)) == (D(9900), 0)


# --- a second amend, a third after a report of the middle --------------------------------
def test_a_price_amend_after_a_raise_builds_on_the_raised_size() -> None:
    """1 @ 100 raised to 2; 1.5 fills (the venue took the raise); a price amend keeps the
    size 2, above the fills: it is accepted, and the venue may still hold 0.5 more."""
    inv = _buy("1")
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1.5", "100", 3))
    inv.amend("c1", price=D(99))
    assert inv.exposure("BTC").high == D(2)
    o = inv.order("c1")
    assert o is not None and o.status == "partially_filled"


def test_an_amend_after_a_report_of_the_middle_of_a_chain_rises_from_its_start() -> None:
    """2 @ 100 -> 110 -> 105; a report shows 110 (not the answer); then -> 120: the venue
    may have been at 100 at the last balance report, so the rise held is 2 x 20."""
    inv = _buy("2")
    inv.amend("c1", price=D(110))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 2, qty="2", price="110"))
    inv.amend("c1", price=D(120))
    assert _usdt_free(inv) == D(10000) - D(200) - D(20) - D(40)  # increase to 110 + chain rise
    inv.apply(report("new", "0", 4, qty="2", price="120"))
    inv.apply(bal("USDT", "10000", "9760", 4))
    assert _usdt_free(inv) == D(9760)


# --- an old report and the fills it must count -------------------------------------------
def test_a_report_as_new_as_a_fill_below_it_is_refused() -> None:
    """1 @ 100 raised to 2, 1.5 filled at v4: a report at v4 of size 1 cannot be (a report
    reflects every fill of its version and before)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "1.5", "100", 4))
    with pytest.raises(InvalidEvent, match=r"quantity 1 below the known fills 1\.5"):
        inv.apply(report("new", "0", 4))


# --- core bugs ---------------------------------------------------------------------------
def test_late_copies_of_reports_from_before_a_chain_do_not_answer_it() -> None:
    """1 @ 100 raised to 2 (answered at v2); then 2 -> 3 -> 2 in flight. Late copies of
    the v1 and v2 reports come: neither is a state of the chain (both before it), so the
    venue may still hold 3, and a fill of 2 leaves it partially filled."""
    inv = _buy("1")
    inv.amend("c1", quantity=D(2))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.amend("c1", quantity=D(3))
    inv.amend("c1", quantity=D(2))
    assert inv.exposure("BTC").high == D(3)
    inv.apply(report("new", "0", 1))
    inv.apply(report("new", "0", 2, qty="2"))
    inv.apply(fill("T1", "2", "100", 5))
    o = inv.order("c1")
    assert o is not None
    assert (o.status, inv.exposure("BTC").high) == ("partially_filled", D(3))


def test_a_chain_returning_to_an_earlier_state_is_not_answered_by_its_first_report() -> None:
    """1 @ 100 -> 110 -> 100 -> 110. The report of v2 shows the first 110; a balance
    report at v3 catches the venue back at 100; the report of v4 shows the last 110. The
    venue reserves 110: free is at most 9890 (P6)."""
    inv = _buy("1")
    for price in (110, 100, 110):
        inv.amend("c1", price=D(price))
    inv.apply(report("new", "0", 2, price="110"))
    inv.apply(bal("USDT", "10000", "9900", 3))
    inv.apply(report("new", "0", 4, price="110"))
    assert _usdt_free(inv) <= D(9890)


def test_reports_of_the_start_quantity_do_not_answer_a_quantity_chain_back() -> None:
    """Amends 1 -> 2 -> 1: reports at v3 and v4 showing 1 may predate both amends."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", quantity=D(2))
    inv.amend("c1", quantity=D(1))
    inv.apply(report("new", "0", 3))
    inv.apply(report("new", "0", 4))
    # The venue may still take the raise to 2 first: the range keeps room for it.
    assert inv.exposure("BTC") == Exposure(low=D(0), expected=D(0), high=D(2))
    assert inv.exposure("USDT").low == D(9800)
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(10000), D(9800))
    # A balance report at v4 cannot cover what the amends in flight may add.
    inv.apply(bal("USDT", "10000", "9900", 4))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(10000), D(9800))


def test_fill_matched_to_an_intent_by_client_id_is_counted_below_the_watermark() -> None:
    """The watermark (v50) only makes messages of unknown orders old news."""
    inv = Inventory([BTCUSDT], history=1)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    for i in range(18):  # r0 (v50) leaves the id memory: the watermark is 50
        inv.apply(report("rejected", "0", 50 + i, cid=None, oid=f"r{i}"))
    inv.apply(fill("T1", "1", "100", 5, oid="X"))  # delayed: c1 filled at v5
    view = inv.order("c1")
    assert view is not None
    assert (view.order_id, view.status, view.filled_quantity) == ("X", "filled", D(1))
    assert inv.balance("BTC").total == D(1)


def test_completing_fill_dates_the_raise_held_back_at_its_own_version() -> None:
    """Raise 1 -> 2 in flight; fills T2 (v4) then T1 (v3) fill 2: the order ends with its
    last fill on the venue, T2 (v4), and the rise is held back until a balance report
    as new as that (the newest fill), not the newest version heard of any kind."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T2", "1", "100", 4))
    inv.apply(fill("T1", "1", "100", 3))
    view = inv.order("c1")
    assert view is not None
    assert (view.status, view.filled_quantity) == ("filled", D(2))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9800))
    # At v3 the venue held 2 @ 100 with 1 filled: 100 locked. The tracker cannot tell
    # from the fills alone that the raise came before v3, so it keeps it held (low).
    inv.apply(bal("USDT", "9900", "9800", 3))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9700))
    inv.apply(bal("USDT", "9800", "9800", 4))
    usdt = inv.balance("USDT")
    assert (usdt.total, usdt.free) == (D(9800), D(9800))


def test_market_buy_first_reported_with_a_price_reserves_nothing() -> None:
    """Sent as a market buy (no price), reported as 1 @ 100: the values differ, so the
    order gets a timeline, but a market buy locks nothing (as without one, in
    test_market_buy_with_a_price_reserves_nothing)."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), order_type="market")
    inv.apply(report("new", "0", 3, qty="1", price="100"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_first_report_with_other_values_leaves_no_digits_of_the_estimate() -> None:
    """Sent 1 @ 100.5, first reported as 3 @ 90: 270.0 reserved, with the digits of the
    order's own amounts only (the in-flight estimate it replaces is max(q x limit))."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D("100.5"))
    inv.apply(report("new", "0", 3, qty="3", price="90"))
    assert _usdt(inv) == ("10000", "9730.0", "270.0")


def test_rejected_order_with_an_amend_in_flight_holds_nothing() -> None:
    """Sent 2 @ 100, amended to 101 before any answer, then rejected: the venue never had
    it, so nothing is held back for the amend and nothing stays pending."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(101))
    assert _usdt(inv) == ("10000", "9798", "202")
    inv.apply(ev.SubmissionFailed("c1"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_cancel_on_the_start_values_of_a_back_and_forth_chain_holds_its_rise() -> None:
    """2 @ 100 -> 98 (v2) -> 100, canceled at v4 on 100: the report does not answer the
    chain (the same values), and 98 was never shown. A balance report of v2 (at 98,
    reserve 196) then misses the rise of 4 back to 100 that the end releases: it is held
    back, dated v4, until a balance report as new covers it."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(100))
    inv.apply(bal("USDT", "10000", "9804", 2))
    inv.apply(report("canceled", "0", 4, qty="2"))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 2  # the end release and the held-back rise
    inv.apply(bal("USDT", "10000", "10000", 4))
    assert _usdt(inv) == ("10000", "10000", "0")
    assert inv.stats()["pending_changes"] == 0


def test_the_submission_is_not_a_report_dating_a_release() -> None:
    """Sent 2 @ 100; reports 2 @ 100 at v3 and v0, 2 @ 98 at v2 (amended outside the bot
    and back). The release 100 -> 98 may be as early as v1 (no report showed 100 there),
    and the balance report of v1 caught it at 98: free is exact, not 4 high."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 3, qty="2"))
    inv.apply(report("new", "0", 0, qty="2"))
    inv.apply(report("new", "0", 2, qty="2", price="98"))
    inv.apply(bal("USDT", "10000", "9804", 1))
    assert _usdt(inv) == ("10000", "9800", "200")


def test_submitted_values_do_not_count_as_heard_for_a_chain_sent_before_any_report() -> None:
    """Sent 2 @ 100, amended to 98, back to 100, then to 97 before any report; 97 (v3)
    answers the chain and 98 is heard late (v2). The return to 100 was never reported
    (the bot's own submission is no report of it): its rise of 4 stays held back until a
    balance report as new as the answer covers it."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.amend("c1", price=D(98))
    inv.amend("c1", price=D(100))
    inv.amend("c1", price=D(97))
    inv.apply(report("new", "0", 3, qty="2", price="97"))
    inv.apply(report("new", "0", 2, qty="2", price="98"))
    inv.apply(bal("USDT", "10000", "9804", 2))
    assert _usdt(inv) == ("10000", "9802", "198")
    inv.apply(bal("USDT", "10000", "9806", 3))
    assert _usdt(inv) == ("10000", "9806", "194")
    assert inv.stats()["pending_changes"] == 0


def test_a_raise_ended_by_a_late_older_fill_is_held_back_past_the_newest_fill() -> None:
    """Sent 2 @ 100 (live at v1), amended to 3; T1 (2, v5) comes before T2 (1, v3). The
    venue: T2 at v3, the balance report of v4 (9900 / 9800: 1 left at 100), the raise to
    3 after it, T1 at v5. The end is heard with T2, but the rise it holds back may come as
    late as the newest fill: the report of v4 must not cover it (free 9700, not 9800)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", quantity=D(3))
    inv.apply(fill("T1", "2", "100", 5))
    inv.apply(fill("T2", "1", "100", 3))
    assert _usdt(inv) == ("9700", "9700", "0")
    inv.apply(bal("USDT", "9900", "9800", 4))
    assert _usdt(inv) == ("9700", "9700", "0")


def test_a_long_run_of_equal_reports_remembers_every_version() -> None:
    """Sell 1 reported at v2, v4, v6, v8; a balance report at v4; then a late report of
    0.5 at v5: the amend is dated in (4, 5] and back in (5, 6]; the release at 5 and the
    increase at 6 are both newer than the balance report, so free stays 9."""
    inv = spot("10000", btc="10")
    inv.submit("c1", "BTCUSDT", "sell", D(1), D(100))
    for v in (2, 4, 6, 8):
        inv.apply(report("new", "0", v, side="sell"))
    inv.apply(bal("BTC", "10", "9", 4))
    inv.apply(report("new", "0", 5, qty="0.5", side="sell"))
    b = inv.balance("BTC")
    assert (b.total, b.free) == (D(10), D(9))


def test_a_reported_price_above_the_bots_amend_bounds_the_range() -> None:
    """Buy 1 @ 100; the bot amends to 105; a report shows 110 (an amend from outside):
    an unheard fill may have gone through at 110, the highest."""
    inv = spot("10000")
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", price=D(105))
    inv.apply(report("new", "0", 2, price="110"))
    assert inv.exposure("USDT").low == D(10000) - D(110)


def test_reports_are_read_in_version_order_not_by_size() -> None:
    """Chain 1 -> 2 -> 3 -> 2, reports of 2 (v2), 3 (v3), 2 (v4): in version order they
    walk the whole chain, so it is answered and the range is back to 2."""
    inv = spot("10000", version=0)
    _chain(inv, "2", "3", "2")
    for v, q in ((2, "2"), (4, "2"), (3, "3")):
        inv.apply(report("new", "0", v, qty=q))
    assert inv.exposure("BTC").high == D(2)


def test_a_report_of_the_start_values_does_not_stop_the_reading() -> None:
    """Chain 1 -> 2 -> 3, reports of 1 (v2, not yet amended), 2 (v3), 3 (v4): answered;
    the timeline alone holds the reserve (free 10,000 - 300)."""
    inv = spot("10000", version=0)
    _chain(inv, "2", "3")
    for v, q in ((2, "1"), (3, "2"), (4, "3")):
        inv.apply(report("new", "0", v, qty=q))
    assert inv.balance("USDT").free == D(9700)


def test_a_snapshot_listing_an_order_dropped_from_history_is_old_news() -> None:
    """A snapshot older than an order's end lists it as open after it left the history."""
    inv = Inventory([BTCUSDT], history=1)
    inv.apply(
        ev.SnapshotTaken(version=0, balances=(ev.BalanceReported("USDT", D(1000), D(1000), 0),))
    )
    for n, v in ((1, 3), (2, 5)):
        inv.submit(f"c{n}", "BTCUSDT", "buy", D(1), D(100))
        inv.apply(report("filled", "1", v, cid=f"c{n}", oid=str(n)))
        inv.apply(fill(f"T{n}", "1", "100", v, cid=f"c{n}", oid=str(n)))
        inv.apply(bal("USDT", str(1000 - 100 * n), str(1000 - 100 * n), v))
        inv.apply(bal("BTC", str(n), str(n), v))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 2, cid="c1", oid="1"),),
        )
    )
    assert inv.balance("USDT").free == D(800)
    assert inv.open_orders() == []


def test_a_snapshot_with_other_values_leaves_the_chain_in_flight() -> None:
    """Buy 1 @ 100, amend to 105 in flight; a snapshot still shows 100: not an answer."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 1))
    inv.amend("c1", price=D(105))
    inv.apply(
        ev.SnapshotTaken(
            version=2,
            balances=(ev.BalanceReported("USDT", D(10000), D(9900), 2),),
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 1),),
        )
    )
    assert inv.balance("USDT").free == D(9895)


def test_a_snapshot_without_balances_settling_a_chain_keeps_its_unheard_rise() -> None:
    """Chain 1 -> 0.8 -> 1 whose 0.8 was never reported; a balance report of v2 caught the
    venue at 0.8 (9920 free); a snapshot of orders only (v3) settles the chain: the rise
    back to 1 stays held until a balance report as new (free 9900, not 9920)."""
    inv = spot("10000", version=0)
    _chain(inv, "0.8", "1")
    inv.apply(bal("USDT", "10000", "9920", 2))
    inv.apply(
        ev.SnapshotTaken(
            version=3,
            balances_complete=False,
            positions_complete=False,
            open_orders=(report("new", "0", 3),),
        )
    )
    assert inv.balance("USDT").free == D(9900)


def test_an_intent_linked_after_fills_reached_its_raised_size_holds_the_raise() -> None:
    """c1 sent 1 @ 100 and raised to 2; a fill of 2 (v3) comes for a venue order not yet
    named; a balance report of v1 (before the raise) and then the v1 report naming c1
    link them: the order ends, and the raise no report showed stays held (free 9800,
    not 9900 above the total)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.amend("c1", quantity=D(2))
    inv.apply(fill("T1", "2", "100", 3, cid=None, oid="X1"))
    inv.apply(bal("USDT", "10000", "9900", 1))
    inv.apply(report("new", "0", 1, cid="c1", oid="X1"))
    o = inv.order("c1")
    assert o is not None and (o.status, o.filled_quantity) == ("filled", D(2))
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D(9800), D(9800))


def test_an_order_ended_with_its_amend_in_flight_keeps_the_lowest_unlock() -> None:
    """Buy 2 @ 100; amended to 104 (reported, v2); amended back to 102 in flight (the
    venue takes it at v3, releasing 4); the balance report of v3; a fill of 2 at v4 ends
    the order. Its unlock stays at the chain's lowest price, 102: at 104 free would read
    4 above the truth (a deep chaos run found this when the unlock was re-priced)."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(2), D(100))
    inv.apply(report("new", "0", 1, qty="2"))
    inv.amend("c1", price=D(104))
    inv.apply(report("new", "0", 2, qty="2", price="104"))
    inv.amend("c1", price=D(102))
    inv.apply(bal("USDT", "10000", "9796", 3))
    inv.apply(fill("T1", "2", "102", 4))
    b = inv.balance("USDT")
    assert (b.total, b.free) == (D(9796), D(9796))


def test_a_report_newer_than_a_fill_reprices_its_unlock_while_the_chain_waits() -> None:
    """Buy 1 @ 100 (v2), amend to 98 in flight; a fill of 0.5 at v4 unlocks at 98 (the
    amend may have come first); a report of v5 still shows 100, so the fill found 100:
    it unlocks 50, and 0.5 left at 100 keeps 50 locked."""
    inv = spot("10000", version=0)
    inv.submit("c1", "BTCUSDT", "buy", D(1), D(100))
    inv.apply(report("new", "0", 2))
    inv.amend("c1", price=D(98))
    inv.apply(fill("T1", "0.5", "98", 4))
    assert inv.balance("USDT").free == D(9900)
    inv.apply(report("partially_filled", "0.5", 5, avg="98"))
    b = inv.balance("USDT")
    assert (b.total, b.free, b.locked) == (D("9951"), D("9901"), D(50))
