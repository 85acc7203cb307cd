"""The loopback exchange: a Binance spot venue on 127.0.0.1, backed by ``ExchangeModel``.

A real aiohttp HTTP + WebSocket server speaking a documented subset of Binance spot's
REST and WebSocket API (binance/binance-spot-api-docs: rest-api.md, web-socket-api.md,
user-data-stream.md, errors.md), with seeded message-level fault injection. The model is
the truth (``ex.model``); every change it makes is pushed as Binance user-data events.
spec/venues/loopback.md lists the served subset and the fault model.

Interface (the contract with the live runner, issue 17)::

    from invsync.live.loopback import LoopbackExchange, Faults
    ex = LoopbackExchange(
        instruments=[Instrument(symbol="BTCUSDT", kind="spot", base="BTC", quote="USDT")],
        balances={"USDT": Decimal("10000"), "BTC": Decimal("1")},
        seed=7,
        faults=Faults(),                  # all zero = a perfect venue
        api_key="loopback-key", api_secret="loopback-secret",
        host="127.0.0.1", port=0,         # 0 = a free port, read ex.port after start
        prices={"BTCUSDT": Decimal("50000")},  # optional last price per symbol
        fee_rate=Decimal("0.001"),        # charged in the asset received
        weight_limit=6000, weight_window=60.0,  # REQUEST_WEIGHT budget
        heartbeat=20.0,                   # WebSocket ping frame interval (s)
        time_base_ms=None,                # None: event times follow the wall clock; an int:
                                          #   version v is at time_base_ms + v (tests)
        check_model=True,                 # the model's invariant check after every change
    )
    async with ex:                        # start(); stop() sends serverShutdown, closes
                                          #   every socket (about 1 s), frees the port
        ex.rest_url          # "http://127.0.0.1:PORT"   (REST paths /api/v3/...)
        ex.ws_api_url        # "ws://127.0.0.1:PORT/ws-api/v3"
        ex.model             # models.exchange.ExchangeModel: the truth
        ex.match(symbol, price)           # model.set_price: resting orders crossing fill; pushed
        ex.fill(key, quantity=None, price=None)  # one fill (key: client id, orderId, model id)
        ex.cancel(key)                    # the venue cancels an order
        ex.deposit(asset, amount)         # balanceUpdate + outboundAccountPosition
        await ex.drain()                  # send all delayed/held pushes now, wait until written
        ex.faults = Faults()              # faults can be changed (or calmed) at any time
        ex.disconnect_all("close" | "shutdown")  # drop every WebSocket now
        ex.subscriptions                  # live user-data subscriptions
        ex.order_id_of(client_id)         # Binance orderId of an order
        ex.stats                          # Counter: faults injected per kind (see below)
        ex.seed                           # print it when a test fails

    with LoopbackThread(ex) as lb:        # invsync.live.loopback.thread: its own loop/thread
        lb.call(ex.match, "BTCUSDT", price)   # drive it from any thread; lb.drain()

Identity and time: model order ``X<n>`` is ``orderId`` n, trade ``T<n>`` is trade ``id``
n; model version v is the event/transaction time ``ex.clock.ms(v)`` in every time field:
stamped at the wall clock when first published, at least 1 ms after the previous version
(a burst runs ahead of the clock, then it catches up), so the core's versions keep the
model's order. ``GET /api/v3/time`` and the timestamp check use the wall clock.
``clientOrderId`` is what the client sent (``newClientOrderId``) or a seeded 22-character
id; an amend without ``newClientOrderId`` gives the order a new one, as Binance does.

REST (signed: ``X-MBX-APIKEY`` header, ``timestamp``, optional ``recvWindow`` <= 60000,
``signature`` = HMAC-SHA256 hex of query string + body without the signature; answers
carry ``X-MBX-USED-WEIGHT-1M``; errors are ``{"code", "msg"}`` with the documented codes):
  GET /api/v3/ping, /api/v3/time, /api/v3/exchangeInfo           (public)
  GET /api/v3/account [omitZeroBalances]
  GET /api/v3/openOrders [symbol]
  GET /api/v3/myTrades symbol [orderId fromId startTime endTime limit]
  GET /api/v3/order symbol + orderId | origClientOrderId          (-2013 when unknown)
  POST /api/v3/order symbol side type(LIMIT|LIMIT_MAKER|MARKET) quantity [price
       timeInForce(GTC|IOC|FOK) newClientOrderId newOrderRespType(ACK|RESULT|FULL)]
       A LIMIT crossing the last price, and any MARKET order, trades at once at the last
       price (FULL lists the fills); LIMIT_MAKER that would cross: -2010.
  DELETE /api/v3/order symbol + orderId | origClientOrderId [newClientOrderId] (-2011)
  PUT /api/v3/order/amend/keepPriority symbol + orderId | origClientOrderId, newQty
       [newClientOrderId] (quantity down only; -2038 otherwise)
WebSocket API at /ws-api/v3 ({"id","method","params"} -> {"id","status","result"|"error",
"rateLimits"}): ``ping``, ``time``, ``userDataStream.subscribe.signature`` (apiKey,
timestamp, [recvWindow], signature over the sorted params) -> {"subscriptionId": n}; then
events {"subscriptionId": n, "event": executionReport | outboundAccountPosition |
balanceUpdate}; ``userDataStream.unsubscribe`` (sends eventStreamTerminated first);
``session.subscriptions``. Ping frames every ``heartbeat`` s; before a fault ``shutdown``
the server sends {"event": {"e": "serverShutdown", ...}} and closes (code 1001); a fault
``disconnect`` closes with code 1011.

Faults (``Faults``, probabilities 0..1, one seed): push faults per event per
subscription: ``drop``, ``duplicate``, ``reorder`` (held until the next event or
``reorder_hold`` s), ``delay`` (up to ``max_delay`` s), ``disconnect``, ``shutdown``;
REST faults per request: ``rate_limit`` (429 + Retry-After ``retry_after`` s; a request
inside that wait gets 418 with a doubling ban), ``rest_5xx`` (503, body not JSON),
``rest_timeout`` (answered -1007 / 503 after ``timeout`` s, or when the server stops),
``unknown_outcome`` (order mutations only: -1006 as HTTP 500 or -1007 as 503). For 5xx,
timeout and unknown outcome on a mutation, ``executed_share`` of them really executed
(pushes included). ``stats`` keys: drop duplicate reorder delay disconnect shutdown
rest_5xx rest_5xx_executed rest_timeout rest_timeout_executed rate_limit ban
unknown_outcome unknown_executed signature_refused.
"""

from invsync.live.loopback.faults import PROFILES, Faults
from invsync.live.loopback.server import ApiError, LoopbackExchange

__all__ = ["PROFILES", "ApiError", "Faults", "LoopbackExchange"]
