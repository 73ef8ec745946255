"""An SMA cross with an RSI filter on 10-second bars, sized by `order_percent`: the strategy
kit (spec §10) with talipp's incremental indicators (`pip install 'barter-python[examples]'`),
backtested on the bundled sample (three instruments, five minutes).

Run: python examples/sma_rsi_bars.py
"""

from __future__ import annotations

from datetime import timedelta

from talipp.indicators import RSI, SMA  # type: ignore[import-untyped]  # talipp ships no hints

from barter_python.backtest import backtest
from barter_python.backtest.sample import sample_config, sample_data
from barter_python.engine import EngineStateView, Requests
from barter_python.strategy import Bar, BarStrategy, order_percent, order_target


class SmaRsi(BarStrategy):
    """Buy 30 % of the equity when the fast SMA crosses above the slow one and the RSI is not
    overbought; sell it all when the fast SMA falls below the slow one."""

    bar_interval = timedelta(seconds=10)

    def __init__(self, fast: int = 3, slow: int = 8, rsi: int = 5, overbought: float = 70) -> None:
        self.periods = (fast, slow, rsi)
        self.overbought = overbought
        self.indicators: dict[str, tuple[SMA, SMA, RSI]] = {}

    def on_bar(self, bar: Bar, state: EngineStateView) -> Requests:
        fast, slow, rsi = self.indicators.setdefault(
            bar.instrument, (SMA(self.periods[0]), SMA(self.periods[1]), RSI(self.periods[2]))
        )
        close = float(bar.close)  # talipp computes in floats; orders stay exact Decimals
        for indicator in (fast, slow, rsi):
            indicator.add(close)
        if fast[-1] is None or slow[-1] is None or rsi[-1] is None:
            return [], []
        holding = (bar.exchange, bar.instrument) in state.positions()
        if fast[-1] > slow[-1] and rsi[-1] < self.overbought and not holding:
            return order_percent(state, bar.exchange, bar.instrument, "0.3")
        if fast[-1] < slow[-1] and holding:
            return order_target(state, bar.exchange, bar.instrument, 0)
        return [], []


if __name__ == "__main__":
    result = backtest(SmaRsi(), sample_data(), sample_config())
    print(result)
