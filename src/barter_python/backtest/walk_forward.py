"""Walk-forward analysis: a sweep on each training window picks the spec that a test window,
just after it, then runs: the out-of-sample record of choosing by a metric.

Windows start at the data's first event: train `[start, start + train)`, then test
`[start + train, start + train + test)`; the next window starts `test` later, so the test
windows tile the data after the first training window. A window is run while its test window
starts at or before the data's last event: the last one may hold less than `test` of data
(its `test_end` stays the window's end, after the data's).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from barter_python.backtest.config import BacktestConfig
from barter_python.backtest.sweep import (
    NOT_METRICS,
    BacktestBatch,
    BacktestSpec,
    MapExecutor,
    checked,
    run_backtests,
    run_columns,
    run_decimals,
)
from barter_python.market import MarketData, MarketQuery
from barter_python.session.result import BacktestResult
from barter_python.session.tables import FramesOfRows

__all__ = ["WalkForward", "WalkWindow", "walk_forward"]


# Sweep-table columns that are no measure of a run.
class WalkWindow(BaseModel, frozen=True, extra="forbid"):
    """One window: its train and test periods (half-open), the spec with the best metric on
    the train period (`spec_id`, its value `train_metric`) and that spec's run on the test
    period (`result`). `spec_id` is `None` when no run of the train period has the metric
    (every run failed, or the metric is undefined for each, as `profit_factor` without a
    losing trade); `result` is `None` then, and when the test period holds no event."""

    train_start: datetime
    train_end: datetime
    test_start: datetime
    test_end: datetime
    spec_id: str | None
    train_metric: Decimal | float | int | None
    result: BacktestResult | None


class WalkForward(BaseModel, FramesOfRows, frozen=True, extra="forbid"):
    """A walk-forward analysis: the `metric` it chose by, the window lengths and the windows,
    in time order."""

    metric: str
    train: timedelta
    test: timedelta
    windows: list[WalkWindow]

    def rows(self) -> list[dict[str, Any]]:
        """One row per window: its bounds, `spec_id`, `train_<metric>` (its value on the train
        period), then the test run's statistics as in the sweep table (`BacktestBatch.rows`:
        `trades`, ..., `net_pnl`, ..., `orders_sent`, `wall_time_s`; `None` without a run)."""
        return [
            window.model_dump(include={"train_start", "train_end", "test_start", "test_end"})
            | {"spec_id": window.spec_id, f"train_{self.metric}": window.train_metric}
            | run_columns(window.result)
            for window in self.windows
        ]

    def _decimals(self) -> frozenset[str]:
        decimals = run_decimals()
        return decimals | {f"train_{self.metric}"} if self.metric in decimals else decimals


def walk_forward(
    specs: Iterable[BacktestSpec],
    data: MarketData | MarketQuery,
    config: BacktestConfig,
    *,
    train: timedelta,
    test: timedelta,
    metric: str,
    executor: Executor | MapExecutor | None = None,
    warmup: timedelta = timedelta(0),
) -> WalkForward:
    """For each window (see the module's docstring), `run_backtests(specs, ...)` on the train
    period, then the spec with the highest `metric` (a column of the sweep table,
    `BacktestBatch.rows`: `net_pnl`, `win_rate`, `profit_factor`, `barter_sharpe_ratio`, ...;
    the first in spec order on a tie; runs without a value skipped) on the test period, each
    period cut with `MarketData.slice`. Every run happens on `executor`, as in
    `run_backtests`; a run of the train period that fails does not compete, the test run
    raises as `on_error="raise"` does. With a `warmup`, each test run first replays the
    `warmup` before its test period (as `BacktestConfig.warmup_until`: the strategy is called
    as usual and its requests are dropped), so indicators start the test period warm; the
    warm-up may reach into the train period, never before the data."""
    specs = checked(specs, data, config)
    for name, length in (("train", train), ("test", test)):
        if not isinstance(length, timedelta) or length <= timedelta(0):
            raise ValueError(f"{name} must be a positive timedelta, got {length!r}")
    if not isinstance(warmup, timedelta) or warmup < timedelta(0):
        raise ValueError(f"warmup must be a timedelta of 0 or more, got {warmup!r}")
    if not specs:
        raise ValueError("walk_forward needs at least one spec")
    columns = dict.fromkeys(
        name for row in BacktestBatch(specs=specs, results=[], failures=[]).rows() for name in row
    )
    metrics = [name for name in columns if name not in NOT_METRICS]
    if metric not in metrics:
        raise ValueError(
            f"metric must be a column of the sweep table ({', '.join(metrics)}), got {metric!r}"
        )
    if len(data) == 0:
        raise ValueError("data is empty: no window to walk")
    first, last = data.time_first_event, data.time_last_event
    if first + train > last:
        raise ValueError(
            f"the data spans {last - first} ({first.isoformat()} to {last.isoformat()}): too "
            f"short for one window of train {train} then test {test}"
        )

    windows = []
    train_start = first
    while train_start + train <= last:
        test_start = train_start + train
        test_end = test_start + test
        batch = run_backtests(specs, data.slice(train_start, test_start), config, executor=executor)
        best, value = batch.best_with_value(metric)
        spec_id = None if best is None else best.id
        result = None
        tested = data.slice(test_start, test_end)
        if spec_id is not None and len(tested) > 0:
            [spec] = [spec for spec in specs if spec.id == spec_id]
            test_config = config
            if warmup:
                tested = data.slice(max(test_start - warmup, first), test_end)
                test_config = config.model_copy(update={"warmup_until": test_start})
            run = run_backtests([spec], tested, test_config, executor=executor, on_error="raise")
            result = run.results[0]
        windows.append(
            WalkWindow(
                train_start=train_start,
                train_end=test_start,
                test_start=test_start,
                test_end=test_end,
                spec_id=spec_id,
                train_metric=value,
                result=result,
            )
        )
        train_start += test
    return WalkForward(metric=metric, train=train, test=test, windows=windows)
