"""The pure codec of a Binance USD-M runner's journal rows (``invsync.live.records`` kinds).

``ws`` rows go to ``core.adapters.binance_usdm.parse``. A snapshot's ``account`` part is
``{"account", "positions"}`` (the raw ``/fapi/v3/account`` and ``/fapi/v3/positionRisk``
texts); open orders and trades come per symbol and are joined for ``parse_snapshot``.
Answers: a 2xx order body (place with ``newOrderRespType=RESULT``, cancel, modify,
query) is read as the order's report; -2013 answers a query with ``OrderNotFound``;
HTTP 5xx, no answer, -1006 or -1007 leave a mutation's outcome unknown; any other error
body is a definite refusal of the request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from core import events as ev
from core.adapters import binance_usdm
from invsync.live.records import CODECS, Row, Unreadable
from invsync.live.venues import rows

CODEC: Final = "binance_usdm"
UNKNOWN_CODES: Final = frozenset({-1006, -1007})


def _joined(texts: list[str], what: str) -> list[Any]:
    out: list[Any] = []
    for text in texts:
        body = rows.loads(text, what)
        if not isinstance(body, list):
            binance_usdm.parse_snapshot(trades=body)  # raises the adapter's ParseError
        out.extend(body)
    return out


def _answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    body: Any = None
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    if 200 <= status < 300:
        if op == "trades":
            return binance_usdm.parse_snapshot(trades=body)
        return binance_usdm.parse_order(body)
    code = body.get("code") if isinstance(body, Mapping) else None
    if op in ("query", "trades"):
        if op == "query" and code == -2013:
            return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
        return []  # asked again later
    reason = (
        f"HTTP {status}: {code}: {body.get('msg')}"
        if isinstance(body, Mapping) and code is not None
        else (f"HTTP {status}" if status > 0 else f"not answered ({a.get('error') or 'refused'})")
    )
    if status != -2 and (status == 0 or status >= 500 or code in UNKNOWN_CODES):
        return rows.unknown(op, a, reason)
    return rows.refusal(op, a, reason)


def events(row: Row) -> list[ev.Event]:
    """The core events of one journal row of a Binance USD-M runner (pure)."""
    kind = row.kind
    if kind == "ws":
        return binance_usdm.parse(rows.loads(row.body, "ws message"))
    if kind == "answer":
        return _answer(rows.loads(row.body, "answer"))
    if kind == "snapshot":
        s = rows.loads(row.body, "snapshot")
        account = rows.loads(s["account"], "snapshot account")
        return binance_usdm.parse_snapshot(
            account=rows.loads(account["account"], "snapshot /fapi/v3/account"),
            positions=rows.loads(account["positions"], "snapshot /fapi/v3/positionRisk"),
            open_orders=_joined(rows.texts(s["open_orders"], "open orders"), "open orders"),
            trades=_joined(rows.texts(s["trades"], "trades"), "trades"),
        )
    if kind == "intent":
        return rows.intent(rows.loads(row.body, "intent"))
    if kind == "status":
        return rows.status(rows.loads(row.body, "status"), binance_usdm.STREAM)
    if kind in ("note", "checkpoint"):
        return []
    raise Unreadable(f"row {row.seq}: unknown kind {kind!r}")


def register() -> None:
    """Make the codec known to journals and replay (``invsync.live.records.CODECS``); also
    done on import, which ``records.codec_for`` triggers for a journal naming it."""
    CODECS.setdefault(CODEC, events)


register()
