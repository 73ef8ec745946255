//! Events into the engine: barter's `EngineEvent` kinds in the caller's keys (exchange id and
//! instrument name), indexed for one engine when processed.

use super::keys::Keys;
use super::requests;
use super::State;
use crate::bind::decimal;
use crate::bind::enums::Enum;
use crate::market::data::book::{self, BookLevel};
use crate::market::data::{loaded, no_events, Builder, PyMarketData};
use crate::market::problems::Problems;
use crate::market::{self, InstrumentRef, Role};
use barter::engine::state::trading::TradingState;
use barter::execution::AccountStreamEvent;
use barter::EngineEvent;
use barter_data::books::Level;
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_data::subscription::{book::OrderBookL1, candle::Candle, trade::PublicTrade};
use barter_instrument::{
    exchange::ExchangeId,
    instrument::{name::InstrumentNameInternal, InstrumentIndex},
    Side,
};
use chrono::{DateTime, Utc};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
enum Kind {
    Market(reconnect::Event<ExchangeId, MarketEvent<InstrumentRef, DataKind>>),
    AccountReconnecting(ExchangeId),
    Trading(TradingState),
}

/// One event for `Engine.process`: market data, a disconnection, or a trading state update.
#[pyclass(frozen, module = "barter_python._native", name = "EngineEvent")]
pub struct PyEngineEvent(Kind);

fn time_or_now(time: Option<DateTime<Utc>>) -> DateTime<Utc> {
    time.unwrap_or_else(Utc::now)
}

/// barter-data carries trade prices and amounts as `f64`: refused unless exact.
fn float(value: &Bound<'_, PyAny>, field: &str, role: Role) -> PyResult<f64> {
    let exact = decimal::extract(value, field)?;
    market::float(exact, role)
        .map_err(|problem| PyValueError::new_err(format!("{field} {problem}, got {exact}")))
}

fn market(
    exchange: ExchangeId,
    instrument: &str,
    time: Option<DateTime<Utc>>,
    kind: DataKind,
) -> PyEngineEvent {
    let time = time_or_now(time);
    PyEngineEvent(Kind::Market(reconnect::Event::Item(MarketEvent {
        time_exchange: time,
        time_received: time,
        exchange,
        instrument: InstrumentRef::Name(InstrumentNameInternal::new(instrument)),
        kind,
    })))
}

#[pymethods]
impl PyEngineEvent {
    /// A public trade (barter-data's `PublicTrade`): sets the instrument's last traded price.
    #[staticmethod]
    #[pyo3(signature = (exchange, instrument, price, amount, side, time=None))]
    fn trade(
        exchange: Enum<ExchangeId>,
        instrument: &str,
        price: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        side: Enum<Side>,
        time: Option<DateTime<Utc>>,
    ) -> PyResult<Self> {
        let trade = PublicTrade {
            id: String::new(),
            price: float(price, "price", Role::TradePrice)?,
            amount: float(amount, "amount", Role::Amount)?,
            side: side.0,
        };
        Ok(market(exchange.0, instrument, time, DataKind::Trade(trade)))
    }

    /// A candle (barter-data's `Candle`), `time` its close time.
    #[staticmethod]
    #[pyo3(signature = (exchange, instrument, open, high, low, close, volume, time=None, trades=0))]
    #[allow(clippy::too_many_arguments)]
    fn candle(
        exchange: Enum<ExchangeId>,
        instrument: &str,
        open: &Bound<'_, PyAny>,
        high: &Bound<'_, PyAny>,
        low: &Bound<'_, PyAny>,
        close: &Bound<'_, PyAny>,
        volume: &Bound<'_, PyAny>,
        time: Option<DateTime<Utc>>,
        trades: u64,
    ) -> PyResult<Self> {
        let time = time_or_now(time);
        let candle = DataKind::Candle(Candle {
            close_time: time,
            open: float(open, "open", Role::Price)?,
            high: float(high, "high", Role::Price)?,
            low: float(low, "low", Role::Price)?,
            close: float(close, "close", Role::Price)?,
            volume: float(volume, "volume", Role::Amount)?,
            trade_count: trades,
        });
        market::check(&candle).map_err(PyValueError::new_err)?;
        Ok(market(exchange.0, instrument, Some(time), candle))
    }

