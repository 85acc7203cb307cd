"""Focused examples for the amend timeline and the reserve of spot orders (mutation gaps).

Each pins a value computed by hand through the public surface: the bot's own amends (what
an amend in flight reserves, for buys and sells, partly filled orders, two orders at once,
its refusal and the pending-change count behind retirement), the refusal messages of
``amend``/``AmendFailed``, the reports' runs of (quantity, price) and how each amend is
split and dated (release at the window's start, increase at its end, sells at a price
below one, fills in between), a conditional order triggered under its own id (its
reserve re-dated by an earlier live report, amended before or after), and a market order
that carries a price.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import InvalidEvent, Inventory
from core import events as ev
from core.views import Balance
from tests.core.builders import BTCUSDT, ETHBTC, bal, fill, report, spot

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


# --- conditional orders triggered under their own id (Bybit) ----------------------------


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
