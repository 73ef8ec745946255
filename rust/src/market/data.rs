//! `barter_python._native.MarketData`: market events for a backtest, held natively.
//!
//! Each event is a compact record of what barter's engine reads from barter-data's
//! `MarketEvent` (exchange time, received time, exchange, instrument, and a trade, an L1 book,
//! a candle or a market disconnection), in the order they were recorded (spec §8, replay
//! order: barter's recordings are in arrival order, which exchange time does not always
//! follow); `merge` interleaves sources and `sort` sorts on request, both by the receive time
//! (`order::clock`: spec §12's two clocks; a source with one clock has it as both). The
//! replay turns each one back into barter's `MarketStreamEvent` (`Event::to_barter`). Loaders:
//! barter's JSON files (`json`), CSV tables (`csv`), Arrow columns (`columns`), engine events;
//! pickling uses a compact binary form (`binary`).

pub mod binance;
mod binary;
pub mod book;
mod columns;
mod csv;
mod json;
pub mod order;
mod source;
mod table;
pub mod tardis;
mod tardis_book;
pub mod vendor;

use crate::bind::enums::Enum;
use crate::bind::error::{self, Kind as ErrorKind};
use crate::market::problems::{read, Failure, Problems};
use crate::market::{self, InstrumentRef, Role};
use barter_data::books::Level as BarterLevel;
use barter_data::event::{DataKind, MarketEvent};
use barter_data::streams::consumer::MarketStreamEvent;
use barter_data::streams::reconnect;
use barter_data::subscription::{book::OrderBookL1, candle::Candle, trade::PublicTrade};
use barter_instrument::{exchange::ExchangeId, instrument::name::InstrumentNameInternal, Side};
use book::{BookLevel, Span};
use chrono::{DateTime, Utc};
use fnv::{FnvHashMap, FnvHashSet};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple, PyType};
use std::sync::Arc;

/// An instrument as the SDK names it: exchange and barter's (lowercase) internal name.
pub type Instrument = (ExchangeId, InstrumentNameInternal);

/// One side of an L1 book; a `NaN` price stands for barter's `None` (an empty side).
#[derive(Clone, Copy, Debug)]
pub struct Level {
    pub price: f64,
    pub amount: f64,
}

impl Level {
    pub const EMPTY: Level = Level {
        price: f64::NAN,
        amount: f64::NAN,
    };

    /// `(price, amount)`, or `None` for an empty side.
    pub fn get(self) -> Option<(f64, f64)> {
        (!self.price.is_nan()).then_some((self.price, self.amount))
    }

    fn to_barter(self) -> Option<BarterLevel> {
        // Every loader checked that both numbers are exact decimals (`market::checked`).
        let exact = |value| market::exact(value).expect("checked when loaded");
        self.get()
            .map(|(price, amount)| BarterLevel::new(exact(price), exact(amount)))
    }
}

/// Bitwise, so that two empty sides are equal.
impl PartialEq for Level {
    fn eq(&self, other: &Self) -> bool {
        self.price.to_bits() == other.price.to_bits()
            && self.amount.to_bits() == other.amount.to_bits()
    }
}

/// The `PublicTrade.id` of a trade without an aggressor side (a Tardis `unknown`): barter's
/// `PublicTrade.side` is not optional, so such a trade reaches barter as a `Buy` with this id,
/// by which the simulated exchange knows it has no side (spec §12: it counts against the
/// queues of both sides).
pub const SIDELESS_TRADE_ID: &str = "sideless";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// barter-data's `PublicTrade` (its id is not kept: the engine does not read it); `side`
    /// is the aggressor's, `None` for a trade without one (`SIDELESS_TRADE_ID`).
    Trade {
        price: f64,
        amount: f64,
        side: Option<Side>,
    },
    /// barter-data's `OrderBookL1`, its `last_update_time` being the exchange time.
    L1 { bid: Level, ask: Level },
    /// barter-data's `Candle`, its `close_time` being the event's exchange time; `trades`
    /// its `trade_count` (a `u32` keeps the event at 72 bytes).
    Candle {
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
        trades: u32,
    },
    /// barter-data's `OrderBookEvent` (`book`): a snapshot or an update, its levels a span
    /// of the level arena, `sequence` its `OrderBook.sequence`.
    L2 {
        snapshot: bool,
        sequence: u64,
        levels: Span,
    },
    /// The exchange's market stream disconnected (`reconnect::Event::Reconnecting`).
    Reconnecting,
}

impl Kind {
    /// An L2 event's flag, sequence and levels.
    pub fn l2(self) -> Option<(bool, u64, Span)> {
        match self {
            Kind::L2 {
                snapshot,
                sequence,
                levels,
            } => Some((snapshot, sequence, levels)),
            _ => None,
        }
    }
}

/// One market event: 72 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// Nanoseconds since the Unix epoch, UTC.
    pub time_exchange: i64,
    pub time_received: i64,
    pub exchange: ExchangeId,
    /// Index into `MarketData::instruments` (not used by `Reconnecting`).
    pub instrument: u32,
    pub kind: Kind,
}

