"""The pure codec of a Bybit runner's journal rows (``invsync.live.records`` row kinds).

The runner journals raw texts; this turns each row into core events, for the live
Inventory and for replay alike. Where one runner part needs several Bybit answers (a
snapshot's positions per category, an order query's realtime then history answer) the
client journals them as a JSON object whose values are the raw texts as received
(``BybitVenue``), so nothing received is altered. Answers to the bot's requests: a
``retCode`` 0 body yields nothing (the stream reports the order); HTTP 5xx, no answer,
or retCode 10016/10000 (server error) leave the outcome unknown (``SubmissionTimedOut``
for a placement; a cancel or amend in doubt is queried); any other code is a definite
refusal; an order query with an empty list is ``OrderNotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from core import events as ev
from core.adapters import bybit
from invsync.live import records
from invsync.live.records import UnknownOutcome, loads
from invsync.live.venues import rows

CODEC: Final = "bybit"
#: retCodes after which a mutation's outcome is unknown (Bybit v5 "Error Codes": 10000
#: "Server Timeout", 10016 "Server error"; spec/venues/bybit.md, Live edge).
UNKNOWN_CODES: Final = frozenset({10000, 10016})


def _code(body: Any) -> int | None:
    code = body.get("retCode") if isinstance(body, Mapping) else None
    return code if type(code) is int else None


#: Which answers leave a Bybit mutation's outcome unknown.
OUTCOME: Final = UnknownOutcome(frozenset(UNKNOWN_CODES), lambda body: [_code(body)])


def _answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    if op == "query":
        if not 200 <= status < 300:
            return []  # asked again later
        parts = loads(text, "query answer")
        for key in ("realtime", "history"):
            found = loads(parts[key], f"query {key}") if parts.get(key) else None
            if found is None:
                continue
            events = bybit.parse_order(
                found, client_order_id=cid or None, order_id=a.get("order_id")
            )
            if not (len(events) == 1 and isinstance(events[0], ev.OrderNotFound)):
                return events
        return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
    if op == "trades":
        if not 200 <= status < 300:
            return []
        return bybit.parse_snapshot(executions=loads(text, "trades answer"))
    body = records.error_body(text)
    code = _code(body)
    if 200 <= status < 300 and code == 0:
        return []
    reason = (
        f"retCode {code}: {body.get('retMsg')}"
        if code is not None and isinstance(body, Mapping)
        else (f"HTTP {status}" if status > 0 else f"not answered ({a.get('error') or 'refused'})")
    )
    return records.settle(op, a, body, reason, OUTCOME)


def _snapshot(s: Any) -> list[ev.Event]:
    account = loads(s["account"], "snapshot account")
    orders = [loads(t, "snapshot open orders") for t in rows.texts(s["open_orders"], "open orders")]
    executions = [loads(t, "snapshot trades") for t in rows.texts(s["trades"], "trades")]
    return bybit.parse_snapshot(
        wallet=loads(account["wallet"], "snapshot wallet"),
        positions=[loads(t, "snapshot positions") for t in account["positions"]] or None,
        open_orders=orders,
        executions=executions or None,
    )


def _ws(text: str) -> list[ev.Event]:
    return bybit.parse(records.ws_json(text))


#: The core events of one journal row of this venue's runner (pure).
events: Final = records.register(CODEC, OUTCOME, bybit.STREAM, _ws, _answer, _snapshot)
