//! The market as a strategy call sees it: the market event the call is for (`state.event`) and
//! the simulated exchange's view of each instrument (`state.quote`). The engine records the
//! event before barter processes it, without allocating; Python objects are made only when a
//! strategy reads them, once per event.

use super::depth::{Books, PyBookView};
use super::keys::Keys;
use super::{value, State};
use crate::bind::enums::Enum;
use crate::exchange::conditional::py::PyConditionalOrder;
use crate::exchange::conditional::{Book, Conditional};
use crate::exchange::market::Quote;
use crate::market;
use barter_data::books::Level;
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_data::subscription::book::OrderBookEvent;
use barter_execution::order::OrderKey;
use barter_instrument::instrument::name::InstrumentNameInternal;
use barter_instrument::{
    asset::AssetIndex, exchange::ExchangeId, instrument::InstrumentIndex, Side,
};
use chrono::{DateTime, Utc};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// What `state.event` is: the object made for this event, or the view to make.
pub enum Event {
    Made(Py<PyMarketEventView>),
    ToMake(PyMarketEventView),
}

/// One market event, copied without allocation.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    exchange: ExchangeId,
    instrument: Option<InstrumentIndex>,
    time: Option<DateTime<Utc>>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Trade {
        price: f64,
        amount: f64,
        side: Side,
    },
    L1 {
        bid: Option<Level>,
        ask: Option<Level>,
    },
    Candle {
        close: f64,
        volume: f64,
    },
    L2,
    Other,
    Reconnecting,
}

impl Current {
    fn same(&self, other: &Current) -> bool {
        (self.exchange, self.instrument, self.time)
            == (other.exchange, other.instrument, other.time)
    }

    pub fn of(event: &MarketStreamEvent<InstrumentIndex, DataKind>) -> Self {
        match event {
            reconnect::Event::Reconnecting(exchange) => Self {
                exchange: *exchange,
                instrument: None,
                time: None,
                kind: Kind::Reconnecting,
            },
            reconnect::Event::Item(item) => Self::of_item(item),
        }
    }

    fn of_item(item: &MarketEvent<InstrumentIndex, DataKind>) -> Self {
        let kind = match &item.kind {
            DataKind::Trade(trade) => Kind::Trade {
                price: trade.price,
                amount: trade.amount,
                side: trade.side,
            },
            DataKind::OrderBookL1(book) => Kind::L1 {
                bid: book.best_bid,
                ask: book.best_ask,
            },
            DataKind::Candle(candle) => Kind::Candle {
                close: candle.close,
                volume: candle.volume,
            },
            DataKind::OrderBook(_) => Kind::L2,
            _ => Kind::Other,
        };
        Self {
            exchange: item.exchange,
            instrument: Some(item.instrument),
            time: Some(item.time_exchange),
            kind,
        }
    }
}

/// What the engine's strategy calls see: the event of the call, the exchange's quotes.
#[derive(Default)]
pub struct Seen {
    current: Option<Current>,
    /// The object `state.event` returned for the current event, if it was read.
    object: Option<Py<PyMarketEventView>>,
    /// The simulated exchange's quotes, in barter's instrument order (none on barter's mock).
    quotes: Option<QuotesPtr>,
    /// The simulated exchange keeps a margin account.
    margin: bool,
    /// The simulated exchange's untriggered conditional orders.
    conditional: Option<BookPtr>,
    /// The L2 books as the engine processed them (`state.book`).
    books: Books,
}

/// The simulated exchange's conditional orders: boxed inside the exchange, which is boxed
/// inside the engine, so it never moves while the engine lives.
#[derive(Clone, Copy)]
struct BookPtr(*const Book);

// SAFETY: as `QuotesPtr`: read with the GIL held, during a strategy call (when the exchange is
// not working) or from the engine itself.
unsafe impl Send for BookPtr {}
unsafe impl Sync for BookPtr {}

/// The simulated exchange's quotes: a buffer that never moves or resizes while the engine
/// lives (the exchange is boxed inside the engine and its quotes are never pushed to).
#[derive(Clone, Copy)]
struct QuotesPtr(*const Quote, usize);

// SAFETY: the pointer is only read with the GIL held, on the thread running the engine's
// call, while the engine (and so the exchange) is alive and not updating its quotes.
unsafe impl Send for QuotesPtr {}
unsafe impl Sync for QuotesPtr {}

impl Seen {
    /// The exchange whose quotes strategy calls read.
    pub fn watch(&mut self, quotes: &[Quote], margin: bool, conditional: &Book) {
        self.quotes = Some(QuotesPtr(quotes.as_ptr(), quotes.len()));
        self.margin = margin;
        self.conditional = Some(BookPtr(conditional));
    }

