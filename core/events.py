"""Everything the Inventory consumes, named as facts: venue reports, local intents, stream status.

Every venue event carries a ``version``: the venue's own ordering key within a scope
(the account's balances, one symbol's position, one order), mapped by the adapter.
A report at version V reflects every change in its scope with version <= V. Values
are validated once, here, at construction; a bad value raises ``InvalidEvent``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import attrs

from core import values
from core.errors import InvalidEvent

#: Order statuses a venue report may carry (the adapters map venue words to these).
REPORTED_STATUSES: Final = frozenset(
    {"new", "partially_filled", "filled", "canceled", "rejected", "expired", "triggered"}
)
ORDER_TYPES: Final = frozenset({"limit", "market"})


def _status(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in REPORTED_STATUSES:
        raise InvalidEvent(f"{type(inst).__name__}.{attribute.name}: unknown status {value!r}")


def _order_type(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ORDER_TYPES:
        raise InvalidEvent(f"{type(inst).__name__}.{attribute.name}: unknown order type {value!r}")


def _text(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if type(value) is not str:
        raise InvalidEvent(f"{type(inst).__name__}.{attribute.name}: expected a str, got {value!r}")


def _ids(inst: object, attribute: Any, value: object) -> None:
    if value is None:
        return
    if type(value) is not frozenset or not all(type(v) is str and v for v in value):
        raise InvalidEvent(
            f"{type(inst).__name__}.{attribute.name}: expected a frozenset of ids, got {value!r}"
        )


# --- venue reports -------------------------------------------------------------------


def _bad_text(inst: object, name: str, value: object, optional: bool = False) -> bool:
    """True (and the value fine) or raise: the slow path of the hot events' checks."""
    if value is None and optional:
        return True
    raise InvalidEvent(f"{type(inst).__name__}.{name}: expected a non-empty id, got {value!r}")


def _bad_decimal(inst: object, name: str, value: object, low: str) -> bool:
    """Raise the precise error for a decimal field that failed the fast check."""
    where = f"{type(inst).__name__}.{name}"
    if type(value) is not Decimal or not value.is_finite():
        raise InvalidEvent(f"{where}: expected a finite Decimal, got {value!r}")
    raise InvalidEvent(f"{where}: must be {low}, got {value}")


def _bad_version(inst: object, value: object) -> bool:
    raise InvalidEvent(f"{type(inst).__name__}.version: expected an int >= 0, got {value!r}")


def _ok_id(v: object) -> bool:
    return type(v) is str and v != ""


def _ok_pos(v: object) -> bool:
    return type(v) is Decimal and v.is_finite() and v > 0


def _ok_nonneg(v: object) -> bool:
    return type(v) is Decimal and v.is_finite() and v >= 0


def _ok_dec(v: object) -> bool:
    return type(v) is Decimal and v.is_finite()


# The three hot events (one per venue message or more) validate in one post-init pass:
# attrs per-field validators cost a call each, and backtests build millions of these.


@attrs.frozen(slots=True)
class OrderReported:
    """The venue's absolute view of one order as of ``version``.

    ``filled_quantity`` is cumulative; ``price`` is the limit price (``None`` for a
    market order). A conditional order (stop, take-profit, algo) not yet triggered has
    ``conditional=True``; when the venue triggers it into a new order it reports status
    ``"triggered"`` with ``triggered_order_id`` naming that order.
    """

    symbol: str
    order_id: str
    client_order_id: str | None
    side: str
    status: str
    quantity: Decimal
    price: Decimal | None
    filled_quantity: Decimal
    average_price: Decimal | None
    version: int
    kind: str | None = None
    order_type: str = "limit"
    conditional: bool = False
    triggered_order_id: str | None = None

    def __attrs_post_init__(self) -> None:
        _ok_id(self.symbol) or _bad_text(self, "symbol", self.symbol)
        _ok_id(self.order_id) or _bad_text(self, "order_id", self.order_id)
        cid = self.client_order_id
        cid is None or _ok_id(cid) or _bad_text(self, "client_order_id", cid)
        if self.side not in values.SIDES:
            raise InvalidEvent(f"OrderReported.side: unknown side {self.side!r}")
        if self.status not in REPORTED_STATUSES:
            raise InvalidEvent(f"OrderReported.status: unknown status {self.status!r}")
        q, p, f, a = self.quantity, self.price, self.filled_quantity, self.average_price
        _ok_pos(q) or _bad_decimal(self, "quantity", q, "> 0")
        p is None or _ok_pos(p) or _bad_decimal(self, "price", p, "> 0")
        _ok_nonneg(f) or _bad_decimal(self, "filled_quantity", f, ">= 0")
        a is None or _ok_nonneg(a) or _bad_decimal(self, "average_price", a, ">= 0")
        v = self.version
        (type(v) is int and v >= 0) or _bad_version(self, v)
        if self.kind is not None and self.kind not in values.KINDS:
            raise InvalidEvent(f"OrderReported.kind: unknown kind {self.kind!r}")
        if self.order_type not in ORDER_TYPES:
            raise InvalidEvent(f"OrderReported.order_type: unknown order type {self.order_type!r}")
        t = self.triggered_order_id
        t is None or _ok_id(t) or _bad_text(self, "triggered_order_id", t)
        if f > q:
            raise InvalidEvent(
                f"OrderReported {self.order_id}: filled_quantity {f} above quantity {q}"
            )
        if self.order_type == "limit" and p is None and not self.conditional:
            raise InvalidEvent(f"OrderReported {self.order_id}: a limit order needs a price")


