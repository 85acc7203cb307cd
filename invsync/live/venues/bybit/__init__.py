"""Bybit v5 live edge: signing, encoder, runner venue, journal codec.

``from invsync.live.venues.bybit.venue import BybitVenue`` (see spec/venues/bybit.md,
"Live edge").
"""
