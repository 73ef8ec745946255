"""barter's Engine driven from Python: hooks fire when barter calls them, their actions equal
barter's own, fills come from barter-execution's mock exchange, errors surface."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from barter_python import (
    ClientOrderId,
    ExchangeId,
    InstrumentFilter,
    InstrumentSnapshot,
    MarketDataError,
    OrderKey,
    OrderKind,
    OrderRequestOpen,
    RequestOpen,
    Side,
    TimeInForce,
    close_open_positions_with_market_orders,
)
from barter_python.engine import (
    Audit,
    CancelOrdersOnDisconnect,
    ClosePositionsOnTradingDisabled,
    DefaultStrategy,
    Engine,
    EngineActions,
    EngineEvent,
    EngineStateView,
    Requests,
    load_market_events,
    market_order,
)
from barter_python.exchange import BarterMockExchange

BOOK: list[dict[str, Any]] = [
    {"exchange": "binance_spot", "instrument": "btc_usdt", "base": "btc", "quote": "usdt",
     "price": "100"},
    {"exchange": "okx", "instrument": "btc_usdt", "base": "btc", "quote": "usdt", "price": "101",
     "position": {"instrument": "btc_usdt", "side": "Sell", "quantity": "2",
                  "price_entry_average": "110"}},
]  # fmt: skip
BALANCES: dict[tuple[ExchangeId | str, str], Decimal | float] = {
    ("binance_spot", "usdt"): 10_000,
    ("okx", "usdt"): 10_000,
}


def buy(exchange: str, quantity: str, price: str, cid: str = "c1") -> OrderRequestOpen:
    return OrderRequestOpen(
        OrderKey(exchange, "btc_usdt", "algo", cid),
        RequestOpen(
            Side.BUY,
            Decimal(price),
            Decimal(quantity),
            OrderKind.MARKET,
            TimeInForce.IMMEDIATE_OR_CANCEL,
        ),
    )


class Recorder(CancelOrdersOnDisconnect, ClosePositionsOnTradingDisabled):
    """Records every call barter makes; sends `orders` once, on the first algo call."""

    def __init__(self, orders: list[OrderRequestOpen] | None = None) -> None:
        self.calls: list[str] = []
        self.orders = orders or []
        self.views: list[EngineStateView] = []

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        self.calls.append("algo")
        self.views.append(state)
        orders, self.orders = self.orders, []
        return [], orders

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        self.calls.append(f"disconnect:{exchange.value}")
        super().on_disconnect(engine, exchange)

    def on_trading_disabled(self, engine: EngineActions) -> None:
        self.calls.append("trading_disabled")
        super().on_trading_disabled(engine)


def engine(strategy: Any, *, trading: bool = True) -> Engine:
    return Engine(BOOK, strategy, balances=BALANCES, trading_enabled=trading)


def hooks(audit: Audit) -> list[tuple[str, ExchangeId | None]]:
    return [(hook.name, hook.exchange) for hook in audit.hooks]


def test_public_names_of_the_engine_module() -> None:
    import barter_python.engine as module

    assert {"Requests", "Hook", "Strategy", "Engine"} <= set(module.__all__)
    audit = engine(DefaultStrategy()).process(EngineEvent.market_disconnected("okx"))
    assert repr(audit.hooks) == "[Hook('on_disconnect', 'okx')]"
    assert audit.hooks[0] == audit.hooks[0] and hash(audit.hooks[0])


def test_algo_orders_fill_against_the_mock_exchange() -> None:
    strategy = Recorder([buy("binance_spot", "0.5", "100")])
    eng = engine(strategy)
    audit = eng.process(EngineEvent.trade("binance_spot", "btc_usdt", 100, 1, "Buy"))
    assert [o.key.cid for o in audit.opens_sent] == [ClientOrderId("c1")]
    [trade] = audit.trades
    assert (trade.exchange, trade.instrument, trade.side) == (
        ExchangeId.BINANCE_SPOT,
        "btc_usdt",
        Side.BUY,
    )
    assert (trade.price, trade.quantity, trade.fees) == (Decimal(100), Decimal("0.5"), Decimal(0))
    positions = eng.state.positions()
    assert positions[(ExchangeId.BINANCE_SPOT, "btc_usdt")].quantity == Decimal("0.5")
    assert positions[(ExchangeId.OKX, "btc_usdt")].side is Side.SELL
    assert eng.state.open_orders() == []  # filled in full: barter forgets the order


def test_algo_is_called_only_while_trading_is_enabled() -> None:
    strategy = Recorder()
    eng = engine(strategy, trading=False)
    eng.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))
    assert strategy.calls == []
    eng.process(EngineEvent.trading_state(True))
    assert strategy.calls == ["algo"]


def test_on_disconnect_fires_for_market_and_account_disconnections() -> None:
    strategy = Recorder()
    eng = engine(strategy, trading=False)
    audit = eng.process(EngineEvent.market_disconnected("okx"))
    assert hooks(audit) == [("on_disconnect", ExchangeId.OKX)]
    audit = eng.process(EngineEvent.account_disconnected("binance_spot"))
    assert hooks(audit) == [("on_disconnect", ExchangeId.BINANCE_SPOT)]
    assert strategy.calls == ["disconnect:okx", "disconnect:binance_spot"]
    assert audit.cancels_sent == []  # no orders open to cancel


def test_on_trading_disabled_fires_only_on_the_transition() -> None:
    strategy = Recorder()
    eng = engine(strategy, trading=False)
    assert eng.process(EngineEvent.trading_state(False)).hooks == []
    eng.process(EngineEvent.trading_state(True))
    assert hooks(eng.process(EngineEvent.trading_state(False))) == [("on_trading_disabled", None)]
    assert eng.process(EngineEvent.trading_state(False)).hooks == []
    assert strategy.calls == ["algo", "trading_disabled"]


def test_close_positions_hook_sends_what_barter_close_function_computes() -> None:
    eng = engine(Recorder(), trading=True)
    audit = eng.process(EngineEvent.trading_state(False))
    snapshots = [InstrumentSnapshot.model_validate(item) for item in BOOK]
    _, expected = close_open_positions_with_market_orders("engine", snapshots)
    # barter's own close function on the same book: same keys (but cid) and request states.
    assert [(o.key.exchange, o.key.instrument, o.state) for o in audit.opens_sent] == [
        (o.key.exchange, o.key.instrument, o.state) for o in expected
    ]
    [trade] = audit.trades
    assert (trade.side, trade.quantity, trade.price) == (Side.BUY, Decimal(2), Decimal(101))
    assert eng.state.positions() == {}


def test_sell_on_the_mock_needs_quote_balance_a_barter_quirk() -> None:
    # barter-execution's mock takes `quantity * (1 + fee)` off the QUOTE balance on a sell:
    # with no usdt on binance_spot, selling 1 btc is rejected (documented, kept as barter's).
    position = {"instrument": "btc_usdt", "side": "Buy", "quantity": "1", "price_entry_average": 90}
    book = [{**BOOK[0], "position": position}]
    eng = Engine(
        book,
        DefaultStrategy(),
        balances={("binance_spot", "btc"): 1},
        exchange=BarterMockExchange(),
    )
    audit = eng.close_positions()
    assert len(audit.opens_sent) == 1
    [(refused, reason)] = audit.opens_refused
    assert refused.state.side is Side.SELL
    assert "BalanceInsufficient" in reason
    assert audit.trades == []


def test_sell_on_the_simulated_exchange_takes_base_and_credits_quote() -> None:
    # The same close on the simulated exchange (a cash account): the btc held is sold at the
    # snapshot's price (its market until market events come) and the usdt credited.
    position = {"instrument": "btc_usdt", "side": "Buy", "quantity": "1", "price_entry_average": 90}
    book = [{**BOOK[0], "position": position}]
    eng = Engine(book, DefaultStrategy(), balances={("binance_spot", "btc"): 1})
    audit = eng.close_positions()
    assert audit.opens_refused == []
    [trade] = audit.trades
    assert (trade.side, trade.price, trade.quantity) == (Side.SELL, Decimal(100), Decimal(1))
    balances = eng.state.balances()
    assert balances[(ExchangeId.BINANCE_SPOT, "btc")] == 0
    assert balances[(ExchangeId.BINANCE_SPOT, "usdt")] == 100


def test_engine_actions_from_user_code() -> None:
    eng = engine(DefaultStrategy(), trading=False)
    audit = eng.send_requests([], [buy("okx", "1", "101", "mine")])
    assert [t.quantity for t in audit.trades] == [Decimal(1)]
    # okx: short 2, bought 1 -> short 1.
    assert eng.state.positions()[(ExchangeId.OKX, "btc_usdt")].quantity == Decimal(1)
    audit = eng.close_positions(InstrumentFilter.exchanges("okx"))
    assert [(o.state.side, o.state.quantity) for o in audit.opens_sent] == [(Side.BUY, Decimal(1))]
    assert eng.cancel_orders().cancels_sent == []


def test_state_view_reads_prices_trading_and_connectivity() -> None:
    eng = engine(DefaultStrategy(), trading=False)
    eng.process(EngineEvent.l1("okx", "btc_usdt", bid=(99, 1), ask=(101, 1)))
    prices = eng.state.prices()
    assert prices[(ExchangeId.OKX, "btc_usdt")] == Decimal(100)  # barter's volume-weighted mid
    assert prices[(ExchangeId.BINANCE_SPOT, "btc_usdt")] == Decimal(100)  # the snapshot's
    assert eng.state.trading_enabled is False
    connectivity = dict(eng.state.connectivity())
    assert connectivity[ExchangeId.OKX].market_data is True
    eng.process(EngineEvent.market_disconnected("okx"))
    assert dict(eng.state.connectivity())[ExchangeId.OKX].market_data is False


def test_a_view_from_a_strategy_call_is_refused_after_the_call() -> None:
    strategy = Recorder()
    eng = engine(strategy)
    eng.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))
    with pytest.raises(RuntimeError, match="has returned"):
        strategy.views[0].prices()


class Raising(DefaultStrategy):
    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        raise KeyError("inside the strategy")


class Garbage(DefaultStrategy):
    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        return 42  # type: ignore[return-value]


class WrongItems(DefaultStrategy):
    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        return [], ["not an order"]  # type: ignore[list-item]


def test_python_exception_in_a_hook_propagates_and_the_engine_stays_usable() -> None:
    eng = engine(Raising())
    with pytest.raises(KeyError, match="inside the strategy"):
        eng.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))
    assert eng.state.positions()[(ExchangeId.OKX, "btc_usdt")].quantity == 2
    with pytest.raises(KeyError):
        eng.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))


@pytest.mark.parametrize("strategy", [Garbage(), WrongItems()])
def test_strategy_returning_garbage_is_a_type_error(strategy: DefaultStrategy) -> None:
    with pytest.raises(TypeError):
        engine(strategy).process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))


def test_a_strategy_missing_a_hook_is_refused() -> None:
    with pytest.raises(TypeError, match=r"has no method .generate_algo_orders."):
        Engine(BOOK, object())  # type: ignore[arg-type]


def test_bad_inputs_are_value_errors() -> None:
    eng = engine(DefaultStrategy())
    with pytest.raises(ValueError, match="kraken"):
        eng.process(EngineEvent.market_disconnected("kraken"))
    with pytest.raises(ValueError, match="eth_usdt"):
        eng.process(EngineEvent.trade("okx", "eth_usdt", 1, 1, "Buy"))
    with pytest.raises(ValueError, match="no instrument of the engine trades"):
        Engine(BOOK, DefaultStrategy(), balances={("okx", "eth"): 1})
    with pytest.raises(ValueError, match="appears twice"):
        Engine([BOOK[0], BOOK[0]], DefaultStrategy())


def test_load_market_events_reads_barters_format() -> None:
    items = [
        {"Item": {"Ok": {"time_exchange": "2024-12-20T19:05:18.175Z",
                         "time_received": "2024-12-20T19:05:18.319Z",
                         "exchange": "okx", "instrument": "btc_usdt",
                         "kind": {"Trade": {"id": "1", "price": 97.5, "amount": 1.0,
                                            "side": "Buy"}}}}},
        {"Item": {"Err": {"Socket": "lost"}}},
        {"Reconnecting": "okx"},
        {"Item": {"Ok": {"time_exchange": "2024-12-20T19:05:19Z",
                         "time_received": "2024-12-20T19:05:19Z",
                         "exchange": "binance_spot", "instrument": 0,
                         "kind": {"Trade": {"id": "2", "price": 99.0, "amount": 1.0,
                                            "side": "Sell"}}}}},
    ]  # fmt: skip
    events = load_market_events(json.dumps(items))
    assert len(events) == 3  # the data error is dropped, as barter's engine never sees it
    eng = engine(DefaultStrategy(), trading=False)
    called = [hooks(eng.process(event)) for event in events]
    assert called == [[], [("on_disconnect", ExchangeId.OKX)], []]
    prices = eng.state.prices()
    assert prices[(ExchangeId.OKX, "btc_usdt")] == Decimal("97.5")
    # Instrument index 0 is barter's first instrument in its sorted order: binance_spot.
    assert prices[(ExchangeId.BINANCE_SPOT, "btc_usdt")] == Decimal(99)
    # The one parser of barter's JSON (the backtest's): a syntax error names its place, and
    # every wrong item is reported at once (MarketDataError is a ValueError).
    with pytest.raises(MarketDataError, match=r"<market events>:1:2: invalid JSON"):
        load_market_events("[{")
    bad = json.loads(json.dumps(items[0]).replace('"okx"', '"nowhere"'))
    with pytest.raises(MarketDataError, match="2 problems") as info:
        load_market_events(json.dumps([bad, items[2], {"Reconnecting": 5}]))
    assert ": item 1: " in str(info.value) and ": item 3: " in str(info.value)


class SendThenCancel(DefaultStrategy):
    """On disconnect: send an order, then cancel the exchange's orders, in one hook."""

    def on_disconnect(self, engine: EngineActions, exchange: ExchangeId) -> None:
        engine.send_requests([], [buy(exchange.value, "1", "100", "in-flight")])
        engine.cancel_orders(InstrumentFilter.exchanges(exchange))


