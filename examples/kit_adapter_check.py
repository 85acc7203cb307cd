"""Check a venue adapter with invsync's verification kit: copy this file into your CI.

Your adapter turns a venue's messages into invsync events (``parse(message) -> list[Event]``).
To check it end to end, write the other direction once: an encoder that renders the
exchange model's events as the venue's messages. The kit then runs the model under chaos,
sends every rendered message through the network (duplicated, reordered, lost), hands
each copy to your parser and the result to an Inventory, and checks P1-P8 against the
model. ``AcmeCheck`` below does it for "Acme", an invented venue with one message per
event; ``BinanceSpotCheck`` runs invsync's own Binance Spot adapter the same way.

    python -m pytest examples/kit_adapter_check.py
    invsync fuzz examples/kit_adapter_check.py --workers 2 --db .hypothesis/kit
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core import ParseError
from core import events as ev
from invsync.testing import Adapter, Emitted, InventorySuite, Message, binance_spot

# --- the venue side you already have: Acme's parser ------------------------------------------


def _field(msg: dict[str, Any], key: str) -> Any:
    if key not in msg:
        raise ParseError(f"acme {msg.get('topic')!r}: missing field {key!r}")
    return msg[key]


def _number(msg: dict[str, Any], key: str) -> Decimal:
    raw = _field(msg, key)
    try:
        value = Decimal(raw) if isinstance(raw, str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ParseError(f"acme {msg.get('topic')!r}: {key} is not a decimal string: {raw!r}")
    return value


def _text(msg: dict[str, Any], key: str) -> str:
    raw = _field(msg, key)
    if not isinstance(raw, str) or not raw:
        raise ParseError(f"acme {msg.get('topic')!r}: {key} is not a non-empty string: {raw!r}")
    return raw


def _seq(msg: dict[str, Any]) -> int:
    raw = _field(msg, "seq")
    if type(raw) is not int or raw < 0:
        raise ParseError(f"acme {msg.get('topic')!r}: seq is not a count: {raw!r}")
    return raw


def acme_parse(message: Any) -> list[ev.Event]:
    """Acme's private stream: ``order``, ``trade``, ``wallet`` and ``transfer`` messages."""
    if not isinstance(message, dict):
        raise ParseError(f"acme: expected a JSON object, got {type(message).__name__}")
    topic = message.get("topic")
    try:
        if topic == "order":
            price = message.get("price")
            return [
                ev.OrderReported(
                    symbol=_text(message, "market"),
                    order_id=_text(message, "id"),
                    client_order_id=message.get("client_id") or None,
                    side=_text(message, "side"),
                    status=_text(message, "state"),
                    quantity=_number(message, "size"),
                    price=None if price is None else _number(message, "price"),
                    filled_quantity=_number(message, "filled"),
                    average_price=None if message.get("avg") is None else _number(message, "avg"),
                    version=_seq(message),
                    kind="spot",
                )
            ]
        if topic == "trade":
            return [
                ev.FillReported(
                    symbol=_text(message, "market"),
                    order_id=_text(message, "order_id"),
                    client_order_id=message.get("client_id") or None,
                    trade_id=_text(message, "id"),
                    side=_text(message, "side"),
                    quantity=_number(message, "size"),
                    price=_number(message, "price"),
                    fee=_number(message, "fee"),
                    fee_asset=_text(message, "fee_currency"),
                    version=_seq(message),
                    kind="spot",
                )
            ]
        if topic == "wallet":
            return [
                ev.BalanceReported(
                    _text(message, "currency"),
                    _number(message, "total"),
                    _number(message, "available"),
                    _seq(message),
                )
            ]
        if topic == "transfer":
            amount = _number(message, "amount")
            return [
                ev.CashChanged(
                    _text(message, "currency"), amount, amount, _seq(message), "transfer"
                )
            ]
    except (TypeError, ValueError) as exc:  # an event the core's validators refuse
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"acme {topic!r}: {exc}") from None
    return [ev.MessageIgnored(venue="acme", kind=str(topic)[:40])]


# --- what you write for the kit: the model's events as Acme messages -------------------------


def acme_encode(emitted: Emitted) -> list[Message]:
    """Render one model batch as Acme sends it: one message per event, on Acme's channels."""
    out: list[Message] = []
    for _, e in emitted:
        body: dict[str, Any]
        if isinstance(e, ev.OrderReported):
            body = {
                "topic": "order",
                "market": e.symbol,
                "id": e.order_id,
                "client_id": e.client_order_id or "",
                "side": e.side,
                "state": e.status,
                "size": str(e.quantity),
                "price": None if e.price is None else str(e.price),
                "filled": str(e.filled_quantity),
                "avg": None if e.average_price is None else str(e.average_price),
                "seq": e.version,
            }
            out.append(Message("orders", body, (e,)))
        elif isinstance(e, ev.FillReported):
            body = {
                "topic": "trade",
                "market": e.symbol,
                "order_id": e.order_id,
                "client_id": e.client_order_id or "",
                "id": e.trade_id,
                "side": e.side,
                "size": str(e.quantity),
                "price": str(e.price),
                "fee": str(e.fee or 0),
                "fee_currency": e.fee_asset or "",
                "seq": e.version,
            }
            out.append(Message("trades", body, (e,)))
        elif isinstance(e, ev.BalanceReported):
            if e.free is None:
                raise ValueError(f"Acme always sends the available amount: {e!r}")
            body = {
                "topic": "wallet",
                "currency": e.asset,
                "total": str(e.total),
                "available": str(e.free),
                "seq": e.version,
            }
            out.append(Message("wallet", body, (e,)))
        elif isinstance(e, ev.CashChanged):
            body = {
                "topic": "transfer",
                "currency": e.asset,
                "amount": str(e.total_delta),
                "seq": e.version,
            }
            out.append(Message("wallet", body, (e,)))
        else:
            raise ValueError(f"Acme has no message for {e!r}")
    return out


class AcmeCheck(InventorySuite):
    """Acme's parser, checked end to end against the exchange model."""

    def make_adapter(self) -> Adapter:
        return Adapter("acme", acme_encode, acme_parse, streams=("orders", "trades", "wallet"))


class BinanceSpotCheck(InventorySuite):
    """invsync's shipped Binance Spot parser, fed real-format payloads by the kit's encoder."""

    def make_adapter(self) -> Adapter:
        return binance_spot()


TestAcme = AcmeCheck.TestCase
TestBinanceSpot = BinanceSpotCheck.TestCase