pub fn utc(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

pub fn nanos(time: DateTime<Utc>) -> Result<i64, String> {
    time.timestamp_nanos_opt().ok_or_else(|| {
        format!("outside the range of nanosecond timestamps (years 1677-2262), got {time}")
    })
}

impl Event {
    /// barter's market event; `key` maps an index into `MarketData::instruments` to the
    /// engine's instrument key, and `arena` is the level arena an L2 event's span points into
    /// (`MarketData::levels`, or a streamed chunk's).
    pub fn to_barter<K>(
        &self,
        arena: &[BookLevel],
        key: impl FnOnce(usize) -> K,
    ) -> MarketStreamEvent<K, DataKind> {
        let time_exchange = utc(self.time_exchange);
        let kind = match self.kind {
            Kind::Reconnecting => return reconnect::Event::Reconnecting(self.exchange),
            Kind::Trade {
                price,
                amount,
                side,
            } => DataKind::Trade(PublicTrade {
                id: match side {
                    Some(_) => String::new(),
                    None => SIDELESS_TRADE_ID.to_string(),
                },
                price,
                amount,
                side: side.unwrap_or(Side::Buy),
            }),
            Kind::L1 { bid, ask } => DataKind::OrderBookL1(OrderBookL1 {
                last_update_time: time_exchange,
                best_bid: bid.to_barter(),
                best_ask: ask.to_barter(),
            }),
            Kind::Candle {
                open,
                high,
                low,
                close,
                volume,
                trades,
            } => DataKind::Candle(Candle {
                close_time: time_exchange,
                open,
                high,
                low,
                close,
                volume,
                trade_count: trades.into(),
            }),
            Kind::L2 {
                snapshot,
                sequence,
                levels,
            } => {
                let (bids, asks) = levels.sides(arena);
                book::to_barter(snapshot, sequence, bids, asks, time_exchange)
            }
        };
        reconnect::Event::Item(MarketEvent {
            time_exchange,
            time_received: utc(self.time_received),
            exchange: self.exchange,
            instrument: key(self.instrument as usize),
            kind,
        })
    }
}

/// An L1 book barter can price (amounts were checked `>= 0` with the prices).
fn l1(bid: Level, ask: Level) -> Result<Kind, String> {
    let exact = |level: Level| {
        let sides = level.get().map(|(price, amount)| {
            Ok::<_, String>(BarterLevel::new(
                market::exact(price)?,
                market::exact(amount)?,
            ))
        });
        sides.transpose()
    };
    if let (Some(bid), Some(ask)) = (exact(bid)?, exact(ask)?) {
        market::check_mid(bid, ask)?;
    }
    Ok(Kind::L1 { bid, ask })
}

/// A candle whose prices (checked `> 0`) hold together: open and close within low..high. Each
/// problem is `field: problem`; a NaN (a number already refused) is not compared.
pub fn candle(
    [open, high, low, close]: [f64; 4],
    volume: f64,
    trades: u64,
) -> Result<Kind, Vec<String>> {
    let mut problems = Vec::new();
    for (field, value) in [("open", open), ("close", close), ("low", low)] {
        if value > high {
            problems.push(format!("{field}: above high {high}, got {value}"));
        }
    }
    for (field, value) in [("open", open), ("close", close)] {
        if value < low {
            problems.push(format!("{field}: below low {low}, got {value}"));
        }
    }
    let trades = u32::try_from(trades)
        .map_err(|_| problems.push(format!("trades: at most {}, got {trades}", u32::MAX)))
        .unwrap_or(0);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Kind::Candle {
        open,
        high,
        low,
        close,
        volume,
        trades,
    })
}

/// Market events in their recorded order, and the instruments they name, sorted as barter's
/// `IndexedInstruments` sorts them (exchange, then name).
#[derive(Debug, Default, PartialEq)]
pub struct MarketData {
    instruments: Vec<Instrument>,
    events: Vec<Event>,
    /// The levels of the L2 events, in event order (`book`).
    levels: Vec<BookLevel>,
    /// Rows of a vendor file skipped as no market (a crossed or locked book), counted.
    skipped: u64,
}

impl MarketData {
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The level arena the L2 events' spans point into.
    pub fn levels(&self) -> &[BookLevel] {
        &self.levels
    }

    /// Every instrument some event names, in barter's order; `Event::instrument` indexes it.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The events with `start <= time < end`, in their order. Where the data has L2 books
    /// before `start` on its UTC day, each such instrument's book as that day's events before
    /// `start` leave it (from the day's first snapshot: spec §12, where a book starts) comes
    /// first, as a snapshot at `start` (both clocks).
    fn slice(&self, start: Option<i64>, end: Option<i64>) -> Result<MarketData, String> {
        let inside = |event: &&Event| {
            start.is_none_or(|start| event.time_exchange >= start)
                && end.is_none_or(|end| event.time_exchange < end)
        };
        let kept: Vec<Event> = self.events.iter().filter(inside).copied().collect();
        let mut builder = Builder::default();
        if let Some(start) = start.filter(|start| end.is_none_or(|end| end > *start)) {
            let mut books = book::Books::default();
            let day = book::day_start(start)..start;
            for event in self.events.iter() {
                if day.contains(&event.time_exchange) {
                    books.apply(event, &self.levels);
                }
            }
            for snapshot in books.snapshots() {
                let key = builder.key(self.instruments[snapshot.0 as usize].clone());
                builder.book_start(start, key, snapshot)?;
            }
        }
        builder.extend(self, &kept);
        Ok(MarketData {
            skipped: self.skipped,
            ..builder.finish()
        })
    }