@attrs.frozen(slots=True)
class FillReported:
    """One execution (trade) of an order, identified by ``trade_id``.

    ``fee`` > 0 is charged, < 0 a rebate; ``fee=None`` means the message carries no fee
    yet (Binance USD-M ``TRADE_LITE``, Bybit ``execution.fast``): a later message for the
    same trade id adds it. ``realized_pnl`` is the venue's own per-fill figure, if sent.
    ``order_quantity`` and ``leaves_quantity``, where the fill's message states them
    (Bybit ``orderQty``/``leavesQty``, USD-M ``TRADE_LITE`` ``q``), are the order's size
    and what was left of it just after this fill: an order known only from its fills
    (an exchange-made ADL or bust order) is then bounded, and ends when nothing is left.
    """

    symbol: str
    order_id: str
    client_order_id: str | None
    trade_id: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal | None
    fee_asset: str | None
    version: int
    kind: str | None = None
    realized_pnl: Decimal | None = None
    liquidation: bool = False
    order_quantity: Decimal | None = None
    leaves_quantity: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if self.order_quantity is not None or self.leaves_quantity is not None:
            self._check_order_size()
        # One fast boolean pass; the precise error is found only when it fails.
        q, p, fee, fa, v, r = (
            self.quantity,
            self.price,
            self.fee,
            self.fee_asset,
            self.version,
            self.realized_pnl,
        )
        if (
            type(self.symbol) is str
            and self.symbol
            and type(self.order_id) is str
            and self.order_id
            and type(self.trade_id) is str
            and self.trade_id
            and (
                self.client_order_id is None
                or (type(self.client_order_id) is str and self.client_order_id)
            )
            and self.side in values.SIDES
            and type(q) is Decimal
            and q.is_finite()
            and q > 0
            and type(p) is Decimal
            and p.is_finite()
            and p > 0
            and (fee is None or (type(fee) is Decimal and fee.is_finite()))
            and (fa is None or (type(fa) is str and fa))
            and type(v) is int
            and v >= 0
            and (self.kind is None or self.kind in values.KINDS)
            and (r is None or (type(r) is Decimal and r.is_finite()))
        ):
            if fee and fa is None:
                raise InvalidEvent(f"FillReported {self.trade_id}: fee {fee} without fee_asset")
            return
        self._explain()

    def _check_order_size(self) -> None:
        oq, lq = self.order_quantity, self.leaves_quantity
        oq is None or _ok_pos(oq) or _bad_decimal(self, "order_quantity", oq, "> 0")
        lq is None or _ok_nonneg(lq) or _bad_decimal(self, "leaves_quantity", lq, ">= 0")
        q = self.quantity
        if not _ok_pos(q):
            return  # the fast pass names it
        if oq is None:
            raise InvalidEvent(
                f"FillReported {self.trade_id}: leaves_quantity {lq} without order_quantity"
            )
        if q + (lq or 0) > oq:
            raise InvalidEvent(
                f"FillReported {self.trade_id}: quantity {q} plus leaves_quantity {lq or 0} "
                f"above the order_quantity {oq}"
            )

    def _explain(self) -> None:
        for name in ("symbol", "order_id", "trade_id"):
            _ok_id(getattr(self, name)) or _bad_text(self, name, getattr(self, name))
        for name in ("client_order_id", "fee_asset"):
            value = getattr(self, name)
            value is None or _ok_id(value) or _bad_text(self, name, value)
        if self.side not in values.SIDES:
            raise InvalidEvent(f"FillReported.side: unknown side {self.side!r}")
        _ok_pos(self.quantity) or _bad_decimal(self, "quantity", self.quantity, "> 0")
        _ok_pos(self.price) or _bad_decimal(self, "price", self.price, "> 0")
        for name in ("fee", "realized_pnl"):
            value = getattr(self, name)
            value is None or _ok_dec(value) or _bad_decimal(self, name, value, "finite")
        v = self.version
        (type(v) is int and v >= 0) or _bad_version(self, v)
        raise InvalidEvent(f"FillReported.kind: unknown kind {self.kind!r}")


