"""What every derivative venue's journal codec reads the same way: intents, stream status.

The row kinds are ``invsync.live.records``'; only ``ws``, ``snapshot`` and ``answer`` rows
hold a venue's texts and need the venue's codec. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core import events as ev
from invsync.live.records import Unreadable


def loads(text: str, what: str) -> Any:
    """Decoded JSON, or ``Unreadable`` naming what it is."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"{what}: not JSON ({exc})") from None


def decimal_or_none(value: object) -> Decimal | None:
    """A journaled decimal string (or None)."""
    return None if value is None else Decimal(str(value))


def texts(part: Any, what: str) -> list[str]:
    """The raw texts of a snapshot part: per symbol (a dict) or a list."""
    if isinstance(part, dict):
        return [str(t) for t in part.values()]
    if isinstance(part, list):
        return [str(t) for t in part]
    raise Unreadable(f"{what}: expected texts by symbol, got {type(part).__name__}")


def intent(i: Mapping[str, Any]) -> list[ev.Event]:
    """The local intent a row records (submit, cancel, amend)."""
    op = i["op"]
    if op == "submit":
        price = decimal_or_none(i.get("price"))
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
                quantity=decimal_or_none(i.get("quantity")),
                price=decimal_or_none(i.get("price")),
                order_id=i.get("order_id"),
            )
        ]
    raise Unreadable(f"intent: unknown op {op!r}")


def status(st: Mapping[str, Any], stream: str) -> list[ev.Event]:
    """A stream status row: connected or disconnected."""
    if st["state"] == "connected":
        return [ev.StreamConnected(stream=stream)]
    return [ev.StreamDisconnected(stream=stream, reason=str(st["reason"]))]


def refusal(op: str, a: Mapping[str, Any], reason: str) -> list[ev.Event]:
    """The definite refusal of the bot's request ``op``."""
    cid: str = a.get("cid") or ""
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
                quantity=decimal_or_none(a.get("quantity")),
            )
        ]
    raise Unreadable(f"answer: unknown op {op!r}")


def unknown(op: str, a: Mapping[str, Any], reason: str) -> list[ev.Event]:
    """A request whose outcome is unknown: a placement times out; a cancel or amend in
    doubt yields nothing (its order is queried)."""
    if op == "place":
        return [ev.SubmissionTimedOut(client_order_id=a.get("cid") or "", reason=reason)]
    return []