    /// A level-1 order book (barter-data's `OrderBookL1`): best bid and ask `(price, amount)`.
    #[staticmethod]
    #[pyo3(signature = (exchange, instrument, bid, ask, time=None))]
    fn l1(
        exchange: Enum<ExchangeId>,
        instrument: &str,
        bid: (Bound<'_, PyAny>, Bound<'_, PyAny>),
        ask: (Bound<'_, PyAny>, Bound<'_, PyAny>),
        time: Option<DateTime<Utc>>,
    ) -> PyResult<Self> {
        let level = |(price, amount): (Bound<'_, PyAny>, Bound<'_, PyAny>)| -> PyResult<Level> {
            Ok(Level::new(
                decimal::extract(&price, "price")?,
                decimal::extract(&amount, "amount")?,
            ))
        };
        let book = OrderBookL1 {
            last_update_time: time_or_now(time),
            best_bid: Some(level(bid)?),
            best_ask: Some(level(ask)?),
        };
        market::check_l1(&book).map_err(PyValueError::new_err)?;
        Ok(market(
            exchange.0,
            instrument,
            time,
            DataKind::OrderBookL1(book),
        ))
    }

    /// An L2 book message (barter-data's `OrderBookEvent`): a `Snapshot` (the whole book) or
    /// an `Update` (levels with their new absolute amount; 0 deletes the level), `bids` and
    /// `asks` as `(price, amount)` pairs, `time` the exchange time (the book's `time_engine`).
    #[staticmethod]
    #[pyo3(signature = (exchange, instrument, bids, asks, snapshot=true, time=None, sequence=0))]
    #[allow(clippy::too_many_arguments)]
    fn l2(
        exchange: Enum<ExchangeId>,
        instrument: &str,
        bids: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
        asks: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
        snapshot: bool,
        time: Option<DateTime<Utc>>,
        sequence: u64,
    ) -> PyResult<Self> {
        let time = time_or_now(time);
        let side = |name: &str, levels: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>| {
            let mut book = Vec::with_capacity(levels.len());
            for (at, (price, amount)) in levels.into_iter().enumerate() {
                let price = float(&price, &format!("{name}[{at}] price"), Role::Price)?;
                let amount = float(&amount, &format!("{name}[{at}] amount"), Role::Amount)?;
                book.push(BookLevel { price, amount });
            }
            Ok::<_, PyErr>(book)
        };
        let (bids, asks) = (side("bids", bids)?, side("asks", asks)?);
        book::check(snapshot, &bids, &asks).map_err(PyValueError::new_err)?;
        let kind = book::to_barter(snapshot, sequence, &bids, &asks, time);
        Ok(market(exchange.0, instrument, Some(time), kind))
    }

    /// The exchange's market data stream disconnected: barter calls the strategy's
    /// `on_disconnect`.
    #[staticmethod]
    fn market_disconnected(exchange: Enum<ExchangeId>) -> Self {
        PyEngineEvent(Kind::Market(reconnect::Event::Reconnecting(exchange.0)))
    }

    /// The exchange's account stream disconnected: barter calls the strategy's `on_disconnect`.
    #[staticmethod]
    fn account_disconnected(exchange: Enum<ExchangeId>) -> Self {
        PyEngineEvent(Kind::AccountReconnecting(exchange.0))
    }

    /// barter's `TradingStateUpdate`; a change to disabled calls `on_trading_disabled`.
    #[staticmethod]
    fn trading_state(enabled: bool) -> Self {
        PyEngineEvent(Kind::Trading(if enabled {
            TradingState::Enabled
        } else {
            TradingState::Disabled
        }))
    }

