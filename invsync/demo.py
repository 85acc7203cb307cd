"""``invsync demo``: the double-buy scenario of DESIGN §1, replayed step by step.

A bot wants to hold 1 BTC. It buys, the venue fills the order, and the messages arrive
in the order real venues often send them: the "order filled" report first, the fill
and the balance update later. At each step the demo prints what a naive tracker and
the Inventory believe, and whether a bot reading each would buy again.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TextIO

from core import Instrument, Inventory
from core import events as ev
from models.naive import NaiveTracker

BTCUSDT = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
TARGET = Decimal(1)


def _steps() -> list[tuple[str, Decimal, list[ev.Event]]]:
    """(what happens, the true BTC holding after it, the messages delivered)."""
    d = Decimal

    def report(status: str, filled: Decimal, avg: Decimal | None, version: int) -> ev.OrderReported:
        return ev.OrderReported(
            symbol="BTCUSDT",
            order_id="8001",
            client_order_id="buy-1",
            side="buy",
            status=status,
            quantity=d(1),
            price=d(100),
            filled_quantity=filled,
            average_price=avg,
            version=version,
        )

    return [
        (
            "the venue acknowledges the order",
            d(0),
            [report("new", d(0), None, 2)],
        ),
        ("the venue fills it; nothing has arrived yet", d(1), []),
        (
            "'order FILLED' arrives; no fill, no balance yet",
            d(1),
            [report("filled", d(1), d(100), 3)],
        ),
        (
            "the balance update arrives (it includes the fill)",
            d(1),
            [
                ev.BalanceReported("BTC", d(1), d(1), 3),
                ev.BalanceReported("USDT", d(900), d(900), 3),
            ],
        ),
        (
            "the fill message arrives last",
            d(1),
            [
                ev.FillReported(
                    symbol="BTCUSDT",
                    order_id="8001",
                    client_order_id="buy-1",
                    trade_id="T1",
                    side="buy",
                    quantity=d(1),
                    price=d(100),
                    fee=d(0),
                    fee_asset="USDT",
                    version=3,
                )
            ],
        ),
        (
            "a duplicate of the fill arrives (reconnect replay)",
            d(1),
            [
                ev.FillReported(
                    symbol="BTCUSDT",
                    order_id="8001",
                    client_order_id="buy-1",
                    trade_id="T1",
                    side="buy",
                    quantity=d(1),
                    price=d(100),
                    fee=d(0),
                    fee_asset="USDT",
                    version=3,
                )
            ],
        ),
    ]


def _naive_view(n: NaiveTracker) -> tuple[Decimal, Decimal]:
    held = n.balance("BTC").total
    pending = sum((o.remaining_quantity for o in n.open_orders() if o.side == "buy"), Decimal(0))
    return held, held + pending


def replay(out: TextIO) -> int:
    """Print the replay; returns 0 when the Inventory never wants to buy again."""
    inv, naive = Inventory([BTCUSDT]), NaiveTracker([BTCUSDT])
    snap = ev.SnapshotTaken(
        version=1, balances=(ev.BalanceReported("USDT", Decimal(1000), Decimal(1000), 1),)
    )
    inv.apply(snap)
    naive.apply(snap)
    print(
        "invsync demo: a bot wants to hold 1 BTC and buys when it believes it holds less.", file=out
    )
    print("", file=out)
    header = f"{'step':<52} {'true':>5} | {'naive: BTC + open':>17} {'buys?':>6} | "
    header += f"{'Inventory: BTC, high':>20} {'buys?':>6}"
    print(header, file=out)
    print("-" * len(header), file=out)

    def row(what: str, truth: Decimal) -> bool:
        held, believed = _naive_view(naive)
        e = inv.exposure("BTC")
        naive_buys = believed < TARGET
        inv_buys = e.high < TARGET
        print(
            f"{what:<52} {truth:>5} | {held:>8} + {believed - held:<6} "
            f"{'BUY' if naive_buys else 'no':>6}"
            f" | {e.expected:>9}, {e.high:<9} {'BUY' if inv_buys else 'no':>6}",
            file=out,
        )
        return inv_buys and truth >= TARGET

    inv.submit(
        client_order_id="buy-1", symbol="BTCUSDT", side="buy", quantity=TARGET, price=Decimal(100)
    )
    naive.submit(
        client_order_id="buy-1", symbol="BTCUSDT", side="buy", quantity=TARGET, price=Decimal(100)
    )
    wrong = row("the bot submits a limit buy of 1 BTC at 100", Decimal(0))
    for what, truth, messages in _steps():
        for m in messages:
            inv.apply(m)
            naive.apply(m)
        wrong |= row(what, truth)
    b = inv.balance("BTC")
    final = inv.order("buy-1")
    print("", file=out)
    print(
        f"Inventory at the end: BTC total {b.total}, free {b.free}; USDT total "
        f"{inv.balance('USDT').total}; order {final.status if final else 'unknown'}",
        file=out,
    )
    print(
        "The naive tracker would have bought a second BTC on the 'order FILLED' step;"
        " the Inventory never does.",
        file=out,
    )
    return 1 if wrong else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``invsync demo`` (none yet)."""


def run(args: argparse.Namespace) -> int:
    """``invsync demo``."""
    return replay(sys.stdout)
