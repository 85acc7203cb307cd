"""Binance USD-M fast path: it agrees with the careful path, event by event and error by error.

``usdm.parse`` reads the hot messages (ORDER_TRADE_UPDATE, TRADE_LITE, ACCOUNT_UPDATE) with
exact type checks and falls back to ``usdm._parse_careful`` on any surprise. Here both run
on every doc fixture, on the benchmark's stream, on generated valid messages (where the
fast path must also be the one taken) and on mutated ones: the same events (type and every
field, Decimal digits included) or the same ``ParseError`` message.
"""

from __future__ import annotations

import copy
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import events as ev
from core.adapters import binance_usdm as usdm
from tests.adapters.test_binance_spot_fastpath import exact, json_values, near, odd_values, outcome

D = Decimal
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "binance_usdm"
STREAM_FIXTURES = sorted(
    p.name for p in FIXTURES.glob("*.json") if not p.name.startswith(("rest_", "error_"))
)


def agree(message: Any) -> tuple[str, Any]:
    """Parse with and without the fast path; they must agree. Returns the outcome."""
    careful = outcome(usdm._parse_careful, copy.deepcopy(message))
    fast = outcome(usdm.parse, message)
    assert fast == careful, message
    return fast


def taken(message: dict[str, Any]) -> list[Any] | None:
    """What the fast handler of the message's kind makes of it (None: it defers)."""
    return usdm._FAST[message["e"]](copy.deepcopy(message))


def one_way(message: Any) -> Any:
    """A doc sample MODIFIED to one-way mode wherever it names a position side."""
    m = copy.deepcopy(message)
    for row in [m.get("o"), *(m.get("a", {}).get("P") or [])]:
        if isinstance(row, dict) and "ps" in row:
            row["ps"] = "BOTH"
    return m


# --- every fixture ------------------------------------------------------------------------


@pytest.mark.parametrize("name", STREAM_FIXTURES)
def test_every_stream_fixture_agrees(name: str) -> None:
    message = json.loads((FIXTURES / name).read_text())
    agree(message)
    agree(one_way(message))
    agree({"stream": "listenKey", "data": one_way(message)})


def test_one_way_fixtures_take_the_fast_path() -> None:
    seen = set()
    for name in STREAM_FIXTURES:
        message = one_way(json.loads((FIXTURES / name).read_text()))
        if message.get("e") not in usdm._FAST:
            continue
        fast = taken(message)
        assert fast is not None, name
        assert exact(fast) == exact(usdm._parse_careful(message)), name
        seen.add(message["e"])
    assert seen == set(usdm._FAST)


def test_bench_stream_takes_the_fast_path() -> None:
    from invsync.bench import PERP_ACCOUNT, stream

    kinds = set()
    for account, m in itertools.islice(stream(5), 3_000):
        if account != PERP_ACCOUNT:
            continue
        kinds.add(m["o"]["x"] if m["e"] == "ORDER_TRADE_UPDATE" else m["e"])
        fast = taken(m)
        assert fast is not None, m
        assert exact(fast) == exact(usdm._parse_careful(m))
    assert kinds == {"ACCOUNT_UPDATE", "TRADE_LITE", "NEW", "TRADE", "CANCELED"}


# --- generated messages --------------------------------------------------------------------

decimals = st.decimals(min_value=D("0.001"), max_value=D(10**7), places=3).map(
    lambda d: f"{d.normalize():f}"
)
signed = st.decimals(min_value=D(-(10**6)), max_value=D(10**6), places=4).map(lambda d: f"{d:f}")
ids = st.integers(min_value=0, max_value=2**63) | st.text(min_size=1, max_size=8)
times = st.integers(min_value=0, max_value=2**50)
client_ids = st.sampled_from(["", "bot-1", "autoclose-123", "adl_autoclose", "x"]) | st.none()


@st.composite
def order_trade_updates(draw: st.DrawFn) -> dict[str, Any]:
    quantity = draw(st.decimals(min_value=D("0.001"), max_value=D(10**4), places=3))
    filled = draw(st.sampled_from([D(0), quantity, quantity / 2, quantity * 2]))
    execution = draw(st.sampled_from(sorted(usdm._EXECUTION_TYPES)))
    t = draw(times)
    order: dict[str, Any] = {
        "s": draw(st.sampled_from(["BTCUSDT", "ETHUSDT"])),
        "c": draw(client_ids),
        "S": draw(st.sampled_from(["BUY", "SELL"])),
        "o": draw(st.sampled_from(["LIMIT", "MARKET", "STOP", "TAKE_PROFIT_MARKET"])),
        "f": "GTC",
        "q": f"{quantity.normalize():f}",
        "p": draw(st.just("0") | decimals),
        "ap": draw(st.just("0") | decimals),
        "sp": "0",
        "x": execution,
        "X": draw(st.sampled_from(sorted(usdm._ORDER_STATUS))),
        "i": draw(ids),
        "l": draw(st.just("0") | decimals),
        "z": f"{filled.normalize():f}",
        "L": draw(st.just("0") | decimals),
        "N": draw(st.sampled_from([None, "", "USDT", "BNB"])),
        "n": draw(st.sampled_from([None, "", "0", "-0.01"]) | decimals),
        "T": t,
        "t": draw(ids),
        "m": False,
        "R": False,
        "ps": "BOTH",
        "cp": draw(st.booleans()),
        "rp": draw(st.sampled_from([None, "0"]) | signed),
    }
    for key in draw(st.lists(st.sampled_from(["c", "N", "n", "rp"]), max_size=2)):
        order.pop(key, None)
    return {"e": "ORDER_TRADE_UPDATE", "E": t + 1, "T": t, "o": order}


