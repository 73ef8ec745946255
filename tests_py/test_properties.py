"""Properties of the simulated exchange under random markets and random orders (issue 27),
through the public API only: `backtest` with a strategy that sends random orders, and
`Engine` fed one event at a time.

The markets: trades and L1 books of two instruments, in and out of time order (a step back
in time is a late event), and candles in the backtest's. The orders: market and limit, both
sides, every time in force, sizes from a fraction of a coin to far beyond any balance, and
cancels of earlier orders. The exchanges: cash and margin accounts, latency, slippage, either
fill volume and limit fill.

After each run: no balance below 0 on a cash account; the quote balance is the initial one
plus the fills' signed values minus their fees, exactly (and the base balance moves by the
fills' quantities); every order ends in a final status; no fill lies beyond its limit, nor
beyond the touch it met (taker), nor comes from an event older than its order (maker); two
runs give equal results.

200 examples per test in CI, 2,000 under `make fuzz` (`HYPOTHESIS_PROFILE=fuzz`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any, Protocol

from hypothesis import given, settings
from hypothesis import strategies as st

from barter_python import (
    ExchangeId,
    OrderKey,
    OrderKind,
    OrderRequestCancel,
    OrderRequestOpen,
    RequestCancel,
    RequestOpen,
    Side,
    TimeInForce,
)
from barter_python.backtest import BacktestConfig, BacktestResult, MarketData, backtest
from barter_python.engine import (
    Audit,
    DefaultStrategy,
    Engine,
    EngineEvent,
    EngineStateView,
    Requests,
)
from barter_python.exchange import SimulatedExchange

EXAMPLES = 2_000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 200

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OKX = ExchangeId.OKX
INSTRUMENTS = {"btc_usdt": "btc", "eth_usdt": "eth"}
BOOK: list[dict[str, Any]] = [
    {"exchange": "okx", "instrument": name, "base": base, "quote": "usdt"}
    for name, base in INSTRUMENTS.items()
]
START = {("okx", "usdt"): D(10_000), ("okx", "btc"): D(3), ("okx", "eth"): D(0)}
FINAL = {"filled", "partially_filled", "cancelled", "expired", "refused"}
Request = OrderRequestOpen | OrderRequestCancel


# --- random markets, orders and exchanges ----------------------------------------------------

# Prices and amounts in quarters: exact in barter-data's f64.
PRICES = st.integers(min_value=200, max_value=600).map(lambda n: D(n) / 4)
AMOUNTS = st.integers(min_value=0, max_value=40).map(lambda n: D(n) / 4)


@dataclass(frozen=True)
class Market:
    """One market event, as drawn: `price` (a trade), `bid` / `ask` levels (an L1 book) or
    `candle` prices (open, high, low, close; `amount` its volume)."""

    instrument: str
    time: datetime
    price: Decimal | None = None
    amount: Decimal = Decimal(0)
    bid: tuple[Decimal, Decimal] | None = None
    ask: tuple[Decimal, Decimal] | None = None
    candle: tuple[Decimal, Decimal, Decimal, Decimal] | None = None

    def event(self) -> EngineEvent:
        if self.candle is not None:
            return EngineEvent.candle("okx", self.instrument, *self.candle, self.amount, self.time)
        if self.price is not None:
            return EngineEvent.trade(
                "okx", self.instrument, self.price, self.amount, "Sell", self.time
            )
        assert self.bid is not None and self.ask is not None
        return EngineEvent.l1("okx", self.instrument, self.bid, self.ask, self.time)


@st.composite
def markets(draw: st.DrawFn, candles: bool = False) -> list[Market]:
    """2 to 25 events; a negative step makes a late event (stamped before the latest seen)."""
    events, ms = [], 0
    for _ in range(draw(st.integers(min_value=2, max_value=25))):
        ms += draw(st.sampled_from([0, 1, 100, 250, 1000, -100, -400]))
        time = T0 + timedelta(milliseconds=ms)
        instrument = draw(st.sampled_from(list(INSTRUMENTS)))
        price = draw(PRICES)
        if candles and draw(st.integers(min_value=0, max_value=2)) == 0:
            low, high = sorted((price, draw(PRICES)))
            inside = st.integers(min_value=int(low * 4), max_value=int(high * 4)).map(
                lambda n: D(n) / 4
            )
            ohlc = (draw(inside), high, low, draw(inside))
            events.append(Market(instrument, time, amount=draw(AMOUNTS), candle=ohlc))
        elif draw(st.booleans()):
            amount = draw(AMOUNTS.filter(lambda a: a > 0))
            events.append(Market(instrument, time, price=price, amount=amount))
        else:
            spread = D(draw(st.integers(min_value=0, max_value=4))) / 4
            bid, ask = draw(AMOUNTS), draw(AMOUNTS)
            if bid == ask == 0:
                ask = D(1)
            events.append(Market(instrument, time, bid=(price, bid), ask=(price + spread, ask)))
    return events


TIFS = list(TimeInForce)
QUANTITIES = st.one_of(
    st.integers(min_value=1, max_value=80).map(lambda n: D(n) / 8),  # fractions of a coin
    st.sampled_from([D(500), D(10**6), D(10**20)]),  # beyond any balance, near decimal limits
)


@st.composite
def plans(draw: st.DrawFn, calls: int) -> dict[int, list[Request]]:
    """At some calls, a few orders (market and limit, both sides, every time in force) and
    cancels of earlier ones, with deterministic cids."""
    plan: dict[int, list[Request]] = {}
    cids: list[tuple[str, str]] = []
    for call in range(calls):
        requests: list[Request] = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            instrument = draw(st.sampled_from(list(INSTRUMENTS)))
            if cids and draw(st.integers(min_value=0, max_value=4)) == 0:
                cid, where = draw(st.sampled_from(cids))
                requests.append(OrderRequestCancel(key(cid, where), RequestCancel()))
                continue
            cid = f"o{len(cids)}"
            cids.append((cid, instrument))
            side = draw(st.sampled_from([Side.BUY, Side.SELL]))
            quantity, price = draw(QUANTITIES), draw(PRICES)
            if draw(st.booleans()):
                kind, tif = OrderKind.MARKET, TimeInForce.IMMEDIATE_OR_CANCEL
            else:
                kind, tif = OrderKind.LIMIT, draw(st.sampled_from(TIFS))
            requests.append(
                OrderRequestOpen(
                    key(cid, instrument), RequestOpen(side, price, quantity, kind, tif)
                )
            )
        if requests:
            plan[call] = requests
    return plan


def key(cid: str, instrument: str) -> OrderKey:
    return OrderKey("okx", instrument, "backtest", cid)


# The taker and maker fees differ, so a fill's fee says which it was.
EXCHANGES = st.builds(
    SimulatedExchange,
    account=st.sampled_from(["cash", "cash", "margin"]),
    leverage=st.sampled_from([D(1), D(3)]),
    fees_percent=st.sampled_from([D("0.001"), D("0.0075")]),
    maker_fees_percent=st.sampled_from([D(0), D("0.0002")]),
    slippage_bps=st.sampled_from([D(0), D(5), D("12.5")]),
    fill_volume=st.sampled_from(["unlimited", "displayed"]),
    limit_fill=st.sampled_from(["through", "touch"]),
    latency_ms=st.sampled_from([0, 0, 1, 300]),
)


# --- checks shared by both drivers -----------------------------------------------------------


def signed(side: Side, amount: Decimal) -> Decimal:
    return amount if side is Side.BUY else -amount


@dataclass
class Fill:
    """A fill as either driver reports it."""

    instrument: str
    side: Side
    price: Decimal
    quantity: Decimal
    fees: Decimal


def check_cash_account(
    start: dict[tuple[str, str], Decimal], end: dict[str, Decimal], fills: Sequence[Fill]
) -> None:
    """Quote = initial - Σ buys' value + Σ sells' value - Σ fees, and each base moves by its
    fills' signed quantities: exactly."""
    with localcontext() as context:
        context.prec = 100  # exact for these magnitudes
        value = sum((signed(f.side, f.price * f.quantity) for f in fills), D(0))
        fees = sum((f.fees for f in fills), D(0))
        assert end["usdt"] == start[("okx", "usdt")] - value - fees
        for instrument, base in INSTRUMENTS.items():
            moved = sum(
                (signed(f.side, f.quantity) for f in fills if f.instrument == instrument), D(0)
            )
            assert end[base] == start[("okx", base)] + moved, base
    assert all(amount >= 0 for amount in end.values()), end


