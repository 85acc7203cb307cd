"""The exchange model's fills sent without the venue's realized PnL (``with_pnl=False``,
the ``no_pnl`` rate): no copy of the trade carries a PnL, yet the wallet books the venue's
own figure, rounded to ``pnl_places`` like one it sends. Numbers reasoned by hand from
DESIGN §2 (linear ``q x contract_size x (exit - entry)``, inverse ``q x contract_size x
(1/entry - 1/exit)``), not from ``core.position``. And the model shares no code with
the core it checks: only the core's value types.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from core import Instrument
from core import events as ev
from models import exchange
from models.exchange import ExchangeModel, Trade

D = Decimal
SWAP = Instrument("BTC-USDT-SWAP", "linear", "BTC", "USDT", contract_size=D("0.01"))
INVERSE = Instrument("BTCUSD_PERP", "inverse", "BTC", "USD", contract_size=D(100))


def _trade(
    model: ExchangeModel,
    cid: str,
    symbol: str,
    side: str,
    q: str,
    p: str,
    *,
    with_pnl: bool | None = None,
    fast: bool = False,
) -> Trade:
    """A limit order of ``q`` at ``p``, filled whole at once (no fee)."""
    model.submit(cid, symbol, side, D(q), D(p))
    trade = model.fill(cid, fast=fast, with_pnl=with_pnl)
    assert isinstance(trade, Trade), trade
    return trade


def _fills(model: ExchangeModel) -> list[ev.FillReported]:
    return [e for _, e in model.take_emitted() if isinstance(e, ev.FillReported)]


def test_a_linear_close_sent_without_pnl_books_the_venues_rounded_figure() -> None:
    model = ExchangeModel([SWAP], {"USDT": D(1000)})
    _trade(model, "a", SWAP.symbol, "buy", "1", "100")
    _trade(model, "b", SWAP.symbol, "buy", "2", "101")
    model.take_emitted()
    # Entry (1 x 100 + 2 x 101) / 3 = 302/3; closing 1 at 102 realizes
    # 1 x 0.01 x (102 - 302/3) = 0.01 x 4/3 = 1/75 = 0.01333..., 0.0133333333 to 10 places.
    trade = _trade(model, "c", SWAP.symbol, "sell", "1", "102", with_pnl=False, fast=True)
    fast, full = _fills(model)
    assert fast.fee is None and full.fee == D(0) and full.fee_asset == "USDT"
    assert fast.realized_pnl is None and full.realized_pnl is None
    assert trade.realized_pnl == D("0.0133333333")  # what the venue booked, unsent
    assert model.balance("USDT").total == D("1000.0133333333")
    position = model.position(SWAP.symbol)
    assert position.quantity == D(2)
    assert position.entry_price == D("100.6666666666666666666666667")  # 302/3, 28 digits
    # The venue's REST trade list leaves it out too.
    (listed,) = [t for t in model.snapshot().trades if t.trade_id == trade.trade_id]
    assert listed.realized_pnl is None


def test_an_inverse_close_sent_without_pnl_books_the_same_figure_as_one_sent_with_it() -> None:
    booked: list[Decimal] = []
    for with_pnl in (True, False):
        model = ExchangeModel([INVERSE], {"BTC": D(10)})
        _trade(model, "a", INVERSE.symbol, "buy", "3", "100")
        model.take_emitted()
        # 1 x 100 x (1/100 - 1/120) = 100/600 = 1/6 = 0.1666..., 0.1666666667 to 10 places.
        _trade(model, "b", INVERSE.symbol, "sell", "1", "120", with_pnl=with_pnl)
        (full,) = _fills(model)
        assert full.realized_pnl == (D("0.1666666667") if with_pnl else None)
        booked.append(model.balance("BTC").total)
    assert booked == [D("10.1666666667"), D("10.1666666667")]


def test_the_no_pnl_rate_leaves_the_pnl_out_of_every_derivative_fill_at_one() -> None:
    model = ExchangeModel([SWAP], {"USDT": D(1000)}, no_pnl=1.0)
    _trade(model, "a", SWAP.symbol, "buy", "2", "100")
    _trade(model, "b", SWAP.symbol, "sell", "1", "90")
    opening, closing = _fills(model)
    assert opening.realized_pnl is None and closing.realized_pnl is None
    # 1 x 0.01 x (90 - 100) = -0.1, booked though not sent.
    assert model.balance("USDT").total == D("999.9")


def test_the_model_reads_and_writes_only_the_core_s_value_types() -> None:
    # The model is the oracle: it computes positions, PnL and balances its own way, so it
    # may share the core's event and view types but none of the code under test.
    source = Path(exchange.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            imported.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names if a.name.startswith("core"))
    assert imported == {
        "core.events",
        "core.instrument.Instrument",
        "core.views.Balance",
        "core.views.Position",
    }
