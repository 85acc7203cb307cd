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

from collections.abc import Mapping
from typing import Any, Final

from core import events as ev
from core.adapters import okx
from invsync.live import records
from invsync.live.records import UnknownOutcome, loads
from invsync.live.venues import rows

CODEC: Final = "okx"
#: Codes after which a mutation's outcome is unknown (OKX v5 "Error Code", REST general:
#: 50001 service temporarily unavailable, 50004 endpoint request timeout "does not mean
#: that the request was successful or failed", 50013 system busy, 50026 system error; and
#: 51149 order timed out; sources in spec/venues/okx.md, Live edge). OKX writes codes as
#: strings, at the top (``code``) or per item (``sCode`` under ``code "1"``).
UNKNOWN_CODES: Final = frozenset({"50001", "50004", "50013", "50026", "51149"})


def _codes(body: Any) -> list[object]:
    """The top-level ``code`` and every item's ``sCode`` of an OKX answer."""
    if not isinstance(body, Mapping):
        return []
    found: list[object] = [str(body.get("code"))]
    items = body.get("data")
    if isinstance(items, list):
        found += [str(i.get("sCode")) for i in items if isinstance(i, Mapping)]
    return found


#: Which answers leave an OKX mutation's outcome unknown.
OUTCOME: Final = UnknownOutcome(UNKNOWN_CODES, _codes)


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
    body = records.error_body(text)
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
    return records.settle(op, a, body, reason, OUTCOME)


def _snapshot(s: Any) -> list[ev.Event]:
    account = loads(s["account"], "snapshot account")
    pending = [loads(t, "open orders") for t in rows.texts(s["open_orders"], "orders")]
    fills = [loads(t, "fills") for t in rows.texts(s["trades"], "trades")]
    snapshot = okx.parse_snapshot(
        balance=loads(account["balance"], "snapshot balance"),
        positions=loads(account["positions"], "snapshot positions"),
        open_orders=_joined(pending, "open orders"),
        fills=_joined(fills, "fills") if fills else None,
    )
    # The bills' cash changes after the snapshot: the balances it holds cover the older
    # ones; a newer one counts once (deduplicated by billId) until a report covers it.
    bills = account.get("bills")
    cash = okx.parse_bills(loads(bills, "snapshot bills")) if bills else []
    return snapshot + cash


def _ws(text: str) -> list[ev.Event]:
    return okx.parse(records.ws_json(text))


#: The core events of one journal row of this venue's runner (pure).
events: Final = records.register(CODEC, OUTCOME, okx.VENUE, _ws, _answer, _snapshot)
