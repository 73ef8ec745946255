//! Binance's public dumps (data.binance.vision), spot and USD-M futures: trades, aggTrades,
//! klines (as barter-data's candles) and bookTicker, in Binance's exact column order (spec
//! §11's table). Spot files have
//! no header and futures files have had one since 2022, so a header row is sniffed, never
//! assumed. Spot times are microseconds from 2025 and milliseconds before; futures stay in
//! milliseconds: a time of 10^14 or more is read as microseconds (10^14 ms is the year 5138).

use super::order::Order;
use super::vendor::{self, Format, Row};
use super::{candle, l1, Builder, Failure, Instrument, Kind, Level, MarketData};
use crate::market::Role;
use barter_instrument::instrument::name::InstrumentNameInternal;
use barter_instrument::Side;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FileKind {
    Trades,
    AggTrades,
    Klines,
    BookTicker,
}

impl FileKind {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "trades" => Ok(FileKind::Trades),
            "agg_trades" => Ok(FileKind::AggTrades),
            "klines" => Ok(FileKind::Klines),
            "book_ticker" => Ok(FileKind::BookTicker),
            other => Err(format!(
                "kind must be 'trades', 'agg_trades', 'klines' or 'book_ticker', got {other:?}"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Trades => "trades",
            FileKind::AggTrades => "agg_trades",
            FileKind::Klines => "klines",
            FileKind::BookTicker => "book_ticker",
        }
    }

    /// The futures header of the kind (spot files have none; their columns are the same, in
    /// the same order, with one more at the end of trades and aggTrades: `is_best_match`).
    fn header(self) -> &'static [&'static str] {
        match self {
            FileKind::Trades => &["id", "price", "qty", "quote_qty", "time", "is_buyer_maker"],
            FileKind::AggTrades => &[
                "agg_trade_id",
                "price",
                "quantity",
                "first_trade_id",
                "last_trade_id",
                "transact_time",
                "is_buyer_maker",
            ],
            FileKind::Klines => &[
                "open_time",
                "open",
                "high",
                "low",
                "close",
                "volume",
                "close_time",
                "quote_volume",
                "count",
                "taker_buy_volume",
                "taker_buy_quote_volume",
                "ignore",
            ],
            FileKind::BookTicker => &[
                "update_id",
                "best_bid_price",
                "best_bid_qty",
                "best_ask_price",
                "best_ask_qty",
                "transaction_time",
                "event_time",
            ],
        }
    }

    /// How many fields a row has: the header's, or one more in spot's trades and aggTrades.
    fn fits(self, fields: usize) -> bool {
        let columns = self.header().len();
        match self {
            FileKind::Trades | FileKind::AggTrades => fields == columns || fields == columns + 1,
            FileKind::Klines | FileKind::BookTicker => fields == columns,
        }
    }

    const ALL: [FileKind; 4] = [
        FileKind::Trades,
        FileKind::AggTrades,
        FileKind::Klines,
        FileKind::BookTicker,
    ];
}

/// Binance's layout of one kind, for one instrument (its key in the loader's builder, made
/// at the first row).
struct Binance {
    kind: FileKind,
    instrument: Instrument,
    key: Option<u32>,
}

impl Format for Binance {
    fn first(&mut self, record: &csv::StringRecord) -> Result<bool, String> {
        if !is_header(record) {
            return Ok(false);
        }
        header(record, self.kind).map(|()| true)
    }

    fn row(
        &mut self,
        record: &csv::StringRecord,
        builder: &mut Builder,
    ) -> Result<Row, Vec<String>> {
        let names = self.kind.header();
        if !self.kind.fits(record.len()) {
            vendor::fields(record, names)?;
        }
        let instrument = *self
            .key
            .get_or_insert_with(|| builder.key(self.instrument.clone()));
        row(self.kind, record, instrument)
    }
}

/// `from_binance`'s arguments checked: a Binance exchange, a kind read, an order.
pub fn arguments(
    kind: &str,
    exchange: barter_instrument::exchange::ExchangeId,
    instrument: String,
    order: &str,
) -> pyo3::PyResult<(FileKind, Instrument, Order)> {
    use pyo3::exceptions::PyValueError;
    if !exchange.as_str().starts_with("binance") {
        return Err(PyValueError::new_err(format!(
            "exchange must be one of Binance's (binance_spot, binance_futures_usd, ...) for \
             Binance's files, got '{}'",
            exchange.as_str()
        )));
    }
    let kind = FileKind::parse(kind).map_err(PyValueError::new_err)?;
    let order = Order::parse(order).map_err(PyValueError::new_err)?;
    let instrument = (exchange, InstrumentNameInternal::new(instrument));
    Ok((kind, instrument, order))
}

