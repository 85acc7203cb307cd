"""OKX v5 live edge: signing, payload encoder (see spec/venues/okx.md)."""
