"""The ccxt route: the same ``Runner`` over a ccxt (Pro) exchange's ``watch_*``/``fetch_*``.

``CcxtVenue`` is a ``Venue`` (invsync.live.venue) whose replies and stream messages are
ccxt's unified structures as JSON; ``ccxt_events`` is its pure journal codec (registered
as ``records.CODECS["ccxt"]`` when this module is imported), reading them with
``core.adapters.ccxt``. The Inventory's instruments use ccxt's unified symbols
(``BTC/USDT``), which is what ccxt's structures carry.

Why it is safe although ccxt's caches are last-write-wins with no backfill:

* every order and trade ccxt hands out is journaled and applied as a report of its own
  time; the core ignores a report older than what it holds and counts a trade id once,
  so ccxt's repeats (its ``watch_*`` caches resend) cost nothing;
* any exception out of a ``watch_*`` (a closed socket, a ``serverShutdown``, a parse
  error inside ccxt) ends the stream; the runner reconnects and resyncs from REST, so a
  message ccxt dropped is recovered by the snapshot that follows (P5);
* ``watch_balance`` is not used: ccxt merges each balance message into one cached dict
  (a ``balanceUpdate`` leaves ``used`` empty, and an asset missing from the latest
  message keeps an older value under the newer time), which no single version can
  describe. Balances come from ``fetch_balance`` snapshots (version: its ``timestamp``,
  Binance's ``updateTime``; else the send time minus 1 ms) and, between them, from the
  core's own accounting of orders and fills; deposits show at the next reconciliation.

Answers: a ccxt exception is classified when it happens and journaled as a status and
the exception's class name, never its message (ccxt quotes the request URL, signature
included, in network errors); for an ``ExchangeError`` the venue's JSON body is kept
when ccxt's message carries one. ``InsufficientFunds``/``InvalidOrder``/``BadRequest``/
``AuthenticationError``/``PermissionDenied``/``OperationRejected`` are definite refusals
(400); ``OrderNotFound`` is 404; ``DDoSProtection``/``RateLimitExceeded`` (429/418) were
refused before running; anything else (``RequestTimeout``, ``ExchangeNotAvailable``,
``OperationFailed``, ``BadResponse``, a bare ``ExchangeError`` or ``NetworkError``) leaves
the outcome unknown (status 0), to be settled by an order query.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from core import events as ev
from core.adapters import ccxt as ccxt_adapter
from invsync.live import records
from invsync.live.records import Unreadable, loads
from invsync.live.session import RetryAfterBlock
from invsync.live.venue import Reply, StreamEnded

log = logging.getLogger("invsync.live.ccxt_route")

CODEC: Final = "ccxt"
STREAM: Final = "ccxt.user_data"
WS_SOURCE: Final = "ccxt:watch"
#: ccxt exception classes that are definite refusals (nothing executed).
REFUSALS: Final = (
    "InsufficientFunds",
    "InvalidOrder",
    "BadRequest",
    "BadSymbol",
    "AuthenticationError",
    "PermissionDenied",
    "AccountSuspended",
    "OperationRejected",
    "ArgumentsRequired",
    "NotSupported",
)
RATE_LIMITS: Final = ("DDoSProtection", "RateLimitExceeded")
#: The watches the stream runs (ccxt method name -> journal tag).
WATCHES: Final = (("watch_orders", "orders"), ("watch_my_trades", "my_trades"))


def _classes(exc: BaseException) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def _venue_body(exc: BaseException) -> str:
    """The venue's JSON error body quoted in a ccxt ExchangeError message, else ""."""
    text = str(exc)
    start = text.find("{")
    if start < 0 or "ExchangeError" not in _classes(exc):
        return ""
    try:
        body = json.loads(text[start:])
    except ValueError:
        return ""
    if isinstance(body, dict) and set(body) <= {"code", "msg"}:
        return json.dumps(body)
    return ""


class _Stream:
    """The ccxt watches of one (re)subscription, merged into one message iterator."""

    def __init__(self, client: Any, symbols: Sequence[str]) -> None:
        self.client = client
        self.symbols = symbols

    async def messages(self) -> AsyncIterator[tuple[str, str]]:
        """``(source, JSON text)`` per watch result; any watch exception ends the stream."""
        pending: dict[asyncio.Task[Any], str] = {}

        def start(method: str, tag: str) -> None:
            task = asyncio.ensure_future(getattr(self.client, method)())
            pending[task] = tag

        try:
            for method, tag in WATCHES:
                start(method, tag)
            while True:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda t: pending[t]):
                    tag = pending.pop(task)
                    exc = task.exception()
                    if exc is not None:
                        raise StreamEnded(f"watch {tag} failed: {type(exc).__name__}")
                    data = task.result()
                    yield f"{WS_SOURCE}:{tag}", json.dumps({"watch": tag, "data": data})
                    start(f"watch_{tag}", tag)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