/// Every file of `paths`, read as one source in the given order, the events handed to
/// `each` in chunks (`vendor::read`).
pub fn read(
    paths: &[String],
    kind: FileKind,
    instrument: Instrument,
    order: Order,
    each: &mut vendor::Each,
) -> Result<(), Failure> {
    let mut format = Binance {
        kind,
        instrument,
        key: None,
    };
    vendor::read(paths, order, &mut format, &mut Builder::default(), each).map(drop)
}

/// Every file of `paths`, read as one source in the given order.
pub fn load(
    paths: &[String],
    kind: FileKind,
    instrument: Instrument,
    order: Order,
) -> Result<MarketData, Failure> {
    let mut format = Binance {
        kind,
        instrument,
        key: None,
    };
    vendor::load(paths, order, &mut format)
}

/// A first row whose first field is not a number is a header.
fn is_header(record: &csv::StringRecord) -> bool {
    record
        .get(0)
        .is_some_and(|cell| cell.parse::<i64>().is_err())
}

/// The header must be the kind's; another kind's, or none known, is refused.
fn header(record: &csv::StringRecord, kind: FileKind) -> Result<(), String> {
    let names: Vec<String> = record
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let of = |kind: FileKind| {
        names
            .iter()
            .map(String::as_str)
            .eq(kind.header().iter().copied())
    };
    if of(kind) {
        return Ok(());
    }
    let found = names.join(",");
    match FileKind::ALL.into_iter().find(|other| of(*other)) {
        Some(other) => Err(format!(
            "the header is Binance's {} header, not {}'s: {found}",
            other.name(),
            kind.name()
        )),
        None => Err(format!(
            "the header names no known Binance file: expected {} for {}, got {found}",
            kind.header().join(","),
            kind.name()
        )),
    }
}

/// One row's event, on `instrument` (a key of the loader's builder).
fn row(kind: FileKind, record: &csv::StringRecord, instrument: u32) -> Result<Row, Vec<String>> {
    let mut problems = Vec::new();
    let names = kind.header();
    let mut number = |at: usize, role: Role| {
        vendor::number(record, at, role, names[at])
            .map_err(|why| problems.push(why))
            .unwrap_or(f64::NAN)
    };
    let made =
        match kind {
            FileKind::Trades | FileKind::AggTrades => {
                let (time_at, maker_at) = if kind == FileKind::Trades {
                    (4, 5)
                } else {
                    (5, 6)
                };
                let price = number(1, Role::TradePrice);
                let amount = number(2, Role::Amount);
                let time = time(record, time_at, names);
                // `is_buyer_maker`: the buyer rested, so the aggressor sold.
                let side = boolean(record, maker_at, names).map(|maker| {
                    if maker {
                        Side::Sell
                    } else {
                        Side::Buy
                    }
                });
                match (time, side) {
                    (Ok(time), Ok(side)) => Some(Row::Event {
                        time_exchange: time,
                        time_received: time,
                        instrument,
                        kind: Kind::Trade {
                            price,
                            amount,
                            side: Some(side),
                        },
                    }),
                    (time, side) => {
                        problems.extend(time.err().into_iter().chain(side.err()));
                        None
                    }
                }
            }
            // A candle at its close time (Binance's: the last millisecond of the interval).
            FileKind::Klines => {
                let [open, high, low, close] = [1, 2, 3, 4].map(|at| number(at, Role::Price));
                let volume = number(5, Role::Amount);
                let trades = record[8].parse::<u64>().map_err(|_| {
                    format!("count: must be a whole number >= 0, got {:?}", &record[8])
                });
                match (time(record, 6, names), trades) {
                    (Ok(time), Ok(trades)) => candle([open, high, low, close], volume, trades)
                        .map(|kind| Row::Event {
                            time_exchange: time,
                            time_received: time,
                            instrument,
                            kind,
                        })
                        .map_err(|found| problems.extend(found))
                        .ok(),
                    (time, trades) => {
                        problems.extend(time.err().into_iter().chain(trades.err()));
                        None
                    }
                }
            }
            FileKind::BookTicker => {
                let bid = Level {
                    price: number(1, Role::Price),
                    amount: number(2, Role::Amount),
                };
                let ask = Level {
                    price: number(3, Role::Price),
                    amount: number(4, Role::Amount),
                };
                let times = (time(record, 5, names), time(record, 6, names));
                match times {
                    // A crossed or locked book is no market to trade on: counted, not used.
                    (Ok(_), Ok(_)) if problems.is_empty() && bid.price >= ask.price => {
                        Some(Row::Skipped)
                    }
                    (Ok(exchange), Ok(received)) => match l1(bid, ask) {
                        Ok(kind) => Some(Row::Event {
                            time_exchange: exchange,
                            time_received: received,
                            instrument,
                            kind,
                        }),
                        Err(why) => {
                            problems.push(why);
                            None
                        }
                    },
                    (exchange, received) => {
                        problems.extend(exchange.err().into_iter().chain(received.err()));
                        None
                    }
                }
            }
        };
    match made {
        Some(row) if problems.is_empty() => Ok(row),
        _ => Err(problems),
    }
}