    fn __repr__(&self) -> String {
        match &self.0 {
            Kind::Market(reconnect::Event::Item(event)) => {
                let instrument = match &event.instrument {
                    InstrumentRef::Index(index) => format!("#{index}"),
                    InstrumentRef::Name(name) => name.to_string(),
                };
                let kind = match &event.kind {
                    DataKind::Trade(t) => format!("trade {:?} {} @ {}", t.side, t.amount, t.price),
                    DataKind::OrderBookL1(book) => format!(
                        "l1 bid {} ask {}",
                        book.best_bid.map_or("-".into(), |l| l.price.to_string()),
                        book.best_ask.map_or("-".into(), |l| l.price.to_string()),
                    ),
                    other => format!("{other:?}"),
                };
                format!(
                    "EngineEvent({} {} {instrument} {kind})",
                    event.time_exchange.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                    event.exchange.as_str(),
                )
            }
            Kind::Market(reconnect::Event::Reconnecting(exchange)) => {
                format!("EngineEvent.market_disconnected('{}')", exchange.as_str())
            }
            Kind::AccountReconnecting(exchange) => {
                format!("EngineEvent.account_disconnected('{}')", exchange.as_str())
            }
            Kind::Trading(state) => format!(
                "EngineEvent.trading_state({})",
                if *state == TradingState::Enabled {
                    "True"
                } else {
                    "False"
                }
            ),
        }
    }
}

impl PyEngineEvent {
    /// The market event this is (data or a market disconnection), if it is one.
    pub fn market(
        &self,
    ) -> Option<&reconnect::Event<ExchangeId, MarketEvent<InstrumentRef, DataKind>>> {
        match &self.0 {
            Kind::Market(event) => Some(event),
            _ => None,
        }
    }

    /// barter's `EngineEvent` with this engine's indices, refused if the price it brings would
    /// put a held position beyond barter's decimal range (barter's close would value it).
    pub fn indexed(&self, keys: &Keys, state: &State) -> PyResult<EngineEvent> {
        Ok(match &self.0 {
            Kind::Market(reconnect::Event::Item(event)) => {
                let instrument = match &event.instrument {
                    InstrumentRef::Index(index) if *index < keys.index.input_of.len() => {
                        InstrumentIndex(*index)
                    }
                    InstrumentRef::Index(index) => {
                        return Err(PyValueError::new_err(format!(
                            "market event for instrument index {index}, but the engine has {} \
                             instruments",
                            keys.index.input_of.len()
                        )))
                    }
                    InstrumentRef::Name(name) => keys.instrument_index(event.exchange, name)?,
                };
                // barter panics on an exchange it does not track; an instrument of another
                // exchange would be a silently wrong price.
                let owner = keys.instrument(instrument);
                if owner.exchange != event.exchange {
                    return Err(PyValueError::new_err(format!(
                        "market event on exchange '{}' for instrument '{}' of exchange '{}'",
                        event.exchange.as_str(),
                        owner.instrument,
                        owner.exchange.as_str()
                    )));
                }
                let market = reconnect::Event::Item(MarketEvent {
                    time_exchange: event.time_exchange,
                    time_received: event.time_received,
                    exchange: event.exchange,
                    instrument,
                    kind: event.kind.clone(),
                });
                check_market(keys, state, &market)?;
                EngineEvent::Market(market)
            }
            // barter panics on a disconnection of an exchange it does not track.
            Kind::Market(reconnect::Event::Reconnecting(exchange)) => {
                keys.exchange_index(*exchange)?;
                EngineEvent::Market(reconnect::Event::Reconnecting(*exchange))
            }
            Kind::AccountReconnecting(exchange) => {
                keys.exchange_index(*exchange)?;
                EngineEvent::Account(AccountStreamEvent::Reconnecting(*exchange))
            }
            Kind::Trading(state) => EngineEvent::TradingStateUpdate(*state),
        })
    }
}