@attrs.frozen(slots=True)
class BalanceReported:
    """The venue's absolute balance of one asset as of ``version`` (total and free).

    ``free=None`` where the venue reports the total alone (OKX ``balance_and_position``):
    the locked amount is taken to be unchanged, so free moves with the total.
    ``trade_ids``, where the venue lists them (OKX ``balance_and_position``), names fills
    this report includes exactly, whatever their versions.
    """

    asset: str
    total: Decimal
    free: Decimal | None
    version: int
    trade_ids: frozenset[str] | None = None

    def __attrs_post_init__(self) -> None:
        _ok_id(self.asset) or _bad_text(self, "asset", self.asset)
        _ok_dec(self.total) or _bad_decimal(self, "total", self.total, "finite")
        self.free is None or _ok_dec(self.free) or _bad_decimal(self, "free", self.free, "finite")
        v = self.version
        (type(v) is int and v >= 0) or _bad_version(self, v)
        if self.trade_ids is not None:
            _ids(self, _TRADE_IDS, self.trade_ids)

    @property
    def locked(self) -> Decimal | None:
        """Total minus free (None where free is not reported)."""
        return None if self.free is None else self.total - self.free


class _Named:
    """Stands in for an attrs Attribute where only the name is read."""

    name = "trade_ids"


_TRADE_IDS: Final = _Named()


@attrs.frozen(slots=True)
class PositionReported:
    """The venue's absolute position of one derivative as of ``version`` (signed, one-way)."""

    symbol: str = attrs.field(validator=values.identifier)
    quantity: Decimal = attrs.field(validator=values.decimal)
    entry_price: Decimal = attrs.field(validator=values.non_negative)
    version: int = attrs.field(validator=values.version)
    kind: str | None = attrs.field(default=None, validator=values.optional_kind)
    trade_ids: frozenset[str] | None = attrs.field(default=None, validator=_ids)


@attrs.frozen(slots=True)
class CashChanged:
    """A balance change without an order: deposit, withdrawal, transfer, funding, interest, lock.

    ``total_delta`` moves the total, ``free_delta`` the free amount (an external lock
    moves free only). Deduplicated by ``change_id`` where the venue has one, else by
    (asset, amounts, version).
    """

    asset: str = attrs.field(validator=values.identifier)
    total_delta: Decimal = attrs.field(validator=values.decimal)
    free_delta: Decimal = attrs.field(validator=values.decimal)
    version: int = attrs.field(validator=values.version)
    reason: str = attrs.field(validator=values.identifier)
    change_id: str | None = attrs.field(default=None, validator=values.optional_identifier)


@attrs.frozen(slots=True)
class SnapshotTaken:
    """A REST resync: balances, positions, open orders and recent trades as of ``version``.

    A part marked complete sets what it omits to zero (balances), flat (positions) or
    "not open" (orders); an incomplete part says nothing about what it omits.
    """

    version: int = attrs.field(validator=values.version)
    balances: tuple[BalanceReported, ...] = ()
    positions: tuple[PositionReported, ...] = ()
    open_orders: tuple[OrderReported, ...] = ()
    trades: tuple[FillReported, ...] = ()
    balances_complete: bool = True
    positions_complete: bool = True
    orders_complete: bool = True


