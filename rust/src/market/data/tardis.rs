//! Tardis.dev's downloadable CSVs (spec §11's table): `trades`, `quotes`,
//! `incremental_book_L2` and `book_snapshot_N` (`tardis_book`), their kind read from the
//! header. Times are microseconds since the epoch: `timestamp` the exchange's,
//! `local_timestamp` the collector's (the receive time, which the files are sorted by). Each
//! row names its exchange and symbol; `instruments` maps a symbol to the SDK's instrument.

use super::order::Order;
use super::tardis_book::{self, Message};
use super::vendor::{self, Format, Row};
use super::{book, l1, Builder, Failure, Kind, Level, MarketData};
use crate::market::Role;
use barter_instrument::exchange::ExchangeId;
use barter_instrument::instrument::name::InstrumentNameInternal;
use barter_instrument::Side;
use fnv::FnvHashMap;

const TRADES: [&str; 8] = [
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "id",
    "side",
    "price",
    "amount",
];
const QUOTES: [&str; 8] = [
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "ask_amount",
    "ask_price",
    "bid_price",
    "bid_amount",
];
const L2: [&str; 8] = [
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "is_snapshot",
    "side",
    "price",
    "amount",
];

#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    Trades,
    Quotes,
    Incremental,
    /// `book_snapshot_N`, N levels a side.
    Snapshots(usize),
}

/// Tardis's exchange ids as barter's (the ones barter-data streams).
fn exchange_of(tardis: &str) -> Option<ExchangeId> {
    Some(match tardis {
        "binance" => ExchangeId::BinanceSpot,
        "binance-futures" => ExchangeId::BinanceFuturesUsd,
        "binance-delivery" => ExchangeId::BinanceFuturesCoin,
        "bybit-spot" => ExchangeId::BybitSpot,
        "bybit" => ExchangeId::BybitPerpetualsUsd,
        "okex" => ExchangeId::Okx,
        "coinbase" => ExchangeId::Coinbase,
        "kraken" => ExchangeId::Kraken,
        "bitfinex" => ExchangeId::Bitfinex,
        "bitmex" => ExchangeId::Bitmex,
        "gate-io" => ExchangeId::GateioSpot,
        "gate-io-futures" => ExchangeId::GateioPerpetualsUsd,
        "huobi" => ExchangeId::Htx,
        "kucoin" => ExchangeId::Kucoin,
        "poloniex" => ExchangeId::Poloniex,
        "cryptocom" => ExchangeId::Cryptocom,
        "deribit" => ExchangeId::Deribit,
        _ => return None,
    })
}

/// Which SDK instrument a file's symbol is.
#[derive(Clone)]
pub enum Symbols {
    /// One instrument: every row must have one symbol.
    One(String),
    /// Vendor symbol to SDK instrument name.
    Map(FnvHashMap<String, String>),
}

impl Symbols {
    /// `from_tardis`'s `instruments`: a str, or a mapping of symbols to names.
    pub fn extract(instruments: &pyo3::Bound<'_, pyo3::PyAny>) -> pyo3::PyResult<Self> {
        use pyo3::prelude::PyAnyMethods;
        match instruments.extract::<String>() {
            Ok(name) => Ok(Symbols::One(name)),
            Err(_) => Ok(Symbols::Map(instruments.extract()?)),
        }
    }
}

struct Tardis {
    kind: Option<FileKind>,
    symbols: Symbols,
    exchange: Option<ExchangeId>,
    /// The `(exchange, symbol)` of each builder key made, and symbols seen unmapped.
    keys: FnvHashMap<(String, String), u32>,
    seen: Vec<String>,
    /// The L2 message being read (`incremental_book_L2`).
    message: Option<Message>,
}

impl Tardis {
    fn new(symbols: Symbols, exchange: Option<ExchangeId>) -> Self {
        Tardis {
            kind: None,
            symbols,
            exchange,
            keys: FnvHashMap::default(),
            seen: Vec::new(),
            message: None,
        }
    }
}

