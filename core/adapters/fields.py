"""Reading fields out of decoded venue JSON: every failure is a ``ParseError`` naming the field.

Numbers become ``Decimal`` straight from the venue's strings (or ints), never through a
float: a JSON float where a decimal string is expected is refused, since its value may
already have lost the venue's exact digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from core.errors import InvalidEvent, ParseError

T = TypeVar("T")
_D = Decimal
# Ids, times and sequence numbers are far below this; longer digit strings are malformed
# (and Python refuses to convert ints past 4,300 digits with a bare ValueError).
_MAX_DIGITS = 40
_MAX_INT = 10**_MAX_DIGITS


def _show(value: Any) -> str:
    """A short repr for error messages (never raises: huge ints have no repr)."""
    try:
        text = repr(value)
    except ValueError:
        return f"<{type(value).__name__} too large to show>"
    return text if len(text) <= 80 else text[:77] + "..."


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def obj(value: Any, where: str) -> Mapping[str, Any]:
    """Require a JSON object."""
    if type(value) is dict:
        return value
    if not isinstance(value, Mapping):
        raise ParseError(f"{where}: expected an object, got {type(value).__name__} {_show(value)}")
    return value


def field(msg: Mapping[str, Any], key: str, where: str) -> Any:
    """A required field, present and not null."""
    try:
        value = msg[key]
    except KeyError:
        raise ParseError(f"{_name(where, key)}: missing field") from None
    except TypeError:
        raise ParseError(f"{where}: expected an object, got {type(msg).__name__}") from None
    if value is None:
        raise ParseError(f"{_name(where, key)}: is null")
    return value


def text(msg: Mapping[str, Any], key: str, where: str) -> str:
    """A required string field."""
    try:
        value = msg[key]
    except Exception:
        value = field(msg, key, where)
    if type(value) is str:
        return value
    value = field(msg, key, where)
    if type(value) is not str:
        raise ParseError(f"{_name(where, key)}: expected a string, got {_show(value)}")
    return value


def opt_text(msg: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional string field; missing, null or empty gives None."""
    value = msg.get(key) if type(msg) is dict or isinstance(msg, Mapping) else None
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise ParseError(f"{_name(where, key)}: expected a string, got {_show(value)}")
    return value


def ident(msg: Mapping[str, Any], key: str, where: str) -> str:
    """A required id: a non-empty string, or an int rendered as its decimal string."""
    value = field(msg, key, where)
    if type(value) is int and 0 <= value < _MAX_INT:
        return str(value)
    if type(value) is str and value:
        return value
    raise ParseError(f"{_name(where, key)}: expected an id, got {_show(value)}")


def to_decimal(value: Any, name: str) -> Decimal:
    """A decimal from a venue string or int (never a float); finite only."""
    if type(value) is str:
        try:
            d = Decimal(value.strip()) if value.strip() == value else Decimal("nan")
        except InvalidOperation:
            raise ParseError(f"{name}: not a decimal number: {_show(value)}") from None
    elif type(value) is int:
        if abs(value) >= _MAX_INT:
            raise ParseError(f"{name}: integer too large: {str(value)[:20]}...")
        d = Decimal(value)
    else:
        raise ParseError(f"{name}: expected a decimal string, got {_show(value)}")
    if not d.is_finite():
        raise ParseError(f"{name}: not a finite decimal number: {_show(value)}")
    return d


# Decimals already read from a venue string, by that exact string: venues repeat the same
# prices, quantities and zeros ("0.00000000") constantly, and a dict hit is several times
# cheaper than parsing and checking. Only plain strings that ``decimal`` accepts are stored
# (a Decimal is immutable, so sharing one is invisible); bounded: cleared when full.
_CACHE: dict[str, Decimal] = {}
_CACHE_SIZE = 4096
_CACHE_KEY_LEN = 40

#: ``quick_decimal(value)`` for a ``value`` of type exactly ``str`` that is cached, else None:
#: the cache's own lookup, so a hot caller pays no Python call on a hit (the cache is only
#: ever cleared, never replaced, so this stays bound to it).
cached_decimal: Final = _CACHE.get


def quick_decimal(value: object) -> Decimal | None:
    """What ``decimal`` returns for a field holding ``value``, if it is a plain decimal string.

    None for anything else (an int, a non-str, a malformed or non-finite string, surrounding
    whitespace): the caller then takes the careful path, which accepts or names the error.
    """
    if type(value) is not str:
        return None
    d = _CACHE.get(value)
    if d is not None:
        return d
    try:
        d = _D(value)
    except ArithmeticError:
        return None
    if not d.is_finite() or value.strip() != value:
        return None
    if len(value) <= _CACHE_KEY_LEN:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[value] = d
    return d


def fresh_decimal(value: object) -> Decimal | None:
    """``quick_decimal(value)`` without keeping the result: for amounts that rarely repeat.

    Balances, fees and cumulative amounts change with every trade; caching them would only
    evict the prices and quantities that do repeat.
    """
    if type(value) is not str:
        return None
    try:
        d = _D(value)
    except ArithmeticError:
        return None
    if not d.is_finite() or value.strip() != value:
        return None
    return d


def decimal(msg: Mapping[str, Any], key: str, where: str) -> Decimal:
    """A required decimal field."""
    # The common case first (a plain decimal string), without building the field's name.
    try:
        value = msg[key]
    except Exception:
        value = field(msg, key, where)
    if type(value) is str and value:
        try:
            d = _D(value)
        except ArithmeticError:
            pass
        else:
            if d.is_finite() and value.strip() == value:
                return d
    return to_decimal(field(msg, key, where), _name(where, key))


def opt_decimal(msg: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """An optional decimal field; missing, null or empty string gives None."""
    value = msg.get(key) if type(msg) is dict or isinstance(msg, Mapping) else None
    if value is None or value == "":
        return None
    return to_decimal(value, _name(where, key))


def integer(msg: Mapping[str, Any], key: str, where: str) -> int:
    """A required non-negative integer (JSON int or digit string): a time or sequence number."""
    try:
        value = msg[key]
    except Exception:
        value = field(msg, key, where)
    if type(value) is int and 0 <= value < _MAX_INT:
        return value
    value = field(msg, key, where)
    if type(value) is int and 0 <= value < _MAX_INT:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        return int(value)
    raise ParseError(f"{_name(where, key)}: expected a non-negative integer, got {_show(value)}")


def items(msg: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A required JSON array."""
    value = field(msg, key, where)
    if type(value) is not list:
        raise ParseError(f"{_name(where, key)}: expected a list, got {_show(value)}")
    return value


def build(make: Callable[..., T], where: str, /, **kwargs: Any) -> T:
    """Construct a core event; a value the core refuses becomes a ``ParseError`` naming it."""
    try:
        return make(**kwargs)
    except InvalidEvent as e:
        raise ParseError(f"{where}: {e}") from e


def choice(msg: Mapping[str, Any], key: str, where: str, mapping: Mapping[str, T]) -> T:
    """A string field mapped through a table of known values."""
    value = text(msg, key, where)
    try:
        return mapping[value]
    except KeyError:
        raise ParseError(f"{_name(where, key)}: unknown value {_show(value)}") from None
