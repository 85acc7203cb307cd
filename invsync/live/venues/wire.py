"""How model values travel in the venues' payloads: decimal strings, numeric ids, times.

The encoders render the exchange model's events; these are the only liberties they take
(the same as the Binance spot loopback's, spec/venues/loopback.md): model version ``v`` is
the millisecond time ``base_ms + v`` in every time field, and where a venue's ids are
numbers the model's ``X<n>`` (order) and ``T<n>`` (trade) become ``n``.
"""

from __future__ import annotations

from decimal import Decimal

import attrs


class EncodeError(ValueError):
    """A model event the venue's format cannot carry (names the event and the reason)."""


def plain(d: Decimal) -> str:
    """A decimal as venues write it: fixed point, never an exponent."""
    text = format(d, "f")
    return "0" if text in ("-0", "") else text


def number(model_id: str) -> int:
    """``X12`` -> 12, ``T7`` -> 7: a model id as a venue's numeric id."""
    digits = model_id[1:]
    if not (model_id[:1].isalpha() and digits.isdigit()):
        raise EncodeError(f"id {model_id!r}: not a model id of the form <letter><digits>")
    return int(digits)


@attrs.frozen(slots=True)
class Clock:
    """Model versions as venue millisecond times (``base_ms + version``)."""

    base_ms: int = 0

    def ms(self, version: int) -> int:
        """The venue time of ``version``."""
        return self.base_ms + version