impl Format for Tardis {
    fn first(&mut self, record: &csv::StringRecord) -> Result<bool, String> {
        let names: Vec<&str> = record.iter().map(str::trim).collect();
        let kind = if names == TRADES {
            FileKind::Trades
        } else if names == QUOTES {
            FileKind::Quotes
        } else if names == L2 {
            FileKind::Incremental
        } else if let Some(depth) = names
            .get(4..)
            .filter(|_| names[..4] == TRADES[..4])
            .and_then(tardis_book::snapshot_depth)
        {
            FileKind::Snapshots(depth)
        } else {
            return Err(format!(
                "the header names no Tardis file this loader reads: expected {} (trades), {} \
                 (quotes), {} (incremental_book_L2) or {},asks[0].price,asks[0].amount,\
                 bids[0].price,bids[0].amount,asks[1].price,... (book_snapshot_N), got {}",
                TRADES.join(","),
                QUOTES.join(","),
                L2.join(","),
                TRADES[..4].join(","),
                names.join(",")
            ));
        };
        if self.kind.is_some_and(|known| known != kind) {
            return Err("the files of one source must be of one kind".to_string());
        }
        self.kind = Some(kind);
        Ok(true)
    }

    fn end(&mut self) -> Option<Row> {
        self.message.take().map(|message| message.row(false))
    }

    fn row(
        &mut self,
        record: &csv::StringRecord,
        builder: &mut Builder,
    ) -> Result<Row, Vec<String>> {
        let Some(kind) = self.kind else {
            return Err(vec!["a Tardis file starts with its header".to_string()]);
        };
        let names: &[&str] = match kind {
            FileKind::Trades => &TRADES,
            FileKind::Quotes => &QUOTES,
            FileKind::Incremental => &L2,
            // The levels' names: `tardis_book::snapshot_column`.
            FileKind::Snapshots(depth) => {
                let fields = 4 + 4 * depth;
                if record.len() != fields {
                    return Err(vec![format!(
                        "expected {fields} fields (book_snapshot_{depth}), got {}",
                        record.len()
                    )]);
                }
                &TRADES[..4]
            }
        };
        if !matches!(kind, FileKind::Snapshots(_)) {
            vendor::fields(record, names)?;
        }
        let mut problems = Vec::new();
        let instrument = self
            .instrument(&record[0], &record[1], builder)
            .map_err(|why| problems.push(why))
            .ok();
        let exchange_time = micros(record, 2).map_err(|why| problems.push(why)).ok();
        let received = micros(record, 3).map_err(|why| problems.push(why)).ok();
        let mut number = |at: usize, role: Role| {
            vendor::number(record, at, role, names[at])
                .map_err(|why| problems.push(why))
                .unwrap_or(f64::NAN)
        };
        let made = match kind {
            FileKind::Trades => {
                let price = number(6, Role::TradePrice);
                let amount = number(7, Role::Amount);
                // `unknown` (or empty): a trade without an aggressor side.
                let side = match &record[5] {
                    "buy" => Some(Some(Side::Buy)),
                    "sell" => Some(Some(Side::Sell)),
                    "unknown" | "" => Some(None),
                    other => {
                        problems.push(format!(
                            "side: must be buy, sell or unknown (no aggressor side), got {other:?}"
                        ));
                        None
                    }
                };
                side.map(|side| Kind::Trade {
                    price,
                    amount,
                    side,
                })
            }
            FileKind::Quotes => {
                let mut level = |price_at: usize, amount_at: usize| {
                    // An empty side (no price and no amount) is barter's `None`.
                    if record[price_at].is_empty() && record[amount_at].is_empty() {
                        return Level::EMPTY;
                    }
                    Level {
                        price: number(price_at, Role::Price),
                        amount: number(amount_at, Role::Amount),
                    }
                };
                let (ask, bid) = (level(5, 4), level(6, 7));
                if problems.is_empty() && bid.get().zip(ask.get()).is_some_and(|(b, a)| b.0 >= a.0)
                {
                    // A crossed or locked book is no market to trade on: counted, not used.
                    return Ok(Row::Skipped);
                }
                l1(bid, ask).map_err(|why| problems.push(why)).ok()
            }
            FileKind::Incremental => {
                let level = tardis_book::level(&record[5], &record[6], &record[7]);
                let flag = tardis_book::flag(&record[4]);
                return match (instrument, exchange_time, received, flag, level) {
                    (
                        Some(key),
                        Some(exchange),
                        Some(received),
                        Ok(snapshot),
                        Ok((side, level)),
                    ) if problems.is_empty() => {
                        Ok(self.level((key, exchange, received), snapshot, side, level, record))
                    }
                    (.., flag, level) => {
                        problems.extend(flag.err());
                        problems.extend(level.err().into_iter().flatten());
                        Err(problems)
                    }
                };
            }
            FileKind::Snapshots(_) => {
                let line = record.position().map_or(0, |p| p.line());
                return match (instrument, exchange_time, received) {
                    (Some(key), Some(exchange), Some(received)) if problems.is_empty() => {
                        let mut message = Message::new((key, exchange, received), true, line);
                        let cells: Vec<&str> = record.iter().skip(4).collect();
                        tardis_book::snapshot_levels(&cells, &mut message)?;
                        Ok(message.row(true))
                    }
                    _ => Err(problems),
                };
            }
        };
        match (instrument, exchange_time, received, made) {
            (Some(instrument), Some(time_exchange), Some(time_received), Some(kind))
                if problems.is_empty() =>
            {
                Ok(Row::Event {
                    time_exchange,
                    time_received,
                    instrument,
                    kind,
                })
            }
            _ => Err(problems),
        }
    }
}

