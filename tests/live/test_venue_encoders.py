"""Venue encoders round-trip through the shipped adapters: rendered payloads parse back to
the exchange model's own events.

For each venue (Binance USD-M, Bybit v5, OKX v5) a derivative account is driven through
``models.exchange.ExchangeModel`` — orders placed, partly and fully filled, amended,
canceled and expired; a position opened, flipped and closed; funding; a deposit; a
liquidation; fee-less early fills where the venue has them — and every batch the model
emits is rendered by the venue's encoder, serialised to JSON and parsed back with
``core.adapters.<venue>.parse``. The parsed events must equal the model's events, as
multisets per batch. REST bodies are checked the same way through ``parse_snapshot`` and
the order-query parser.

Equality is exact except for what the venue's format cannot carry, stated here per venue
and independently of the encoders (``_usdm_expected`` etc.): numeric ids on Binance
(``X12`` is order 12), the venue's own words for cash-change reasons, ids the venue does
not send, the instrument kind OKX rows do not name. Every such loss is listed in the
venue's spec section "Live edge".
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from core import events as ev
from core.adapters import binance_usdm, bybit, okx
from core.instrument import Instrument
from invsync.live.venues.binance_usdm import encode as usdm_encode
from invsync.live.venues.bybit import encode as bybit_encode
from invsync.live.venues.okx import encode as okx_encode
from invsync.live.venues.wire import Clock, EncodeError
from models.exchange import ExchangeModel, Rejection

D = Decimal
Batch = list[tuple[str, ev.Event]]


def _json(message: Any) -> Any:
    """What a client decodes: the payload as JSON text and back (no Python objects survive)."""
    return json.loads(json.dumps(message))


# --- the account's life, driven through the model -------------------------------------


def scripted(
    model: ExchangeModel,
    symbol: str,
    q: Callable[[str], Decimal],
    expires: bool = True,
    early: bool = True,
) -> Iterator[Batch]:
    """One batch per model action: the kinds a derivative account sees, each at least once.

    ``q`` scales a quantity into the venue's unit (contracts on OKX).
    """

    def step(result: object) -> Batch:
        assert not isinstance(result, Rejection), result
        return model.take_emitted()

    fee = D("0.0004")
    yield step(model.submit("c1", symbol, "buy", q("2"), D("100")))
    yield step(model.fill("c1", q("0.5"), fee_rate=fee))  # open long, partial
    yield step(model.fill("c1", q("0.5"), D("99.5"), fee_rate=fee, fast=early))  # early copy
    yield step(model.amend("c1", quantity=q("1.5")))  # quantity down
    yield step(model.amend("c1", price=D("101")))  # price up
    yield step(model.fill("c1", fee_rate=fee))  # rest: filled
    yield step(model.submit("c2", symbol, "sell", q("3"), D("110")))
    yield step(model.fill("c2", fee_rate=fee))  # flip: long 1.5 -> short 1.5
    yield step(model.funding(symbol, D("-1.25")))  # paid
    yield step(model.funding(symbol, D("0.5")))  # received
    yield step(model.deposit(model.instruments[symbol].settle, D("50")))
    yield step(model.submit("c3", symbol, "buy", q("1"), D("90")))
    yield step(model.cancel("c3"))
    yield step(model.submit("c4", symbol, "buy", q("1"), None))  # market
    yield step(model.fill("c4", price=D("105"), fee_rate=fee))  # partial close of the short
    yield step(model.submit("c5", symbol, "sell", q("1"), D("120")))
    yield step(model.set_price(symbol, D("121")))  # crosses: fills c5, short again
    yield step(model.liquidate(symbol, q("5"), D("130")))  # closes the short
    yield step(model.submit("c6", symbol, "buy", q("1"), D("80")))
    # Bybit and OKX end an unfilled time-in-force rest as canceled: they have no "expired".
    yield step(model.expire("c6") if expires else model.cancel("c6"))
    yield step(model.submit("c7", symbol, "buy", q("1"), D("95")))  # stays open


def seeded(
    model: ExchangeModel,
    symbol: str,
    q: Callable[[str], Decimal],
    seed: int,
    steps: int,
    early: bool = True,
) -> Iterator[Batch]:
    """A seeded random walk of the same actions (refusals skipped)."""
    rng = random.Random(seed)
    n = 0
    for _ in range(steps):
        live = [o.client_order_id for o in model.open_orders() if o.client_order_id]
        pick = rng.random()
        price = D(rng.randint(90, 110))
        if pick < 0.3 or not live:
            n += 1
            side = rng.choice(("buy", "sell"))
            limit = None if rng.random() < 0.2 else price
            result: object = model.submit(
                f"s{seed}-{n}", symbol, side, q(str(rng.randint(1, 4))), limit
            )
        elif pick < 0.55:
            key = rng.choice(live)
            o = model.order(key)
            assert o is not None
            part = None if rng.random() < 0.5 else max(q("0.5"), o.remaining / 2)
            fill_price = o.price if o.price is not None else price
            result = model.fill(
                key, part, fill_price, fee_rate=D("0.0005"), fast=early and rng.random() < 0.3
            )
        elif pick < 0.65:
            result = model.cancel(rng.choice(live))
        elif pick < 0.72:
            key = rng.choice(live)
            o = model.order(key)
            assert o is not None
            result = model.amend(key, quantity=o.quantity + q("1"))
        elif pick < 0.8:
            result = model.funding(symbol, D(rng.choice(("-0.75", "0.25", "1.5"))))
        elif pick < 0.85:
            result = model.liquidate(symbol, q("1"), price)
        else:
            result = model.set_price(symbol, price)
        if isinstance(result, Rejection):
            assert not model.take_emitted()
            continue
        yield model.take_emitted()


# --- per venue: the model's events as the venue's format can carry them --------------------


def _digits(model_id: str) -> str:
    return model_id[1:]


def _usdm_expected(e: ev.Event, in_snapshot: bool = False) -> ev.Event:
    """USD-M: numeric ids; ACCOUNT_UPDATE reasons; no cash-change id; userTrades rows carry no
    client id and no liquidation flag."""
    if isinstance(e, ev.OrderReported):
        return attrs.evolve(e, order_id=_digits(e.order_id))
    if isinstance(e, ev.FillReported):
        f = attrs.evolve(e, order_id=_digits(e.order_id), trade_id=_digits(e.trade_id))
        if in_snapshot:
            f = attrs.evolve(f, client_order_id=None, liquidation=False)
        return f
    if isinstance(e, ev.CashChanged):
        reason = {"funding": "FUNDING_FEE", "deposit": "DEPOSIT", "withdrawal": "WITHDRAW"}
        return attrs.evolve(e, reason=reason[e.reason], change_id=None)
    if isinstance(e, ev.SnapshotTaken):
        return attrs.evolve(
            e,
            open_orders=tuple(_usdm_expected(o) for o in e.open_orders),  # type: ignore[misc]
            trades=tuple(_usdm_expected(t, True) for t in e.trades),  # type: ignore[misc]
        )
    return e


def _bybit_expected(e: ev.Event, in_snapshot: bool = False) -> ev.Event | None:
    """Bybit: a deposit or withdrawal has no push of its own (only the wallet push shows
    it); the venue names a funding payment by its own execution id; execution-list rows
    carry no realised PnL."""
    if isinstance(e, ev.CashChanged):
        return attrs.evolve(e, change_id=None) if e.reason == "funding" else None
    if isinstance(e, ev.FillReported) and in_snapshot:
        return attrs.evolve(e, realized_pnl=None)
    if isinstance(e, ev.SnapshotTaken):
        return attrs.evolve(e, trades=tuple(attrs.evolve(t, realized_pnl=None) for t in e.trades))
    return e


def _sizes_aside(e: ev.Event) -> ev.Event:
    """A fill's order size as the venue prints it beside the fill (USD-M ``q``, Bybit
    ``orderQty``) is more than the model's fill event says: set aside."""
    if isinstance(e, ev.FillReported):
        return attrs.evolve(e, order_quantity=None, leaves_quantity=None)
    return e