class CcxtVenue(RetryAfterBlock):
    """A ``Venue`` over a ccxt Pro exchange instance (see the module docstring).

    ``client`` is a ready ``ccxt.pro`` exchange (keys and URLs set); the venue loads its
    markets, never retries a mutation and closes the client on ``close``.
    """

    codec: str = CODEC

    def __init__(self, client: Any, *, request_timeout: float = 10.0) -> None:
        super().__init__()
        self.client = client
        self.request_timeout = request_timeout
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"CcxtVenue({getattr(self.client, 'id', '?')}, credentials=<redacted>)"

    async def close(self) -> None:
        """Close ccxt's sessions and sockets."""
        with contextlib.suppress(Exception):
            await self.client.close()

    async def _markets(self) -> None:
        if not getattr(self.client, "markets", None):
            await asyncio.wait_for(self.client.load_markets(), self.request_timeout)

    async def _call(
        self, endpoint: str, fn: Callable[[], Awaitable[Any]], *, mutation: bool = False
    ) -> Reply:
        await self.wait_out_block(mutation)
        self.requests_sent += 1
        try:
            await self._markets()
            result = await asyncio.wait_for(fn(), self.request_timeout)
        except TimeoutError:
            return Reply(endpoint, 0, error="TimeoutError")
        except Exception as exc:  # ccxt's own hierarchy; classified by class name only
            return self._failure(endpoint, exc)
        return Reply(endpoint, 200, text=json.dumps(result))

    def _failure(self, endpoint: str, exc: BaseException) -> Reply:
        names = _classes(exc)
        kind = type(exc).__name__
        if names & set(RATE_LIMITS):
            headers = getattr(self.client, "last_response_headers", None) or {}
            after = headers.get("Retry-After") or headers.get("retry-after")
            seconds = float(after) if after and str(after).isdigit() else 60.0
            self.block(seconds)
            return Reply(endpoint, 429, text=_venue_body(exc), error=kind, retry_after=seconds)
        if "OrderNotFound" in names:
            return Reply(endpoint, 404, text=_venue_body(exc), error=kind)
        if names & set(REFUSALS):
            return Reply(endpoint, 400, text=_venue_body(exc), error=kind)
        return Reply(endpoint, 0, text=_venue_body(exc), error=kind)

    # --- Venue ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[_Stream]:
        """Load markets and authenticate the user-data stream; yields once acknowledged.

        ccxt Pro's Binance ``authenticate`` sends ``userDataStream.subscribe.signature``
        and returns on its answer; the watches then only listen on that connection.
        """
        try:
            await self._markets()
            auth = getattr(self.client, "authenticate", None)
            if auth is not None:
                await asyncio.wait_for(auth(), self.request_timeout)
        except Exception as exc:
            raise StreamEnded(f"subscribe failed: {type(exc).__name__}") from None
        yield _Stream(self.client, ())

    async def snapshot(self, symbols: Sequence[str]) -> dict[str, Reply]:
        """Balance (with its version), then open orders and trades per symbol."""
        sent_ms = int(self.client.milliseconds())

        async def balance() -> dict[str, Any]:
            b = await self.client.fetch_balance()
            stamp = b.get("timestamp")
            version = stamp if isinstance(stamp, int) and stamp > 0 else sent_ms - 1
            return {"balance": b, "version": version}

        out = {"account": await self._call("fetch_balance", balance)}
        if not out["account"].ok:
            return out
        for part, method in (("open_orders", "fetch_open_orders"), ("trades", "fetch_my_trades")):
            for s in symbols:
                r = await self._call(method, functools.partial(getattr(self.client, method), s))
                out[f"{part}:{s}"] = r
                if not r.ok:
                    return out
        return out

    async def query(self, symbol: str, client_order_id: str | None, order_id: str | None) -> Reply:
        """``fetch_order`` by exchange id, else by client order id."""
        if order_id is not None:
            return await self._call(
                "fetch_order", lambda: self.client.fetch_order(order_id, symbol)
            )
        params = {"clientOrderId": client_order_id}
        return await self._call(
            "fetch_order", lambda: self.client.fetch_order(None, symbol, params)
        )

    async def trades(self, symbol: str, order_id: str) -> Reply:
        """``fetch_my_trades`` of one order."""
        return await self._call(
            "fetch_my_trades",
            lambda: self.client.fetch_my_trades(symbol, None, None, {"orderId": order_id}),
        )

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None,
        client_order_id: str,
    ) -> Reply:
        """``create_order`` (limit with a price, else market) with our client order id."""
        kind = "limit" if price is not None else "market"
        amount = format(quantity, "f")
        limit = None if price is None else format(price, "f")
        return await self._call(
            "create_order",
            lambda: self.client.create_order(
                symbol, kind, side, amount, limit, {"clientOrderId": client_order_id}
            ),
            mutation=True,
        )

    async def cancel(self, symbol: str, client_order_id: str, order_id: str | None) -> Reply:
        """``cancel_order`` by exchange id, else by client order id."""
        params = {} if order_id is not None else {"clientOrderId": client_order_id}
        return await self._call(
            "cancel_order",
            lambda: self.client.cancel_order(order_id, symbol, params),
            mutation=True,
        )

    async def amend(
        self, symbol: str, client_order_id: str, order_id: str | None, quantity: Decimal
    ) -> Reply:
        """Binance's ``PUT /api/v3/order/amend/keepPriority`` through ccxt's generic
        ``request`` (ccxt 4.5 has no unified amend that keeps priority); our client id
        stays the order's."""
        market = self.client.market(symbol)
        params = {
            "symbol": market["id"],
            "newQty": format(quantity, "f"),
            "newClientOrderId": client_order_id,
        }
        if order_id is not None:
            params["orderId"] = order_id
        else:
            params["origClientOrderId"] = client_order_id
        return await self._call(
            "amend",
            lambda: self.client.request("order/amend/keepPriority", ["private"], "PUT", params),
            mutation=True,
        )


