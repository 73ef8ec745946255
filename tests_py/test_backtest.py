"""Backtests: market data replayed through barter's Engine with a Python strategy. Checked
against statistics worked out by hand, barter's own statistics (and its loss-rate `win_rate`),
determinism, the end-of-data close, virtual latency, and every error path of spec §5."""

from __future__ import annotations

import glob
import os
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barter_python import BacktestError, ExchangeId
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import (
    DefaultStrategy,
    EngineEvent,
    EngineStateView,
    Requests,
    market_order,
)
from barter_python.exchange import BarterMockExchange, SimulatedExchange

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BOOK = [
    {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt"},
    {"exchange": "okx", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"},
]
CONFIG = BacktestConfig(instruments=BOOK, balances={("okx", "usdt"): 1_000_000})


def trades(prices: list[str], instrument: str = "btc_usdt") -> MarketData:
    """One trade per price, a second apart."""
    return MarketData.from_events(
        EngineEvent.trade("okx", instrument, price, 1, "Buy", START + timedelta(seconds=i))
        for i, price in enumerate(prices)
    )


class Script(DefaultStrategy):
    """Sends the planned orders: at market event `n` (counted from 0), `(side, quantity)` on
    btc_usdt at barter's current price, with numbered cids. barter calls the strategy after
    every event it processes, the mock's answers too: a new market event shows as a new time."""

    def __init__(self, plan: dict[int, tuple[str, str]]) -> None:
        self.plan = plan
        self.times: list[datetime] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        if self.times and self.times[-1] == state.time:
            return [], []  # an account event of the same market event
        call = len(self.times)
        self.times.append(state.time)
        if call not in self.plan:
            return [], []
        side, quantity = self.plan[call]
        price = state.prices()[(ExchangeId.OKX, "btc_usdt")]
        order = market_order(
            "okx", "btc_usdt", side, quantity, price, strategy_id="s", cid=f"c{call}"
        )
        return [], [order]


# Three round trips worked by hand: +10, -5, +20 (quantity 1, no fees).
ROUND_TRIPS = (
    ["100", "110", "100", "95", "100", "120", "120"],
    {0: ("Buy", "1"), 1: ("Sell", "1"), 2: ("Buy", "1"), 3: ("Sell", "1"), 4: ("Buy", "1"),
     5: ("Sell", "1")},
)  # fmt: skip


def test_hand_worked_round_trips_match_barter_and_textbook_statistics() -> None:
    prices, plan = ROUND_TRIPS
    result = backtest(Script(plan), trades(prices), CONFIG)
    assert [p.pnl_realised for p in result.positions] == [10, -5, 20]
    D = Decimal
    assert [(p.price_entry, p.price_exit) for p in result.positions] == [
        (D(100), D(110)), (D(100), D(95)), (D(100), D(120))
    ]  # fmt: skip
    assert (result.orders_sent, result.orders_refused, len(result.fills)) == (6, 0, 6)

    btc = next(i for i in result.instruments if i.instrument == "btc_usdt")
    stats = btc.stats
    assert (stats.trades, stats.wins, stats.losses) == (3, 2, 1)
    assert stats.win_rate == Decimal(2) / 3 and stats.loss_rate == Decimal(1) / 3
    assert stats.profit_factor == 6  # gross profit 30 / |gross loss| 5
    assert (stats.gross_profit, stats.gross_loss, stats.net_pnl) == (D(30), D(-5), D(25))
    assert stats.expectancy == Decimal(25) / 3
    assert (stats.avg_win, stats.avg_loss) == (D(15), D(-5))

    # barter's numbers: pnl is the sum; its win_rate is the loss rate; its profit factor is
    # |Σ returns| / |Σ losing returns| on returns 0.10, -0.05, 0.20: 0.25 / 0.05.
    sheet = btc.barter
    assert sheet.pnl == 25
    assert sheet.win_rate == Decimal(1) / 3 == stats.loss_rate
    assert sheet.profit_factor == 5
    assert sheet.sharpe_ratio is not None and "sharpe_ratio" not in sheet.undefined
    assert result.totals == stats
    # The account value: the starting 1,000,000 usdt plus the net PnL, nothing held.
    assert result.equity[-1].equity == 1_000_025 and result.equity[-1].holdings == 0
    assert result.exchange == "simulated"
    assert [o.status for o in result.orders] == ["filled"] * 6
    eth = next(i for i in result.instruments if i.instrument == "eth_usdt")
    assert eth.stats.trades == 0 and eth.barter.undefined["sharpe_ratio"] == "no_trades"


def test_the_strategy_sees_the_events_exchange_time() -> None:
    prices, plan = ROUND_TRIPS
    strategy = Script(plan)
    result = backtest(strategy, trades(prices), CONFIG)
    assert strategy.times == [START + timedelta(seconds=i) for i in range(len(prices))]
    assert (result.time_start, result.time_end) == (START, START + timedelta(seconds=6))


def test_no_trades_gives_none_ratios_with_reasons_and_serialises() -> None:
    result = backtest(DefaultStrategy(), trades(["100", "101"]), CONFIG)
    sheet = result.instruments[0].barter
    assert sheet.sharpe_ratio is None and sheet.win_rate is None
    assert sheet.undefined["sharpe_ratio"] == "no_trades"
    assert result.totals.trades == 0 and result.totals.win_rate is None
    assert BacktestResult.model_validate_json(result.to_json()) == result
    assert "79228162514264337593543950335" not in result.to_json()


def test_identical_inputs_give_byte_identical_json_apart_from_wall_time() -> None:
    prices, plan = ROUND_TRIPS
    unfinished = {**plan, 6: ("Buy", "2")}  # left open: the SDK's end-of-data close
    runs = [backtest(Script(unfinished), trades(prices), CONFIG) for _ in range(3)]
    texts = {run.model_copy(update={"wall_time_s": 0.0}).to_json() for run in runs}
    assert len(texts) == 1


def test_positions_open_at_the_end_are_closed_at_barters_price() -> None:
    result = backtest(Script({0: ("Buy", "2")}), trades(["100", "104"]), CONFIG)
    assert result.orders_sent == 2  # the strategy's buy, then the SDK's close
    [position] = result.positions
    assert (position.price_entry, position.price_exit, position.pnl_realised) == (
        Decimal(100),
        Decimal(104),
        Decimal(8),
    )
    kept = CONFIG.model_copy(update={"close_positions_at_end": False})
    assert backtest(Script({0: ("Buy", "2")}), trades(["100", "104"]), kept).positions == []


def test_latency_passes_in_virtual_time() -> None:
    """barter's mock exchange answers after `latency_ms` of tokio time: paused, it costs no
    wall time and the fills carry the shifted exchange time, deterministically."""
    slow = CONFIG.model_copy(update={"exchange": BarterMockExchange(latency_ms=500)})
    prices, plan = ROUND_TRIPS
    result = backtest(Script(plan), trades(prices), slow)
    assert result.orders_refused == 0 and len(result.fills) == 6
    assert [fill.time - START for fill in result.fills][:2] == [
        timedelta(milliseconds=250), timedelta(seconds=1, milliseconds=250)
    ]  # fmt: skip


def test_fees_are_charged_and_counted() -> None:
    prices, plan = ROUND_TRIPS
    with_fees = CONFIG.model_copy(update={"exchange": SimulatedExchange(fees_percent="0.01")})
    result = backtest(Script(plan), trades(prices), with_fees)
    fees = sum((fill.fees for fill in result.fills), Decimal(0))
    assert fees == Decimal("6.25")  # 1 % of 100+110+100+95+100+120
    assert result.totals.fees == fees
    assert result.totals.net_pnl == 25 - fees


def test_errors() -> None:
    data = trades(["100", "101"])
    with pytest.raises(ValueError, match="no events"):
        backtest(DefaultStrategy(), data.slice(end=START), CONFIG)
    sol = trades(["1"], instrument="sol_usdt")
    with pytest.raises(ValueError, match="'sol_usdt' on 'okx', which is not in the config"):
        backtest(DefaultStrategy(), sol, CONFIG)

    class Raising(DefaultStrategy):
        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            if state.prices()[(ExchangeId.OKX, "btc_usdt")] > 100:
                raise KeyError("boom")
            return [], []

    with pytest.raises(BacktestError, match="stopped at market event 1: 'boom'") as info:
        backtest(Raising(), data, CONFIG)
    assert isinstance(info.value.__cause__, KeyError)
    # the exception's type, the event's time and the strategy's line that raised
    message, where = str(info.value).split("\n")
    assert message.endswith("'boom' (KeyError, at 2026-01-05T09:00:01Z)"), message
    assert where.startswith(f"  {__file__}:") and where.endswith('raise KeyError("boom")')
    with pytest.raises(TypeError, match="MarketData"):
        backtest(DefaultStrategy(), [], CONFIG)  # type: ignore[arg-type]


def test_ctrl_c_in_a_strategy_stops_a_backtest_and_a_sweep() -> None:
    """Ctrl-C is no failure of the run: `KeyboardInterrupt` passes as it is, and a sweep
    stops instead of recording it and running the next specs."""
    from barter_python.backtest import BacktestSpec, run_backtests

    with pytest.raises(KeyboardInterrupt):
        backtest(Interrupting(), trades(["1", "2"]), CONFIG)
    specs = [BacktestSpec(id=id, strategy=f"{__name__}:Interrupting") for id in ("a", "b")]
    with pytest.raises(KeyboardInterrupt):
        run_backtests(specs, trades(["1", "2"]), CONFIG)


class Interrupting(DefaultStrategy):
    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        raise KeyboardInterrupt


def test_config_and_result_pickle() -> None:
    result = backtest(Script(ROUND_TRIPS[1]), trades(ROUND_TRIPS[0]), CONFIG)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(CONFIG, protocol)) == CONFIG
        assert pickle.loads(pickle.dumps(result, protocol)) == result


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=400), min_size=2, max_size=40),
    st.lists(st.sampled_from(["Buy", "Sell", None]), min_size=2, max_size=40),
)
def test_barters_win_rate_is_the_loss_rate(path: list[int], sides: list[str | None]) -> None:
    """barter's `TearSheet.win_rate` is `losses / trades`: the textbook loss rate, on every
    run (a defect of barter's, kept and documented)."""
    plan = {i: (side, "1") for i, side in enumerate(sides) if side}
    result = backtest(Script(plan), trades([str(p) for p in path]), CONFIG)
    for instrument in result.instruments:
        assert instrument.barter.win_rate == instrument.stats.loss_rate


