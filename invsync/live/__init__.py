"""The live edge: runner, journal, order entry, venue clients and the loopback exchange."""