def test_hook_actions_run_in_order_and_cancel_what_barter_tracks() -> None:
    eng = engine(SendThenCancel(), trading=False)
    audit = eng.process(EngineEvent.account_disconnected("binance_spot"))
    assert hooks(audit) == [("on_disconnect", ExchangeId.BINANCE_SPOT)]
    assert [o.key.cid for o in audit.opens_sent] == [ClientOrderId("in-flight")]
    # barter's cancel_orders cancels the order still in flight (no exchange id yet).
    [cancel] = audit.cancels_sent
    assert (cancel.key.cid, cancel.state.id) == (ClientOrderId("in-flight"), None)
    # The mock fills market orders at once and cannot cancel: the order filled.
    [(refused, reason)] = audit.cancels_refused
    assert refused.key.cid == ClientOrderId("in-flight")
    assert "exchange rejected" in reason
    assert [t.quantity for t in audit.trades] == [Decimal(1)]
    assert eng.state.open_orders() == []


def test_a_market_event_must_match_its_instruments_exchange() -> None:
    eng = engine(DefaultStrategy())
    items = [{"Item": {"Ok": {"time_exchange": "2024-12-20T19:05:18Z",
                              "time_received": "2024-12-20T19:05:18Z",
                              "exchange": "kraken", "instrument": 0,
                              "kind": {"Trade": {"id": "1", "price": 1.0, "amount": 1.0,
                                                 "side": "Buy"}}}}}]  # fmt: skip
    [event] = load_market_events(json.dumps(items))
    with pytest.raises(ValueError, match="exchange 'kraken' for instrument 'btc_usdt'"):
        eng.process(event)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"latency_ms": -1}, ValueError),
        ({"latency_ms": 3_600_001}, ValueError),
        ({"exchange": BarterMockExchange(), "latency_ms": 501}, ValueError),
        ({"latency_ms": 1.5}, ValueError),
        ({"fees_percent": -0.1}, ValueError),
        ({"fees_percent": float("nan")}, ValueError),
        ({"balances": {("okx", "usdt"): -1}}, ValueError),
        ({"strategy_id": ""}, ValueError),
    ],
)
def test_bad_engine_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Engine(BOOK, DefaultStrategy(), **kwargs)