def _order_key(event: Any) -> str:
    """The order an event names: its client order id, else its exchange order id."""
    key: str | None = event.client_order_id or event.order_id
    if key is None:
        raise InvalidEvent(f"{type(event).__name__}: needs client_order_id or order_id")
    return key


@attrs.frozen(slots=True)
class OrderNotFound:
    """The venue answered an order query: it has no order with this id (e.g. Binance -2013)."""

    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    order_id: str | None = attrs.field(default=None, validator=values.optional_identifier)

    def __attrs_post_init__(self) -> None:
        _order_key(self)


# --- local intents ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class OrderSubmitted:
    """The bot sent an order (in flight until the venue reports it)."""

    client_order_id: str = attrs.field(validator=values.identifier)
    symbol: str = attrs.field(validator=values.identifier)
    side: str = attrs.field(validator=values.side)
    quantity: Decimal = attrs.field(validator=values.positive)
    price: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    kind: str | None = attrs.field(default=None, validator=values.optional_kind)
    order_type: str = attrs.field(default="limit", validator=_order_type)
    conditional: bool = False

    def __attrs_post_init__(self) -> None:
        if self.order_type == "limit" and self.price is None:
            raise InvalidEvent(
                f"OrderSubmitted {self.client_order_id}: a limit order needs a price"
            )


@attrs.frozen(slots=True)
class CancelRequested:
    """The bot asked the venue to cancel an order."""

    client_order_id: str = attrs.field(validator=values.identifier)


@attrs.frozen(slots=True)
class AmendRequested:
    """The bot asked the venue to change a live order's quantity and/or limit price.

    The order is named by client order id, or by exchange order id (``order_id``) for
    one the bot did not name (a triggered conditional order).
    """

    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    quantity: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    price: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    order_id: str | None = attrs.field(default=None, validator=values.optional_identifier)

    def __attrs_post_init__(self) -> None:
        key = _order_key(self)
        if self.quantity is None and self.price is None:
            raise InvalidEvent(f"AmendRequested {key}: needs a new quantity or price")


@attrs.frozen(slots=True)
class AmendFailed:
    """The venue refused an amend; the order keeps what earlier amends made of it.

    ``quantity`` and ``price`` repeat the refused ``AmendRequested``'s, to name it among
    several amends in flight; with neither, the newest amend is the refused one.
    """

    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    reason: str = attrs.field(default="", validator=_text)
    order_id: str | None = attrs.field(default=None, validator=values.optional_identifier)
    quantity: Decimal | None = attrs.field(default=None, validator=values.optional_positive)
    price: Decimal | None = attrs.field(default=None, validator=values.optional_positive)

    def __attrs_post_init__(self) -> None:
        _order_key(self)


@attrs.frozen(slots=True)
class CancelFailed:
    """The venue refused a cancel (e.g. the order had already ended)."""

    client_order_id: str = attrs.field(validator=values.identifier)
    reason: str = attrs.field(default="", validator=_text)


@attrs.frozen(slots=True)
class SubmissionFailed:
    """The venue definitely rejected a submission (a clear rejection, not a timeout)."""

    client_order_id: str = attrs.field(validator=values.identifier)
    reason: str = attrs.field(default="", validator=_text)


@attrs.frozen(slots=True)
class SubmissionTimedOut:
    """A submission's fate is unknown: timeout, HTTP 5xx, Binance -1006/-1007."""

    client_order_id: str = attrs.field(validator=values.identifier)
    reason: str = attrs.field(default="", validator=_text)


# --- stream status -----------------------------------------------------------------


@attrs.frozen(slots=True)
class StreamConnected:
    """A private stream (re)connected; the account still needs a snapshot after a break."""

    stream: str = attrs.field(validator=values.identifier)


@attrs.frozen(slots=True)
class StreamDisconnected:
    """A private stream broke (disconnect, listen key expired, failed login or subscription)."""

    stream: str = attrs.field(validator=values.identifier)
    reason: str = attrs.field(default="", validator=_text)


@attrs.frozen(slots=True)
class SequenceGap:
    """A gap-free sequence skipped numbers: messages were lost."""

    stream: str = attrs.field(validator=values.identifier)
    expected: int = attrs.field(validator=values.version)
    received: int = attrs.field(validator=values.version)


