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

from collections.abc import Mapping
from typing import Any, Final

from core import events as ev
from core.adapters import binance_usdm
from invsync.live import records
from invsync.live.records import UnknownOutcome, loads
from invsync.live.venues import rows

CODEC: Final = "binance_usdm"
#: Codes after which a mutation's outcome is unknown (USD-M "Error Codes": -1006
#: UNEXPECTED_RESP and -1007 TIMEOUT, "execution status unknown"; spec/venues/binance_usdm.md).
UNKNOWN_CODES: Final = frozenset({-1006, -1007})


def _code(body: Any) -> int | None:
    code = body.get("code") if isinstance(body, Mapping) else None
    return code if type(code) is int else None


#: Which answers leave a USD-M mutation's outcome unknown.
OUTCOME: Final = UnknownOutcome(frozenset(UNKNOWN_CODES), lambda body: [_code(body)])


def _joined(texts: list[str], what: str) -> list[Any]:
    out: list[Any] = []
    for text in texts:
        body = loads(text, what)
        if not isinstance(body, list):
            binance_usdm.parse_snapshot(trades=body)  # raises the adapter's ParseError
        out.extend(body)
    return out


def _answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    body = records.error_body(text)
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
    return records.settle(op, a, body, reason, OUTCOME)


def _snapshot(s: Any) -> list[ev.Event]:
    account = loads(s["account"], "snapshot account")
    return binance_usdm.parse_snapshot(
        account=loads(account["account"], "snapshot /fapi/v3/account"),
        positions=loads(account["positions"], "snapshot /fapi/v3/positionRisk"),
        open_orders=_joined(rows.texts(s["open_orders"], "open orders"), "open orders"),
        trades=_joined(rows.texts(s["trades"], "trades"), "trades"),
    )


def _ws(text: str) -> list[ev.Event]:
    return binance_usdm.parse(loads(text, "ws message"))


#: The core events of one journal row of this venue's runner (pure).
events: Final = records.register(CODEC, OUTCOME, binance_usdm.STREAM, _ws, _answer, _snapshot)