    /// The parts interleaved by time (`order::clock`: the receive time, which is the exchange
    /// time where a source has only that one; spec §12's two clocks): each part keeps its own
    /// order, the next event is the earliest of the parts' next ones (the first part's on a
    /// tie).
    fn merge<'a>(parts: impl IntoIterator<Item = &'a MarketData>) -> MarketData {
        let parts: Vec<&MarketData> = parts.into_iter().collect();
        let mut next = vec![0usize; parts.len()];
        let mut builder = Builder::default();
        loop {
            let earliest = (0..parts.len())
                .filter_map(|part| {
                    parts[part]
                        .events
                        .get(next[part])
                        .map(|e| (order::clock(e), part))
                })
                .min();
            let Some((_, part)) = earliest else {
                break;
            };
            let at = next[part];
            builder.extend(parts[part], &parts[part].events[at..=at]);
            next[part] += 1;
        }
        MarketData {
            skipped: parts.iter().map(|part| part.skipped).sum(),
            ..builder.finish()
        }
    }

    /// The events sorted stably by time (`order::clock`, as `merge`).
    fn sorted(&self) -> MarketData {
        self.reordered(|events| events.sort_by_key(order::clock))
    }

    /// These events rearranged by `arrange`, their levels laid out again in the new order.
    pub fn reordered(&self, arrange: impl FnOnce(&mut [Event])) -> MarketData {
        let mut events = self.events.clone();
        arrange(&mut events);
        let levels = book::relay(&mut events, &self.levels);
        MarketData {
            instruments: self.instruments.clone(),
            events,
            levels,
            skipped: self.skipped,
        }
    }

    fn nbytes(&self) -> usize {
        let names: usize = self
            .instruments
            .iter()
            .map(|(_, name)| std::mem::size_of::<Instrument>() + name.name().len())
            .sum();
        std::mem::size_of_val(self.events.as_slice())
            + std::mem::size_of_val(self.levels.as_slice())
            + names
    }
}

/// The instruments a file's indices refer to, in barter's `IndexedInstruments` order.
pub struct Given {
    sorted: Vec<Instrument>,
    known: FnvHashSet<Instrument>,
}

impl Given {
    /// barter's builder sorts instruments by their `Ord`: exchange, then internal name. The
    /// SDK's internal names are `{exchange}-{name}` (`state::instrument`), so within one
    /// exchange the name decides, as it does here.
    fn new(mut sorted: Vec<Instrument>) -> Result<Self, String> {
        sorted.sort();
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!(
                "instruments: '{}' on '{}' is given twice",
                pair[0].1,
                pair[0].0.as_str()
            ));
        }
        let known = sorted.iter().cloned().collect();
        Ok(Given { sorted, known })
    }
}

/// Collects events with provisional instrument keys; `finish` sorts and renumbers them.
#[derive(Default)]
pub struct Builder {
    keys: FnvHashMap<Instrument, u32>,
    instruments: Vec<Instrument>,
    events: Vec<Event>,
    levels: Vec<BookLevel>,
    /// The exchange and received times of the last data event: a disconnection takes them.
    last: Option<(i64, i64)>,
    /// The instruments whose L2 book has started (their first snapshot read).
    started: book::Started,
}

impl Builder {
    pub fn key(&mut self, instrument: Instrument) -> u32 {
        let next = self.instruments.len() as u32;
        *self
            .keys
            .entry(instrument)
            .or_insert_with_key(|instrument| {
                self.instruments.push(instrument.clone());
                next
            })
    }

