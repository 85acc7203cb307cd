"""The live edge of the derivative venues: Binance USD-M, Bybit v5 and OKX v5.

One sub-package per venue, each with ``signing`` (pure request signing), ``encode``
(model events rendered as the venue's payloads, for the loopback exchange and the
round-trip tests) and, where present, ``client`` (the venue client the runner drives).
Wire facts and their sources are in ``spec/venues/<venue>.md``, section "Live edge".
"""
