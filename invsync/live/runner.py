"""The runner: one asyncio task group per account, between a venue and an Inventory.

It owns the venue client, the journal and the Inventory (``runner.inventory``). Three
background tasks: the **stream** (subscribe, journal and apply every message, reconnect
with jittered backoff, at once on ``serverShutdown`` or the 24 h limit), the **requests**
loop (every ``cycle``: the core's ``take_requests``, resyncs, in-flight order checks) and
**reconciliation** (every ``reconcile_interval`` a full snapshot, its diff against local
state journaled and logged, then applied like any snapshot). The bot's own calls
(``place``, ``cancel``, ``amend``) journal and apply the intent before the request leaves,
then journal and apply the answer. Every input goes through ``JournaledInventory.ingest``:
committed to the journal, then applied; nothing blocks the event loop longer than one
SQLite commit. spec/live.md states the behaviour and its defaults.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from core import Inventory
from core import events as ev
from core.errors import InventoryError
from core.requests import QueryOrder, ResyncAccount
from invsync.live.config import RunnerConfig
from invsync.live.journal import Journal
from invsync.live.journaled import JournaledInventory
from invsync.live.records import Row, outcome_unknown
from invsync.live.venue import RateLimited, Reply, StreamEnded, Venue

log = logging.getLogger("invsync.live.runner")

_DOUBTFUL = frozenset({"pending_new", "pending_cancel", "unknown"})


class OrderRefused(InventoryError):
    """The Inventory refused the bot's intent (nothing was sent); names the order and why."""


@attrs.define(slots=True)
class _Doubt:
    """An order whose state the runner must ask the venue for."""

    symbol: str
    client_order_id: str | None
    order_id: str | None
    reason: str
    due: float
    interval: float
    once: bool  # answered by one successful query (a core request, an amend's outcome)