def fee_kind(fill: Fill, exchange: SimulatedExchange) -> str:
    """`"taker"` or `"maker"`, by the fee charged (the rates differ and values are > 0)."""
    value = fill.price * fill.quantity
    if fill.fees == exchange.fees_percent * value:
        return "taker"
    assert fill.fees == exchange.maker_fee * value, fill
    return "maker"


class Asked(Protocol):
    """What an order asked: a `RequestOpen` or a backtest's `OrderRecord`."""

    @property
    def side(self) -> Side: ...
    @property
    def kind(self) -> OrderKind | str: ...  # a conditional order's record names its kind
    @property
    def price(self) -> Decimal: ...


def check_limit(fill: Fill, order: Asked) -> None:
    """No fill beyond its order's limit: a Buy at most the limit, a Sell at least."""
    assert fill.side is order.side
    if order.kind is OrderKind.LIMIT:
        assert (fill.price <= order.price) if fill.side is Side.BUY else (fill.price >= order.price)


# --- backtest --------------------------------------------------------------------------------


@dataclass
class Plan(DefaultStrategy):
    """At market event `n`, the requests `plan[n]`; records barter's balances at every call."""

    plan: dict[int, list[Request]] = field(default_factory=dict)
    balances: list[dict[tuple[ExchangeId, str], Decimal]] = field(default_factory=list)

    def generate_algo_orders(self, state: EngineStateView) -> Requests:
        requests = self.plan.get(len(self.balances), [])
        self.balances.append(state.balances())
        cancels = [r for r in requests if isinstance(r, OrderRequestCancel)]
        opens = [r for r in requests if isinstance(r, OrderRequestOpen)]
        return cancels, opens


