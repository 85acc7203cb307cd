"""Binance USD-M futures live edge: signing, encoder, runner venue, journal codec.

``from invsync.live.venues.binance_usdm.venue import BinanceUsdmVenue`` (see
spec/venues/binance_usdm.md, "Live edge").
"""
