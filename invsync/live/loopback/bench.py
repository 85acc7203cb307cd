"""How fast the loopback serves: ``python -m invsync.live.loopback.bench [N]``.

Prints signed REST order placements per second (one aiohttp client, sequential) and
user-data events delivered per second to one WebSocket API subscriber (a burst of N
deposits, two events each), both through the real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
import yarl

from core.instrument import Instrument
from invsync.live.loopback.auth import sign, ws_payload
from invsync.live.loopback.server import LoopbackExchange

KEY, SECRET = "bench-key", "bench-secret"


async def measure(n: int, check_model: bool = True) -> dict[str, float]:
    """Placements/s and pushed events/s for ``n`` of each (``n`` orders stay open)."""
    inst = Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")
    ex = LoopbackExchange(
        [inst],
        {"USDT": Decimal(10**9), "BTC": Decimal(10**6)},
        prices={"BTCUSDT": Decimal(50000)},
        api_key=KEY,
        api_secret=SECRET,
        weight_limit=10**9,
        check_model=check_model,
    )
    async with ex, aiohttp.ClientSession() as http:
        t0 = time.perf_counter()
        for k in range(n):
            q = urlencode(
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": "0.001",
                    "price": "40000",
                    "newClientOrderId": f"b{k}",
                    "timestamp": int(time.time() * 1000),
                }
            )
            url = yarl.URL(
                f"{ex.rest_url}/api/v3/order?{q}&signature={sign(SECRET, q)}", encoded=True
            )
            async with http.post(url, headers={"X-MBX-APIKEY": KEY}) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
        rest = n / (time.perf_counter() - t0)
        ws = await http.ws_connect(ex.ws_api_url)
        params: dict[str, object] = {"apiKey": KEY, "timestamp": int(time.time() * 1000)}
        params["signature"] = sign(SECRET, ws_payload(params))
        await ws.send_str(
            json.dumps({"id": 1, "method": "userDataStream.subscribe.signature", "params": params})
        )
        await ws.receive()
        t0 = time.perf_counter()
        for _ in range(n):
            ex.deposit("BTC", Decimal(1))
        got = 0
        while got < 2 * n:
            msg = await ws.receive(timeout=30)
            if msg.type == aiohttp.WSMsgType.TEXT:
                got += 1
        pushed = got / (time.perf_counter() - t0)
        await ws.close()
    return {"placements_per_s": rest, "events_per_s": pushed}


def main() -> None:
    """Run and print, with the model's invariant check on and off."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for check in (True, False):
        out = asyncio.run(measure(n, check))
        print(
            f"loopback, {n} orders left open, model check {'on' if check else 'off'}: "
            f"{out['placements_per_s']:.0f} signed placements/s (REST, sequential), "
            f"{out['events_per_s']:.0f} user-data events/s pushed"
        )


if __name__ == "__main__":
    main()