def _usdm_parsed(e: ev.Event) -> ev.Event:
    """ACCOUNT_UPDATE has no available amount (its ``cw`` is the cross wallet): the free
    part of a pushed balance is compared nowhere (the REST snapshot's is)."""
    e = _sizes_aside(e)
    if isinstance(e, ev.BalanceReported):
        return attrs.evolve(e, free=None)
    return e


def _bybit_parsed(e: ev.Event) -> ev.Event:
    """The venue-assigned funding id, checked for uniqueness apart, is set aside."""
    e = _sizes_aside(e)
    if isinstance(e, ev.CashChanged):
        return attrs.evolve(e, change_id=None)
    return e


def _okx_expected(e: ev.Event) -> ev.Event | None:
    """OKX: rows say SWAP, not linear or inverse (kind None); cash changes are not pushed
    (only the balance they produced is; bills carry the delta, tested apart)."""
    if isinstance(e, ev.CashChanged):
        return None
    if isinstance(e, ev.OrderReported | ev.FillReported | ev.PositionReported):
        return attrs.evolve(e, kind=None)
    if isinstance(e, ev.SnapshotTaken):
        return attrs.evolve(
            e,
            positions=tuple(attrs.evolve(p, kind=None) for p in e.positions),
            open_orders=tuple(attrs.evolve(o, kind=None) for o in e.open_orders),
            # /trade/fills rows have no category: a liquidation shows only by a negative
            # trade id, which the model's ids are not.
            trades=tuple(attrs.evolve(t, kind=None, liquidation=False) for t in e.trades),
        )
    return e


