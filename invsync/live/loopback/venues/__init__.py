"""Loopback exchanges for the derivative venues: Binance USD-M, Bybit v5, OKX v5.

Each is a real HTTP + WebSocket server on 127.0.0.1 speaking a subset of the venue's
private API in its documented formats (``invsync.live.venues.<venue>.encode``), backed
by ``models.exchange.ExchangeModel`` and the same seeded fault knobs as the Binance spot
loopback (``invsync.live.loopback.faults.Faults``). See spec/venues/<venue>.md, "Live edge".
"""