# --- codec (pure) ---------------------------------------------------------------------------


def _order_without_untimed_trades(order: Any) -> Any:
    """A create/cancel answer's fills may lack a time (Binance FULL): the stream and the
    trade list carry them with one, so they are left to those."""
    if isinstance(order, dict) and isinstance(order.get("trades"), list):
        timed = [t for t in order["trades"] if isinstance(t, dict) and t.get("timestamp")]
        return {**order, "trades": timed}
    return order


def _answer(a: Mapping[str, Any]) -> list[ev.Event]:
    op, status = a["op"], int(a["status"])
    cid: str = a.get("cid") or ""
    text = a.get("text") or ""
    if 200 <= status < 300:
        body = loads(text, f"answer to {op}")
        if op in ("place", "cancel", "query"):
            return ccxt_adapter.parse_order(_order_without_untimed_trades(body), "spot")
        if op == "trades":
            return [e for t in body for e in ccxt_adapter.parse_trade(t, "spot")]
        return []  # amend: the stream's report (or the query after it) tells
    reason = f"{a.get('error') or 'no answer'} (status {status})"
    if text:
        reason = f"{reason}: {text}"
    if op in ("query", "trades"):
        if status == 404 and op == "query":
            return [ev.OrderNotFound(client_order_id=cid or None, order_id=a.get("order_id"))]
        return []  # asked again later
    # cancel / amend in doubt yield nothing: the order is queried
    return records.settle(op, a, None, reason, OUTCOME)


def _lists(part: Any, what: str) -> list[Any]:
    """One JSON list, or ``{symbol: JSON list}`` joined."""
    texts = part.values() if isinstance(part, dict) else [part]
    out: list[Any] = []
    for text in texts:
        items = loads(text, what)
        if not isinstance(items, list):
            raise Unreadable(f"{what}: expected a list")
        out.extend(items)
    return out


def _snapshot(s: Mapping[str, Any]) -> list[ev.Event]:
    account = loads(s["account"], "snapshot account")
    return ccxt_adapter.parse_snapshot(
        balance=account["balance"],
        open_orders=_lists(s["open_orders"], "snapshot open orders"),
        trades=_lists(s["trades"], "snapshot trades"),
        version=account["version"],
        kind="spot",
    )


def _ws(text: str) -> list[ev.Event]:
    return ccxt_adapter.parse(loads(text, "ws message")["data"], kind="spot")


#: ccxt answers carry no venue code the route reads: only no answer and 5xx are unknown.
OUTCOME: Final = records.UnknownOutcome(frozenset(), lambda body: [])

#: The core events of one journal row of a ccxt-route runner (pure).
ccxt_events: Final = records.register(CODEC, OUTCOME, STREAM, _ws, _answer, _snapshot)
