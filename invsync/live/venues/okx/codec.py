"""The pure codec of an OKX runner's journal rows (``invsync.live.records`` row kinds).

``ws`` rows go to ``core.adapters.okx.parse`` (the text ``pong`` included). A snapshot's
``account`` part is ``{"balance", "positions", "bills"}`` (raw texts; the bills' cash
changes follow the snapshot); open orders and fills per
symbol are ``GET /api/v5/trade/orders-pending`` and ``/trade/fills`` answers for one
``instId``, joined into one body each for ``okx.parse_snapshot``. Answers: ``code "0"``
yields nothing for a mutation (the stream reports the order) and the order for a query;
51603 answers a query with ``OrderNotFound``; HTTP 5xx or no answer leave a mutation's
outcome unknown; anything else (``code "1"`` with the item's ``sCode``, 429 / 50011) is
a definite refusal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from core import events as ev
from core.adapters import okx
from invsync.live.records import CODECS, Row, Unreadable
from invsync.live.venues import rows

CODEC: Final = "okx"


def _joined(bodies: list[Any], what: str) -> dict[str, Any]:
    """One ``{"code": "0", "data": [...]}`` body of several answers (each checked)."""
    data: list[Any] = []
    for body in bodies:
        if not isinstance(body, Mapping) or body.get("code") not in ("0", 0):
            okx.parse_snapshot(open_orders=body)  # raises the adapter's ParseError
        data.extend(body.get("data") or [])
    return {"code": "0", "msg": "", "data": data}


def _reason(status: int, body: Any, error: str) -> str:
    if isinstance(body, Mapping) and "code" in body:
        items = body.get("data")
        first = (
            items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else {}
        )
        detail = f" sCode {first.get('sCode')}: {first.get('sMsg')}" if first.get("sCode") else ""
        return f"HTTP {status}: code {body.get('code')}: {body.get('msg')}{detail}"[:300]
    return f"HTTP {status}" if status > 0 else f"not answered ({error or 'refused'})"


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
    code = body.get("code") if isinstance(body, Mapping) else None
    if op == "query":
        if code == okx.ORDER_DOES_NOT_EXIST or (200 <= status < 300 and code in ("0", 0)):
            return okx.parse_order(body, client_order_id=cid or None, order_id=a.get("order_id"))
        return []  # asked again later
    if op == "trades":
        return okx.parse_snapshot(fills=body) if 200 <= status < 300 else []
    if 200 <= status < 300 and code in ("0", 0):
        return []
    reason = _reason(status, body, a.get("error") or "")
    if status != -2 and (status == 0 or status >= 500):
        return rows.unknown(op, a, reason)
    return rows.refusal(op, a, reason)


def events(row: Row) -> list[ev.Event]:
    """The core events of one journal row of an OKX runner (pure)."""
    kind = row.kind
    if kind == "ws":
        text = row.body
        return okx.parse(text if text == "pong" else rows.loads(text, "ws message"))
    if kind == "answer":
        return _answer(rows.loads(row.body, "answer"))
    if kind == "snapshot":
        s = rows.loads(row.body, "snapshot")
        account = rows.loads(s["account"], "snapshot account")
        pending = [rows.loads(t, "open orders") for t in rows.texts(s["open_orders"], "orders")]
        fills = [rows.loads(t, "fills") for t in rows.texts(s["trades"], "trades")]
        snapshot = okx.parse_snapshot(
            balance=rows.loads(account["balance"], "snapshot balance"),
            positions=rows.loads(account["positions"], "snapshot positions"),
            open_orders=_joined(pending, "open orders"),
            fills=_joined(fills, "fills") if fills else None,
        )
        # The bills' cash changes after the snapshot: the balances it holds cover the older
        # ones; a newer one counts once (deduplicated by billId) until a report covers it.
        bills = account.get("bills")
        cash = okx.parse_bills(rows.loads(bills, "snapshot bills")) if bills else []
        return snapshot + cash
    if kind == "intent":
        return rows.intent(rows.loads(row.body, "intent"))
    if kind == "status":
        return rows.status(rows.loads(row.body, "status"), okx.VENUE)
    if kind in ("note", "checkpoint"):
        return []
    raise Unreadable(f"row {row.seq}: unknown kind {kind!r}")


def register() -> None:
    """Make the codec known to journals and replay (``invsync.live.records.CODECS``); also
    done on import, which ``records.codec_for`` triggers for a journal naming it."""
    CODECS.setdefault(CODEC, events)


register()
