"""``invsync bench``: its quick mode runs and prints the figures a machine reads; its stream is
valid input whose duplicates and reorders change nothing once all of it is delivered.

No timing is asserted (the machine is shared): only that every figure exists and is positive.
"""

from __future__ import annotations

import io
import itertools
import json
from contextlib import redirect_stdout
from typing import Any

import pytest

from core.adapters import binance_spot, binance_usdm
from invsync import bench
from invsync.cli import main

PARSERS = (binance_spot.parse, binance_usdm.parse)


def positive(x: Any) -> bool:
    return isinstance(x, int | float) and x > 0


def test_quick_json_has_every_row_ratio_and_memory_figure_positive() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(
            ["bench", "--quick", "--machine-events", "300", "--memory-events", "20000", "--json"]
        )
    assert status == 0
    result = json.loads(out.getvalue())
    stream = result["stream"]
    assert stream["messages"] == 100_000
    assert stream["repeats"] == 3
    assert stream["events"] > stream["messages"]  # a trade message is an order report and a fill
    assert stream["machine_events"] == 300
    assert stream["clock"] == "cpu"
    assert stream["history_orders_at_resync"] > 0
    for name in ("parse_apply", "apply", "naive", "machines", "parse", "resync"):
        row = result["rows"][name]
        assert row["unit"] in ("messages/s", "events/s", "ms"), name
        assert len(row["runs"]) == 3, name
        assert all(positive(r) for r in row["runs"]), name
        assert row["min"] <= row["median"] <= row["max"], name
        assert positive(row["min"]), name
    ratios = result["ratios"]
    for name in ("parse_apply_over_naive", "cost_vs_naive", "apply_over_machines"):
        assert positive(ratios[name]), name
    memory = result["memory"]
    assert memory["events"] >= 20_000
    for name in ("after_warmup_bytes", "end_bytes", "peak_traced_bytes", "max_rss_bytes"):
        assert positive(memory[name]), name
    assert memory["peak_traced_bytes"] >= memory["end_bytes"]
    assert len(memory["checkpoints"]) >= 10
    assert isinstance(result["compiled"], list)


def test_table_names_every_row() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        main(["bench", "--messages", "2000", "--repeats", "1", "--machine-events", "100"])
    table = out.getvalue()
    for label in (
        "(a) parse+apply",
        "(b) apply",
        "(c) naive",
        "(d) python-statemachine",
        "(e) resync",
        "parse alone",
        "a/c",
        "b/d",
        "memory",
        "after warm-up",
    ):
        assert label in table, label


@pytest.mark.parametrize("argv", [["--messages", "10"], ["--repeats", "0"]])
def test_bad_sizes_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", *argv]) == 2
    assert "at least" in capsys.readouterr().err


def test_duplicates_and_reorders_change_nothing_once_all_is_delivered() -> None:
    calm = list(itertools.islice(bench._quotes(7), 4_000))
    rough = list(bench._network(iter(calm), 7, duplicates=0.2, reorders=0.3))
    assert len(rough) > len(calm)
    assert rough != calm
    final = []
    for messages in (calm, rough):
        invs = bench.fresh_inventories()
        for k, m in messages:
            for e in PARSERS[k](m):
                invs[k].apply(e)
        spot, perp = invs
        final.append(
            (
                [(spot.balance(a).total, spot.balance(a).free) for a in ("BTC", "USDT")],
                (perp.balance("USDT").total, perp.position("BTCUSDT").quantity),
                sorted(
                    (o.client_order_id, o.status, o.filled_quantity)
                    for inv in invs
                    for o in inv.open_orders()
                ),
            )
        )
    assert final[0] == final[1]


def test_a_resync_snapshot_agrees_with_the_inventory_it_was_taken_from() -> None:
    invs = bench.fresh_inventories()
    for k, m in itertools.islice(bench.stream(3), 5_000):
        for e in PARSERS[k](m):
            invs[k].apply(e)
    for inv in invs:
        before = (
            [inv.balance(a) for a in ("USDT", "BTC")],
            [inv.position(i.symbol) for i in inv.instruments if i.is_derivative],
            sorted((o.order_id or "", o.status, o.filled_quantity) for o in inv.open_orders()),
        )
        assert before[2], "the run leaves orders open"
        snapshot = bench.resync_snapshot(inv, 10**15)
        assert snapshot.open_orders
        inv.apply(snapshot)
        after = (
            [inv.balance(a) for a in ("USDT", "BTC")],
            [inv.position(i.symbol) for i in inv.instruments if i.is_derivative],
            sorted((o.order_id or "", o.status, o.filled_quantity) for o in inv.open_orders()),
        )
        assert after == before
        assert inv.sync_state == "synced"


def test_profile_counts_the_bytecodes_of_parse_apply_and_the_naive_tracker() -> None:
    result = bench.profile(messages=300)
    assert result["messages"] == 300
    assert result["events"] > 300
    # Each count leaves out the loop that drives it.
    for name, driver in (("parse", "parse"), ("apply", "apply"), ("naive", "track")):
        row = result[name]
        assert positive(row["per_message"]), name
        assert sum(n for _, n in row["functions"]) == pytest.approx(row["per_message"]), name
        assert f"invsync.bench:{driver}" not in dict(row["functions"]), name
    if not result["compiled"]:
        applied = dict(result["apply"]["functions"])
        assert applied["core.inventory.timeline:on_order_reported"] > 0
        assert result["naive"]["per_message"] < result["apply"]["per_message"]


def test_profile_prints_a_table_and_refuses_an_empty_sample(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--profile", "--profile-messages", "200"]) == 0
    table = capsys.readouterr().out
    for label in ("bytecodes per message", "parse:", "apply:", "naive:"):
        assert label in table, label
    assert main(["bench", "--profile", "--profile-messages", "0"]) == 2
    assert "--profile-messages 0" in capsys.readouterr().err