    /// The events collected so far and their level arena, taken out (a streaming reader
    /// writes them away).
    pub fn take(&mut self) -> (Vec<Event>, Vec<BookLevel>) {
        (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.levels),
        )
    }

    /// An L2 message of instrument `key` whose levels were checked one by one (`book::level`):
    /// refused if it breaks a message's rules (`book::check`) or is an update before the
    /// instrument's first snapshot.
    #[allow(clippy::too_many_arguments)]
    pub fn l2(
        &mut self,
        time_exchange: i64,
        time_received: i64,
        key: u32,
        snapshot: bool,
        sequence: u64,
        bids: &[BookLevel],
        asks: &[BookLevel],
    ) -> Result<(), String> {
        let named = |why: String| {
            let (exchange, name) = &self.instruments[key as usize];
            format!("{why} (instrument '{name}' on '{}')", exchange.as_str())
        };
        book::check(snapshot, bids, asks).map_err(named)?;
        self.started.check(key, snapshot).map_err(named)?;
        let levels = self.arena(bids, asks)?;
        let kind = Kind::L2 {
            snapshot,
            sequence,
            levels,
        };
        self.data(time_exchange, time_received, key, kind);
        Ok(())
    }

    /// `bids` then `asks` appended to the arena: their span.
    pub fn arena(&mut self, bids: &[BookLevel], asks: &[BookLevel]) -> Result<Span, String> {
        book::append(&mut self.levels, bids, asks)
    }

    /// A book as it stands at `start` (`book::Books`) as a snapshot at that time, its
    /// instrument `key`.
    pub fn book_start(
        &mut self,
        start: i64,
        key: u32,
        snapshot: book::Snapshot,
    ) -> Result<(), String> {
        let (_, sequence, bids, asks) = snapshot;
        let levels = self.arena(&bids, &asks)?;
        let kind = Kind::L2 {
            snapshot: true,
            sequence,
            levels,
        };
        self.data(start, start, key, kind);
        Ok(())
    }

    /// How many events are held.
    pub fn held(&self) -> usize {
        self.events.len()
    }

    pub fn has_data(&self) -> bool {
        self.last.is_some()
    }

    pub fn data(&mut self, time_exchange: i64, time_received: i64, instrument: u32, kind: Kind) {
        if self.last.is_none() {
            // Disconnections read before any data take the first data event's times.
            for event in &mut self.events {
                event.time_exchange = time_exchange;
                event.time_received = time_received;
            }
        }
        let exchange = self.instruments[instrument as usize].0;
        self.push(Event {
            time_exchange,
            time_received,
            exchange,
            instrument,
            kind,
        });
    }

    /// An event with its own times, its instrument a key of this builder.
    pub fn push(&mut self, event: Event) {
        if event.kind != Kind::Reconnecting {
            self.last = Some((event.time_exchange, event.time_received));
        }
        self.events.push(event);
    }

    /// A market disconnection: barter's files give it no time, so it takes the previous
    /// event's and keeps its place in the file.
    pub fn reconnecting(&mut self, exchange: ExchangeId) {
        let (time_exchange, time_received) = self.last.unwrap_or_default();
        self.events.push(Event {
            time_exchange,
            time_received,
            exchange,
            instrument: u32::MAX,
            kind: Kind::Reconnecting,
        });
    }

    /// An event with its own times, its instrument a key of this builder, an L2 event's span
    /// pointing into `arena` (its levels are copied into this builder's).
    pub fn push_from(&mut self, mut event: Event, arena: &[BookLevel]) {
        if let Kind::L2 { levels, .. } = &mut event.kind {
            let (bids, asks) = levels.sides(arena);
            levels.at = self.levels.len() as u64;
            self.levels.extend_from_slice(bids);
            self.levels.extend_from_slice(asks);
        }
        self.push(event);
    }

    /// `events` of `part` (already checked), renumbered into this builder.
    fn extend(&mut self, part: &MarketData, events: &[Event]) {
        let keys: Vec<u32> = part
            .instruments
            .iter()
            .map(|instrument| self.key(instrument.clone()))
            .collect();
        for event in events {
            let instrument = match event.kind {
                Kind::Reconnecting => u32::MAX,
                _ => keys[event.instrument as usize],
            };
            self.push_from(
                Event {
                    instrument,
                    ..*event
                },
                &part.levels,
            );
        }
    }

    /// A barter market event whose instrument is an index into `given` or a name; returns the
    /// problems found (the event is added only without any).
    pub fn barter(
        &mut self,
        event: &reconnect::Event<ExchangeId, MarketEvent<InstrumentRef, DataKind>>,
        given: Option<&Given>,
    ) -> Vec<String> {
        let event = match event {
            reconnect::Event::Reconnecting(exchange) => {
                self.reconnecting(*exchange);
                return Vec::new();
            }
            reconnect::Event::Item(event) => event,
        };
        let mut problems = Vec::new();
        let instrument = match (&event.instrument, given) {
            (InstrumentRef::Index(index), Some(given)) => match given.sorted.get(*index) {
                Some(instrument) if instrument.0 == event.exchange => Some(instrument.clone()),
                Some((exchange, name)) => {
                    problems.push(format!(
                        "instrument: index {index} is '{name}' on '{}', but the event is on '{}'",
                        exchange.as_str(),
                        event.exchange.as_str()
                    ));
                    None
                }
                None => {
                    problems.push(format!(
                        "instrument: index {index} is out of range: {} instruments given",
                        given.sorted.len()
                    ));
                    None
                }
            },
            (InstrumentRef::Index(index), None) => {
                problems.push(format!(
                    "instrument: names instrument index {index}: pass `instruments` (a config, or \
                     (exchange, instrument) pairs) whose barter order the indices refer to"
                ));
                None
            }
            (InstrumentRef::Name(name), given) => {
                let instrument = (event.exchange, name.clone());
                match given {
                    Some(given) if !given.known.contains(&instrument) => {
                        problems.push(format!(
                            "instrument: '{name}' on '{}' is not among the instruments given",
                            event.exchange.as_str()
                        ));
                        None
                    }
                    _ => Some(instrument),
                }
            }
        };
        let mut note = |field: &str, result: Result<f64, String>| {
            result
                .map_err(|problem| problems.push(format!("{field}: {problem}")))
                .unwrap_or(f64::NAN)
        };
        let mut book = None;
        let kind = match &event.kind {
            DataKind::Trade(trade) => Some(Kind::Trade {
                price: note("price", market::checked(trade.price, Role::TradePrice)),
                amount: note("amount", market::checked(trade.amount, Role::Amount)),
                // The SDK's own side-less trades come back as they went out (`to_barter`).
                side: (trade.id != SIDELESS_TRADE_ID).then_some(trade.side),
            }),
            DataKind::OrderBookL1(book) => {
                let mut level = |side: &str, level: Option<BarterLevel>| {
                    level.map_or(Level::EMPTY, |level| Level {
                        price: note(
                            &format!("{side}.price"),
                            market::float(level.price, Role::Price),
                        ),
                        amount: note(
                            &format!("{side}.amount"),
                            market::float(level.amount, Role::Amount),
                        ),
                    })
                };
                let (bid, ask) = (
                    level("best_bid", book.best_bid),
                    level("best_ask", book.best_ask),
                );
                l1(bid, ask).map_err(|problem| problems.push(problem)).ok()
            }
            DataKind::Candle(bar) => {
                let [open, high, low, close] = [
                    ("open", bar.open),
                    ("high", bar.high),
                    ("low", bar.low),
                    ("close", bar.close),
                ]
                .map(|(field, value)| note(field, market::checked(value, Role::Price)));
                let volume = note("volume", market::checked(bar.volume, Role::Amount));
                candle([open, high, low, close], volume, bar.trade_count)
                    .map_err(|found| problems.extend(found))
                    .ok()
            }
            DataKind::OrderBook(message) => {
                book = Some(book::of_barter(message).map_err(|found| problems.extend(found)));
                None
            }
            other => {
                problems.push(format!(
                    "kind: {}: MarketData holds trades, L1 and L2 books and candles",
                    other.kind_name()
                ));
                None
            }
        };
        let time_exchange = nanos(event.time_exchange)
            .map_err(|problem| problems.push(format!("time_exchange: {problem}")));
        let time_received = nanos(event.time_received)
            .map_err(|problem| problems.push(format!("time_received: {problem}")));
        if let (true, Some(instrument), Ok(exchange), Ok(received)) = (
            problems.is_empty(),
            instrument,
            time_exchange,
            time_received,
        ) {
            let key = self.key(instrument);
            match (kind, book) {
                (Some(kind), _) => self.data(exchange, received, key, kind),
                (None, Some(Ok(message))) => {
                    let (snapshot, sequence, bids, asks) = message;
                    let added = self.l2(exchange, received, key, snapshot, sequence, &bids, &asks);
                    problems.extend(added.err());
                }
                (None, _) => {}
            }
        }
        problems
    }

    pub fn instrument(&self, key: u32) -> &Instrument {
        &self.instruments[key as usize]
    }

    /// Sorts the instruments some event names into barter's order; the events keep theirs.
    pub fn finish(self) -> MarketData {
        let Builder {
            instruments,
            mut events,
            levels,
            ..
        } = self;
        let mut named = vec![false; instruments.len()];
        for event in &events {
            if event.kind != Kind::Reconnecting {
                named[event.instrument as usize] = true;
            }
        }
        let mut order: Vec<usize> = (0..instruments.len()).filter(|key| named[*key]).collect();
        order.sort_unstable_by(|a, b| instruments[*a].cmp(&instruments[*b]));
        let mut renumbered = vec![0u32; instruments.len()];
        for (new, old) in order.iter().enumerate() {
            renumbered[*old] = new as u32;
        }
        for event in &mut events {
            if event.kind != Kind::Reconnecting {
                event.instrument = renumbered[event.instrument as usize];
            }
        }
        let mut instruments: Vec<Option<Instrument>> = instruments.into_iter().map(Some).collect();
        let instruments = order
            .into_iter()
            .map(|old| instruments[old].take().expect("each instrument once"))
            .collect();
        MarketData {
            instruments,
            events,
            levels,
            skipped: 0,
        }
    }
}

