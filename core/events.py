"""Everything the Inventory consumes, named as facts: venue reports, local intents, stream status.

Every venue event carries a ``version``: the venue's own ordering key within a scope
(the account's balances, one symbol's position, one order), mapped by the adapter.
A report at version V reflects every change in its scope with version <= V. Values
are validated once, here, at construction; a bad value raises ``InvalidEvent``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

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


def _ids(inst: object, attribute: attrs.Attribute[object], value: object) -> None:
    if value is None:
        return
    if type(value) is not frozenset or not all(type(v) is str and v for v in value):
        raise InvalidEvent(
            f"{type(inst).__name__}.{attribute.name}: expected a frozenset of ids, got {value!r}"
        )


# --- venue reports -------------------------------------------------------------------


@attrs.frozen(slots=True)
class OrderReported:
    """The venue's absolute view of one order as of ``version``.

    ``filled_quantity`` is cumulative; ``price`` is the limit price (``None`` for a
    market order). A conditional order (stop, take-profit, algo) not yet triggered has
    ``conditional=True``; when the venue triggers it into a new order it reports status
    ``"triggered"`` with ``triggered_order_id`` naming that order.
    """

    symbol: str = attrs.field(validator=values.identifier)
    order_id: str = attrs.field(validator=values.identifier)
    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    side: str = attrs.field(validator=values.side)
    status: str = attrs.field(validator=_status)
    quantity: Decimal = attrs.field(validator=values.positive)
    price: Decimal | None = attrs.field(validator=values.optional_positive)
    filled_quantity: Decimal = attrs.field(validator=values.non_negative)
    average_price: Decimal | None = attrs.field(validator=values.optional_non_negative)
    version: int = attrs.field(validator=values.version)
    kind: str | None = attrs.field(default=None, validator=values.optional_kind)
    order_type: str = attrs.field(default="limit", validator=_order_type)
    conditional: bool = False
    triggered_order_id: str | None = attrs.field(default=None, validator=values.optional_identifier)

    def __attrs_post_init__(self) -> None:
        if self.filled_quantity > self.quantity:
            raise InvalidEvent(
                f"OrderReported {self.order_id}: filled_quantity {self.filled_quantity} "
                f"above quantity {self.quantity}"
            )
        if self.order_type == "limit" and self.price is None and not self.conditional:
            raise InvalidEvent(f"OrderReported {self.order_id}: a limit order needs a price")


@attrs.frozen(slots=True)
class FillReported:
    """One execution (trade) of an order, identified by ``trade_id``.

    ``fee`` > 0 is charged, < 0 a rebate; ``fee=None`` means the message carries no fee
    yet (Binance USD-M ``TRADE_LITE``, Bybit ``execution.fast``): a later message for the
    same trade id adds it. ``realized_pnl`` is the venue's own per-fill figure, if sent.
    """

    symbol: str = attrs.field(validator=values.identifier)
    order_id: str = attrs.field(validator=values.identifier)
    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    trade_id: str = attrs.field(validator=values.identifier)
    side: str = attrs.field(validator=values.side)
    quantity: Decimal = attrs.field(validator=values.positive)
    price: Decimal = attrs.field(validator=values.positive)
    fee: Decimal | None = attrs.field(validator=values.optional_decimal)
    fee_asset: str | None = attrs.field(validator=values.optional_identifier)
    version: int = attrs.field(validator=values.version)
    kind: str | None = attrs.field(default=None, validator=values.optional_kind)
    realized_pnl: Decimal | None = attrs.field(default=None, validator=values.optional_decimal)
    liquidation: bool = False

    def __attrs_post_init__(self) -> None:
        if self.fee is not None and self.fee != 0 and self.fee_asset is None:
            raise InvalidEvent(f"FillReported {self.trade_id}: fee {self.fee} without fee_asset")


@attrs.frozen(slots=True)
class BalanceReported:
    """The venue's absolute balance of one asset as of ``version`` (total and free).

    ``trade_ids``, where the venue lists them (OKX ``balance_and_position``), names fills
    this report includes exactly, whatever their versions.
    """

    asset: str = attrs.field(validator=values.identifier)
    total: Decimal = attrs.field(validator=values.decimal)
    free: Decimal = attrs.field(validator=values.decimal)
    version: int = attrs.field(validator=values.version)
    trade_ids: frozenset[str] | None = attrs.field(default=None, validator=_ids)

    @property
    def locked(self) -> Decimal:
        """Total minus free."""
        return self.total - self.free


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


@attrs.frozen(slots=True)
class OrderNotFound:
    """The venue answered an order query: it has no order with this id (e.g. Binance -2013)."""

    client_order_id: str | None = attrs.field(validator=values.optional_identifier)
    order_id: str | None = attrs.field(default=None, validator=values.optional_identifier)

    def __attrs_post_init__(self) -> None:
        if self.client_order_id is None and self.order_id is None:
            raise InvalidEvent("OrderNotFound: needs client_order_id or order_id")


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
            raise InvalidEvent(f"OrderSubmitted {self.client_order_id}: a limit order needs a price")


@attrs.frozen(slots=True)
class CancelRequested:
    """The bot asked the venue to cancel an order."""

    client_order_id: str = attrs.field(validator=values.identifier)


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
    | CancelFailed
    | SubmissionFailed
    | SubmissionTimedOut
    | StreamConnected
    | StreamDisconnected
    | SequenceGap
    | MessageIgnored
)
