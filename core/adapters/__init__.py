"""Pure parsers from venue payloads (decoded JSON) to core events, one module per venue."""
