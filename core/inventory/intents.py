"""Local intents: what the bot itself did (submit, cancel) and the answers to it.

Owns: an intent's creation (an in-flight order that reserves at once) and the effect of a
definite refusal, a failed cancel or a timeout.
May touch: identity and lifecycle through ``book``; the reserve through ``spot``.
"""

from __future__ import annotations

from core import events as ev
from core.errors import InvalidEvent
from core.inventory import book, spot
from core.inventory.state import (
    _TERMINAL,
    State,
    _Order,
)
from core.ledger import IN_FLIGHT


def on_submitted(st: State, s: ev.OrderSubmitted) -> None:
    """The bot sent an order: an in-flight order that reserves and widens from now."""
    ii = book.resolve(st, s.symbol, s.kind, f"submit {s.client_order_id}")
    prior = st.by_cid.get(s.client_order_id)
    if prior is not None and prior.state not in _TERMINAL:
        raise InvalidEvent(
            f"submit {s.client_order_id}: client order id already names a live order "
            f"({prior.state})"
        )
    o = book.new_order(st, ii, s.side)
    o.client_order_id = s.client_order_id
    o.quantity, o.price, o.order_type = s.quantity, s.price, s.order_type
    o.conditional = s.conditional
    book.name(st, o, s.client_order_id)
    if o.inst.kind == "spot":
        spot.lock_known(st, o, IN_FLIGHT)


def local(st: State, cid: str, what: str) -> _Order:
    """The order a local intent names by client id; InvalidEvent if unknown."""
    o = st.by_cid.get(cid)
    if o is None:
        raise InvalidEvent(f"{what}: unknown client order id {cid!r}")
    return o


def on_cancel_requested(st: State, c: ev.CancelRequested) -> None:
    """The bot asked to cancel an order: pending_cancel until the venue says."""
    book.order_event(st, local(st, c.client_order_id, "cancel"), "cancel_requested")


def _answer(st: State, cid: str, what: str) -> _Order | None:
    """The order a late answer to the bot's own intent speaks of.

    Once orders have left the bounded history, an answer about an id no longer known
    may be about one of them: it is old news, not an error.
    """
    if (st.gone or st.forgotten) and cid not in st.by_cid:
        return None
    return local(st, cid, what)


def on_cancel_failed(st: State, c: ev.CancelFailed) -> None:
    """The venue refused a cancel: the order goes back to what it was."""
    o = _answer(st, c.client_order_id, "cancel failed")
    if o is not None:
        book.order_event(st, o, "cancel_failed")


def on_submission_failed(st: State, s: ev.SubmissionFailed) -> None:
    """The venue definitely refused a submission: the order is rejected."""
    o = _answer(st, s.client_order_id, "submission failed")
    if o is not None:
        book.order_event(st, o, "reject")


def on_timed_out(st: State, s: ev.SubmissionTimedOut) -> None:
    """A submission timed out: its fate is unknown until a report or a query says."""
    o = _answer(st, s.client_order_id, "submission timed out")
    if o is not None:
        book.order_event(st, o, "timed_out")
