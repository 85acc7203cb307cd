"""Binance Spot fast path: it agrees with the careful path, event by event and error by error.

``bs.parse`` reads the hot messages (executionReport, outboundAccountPosition) with exact
type checks and falls back to ``bs._parse_careful`` on any surprise. Here both run on
generated valid messages (where the fast path must also be the one taken) and on mutated
ones: the same events (type and every field, Decimal digits included) or the same
``ParseError`` message. The events' fast builders are checked against their constructors.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import InvalidEvent, ParseError
from core import events as ev
from core.adapters import binance_spot as bs
from core.adapters import fields

D = Decimal


def exact(events: list[Any]) -> list[tuple[Any, ...]]:
    """Events compared field by field, Decimals by their digits (1.0 is not 1.00)."""
    out = []
    for e in events:
        row: list[Any] = [type(e)]
        for a in attrs.fields(type(e)):
            v = getattr(e, a.name)
            row.append((a.name, type(v), v.as_tuple() if type(v) is Decimal else v))
        out.append(tuple(row))
    return out


def outcome(parse: Any, message: Any) -> tuple[str, Any]:
    try:
        return "ok", exact(parse(message))
    except ParseError as e:
        return "error", str(e)


def agree(message: Any) -> tuple[str, Any]:
    """Parse with and without the fast path; they must agree. Returns the outcome."""
    careful = outcome(bs._parse_careful, copy.deepcopy(message))
    fast = outcome(bs.parse, message)
    assert fast == careful, message
    return fast


# --- generated messages ----------------------------------------------------------------------


def plain(d: Decimal) -> str:
    return f"{d:f}"


decimals = st.decimals(min_value=D("0.00000001"), max_value=D(10**9), places=8).map(plain)
ids = st.integers(min_value=0, max_value=2**63) | st.text(min_size=1, max_size=8)
words = st.text(min_size=1, max_size=8)


@st.composite
def execution_reports(draw: st.DrawFn) -> dict[str, Any]:
    quantity = draw(st.decimals(min_value=D("0.00000001"), max_value=D(10**6), places=8))
    filled = draw(st.sampled_from([D(0), quantity, quantity / 2]) | st.just(D("0.5")))
    execution = draw(st.sampled_from(sorted(bs._EXECUTION_TYPES)))
    return {
        "e": "executionReport",
        "E": draw(st.integers(min_value=0, max_value=2**50)),
        "s": draw(st.sampled_from(["BTCUSDT", "ETHBTC"]) | words),
        "c": draw(st.sampled_from(["", "bot-1", "web_abc"]) | st.text(max_size=6)),
        "S": draw(st.sampled_from(["BUY", "SELL"])),
        "o": draw(st.sampled_from(["LIMIT", "MARKET", "STOP_LOSS", "LIMIT_MAKER"])),
        "f": "GTC",
        "q": plain(quantity),
        "p": draw(st.just("0.00000000") | decimals),
        "P": "0.00000000",
        "C": draw(st.sampled_from(["", None, "orig-1"]) | st.text(max_size=4)),
        "x": execution,
        "X": draw(st.sampled_from(sorted(bs._STATUSES))),
        "i": draw(ids),
        "l": draw(decimals),
        "z": plain(filled),
        "L": draw(decimals),
        "n": draw(st.sampled_from(["0", "0.00000000"]) | decimals),
        "N": draw(st.sampled_from([None, "", "BNB", "BTC"])),
        "T": draw(st.integers(min_value=0, max_value=2**50)),
        "t": draw(ids if execution == "TRADE" else st.just(-1)),
        "Z": draw(st.just("0.00000000") | decimals),
    }


@st.composite
def account_positions(draw: st.DrawFn) -> dict[str, Any]:
    balances = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "a": st.sampled_from(["BTC", "USDT", "BNB"]) | st.text(max_size=5),
                    "f": decimals | st.just("0.00000000"),
                    "l": decimals | st.just("0.00000000"),
                }
            ),
            max_size=4,
        )
    )
    return {
        "e": "outboundAccountPosition",
        "E": draw(st.integers(min_value=0, max_value=2**50)),
        "u": draw(st.integers(min_value=0, max_value=2**50)),
        "B": balances,
    }


class Str(str):
    """Not a JSON type: a str subclass must take the careful path like any other surprise."""


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=10**39, max_value=10**41),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            " 1",
            "1 ",
            "NaN",
            "sNaN",
            "Infinity",
            "-1",
            "-0",
            "1e5",
            "1_000",
            "1E-3",
            "abc",
            "123",
            "0",
            "BUY",
            "SELL",
            "TRADE",
            "NEW",
            "MARKET",
            "PENDING_CANCEL",
            "PENDING_NEW",
            "executionReport",
            "9" * 45,
        ]
    ),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
# Inside an event's fields; not as a whole "event" value, where the careful path's own
# isinstance(inner, str) shortcut predates (and is outside) the fast path.
odd_values = json_values | st.sampled_from(["BUY", "TRADE", "1.0", "executionReport"]).map(Str)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    m = draw(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target: dict[str, Any] = m
        listed = m.get("B")
        balances = [b for b in listed if type(b) is dict] if type(listed) is list else []
        pick: bool = draw(st.booleans())
        if balances and pick:
            target = draw(st.sampled_from(balances))
        keys = [*sorted(target), "C", "N", "t"]
        key = draw(st.sampled_from(keys))
        how = draw(st.integers(min_value=0, max_value=5))
        if how == 0:
            target.pop(key, None)
        elif how <= 2 and key in target:
            target[key] = draw(st.sampled_from(near(target[key])))
        else:
            target[key] = draw(odd_values)
    return m


def near(value: Any) -> list[Any]:
    """Values a careless fast path would confuse with ``value``."""
    out: list[Any] = [None, "", [value], Str(str(value)), str(value)]
    if type(value) is str:
        out += [f" {value}", f"{value} ", f"{value}\n", value.lower(), f"{value}x", f"-{value}"]
        try:
            d = Decimal(value)
        except ArithmeticError:
            pass
        else:
            if d.is_finite():
                out += [float(d), f"{d:e}", f"{d.normalize()}", f"+{value}", f"{value}0"]
                if d == d.to_integral_value():
                    out.append(int(d))
    if type(value) is int:
        out += [float(value), -value - 1, value + 10**40, True, f"{value}", f"0{value}"]
    return out


def wrapped(m: dict[str, Any], form: str) -> Any:
    if form == "combined":
        return {"stream": "listenKey", "data": m}
    if form == "wsapi":
        return {"subscriptionId": 0, "event": m}
    return m


forms = st.sampled_from(["plain", "combined", "wsapi"])


# --- the fast path agrees, and is taken --------------------------------------------------


@settings(max_examples=400)
@given(execution_reports(), forms)
def test_valid_execution_reports_agree(m: dict[str, Any], form: str) -> None:
    result = agree(wrapped(m, form))
    if result[0] == "ok":  # the fast path itself produced them, not the fallback
        fast = bs._fast_execution_report(copy.deepcopy(m))
        assert fast is not None
        assert exact(fast) == result[1]


@settings(max_examples=300)
@given(account_positions(), forms)
def test_valid_account_positions_agree(m: dict[str, Any], form: str) -> None:
    result = agree(wrapped(m, form))
    if result[0] == "ok":
        fast = bs._fast_account_position(copy.deepcopy(m))
        assert fast is not None
        assert exact(fast) == result[1]


@settings(max_examples=1500)
@given(mutated(execution_reports()), forms)
def test_mutated_execution_reports_agree(m: dict[str, Any], form: str) -> None:
    agree(wrapped(m, form))


@settings(max_examples=800)
@given(mutated(account_positions()), forms)
def test_mutated_account_positions_agree(m: dict[str, Any], form: str) -> None:
    agree(wrapped(m, form))


@settings(max_examples=200)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "e": odd_values | st.sampled_from(["executionReport", "outboundAccountPosition"]),
            "stream": json_values,
            "data": json_values | execution_reports() | account_positions(),
            "event": json_values | execution_reports() | account_positions(),
        },
    )
)
def test_envelopes_agree(m: dict[str, Any]) -> None:
    agree(m)


def test_bench_stream_takes_the_fast_path() -> None:
    import itertools

    from invsync.bench import SPOT_ACCOUNT, stream

    kinds = set()
    for account, m in itertools.islice(stream(3), 3_000):
        if account != SPOT_ACCOUNT:
            continue
        kinds.add(m.get("x", m["e"]))
        handler = bs._FAST[m["e"]]
        fast = handler(copy.deepcopy(m))
        assert fast is not None
        assert exact(fast) == exact(bs._parse_careful(m))
    assert kinds == {"outboundAccountPosition", "NEW", "TRADE", "CANCELED"}


def test_fresh_decimal_reads_like_the_cache_and_keeps_nothing() -> None:
    fields._CACHE.clear()
    for text in ("1.00", "0.00000000", "-3.5", "12345678901234567890.123456789"):
        got = fields.fresh_decimal(text)
        assert got is not None
        assert got.as_tuple() == D(text).as_tuple()
        assert got.as_tuple() == fields.quick_decimal(text).as_tuple()  # type: ignore[union-attr]
    fields._CACHE.clear()
    fields.fresh_decimal("7.25")
    assert fields._CACHE == {}
    for bad in (" 1", "1 ", "NaN", "sNaN", "-Infinity", "", "x", 1, 1.0, None, Str("1")):
        assert fields.fresh_decimal(bad) is None


def test_fast_events_are_ordinary_frozen_instances() -> None:
    m = {
        "e": "outboundAccountPosition",
        "u": 7,
        "B": [{"a": "BTC", "f": "1.50", "l": "0.25"}],
    }
    (b,) = bs.parse(m)
    assert type(b) is ev.BalanceReported
    assert b == ev.BalanceReported("BTC", D("1.75"), D("1.50"), 7)
    assert hash(b) == hash(ev.BalanceReported("BTC", D("1.75"), D("1.50"), 7))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        b.asset = "ETH"  # type: ignore[misc]
    assert attrs.evolve(b, version=8).version == 8


def test_decimal_cache_is_exact_and_bounded() -> None:
    assert fields.quick_decimal("1.00") == D("1.00")
    assert fields.quick_decimal("1.00").as_tuple() == D("1.00").as_tuple()  # type: ignore[union-attr]
    assert fields.quick_decimal("1.0").as_tuple() == D("1.0").as_tuple()  # type: ignore[union-attr]
    for bad in (" 1", "NaN", "Infinity", "", "x", 1, 1.0, None, Str("1")):
        assert fields.quick_decimal(bad) is None
    for k in range(fields._CACHE_SIZE + 10):
        fields.quick_decimal(f"{k}.5")
    assert len(fields._CACHE) <= fields._CACHE_SIZE


# --- the events' fast builders agree with the constructors ----------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=2**64),
    st.sampled_from(["", "x", "BTC", "buy", "sell", "new", "filled", "spot", "linear", "limit"]),
    st.sampled_from(["market", "triggered", "bogus", "inverse"]),
    st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not d.is_snan()),
    st.sampled_from([D(0), D("-0"), D(1), D("0.5"), D(-1), D("NaN"), D("Infinity")]),
)


def built(make: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", exact([make(*args)])
    except InvalidEvent:
        return "invalid", None


@settings(max_examples=500)
@given(st.lists(anything, min_size=13, max_size=13))
def test_new_order_reported_matches_constructor(args: list[Any]) -> None:
    fast = ev.new_order_reported(*args)
    expected = built(ev.OrderReported, *args)
    assert (("invalid", None) if fast is None else ("ok", exact([fast]))) == expected


@settings(max_examples=500)
@given(
    st.lists(anything, min_size=11, max_size=11),
    st.sampled_from(["BTC", "ETH"]),
    st.sampled_from(["buy", "sell"]),
)
def test_new_fill_reported_matches_constructor(args: list[Any], ident: str, side: str) -> None:
    # Mostly valid ids and side, so the decimal and fee checks are reached often.
    args[0], args[1], args[3], args[4] = ident, ident, ident, side
    fast = ev.new_fill_reported(*args)
    expected = built(ev.FillReported, *args)
    assert (("invalid", None) if fast is None else ("ok", exact([fast]))) == expected


@settings(max_examples=500)
@given(st.lists(anything, min_size=4, max_size=4))
def test_new_balance_reported_matches_constructor(args: list[Any]) -> None:
    fast = ev.new_balance_reported(*args)
    expected = built(ev.BalanceReported, *args)
    assert (("invalid", None) if fast is None else ("ok", exact([fast]))) == expected


def test_new_order_reported_valid_example() -> None:
    args = ("BTCUSDT", "1", None, "buy", "new", D(2), D(100), D(0), None, 5, "spot", "limit", False)
    fast = ev.new_order_reported(*args)
    assert fast is not None
    assert type(fast) is ev.OrderReported
    assert exact([fast]) == exact([ev.OrderReported(*args)])
