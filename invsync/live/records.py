"""Journal rows and the pure codec that turns each one into core events.

The runner journals a row, then applies ``events(row)``; replay applies the same function
to the same rows, so a replayed Inventory equals the live one. Row kinds:

* ``ws`` — one raw user-data-stream message (text, as received);
* ``snapshot`` — the raw bodies of one resync: ``{"account": body, "open_orders":
  {symbol: body}, "trades": {symbol: body}}``;
* ``answer`` — the venue's answer to one of our requests: ``{"op": place | cancel |
  amend | query | trades, "cid", "order_id", "quantity", "status", "text", "error"}``;
* ``intent`` — what the bot did, before the request left: ``{"op": submit | cancel |
  amend, ...}``;
* ``status`` — the stream ``connected`` (subscription acknowledged) or ``disconnected``;
* ``note`` — information only (reconciliation diffs, runner restarts): no events;
* ``checkpoint`` — a compaction point (``invsync.live.journal``): no events.

How an answer maps (docs: rest-api.md "HTTP Return Codes", errors.md): a 2xx body is read
by the adapter; HTTP 5xx, no answer at all, or -1006/-1007 mean the outcome is *unknown*
(``SubmissionTimedOut`` for a placement; nothing for a cancel or amend, whose order stays
in doubt and is queried); status -2 (a cancel or amend of unknown outcome, which a later
query shows did not happen: the order is live with its old values), -1 (the client did not
send it: rate limited) and
429/418 mean the request was refused before it ran; that and any other error body are
definite refusals (``SubmissionFailed``, ``CancelFailed``, ``AmendFailed``), and
-2013/-2026 answer a query with ``OrderNotFound``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs

from core import events as ev
from core.adapters import binance_spot
from core.errors import ParseError

KINDS: Final = ("ws", "snapshot", "answer", "intent", "status", "note", "checkpoint")


@attrs.frozen(slots=True)
class Row:
    """One journal row: its sequence number, kind, source (ws or REST endpoint) and body."""

    seq: int
    kind: str
    source: str
    body: str


class Unreadable(ParseError):
    """A row whose body the codec cannot read (kept in the journal; replay reports it)."""


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{what}: not JSON ({exc.msg} at {exc.pos})") from None


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _error_code(body: Any) -> int | None:
    if isinstance(body, Mapping):
        code = body.get("code")
        if type(code) is int:
            return code
    return None


def _reason(a: Mapping[str, Any], body: Any) -> str:
    if isinstance(body, Mapping) and "code" in body:
        return f"HTTP {a['status']}: {body.get('code')}: {body.get('msg')}"
    status = int(a["status"])
    if status == -2:
        return f"concluded from a later query ({a.get('error')})"
    if status < 0:
        return f"not sent ({a.get('error') or 'refused locally'})"
    return f"HTTP {status}" if status else f"no answer ({a.get('error') or 'timeout'})"


def outcome_unknown(status: int, text: str) -> bool:
    """Whether an answer leaves a mutation's outcome unknown (no answer, 5xx, -1006/-1007)."""
    if status == 0 or status >= 500:
        return True
    if not text:
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return _error_code(body) in binance_spot.UNKNOWN_OUTCOME_CODES


def _unknown(a: Mapping[str, Any], body: Any) -> bool:
    status = int(a["status"])
    if status == 0 or status >= 500:
        return True
    return _error_code(body) in binance_spot.UNKNOWN_OUTCOME_CODES


def _binance_answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    if 200 <= status < 300:
        body = _json(text, f"answer to {op}")
        if op in ("place", "cancel", "query"):
            return binance_spot.parse_order(body)
        if op == "trades":
            return binance_spot.parse_snapshot(trades=body)
        return []  # amend: the stream's REPLACED report (or the query after it) tells
    body = None
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = None  # a 5xx page, not JSON
    reason = _reason(a, body)
    if op in ("query", "trades"):
        if _error_code(body) in binance_spot.NOT_FOUND_CODES and op == "query":
            return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
        return []  # asked again later
    if _unknown(a, body):
        if op == "place":
            return [ev.SubmissionTimedOut(client_order_id=cid, reason=reason)]
        return []  # cancel / amend in doubt: the order is queried
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


def _concat(texts: Mapping[str, str], what: str) -> list[Any]:
    """One list from the per-symbol bodies of a snapshot part."""
    out: list[Any] = []
    for symbol, text in texts.items():
        part = _json(text, f"snapshot {what} {symbol}")
        if not isinstance(part, list):
            # An error body or another shape: the adapter names it.
            binance_spot.parse_snapshot(**{what: part})
            raise Unreadable(f"snapshot {what} {symbol}: expected a list")
        out.extend(part)
    return out


def _intent(i: Mapping[str, Any]) -> list[ev.Event]:
    op = i["op"]
    if op == "submit":
        return [
            ev.OrderSubmitted(
                client_order_id=i["cid"],
                symbol=i["symbol"],
                side=i["side"],
                quantity=Decimal(i["quantity"]),
                price=_dec(i.get("price")),
                order_type="limit" if i.get("price") is not None else "market",
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


def binance_spot_events(row: Row) -> list[ev.Event]:
    """The core events of one journal row of a Binance spot runner (pure)."""
    kind = row.kind
    if kind == "ws":
        return binance_spot.parse(_json(row.body, "ws message"))
    if kind == "answer":
        return _binance_answer(_json(row.body, "answer"))
    if kind == "snapshot":
        s = _json(row.body, "snapshot")
        return binance_spot.parse_snapshot(
            account=_json(s["account"], "snapshot account"),
            open_orders=_concat(s["open_orders"], "open_orders"),
            trades=_concat(s["trades"], "trades"),
        )
    if kind == "intent":
        return _intent(_json(row.body, "intent"))
    if kind == "status":
        st = _json(row.body, "status")
        if st["state"] == "connected":
            return [ev.StreamConnected(stream=binance_spot.STREAM)]
        return [ev.StreamDisconnected(stream=binance_spot.STREAM, reason=str(st["reason"]))]
    if kind in ("note", "checkpoint"):
        return []
    raise Unreadable(f"row {row.seq}: unknown kind {kind!r}")


#: codec name -> pure row decoder (a venue client names its codec; the journal records it).
CODECS: Final[dict[str, Callable[[Row], list[ev.Event]]]] = {
    "binance_spot": binance_spot_events,
}

#: Codecs registered by the module that defines them (imported on first use, e.g. by replay).
_PROVIDERS: Final = {
    "ccxt": "invsync.live.ccxt_route",
    "binance_usdm": "invsync.live.venues.binance_usdm.codec",
    "bybit": "invsync.live.venues.bybit.codec",
    "okx": "invsync.live.venues.okx.codec",
}


def codec_for(name: str) -> Callable[[Row], list[ev.Event]]:
    """The row decoder a journal names (importing the module that registers it if needed)."""
    if name not in CODECS and name in _PROVIDERS:
        import importlib

        importlib.import_module(_PROVIDERS[name])
    try:
        return CODECS[name]
    except KeyError:
        raise Unreadable(f"no codec {name!r} (known: {', '.join(sorted(CODECS))})") from None