    /// The untriggered conditional orders in the caller's keys, with their current trigger
    /// and quantity, in placement order (none without a simulated exchange).
    pub fn conditional_orders(&self, keys: &Keys) -> Vec<PyConditionalOrder> {
        let Some(BookPtr(book)) = self.conditional else {
            return Vec::new();
        };
        // SAFETY: see `BookPtr`.
        let book = unsafe { &*book };
        book.held()
            .map(|(_, held)| {
                let spec = &held.spec;
                let input = keys.instrument(spec.key.instrument);
                PyConditionalOrder(Conditional {
                    key: OrderKey {
                        exchange: input.exchange,
                        instrument: InstrumentNameInternal::new(input.instrument.as_str()),
                        strategy: spec.key.strategy.clone(),
                        cid: spec.key.cid.clone(),
                    },
                    side: spec.side,
                    quantity: spec.quantity,
                    kind: spec.kind,
                    trigger: held.trigger,
                    offset: spec.offset,
                    limit: spec.limit,
                    trigger_on: spec.trigger_on,
                    strict: spec.strict,
                    reduce_only: spec.reduce_only,
                })
            })
            .collect()
    }

    fn quotes(&self) -> Option<&[Quote]> {
        let QuotesPtr(start, len) = self.quotes?;
        // SAFETY: see `QuotesPtr`.
        Some(unsafe { std::slice::from_raw_parts(start, len) })
    }

    /// The account's equity in `quote` (see `value::checked_account`), at the exchange's marks;
    /// `Ok(None)` without a simulated exchange, an error beyond barter's decimal range.
    pub fn equity(&self, state: &State, quote: AssetIndex) -> PyResult<Option<Decimal>> {
        let Some(quotes) = self.quotes() else {
            return Ok(None);
        };
        let instruments: Vec<InstrumentIndex> = state
            .instruments
            .0
            .values()
            .enumerate()
            .filter(|(_, i)| i.instrument.underlying.quote == quote)
            .map(|(at, _)| InstrumentIndex(at))
            .collect();
        let value = value::checked_account(state, quote, &instruments, self.margin, |i| {
            quotes[i.index()].mark()
        });
        match value.and_then(|(cash, holdings)| cash.checked_add(holdings)) {
            Some(equity) => Ok(Some(equity)),
            None => Err(PyValueError::new_err(
                "the account's equity is beyond barter's decimal range (|x| < 2^96)",
            )),
        }
    }

    /// The event the next strategy call is for; `None` for a call after any other event (a
    /// command, an account event, a trading state update).
    pub fn see(&mut self, current: Option<Current>) {
        self.current = current;
        self.object = None;
    }

    /// `state.event` as it stands: the object already made for this event, or what to make
    /// it from (made by the caller with no lock held: making a Python object may run Python).
    pub fn event(&self, py: Python<'_>, keys: &Keys) -> Option<Event> {
        let current = self.current?;
        if let Some(object) = &self.object {
            return Some(Event::Made(object.clone_ref(py)));
        }
        let instrument = current
            .instrument
            .map(|index| keys.instrument(index).instrument.to_string());
        Some(Event::ToMake(PyMarketEventView {
            current,
            instrument,
        }))
    }

    /// Keep the object made for the current event (unless the event changed meanwhile).
    pub fn keep(&mut self, object: &Py<PyMarketEventView>, py: Python<'_>) {
        let same = self.current.is_some_and(|c| c.same(&object.get().current));
        if same && self.object.is_none() {
            self.object = Some(object.clone_ref(py));
        }
    }

    /// An L2 event, as the engine processes it.
    pub fn book_event(&mut self, instrument: InstrumentIndex, event: &OrderBookEvent) {
        self.books.update(instrument, event);
    }

    /// `state.book(...)`: the instrument's L2 book, its `depth` best levels a side.
    pub fn book(&self, instrument: InstrumentIndex, depth: usize) -> Option<PyBookView> {
        self.books.view(instrument, depth)
    }

    /// `state.quote(...)`: the exchange's view of one instrument, `None` before any market or
    /// without a simulated exchange.
    pub fn quote(&self, instrument: InstrumentIndex) -> Option<PyQuote> {
        let quote = self.quotes()?.get(instrument.index())?;
        let (bid, ask) = quote.book();
        let last = quote.last_trade().map(|(price, _)| price);
        if bid.is_none() && ask.is_none() && last.is_none() {
            return None;
        }
        Some(PyQuote {
            quote: quote.clone(),
            last,
        })
    }
}