def test_an_order_too_large_for_barter_decimals_is_refused_up_front() -> None:
    """price x quantity beyond barter's decimal range would panic inside barter-execution's
    mock exchange task (leaving that exchange dead): the engine refuses the order first."""
    strategy = Recorder()
    eng = engine(strategy, trading=False)
    with pytest.raises(ValueError, match="worth more than barter's decimal range holds"):
        eng.send_requests([], [buy("okx", "100000", "79228162514264337593543950")])
    assert strategy.calls == []
    # The mock is alive: the same exchange fills the next order.
    assert len(eng.send_requests([], [buy("okx", "1", "100")]).trades) == 1


def test_a_position_too_large_to_close_is_refused() -> None:
    huge = {**BOOK[1], "price": "7922816251426433759354395", "position": {
        **BOOK[1]["position"], "quantity": "100000"}}  # fmt: skip
    with pytest.raises(ValueError, match=r"position in 'btc_usdt' on 'okx'.*decimal range"):
        Engine([huge], DefaultStrategy())


def test_a_market_price_that_would_make_a_position_unclosable_is_refused() -> None:
    """barter's own close values a position at the market price: a price that puts it beyond
    barter's decimal range is refused as it comes in, not inside the mock's task later."""
    big = {**BOOK[1], "position": {**BOOK[1]["position"], "quantity": "1E+14"}}
    eng = Engine([big], DefaultStrategy())
    with pytest.raises(ValueError, match=r"market price 1(0){20} for 'btc_usdt' on 'okx'"):
        eng.process(
            EngineEvent.l1("okx", "btc_usdt", bid=(Decimal("1E+20"), 1), ask=(Decimal("1E+20"), 1))
        )
    eng.process(EngineEvent.trade("okx", "btc_usdt", 90, 1, "Buy"))
    assert eng.state.prices()[(ExchangeId.OKX, "btc_usdt")] == 90


