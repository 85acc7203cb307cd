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


def loads(text: str, what: str) -> Any:
    """Decoded JSON, or ``Unreadable`` naming what it is."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{what}: not JSON ({exc.msg} at {exc.pos})") from None


def error_body(text: str) -> Any:
    """An answer's decoded body, or None (no body, or a 5xx page that is not JSON)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def decimal_or_none(value: object) -> Decimal | None:
    """A journaled decimal string (or None)."""
    return None if value is None else Decimal(str(value))


def _error_code(body: Any) -> list[object]:
    if isinstance(body, Mapping):
        code = body.get("code")
        if type(code) is int:
            return [code]
    return []


@attrs.frozen(slots=True)
class UnknownOutcome:
    """Which answers leave a mutation's outcome unknown at one venue: query, never mark failed.

    No answer (status 0) and HTTP 5xx always do; beyond that, the venue's own error codes
    (``codes``) found in a body by ``code_of``. Negative statuses are ours: -1 not sent
    (rate limited), -2 concluded from a later query; neither is unknown.
    """

    codes: frozenset[object]
    code_of: Callable[[Any], list[object]]

    def of_body(self, status: int, body: Any) -> bool:
        """Whether an answer (status, decoded body or None) leaves the outcome unknown."""
        if status < 0:
            return False
        if status == 0 or status >= 500:
            return True
        return any(code in self.codes for code in self.code_of(body))

    def __call__(self, status: int, text: str) -> bool:
        """Whether an answer (status, raw text) leaves the outcome unknown."""
        return self.of_body(status, error_body(text))


#: Binance spot (errors.md): -1006 UNEXPECTED_RESP, -1007 TIMEOUT, "execution status unknown".
BINANCE_SPOT_UNKNOWN: Final = UnknownOutcome(
    frozenset(binance_spot.UNKNOWN_OUTCOME_CODES), _error_code
)


def _reason(a: Mapping[str, Any], body: Any) -> str:
    if isinstance(body, Mapping) and "code" in body:
        return f"HTTP {a['status']}: {body.get('code')}: {body.get('msg')}"
    status = int(a["status"])
    if status == -2:
        return f"concluded from a later query ({a.get('error')})"
    if status < 0:
        return f"not sent ({a.get('error') or 'refused locally'})"
    return f"HTTP {status}" if status else f"no answer ({a.get('error') or 'timeout'})"


def outcome_unknown(status: int, text: str, codec: str = "binance_spot") -> bool:
    """Whether an answer leaves a mutation's outcome unknown, by the venue of ``codec``.

    No answer and HTTP 5xx at every venue; then each venue's own codes (Binance -1006 /
    -1007, Bybit retCode 10000 / 10016, OKX 50001 / 50004 / 50013 / 50026 / 51149).
    """
    codec_for(codec)  # imports the module that registers the venue's mapping
    return UNKNOWN_OUTCOMES.get(codec, BINANCE_SPOT_UNKNOWN)(status, text)


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


def settle(
    op: str, a: Mapping[str, Any], body: Any, reason: str, rule: UnknownOutcome
) -> list[ev.Event]:
    """An error answer to a mutation: unknown outcome by the venue's ``rule``, else refused."""
    if rule.of_body(int(a["status"]), body):
        return unknown(op, a, reason)
    return refusal(op, a, reason)


def _binance_answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    if 200 <= status < 300:
        body = loads(text, f"answer to {op}")
        if op in ("place", "cancel", "query"):
            return binance_spot.parse_order(body)
        if op == "trades":
            return binance_spot.parse_snapshot(trades=body)
        return []  # amend: the stream's REPLACED report (or the query after it) tells
    body = error_body(text)
    reason = _reason(a, body)
    if op in ("query", "trades"):
        if set(_error_code(body)) & binance_spot.NOT_FOUND_CODES and op == "query":
            return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
        return []  # asked again later
    return settle(op, a, body, reason, BINANCE_SPOT_UNKNOWN)


def _concat(texts: Mapping[str, str], what: str) -> list[Any]:
    """One list from the per-symbol bodies of a snapshot part."""
    out: list[Any] = []
    for symbol, text in texts.items():
        part = loads(text, f"snapshot {what} {symbol}")
        if not isinstance(part, list):
            # An error body or another shape: the adapter names it.
            binance_spot.parse_snapshot(**{what: part})
            raise Unreadable(f"snapshot {what} {symbol}: expected a list")
        out.extend(part)
    return out


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


def dispatch(
    row: Row,
    *,
    stream: str,
    ws: Callable[[str], list[ev.Event]],
    answer: Callable[[Any], list[ev.Event]],
    snapshot: Callable[[Any], list[ev.Event]],
) -> list[ev.Event]:
    """One row's events: the venue reads its texts (``ws`` raw, ``answer`` and ``snapshot``
    decoded); intents, stream status, notes and checkpoints read the same at every venue."""
    kind = row.kind
    if kind == "ws":
        return ws(row.body)
    if kind == "answer":
        return answer(loads(row.body, "answer"))
    if kind == "snapshot":
        return snapshot(loads(row.body, "snapshot"))
    if kind == "intent":
        return intent(loads(row.body, "intent"))
    if kind == "status":
        return status(loads(row.body, "status"), stream)
    if kind in ("note", "checkpoint"):
        return []
    raise Unreadable(f"row {row.seq}: unknown kind {kind!r}")


def _binance_snapshot(s: Any) -> list[ev.Event]:
    return binance_spot.parse_snapshot(
        account=loads(s["account"], "snapshot account"),
        open_orders=_concat(s["open_orders"], "open_orders"),
        trades=_concat(s["trades"], "trades"),
    )


#: codec name -> pure row decoder (a venue client names its codec; the journal records it).
CODECS: Final[dict[str, Callable[[Row], list[ev.Event]]]] = {}
#: codec name -> which answers leave a mutation's outcome unknown at that venue.
UNKNOWN_OUTCOMES: Final[dict[str, UnknownOutcome]] = {}


def register(
    name: str,
    rule: UnknownOutcome,
    stream: str,
    ws: Callable[[str], list[ev.Event]],
    answer: Callable[[Any], list[ev.Event]],
    snapshot: Callable[[Any], list[ev.Event]],
) -> Callable[[Row], list[ev.Event]]:
    """A venue's pure row decoder (``dispatch`` with its readers), made known with its
    unknown-outcome rule to journals, replay and the runner; done when the codec's module
    is imported (``codec_for`` imports it by name)."""

    def events(row: Row) -> list[ev.Event]:
        return dispatch(row, stream=stream, ws=ws, answer=answer, snapshot=snapshot)

    events.__doc__ = f"The core events of one journal row of a {name} runner (pure)."
    CODECS.setdefault(name, events)
    UNKNOWN_OUTCOMES.setdefault(name, rule)
    return CODECS[name]


def ws_json(text: str) -> Any:
    """A stream message decoded; the bare text ``pong`` (Bybit, OKX) as it is."""
    return text if text == "pong" else loads(text, "ws message")


def _binance_ws(text: str) -> list[ev.Event]:
    return binance_spot.parse(loads(text, "ws message"))


#: The core events of one journal row of a Binance spot runner (pure).
binance_spot_events: Final = register(
    "binance_spot",
    BINANCE_SPOT_UNKNOWN,
    binance_spot.STREAM,
    _binance_ws,
    _binance_answer,
    _binance_snapshot,
)


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
