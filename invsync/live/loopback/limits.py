"""Request weight accounting of the loopback (Binance's REQUEST_WEIGHT per minute, per IP).

Weights are the documented ones (rest-api.md / web-socket-api.md). A request over the
budget is refused 429 with ``Retry-After`` (seconds to the end of the window); a request
that arrives while told to wait is refused 418 with the ban's length, which doubles on
each repeat, as Binance's bans scale for repeat offenders.
"""

from __future__ import annotations

import math
from typing import Final

import attrs

#: (method, path) -> weight; openOrders and myTrades depend on parameters, see ``weight``.
WEIGHTS: Final = {
    ("GET", "/api/v3/ping"): 1,
    ("GET", "/api/v3/time"): 1,
    ("GET", "/api/v3/exchangeInfo"): 20,
    ("GET", "/api/v3/account"): 20,
    ("GET", "/api/v3/order"): 4,
    ("POST", "/api/v3/order"): 1,
    ("DELETE", "/api/v3/order"): 1,
    ("PUT", "/api/v3/order/amend/keepPriority"): 4,
    ("GET", "/ws-api/v3"): 2,  # the WebSocket connection itself
}
WS_WEIGHTS: Final = {
    "ping": 1,
    "time": 1,
    "userDataStream.subscribe.signature": 2,
    "userDataStream.unsubscribe": 2,
    "session.subscriptions": 2,
}


def weight(method: str, path: str, params: dict[str, str]) -> int:
    """The documented weight of one REST request."""
    if path == "/api/v3/openOrders":
        return 6 if "symbol" in params else 80
    if path == "/api/v3/myTrades":
        return 5 if "orderId" in params else 20
    return WEIGHTS.get((method, path), 1)


@attrs.define(slots=True)
class WeightBudget:
    """One fixed window of ``window`` seconds with ``limit`` weight; the clock is passed in."""

    limit: int = 6000
    window: float = 60.0
    used: int = 0
    window_start: float = 0.0
    wait_until: float = 0.0  # set by a 429: requests before it are a ban offence
    banned_until: float = 0.0
    ban_length: float = 2.0

    def _roll(self, now: float) -> None:
        if now - self.window_start >= self.window:
            self.window_start = now - (now - self.window_start) % self.window
            self.used = 0

    def retry_after(self, now: float) -> int:
        """Seconds until the current window ends (at least 1)."""
        return max(1, math.ceil(self.window_start + self.window - now))

    def check(self, now: float, cost: int, forced: int | None = None) -> tuple[int, int]:
        """(HTTP status, Retry-After): 200 to proceed (weight charged), else 429 or 418.

        ``forced`` injects a 429 with that Retry-After (the fault ``rate_limit``).
        """
        self._roll(now)
        if now < self.banned_until:
            return 418, max(1, math.ceil(self.banned_until - now))
        if now < self.wait_until:
            self.banned_until = now + self.ban_length
            self.ban_length *= 2
            return 418, max(1, math.ceil(self.banned_until - now))
        if forced is not None:
            self.wait_until = now + forced
            return 429, max(1, forced)
        if self.used + cost > self.limit:
            after = self.retry_after(now)
            self.wait_until = now + after
            return 429, after
        self.used += cost
        return 200, 0