/// The market event a strategy call is for (`state.event`).
#[pyclass(frozen, module = "barter_python._native", name = "MarketEventView")]
pub struct PyMarketEventView {
    current: Current,
    instrument: Option<String>,
}

fn exact(value: f64) -> Option<Decimal> {
    market::exact(value).ok()
}

#[pymethods]
impl PyMarketEventView {
    /// "trade", "l1", "candle", "l2" (an L2 snapshot or update: `state.book`), "reconnecting"
    /// or "other" (a liquidation).
    #[getter]
    fn kind(&self) -> &'static str {
        match self.current.kind {
            Kind::Trade { .. } => "trade",
            Kind::L1 { .. } => "l1",
            Kind::Candle { .. } => "candle",
            Kind::L2 => "l2",
            Kind::Reconnecting => "reconnecting",
            Kind::Other => "other",
        }
    }

    #[getter]
    fn exchange(&self) -> Enum<ExchangeId> {
        Enum(self.current.exchange)
    }

    /// The instrument's name as the engine knows it (`None` for a reconnection).
    #[getter]
    fn instrument(&self) -> Option<&str> {
        self.instrument.as_deref()
    }

    /// The exchange's time of the event.
    #[getter]
    fn time(&self) -> Option<DateTime<Utc>> {
        self.current.time
    }

    /// A trade's price, a candle's close.
    #[getter]
    fn price(&self) -> Option<Decimal> {
        match self.current.kind {
            Kind::Trade { price, .. } => exact(price),
            Kind::Candle { close, .. } => exact(close),
            _ => None,
        }
    }

    /// A trade's amount, a candle's volume.
    #[getter]
    fn amount(&self) -> Option<Decimal> {
        match self.current.kind {
            Kind::Trade { amount, .. } => exact(amount),
            Kind::Candle { volume, .. } => exact(volume),
            _ => None,
        }
    }

    /// A trade's taker side.
    #[getter]
    fn side(&self) -> Option<Enum<Side>> {
        match self.current.kind {
            Kind::Trade { side, .. } => Some(Enum(side)),
            _ => None,
        }
    }

    /// An L1 book's best bid price.
    #[getter]
    fn bid(&self) -> Option<Decimal> {
        match self.current.kind {
            Kind::L1 { bid, .. } => bid.map(|level| level.price),
            _ => None,
        }
    }

    /// An L1 book's best ask price.
    #[getter]
    fn ask(&self) -> Option<Decimal> {
        match self.current.kind {
            Kind::L1 { ask, .. } => ask.map(|level| level.price),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        let price = self.price().or(self.bid()).map(|p| p.to_string());
        format!(
            "MarketEventView(kind='{}', exchange='{}', instrument={:?}, price={})",
            self.kind(),
            self.current.exchange.as_str(),
            self.instrument,
            price.unwrap_or_else(|| "None".into())
        )
    }
}

/// The simulated exchange's view of one instrument (`state.quote`): what an order would meet.
#[pyclass(frozen, module = "barter_python._native", name = "Quote")]
pub struct PyQuote {
    quote: Quote,
    /// The last trade's price, exact.
    last: Option<Decimal>,
}

#[pymethods]
impl PyQuote {
    /// The best bid of the latest L1 book.
    #[getter]
    fn bid(&self) -> Option<Decimal> {
        self.quote.book().0.map(|level| level.price)
    }

    /// The best ask of the latest L1 book.
    #[getter]
    fn ask(&self) -> Option<Decimal> {
        self.quote.book().1.map(|level| level.price)
    }

    /// The amount shown at the best bid.
    #[getter]
    fn bid_amount(&self) -> Option<Decimal> {
        self.quote.book().0.map(|level| level.amount)
    }

    /// The amount shown at the best ask.
    #[getter]
    fn ask_amount(&self) -> Option<Decimal> {
        self.quote.book().1.map(|level| level.amount)
    }

    /// The last trade's price (or the snapshot's price before any trade).
    #[getter]
    fn last(&self) -> Option<Decimal> {
        self.last
    }

    /// What a `side` order meets, as the exchange fills it (`exchange::market::touch`): the best
    /// ask for a Buy, the best bid for a Sell, else the last trade.
    fn touch(&self, side: Enum<Side>) -> Option<Decimal> {
        self.quote.touch(side.0).map(|touch| touch.price)
    }

    fn __repr__(&self) -> String {
        let show = |value: Option<Decimal>| value.map_or("None".to_string(), |v| v.to_string());
        format!(
            "Quote(bid={}, ask={}, last={})",
            show(self.bid()),
            show(self.ask()),
            show(self.last)
        )
    }
}
