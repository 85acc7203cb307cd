"""What the runner needs from a venue client: a small protocol, and the answers as plain data.

A venue client does the I/O of one account (sign, send, receive) and hands back every
answer as a ``Reply``: the raw text exactly as received, so the runner can journal it
before anything reads it. The mapping of those texts to core events is the client's
``codec`` (see ``invsync.live.records``), a pure function that replay uses too. Native
Binance spot is ``invsync.live.binance_spot.BinanceSpotClient``; the ccxt route plugs in
another class with the same methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Protocol

import attrs


@attrs.frozen(slots=True)
class Reply:
    """One REST answer: ``status`` 0 means none came (timeout, connection refused or reset).

    ``text`` is the body as received (never a URL, header or parameter we sent: no key or
    signature can be in it); ``error`` names a transport failure by its exception type.
    """

    endpoint: str
    status: int
    text: str = ""
    error: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300


class RateLimited(Exception):
    """The venue told us to wait (429/418 ``Retry-After``): nothing was sent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited by the venue: retry in {seconds:.1f} s; nothing was sent")
        self.seconds = seconds


class StreamEnded(Exception):
    """The user-data stream closed (``reason`` says why; ``now`` = reconnect without backoff)."""

    def __init__(self, reason: str, now: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.now = now


class UserStream(Protocol):
    """A subscribed user-data stream: raw text messages until it ends."""

    def messages(self) -> AsyncIterator[tuple[str, str]]:
        """``(source, raw text)`` of each message; ends by raising ``StreamEnded``."""
        ...


class Venue(Protocol):
    """One account at one venue: subscribe, snapshot, query, place, cancel, amend."""

    #: Name of the pure codec that turns journal rows into core events (records.CODECS).
    codec: str

    def subscribe(self) -> AbstractAsyncContextManager[UserStream]:
        """Connect and subscribe; entered once the venue acknowledged the subscription."""
        ...

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Account first, then per symbol open orders and recent trades.

        Keys: ``account``, ``open_orders:<symbol>``, ``trades:<symbol>``; a failed part
        ends the collection (the runner retries the whole snapshot).
        """
        ...

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """One order's status."""
        ...

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """The fills of one order."""
        ...

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """Send a new order (limit with a price, market without); never retried."""
        ...

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """Cancel an order; never retried."""
        ...

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """Change an order's quantity; never retried."""
        ...

    def blocked_for(self) -> float:
        """Seconds until the venue accepts requests again (0: now)."""
        ...

    async def close(self) -> None:
        """Release sockets and sessions."""
        ...
