"""The errors the Inventory raises: all derive from ``InventoryError`` (a ``ValueError``)."""

from __future__ import annotations


class InventoryError(ValueError):
    """Base of every error the Inventory raises; a rejected input changes nothing."""


class ParseError(InventoryError):
    """A venue payload is malformed: a known message kind with a missing or bad field."""


class InvalidEvent(InventoryError):
    """A well-formed event or local intent contradicts what the Inventory knows."""
