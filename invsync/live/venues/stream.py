"""One subscribed private WebSocket as the runner reads it (``invsync.live.venue.UserStream``).

The venues differ in how they keep a quiet connection alive (Bybit ``{"op":"ping"}``
every 20 s, OKX the text ``ping`` before 30 s of silence) and in which messages end a
stream (USD-M ``listenKeyExpired``); the rest is the same: the handshake's answers come
first, then every text frame as received, and a closed or silent socket ends the stream
with ``StreamEnded``; a connection older than ``max_age`` ends with ``now=True`` (Binance
USD-M closes every connection at 24 h: the runner reconnects before that, at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import aiohttp

from invsync.live.venue import StreamEnded


class PrivateStream:
    """Raw text frames of one private connection (see the module docstring)."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        source: str,
        acks: list[str],
        *,
        ping: str | None,
        every: float,
        silent_limit: int = 3,
        ends: Callable[[str], str | None] | None = None,
        max_age: float | None = None,
    ) -> None:
        self.ws = ws
        self.source = source
        self.acks = acks
        self.ping = ping
        self.every = every
        self.silent_limit = silent_limit
        self.ends = ends
        self.deadline = None if max_age is None else time.monotonic() + max_age

    async def messages(self) -> AsyncIterator[tuple[str, str]]:
        """``(source, text)`` of the acks, then of every frame; ends with ``StreamEnded``."""
        for text in self.acks:
            yield self.source, text
        silent = 0
        while True:
            wait = self.every
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise StreamEnded("connection age limit (the venue closes at 24 h)", now=True)
                wait = min(wait, left)
            try:
                msg = await asyncio.wait_for(self.ws.receive(), wait)
            except TimeoutError:
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    continue  # the age limit, not silence: checked at the top
                silent += 1
                if silent >= self.silent_limit:
                    raise StreamEnded(f"no frame for {silent * self.every:.0f} s") from None
                if self.ping is not None:
                    await self.ws.send_str(self.ping)
                continue
            silent = 0
            if msg.type == aiohttp.WSMsgType.TEXT:
                text = str(msg.data)
                yield self.source, text
                why = self.ends(text) if self.ends is not None else None
                if why is not None:
                    raise StreamEnded(why, now=True)
                continue
            if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue
            raise StreamEnded(f"socket closed ({msg.type.name}, code {self.ws.close_code})")