@attrs.frozen(slots=True)
class MessageIgnored:
    """A well-formed message of a kind the adapter does not know: changes nothing, names it."""

    venue: str = attrs.field(validator=values.identifier)
    kind: str = attrs.field(validator=_text)


Event = (
    OrderReported
    | FillReported
    | BalanceReported
    | PositionReported
    | CashChanged
    | SnapshotTaken
    | OrderNotFound
    | OrderSubmitted
    | CancelRequested
    | AmendRequested
    | AmendFailed
    | CancelFailed
    | SubmissionFailed
    | SubmissionTimedOut
    | StreamConnected
    | StreamDisconnected
    | SequenceGap
    | MessageIgnored
)


# --- fast construction of the hot events ---------------------------------------------------
#
# An attrs frozen slotted ``__init__`` sets each field through ``object.__setattr__`` (about
# 60 ns a field). Adapters on a hot path build these events instead with ``new_*`` below:
# the object is born as a slotless twin subclass whose ``__setattr__`` is the plain one (so
# each field is a specialised slot store), then becomes the real class by ``__class__``
# assignment (same layout: CPython allows it). The result is an ordinary instance of the
# event class (``type(e) is OrderReported``), frozen, equal and hashing like one built by
# the constructor. Validation is the same as the constructor's, done as one boolean pass:
# ``None`` is returned when any check fails, and the caller then takes its careful path
# (the constructor raises the precise ``InvalidEvent``).
#
# ``unchecked_*`` build the same objects with no check at all, for a caller that has already
# established, value by value, everything the matching ``new_*`` checks (an adapter's fast
# path: its own reading of the message proves most of it, and re-checking costs a third of
# its time). Anything less and the event is invalid: the careful path must decide instead.

_new: Final = object.__new__
_set: Final = object.__setattr__


def _twin(cls: type[Any]) -> type[Any]:
    return type(
        f"_{cls.__name__}Init",
        (cls,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": __name__,
        },
    )


_ORDER_INIT: Final = _twin(OrderReported)
_FILL_INIT: Final = _twin(FillReported)
_BALANCE_INIT: Final = _twin(BalanceReported)
_POSITION_INIT: Final = _twin(PositionReported)
_SIDES: Final = values.SIDES
_KINDS: Final = values.KINDS


def new_order_reported(
    symbol: object,
    order_id: object,
    client_order_id: object,
    side: object,
    status: object,
    quantity: object,
    price: object,
    filled_quantity: object,
    average_price: object,
    version: object,
    kind: object,
    order_type: object,
    conditional: bool,
) -> OrderReported | None:
    """``OrderReported(...)`` (``triggered_order_id=None``), or None where it would raise."""
    q, p, f, a, v = quantity, price, filled_quantity, average_price, version
    if not (
        type(symbol) is str
        and symbol
        and type(order_id) is str
        and order_id
        and (client_order_id is None or (type(client_order_id) is str and client_order_id))
        and side in _SIDES
        and status in REPORTED_STATUSES
        and type(q) is Decimal
        and q.is_finite()
        and q > 0
        and (p is None or (type(p) is Decimal and p.is_finite() and p > 0))
        and type(f) is Decimal
        and f.is_finite()
        and 0 <= f <= q
        and (a is None or (type(a) is Decimal and a.is_finite() and a >= 0))
        and type(v) is int
        and v >= 0
        and (kind is None or kind in _KINDS)
        and order_type in ORDER_TYPES
        and (p is not None or conditional or order_type != "limit")
    ):
        return None
    return unchecked_order_reported(
        symbol,
        order_id,
        client_order_id,
        side,
        status,
        q,
        p,
        f,
        a,
        v,
        kind,
        order_type,
        conditional,
    )


def unchecked_order_reported(
    symbol: Any,
    order_id: Any,
    client_order_id: Any,
    side: Any,
    status: Any,
    quantity: Any,
    price: Any,
    filled_quantity: Any,
    average_price: Any,
    version: Any,
    kind: Any,
    order_type: Any,
    conditional: bool,
) -> OrderReported:
    """``new_order_reported`` without its checks: the caller has made every one of them."""
    o = _new(_ORDER_INIT)
    o.symbol = symbol
    o.order_id = order_id
    o.client_order_id = client_order_id
    o.side = side
    o.status = status
    o.quantity = quantity
    o.price = price
    o.filled_quantity = filled_quantity
    o.average_price = average_price
    o.version = version
    o.kind = kind
    o.order_type = order_type
    o.conditional = conditional
    o.triggered_order_id = None
    _set(o, "__class__", OrderReported)
    return o  # type: ignore[no-any-return]