@attrs.frozen
class Venue:
    """What the round trip needs of one venue."""

    name: str
    instrument: Instrument
    unit: Decimal  # contract size: q("1") is one base unit's worth of contracts
    parse: Callable[[Any], list[ev.Event]]
    expected: Callable[[ev.Event], ev.Event | None]
    stream: Callable[[list[Instrument]], Any]
    parsed: Callable[[ev.Event], ev.Event] = _sizes_aside
    expires: bool = True
    early: bool = True  # the venue has a fee-less early fill message
    model_options: dict[str, Any] = attrs.field(factory=dict)

    def q(self, base: str) -> Decimal:
        return D(base) / self.unit


USDM = Venue(
    name="binance_usdm",
    instrument=Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT"),
    unit=D(1),
    parse=binance_usdm.parse,
    expected=_usdm_expected,
    stream=lambda _: usdm_encode.StreamEncoder(),
    parsed=_usdm_parsed,
)

BYBIT = Venue(
    name="bybit",
    instrument=Instrument(symbol="BTCUSDT", kind="linear", base="BTC", quote="USDT"),
    unit=D(1),
    parse=bybit.parse,
    expected=_bybit_expected,
    stream=bybit_encode.StreamEncoder,
    parsed=_bybit_parsed,
    expires=False,
)

BYBIT_INVERSE = Venue(
    name="bybit_inverse",
    instrument=Instrument(symbol="BTCUSD", kind="inverse", base="BTC", quote="USD"),
    unit=D("0.01"),  # USD contracts: q("1") is 100 contracts
    parse=bybit.parse,
    expected=_bybit_expected,
    stream=bybit_encode.StreamEncoder,
    parsed=_bybit_parsed,
    expires=False,
)

OKX_SWAP = Instrument(
    symbol="BTC-USDT-SWAP", kind="linear", base="BTC", quote="USDT", contract_size=D("0.01")
)

OKX = Venue(
    name="okx",
    instrument=OKX_SWAP,
    unit=D("0.01"),
    parse=okx.parse,
    expected=_okx_expected,
    stream=okx_encode.StreamEncoder,
    expires=False,
    early=False,
)

# balance_and_position style: every fill's balance and position reports name the trade,
# one version below it, and balances come without free (that channel has no availBal).
OKX_BP = attrs.evolve(
    OKX, name="okx_balance_and_position", model_options={"okx_reports": 1.0, "free_none": 1.0}
)

VENUES = [USDM, BYBIT, BYBIT_INVERSE, OKX, OKX_BP]


def _model(venue: Venue) -> ExchangeModel:
    return ExchangeModel(
        [venue.instrument],
        {venue.instrument.settle: D("10000") if venue.instrument.kind == "linear" else D("50")},
        prices={venue.instrument.symbol: D("100")},
        **venue.model_options,
    )


def _round_trip(venue: Venue, encoder: Any, batch: Batch) -> None:
    messages = encoder.encode(batch)
    parsed = [venue.parsed(e) for m in messages for e in venue.parse(_json(m))]
    want = [venue.parsed(x) for _, e in batch if (x := venue.expected(e)) is not None]
    assert Counter(parsed) == Counter(want), (
        f"{venue.name}: batch {[type(e).__name__ for _, e in batch]}\n"
        f"parsed   {parsed}\nexpected {want}\nmessages {messages}"
    )


@pytest.mark.parametrize("venue", VENUES, ids=lambda v: v.name)
def test_every_event_of_a_derivative_account_parses_back_from_the_venue_payloads(
    venue: Venue,
) -> None:
    model = _model(venue)
    encoder = venue.stream([venue.instrument])
    kinds: Counter[str] = Counter()
    for batch in scripted(model, venue.instrument.symbol, venue.q, venue.expires, venue.early):
        _round_trip(venue, encoder, batch)
        kinds.update(type(e).__name__ for _, e in batch)
        kinds.update("liquidation" for _, e in batch if getattr(e, "liquidation", False))
        kinds.update(
            "early fill" for _, e in batch if isinstance(e, ev.FillReported) and e.fee is None
        )
    # The script reached every kind it is there for.
    assert {"OrderReported", "FillReported", "BalanceReported", "PositionReported"} <= set(kinds)
    assert kinds["CashChanged"] >= 3 and kinds["liquidation"] >= 1
    positions = [e for e in model.trades]
    assert any(t.realized_pnl for t in positions)  # a close realised PnL


