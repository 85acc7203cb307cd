"""What the core asks of the I/O edge: it never does I/O itself, it says what it needs."""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class ResyncAccount:
    """Fetch a complete REST snapshot (balances, positions, open orders, recent trades)."""

    reason: str


@attrs.frozen(slots=True)
class QueryOrder:
    """Ask the venue for one order's status (answer with ``OrderReported`` or ``OrderNotFound``)."""

    symbol: str
    client_order_id: str | None
    order_id: str | None
    reason: str


Request = ResyncAccount | QueryOrder