def barter_example(name: str) -> str | None:
    found = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/barter-0.14.0/examples/{name}"))
    return found[0] if found else None


def test_barters_own_example_files_run_unchanged() -> None:
    config_file = barter_example("config/backtest_config.json")
    data_file = barter_example("data/binance_spot_trades_l1_btcusdt_ethusdt_solusdt.json")
    if not (config_file and data_file):
        pytest.skip("barter's crate sources are not in the cargo registry")
    config = BacktestConfig.from_barter_json(config_file)
    assert [i.instrument for i in config.instruments] == ["btc_usdt", "eth_usdt", "sol_usdt"]
    assert config.balances[(ExchangeId.BINANCE_SPOT, "usdt")] == 10_000
    exchange = config.exchange
    assert (exchange.fees_percent, exchange.latency_ms) == (Decimal("0.05"), 100)
    data = MarketData.from_barter_json(data_file, instruments=config)
    assert len(data) == 50_000
    result = backtest(DefaultStrategy(), data, config)
    assert result.events == 50_000 and result.orders_sent == 0
    assert Path(data_file).exists()


def test_rates_outside_their_range_are_refused() -> None:
    """barter's ratios overflow on a risk-free return far from the returns (found by review:
    `risk_free_return=1e28` panicked inside barter's Sharpe ratio)."""
    for field, value in [("risk_free_return", "1E+28"), ("fees_percent", "2")]:
        with pytest.raises(ValueError, match="must be a"):
            BacktestConfig(instruments=BOOK, **{field: value})  # type: ignore[arg-type]
