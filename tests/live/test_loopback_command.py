"""``invsync loopback``: option parsing, and the real command in a subprocess serving a
client, filling its order from the random-walk market, and stopping on Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
from decimal import Decimal

import pytest

from invsync.cli import UsageError
from invsync.live.loopback import Faults, LoopbackExchange
from invsync.live.loopback.command import Market, add_arguments, parse_balance, parse_symbol
from tests.live.conftest import (
    BTCUSDT,
    LoopbackProcess,
    SignedClient,
    make_loopback,
    receive_events,
    run,
)


def test_symbols_balances_and_fault_profiles_parse() -> None:
    inst, price = parse_symbol("eth/usdc=2500.5")
    assert (inst.symbol, inst.base, inst.quote, price) == (
        "ETHUSDC",
        "ETH",
        "USDC",
        Decimal("2500.5"),
    )
    inst, price = parse_symbol("BTCUSDT")
    assert (inst.base, inst.quote, price) == ("BTC", "USDT", Decimal(50000))
    assert parse_balance("usdt=10") == ("USDT", Decimal(10))
    for bad in ("BTC", "BTC/USDT=-1", "BTC/USDT=x", "B-C/USDT"):
        with pytest.raises(UsageError):
            parse_symbol(bad)
    for bad in ("USDT", "USDT=0", "USDT=abc"):
        with pytest.raises(UsageError):
            parse_balance(bad)
    assert Faults.parse("none") == Faults()
    assert Faults.parse("lossy,drop=0.5").drop == 0.5
    assert Faults.parse("lossy").duplicate == 0.05
    assert Faults.parse("retry_after=3").retry_after == 3
    for bad in ("nasty", "drop=2", "drop=x", "wobble=0.1"):
        with pytest.raises(ValueError):
            Faults.parse(bad)


def test_defaults_and_help_name_every_option() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    assert (args.port, args.seed, args.faults, args.tick_ms) == (8765, 0, "none", 500)
    text = parser.format_help()
    assert args.no_model_check is False
    for option in ("--port", "--seed", "--faults", "--balance", "--symbol", "--tick-ms"):
        assert option in text


def test_the_market_walk_is_seeded_and_fills_what_it_crosses() -> None:
    def walk(seed: int) -> list[Decimal]:
        ex = LoopbackExchange(
            [BTCUSDT], {"USDT": Decimal(10**6)}, seed=seed, prices={"BTCUSDT": Decimal(50000)}
        )
        m = Market(ex, {"BTCUSDT": Decimal(50000)}, Decimal("0.01"))
        ex.model.submit("b", "BTCUSDT", "buy", Decimal(1), Decimal(49000))
        out = []
        for _ in range(200):
            m.step()
            out.append(m.prices["BTCUSDT"])
        assert ex.model.order("b").status == "filled" or min(out) > 49000  # type: ignore[union-attr]
        return out

    a = walk(4)
    assert a == walk(4) and a != walk(5)
    assert all(p == p.quantize(Decimal("0.01")) and p > 0 for p in a)


def test_the_command_serves_a_client_fills_from_the_market_and_stops_on_ctrl_c() -> None:
    proc = LoopbackProcess(
        "--seed",
        "5",
        "--tick-ms",
        "20",
        "--volatility",
        "0.01",
        "--symbol",
        "BTC/USDT=50000",
        "--balance",
        "USDT=100000",
        "--faults",
        "duplicate=0.2",
        "--no-model-check",
    )
    try:
        assert "loopback-key" in "\n".join(proc.banner)

        async def go() -> None:
            async with SignedClient(proc) as c:
                info = await c.request("GET", "/api/v3/exchangeInfo", signed=False)
                assert info.json["symbols"][0]["symbol"] == "BTCUSDT"
                ws, _ = await c.user_stream()
                # A buy 1 % under the start: a 1 %-per-step walk crosses it within seconds.
                buy = {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": "0.1",
                    "price": "49500",
                    "newClientOrderId": "walk",
                }
                a = await c.request("POST", "/api/v3/order", buy)
                assert a.status == 200, a
                for _ in range(20):
                    msgs = await receive_events(ws, quiet=0.5, limit=1.0)
                    if any(m["event"].get("x") == "TRADE" for m in msgs):
                        break
                q = await c.request(
                    "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "walk"}
                )
                assert q.json["status"] == "FILLED", q
                await ws.close()

        run(go(), 30)
    finally:
        status, err = proc.stop()
    assert status == 0, err
    assert "stopped (seed 5)" in err and "trades 1" in err, err
    port = int(proc.rest_url.rsplit(":", 1)[1])
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_ctrl_c_stops_the_command_even_if_it_started_with_sigint_ignored() -> None:
    # A background job of a shell without job control (``cmd &`` in a script, nohup)
    # starts with SIGINT ignored; the server must still stop on it, within its bounds.
    proc = subprocess.Popen(
        [sys.executable, "-m", "invsync.cli", "loopback", "--port", "0", "--tick-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    try:
        assert proc.stdout is not None
        while not proc.stdout.readline().startswith("Ctrl-C"):
            assert proc.poll() is None, proc.communicate(timeout=5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "invsync loopback: stopped" in err


def test_the_command_refuses_bad_options_with_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from invsync.cli import main

    assert main(["loopback", "--faults", "nasty", "--port", "0"]) == 2
    assert "unknown profile 'nasty'" in capsys.readouterr().err
    assert main(["loopback", "--balance", "USDT", "--port", "0"]) == 2


def test_a_taken_port_is_a_usage_error() -> None:
    async def go() -> None:
        async with make_loopback() as ex:
            from invsync.cli import main

            loop = asyncio.get_running_loop()
            status = await loop.run_in_executor(
                None, main, ["loopback", "--port", str(ex.port), "--duration", "1"]
            )
            assert status == 2

    run(go())