def test_a_view_kept_from_one_call_is_unreadable_in_the_next() -> None:
    """Each call gets its own view: one kept from an earlier call stays closed."""

    class Keeper(DefaultStrategy):
        def __init__(self) -> None:
            self.views: list[EngineStateView] = []
            self.errors: list[str] = []

        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            if self.views:
                try:
                    self.views[0].prices()
                except RuntimeError as error:
                    self.errors.append(str(error))
            self.views.append(state)
            return [], []

    keeper = Keeper()
    eng = engine(keeper)
    eng.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Sell"))
    eng.process(EngineEvent.trade("okx", "btc_usdt", 101, 1, "Sell"))
    assert keeper.views[0] is not keeper.views[1]
    assert len(keeper.errors) == 1 and "has returned" in keeper.errors[0]


def test_engines_in_threads_match_serial_and_sharing_one_is_refused_cleanly() -> None:
    import threading
    import time

    def run() -> dict[tuple[ExchangeId, str], Any]:
        eng = engine(Recorder([buy("binance_spot", "0.5", "100")]))
        eng.process(EngineEvent.trade("binance_spot", "btc_usdt", 100, 1, "Buy"))
        return {k: (v.side, v.quantity) for k, v in eng.state.positions().items()}

    serial = run()
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(run())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [serial] * 8

    class Slow(DefaultStrategy):
        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            time.sleep(0.001)  # lets other threads run mid-call
            return [], []

    shared = engine(Slow())
    outcomes: list[str] = []

    def hammer() -> None:
        for _ in range(20):
            try:
                shared.process(EngineEvent.trade("okx", "btc_usdt", 100, 1, "Buy"))
                outcomes.append("ok")
            except RuntimeError:  # the engine is busy in another thread
                outcomes.append("busy")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 80 and "ok" in outcomes