def run_backtest(
    events: list[Market], plan: dict[int, list[Request]], exchange: SimulatedExchange, close: bool
) -> tuple[BacktestResult, Plan]:
    config = BacktestConfig(
        instruments=BOOK,
        balances=dict(START),
        exchange=exchange,
        equity_interval=None,
        close_positions_at_end=close,
    )
    strategy = Plan(plan)
    data = MarketData.from_events([e.event() for e in events], order="as_is")  # in or out of order
    return backtest(strategy, data, config), strategy


@settings(max_examples=EXAMPLES)
@given(st.data(), markets(candles=True), EXCHANGES, st.booleans())
def test_a_backtest_under_random_markets_and_orders(
    data: st.DataObject, events: list[Market], exchange: SimulatedExchange, close: bool
) -> None:
    plan = data.draw(plans(len(events)))
    result, strategy = run_backtest(events, plan, exchange, close)

    # Every order ends in a final status; "open" only for a resting limit order the data ended
    # on, and never after the end-of-data close (it cancels them first).
    for order in result.orders:
        assert D(0) <= order.filled <= order.quantity
        if order.status == "open":
            assert not close and order.kind is OrderKind.LIMIT and order.filled < order.quantity
            assert order.time_in_force in (
                TimeInForce.GOOD_UNTIL_CANCELLED,
                TimeInForce.GOOD_UNTIL_CANCELLED_POST_ONLY,
                TimeInForce.GOOD_UNTIL_END_OF_DAY,
            )
        else:
            assert order.status == "filled" or (order.status in FINAL and order.reason), order
        assert (order.status == "filled") == (order.filled == order.quantity), order
        if order.status == "refused":
            assert order.filled == 0
        if order.status == "partially_filled":
            assert D(0) < order.filled < order.quantity

    # Each fill is its order's (exchange ids are the order's place, from 1), within its limit;
    # an order's fills add up to its record.
    fills = [Fill(f.instrument, f.side, f.price, f.quantity, f.fees) for f in result.fills]
    per_order: dict[str, list[Fill]] = {}
    for fill, reported in zip(fills, result.fills, strict=True):
        order = result.orders[int(reported.order_id) - 1]
        assert order.instrument == fill.instrument
        check_limit(fill, order)
        if fee_kind(fill, exchange) == "maker":
            assert order.kind is OrderKind.LIMIT and fill.price == order.price
        per_order.setdefault(reported.order_id, []).append(fill)
    for order_id, its in per_order.items():
        order = result.orders[int(order_id) - 1]
        assert sum((f.quantity for f in its), D(0)) == order.filled
        assert sum((f.fees for f in its), D(0)) == order.fees

    end = {a.asset: a.balance_end or D(0) for a in result.assets}
    if exchange.account == "cash":
        for balances in strategy.balances:
            assert all(amount >= 0 for amount in balances.values()), balances
        assert all(point.cash >= 0 and point.holdings >= 0 for point in result.equity)
        check_cash_account(START, end, fills)
    else:
        # Base balances never move on a margin account.
        assert (end["btc"], end["eth"]) == (START[("okx", "btc")], START[("okx", "eth")])

    again, _ = run_backtest(events, plan, exchange, close)
    assert (
        again.model_copy(update={"wall_time_s": 0.0}).to_json()
        == result.model_copy(update={"wall_time_s": 0.0}).to_json()
    )


# --- Engine ----------------------------------------------------------------------------------


@dataclass
class MarketView:
    """The exchange's market of one instrument as the events so far made it (spec §8)."""

    last: Decimal | None = None
    bid: tuple[Decimal, Decimal] | None = None
    ask: tuple[Decimal, Decimal] | None = None

    def update(self, event: Market) -> None:
        if event.price is not None:
            self.last = event.price
        else:
            self.bid, self.ask = event.bid, event.ask

    def touch(self, side: Side) -> tuple[Decimal, Decimal | None] | None:
        """What a `side` taker meets: the book's level (price, amount shown), else the last
        trade (no amount)."""
        level = self.ask if side is Side.BUY else self.bid
        if level is not None:
            return level
        return None if self.last is None else (self.last, None)


