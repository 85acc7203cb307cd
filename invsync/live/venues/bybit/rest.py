"""Reading Bybit REST answers the adapter has no entry point for: the order query.

``core.adapters.bybit`` parses pushes and snapshots but has no ``parse_order``. A row of
``GET /v5/order/realtime`` (or ``/v5/order/history``) has the fields of an ``order`` push
item except ``category``, which the request named; so the row is read as a one-item
``order`` push with that category added (spec/venues/bybit.md, "Live edge").
"""

from __future__ import annotations

from typing import Any

from core import events as ev
from core.adapters import bybit
from core.errors import ParseError


def read_order(
    body: Any, category: str, *, client_order_id: str | None, order_id: str | None
) -> list[ev.Event]:
    """Events of an order query's answer: the order's report, or ``OrderNotFound`` when the
    list is empty. A ``retCode`` other than 0 is a ``ParseError`` naming it."""
    if not isinstance(body, dict):
        raise ParseError(f"order query: expected an object, got {type(body).__name__}")
    code = body.get("retCode")
    if code != 0:
        raise ParseError(f"order query: retCode {code!r:.20}: {body.get('retMsg')!r:.80}")
    result = body.get("result")
    rows = result.get("list") if isinstance(result, dict) else None
    if not isinstance(rows, list):
        raise ParseError("order query: result.list: expected a list")
    if not rows:
        return [ev.OrderNotFound(client_order_id=client_order_id, order_id=order_id)]
    items = [{**row, "category": category} if isinstance(row, dict) else row for row in rows]
    return bybit.parse({"topic": "order", "data": items})
