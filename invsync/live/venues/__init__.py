"""The live edge of the derivative venues: Binance USD-M, Bybit v5 and OKX v5.

One sub-package per venue: ``signing`` (pure request signing), ``encode`` (model events
rendered as the venue's payloads: the loopback exchanges' voice and the round-trip
tests' oracle input), ``venue`` (the runner's ``Venue`` protocol over the venue's REST
and private WebSocket) and ``codec`` (the pure journal codec the runner and replay use,
registered in ``invsync.live.records.CODECS`` when a venue client is made). Shared here:
``credentials`` (keys that never show), ``stream`` (one private socket as the runner
reads it), ``rows`` (journal rows every codec reads alike) and ``wire`` (how model values
travel). Wire facts and their sources: spec/venues/<venue>.md, section "Live edge".
"""
