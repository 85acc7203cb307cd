"""The I/O the venue clients share: one aiohttp session, bounded requests, one private socket.

A request that times out or is answered 5xx has an unknown outcome (``OutcomeUnknown``):
the caller decides what that means (a read is retried later; a mutation is never
retried, its order is queried). Nothing here logs a header or a body: they carry keys
and signatures.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp


class OutcomeUnknown(Exception):
    """A request timed out or failed on the venue's side: it may or may not have executed."""


class StreamRefused(Exception):
    """The venue refused the private stream (failed auth, login or subscription)."""


class Transport:
    """An aiohttp session with a per-request timeout; JSON in and out."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session (created on first use, inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def request(
        self,
        method: str,
        path_and_query: str,
        headers: dict[str, str],
        body: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """(status, headers, decoded JSON body); ``OutcomeUnknown`` on a timeout or 5xx."""
        url = f"{self.base_url}{path_and_query}"
        what = f"{method} {path_and_query.partition('?')[0]}"  # never the query: it is signed
        try:
            async with self.session.request(method, url, headers=headers, data=body) as resp:
                text = await resp.text()
                status = resp.status
                answer_headers = dict(resp.headers)
        except TimeoutError:
            raise OutcomeUnknown(f"{what}: timed out") from None
        except aiohttp.ClientError as e:
            raise OutcomeUnknown(f"{what}: {type(e).__name__}") from None
        if status >= 500:
            raise OutcomeUnknown(f"{what}: HTTP {status}")
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return status, answer_headers, decoded

    async def websocket(self, url: str) -> aiohttp.ClientWebSocketResponse:
        """Open a WebSocket (bounded by the timeout)."""
        return await self.session.ws_connect(
            url, timeout=aiohttp.ClientWSTimeout(ws_close=self.timeout), autoping=True
        )

    async def close(self) -> None:
        """Close the session and its sockets."""
        if self._session is not None:
            await self._session.close()
            self._session = None


async def receive_json(ws: aiohttp.ClientWebSocketResponse, idle: float, ping: Any) -> Any | None:
    """The next decoded text frame; after ``idle`` seconds of silence send ``ping`` (a str is
    sent as text, anything else as JSON) and keep waiting. None once the socket is closed."""
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), idle)
        except TimeoutError:
            if ws.closed:
                return None
            await ws.send_str(ping if isinstance(ping, str) else json.dumps(ping))
            continue
        if msg.type == aiohttp.WSMsgType.TEXT:
            try:
                return json.loads(msg.data)
            except ValueError:
                return msg.data  # bare text frames: OKX's "pong"
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
            aiohttp.WSMsgType.CLOSING,
        ):
            return None
