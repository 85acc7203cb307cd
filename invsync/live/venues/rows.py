"""What the derivative venues' journal codecs read alike beyond ``invsync.live.records``.

The row kinds and their shared reading (intents, stream status, refusals, unknown
outcomes, the kind dispatch) are ``invsync.live.records``'; only ``ws``, ``snapshot`` and
``answer`` rows hold a venue's texts and need the venue's codec. Pure functions.
"""

from __future__ import annotations

from typing import Any

from invsync.live.records import Unreadable


def texts(part: Any, what: str) -> list[str]:
    """The raw texts of a snapshot part: per symbol (a dict) or a list."""
    if isinstance(part, dict):
        return [str(t) for t in part.values()]
    if isinstance(part, list):
        return [str(t) for t in part]
    raise Unreadable(f"{what}: expected texts by symbol, got {type(part).__name__}")