impl Tardis {
    /// An `incremental_book_L2` level of `keys` (instrument, times): added to the message being
    /// read, or starting the next one (then the message read is the row's).
    fn level(
        &mut self,
        keys: (u32, i64, i64),
        snapshot: bool,
        side: book::BookSide,
        level: book::BookLevel,
        record: &csv::StringRecord,
    ) -> Row {
        let continued = self
            .message
            .as_ref()
            .is_some_and(|message| message.continued_by(keys, snapshot));
        let mut done = None;
        if !continued {
            let line = record.position().map_or(0, |p| p.line());
            done = self.message.replace(Message::new(keys, snapshot, line));
        }
        if let Some(message) = &mut self.message {
            message.add(side, level);
        }
        done.map_or(Row::Pending, |message| message.row(false))
    }

    /// The builder key of a row's `(exchange, symbol)`, made once.
    fn instrument(
        &mut self,
        exchange: &str,
        symbol: &str,
        builder: &mut Builder,
    ) -> Result<u32, String> {
        if let Some(key) = self.keys.get(&(exchange.to_string(), symbol.to_string())) {
            return Ok(*key);
        }
        let id = match self.exchange {
            Some(id) => id,
            None => exchange_of(exchange).ok_or_else(|| {
                format!(
                    "exchange: Tardis's {exchange:?} has no barter exchange known here: pass \
                     exchange="
                )
            })?,
        };
        let name = match &self.symbols {
            Symbols::One(name) => {
                if let Some(first) = self.seen.first().filter(|first| *first != symbol) {
                    return Err(format!(
                        "symbol: the file has {first:?} and {symbol:?}: map each symbol to an \
                         instrument (instruments={{symbol: name}})"
                    ));
                }
                name.clone()
            }
            Symbols::Map(map) => match map.get(symbol) {
                Some(name) => name.clone(),
                None => {
                    let mut known: Vec<&str> = map.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    return Err(format!(
                        "symbol: {symbol:?} is not in instruments (which maps {})",
                        known.join(", ")
                    ));
                }
            },
        };
        self.seen.push(symbol.to_string());
        let key = builder.key((id, InstrumentNameInternal::new(name)));
        self.keys
            .insert((exchange.to_string(), symbol.to_string()), key);
        Ok(key)
    }
}

/// Tardis's microseconds since the epoch, as nanoseconds.
fn micros(record: &csv::StringRecord, at: usize) -> Result<i64, String> {
    let text = &record[at];
    text.parse::<i64>()
        .ok()
        .filter(|t| *t >= 0)
        .and_then(|t| t.checked_mul(1_000))
        .ok_or_else(|| {
            format!(
                "{}: must be epoch microseconds (years 1970-2262), got {text:?}",
                TRADES[at]
            )
        })
}

/// Every file of `paths`, read as one source in the given order; `exchange` overrides the
/// files' own.
pub fn load(
    paths: &[String],
    symbols: Symbols,
    exchange: Option<ExchangeId>,
    order: Order,
) -> Result<MarketData, Failure> {
    vendor::load(paths, order, &mut Tardis::new(symbols, exchange))
}

/// Every file of `paths`, read as one source in the given order, the events handed to
/// `each` in chunks (`vendor::read`).
pub fn read(
    paths: &[String],
    symbols: Symbols,
    exchange: Option<ExchangeId>,
    order: Order,
    each: &mut vendor::Each,
) -> Result<(), Failure> {
    let mut format = Tardis::new(symbols, exchange);
    vendor::read(paths, order, &mut format, &mut Builder::default(), each).map(drop)
}
