"""`walk_forward`: windows from the data's first event, `train` then `test`, stepping by
`test` (boundaries checked by hand on ten minutes of trades a second apart); the spec with the
best metric on each train window runs on its test window; an undefined metric picks nothing;
the same windows on a process pool; bad input refused."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sweep_test_strategies import Every

from barter_python.backtest import (
    BacktestConfig,
    MarketData,
    WalkForward,
    backtest,
    grid,
    run_backtests,
    walk_forward,
)

EVERY = "sweep_test_strategies:Every"
BOOM = "sweep_test_strategies:Boom"
START = datetime(2026, 1, 5, tzinfo=UTC)
CONFIG = BacktestConfig(
    instruments=[
        {"exchange": "binance_spot", "instrument": "eth_usdt", "base": "eth", "quote": "usdt"}
    ],
    balances={("binance_spot", "usdt"): 1_000_000},
)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> MarketData:
    """600 trades, one a second from START (the last at START + 9:59), prices in a zigzag."""
    path: Path = tmp_path_factory.mktemp("walk") / "trades.csv"
    start = int(START.timestamp() * 1000)
    rows = [f"{start + 1000 * k},{100 + k % 7},1,Buy\n" for k in range(600)]
    path.write_text("time,price,amount,side\n" + "".join(rows))
    return MarketData.from_csv(path, kind="trades", exchange="binance_spot", instrument="eth_usdt")


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def test_windows_step_by_test_and_the_last_ends_with_the_data(data: MarketData) -> None:
    specs = grid(EVERY, every=[5, 20])
    walk = walk_forward(specs, data, CONFIG, train=minutes(3), test=minutes(2), metric="trades")
    # (train start, test start, test end) in minutes from START: the test windows tile the data
    # after the first train window; the fifth would start training at 8:00 and test at 11:00,
    # after the last event (9:59).
    bounds = [(0, 3, 5), (2, 5, 7), (4, 7, 9), (6, 9, 11)]
    assert [(w.train_start, w.test_start, w.test_end) for w in walk.windows] == [
        (START + minutes(a), START + minutes(b), START + minutes(c)) for a, b, c in bounds
    ]
    assert all(w.train_end == w.test_start for w in walk.windows)
    assert all(w.result is not None for w in walk.windows)
    # a trade a second: 120 events per test window, 60 in the last (9:00 to 9:59)
    assert [w.result.events for w in walk.windows if w.result] == [120, 120, 120, 60]
    # every 5th event trades more often than every 20th: it wins each train window
    assert {w.spec_id for w in walk.windows} == {"every=5"}
    assert (walk.metric, walk.train, walk.test) == ("trades", minutes(3), minutes(2))


def test_each_window_runs_the_best_of_its_train_sweep(data: MarketData) -> None:
    specs = grid(EVERY, every=[3, 7, 11])
    walk = walk_forward(specs, data, CONFIG, train=minutes(4), test=minutes(3), metric="net_pnl")
    assert len(walk.windows) == 2
    for window in walk.windows:
        train = run_backtests(specs, data.slice(window.train_start, window.train_end), CONFIG)
        values = [r.totals.net_pnl for r in train.results]
        assert window.train_metric == max(values)
        assert window.spec_id == train.results[values.index(max(values))].id  # first on a tie
        tested = run_backtests(
            [train.spec(window.spec_id)], data.slice(window.test_start, window.test_end), CONFIG
        )
        assert window.result is not None
        assert window.result.model_copy(update={"wall_time_s": 0}) == tested.results[0].model_copy(
            update={"wall_time_s": 0}
        )


def test_a_metric_undefined_everywhere_picks_nothing(data: MarketData) -> None:
    """No trades in any train window: no `profit_factor` to compare, no spec is chosen and
    nothing runs on the test window; the window is kept, its row without statistics."""
    specs = grid(EVERY, every=[10_000, 20_000])
    walk = walk_forward(
        specs, data, CONFIG, train=minutes(5), test=minutes(5), metric="profit_factor"
    )
    assert len(walk.windows) == 1
    [window] = walk.windows
    assert (window.spec_id, window.train_metric, window.result) == (None, None, None)
    [row] = walk.rows()
    assert row["spec_id"] is None and row["trades"] is None and "train_profit_factor" in row


def test_a_failing_run_does_not_compete(data: MarketData) -> None:
    specs = [*grid(BOOM, at=[1]), *grid(EVERY, every=[9])]
    walk = walk_forward(specs, data, CONFIG, train=minutes(5), test=minutes(5), metric="trades")
    assert [w.spec_id for w in walk.windows] == ["every=9"]


def test_the_table_has_a_row_per_window(data: MarketData) -> None:
    pandas = pytest.importorskip("pandas")
    specs = grid(EVERY, every=[5, 20])
    walk = walk_forward(specs, data, CONFIG, train=minutes(3), test=minutes(2), metric="net_pnl")
    frame = walk.to_pandas()
    assert list(frame.columns[:7]) == [
        "train_start", "train_end", "test_start", "test_end", "spec_id", "train_net_pnl", "trades"
    ]  # fmt: skip
    assert len(frame) == 4
    assert list(frame["test_start"]) == [pandas.Timestamp(w.test_start) for w in walk.windows]
    floats = walk.to_pandas(numbers="float")
    assert floats["net_pnl"].dtype == "float64" and floats["train_net_pnl"].dtype == "float64"
    assert floats["net_pnl"].tolist() == [
        float(w.result.totals.net_pnl) for w in walk.windows if w.result
    ]
    assert WalkForward.model_validate_json(walk.model_dump_json()) == walk


def test_a_process_pool_walks_the_same_windows(data: MarketData) -> None:
    specs = grid(EVERY, every=[4, 9, 16])
    alone = walk_forward(specs, data, CONFIG, train=minutes(4), test=minutes(3), metric="net_pnl")
    with ProcessPoolExecutor(2) as pool:
        pooled = walk_forward(
            specs, data, CONFIG, train=minutes(4), test=minutes(3), metric="net_pnl", executor=pool
        )

    def frozen(walk: WalkForward) -> list[str]:
        return [
            w.model_copy(
                update={"result": w.result and w.result.model_copy(update={"wall_time_s": 0})}
            ).model_dump_json()
            for w in walk.windows
        ]

    assert frozen(pooled) == frozen(alone)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train": timedelta(0)}, r"train must be a positive timedelta, got .*\(0\)"),
        ({"test": -minutes(1)}, "test must be a positive timedelta"),
        ({"train": 60}, "train must be a positive timedelta, got 60"),
        ({"metric": "pnl"}, r"column of the sweep table \(every, trades, .*net_pnl"),
        ({"metric": "id"}, "metric must be a column"),
        ({"train": minutes(10)}, r"the data spans 0:09:59 \(2026-01-05T00:00:00\+00:00 to "),
    ],
)  # fmt: skip
def test_bad_input_is_refused(data: MarketData, changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"train": minutes(3), "test": minutes(2), "metric": "net_pnl"}
    with pytest.raises(ValueError, match=message):
        walk_forward(grid(EVERY, every=[5]), data, CONFIG, **(arguments | changes))  # type: ignore[arg-type]


def test_no_spec_is_refused(data: MarketData) -> None:
    with pytest.raises(ValueError, match="at least one spec"):
        walk_forward([], data, CONFIG, train=minutes(3), test=minutes(2), metric="net_pnl")


# --- the warm-up ------------------------------------------------------------------------------


def test_a_warm_up_calls_the_strategy_and_drops_its_requests(data: MarketData) -> None:
    """`warmup_until` 2:00: the 120 events before it reach the strategy (its count goes on
    from there) but send nothing; the result starts at 2:00. Every(every=25) numbers the
    events it sees: buys at its 125th, 150th, 175th, ... event, i.e. from 2:04 on, where
    without the warm-up it would buy at 0:24, 0:49, ..."""
    strategy = Every(every=25)
    config = CONFIG.model_copy(update={"warmup_until": START + minutes(2)})
    result = backtest(strategy, data.slice(START, START + minutes(4)), config)
    assert strategy.events == 240  # every event of the four minutes was seen
    # buys at the 125th, 150th, 175th, 200th and 225th events (2:04, 2:29, ...), each sold at
    # the next: 10 orders, none before 2:00
    assert [order.time for order in result.orders[:2]] == [
        START + timedelta(seconds=124),
        START + timedelta(seconds=125),
    ]
    assert len(result.orders) == 10
    assert result.events == 120 and result.time_start == START + minutes(2)
    assert result.equity[0].time == START + minutes(2)


def test_a_warm_up_after_the_data_is_refused(data: MarketData) -> None:
    config = CONFIG.model_copy(update={"warmup_until": START + minutes(20)})
    with pytest.raises(ValueError, match="warmup_until is after the data's last event"):
        backtest(Every(), data, config)


def test_walk_forward_warms_each_test_run_up(data: MarketData) -> None:
    """A minute of warm-up before each two-minute test window: the test run is the backtest of
    the minute before the window and the window, trading from the window's start. Every(25)
    then buys 5 times in the first window (its 75th, 100th, ... event) instead of 4."""
    specs = grid(EVERY, every=[25])
    arguments = {"train": minutes(3), "test": minutes(2), "metric": "trades"}
    cold = walk_forward(specs, data, CONFIG, **arguments)  # type: ignore[arg-type]
    warm = walk_forward(specs, data, CONFIG, warmup=minutes(1), **arguments)  # type: ignore[arg-type]
    first_cold, first_warm = cold.windows[0].result, warm.windows[0].result
    assert first_cold is not None and first_warm is not None
    assert (len(first_cold.orders), len(first_warm.orders)) == (8, 10)
    assert first_warm.events == 120 and first_warm.time_start == warm.windows[0].test_start
    window = warm.windows[0]
    config = CONFIG.model_copy(update={"warmup_until": window.test_start})
    again = run_backtests(
        specs, data.slice(window.test_start - minutes(1), window.test_end), config
    )
    assert first_warm.model_copy(update={"wall_time_s": 0}) == again.results[0].model_copy(
        update={"wall_time_s": 0}
    )
    with pytest.raises(ValueError, match="warmup must be a timedelta of 0 or more"):
        walk_forward(specs, data, CONFIG, warmup=-minutes(1), **arguments)  # type: ignore[arg-type]
