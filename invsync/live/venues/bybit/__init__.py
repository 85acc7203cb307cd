"""Bybit v5 live edge: signing, payload encoder (see spec/venues/bybit.md)."""