/// `MarketData` wraps an `Arc`: the Python object and the replay share one copy.
#[pyclass(
    frozen,
    subclass,
    module = "barter_python._native",
    name = "MarketData"
)]
pub struct PyMarketData {
    data: Arc<MarketData>,
}

impl PyMarketData {
    pub fn data(&self) -> &Arc<MarketData> {
        &self.data
    }

    /// The earliest (or latest) exchange time of the events.
    fn time(&self, last: bool) -> PyResult<DateTime<Utc>> {
        let times = self.data.events.iter().map(|event| event.time_exchange);
        let time = if last { times.max() } else { times.min() };
        time.map(utc)
            .ok_or_else(|| PyValueError::new_err("MarketData is empty: it has no events"))
    }
}

/// A time bound (`start`, `end`) in nanoseconds.
pub fn bound(time: Option<DateTime<Utc>>, name: &str) -> PyResult<Option<i64>> {
    time.map(nanos)
        .transpose()
        .map_err(|problem| PyValueError::new_err(format!("{name}: {problem}")))
}

/// An instance of `cls` (the native class or a Python subclass of it) holding `data`.
fn wrap<'py>(cls: &Bound<'py, PyType>, data: MarketData) -> PyResult<Bound<'py, PyAny>> {
    let native = Bound::new(
        cls.py(),
        PyMarketData {
            data: Arc::new(data),
        },
    )?;
    if cls.is(native.get_type()) {
        Ok(native.into_any())
    } else {
        cls.call1((native,))
    }
}

pub fn loaded(py: Python<'_>, result: Result<MarketData, Failure>) -> PyResult<PyMarketData> {
    result
        .map(|data| PyMarketData {
            data: Arc::new(data),
        })
        .map_err(|failure| failure.into_py(py))
}

pub fn no_events(source: &str) -> Failure {
    Failure::Data(format!("{source}: no market events"))
}

fn instrument_list(instruments: Vec<(Enum<ExchangeId>, String)>) -> Vec<Instrument> {
    instruments
        .into_iter()
        .map(|(exchange, name)| (exchange.0, InstrumentNameInternal::new(name)))
        .collect()
}

#[pymethods]
impl PyMarketData {
    /// Another reference to `data` (the events are shared, never copied).
    #[new]
    fn py_new(data: PyRef<'_, Self>) -> Self {
        PyMarketData {
            data: data.data.clone(),
        }
    }

    #[staticmethod]
    #[pyo3(signature = (path, instruments=None))]
    fn _load_barter_json(
        py: Python<'_>,
        path: String,
        instruments: Option<Vec<(Enum<ExchangeId>, String)>>,
    ) -> PyResult<Self> {
        let given = instruments
            .map(|list| Given::new(instrument_list(list)))
            .transpose()
            .map_err(|message| error::new_err(py, ErrorKind::MarketData, message))?;
        let result = py.detach(|| json::load(&path, given.as_ref()));
        loaded(py, result)
    }