/// Refuse a market price at which a held position could not be closed: barter's close
/// values the position at it (see `requests::fits`).
pub fn check_market(
    keys: &Keys,
    state: &State,
    event: &MarketStreamEvent<InstrumentIndex, DataKind>,
) -> PyResult<()> {
    let reconnect::Event::Item(event) = event else {
        return Ok(());
    };
    let held = state.instruments.instrument_index(&event.instrument);
    // The price only when a position is held (the usual event has none): converting
    // barter-data's f64 is the costly part.
    let Some(position) = held.position.current.as_ref() else {
        return Ok(());
    };
    let Some(price) = highest_price(&event.kind) else {
        return Ok(());
    };
    requests::fits(position.quantity_abs, price, keys.fees_percent).map_err(|why| {
        let owner = keys.instrument(event.instrument);
        PyValueError::new_err(format!(
            "market price {price} for '{}' on '{}': {why}",
            owner.instrument,
            owner.exchange.as_str()
        ))
    })
}

/// The highest price a market event brings (a trade's, or a book's best levels).
fn highest_price(kind: &DataKind) -> Option<Decimal> {
    match kind {
        DataKind::Trade(trade) => Decimal::from_f64_retain(trade.price),
        DataKind::OrderBookL1(book) => [book.best_bid, book.best_ask]
            .into_iter()
            .flatten()
            .map(|level| level.price)
            .max(),
        _ => None,
    }
}

/// Events from barter's market-data JSON (a JSON array of `MarketStreamResult`: `{"Item":
/// {"Ok": MarketEvent}}` or `{"Reconnecting": "<exchange>"}`, or NDJSON of `{"Item":
/// MarketEvent}`), as in barter's examples, read by the one parser of that format
/// (`market::json`): every problem is reported at once (`MarketDataError`). `instrument` is an
/// index into the engine's instruments or an instrument name. Items that carry a data error
/// (`{"Item": {"Err": ...}}`) are skipped, as barter's engine never sees them.
#[pyfunction]
pub fn load_market_events(py: Python<'_>, json: &str) -> PyResult<Vec<PyEngineEvent>> {
    const SOURCE: &str = "<market events>";
    let mut events = Vec::new();
    let mut problems = Problems::new(SOURCE);
    let mut visit = |event: MarketStreamEvent<InstrumentRef, DataKind>| {
        if let reconnect::Event::Item(item) = &event {
            if let Err(why) = market::check(&item.kind) {
                return vec![why];
            }
        }
        events.push(PyEngineEvent(Kind::Market(event)));
        Vec::new()
    };
    let parsed = market::json::parse(SOURCE, json.as_bytes(), &mut problems, &mut visit);
    parsed
        .and_then(|()| problems.check())
        .map_err(|failure| failure.into_py(py))?;
    Ok(events)
}

/// `MarketData` of engine events (`MarketData.from_events`): their market events and market
/// disconnections, in their order.
#[pyfunction]
pub fn market_data_from_events(events: &Bound<'_, PyAny>) -> PyResult<PyMarketData> {
    let py = events.py();
    let mut builder = Builder::default();
    let mut problems = Problems::new("events");
    for (at, item) in events.try_iter()?.enumerate() {
        let item = item?;
        let event = item.cast::<PyEngineEvent>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "event {at}: expected an EngineEvent, got {}",
                item.get_type().name().map_or("?".into(), |n| n.to_string())
            ))
        })?;
        let Some(market) = event.get().market() else {
            return Err(PyValueError::new_err(format!(
                "event {at}: {} is not a market event: MarketData holds market data and \
                 market disconnections only",
                item.repr()?
            )));
        };
        for problem in builder.barter(market, None) {
            problems.add(format_args!("event {at}"), problem);
        }
    }
    let result = problems.check().and_then(|()| {
        if builder.has_data() {
            Ok(builder.finish())
        } else {
            Err(no_events("events"))
        }
    });
    loaded(py, result)
}