/// Binance's integer epoch time, in microseconds from 10^14 on, else milliseconds; as
/// nanoseconds.
fn time(record: &csv::StringRecord, at: usize, names: &[&str]) -> Result<i64, String> {
    let text = &record[at];
    let nanos = text.parse::<i64>().ok().filter(|t| *t >= 0).and_then(|t| {
        if t >= 100_000_000_000_000 {
            t.checked_mul(1_000)
        } else {
            t.checked_mul(1_000_000)
        }
    });
    nanos.ok_or_else(|| {
        format!(
            "{}: must be epoch milliseconds or microseconds (years 1970-2262), got {text:?}",
            names[at]
        )
    })
}

fn boolean(record: &csv::StringRecord, at: usize, names: &[&str]) -> Result<bool, String> {
    let text = &record[at];
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "{}: must be true or false, got {text:?}",
            names[at]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn times_in_milliseconds_and_microseconds() {
        let names = ["time"];
        // 2024-12-31T23:59:59.999Z in ms (before 2025) and 2025-01-01T00:00:00Z in µs (after)
        assert_eq!(
            time(&record(&["1735689599999"]), 0, &names),
            Ok(1_735_689_599_999_000_000)
        );
        assert_eq!(
            time(&record(&["1735689600000000"]), 0, &names),
            Ok(1_735_689_600_000_000_000)
        );
        assert!(time(&record(&["-1"]), 0, &names).is_err());
        assert!(time(&record(&["9223372036854775807"]), 0, &names).is_err());
    }

    #[test]
    fn a_buyer_maker_trade_was_a_sell() {
        let spot = record(&[
            "1",
            "100.5",
            "0.25",
            "25.125",
            "1735689600000000",
            "True",
            "True",
        ]);
        let Ok(Row::Event {
            kind,
            time_exchange,
            ..
        }) = row(FileKind::Trades, &spot, 0)
        else {
            panic!("a spot trade row")
        };
        assert_eq!(time_exchange, 1_735_689_600_000_000_000);
        assert_eq!(
            kind,
            Kind::Trade {
                price: 100.5,
                amount: 0.25,
                side: Some(Side::Sell)
            }
        );
    }

    #[test]
    fn a_kline_is_a_candle_at_its_close_time() {
        let kline = [
            "1735689600000000",
            "93500.10",
            "93600.00",
            "93400.00",
            "93550.25",
            "12.5",
            "1735689659999999",
            "1168753.1",
            "420",
            "6.1",
            "570000.2",
            "0",
        ];
        let Ok(Row::Event {
            kind,
            time_exchange,
            ..
        }) = row(FileKind::Klines, &record(&kline), 0)
        else {
            panic!("a kline row")
        };
        assert_eq!(time_exchange, 1_735_689_659_999_999_000);
        let bar = candle([93500.1, 93600.0, 93400.0, 93550.25], 12.5, 420).unwrap();
        assert_eq!(kind, bar);
        let mut upside_down = kline;
        upside_down[2] = "93000";
        let Err(problems) = row(FileKind::Klines, &record(&upside_down), 0) else {
            panic!("refused")
        };
        assert!(
            problems[0].starts_with("open: above high 93000"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_crossed_or_locked_book_ticker_is_skipped() {
        for bid in ["101", "100"] {
            let book = ["9", bid, "1", "100", "1", "1700000000000", "1700000000001"];
            let skipped = row(FileKind::BookTicker, &record(&book), 0);
            assert!(matches!(skipped, Ok(Row::Skipped)), "bid {bid}");
        }
    }

    #[test]
    fn headers_are_sniffed_and_checked() {
        let agg = record(FileKind::AggTrades.header());
        assert!(is_header(&agg) && header(&agg, FileKind::AggTrades).is_ok());
        let wrong = header(&agg, FileKind::Trades).unwrap_err();
        assert!(wrong.contains("agg_trades header, not trades's"), "{wrong}");
        assert!(!is_header(&record(&["1", "2"])));
    }
}