def test_a_strategy_referring_to_its_engine_is_collected() -> None:
    import gc
    import weakref

    class Owner(DefaultStrategy):
        engine: Engine | None = None

    strategy = Owner()
    strategy.engine = engine(strategy)
    ref = weakref.ref(strategy.engine)
    del strategy
    gc.collect()
    assert ref() is None


class OwnClose(ClosePositionsOnTradingDisabled):
    """Closes with its own requests: one buy per selected instrument."""

    def __init__(self) -> None:
        self.selected: list[list[tuple[ExchangeId, str]]] = []

    def close_positions_requests(
        self, state: EngineStateView, selected: list[tuple[ExchangeId, str]]
    ) -> Requests:
        self.selected.append(selected)
        return [], [buy(exchange.value, "2", "101", "own") for exchange, _ in selected]


def test_close_positions_requests_overrides_barters_close() -> None:
    strategy = OwnClose()
    eng = engine(strategy, trading=False)
    audit = eng.close_positions(InstrumentFilter.exchanges("okx"))
    assert strategy.selected == [[(ExchangeId.OKX, "btc_usdt")]]
    assert [(o.key.exchange, o.key.cid) for o in audit.opens_sent] == [
        (ExchangeId.OKX, ClientOrderId("own"))
    ]
    assert eng.state.positions() == {}  # the short of 2 was bought back