@st.composite
def trade_lites(draw: st.DrawFn) -> dict[str, Any]:
    t = draw(times)
    m = {
        "e": "TRADE_LITE",
        "E": t + 1,
        "T": t,
        "s": draw(st.sampled_from(["BTCUSDT", "ETHUSDT"])),
        "q": draw(st.sampled_from([None, "", "0"]) | decimals),
        "p": "0",
        "m": True,
        "c": draw(client_ids),
        "S": draw(st.sampled_from(["BUY", "SELL"])),
        "L": draw(decimals),
        "l": draw(decimals),
        "t": draw(ids),
        "i": draw(ids),
    }
    if draw(st.booleans()):
        del m["q"]
    return m


@st.composite
def account_updates(draw: st.DrawFn) -> dict[str, Any]:
    t = draw(times)
    balances = draw(
        st.lists(
            st.fixed_dictionaries(
                {"a": st.sampled_from(["USDT", "BNB"]), "wb": signed, "cw": signed},
                optional={"bc": st.sampled_from([None, "", "0", "0.0"]) | signed},
            ),
            max_size=3,
        )
    )
    positions = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "s": st.sampled_from(["BTCUSDT", "ETHUSDT"]),
                    "pa": signed,
                    "ep": st.just("0") | decimals,
                    "cr": st.just("0"),
                    "up": st.just("0"),
                    "mt": st.just("cross"),
                    "iw": st.just("0"),
                    "ps": st.just("BOTH"),
                }
            ),
            max_size=3,
        )
    )
    a: dict[str, Any] = {
        "m": draw(st.sampled_from(["ORDER", "FUNDING_FEE", "DEPOSIT", "MARGIN_TYPE_CHANGE"])),
        "B": balances,
        "P": positions,
    }
    for key in draw(st.lists(st.sampled_from(["B", "P"]), max_size=2)):
        a[key] = None if draw(st.booleans()) else a.pop(key)
    return {"e": "ACCOUNT_UPDATE", "E": t + 1, "T": t, "a": a}


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A message with one to three values replaced, nested rows included, or keys dropped."""
    m = draw(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        targets: list[dict[str, Any]] = [m]
        for inner in (m.get("o"), m.get("a")):
            if type(inner) is dict:
                targets.append(inner)
                for key in ("B", "P"):
                    rows = inner.get(key)
                    if type(rows) is list:
                        targets += [r for r in rows if type(r) is dict]
        target = draw(st.sampled_from(targets))
        key = draw(st.sampled_from([*sorted(target), "c", "N", "n", "rp", "q", "bc"]))
        how = draw(st.integers(min_value=0, max_value=5))
        if how == 0:
            target.pop(key, None)
        elif how <= 2 and key in target:
            target[key] = draw(st.sampled_from(near(target[key])))
        else:
            target[key] = draw(odd_values)
    return m


messages = order_trade_updates() | trade_lites() | account_updates()


@settings(max_examples=300)
@given(messages)
def test_valid_messages_agree_and_take_the_fast_path(m: dict[str, Any]) -> None:
    result = agree(m)
    if result[0] == "ok":
        fast = taken(m)
        # Deferred only where the careful path reads more: a close-position order's "cp".
        if fast is None:
            assert m["e"] == "ORDER_TRADE_UPDATE" and D(m["o"]["q"]) == 0, m
        else:
            assert exact(fast) == result[1]


@settings(max_examples=600)
@given(mutated(messages), st.booleans())
def test_mutated_messages_agree(m: dict[str, Any], combined: bool) -> None:
    agree({"stream": "listenKey", "data": m} if combined else m)


@settings(max_examples=150)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "e": odd_values | st.sampled_from(sorted(usdm._FAST)),
            "stream": json_values,
            "data": json_values | messages,
            "id": json_values,
            "result": json_values,
        },
    )
)
def test_envelopes_agree(m: dict[str, Any]) -> None:
    agree(m)


# --- the unchecked builders agree with the constructors ------------------------------------


def test_unchecked_fill_reported_sets_every_field() -> None:
    args = ("BTCUSDT", "1", "c", "7", "buy", D("0.5"), D(100), None, None, 9, "linear")
    fast = ev.unchecked_fill_reported(*args, D("-1.5"), True, D(2))
    slow = ev.FillReported(*args, realized_pnl=D("-1.5"), liquidation=True, order_quantity=D(2))
    assert type(fast) is ev.FillReported
    assert exact([fast]) == exact([slow])
    assert fast == slow and hash(fast) == hash(slow)


@settings(max_examples=200)
@given(
    st.sampled_from(["BTCUSDT", "x"]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=2**63),
    st.sampled_from([None, "linear", "inverse"]),
)
def test_unchecked_position_reported_is_the_constructors_event(
    symbol: str, quantity: Decimal, entry: Decimal, version: int, kind: str | None
) -> None:
    fast = ev.unchecked_position_reported(symbol, quantity, entry, version, kind)
    slow = ev.PositionReported(symbol, quantity, entry, version, kind)
    assert type(fast) is ev.PositionReported
    assert exact([fast]) == exact([slow])
    assert fast == slow and hash(fast) == hash(slow)
