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

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from core import events as ev
from core.adapters import bybit
from invsync.live.records import Row, Unreadable
from invsync.live.venues.bybit import rest

CODEC: Final = "bybit"
#: retCodes after which a mutation's outcome is unknown.
UNKNOWN_CODES: Final = frozenset({10000, 10016})


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"{what}: not JSON ({exc})") from None


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _code(body: Any) -> int | None:
    code = body.get("retCode") if isinstance(body, Mapping) else None
    return code if type(code) is int else None


def _answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    if op == "query":
        if not 200 <= status < 300:
            return []  # asked again later
        parts = _json(text, "query answer")
        for key in ("realtime", "history"):
            found = _json(parts[key], f"query {key}") if parts.get(key) else None
            if found is None:
                continue
            events = rest.read_order(
                found, parts["category"], client_order_id=cid or None, order_id=a.get("order_id")
            )
            if not (len(events) == 1 and isinstance(events[0], ev.OrderNotFound)):
                return events
        return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
    if op == "trades":
        if not 200 <= status < 300:
            return []
        return bybit.parse_snapshot(executions=_json(text, "trades answer"))
    body: Any = None
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    code = _code(body)
    if 200 <= status < 300 and code == 0:
        return []
    unknown = status == 0 or status >= 500 or code in UNKNOWN_CODES
    if status == -2:
        unknown = False
    reason = (
        f"retCode {code}: {body.get('retMsg')}"
        if code is not None and isinstance(body, Mapping)
        else (f"HTTP {status}" if status > 0 else f"not answered ({a.get('error') or 'refused'})")
    )
    if unknown:
        if op == "place":
            return [ev.SubmissionTimedOut(client_order_id=cid, reason=reason)]
        return []
    if op == "place":
        return [ev.SubmissionFailed(client_order_id=cid, reason=reason)]
    if op == "cancel":
        return [ev.CancelFailed(client_order_id=cid, reason=reason)]
    if op == "amend":
        return [
            ev.AmendFailed(
                client_order_id=cid or None,
                reason=reason,
                order_id=a.get("order_id"),
                quantity=_dec(a.get("quantity")),
            )
        ]
    raise Unreadable(f"answer: unknown op {op!r}")


def _intent(i: Mapping[str, Any]) -> list[ev.Event]:
    op = i["op"]
    if op == "submit":
        price = _dec(i.get("price"))
        return [
            ev.OrderSubmitted(
                client_order_id=i["cid"],
                symbol=i["symbol"],
                side=i["side"],
                quantity=Decimal(i["quantity"]),
                price=price,
                order_type="limit" if price is not None else "market",
            )
        ]
    if op == "cancel":
        return [ev.CancelRequested(client_order_id=i["cid"])]
    if op == "amend":
        return [
            ev.AmendRequested(
                i.get("cid"),
                quantity=_dec(i.get("quantity")),
                price=_dec(i.get("price")),
                order_id=i.get("order_id"),
            )
        ]
    raise Unreadable(f"intent: unknown op {op!r}")


def _texts(part: Any) -> list[str]:
    """The raw texts of a snapshot part: per symbol (a dict) or a list."""
    if isinstance(part, dict):
        return [str(t) for t in part.values()]
    if isinstance(part, list):
        return [str(t) for t in part]
    raise Unreadable(f"snapshot part: expected texts by symbol, got {type(part).__name__}")


def events(row: Row) -> list[ev.Event]:
    """The core events of one journal row of a Bybit runner (pure)."""
    kind = row.kind
    if kind == "ws":
        text = row.body
        return bybit.parse(text if text == "pong" else _json(text, "ws message"))
    if kind == "answer":
        return _answer(_json(row.body, "answer"))
    if kind == "snapshot":
        s = _json(row.body, "snapshot")
        account = _json(s["account"], "snapshot account")
        orders = [_json(t, "snapshot open orders") for t in _texts(s["open_orders"])]
        executions = [_json(t, "snapshot trades") for t in _texts(s["trades"])]
        return bybit.parse_snapshot(
            wallet=_json(account["wallet"], "snapshot wallet"),
            positions=[_json(t, "snapshot positions") for t in account["positions"]] or None,
            open_orders=orders,
            executions=executions or None,
        )
    if kind == "intent":
        return _intent(_json(row.body, "intent"))
    if kind == "status":
        st = _json(row.body, "status")
        if st["state"] == "connected":
            return [ev.StreamConnected(stream=bybit.STREAM)]
        return [ev.StreamDisconnected(stream=bybit.STREAM, reason=str(st["reason"]))]
    if kind in ("note", "checkpoint"):
        return []
    raise Unreadable(f"row {row.seq}: unknown kind {kind!r}")


def register() -> None:
    """Make the codec known to journals and replay (``invsync.live.records.CODECS``)."""
    from invsync.live.records import CODECS

    CODECS.setdefault(CODEC, events)