    #[staticmethod]
    fn _load_csv(
        py: Python<'_>,
        path: String,
        kind: &str,
        exchange: Enum<ExchangeId>,
        instrument: String,
        order: &str,
    ) -> PyResult<Self> {
        let layout = table::Layout::parse(kind).map_err(PyValueError::new_err)?;
        let order = order::Order::parse(order).map_err(PyValueError::new_err)?;
        let instrument = (exchange.0, InstrumentNameInternal::new(instrument));
        let result = py.detach(|| csv::load(&path, layout, instrument, order));
        loaded(py, result)
    }

    /// Binance's dump files of one instrument, read as one source in the given order.
    #[staticmethod]
    fn _load_binance(
        py: Python<'_>,
        paths: Vec<String>,
        kind: &str,
        exchange: Enum<ExchangeId>,
        instrument: String,
        order: &str,
    ) -> PyResult<Self> {
        let (kind, instrument, order) = binance::arguments(kind, exchange.0, instrument, order)?;
        let result = py.detach(|| binance::load(&paths, kind, instrument, order));
        loaded(py, result)
    }

    /// Tardis.dev's trades or quotes files, read as one source in the given order;
    /// `instruments` names the one instrument of every row (a str) or maps each symbol.
    #[staticmethod]
    fn _load_tardis(
        py: Python<'_>,
        paths: Vec<String>,
        instruments: &Bound<'_, PyAny>,
        exchange: Option<Enum<ExchangeId>>,
        order: &str,
    ) -> PyResult<Self> {
        let order = order::Order::parse(order).map_err(PyValueError::new_err)?;
        let symbols = tardis::Symbols::extract(instruments)?;
        let exchange = exchange.map(|exchange| exchange.0);
        let result = py.detach(|| tardis::load(&paths, symbols, exchange, order));
        loaded(py, result)
    }

    /// Columns of `length` rows in `layout` ("trades", "l1", "l2", "candles" or "events"):
    /// numbers as buffers of f64 (NaN for null), times and integers (`is_snapshot`, `message`,
    /// `sequence`) as int64 (i64::MIN for null), text as int32 codes (-1 for null) into
    /// `labels[column]`.
    #[staticmethod]
    #[pyo3(signature = (kind, length, columns, labels, exchange=None, instrument=None))]
    fn _from_columns(
        py: Python<'_>,
        kind: &str,
        length: usize,
        columns: &Bound<'_, pyo3::types::PyDict>,
        labels: &Bound<'_, pyo3::types::PyDict>,
        exchange: Option<Enum<ExchangeId>>,
        instrument: Option<String>,
    ) -> PyResult<Self> {
        let input = columns::Columns::read(length, columns, labels)?;
        let instrument = exchange
            .zip(instrument)
            .map(|(exchange, name)| (exchange.0, InstrumentNameInternal::new(name)));
        let result = match (kind, instrument) {
            ("events", None) => py.detach(|| input.events()),
            ("events", Some(_)) => {
                return Err(PyValueError::new_err(
                    "an events table names its own exchanges and instruments",
                ))
            }
            ("l2", Some(instrument)) => py.detach(|| input.l2(instrument)),
            (kind, Some(instrument)) => {
                let layout = table::Layout::parse(kind).map_err(PyValueError::new_err)?;
                py.detach(|| input.table(layout, instrument))
            }
            (_, None) => {
                return Err(PyValueError::new_err(
                    "a trades, l1, l2 or candles table needs exchange and instrument",
                ))
            }
        };
        loaded(py, result)
    }