class Runner:
    """Keeps one account's Inventory in step with its venue; see the module docstring.

    ``journal`` is a ``Journal`` or a path (then the runner opens and closes it). A journal
    with rows is replayed first (``runner.inventory`` is then the rebuilt Inventory, and
    ``inventory`` is ignored), and the account is resynced once the stream is subscribed.
    """

    def __init__(
        self,
        venue: Venue,
        journal: Journal | str | Path,
        inventory: Inventory | None = None,
        config: RunnerConfig | None = None,
        *,
        on_apply: Callable[[Row, list[ev.Event], str | None], None] | None = None,
    ) -> None:
        self.venue = venue
        self.config = config or RunnerConfig()
        self._owns_journal = not isinstance(journal, Journal)
        if isinstance(journal, Journal):
            self.journal = journal
        else:
            if inventory is None and not Path(journal).exists():
                raise ValueError("Runner: a new journal needs the inventory (its instruments)")
            self.journal = Journal(
                journal,
                codec=venue.codec,
                instruments=inventory.instruments if inventory is not None else None,
            )
        self.book = JournaledInventory(
            self.journal,
            inventory,
            checkpoint_every=self.config.checkpoint_every,
            on_apply=on_apply,
        )
        self.symbols = tuple(sorted({i.symbol for i in self.inventory.instruments}))
        self._rng = random.Random(self.config.jitter_seed)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._closed = False
        self._subscribed = False
        self._stream_up = False
        self._generation = 0
        self._resync_wanted: str | None = None
        self._resync_not_before = 0.0
        self._resync_failures = 0
        self._outstanding: dict[str, int] = {}
        self._answered_at: dict[str, float] = {}
        self._doubts: dict[str, _Doubt] = {}
        # cid -> (op, amend quantity) of a cancel/amend whose outcome is unknown
        self._unsure: dict[str, tuple[str, Decimal | None]] = {}
        self._wake = asyncio.Event()
        self._cid = itertools.count(1)
        self._cid_prefix = f"iv{os.getpid() % 10000:04d}{int(time.time()) % 100000:05d}"
        self.counters: dict[str, int] = {
            "connects": 0,
            "disconnects": 0,
            "snapshots": 0,
            "snapshot_failures": 0,
            "queries": 0,
            "reconciliations": 0,
        }

    def __repr__(self) -> str:
        return (
            f"Runner({self.venue!r}, journal={str(self.journal.path)!r}, "
            f"sync={self.inventory.sync_state})"
        )

    @property
    def inventory(self) -> Inventory:
        """The Inventory this runner keeps (read it freely; never apply to it yourself)."""
        return self.book.inventory

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Runner:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the background tasks (after replaying the journal, if it had rows)."""
        if self._tasks:
            return
        if self.book.restored:
            log.info("journal %s replayed: %d rows", self.journal.path, self.book.applied)
            self.book.note("restart", rows=self.book.applied)
            self._stream_status(False, "runner restarted: messages may have been missed")
        self._tasks = [
            asyncio.create_task(self._stream_loop(), name="invsync-stream"),
            asyncio.create_task(self._request_loop(), name="invsync-requests"),
            asyncio.create_task(self._reconcile_loop(), name="invsync-reconcile"),
        ]

    async def close(self) -> None:
        """Stop the tasks, close the venue, checkpoint and close the journal if ours."""
        if self._closed:
            return
        self._closing = True
        for t in self._tasks:
            t.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2.0)
        # Closing the venue closes its sockets, which ends any read still pending.
        await self.venue.close()
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=2.0)
            for t in pending:
                if not t.done():
                    log.error("task %s did not stop", t.get_name())
        if self.config.checkpoint_every and len(self.journal) > 1:
            self.book.checkpoint()
        if self._owns_journal:
            self.journal.close()
        self._closed = True

    async def wait_synced(self, timeout: float = 10.0) -> None:
        """Wait until a snapshot has been applied since the last break (``synced``/``settling``)."""
        deadline = time.monotonic() + timeout
        while not (
            self._subscribed
            and self._resync_wanted is None
            and self.inventory.sync_state in ("synced", "settling")
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"runner not synced after {timeout} s (account {self.inventory.sync_state})"
                )
            await asyncio.sleep(0.02)

    def quiet(self) -> bool:
        """Nothing outstanding: subscribed, no resync wanted, no request or doubt open."""
        return (
            self._subscribed
            and self._resync_wanted is None
            and not self._outstanding
            and not self._doubts
            and not self.inventory.requests()
            and not any(o.status in _DOUBTFUL for o in self.inventory.open_orders())
        )

    # --- order entry ---------------------------------------------------------------------

    def new_client_order_id(self) -> str:
        """A fresh client order id (Binance allows ``^[.A-Z:/a-z0-9_-]{1,36}$``)."""
        return f"{self._cid_prefix}-{next(self._cid)}"

    def _intent(self, op: str, cid: str, **fields: Any) -> None:
        if self._closing:
            raise RuntimeError("Runner is closed")
        wait = self.venue.blocked_for()
        if wait > 0:
            raise RateLimited(wait)
        body: dict[str, str | None] = {"op": op, "cid": cid}
        body.update({k: (None if v is None else str(v)) for k, v in fields.items()})
        _, error = self.book.ingest("intent", "bot", json.dumps(body))
        if error is not None:
            raise OrderRefused(f"{op} {cid}: {error}; nothing was sent")

    async def _send(
        self, op: str, cid: str, call: Callable[[], Any], endpoint: str, **fields: Any
    ) -> list[ev.Event]:
        self._outstanding[cid] = self._outstanding.get(cid, 0) + 1
        reply: Reply
        try:
            reply = await call()
        except RateLimited as exc:
            reply = Reply(endpoint, -1, error=str(exc))
        except asyncio.CancelledError:
            # The request may have left: its outcome is unknown, as after a timeout.
            self._answer(op, Reply(endpoint, 0, error="CancelledError"), cid, **fields)
            raise
        finally:
            n = self._outstanding.get(cid, 1) - 1
            if n:
                self._outstanding[cid] = n
            else:
                self._outstanding.pop(cid, None)
            self._answered_at[cid] = time.monotonic()
        if op in ("cancel", "amend") and outcome_unknown(
            reply.status, reply.text, self.journal.codec
        ):
            q = fields.get("quantity")
            self._unsure[cid] = (op, q if isinstance(q, Decimal) else None)
        return self._answer(op, reply, cid, **fields)

    def _answer(self, op: str, reply: Reply, cid: str | None, **fields: Any) -> list[ev.Event]:
        body = {
            "op": op,
            "cid": cid,
            "status": reply.status,
            "text": reply.text,
            "error": reply.error,
        }
        body.update({k: (None if v is None else str(v)) for k, v in fields.items()})
        events, _ = self.book.ingest("answer", f"rest:{reply.endpoint}", json.dumps(body))
        return events

    async def place(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal | None = None,
        *,
        client_order_id: str | None = None,
    ) -> str:
        """Place an order (limit with ``price``, market without); returns its client id.

        The intent is journaled and in the Inventory before the request leaves, so its
        reserve and exposure count at once. The answer is journaled and applied: a
        definite refusal rejects it, an unknown outcome (timeout, 5xx, -1006/-1007) leaves
        it ``unknown`` until a query settles it. Never retried.
        """
        cid = client_order_id or self.new_client_order_id()
        if not isinstance(quantity, Decimal) or not isinstance(price, Decimal | None):
            raise TypeError(f"place {cid}: quantity and price must be Decimal")
        self._intent("submit", cid, symbol=symbol, side=side, quantity=quantity, price=price)
        await self._send(
            "place",
            cid,
            lambda: self.venue.place(symbol, side, quantity, price, cid),
            "POST /api/v3/order",
        )
        return cid

    async def cancel(self, client_order_id: str) -> None:
        """Cancel an order: ``pending_cancel`` at once; the venue's answer decides."""
        o = self.inventory.order(client_order_id)
        if o is None:
            raise OrderRefused(f"cancel {client_order_id}: unknown client order id")
        self._intent("cancel", client_order_id)
        await self._send(
            "cancel",
            client_order_id,
            lambda: self.venue.cancel(o.symbol, client_order_id, o.order_id),
            "DELETE /api/v3/order",
        )

    async def amend(self, client_order_id: str, quantity: Decimal) -> None:
        """Reduce an order's quantity (Binance spot amend keepPriority); never retried."""
        o = self.inventory.order(client_order_id)
        if o is None:
            raise OrderRefused(f"amend {client_order_id}: unknown client order id")
        self._intent("amend", client_order_id, quantity=quantity)
        await self._send(
            "amend",
            client_order_id,
            lambda: self.venue.amend(o.symbol, client_order_id, o.order_id, quantity),
            "PUT /api/v3/order/amend/keepPriority",
            quantity=quantity,
        )
        # Success or not, one query tells the venue's view of the chain's end.
        self._doubts[client_order_id] = _Doubt(
            o.symbol,
            client_order_id,
            o.order_id,
            "amend answered",
            time.monotonic() + self.config.inflight_threshold,
            self.config.inflight_interval,
            once=True,
        )

    # --- stream --------------------------------------------------------------------------

    def _stream_status(self, up: bool, reason: str = "") -> None:
        if up:
            self.book.ingest("status", "runner", json.dumps({"state": "connected"}))
        else:
            self.book.ingest(
                "status", "runner", json.dumps({"state": "disconnected", "reason": reason})
            )
        self._stream_up = up

    async def _stream_loop(self) -> None:
        attempt = 0
        while not self._closing:
            reason, now = "stream ended", False
            try:
                async with self.venue.subscribe() as stream:
                    self._generation += 1
                    self.counters["connects"] += 1
                    self._stream_status(True)
                    self._subscribed = True
                    # Every (re)subscription may follow a gap: resync after its ack.
                    self._want_resync("subscribed")
                    attempt = 0
                    async for source, text in stream.messages():
                        self.book.ingest("ws", source, text)
            except StreamEnded as exc:
                reason, now = exc.reason, exc.now
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a client bug must not kill the account's stream
                reason = f"stream error: {type(exc).__name__}"
                log.exception("stream task")
            self._subscribed = False
            self._generation += 1
            if self._stream_up:
                self.counters["disconnects"] += 1
                self._stream_status(False, reason)
            log.info("stream ended: %s", reason)
            if self._closing:
                return
            delay = 0.0 if now else self._backoff(attempt)
            attempt = 0 if now else attempt + 1
            await asyncio.sleep(max(delay, self.venue.blocked_for()))

    def _backoff(self, attempt: int) -> float:
        cap = min(self.config.backoff_max, self.config.backoff_initial * 2**attempt)
        return self._rng.uniform(cap / 2, cap)

    # --- requests ------------------------------------------------------------------------

    def _want_resync(self, why: str) -> None:
        if self._resync_wanted is None:
            self._resync_wanted = why
        self._wake.set()

    async def _request_loop(self) -> None:
        while not self._closing:
            try:
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("request cycle")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.cycle)

    async def _cycle(self) -> None:
        now = time.monotonic()
        for r in self.inventory.take_requests():
            if isinstance(r, ResyncAccount):
                self._want_resync(r.reason)
            elif isinstance(r, QueryOrder):
                key = r.client_order_id or r.order_id
                if key is not None and key not in self._doubts:
                    self._doubts[key] = _Doubt(
                        r.symbol, r.client_order_id, r.order_id, r.reason, now, 0.0, once=True
                    )
        if self._resync_wanted is not None and self._subscribed and now >= self._resync_not_before:
            await self._resync(self._resync_wanted)
        await self._check_inflight()

    async def _check_inflight(self) -> None:
        cfg = self.config
        now = time.monotonic()
        for o in self.inventory.open_orders():
            key = o.client_order_id or o.order_id
            if key is None or o.status not in _DOUBTFUL or key in self._doubts:
                continue
            if key in self._outstanding:
                continue  # its own request is still out: a query could race it
            since = self._answered_at.get(key, now)
            self._answered_at.setdefault(key, now)
            self._doubts[key] = _Doubt(
                o.symbol,
                o.client_order_id,
                o.order_id,
                f"order {o.status}",
                since + cfg.inflight_threshold,
                cfg.inflight_interval,
                once=False,
            )
        due = [
            (k, d) for k, d in self._doubts.items() if d.due <= now and k not in self._outstanding
        ]
        due.sort(key=lambda kd: kd[1].due)
        # Concurrently (a slow venue must not stretch the cycle to N timeouts), bounded.
        await asyncio.gather(*(self._query(k, d) for k, d in due[: cfg.queries_per_cycle]))

    async def _query(self, key: str, d: _Doubt) -> None:
        current = self.inventory.order(key)
        order_id = d.order_id or (current.order_id if current is not None else None)
        symbol = current.symbol if current is not None else d.symbol
        self.counters["queries"] += 1
        reply = await self.venue.query(symbol, d.client_order_id, order_id)
        events = self._answer("query", reply, d.client_order_id, order_id=order_id)
        answered = reply.ok or any(isinstance(e, ev.OrderNotFound) for e in events)
        unsure = self._unsure.pop(key, None) if reply.ok else None
        for e in events:
            if unsure is not None and isinstance(e, ev.OrderReported):
                self._settle_unsure(key, unsure, e)
            if isinstance(e, ev.OrderReported) and e.filled_quantity > 0:
                # The report counts fills whose messages may be lost: fetch them.
                tr = await self.venue.trades(e.symbol, e.order_id)
                self._answer("trades", tr, d.client_order_id, order_id=e.order_id)
                answered = answered and tr.ok
        now = time.monotonic()
        after = self.inventory.order(key)
        still = after is not None and after.status in _DOUBTFUL
        if answered and (d.once or not still):
            self._doubts.pop(key, None)
            return
        if not still and not d.once:
            self._doubts.pop(key, None)
            return
        d.due = now + max(d.interval, self.config.inflight_interval)
        d.interval = min(
            max(d.interval, self.config.inflight_interval) * 2, self.config.inflight_max_interval
        )

    def _settle_unsure(
        self, cid: str, unsure: tuple[str, Decimal | None], report: ev.OrderReported
    ) -> None:
        """A cancel/amend of unknown outcome, and a later report of the order: did it happen?"""
        op, quantity = unsure
        if report.status not in ("new", "partially_filled"):
            return  # ended: whatever the cancel or amend did, the report says it all
        if op == "amend" and report.quantity == quantity:
            return  # the amend took
        detail = f"order live with quantity {report.quantity} at {report.version}"
        fields: dict[str, Any] = {"order_id": report.order_id}
        if op == "amend":
            fields["quantity"] = quantity
        self._answer(op, Reply("GET /api/v3/order", -2, error=detail), cid, **fields)

    async def reconcile(self, timeout: float = 10.0) -> None:
        """Take a full snapshot now (diff journaled and logged, then applied) and wait for it."""
        done = self.counters["snapshots"]
        self._want_resync("requested")
        deadline = time.monotonic() + timeout
        while self.counters["snapshots"] == done or self._resync_wanted is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no snapshot applied within {timeout} s")
            await asyncio.sleep(0.02)

    async def _resync(self, why: str) -> None:
        gen = self._generation
        replies = await self.venue.snapshot(self.symbols)
        parts = [
            "account",
            *(f"open_orders:{s}" for s in self.symbols),
            *(f"trades:{s}" for s in self.symbols),
        ]
        bad = [p for p in parts if p not in replies or not replies[p].ok]
        if bad:
            self.counters["snapshot_failures"] += 1
            self._resync_failures += 1
            r = replies.get(bad[0])
            log.warning(
                "snapshot failed at %s (%s)", bad[0], f"HTTP {r.status} {r.error}" if r else "-"
            )
            self._resync_not_before = time.monotonic() + self._backoff(self._resync_failures)
            return
        if gen != self._generation:
            return  # the stream broke while collecting: the next subscription resyncs
        body = json.dumps(
            {
                "account": replies["account"].text,
                "open_orders": {s: replies[f"open_orders:{s}"].text for s in self.symbols},
                "trades": {s: replies[f"trades:{s}"].text for s in self.symbols},
            }
        )
        # Before the first snapshot there is no local view to compare.
        first = self.counters["snapshots"] == 0 and not self.book.restored
        diff = {} if first else self._diff(body)
        if diff:
            # A periodic check that differs found drift; after a gap a difference is expected.
            level = logging.WARNING if why == "periodic reconciliation" else logging.INFO
            log.log(level, "reconcile diff (%s): %s", why, json.dumps(diff, sort_keys=True))
        self.book.note("reconcile", why=why, diff=diff)
        self.book.ingest("snapshot", "rest:GET /api/v3/account+openOrders+myTrades", body)
        self.counters["snapshots"] += 1
        self._resync_failures = 0
        self._resync_wanted = None

    def _diff(self, body: str) -> dict[str, Any]:
        """Local state vs the venue's snapshot: what differs (before the snapshot repairs it)."""
        try:
            events = self.book.decode(Row(0, "snapshot", "", body))
        except (InventoryError, ValueError, KeyError, TypeError) as exc:
            return {"unreadable": f"{type(exc).__name__}: {exc}"}
        snap = next((e for e in events if isinstance(e, ev.SnapshotTaken)), None)
        if snap is None:
            return {}
        inv = self.inventory
        out: dict[str, Any] = {}
        balances: dict[str, Any] = {}
        for b in snap.balances:
            local = inv.balance(b.asset)
            if (local.total, local.free) != (b.total, b.free):
                balances[b.asset] = {
                    "local": [str(local.total), str(local.free)],
                    "venue": [str(b.total), str(b.free)],
                }
        if balances:
            out["balances"] = balances
        venue_open = {o.order_id: o for o in snap.open_orders}
        local_open = {o.order_id: o for o in inv.open_orders() if o.order_id is not None}
        missing_locally = sorted(set(venue_open) - set(local_open))
        gone_at_venue = sorted(set(local_open) - set(venue_open))
        if missing_locally:
            out["open_at_venue_only"] = missing_locally
        if gone_at_venue:
            out["open_locally_only"] = gone_at_venue
        fields: dict[str, Any] = {}
        for oid in set(venue_open) & set(local_open):
            v, loc = venue_open[oid], local_open[oid]
            if (v.quantity, v.filled_quantity) != (loc.quantity, loc.filled_quantity):
                fields[oid] = {
                    "local": [str(loc.quantity), str(loc.filled_quantity)],
                    "venue": [str(v.quantity), str(v.filled_quantity)],
                }
        if fields:
            out["orders"] = fields
        positions = self._position_diff(snap)
        if positions:
            out["positions"] = positions
        return out

    def _position_diff(self, snap: ev.SnapshotTaken) -> dict[str, Any]:
        """Signed quantity and entry price of each derivative, local vs venue. A position
        the snapshot omits is flat only when its positions part is complete."""
        inv = self.inventory
        venue = {p.symbol: p for p in snap.positions}
        out: dict[str, Any] = {}
        for inst in inv.instruments:
            if not inst.is_derivative:
                continue
            reported = venue.get(inst.symbol)
            if reported is None and not snap.positions_complete:
                continue
            theirs = (Decimal(0), Decimal(0))
            if reported is not None and reported.quantity != 0:
                theirs = (reported.quantity, reported.entry_price)  # flat has no entry price
            local = inv.position(inst.symbol)
            if (local.quantity, local.entry_price) != theirs:
                out[inst.symbol] = {
                    "local": [str(local.quantity), str(local.entry_price)],
                    "venue": [str(theirs[0]), str(theirs[1])],
                }
        return out

    async def _reconcile_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.config.reconcile_interval)
            self.counters["reconciliations"] += 1
            self._want_resync("periodic reconciliation")
