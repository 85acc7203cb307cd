"""Which venue answers leave a mutation's outcome unknown (query it, never mark it failed).

Per venue, from its own error-code documentation (sources in spec/venues/<venue>.md, "Live
edge"): the runner's check (``records.outcome_unknown``, which decides whether a cancel
or amend is settled by a later query) and the journal codec (which turns the answer into
``SubmissionTimedOut`` or a definite refusal) must agree, answer by answer. The expected
verdicts are written out here from the docs, not read from the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core import events as ev
from invsync.live.records import CODECS, Row, codec_for, outcome_unknown


def _okx(code: str, s_code: str | None = None) -> dict[str, Any]:
    data = [] if s_code is None else [{"clOrdId": "c1", "sCode": s_code, "sMsg": "m"}]
    return {"code": code, "msg": "m", "data": data}


# (codec, HTTP status as the client reports it, body or None, unknown?)
CASES: list[tuple[str, int, Any, bool]] = [
    # No answer, 5xx: unknown at every venue; our own negative statuses never are.
    *[(c, 0, None, True) for c in ("binance_spot", "binance_usdm", "bybit", "okx", "ccxt")],
    *[(c, 503, None, True) for c in ("binance_spot", "binance_usdm", "bybit", "okx", "ccxt")],
    *[(c, -1, None, False) for c in ("binance_spot", "binance_usdm", "bybit", "okx", "ccxt")],
    *[(c, -2, None, False) for c in ("binance_spot", "binance_usdm", "bybit", "okx", "ccxt")],
    # Binance spot and USD-M: -1006 UNEXPECTED_RESP, -1007 TIMEOUT "execution status unknown".
    ("binance_spot", 400, {"code": -1006, "msg": "m"}, True),
    ("binance_spot", 400, {"code": -1007, "msg": "m"}, True),
    ("binance_spot", 400, {"code": -2010, "msg": "m"}, False),
    ("binance_spot", 400, {"code": -1008, "msg": "m"}, False),
    ("binance_usdm", 400, {"code": -1006, "msg": "m"}, True),
    ("binance_usdm", 408, {"code": -1007, "msg": "m"}, True),
    ("binance_usdm", 400, {"code": -2011, "msg": "m"}, False),
    ("binance_usdm", 400, {"code": -1022, "msg": "m"}, False),
    # Bybit v5: 10000 "Server Timeout", 10016 "Server error"; a refusal otherwise.
    ("bybit", 400, {"retCode": 10000, "retMsg": "m"}, True),
    ("bybit", 503, {"retCode": 10016, "retMsg": "m"}, True),
    ("bybit", 400, {"retCode": 10016, "retMsg": "m"}, True),
    ("bybit", 400, {"retCode": 110001, "retMsg": "m"}, False),
    ("bybit", 429, {"retCode": 10006, "retMsg": "m"}, False),
    ("bybit", 400, {"retCode": 10004, "retMsg": "m"}, False),
    # OKX v5: 50001 unavailable, 50004 endpoint timeout, 50013 busy, 50026 system error,
    # 51149 order timed out (top-level code, or an item's sCode under code "1").
    ("okx", 400, _okx("50004"), True),
    ("okx", 400, _okx("50013"), True),
    ("okx", 400, _okx("50026"), True),
    ("okx", 400, _okx("50001"), True),
    ("okx", 400, _okx("1", "51149"), True),
    ("okx", 400, _okx("1", "50004"), True),
    ("okx", 400, _okx("1", "51008"), False),
    ("okx", 400, _okx("51603"), False),
    ("okx", 429, _okx("50011"), False),
    ("okx", 401, _okx("50113"), False),
    # ccxt: the route reads no venue code; a refusal is a refusal.
    ("ccxt", 400, {"code": -1007, "msg": "m"}, False),
]


def _answer(codec: str, op: str, status: int, text: str) -> list[ev.Event]:
    body = {"op": op, "cid": "c1", "status": status, "text": text, "error": "E"}
    return CODECS[codec](Row(1, "answer", "rest", json.dumps(body)))


@pytest.mark.parametrize(("codec", "status", "body", "unknown"), CASES)
def test_runner_and_codec_agree_on_each_venues_unknown_outcomes(
    codec: str, status: int, body: Any, unknown: bool
) -> None:
    codec_for(codec)  # registers the venue's codec
    text = "" if body is None else json.dumps(body)
    assert outcome_unknown(status, text, codec) is unknown
    placed = _answer(codec, "place", status, text)
    expected = ev.SubmissionTimedOut if unknown else ev.SubmissionFailed
    assert [type(e) for e in placed] == [expected], placed
    cancelled = _answer(codec, "cancel", status, text)
    assert [type(e) for e in cancelled] == ([] if unknown else [ev.CancelFailed]), cancelled
    amended = _answer(codec, "amend", status, text)
    assert [type(e) for e in amended] == ([] if unknown else [ev.AmendFailed]), amended


def test_a_journal_of_another_venue_does_not_borrow_binances_codes() -> None:
    """-1007 means "unknown" at Binance only: elsewhere the same body is a refusal."""
    text = json.dumps({"code": -1007, "msg": "m"})
    assert outcome_unknown(400, text, "binance_spot")
    assert outcome_unknown(400, text)  # the default is Binance spot's journal
    for codec in ("bybit", "okx", "ccxt"):
        codec_for(codec)
        assert not outcome_unknown(400, text, codec), codec