    /// The columns of `to_arrow`: name -> (data, validity bitmap or None, labels or None).
    fn _columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        columns::export(py, &self.data)
    }

    #[classmethod]
    fn _from_bytes<'py>(cls: &Bound<'py, PyType>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let data = py
            .detach(|| binary::decode(data))
            .map_err(|message| error::new_err(py, ErrorKind::MarketData, message))?;
        wrap(cls, data)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let data = slf.get().data.clone();
        let bytes = py.detach(|| binary::encode(&data));
        let load = slf.get_type().getattr("_from_bytes")?;
        (load, (PyBytes::new(py, &bytes),)).into_pyobject(py)
    }

    fn __len__(&self) -> usize {
        self.data.events.len()
    }

    #[getter]
    fn time_first_event(&self) -> PyResult<DateTime<Utc>> {
        self.time(false)
    }

    #[getter]
    fn time_last_event(&self) -> PyResult<DateTime<Utc>> {
        self.time(true)
    }

    #[getter]
    fn instruments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .data
            .instruments
            .iter()
            .map(|(exchange, name)| (Enum(*exchange), name.name().as_str()))
            .collect::<Vec<_>>();
        PyList::new(py, items)
    }

    /// This data in `order` ("check", "sort" or "as_is"), each backward step a problem at
    /// `{source}: {unit} {index}`.
    fn _ordered<'py>(
        slf: &Bound<'py, Self>,
        order: &str,
        source: &str,
        unit: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let order = order::Order::parse(order).map_err(PyValueError::new_err)?;
        let data = slf.get().data.clone();
        match py.detach(|| order::arranged(&data, order, source, unit)) {
            Ok(Some(arranged)) => wrap(&slf.get_type(), arranged),
            Ok(None) => Ok(slf.clone().into_any()),
            Err(failure) => Err(failure.into_py(py)),
        }
    }

    /// Rows of the vendor files skipped as no market (a crossed or locked book).
    #[getter]
    fn skipped(&self) -> u64 {
        self.data.skipped
    }

    #[getter]
    fn nbytes(&self) -> usize {
        self.data.nbytes()
    }

    #[pyo3(signature = (*others))]
    fn merge<'py>(
        slf: &Bound<'py, Self>,
        others: Vec<PyRef<'py, PyMarketData>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut parts = vec![slf.get().data.clone()];
        parts.extend(others.iter().map(|other| other.data.clone()));
        let merged = slf
            .py()
            .detach(|| MarketData::merge(parts.iter().map(|part| part.as_ref())));
        wrap(&slf.get_type(), merged)
    }

    /// The events sorted stably by receive time (the exchange time where a source has only
    /// that one); a recording replays in its recorded order.
    fn sort<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let data = slf.get().data.clone();
        let sorted = slf.py().detach(|| data.sorted());
        wrap(&slf.get_type(), sorted)
    }

    #[pyo3(signature = (start=None, end=None))]
    fn slice<'py>(
        slf: &Bound<'py, Self>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (start, end) = (bound(start, "start")?, bound(end, "end")?);
        let data = slf.get().data.clone();
        let sliced = slf
            .py()
            .detach(|| data.slice(start, end))
            .map_err(PyValueError::new_err)?;
        wrap(&slf.get_type(), sliced)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        Ok(match other.cast::<PyMarketData>() {
            Ok(other) => {
                let (a, b) = (&self.data, &other.get().data);
                (Arc::ptr_eq(a, b) || a == b)
                    .into_pyobject(py)?
                    .to_owned()
                    .into_any()
                    .unbind()
            }
            Err(_) => py.NotImplemented(),
        })
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let data = &slf.get().data;
        let name = slf.get_type().name()?;
        let (mut trades, mut books, mut candles, mut reconnections) = (0, 0, 0, 0);
        let mut l2 = 0;
        for event in &data.events {
            match event.kind {
                Kind::Trade { .. } => trades += 1,
                Kind::L1 { .. } => books += 1,
                Kind::L2 { .. } => l2 += 1,
                Kind::Candle { .. } => candles += 1,
                Kind::Reconnecting => reconnections += 1,
            }
        }
        let times = data.events.iter().map(|event| event.time_exchange);
        let span = match (times.clone().min(), times.max()) {
            (Some(first), Some(last)) => format!(
                ", {} to {}",
                utc(first).format("%Y-%m-%dT%H:%M:%S%.fZ"),
                utc(last).format("%Y-%m-%dT%H:%M:%S%.fZ")
            ),
            _ => String::new(),
        };
        // L2 books are named where there are some (the repr of other data stays as it was).
        let l2 = match l2 {
            0 => String::new(),
            _ => format!("{l2} l2 ({} levels), ", data.levels.len()),
        };
        Ok(format!(
            "<{name}: {} events ({trades} trades, {books} l1, {l2}{candles} candles, \
             {reconnections} disconnections), {} instruments{span}>",
            data.events.len(),
            data.instruments.len(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use barter_instrument::index::IndexedInstruments;

    fn instrument(exchange: ExchangeId, name: &str) -> Instrument {
        (exchange, InstrumentNameInternal::new(name))
    }

    #[test]
    fn given_instruments_follow_barters_index_order() {
        let input = [
            (ExchangeId::Okx, "sol_usdt", "sol"),
            (ExchangeId::BinanceSpot, "eth_usdt", "eth"),
            (ExchangeId::Okx, "btc_usdt", "btc"),
            (ExchangeId::BinanceSpot, "btc_usdt", "btc"),
            (ExchangeId::BinanceSpot, "btc", "xbt"),
            (ExchangeId::Kraken, "a_usd", "a"),
        ];
        let mut builder = IndexedInstruments::builder();
        for (exchange, name, base) in input {
            builder = builder
                .add_instrument(crate::book::state::instrument(exchange, name, base, "usdt"));
        }
        let barter: Vec<Instrument> = builder
            .build()
            .instruments()
            .iter()
            .map(|keyed| {
                let name = keyed.value.name_exchange.name().to_string();
                instrument(keyed.value.exchange.value, &name)
            })
            .collect();
        let given = Given::new(
            input
                .iter()
                .map(|(exchange, name, _)| instrument(*exchange, name))
                .collect(),
        )
        .unwrap();
        assert_eq!(given.sorted, barter);
        assert!(Given::new(vec![
            instrument(ExchangeId::Okx, "A"),
            instrument(ExchangeId::Okx, "a")
        ])
        .is_err());
    }

    fn trade(price: f64) -> Kind {
        Kind::Trade {
            price,
            amount: 1.0,
            side: Some(Side::Buy),
        }
    }

    fn data(events: &[(i64, &str, f64)]) -> MarketData {
        let mut builder = Builder::default();
        for (time, name, price) in events {
            let key = builder.key(instrument(ExchangeId::Okx, name));
            builder.data(*time, *time, key, trade(*price));
        }
        builder.finish()
    }

    #[test]
    fn finish_keeps_the_recorded_order_and_renumbers() {
        let data = data(&[(3, "b", 1.0), (1, "a", 2.0), (3, "a", 3.0), (2, "b", 4.0)]);
        assert_eq!(
            data.instruments,
            vec![
                instrument(ExchangeId::Okx, "a"),
                instrument(ExchangeId::Okx, "b")
            ]
        );
        let got: Vec<(i64, u32)> = data
            .events
            .iter()
            .map(|e| (e.time_exchange, e.instrument))
            .collect();
        assert_eq!(got, vec![(3, 1), (1, 0), (3, 0), (2, 1)]);
        let sorted: Vec<(i64, u32)> = data
            .sorted()
            .events
            .iter()
            .map(|e| (e.time_exchange, e.instrument))
            .collect();
        assert_eq!(sorted, vec![(1, 0), (2, 1), (3, 1), (3, 0)]);
    }

    #[test]
    fn merge_interleaves_by_time_keeping_each_parts_order() {
        let a = data(&[(5, "x", 1.0), (2, "x", 2.0), (6, "x", 3.0)]);
        let b = data(&[(3, "y", 4.0), (7, "y", 5.0)]);
        let merged = MarketData::merge([&a, &b]);
        let times: Vec<i64> = merged.events.iter().map(|e| e.time_exchange).collect();
        assert_eq!(times, vec![3, 5, 2, 6, 7]);
    }

    #[test]
    fn merge_is_stable_and_slice_half_open() {
        let a = data(&[(1, "x", 1.0), (2, "x", 2.0)]);
        let b = data(&[(2, "y", 3.0), (3, "y", 4.0)]);
        let merged = MarketData::merge([&a, &b]);
        let prices: Vec<f64> = merged
            .events
            .iter()
            .map(|e| match e.kind {
                Kind::Trade { price, .. } => price,
                _ => 0.0,
            })
            .collect();
        assert_eq!(prices, vec![1.0, 2.0, 3.0, 4.0]);
        let sliced = merged.slice(Some(2), Some(3)).unwrap();
        assert_eq!(sliced.events.len(), 2);
        assert_eq!(sliced.instruments.len(), 2);
        assert_eq!(merged.slice(Some(3), Some(1)).unwrap().events.len(), 0);
        assert_eq!(merged.slice(None, None).unwrap(), merged);
    }

    #[test]
    fn sort_lays_the_levels_out_again_in_event_order() {
        let level = |price| BookLevel { price, amount: 1.0 };
        let mut builder = Builder::default();
        let key = builder.key(instrument(ExchangeId::Okx, "a"));
        builder
            .l2(5, 5, key, true, 0, &[level(1.0)], &[level(2.0)])
            .unwrap();
        builder.l2(3, 3, key, false, 0, &[level(0.5)], &[]).unwrap();
        let sorted = builder.finish().sorted();
        assert_eq!(sorted.levels, vec![level(0.5), level(1.0), level(2.0)]);
        let spans: Vec<u64> = sorted
            .events
            .iter()
            .map(|event| match event.kind {
                Kind::L2 { levels, .. } => levels.at,
                _ => u64::MAX,
            })
            .collect();
        assert_eq!(spans, vec![0, 1]);
    }

    #[test]
    fn barters_json_order_books_load_as_l2() {
        // barter-data's own serde of an `OrderBookEvent` market event.
        let book = barter_data::books::OrderBook::new(
            9,
            Some(utc(5)),
            [BarterLevel::new(
                rust_decimal::Decimal::new(995, 1),
                rust_decimal::Decimal::ONE,
            )],
            [BarterLevel::new(
                rust_decimal::Decimal::new(1005, 1),
                rust_decimal::Decimal::TWO,
            )],
        );
        let event = MarketEvent {
            time_exchange: utc(5),
            time_received: utc(6),
            exchange: ExchangeId::Okx,
            instrument: "btc_usdt",
            kind: DataKind::OrderBook(barter_data::subscription::book::OrderBookEvent::Snapshot(
                book,
            )),
        };
        let json = format!(
            "[{{\"Item\": {{\"Ok\": {}}}}}]",
            serde_json::to_string(&event).unwrap()
        );
        let mut builder = Builder::default();
        let mut problems = Problems::new("j");
        let parsed = market::json::parse("j", json.as_bytes(), &mut problems, &mut |event| {
            builder.barter(&event, None)
        });
        assert!(parsed.is_ok() && problems.check().is_ok());
        let data = builder.finish();
        assert_eq!(
            data.levels,
            vec![
                BookLevel {
                    price: 99.5,
                    amount: 1.0
                },
                BookLevel {
                    price: 100.5,
                    amount: 2.0
                }
            ]
        );
        let reconnect::Event::Item(back) = data.events[0].to_barter(&data.levels, |i| i) else {
            panic!("an item")
        };
        assert_eq!(back.kind, event.kind);
    }

    #[test]
    fn event_is_compact() {
        assert_eq!(std::mem::size_of::<Event>(), 72);
    }

    #[test]
    fn to_barter_gives_barters_event() {
        let mut builder = Builder::default();
        let key = builder.key(instrument(ExchangeId::BinanceSpot, "btc_usdt"));
        let bid = Level {
            price: 2059.1,
            amount: 33.0914,
        };
        builder.data(5, 6, key, l1(bid, Level::EMPTY).unwrap());
        let data = builder.finish();
        let event = data.events[0].to_barter(&[], |index| index + 10);
        let reconnect::Event::Item(event) = event else {
            panic!("an item")
        };
        assert_eq!(event.instrument, 10);
        assert_eq!(event.time_received, utc(6));
        let DataKind::OrderBookL1(book) = event.kind else {
            panic!("a book")
        };
        assert_eq!(book.best_bid.unwrap().price.to_string(), "2059.1");
        assert_eq!(book.best_bid.unwrap().amount.to_string(), "33.0914");
        assert_eq!(book.best_ask, None);
        assert_eq!(book.last_update_time, utc(5));
    }
}
