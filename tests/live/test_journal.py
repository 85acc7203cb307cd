"""The journal: committed before apply, durable levels, compaction, the row codec, replay."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core import Instrument, Inventory
from core import events as ev
from invsync.cli import main as cli
from invsync.live.journal import Journal, JournalError
from invsync.live.journaled import JournaledInventory, rebuild
from invsync.live.records import Row, binance_spot_events
from invsync.live.replay import state_digest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance_spot"
BTC = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
ETHBTC = Instrument(symbol="ETHBTC", kind="spot", base="ETH", quote="BTC")


def _journal(tmp_path: Path, name: str = "j", **kw: Any) -> Journal:
    return Journal(tmp_path / name, codec="binance_spot", instruments=[BTC], **kw)


def _snapshot(update_time: int = 1000, usdt: str = "1000") -> str:
    account = {
        "updateTime": update_time,
        "balances": [
            {"asset": "USDT", "free": usdt, "locked": "0"},
            {"asset": "BTC", "free": "0", "locked": "0"},
        ],
    }
    return json.dumps(
        {"account": json.dumps(account), "open_orders": {"BTCUSDT": "[]"}, "trades": {}}
    )


def _report(n: int, status: str = "NEW", filled: str = "0", trade: int | None = None) -> str:
    e: dict[str, Any] = {
        "e": "executionReport",
        "E": 2000 + n,
        "s": "BTCUSDT",
        "c": f"c{n}",
        "S": "BUY",
        "o": "LIMIT",
        "q": "1",
        "p": "100",
        "C": "",
        "x": "TRADE" if trade is not None else "NEW",
        "X": status,
        "i": n,
        "l": filled,
        "z": filled,
        "L": "100",
        "n": "0",
        "N": None,
        "T": 2000 + n,
        "t": trade if trade is not None else -1,
        "Z": str(Decimal(filled) * 100),
    }
    return json.dumps({"subscriptionId": 0, "event": e})


def test_a_row_is_committed_when_append_returns(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    j.append("ws", "ws:/ws-api/v3", "{}")
    other = sqlite3.connect(str(tmp_path / "j"))  # another connection sees it at once
    try:
        assert other.execute("SELECT kind, source, body FROM rows").fetchall() == [
            ("ws", "ws:/ws-api/v3", "{}")
        ]
    finally:
        other.close()
        j.close()


def test_durability_levels_set_wal_and_the_stated_synchronous_level(tmp_path: Path) -> None:
    for durability, level in (("process", 1), ("power", 2)):  # NORMAL = 1, FULL = 2
        j = _journal(tmp_path, durability, durability=durability)
        try:
            assert j._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert j._db.execute("PRAGMA synchronous").fetchone()[0] == level
        finally:
            j.close()
    with pytest.raises(JournalError, match="durability"):
        _journal(tmp_path, "x", durability="sometimes")


def test_reopening_keeps_rows_codec_and_instruments(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j", codec="binance_spot", instruments=[BTC, ETHBTC])
    j.append("intent", "bot", "{}")
    j.close()
    again = Journal(tmp_path / "j")
    try:
        assert again.codec == "binance_spot"
        assert again.instruments == (BTC, ETHBTC)
        assert again.last_seq == 1 and len(again) == 1
    finally:
        again.close()
    with pytest.raises(JournalError, match="written by codec"):
        Journal(tmp_path / "j", codec="ccxt")
    with pytest.raises(JournalError, match="needs codec"):
        Journal(tmp_path / "new")


def test_checkpoint_compacts_and_replay_continues_from_it(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    book = JournaledInventory(j, Inventory([BTC]), checkpoint_every=10)
    book.ingest("snapshot", "rest", _snapshot(usdt="10000"))
    for n in range(1, 60):
        book.ingest(
            "intent",
            "bot",
            json.dumps(
                {
                    "op": "submit",
                    "cid": f"c{n}",
                    "symbol": "BTCUSDT",
                    "side": "buy",
                    "quantity": "1",
                    "price": "100",
                }
            ),
        )
        book.ingest("ws", "ws:/ws-api/v3", _report(n))
        assert len(j) <= 11, "compaction must bound the journal"
    assert j.gaps() == []
    rows = list(j.rows())
    assert rows[0].kind == "checkpoint"
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    keys = tuple(f"c{n}" for n in range(1, 60))
    live = state_digest(book.inventory, keys)
    replayed, _ = rebuild(j)
    assert state_digest(replayed, keys) == live
    # 59 orders of 1 at 100, each reserving 100 USDT
    assert book.inventory.balance("USDT").free == Decimal(10000) - 59 * Decimal(100)
    j.close()


def test_a_restarted_book_rebuilds_from_the_journal(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    book = JournaledInventory(j, Inventory([BTC]))
    book.ingest("snapshot", "rest", _snapshot())
    book.ingest("ws", "ws:/ws-api/v3", _report(1, "PARTIALLY_FILLED", "0.5", trade=7))
    digest = state_digest(book.inventory, ("c1",))
    j.close()
    again = JournaledInventory(Journal(tmp_path / "j"))
    assert again.restored and again.applied == 2
    assert state_digest(again.inventory, ("c1",)) == digest
    again.journal.close()


def _answer(op: str, status: int, text: str = "", **kw: Any) -> list[ev.Event]:
    body = {"op": op, "cid": "c1", "status": status, "text": text, "error": "", **kw}
    return binance_spot_events(Row(1, "answer", "rest", json.dumps(body)))


def _err(code: int) -> str:
    return json.dumps({"code": code, "msg": "m"})


def test_answers_map_refusals_definite_and_timeouts_unknown() -> None:
    full = (FIXTURES / "rest_order_new_full.json").read_text()
    kinds = [type(e).__name__ for e in _answer("place", 200, full)]
    assert kinds[0] == "OrderReported" and set(kinds[1:]) == {"FillReported"}
    assert [type(e) for e in _answer("place", 503, "Service Unavailable")] == [
        ev.SubmissionTimedOut
    ]
    assert [type(e) for e in _answer("place", 0)] == [ev.SubmissionTimedOut]
    assert [type(e) for e in _answer("place", 500, _err(-1006))] == [ev.SubmissionTimedOut]
    assert [type(e) for e in _answer("place", 400, _err(-1007))] == [ev.SubmissionTimedOut]
    assert [type(e) for e in _answer("place", 400, _err(-2010))] == [ev.SubmissionFailed]
    assert [type(e) for e in _answer("place", 429, _err(-1003))] == [ev.SubmissionFailed]
    assert [type(e) for e in _answer("place", -1)] == [ev.SubmissionFailed]
    assert [type(e) for e in _answer("cancel", 400, _err(-2011))] == [ev.CancelFailed]
    assert _answer("cancel", 503) == [] and _answer("cancel", 0) == []
    assert [type(e) for e in _answer("cancel", -2)] == [ev.CancelFailed]
    refused = _answer("amend", 400, _err(-2038), quantity="0.5")
    assert refused == [
        ev.AmendFailed(client_order_id="c1", reason="HTTP 400: -2038: m", quantity=Decimal("0.5"))
    ]
    assert _answer("amend", 200, "{}") == [] and _answer("amend", 500, _err(-1006)) == []
    assert _answer("query", 400, _err(-2013)) == [ev.OrderNotFound(client_order_id="c1")]
    assert _answer("query", 503) == [] and _answer("query", 400, _err(-1021)) == []


def test_intents_and_status_rows_become_local_events() -> None:
    submit = {
        "op": "submit",
        "cid": "c1",
        "symbol": "BTCUSDT",
        "side": "buy",
        "quantity": "0.1",
        "price": "100",
    }
    assert binance_spot_events(Row(1, "intent", "bot", json.dumps(submit))) == [
        ev.OrderSubmitted("c1", "BTCUSDT", "buy", Decimal("0.1"), Decimal("100"))
    ]
    down = binance_spot_events(
        Row(2, "status", "runner", json.dumps({"state": "disconnected", "reason": "r"}))
    )
    assert down == [ev.StreamDisconnected(stream="binance_spot.user_data", reason="r")]
    assert binance_spot_events(Row(3, "note", "runner", "{}")) == []


def test_replay_prints_inventory_and_anomaly_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    book = JournaledInventory(j, Inventory([BTC]))
    book.ingest("snapshot", "rest", _snapshot())
    fill = _report(1, "FILLED", "1", trade=5)
    book.ingest("ws", "ws:/ws-api/v3", fill)
    book.ingest("ws", "ws:/ws-api/v3", fill)  # duplicate
    book.ingest("status", "runner", json.dumps({"state": "disconnected", "reason": "1011"}))
    book.ingest(
        "answer",
        "rest:POST /api/v3/order",
        json.dumps({"op": "place", "cid": "c9", "status": 503, "text": "", "error": ""}),
    )
    book.ingest("ws", "ws:/ws-api/v3", "not json")
    j.close()
    assert cli(["replay", str(tmp_path / "j")]) == 0
    out = capsys.readouterr().out
    assert "6 rows replayed" in out
    assert "BTC      total 1" in out
    for category in ("duplicate", "gap", "unknown", "refused", "resync"):
        assert f" {category} " in out, (category, out)
    assert "unreadable" in out
    assert cli(["replay", str(tmp_path / "missing")]) == 2


def test_replay_flags_a_journal_with_a_hole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    for _ in range(3):
        j.append("note", "runner", "{}")
    j._db.execute("DELETE FROM rows WHERE seq = 2")
    j.close()
    assert cli(["replay", str(tmp_path / "j")]) == 1
    assert "NOT CONTIGUOUS" in capsys.readouterr().out
