"""Binance USD-M futures live edge: signing, payload encoder (see spec/venues/binance_usdm.md)."""
