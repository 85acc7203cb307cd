"""``invsync loopback``: serve the loopback exchange so any bot can be pointed at it.

Prints the REST and WebSocket API URLs and the (test-only) key and secret, then runs
until Ctrl-C (or SIGTERM, or ``--duration``), driving the market: every ``--tick-ms`` the
price of each symbol takes a seeded random-walk step and resting orders it crosses fill.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import sys
from decimal import Decimal, InvalidOperation
from typing import Final

from core.instrument import Instrument
from invsync.cli import UsageError
from invsync.live.loopback.faults import PROFILES, Faults
from invsync.live.loopback.server import LoopbackExchange

#: Quote assets recognised at the end of a symbol written without a slash (BTCUSDT).
QUOTES: Final = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "EUR", "TRY", "BTC", "ETH", "BNB")
DEFAULT_PRICE: Final = Decimal(100)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (8765; 0 = any free one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of faults, ids and prices")
    parser.add_argument(
        "--faults",
        default="none",
        help=f"a profile ({', '.join(PROFILES)}) and/or key=value,... "
        "(drop, duplicate, reorder, delay, disconnect, shutdown, rest_5xx, rest_timeout, "
        "rate_limit, unknown_outcome, max_delay, timeout, retry_after, executed_share)",
    )
    parser.add_argument(
        "--symbol",
        action="append",
        metavar="SYMBOL[=PRICE]",
        help="a spot symbol, BASE/QUOTE or BTCUSDT, with its start price (BTC/USDT=50000); "
        "repeatable",
    )
    parser.add_argument(
        "--balance",
        action="append",
        metavar="ASSET=AMOUNT",
        help="a starting balance (default USDT=10000 and BTC=1); repeatable",
    )
    parser.add_argument("--tick-ms", type=int, default=500, help="market step interval (0: none)")
    parser.add_argument(
        "--volatility", type=Decimal, default=Decimal("0.001"), help="relative step size"
    )
    parser.add_argument("--fee-rate", type=Decimal, default=Decimal("0.001"), help="fee rate")
    parser.add_argument("--api-key", default="loopback-key", help="the key clients must send")
    parser.add_argument("--api-secret", default="loopback-secret", help="the HMAC secret")
    parser.add_argument("--duration", type=float, default=None, help="stop after N seconds")
    parser.add_argument(
        "--no-model-check",
        action="store_true",
        help="skip the model's invariant check after every change (it scans every order, "
        "so a session with thousands of orders slows down)",
    )


def parse_symbol(text: str) -> tuple[Instrument, Decimal]:
    """``BTC/USDT=50000`` or ``BTCUSDT`` -> (Instrument, start price)."""
    name, _, raw_price = text.partition("=")
    name = name.strip().upper()
    if "/" in name:
        base, _, quote = name.partition("/")
    else:
        quote = next((q for q in QUOTES if name.endswith(q) and len(name) > len(q)), "")
        base = name[: -len(quote)] if quote else ""
    if not base or not quote or not (base + quote).isalnum():
        raise UsageError(f"--symbol {text!r}: write BASE/QUOTE, e.g. BTC/USDT=50000")
    price = DEFAULT_PRICE if base != "BTC" else Decimal(50000)
    if raw_price:
        price = _positive(raw_price, f"--symbol {text!r}: price")
    return Instrument(symbol=base + quote, kind="spot", base=base, quote=quote), price


def _positive(raw: str, what: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise UsageError(f"{what} {raw!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{what} {raw!r} must be > 0")
    return value


def parse_balance(text: str) -> tuple[str, Decimal]:
    """``USDT=10000`` -> ("USDT", Decimal("10000"))."""
    asset, sep, raw = text.partition("=")
    asset = asset.strip().upper()
    if not sep or not asset.isalnum():
        raise UsageError(f"--balance {text!r}: write ASSET=AMOUNT, e.g. USDT=10000")
    return asset, _positive(raw, f"--balance {asset}: amount")


class Market:
    """A seeded random walk per symbol, rounded to the tick size, that fills what it crosses."""

    def __init__(self, ex: LoopbackExchange, prices: dict[str, Decimal], volatility: Decimal):
        self.ex = ex
        self.prices = dict(prices)
        self.volatility = volatility
        self.rng = random.Random(f"loopback/{ex.seed}/market")

    def step(self) -> int:
        """One step of every symbol; returns the number of fills."""
        fills = 0
        for symbol in sorted(self.prices):
            tick = self.ex.model.instruments[symbol].tick_size or Decimal("0.01")
            move = Decimal(repr(self.rng.gauss(0.0, 1.0))) * self.volatility
            price = (self.prices[symbol] * (1 + move)).quantize(tick)
            price = max(price, tick)
            self.prices[symbol] = price
            fills += len(self.ex.match(symbol, price))
        return fills


async def serve(args: argparse.Namespace, made: list[LoopbackExchange]) -> None:
    """Run the exchange until stopped; it is appended to ``made`` as soon as it exists."""
    symbols = [parse_symbol(s) for s in (args.symbol or ["BTC/USDT"])]
    balances = dict(parse_balance(b) for b in (args.balance or ["USDT=10000", "BTC=1"]))
    try:
        faults = Faults.parse(args.faults)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    prices = {inst.symbol: price for inst, price in symbols}
    ex = LoopbackExchange(
        [inst for inst, _ in symbols],
        balances,
        seed=args.seed,
        faults=faults,
        api_key=args.api_key,
        api_secret=args.api_secret,
        host=args.host,
        port=args.port,
        prices=prices,
        fee_rate=args.fee_rate,
        check_model=not args.no_model_check,
    )
    made.append(ex)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl-C and SIGTERM end the loop below, not a cancellation: on Python 3.11 a cancel
    # that lands as the tick's wait_for times out is swallowed as a timeout, and the
    # server would go on. Not available off the main thread (or on Windows): there
    # Ctrl-C cancels as usual, and --duration stops it.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await ex.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    try:
        _banner(ex, args, prices)
        market = Market(ex, prices, args.volatility)
        deadline = None if args.duration is None else loop.time() + args.duration
        tick = args.tick_ms / 1000 if args.tick_ms > 0 else None
        while not stop.is_set():
            wait = tick
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    break
                wait = left if wait is None else min(wait, left)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if tick is not None and not stop.is_set():
                market.step()
    finally:
        await ex.stop()


def _banner(ex: LoopbackExchange, args: argparse.Namespace, prices: dict[str, Decimal]) -> None:
    lines = [
        f"invsync loopback: Binance spot API on {ex.host} (seed {ex.seed}, faults {args.faults})",
        f"  REST          {ex.rest_url}   (paths /api/v3/...)",
        f"  WebSocket API {ex.ws_api_url}",
        f"  API key       {args.api_key}",
        f"  API secret    {args.api_secret}   (test credentials, valid only here)",
        "  symbols       " + ", ".join(f"{s} @ {p}" for s, p in sorted(prices.items())),
        "  balances      " + ", ".join(f"{a} {ex.model.balance(a).total}" for a in ex.model.assets),
        f"  market        a random-walk step every {args.tick_ms} ms fills crossed orders"
        if args.tick_ms > 0
        else "  market        still (no price moves)",
        "  ccxt          ccxt.pro.binance({apiKey, secret, options: {fetchMarkets: {types: "
        "['spot']}, fetchCurrencies: False, fetchMargins: False}}), then set",
        f"                urls['api']['public'] = urls['api']['private'] = '{ex.rest_url}/api/v3'",
        f"                urls['api']['ws']['ws-api']['spot'] = '{ex.ws_api_url}'",
        "Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; print what the fault layer did."""
    made: list[LoopbackExchange] = []
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args, made))
    for ex in made:
        injected = ", ".join(f"{k} {v}" for k, v in sorted(ex.stats.items())) or "none"
        print(
            f"invsync loopback: stopped (seed {ex.seed}); "
            f"orders {len(ex.model.orders)}, trades {len(ex.model.trades)}; faults: {injected}",
            file=sys.stderr,
            flush=True,
        )
    return 0
