"""Bybit v5 live edge: signing, encoder, order-query reader, runner venue, journal codec.

``from invsync.live.venues.bybit.venue import BybitVenue`` (see spec/venues/bybit.md,
"Live edge").
"""
