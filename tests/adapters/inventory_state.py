"""What a caller can observe of an Inventory, and applying events with P7 checked at each one.

The adapters' "a rejected message changes nothing" tests use these: a message that parses
may still be refused by the core (well-formed but contradictory), and then the state after
the refused ``apply`` must equal the state before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core import Inventory, InventoryError
from core import events as ev


def observed(inv: Inventory, assets: Iterable[str], keys: Iterable[str]) -> Any:
    """Balances and exposures of ``assets``, positions, orders by ``keys``, open orders,
    sync state, requests and retained sizes: everything a caller can read."""
    positions = [
        (i.symbol, inv.position(i.symbol), inv.exposure(i.symbol))
        for i in inv.instruments
        if i.is_derivative
    ]
    return (
        tuple((a, inv.balance(a), inv.exposure(a)) for a in assets),
        tuple(positions),
        tuple((k, inv.order(k)) for k in keys),
        tuple(sorted(map(repr, inv.open_orders()))),
        inv.sync_state,
        tuple(map(repr, inv.requests())),
        tuple(sorted(inv.stats().items())),
    )


def apply_checked(
    inv: Inventory, events: Iterable[ev.Event], assets: Iterable[str], keys: Iterable[str]
) -> int:
    """Apply each event; one the core refuses must leave ``observed`` as it was (P7).

    Returns how many were refused (so a test can tell it exercised the refusal path).
    """
    assets, keys = tuple(assets), tuple(keys)
    refused = 0
    for e in events:
        before = observed(inv, assets, keys)
        try:
            inv.apply(e)
        except InventoryError:
            refused += 1
            assert observed(inv, assets, keys) == before, f"refused {e!r} changed the state"
    return refused