@pytest.mark.parametrize("venue", VENUES, ids=lambda v: v.name)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_walks_parse_back_from_the_venue_payloads(venue: Venue, seed: int) -> None:
    model = _model(venue)
    encoder = venue.stream([venue.instrument])
    for batch in seeded(model, venue.instrument.symbol, venue.q, seed, 80, venue.early):
        try:
            _round_trip(venue, encoder, batch)
        except AssertionError as e:
            raise AssertionError(f"seed {seed}: {e}") from None


# --- REST -----------------------------------------------------------------------------------


def test_usdm_snapshot_bodies_parse_back_to_the_model_snapshot() -> None:
    model = _model(USDM)
    for _ in scripted(model, "BTCUSDT", USDM.q):
        pass
    snap = model.snapshot()
    assert snap.open_orders and snap.trades and any(p.quantity for p in snap.positions) is False
    bodies = _json(usdm_encode.snapshot_bodies(snap))
    assert binance_usdm.parse_snapshot(**bodies) == [_usdm_expected(snap)]


def test_usdm_snapshot_with_an_open_position_parses_back() -> None:
    model = _model(USDM)
    model.submit("o1", "BTCUSDT", "buy", D("2"), D("100"))
    model.fill("o1", D("0.75"), fee_rate=D("0.0004"))
    snap = model.snapshot()
    assert snap.positions[0].quantity == D("0.75")
    bodies = _json(usdm_encode.snapshot_bodies(snap))
    assert binance_usdm.parse_snapshot(**bodies) == [_usdm_expected(snap)]


def test_usdm_order_query_answers_parse_back() -> None:
    model = _model(USDM)
    model.submit("q1", "BTCUSDT", "sell", D("1"), D("105"))
    model.fill("q1", D("0.25"))
    report = model.query_order(client_order_id="q1")
    assert isinstance(report, ev.OrderReported)
    body = _json(usdm_encode.rest_order(report, Clock()))
    assert binance_usdm.parse_order(body) == [_usdm_expected(report)]
    missing = model.query_order(client_order_id="nope")
    assert isinstance(missing, ev.OrderNotFound)
    answer = binance_usdm.parse_error(_json(usdm_encode.order_not_found()), "nope")
    assert answer == [missing]


def test_usdm_refuses_what_it_cannot_render() -> None:
    encoder = usdm_encode.StreamEncoder()
    rejected = ev.OrderReported(
        "BTCUSDT", "X1", "c", "buy", "rejected", D(1), D(100), D(0), None, 1, "linear"
    )
    with pytest.raises(EncodeError, match="-5022"):
        encoder.encode([rejected])
    lonely_fill = ev.FillReported(
        "BTCUSDT", "X1", "c", "T1", "buy", D(1), D(100), D(0), "USDT", 2, "linear"
    )
    with pytest.raises(EncodeError, match="order's report"):
        encoder.encode([lonely_fill])


def _trades_sizes_aside(events: list[ev.Event]) -> list[ev.Event]:
    out: list[ev.Event] = []
    for e in events:
        if isinstance(e, ev.SnapshotTaken):
            trades = tuple(
                attrs.evolve(t, order_quantity=None, leaves_quantity=None) for t in e.trades
            )
            out.append(attrs.evolve(e, trades=trades))
        else:
            out.append(e)
    return out


def test_bybit_snapshot_bodies_parse_back_to_the_model_snapshot() -> None:
    for venue in (BYBIT, BYBIT_INVERSE):
        model = _model(venue)
        batches = list(
            scripted(model, venue.instrument.symbol, venue.q, venue.expires, venue.early)
        )
        assert batches
        for snap in (model.snapshot(),):
            bodies = _json(bybit_encode.snapshot_bodies(snap, [venue.instrument.kind]))
            parsed = _trades_sizes_aside(bybit.parse_snapshot(**bodies))
            assert parsed == [_bybit_expected(snap)], venue.name


def test_bybit_snapshot_with_an_open_position_parses_back() -> None:
    model = _model(BYBIT)
    model.submit("o1", "BTCUSDT", "sell", D("2"), D("100"))
    model.fill("o1", D("0.75"), fee_rate=D("0.0004"))
    snap = model.snapshot()
    assert snap.positions[0].quantity == D("-0.75")
    bodies = _json(bybit_encode.snapshot_bodies(snap, ["linear"]))
    assert _trades_sizes_aside(bybit.parse_snapshot(**bodies)) == [_bybit_expected(snap)]


