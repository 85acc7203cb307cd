"""What the Inventory answers: small frozen values built on each query."""

from __future__ import annotations

from decimal import Decimal

import attrs


@attrs.frozen(slots=True)
class Balance:
    """One asset's balance: ``total`` = ``free`` + ``locked``."""

    total: Decimal
    free: Decimal
    locked: Decimal


@attrs.frozen(slots=True)
class Position:
    """A derivative's signed one-way position; flat is quantity 0 and entry price 0."""

    quantity: Decimal
    entry_price: Decimal


@attrs.frozen(slots=True)
class Exposure:
    """The range the true value lies in, given every order that may have filled unheard."""

    low: Decimal
    expected: Decimal
    high: Decimal


@attrs.frozen(slots=True)
class Order:
    """One order as the Inventory knows it."""

    symbol: str
    kind: str
    side: str
    status: str
    quantity: Decimal | None
    price: Decimal | None
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal | None
    fees: tuple[tuple[str, Decimal], ...]
    client_order_id: str | None
    order_id: str | None
    conditional: bool
