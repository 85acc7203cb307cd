"""The bot's own intents: a conditional submission, and answers about unknown ids.

A conditional submit reserves nothing but widens exposure; a cancel, a failed cancel, a
refused or timed-out submission of an unknown client id is refused by name. Covers
``core.inventory.intents``. Values are computed by hand through the public surface.
"""

from __future__ import annotations

import pytest

from core import InvalidEvent
from core import events as ev
from tests.core.builders import D, spot


# --- local intents of unknown orders name what was attempted --------------------------------
@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ev.CancelRequested("zz"), "cancel: unknown client order id 'zz'"),
        (ev.CancelFailed("zz"), "cancel failed: unknown client order id 'zz'"),
        (ev.SubmissionFailed("zz"), "submission failed: unknown client order id 'zz'"),
        (ev.SubmissionTimedOut("zz"), "submission timed out: unknown client order id 'zz'"),
    ],
)
def test_local_intent_for_an_unknown_client_id_is_refused_by_name(
    event: ev.Event, message: str
) -> None:
    inv = spot()
    with pytest.raises(InvalidEvent) as err:
        inv.apply(event)
    assert str(err.value) == message


# --- conditional submissions and query requests ---------------------------------------------
def test_conditional_submit_reserves_nothing_but_widens_exposure() -> None:
    inv = spot()
    inv.submit("s1", "BTCUSDT", "buy", D(1), D(100), conditional=True)
    o = inv.order("s1")
    assert o is not None and o.conditional and o.status == "pending_new"
    assert inv.balance("USDT") == inv.balance("USDT").__class__(D(1000), D(1000), D(0))
    assert (inv.exposure("BTC").high, inv.exposure("USDT").low) == (D(1), D(900))