def test_bybit_order_query_answers_parse_back() -> None:
    model = _model(BYBIT)
    model.submit("q1", "BTCUSDT", "sell", D("1"), D("105"))
    model.fill("q1", D("0.25"))
    report = model.query_order(client_order_id="q1")
    assert isinstance(report, ev.OrderReported)
    body = _json(bybit_encode.order_query_body(report, "linear", 99, Clock()))
    assert bybit.parse_order(body, client_order_id="q1") == [report]
    missing = model.query_order(client_order_id="nope")
    assert isinstance(missing, ev.OrderNotFound)
    body = _json(bybit_encode.order_query_body(missing, "linear", 99, Clock()))
    assert bybit.parse_order(body, client_order_id="nope") == [missing]


def test_bybit_funding_payments_get_distinct_execution_ids() -> None:
    model = _model(BYBIT)
    encoder = bybit_encode.StreamEncoder([BYBIT.instrument])
    ids = []
    for amount in ("-1", "-1", "2"):
        model.funding("BTCUSDT", D(amount))
        for m in encoder.encode(model.take_emitted()):
            ids += [e.change_id for e in bybit.parse(_json(m)) if isinstance(e, ev.CashChanged)]
    assert len(ids) == 3 and len(set(ids)) == 3 and None not in ids


def test_okx_snapshot_bodies_parse_back_to_the_model_snapshot() -> None:
    model = _model(OKX)
    for _ in scripted(model, OKX_SWAP.symbol, OKX.q, expires=False, early=False):
        pass
    snaps = [model.snapshot()]
    model.submit("o1", OKX_SWAP.symbol, "buy", OKX.q("2"), D("100"))
    model.fill("o1", OKX.q("0.75"), fee_rate=D("0.0004"))
    snaps.append(model.snapshot())
    assert snaps[1].positions[0].quantity == OKX.q("0.75")
    for snap in snaps:
        bodies = _json(okx_encode.snapshot_bodies(snap, [OKX_SWAP]))
        assert okx.parse_snapshot(**bodies) == [_okx_expected(snap)]


def test_okx_order_query_answers_parse_back() -> None:
    model = _model(OKX)
    model.submit("q1", OKX_SWAP.symbol, "sell", OKX.q("1"), D("105"))
    model.fill("q1", OKX.q("0.25"))
    report = model.query_order(client_order_id="q1")
    assert isinstance(report, ev.OrderReported)
    body = _json(okx_encode.order_query_body(report, [OKX_SWAP]))
    assert okx.parse_order(body, client_order_id="q1") == [_okx_expected(report)]
    missing = model.query_order(client_order_id="nope")
    assert isinstance(missing, ev.OrderNotFound)
    body = _json(okx_encode.order_query_body(missing, [OKX_SWAP]))
    assert okx.parse_order(body, client_order_id="nope") == [missing]


def test_okx_cash_changes_parse_back_from_the_bills_body() -> None:
    model = _model(OKX)
    encoder = okx_encode.StreamEncoder([OKX_SWAP])
    model.funding(OKX_SWAP.symbol, D("-1.25"))
    model.funding(OKX_SWAP.symbol, D("0.5"))
    model.deposit("USDT", D("50"))
    model.withdraw("USDT", D("20"))
    encoder.encode(model.take_emitted())
    parsed = [
        c
        for c in okx.parse_bills(_json(okx_encode.bills_body(encoder.bills, [OKX_SWAP])))
        if isinstance(c, ev.CashChanged)
    ]
    # The bill's (type, subType) as the OKX docs name them: 8/173 funding expense,
    # 8/174 income, 1/11 transfer in, 1/12 transfer out.
    words = {
        ("funding", False): "okx bill type 8 subType 173",
        ("funding", True): "okx bill type 8 subType 174",
        ("deposit", True): "okx bill type 1 subType 11",
        ("withdrawal", False): "okx bill type 1 subType 12",
    }
    want = [
        attrs.evolve(c.report(), reason=words[(c.reason, c.total_delta > 0)], change_id=None)
        for c in model.cash
    ]
    assert [attrs.evolve(c, change_id=None) for c in parsed] == want
    ids = [c.change_id for c in parsed]
    assert len(set(ids)) == 4
    assert ids[2:] == [c.change_id for c in model.cash[2:]]  # the venue's own ids kept