def new_fill_reported(
    symbol: object,
    order_id: object,
    client_order_id: object,
    trade_id: object,
    side: object,
    quantity: object,
    price: object,
    fee: object,
    fee_asset: object,
    version: object,
    kind: object,
) -> FillReported | None:
    """``FillReported(...)`` (no realized PnL, not a liquidation), or None where it would raise."""
    q, p, v = quantity, price, version
    if not (
        type(symbol) is str
        and symbol
        and type(order_id) is str
        and order_id
        and type(trade_id) is str
        and trade_id
        and (client_order_id is None or (type(client_order_id) is str and client_order_id))
        and side in _SIDES
        and type(q) is Decimal
        and q.is_finite()
        and q > 0
        and type(p) is Decimal
        and p.is_finite()
        and p > 0
        and (
            fee is None
            or (type(fee) is Decimal and fee.is_finite() and (fee_asset is not None or not fee))
        )
        and (fee_asset is None or (type(fee_asset) is str and fee_asset))
        and type(v) is int
        and v >= 0
        and (kind is None or kind in _KINDS)
    ):
        return None
    return unchecked_fill_reported(
        symbol, order_id, client_order_id, trade_id, side, q, p, fee, fee_asset, v, kind
    )


def unchecked_fill_reported(
    symbol: Any,
    order_id: Any,
    client_order_id: Any,
    trade_id: Any,
    side: Any,
    quantity: Any,
    price: Any,
    fee: Any,
    fee_asset: Any,
    version: Any,
    kind: Any,
    realized_pnl: Any = None,
    liquidation: bool = False,
    order_quantity: Any = None,
) -> FillReported:
    """``new_fill_reported`` without its checks: the caller has made every one of them.

    ``realized_pnl``, ``liquidation`` and ``order_quantity`` are the constructor's, unchecked
    too (a finite Decimal or None; an order quantity positive and at least ``quantity``).
    """
    o = _new(_FILL_INIT)
    o.symbol = symbol
    o.order_id = order_id
    o.client_order_id = client_order_id
    o.trade_id = trade_id
    o.side = side
    o.quantity = quantity
    o.price = price
    o.fee = fee
    o.fee_asset = fee_asset
    o.version = version
    o.kind = kind
    o.realized_pnl = realized_pnl
    o.liquidation = liquidation
    o.order_quantity = order_quantity
    o.leaves_quantity = None
    _set(o, "__class__", FillReported)
    return o  # type: ignore[no-any-return]


def new_balance_reported(
    asset: object, total: object, free: object, version: object
) -> BalanceReported | None:
    """``BalanceReported(...)`` (no trade ids), or None where it would raise."""
    if not (
        type(asset) is str
        and asset
        and type(total) is Decimal
        and total.is_finite()
        and (free is None or (type(free) is Decimal and free.is_finite()))
        and type(version) is int
        and version >= 0
    ):
        return None
    return unchecked_balance_reported(asset, total, free, version)


def unchecked_balance_reported(asset: Any, total: Any, free: Any, version: Any) -> BalanceReported:
    """``new_balance_reported`` without its checks: the caller has made every one of them."""
    o = _new(_BALANCE_INIT)
    o.asset = asset
    o.total = total
    o.free = free
    o.version = version
    o.trade_ids = None
    _set(o, "__class__", BalanceReported)
    return o  # type: ignore[no-any-return]


def unchecked_position_reported(
    symbol: Any, quantity: Any, entry_price: Any, version: Any, kind: Any
) -> PositionReported:
    """``PositionReported(...)`` (no trade ids) without its checks: the caller has made them
    all (a non-empty symbol, finite decimals, an entry price >= 0, an int version >= 0, a
    known kind or None)."""
    o = _new(_POSITION_INIT)
    o.symbol = symbol
    o.quantity = quantity
    o.entry_price = entry_price
    o.version = version
    o.kind = kind
    o.trade_ids = None
    _set(o, "__class__", PositionReported)
    return o  # type: ignore[no-any-return]
