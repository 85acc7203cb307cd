"""What sits between the exchange model and the Inventory in a kit run: an adapter.

The model emits core events (``models.exchange.ExchangeModel.take_emitted``). An
``Adapter`` renders each batch of them into the messages a venue would send
(``encode``), and reads one message back into core events (``parse``). The kit puts the
rendered messages on the chaotic network, so what is delayed, reordered, duplicated or
lost is the venue's own payload, and your parser sees each copy.

Each ``Message`` names the model events it ``carries``: the kit's oracle uses that to know
which changes the Inventory has heard of once a message is delivered. An event must be
carried by at least one message of its batch (the kit refuses an encoder that loses one).

REST answers (the bot's submission, cancel and order-query answers, account snapshots)
go through ``rest``: it gets the model's answer as a core event and returns what your
REST parser makes of the venue's body. The default hands the core event through
unchanged, for an adapter that only has a stream parser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from core import events as ev

#: One model batch: the (stream, event) pairs one exchange action emitted, in order.
Emitted = Sequence[tuple[str, ev.Event]]


@attrs.frozen(slots=True)
class Message:
    """One venue message in flight: its stream, its decoded JSON payload, the events it renders."""

    stream: str
    payload: Any
    carries: tuple[ev.Event, ...]


def _one_message_per_event(emitted: Emitted) -> list[Message]:
    """Core events as their own payloads, each on the stream the model named."""
    return [Message(stream, event, (event,)) for stream, event in emitted]


def _events_as_is(message: Any) -> list[ev.Event]:
    """A core-event payload parses to itself."""
    return [message]


def _answer_as_is(answer: ev.Event) -> list[ev.Event]:
    """A REST answer handed to the Inventory unchanged."""
    return [answer]


def _same_id(venue_order_id: str) -> str | None:
    """The model's order ids travel unchanged."""
    return venue_order_id


@attrs.frozen(slots=True)
class Adapter:
    """A venue adapter under test: ``encode`` renders model batches, ``parse`` reads messages.

    ``rest`` turns one REST answer (``OrderReported``, ``OrderNotFound``,
    ``SubmissionFailed``, ``CancelFailed``, ``SnapshotTaken``) into the events your REST
    parser returns for the venue's body. ``streams`` names every stream ``encode`` uses.
    ``model_order_id`` maps an order id as the venue writes it back to the model's (for
    the order queries the Inventory asks by exchange order id; None when it names none).
    """

    name: str
    encode: Callable[[Emitted], list[Message]]
    parse: Callable[[Any], list[ev.Event]]
    rest: Callable[[ev.Event], list[ev.Event]] = _answer_as_is
    streams: tuple[str, ...] = ("orders", "fills", "balances", "positions")
    model_order_id: Callable[[str], str | None] = _same_id


def core_events() -> Adapter:
    """The identity adapter: model events travel as they are (for checking a strategy)."""
    return Adapter("core events", _one_message_per_event, _events_as_is)
