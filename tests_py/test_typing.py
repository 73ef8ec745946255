"""What a user's type checker sees: mypy --strict on a user script, against the installed wheel
(its `py.typed` and native stubs), reveals the stubbed types rather than `Any`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import mypy.api
import pytest

USER_SCRIPT = textwrap.dedent(
    """
    from decimal import Decimal

    import barter_python as bp
    from barter_python.strategy import (
        InstrumentFilter,
        build_ioc_market_order_to_close_position,
        close_open_positions_with_market_orders,
    )

    position = bp.PositionSnapshot(instrument="btc_usdt", side=bp.Side.BUY, quantity=Decimal(1))
    snapshot = bp.InstrumentSnapshot(
        exchange=bp.ExchangeId.OKX, instrument="btc_usdt", base="btc", quote="usdt",
        price=Decimal(10), position=position,
    )
    order = build_ioc_market_order_to_close_position("okx", position, "s", Decimal(10))
    result = close_open_positions_with_market_orders(
        bp.StrategyId("s"), [snapshot], lambda s: bp.ClientOrderId.random(),
        filter=InstrumentFilter.exchanges(bp.ExchangeId.OKX), on_missing_price="skip",
    )
    key = bp.OrderKey(bp.ExchangeId.OKX, "btc_usdt", "s", "c")
    state = bp.RequestOpen(bp.Side.SELL, Decimal(1), 2, bp.OrderKind.MARKET,
                           bp.TimeInForce.IMMEDIATE_OR_CANCEL)
    cancel = bp.OrderRequestCancel(key, bp.RequestCancel(bp.OrderId("x")))
    reveal_type(order)
    reveal_type(result)
    reveal_type(order.state.price)
    reveal_type(order.key.exchange)
    reveal_type(cancel.state.id)
    reveal_type(bp.OrderRequestOpen.from_json(order.to_json()))
    reveal_type(state.time_in_force.post_only)

    from barter_python.engine import DefaultStrategy, Engine, EngineEvent
    engine = Engine([snapshot], DefaultStrategy(), balances={("okx", "usdt"): 1})
    audit = engine.process(EngineEvent.trade("okx", "btc_usdt", 10, 1, "Buy"))
    reveal_type(engine)
    reveal_type(audit.trades[0].price)
    reveal_type(engine.state.positions())

    # No Pydantic plugin: the constructors take what their validators accept.
    typed = bp.InstrumentSnapshot(
        exchange="okx", instrument="btc_usdt", base="btc", quote="usdt", price="43250.5",
        position=bp.PositionSnapshot(instrument="btc_usdt", side="Buy", quantity="0.75"),
    )
    reveal_type(typed.exchange)
    reveal_type(typed.price)
    reveal_type(typed.position)
    """
)

EXPECTED = [
    'Revealed type is "barter_python._native.OrderRequestOpen"',
    'Revealed type is "tuple[list[barter_python._native.OrderRequestCancel], '
    'list[barter_python._native.OrderRequestOpen]]"',
    'Revealed type is "decimal.Decimal"',
    'Revealed type is "barter_python.instrument.ExchangeId"',
    'Revealed type is "barter_python._native.OrderId | None"',
    'Revealed type is "barter_python._native.OrderRequestOpen"',
    'Revealed type is "bool"',
    'Revealed type is "barter_python.engine.Engine"',
    'Revealed type is "decimal.Decimal"',
    'Revealed type is "dict[tuple[barter_python.instrument.ExchangeId, str], '
    'barter_python.snapshot.PositionSnapshot]"',
    'Revealed type is "barter_python.instrument.ExchangeId"',
    'Revealed type is "decimal.Decimal | None"',
    'Revealed type is "barter_python.snapshot.PositionSnapshot | None"',
]


@pytest.mark.slow
def test_user_script_type_checks_with_stubbed_types(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT)
    config = tmp_path / "mypy.ini"  # no project config: resolve the installed package
    config.write_text("[mypy]\n")
    stdout, stderr, status = mypy.api.run(
        ["--strict", "--config-file", str(config), "--cache-dir", str(tmp_path), str(script)]
    )
    revealed = [line.split("note: ", 1)[1] for line in stdout.splitlines() if "note: " in line]
    assert revealed == EXPECTED, stdout + stderr
    assert status == 0, stdout + stderr


def test_wrong_argument_types_are_caught(tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text(
        "import barter_python as bp\n"
        "bp.OrderKey(bp.ExchangeId.OKX, 5, 's', 'c')\n"
        "bp.close_open_positions_with_market_orders('s', [], on_missing_price='ignore')\n"
        "bp.InstrumentSnapshot(exchange=123, instrument='a', base='a', quote='b')\n"
        "bp.InstrumentSnapshot(exchange='okx', instrument=['x'], base='a', quote='b')\n"
        "bp.PositionSnapshot(instrument='a', side='Buy', quantity=[1])\n"
        "bp.PositionSnapshot(instrument='a', side='Buy', quantity=1).quantity = 2\n"
        "from barter_python.engine import Engine\n"
        "Engine([], object())\n"
    )
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    stdout, _, status = mypy.api.run(
        ["--strict", "--config-file", str(config), "--cache-dir", str(tmp_path), str(script)]
    )
    assert status == 1
    assert 'Argument 2 to "OrderKey" has incompatible type "int"' in stdout
    assert 'Argument "on_missing_price"' in stdout
    assert 'Argument "exchange" to "InstrumentSnapshot" has incompatible type "int"' in stdout
    assert (
        'Argument "instrument" to "InstrumentSnapshot" has incompatible type "list[str]"' in stdout
    )
    assert 'Argument "quantity" to "PositionSnapshot" has incompatible type "list[int]"' in stdout
    assert 'Property "quantity" defined in "PositionSnapshot" is read-only' in stdout
    assert 'Argument 2 to "Engine" has incompatible type "object"; expected "Strategy"' in stdout
