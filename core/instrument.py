"""What the account trades: an ``Instrument`` names its assets, kind and units."""

from __future__ import annotations

from decimal import Decimal

import attrs

from core import values
from core.errors import InvalidEvent


@attrs.frozen(slots=True)
class Instrument:
    """A tradable instrument of the account, in the venue's own symbol and units.

    Quantities of orders, fills and positions are in the venue's unit: base units for
    spot, contracts of ``contract_size`` base (linear) or ``contract_size`` quote
    (inverse) for derivatives. ``max_fee_rate`` (a fraction of notional) lets the
    exposure range also bound fees charged in the asset an order spends.
    """

    symbol: str = attrs.field(validator=values.identifier)
    kind: str = attrs.field(validator=values.kind)
    base: str = attrs.field(validator=values.identifier)
    quote: str = attrs.field(validator=values.identifier)
    contract_size: Decimal = attrs.field(default=values.ONE, validator=values.positive)
    tick_size: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    lot_size: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    max_fee_rate: Decimal = attrs.field(default=values.ZERO, validator=values.non_negative)

    def __attrs_post_init__(self) -> None:
        if self.kind == "spot" and self.contract_size != 1:
            raise InvalidEvent(
                f"Instrument {self.symbol}: contract_size {self.contract_size} "
                "is only for derivatives"
            )
        if self.base == self.quote:
            raise InvalidEvent(f"Instrument {self.symbol}: base and quote are both {self.base}")

    @property
    def settle(self) -> str:
        """Where a derivative's PnL, fees and funding settle (linear: quote, inverse: base)."""
        return self.base if self.kind == "inverse" else self.quote

    @property
    def is_derivative(self) -> bool:
        """True for linear and inverse instruments (they have a position)."""
        return self.kind != "spot"