def test_closing_more_positions_than_the_mock_can_report_at_once() -> None:
    # barter-execution's mock reports fills on a 256-event broadcast (2 per fill): the engine
    # releases requests in rounds so that 250 closes on one exchange all fill.
    book = [
        {"exchange": "okx", "instrument": f"c{i}_usdt", "base": f"c{i}", "quote": "usdt",
         "price": "10", "position": {"instrument": f"c{i}_usdt", "side": "Sell", "quantity": "1",
                                     "price_entry_average": "11"}}
        for i in range(250)
    ]  # fmt: skip
    eng = Engine(book, ClosePositionsOnTradingDisabled(), balances={("okx", "usdt"): 10**6})
    audit = eng.close_positions()
    assert (len(audit.opens_sent), len(audit.trades), audit.errors) == (250, 250, [])
    assert eng.state.positions() == {}


def test_inputs_barter_would_panic_on_are_refused() -> None:
    flat_price = {**BOOK[1], "position": {**BOOK[1]["position"], "price_entry_average": "0"}}
    with pytest.raises(ValueError, match="price_entry_average > 0"):
        Engine([flat_price], DefaultStrategy())
    # Snapshots lowercase names as barter does: `BTC` and `btc` are one asset, not a collision.
    mixed_case = {**BOOK[0], "instrument": "BTC_usdc", "base": "BTC", "quote": "USDC"}
    exchange = BOOK[0]["exchange"]
    mixed = Engine([BOOK[0], mixed_case], DefaultStrategy(), balances={(exchange, "USDC"): 1})
    assert (ExchangeId(exchange), "btc_usdc") in mixed.state.prices()
    eng = engine(DefaultStrategy())
    with pytest.raises(ValueError, match="zero amounts"):
        eng.process(EngineEvent.l1("okx", "btc_usdt", bid=(99, 0), ask=(101, 0)))
    with pytest.raises(ValueError, match=">= 0"):
        eng.process(EngineEvent.l1("okx", "btc_usdt", bid=(99, -1), ask=(101, 2)))
    assert eng.state.prices()[(ExchangeId.OKX, "btc_usdt")] == Decimal(101)


