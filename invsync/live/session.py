"""What every native venue client does alike: one aiohttp session, a rate-limit block, a
request sent and answered as a ``Reply``, a private WebSocket opened and closed.

Each venue keeps its own parts (signing, endpoints, what its error codes mean, how it
subscribes); ``VenueSession`` holds the lifecycle they share, so a fix to it (a timeout,
a leaked socket, a secret in an error) is made once. Nothing it returns or raises holds a
URL, header or parameter we sent: a transport failure is named by its exception type.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import yarl
from multidict import CIMultiDict

from invsync.live.venue import RateLimited, Reply, StreamEnded

#: Transport failures a request or a connection may end with (answered as "no answer").
TRANSPORT_ERRORS = (TimeoutError, aiohttp.ClientError, OSError)


class RetryAfterBlock:
    """The venue's "wait N seconds" (429/418 ``Retry-After``, a rate-limit code), kept."""

    def __init__(self) -> None:
        self._blocked_until = 0.0

    def blocked_for(self) -> float:
        """Seconds until the venue accepts requests again (0: now)."""
        return max(0.0, self._blocked_until - time.monotonic())

    def block(self, seconds: float) -> None:
        """The venue said wait ``seconds``: no request before that."""
        self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)

    def refuse_if_blocked(self) -> None:
        """Raise ``RateLimited`` while a block runs: nothing is sent, the caller decides."""
        wait = self.blocked_for()
        if wait > 0:
            raise RateLimited(wait)

    async def wait_out_block(self, mutation: bool) -> None:
        """A mutation is refused while a block runs (never queued behind a ban: the bot
        decides); any other request waits the block out."""
        if mutation:
            self.refuse_if_blocked()
        wait = self.blocked_for()
        if wait > 0:
            await asyncio.sleep(wait)


class VenueSession(RetryAfterBlock):
    """The HTTP session of one venue client, its ``Retry-After`` block and its requests."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        """Release the session and its sockets (and with them any WebSocket)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        endpoint: str,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: str | None = None,
    ) -> tuple[Reply, Mapping[str, str]]:
        """One request (``url`` already encoded and signed): the answer as received and its
        headers, or a ``Reply`` of status 0 naming the transport failure (and no headers)."""
        try:
            async with self._http().request(
                method, yarl.URL(url, encoded=True), data=data, headers=dict(headers)
            ) as resp:
                text = await resp.text()
                return Reply(endpoint, resp.status, text), CIMultiDict(resp.headers)
        except TRANSPORT_ERRORS as exc:
            # The exception's text may quote the URL (and so a signature): type name only.
            return Reply(endpoint, 0, error=type(exc).__name__), CIMultiDict()

    async def connect(self, url: str, **options: Any) -> aiohttp.ClientWebSocketResponse:
        """Open a WebSocket (``StreamEnded`` if it fails; a ``Retry-After`` it carries blocks)."""
        try:
            ws: aiohttp.ClientWebSocketResponse = await self._http().ws_connect(
                url, autoping=True, timeout=aiohttp.ClientWSTimeout(ws_close=2.0), **options
            )
        except TRANSPORT_ERRORS as exc:
            after = getattr(exc, "headers", None)
            retry = after.get("Retry-After") if after else None
            if retry and retry.isdigit():
                self.block(float(retry))
            raise StreamEnded(f"connect failed: {type(exc).__name__}") from None
        return ws

    @staticmethod
    async def disconnect(ws: aiohttp.ClientWebSocketResponse) -> None:
        """Close a WebSocket, bounded (a peer that never answers the close is left)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 2.0)

    async def handshake(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        what: str,
        judge: Callable[[dict[str, Any]], bool],
    ) -> str:
        """The text of the venue's answer to one handshake step (auth, login, subscribe).

        ``judge`` reads each JSON object frame: True is the answer sought, False another
        frame (skipped); it raises ``StreamEnded`` for a refusal. No answer within the
        session's timeout, or a closed socket, ends the stream.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamEnded(f"no {what} answer within {self.timeout:.0f} s")
            try:
                msg = await asyncio.wait_for(ws.receive(), left)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise StreamEnded(f"socket closed before the {what} answer")
            try:
                body = json.loads(msg.data)
            except ValueError:
                continue
            if isinstance(body, dict) and judge(body):
                return str(msg.data)