def crosses(event: Market, side: Side, limit: Decimal, through: bool) -> bool:
    """Whether `event` crosses a resting `side` order at `limit`."""
    if event.price is not None:
        offer = event.price
    else:
        level = event.ask if side is Side.BUY else event.bid
        assert level is not None
        offer = level[0]
    beyond = offer < limit if side is Side.BUY else offer > limit
    return beyond or (not through and offer == limit)


def engine_for(exchange: SimulatedExchange) -> Engine:
    return Engine(
        BOOK,
        DefaultStrategy(),
        strategy_id="backtest",
        balances=dict(START),
        trading_enabled=True,
        exchange=exchange,
    )


def feed(engine: Engine, event: Market, requests: list[Request]) -> tuple[Audit, Audit]:
    """The event, then the requests sent at it: what each did."""
    arrived = engine.process(event.event())
    answered = engine.send_requests(
        [r for r in requests if isinstance(r, OrderRequestCancel)],
        [r for r in requests if isinstance(r, OrderRequestOpen)],
    )
    return arrived, answered


def trades(audit: Audit) -> list[tuple[str, Side, Decimal, Decimal, Decimal]]:
    return [(str(t.order_id), t.side, t.price, t.quantity, t.fees) for t in audit.trades]


@settings(max_examples=EXAMPLES)
@given(st.data(), markets(), EXCHANGES)
def test_an_engine_fed_event_by_event_under_random_markets_and_orders(
    data: st.DataObject, events: list[Market], exchange: SimulatedExchange
) -> None:
    """Each fill is attributed to the event it came at: a taker fill lies between the touch of
    that event and the touch made worse by the slippage, within its limit, and never takes more
    than the book shows (a limit order always; a market order under "displayed"); a maker
    fill is at its limit, at an event that crosses it and is not older than the order. A
    second engine fed the same gives the same trades and balances."""
    plan = data.draw(plans(len(events)))
    engine = engine_for(exchange)
    views = {name: MarketView() for name in INSTRUMENTS}
    sent: list[tuple[RequestOpen, datetime]] = []  # each open and the latest event time then
    latest: datetime | None = None
    fills: list[Fill] = []
    trail = []  # every call's trades
    bps = exchange.slippage_bps / 10_000
    for at, event in enumerate(events):
        latest = event.time if latest is None else max(latest, event.time)
        views[event.instrument].update(event)
        arrived, answered = feed(engine, event, plan.get(at, []))
        for audit, crossing in ((arrived, True), (answered, False)):
            trail.append(trades(audit))
            sent.extend((open.state, latest) for open in audit.opens_sent)
            for trade in audit.trades:
                fill = Fill(trade.instrument, trade.side, trade.price, trade.quantity, trade.fees)
                fills.append(fill)
                order, sent_at = sent[int(str(trade.order_id)) - 1]
                check_limit(fill, order)
                if fee_kind(fill, exchange) == "maker":
                    # Only a market event fills a resting order, at its limit, and never one
                    # older than the order's arrival (sent at `sent_at`, latency later).
                    assert crossing and event.instrument == fill.instrument
                    assert fill.price == order.price
                    assert crosses(event, fill.side, order.price, exchange.limit_fill == "through")
                    assert event.time >= sent_at + timedelta(milliseconds=exchange.latency_ms)
                    continue
                touch = views[fill.instrument].touch(fill.side)
                assert touch is not None
                price, shown = touch
                worse = price * (1 + bps) if fill.side is Side.BUY else price * (1 - bps)
                low, high = sorted((price, worse))
                assert low <= fill.price <= high, (fill, touch)
                bounded = order.kind is OrderKind.LIMIT or exchange.fill_volume == "displayed"
                if bounded and shown is not None:
                    assert fill.quantity <= shown, (fill, touch)
        if exchange.account == "cash":
            assert all(amount >= 0 for amount in engine.state.balances().values())

    if exchange.account == "cash":
        end = {asset: amount for (_, asset), amount in engine.state.balances().items()}
        check_cash_account(START, {"usdt": D(0), "btc": D(0), "eth": D(0)} | end, fills)

    again = engine_for(exchange)
    replayed = [
        trades(audit)
        for at, event in enumerate(events)
        for audit in feed(again, event, plan.get(at, []))
    ]
    assert replayed == trail
    assert again.state.balances() == engine.state.balances()