class KeepsActions(DefaultStrategy):
    def __init__(self) -> None:
        self.kept: list[EngineActions] = []

    def on_trading_disabled(self, engine: EngineActions) -> None:
        self.kept.append(engine)


def test_actions_after_the_hook_returned_are_refused() -> None:
    strategy = KeepsActions()
    eng = engine(strategy)
    eng.process(EngineEvent.trading_state(False))
    [actions] = strategy.kept
    with pytest.raises(RuntimeError, match="hook that has returned"):
        actions.close_positions()
    with pytest.raises(RuntimeError, match="has returned"):
        actions.state.positions()


def test_state_view_time_and_balances() -> None:
    eng = engine(DefaultStrategy())
    before = datetime.now(UTC)
    assert before - timedelta(seconds=5) < eng.state.time <= datetime.now(UTC)
    assert eng.state.balances() == {  # assets without a balance yet are left out
        (ExchangeId.BINANCE_SPOT, "usdt"): 10_000,
        (ExchangeId.OKX, "usdt"): 10_000,
    }
    eng.send_requests([], [buy("binance_spot", "2", "100")])
    assert eng.state.balances()[(ExchangeId.BINANCE_SPOT, "usdt")] == 9_800


def test_market_order_is_barters_market_ioc_request() -> None:
    order = market_order("okx", "BTC_USDT", "Buy", "0.5", 100, strategy_id="s", cid="c1")
    assert order.to_json() == (
        '{"key":{"exchange":"okx","instrument":"btc_usdt","strategy":"s","cid":"c1"},'
        '"state":{"side":"Buy","price":"100","quantity":"0.5","kind":"Market",'
        '"time_in_force":"ImmediateOrCancel"}}'
    )
    assert len(str(market_order("okx", "btc_usdt", "Sell", 1, 1, strategy_id="s").key.cid)) == 23


def test_market_orders_old_strategy_keyword_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(
        DeprecationWarning, match=r"strategy=\.\.\.\) is deprecated: use strategy_id"
    ):
        old = market_order("okx", "btc_usdt", "Buy", 1, 100, strategy="s", cid="c1")
    assert old == market_order("okx", "btc_usdt", "Buy", 1, 100, strategy_id="s", cid="c1")
    with pytest.raises(TypeError, match="not both"):
        market_order("okx", "btc_usdt", "Buy", 1, 100, strategy_id="s", strategy="s")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="'strategy_id'"):
        market_order("okx", "btc_usdt", "Buy", 1, 100)  # type: ignore[call-overload]


def test_a_strategy_keeping_the_engines_state_view_is_collected() -> None:
    import gc
    import weakref

    class Keeper(DefaultStrategy):
        view: EngineStateView | None = None

    keeper = Keeper()
    eng = engine(keeper)
    keeper.view = eng.state  # strategy -> view -> engine -> strategy
    alive = weakref.ref(keeper)
    del keeper, eng
    gc.collect()
    assert alive() is None


def test_a_strategy_calling_its_own_engine_is_told_what_to_do_instead() -> None:
    """The strategy runs inside the engine's `process`: calling the engine from there is
    refused with advice, not PyO3's bare "Already borrowed"; the engine stays usable."""

    class Reentrant(DefaultStrategy):
        engine: Engine | None = None

        def generate_algo_orders(self, state: EngineStateView) -> Requests:
            if self.engine is not None:
                self.engine.process(EngineEvent.market_disconnected("okx"))
            return [], []

    strategy = Reentrant()
    eng = engine(strategy)
    strategy.engine = eng
    trade = EngineEvent.trade("binance_spot", "btc_usdt", 100, 1, "Buy")
    with pytest.raises(RuntimeError, match="called from inside its own strategy or hook") as info:
        eng.process(trade)
    assert "return requests from generate_algo_orders" in str(info.value)
    assert "Already borrowed" not in str(info.value)
    strategy.engine = None
    assert eng.process(trade).opens_sent == []
