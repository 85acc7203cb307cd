"""Validators shared by the value types: exact decimals, known sides and kinds.

Validation happens once, when an adapter or the bot builds a value; the core then
trusts its types. Every failure is an ``InvalidEvent`` naming the field and the value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from core.errors import InvalidEvent

SIDES: Final = frozenset({"buy", "sell"})
KINDS: Final = frozenset({"spot", "linear", "inverse"})
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)


def _where(inst: Any) -> str:
    return type(inst).__name__


def decimal(inst: Any, attribute: Any, value: Any) -> None:
    """Require a finite ``Decimal`` (never a float, int or string)."""
    if type(value) is not Decimal or not value.is_finite():
        raise InvalidEvent(
            f"{_where(inst)}.{attribute.name}: expected a finite Decimal, got {value!r}"
        )


def non_negative(inst: Any, attribute: Any, value: Any) -> None:
    """Require a finite ``Decimal`` >= 0."""
    decimal(inst, attribute, value)
    if value < 0:
        raise InvalidEvent(f"{_where(inst)}.{attribute.name}: must be >= 0, got {value}")


def positive(inst: Any, attribute: Any, value: Any) -> None:
    """Require a finite ``Decimal`` > 0."""
    decimal(inst, attribute, value)
    if value <= 0:
        raise InvalidEvent(f"{_where(inst)}.{attribute.name}: must be > 0, got {value}")


def optional_decimal(inst: Any, attribute: Any, value: Any) -> None:
    """Allow ``None`` or a finite ``Decimal``."""
    if value is not None:
        decimal(inst, attribute, value)


def optional_non_negative(inst: Any, attribute: Any, value: Any) -> None:
    """Allow ``None`` or a finite ``Decimal`` >= 0."""
    if value is not None:
        non_negative(inst, attribute, value)


def optional_positive(inst: Any, attribute: Any, value: Any) -> None:
    """Allow ``None`` or a finite ``Decimal`` > 0."""
    if value is not None:
        positive(inst, attribute, value)


def side(inst: Any, attribute: Any, value: Any) -> None:
    """Require ``"buy"`` or ``"sell"``."""
    if value not in SIDES:
        raise InvalidEvent(f"{_where(inst)}.{attribute.name}: unknown side {value!r}")


def kind(inst: Any, attribute: Any, value: Any) -> None:
    """Require an instrument kind: ``"spot"``, ``"linear"`` or ``"inverse"``."""
    if value not in KINDS:
        raise InvalidEvent(f"{_where(inst)}.{attribute.name}: unknown kind {value!r}")


def optional_kind(inst: Any, attribute: Any, value: Any) -> None:
    """Allow ``None`` or an instrument kind."""
    if value is not None:
        kind(inst, attribute, value)


def identifier(inst: Any, attribute: Any, value: Any) -> None:
    """Require a non-empty ``str`` id."""
    if type(value) is not str or not value:
        raise InvalidEvent(
            f"{_where(inst)}.{attribute.name}: expected a non-empty id, got {value!r}"
        )


def optional_identifier(inst: Any, attribute: Any, value: Any) -> None:
    """Allow ``None`` or a non-empty ``str`` id."""
    if value is not None:
        identifier(inst, attribute, value)


def version(inst: Any, attribute: Any, value: Any) -> None:
    """Require an ``int`` version >= 0 (a venue sequence number or a time in ms)."""
    if type(value) is not int or value < 0:
        raise InvalidEvent(f"{_where(inst)}.{attribute.name}: expected an int >= 0, got {value!r}")
