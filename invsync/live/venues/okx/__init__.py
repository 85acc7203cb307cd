"""OKX v5 live edge: signing, encoder, runner venue, journal codec.

``from invsync.live.venues.okx.venue import OkxVenue`` (see spec/venues/okx.md, "Live edge").
"""
