//! The catalog's kinds: each kind's folder name and Parquet columns, and its events to and
//! from Arrow record batches. Every match on a kind is in this file, one arm per kind: a new
//! kind (L2) is one arm in each.
//!
//! Columns: `time_exchange` and `time_received` (TIMESTAMP(ns, UTC)), then the kind's exact
//! decimals (DECIMAL, one scale per file: the largest any value needs, so every value is held
//! exactly) and, for trades, `side` (`Buy`/`Sell`, null: no aggressor side), for candles
//! `trades` (UINT32, the trade count). An l2 file has a row per level of each message (one
//! with a null `side` for a message without levels): `price`, `amount`, `side` (`bid`/`ask`),
//! `is_snapshot` (BOOLEAN), `message` (UINT64: the message's index in the file, which the
//! rows of one message share) and `sequence` (UINT64, barter's `OrderBook.sequence`).

use crate::market::data::book::{self, BookLevel, BookSide};
use crate::market::data::{self, Event, Kind, Level};
use crate::market::{self, Role};
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::types::{
    Decimal128Type, TimestampMicrosecondType, TimestampNanosecondType, UInt32Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use barter_instrument::{exchange::ExchangeId, Side};
use fnv::FnvHashSet;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Rows per row group: what a reader holds of a file at a time.
pub const ROW_GROUP: usize = 65_536;

/// The most decimal columns a kind has.
const WIDTH: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    // In the order of their folders' names.
    Candles,
    L1,
    L2,
    Trades,
}

/// The column a kind has after its decimals.
#[derive(Clone, Copy, PartialEq)]
enum Extra {
    None,
    /// `side`: a trade's `Buy` or `Sell`.
    Side,
    /// `trades`: a candle's trade count.
    Count,
    /// An l2 row's `side`, `is_snapshot`, `message` and `sequence`.
    Book,
}

/// An event's decimals in its kind's column order (NaN for null), its side and its count.
struct Values {
    decimals: [f64; WIDTH],
    side: Option<Side>,
    count: u32,
}

/// An l2 row beside its level's decimals: the level's side (`None`: a message without
/// levels), the message's flag, index in the file and sequence.
struct BookRow {
    side: Option<BookSide>,
    snapshot: bool,
    message: u64,
    sequence: u64,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [
        FileKind::Candles,
        FileKind::L1,
        FileKind::L2,
        FileKind::Trades,
    ];

    /// The kind's folder: `MarketData`'s kind name.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Trades => "trades",
            FileKind::L1 => "l1",
            FileKind::L2 => "l2",
            FileKind::Candles => "candles",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| format!("kind must be 'candles', 'l1', 'l2' or 'trades', got {text:?}"))
    }

    /// The decimal columns, each with the checks its values get; and the column after them.
    fn columns(self) -> (&'static [(&'static str, Role)], Extra) {
        match self {
            FileKind::Trades => (
                &[("price", Role::TradePrice), ("amount", Role::Amount)],
                Extra::Side,
            ),
            FileKind::L1 => (
                &[
                    ("bid_price", Role::Price),
                    ("bid_amount", Role::Amount),
                    ("ask_price", Role::Price),
                    ("ask_amount", Role::Amount),
                ],
                Extra::None,
            ),
            FileKind::Candles => (
                &[
                    ("open", Role::Price),
                    ("high", Role::Price),
                    ("low", Role::Price),
                    ("close", Role::Price),
                    ("volume", Role::Amount),
                ],
                Extra::Count,
            ),
            FileKind::L2 => (
                &[("price", Role::Price), ("amount", Role::Amount)],
                Extra::Book,
            ),
        }
    }

    /// The file kind of an event, `None` for one not stored (`unstored`).
    pub fn of(kind: &Kind) -> Option<FileKind> {
        match kind {
            Kind::L2 { .. } => Some(FileKind::L2),
            _ => split(kind).map(|(file, _)| file),
        }
    }

    pub fn schema(self, digits: Digits) -> Result<SchemaRef, String> {
        let time = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        let decimal = DataType::Decimal128(digits.precision()?, digits.scale as i8);
        let (decimals, extra) = self.columns();
        let mut fields = vec![
            Field::new("time_exchange", time.clone(), false),
            Field::new("time_received", time, false),
        ];
        fields.extend(
            decimals
                .iter()
                .map(|(name, _)| Field::new(*name, decimal.clone(), true)),
        );
        match extra {
            // Null: a trade without an aggressor side.
            Extra::Side => fields.push(Field::new("side", DataType::Utf8, true)),
            Extra::Count => fields.push(Field::new("trades", DataType::UInt32, false)),
            Extra::Book => fields.extend([
                Field::new("side", DataType::Utf8, true),
                Field::new("is_snapshot", DataType::Boolean, false),
                Field::new("message", DataType::UInt64, false),
                Field::new("sequence", DataType::UInt64, false),
            ]),
            Extra::None => {}
        }
        Ok(Arc::new(Schema::new(fields)))
    }
}

fn split(kind: &Kind) -> Option<(FileKind, Values)> {
    let nan = f64::NAN;
    Some(match *kind {
        Kind::Trade {
            price,
            amount,
            side,
        } => (
            FileKind::Trades,
            Values {
                decimals: [price, amount, nan, nan, nan],
                side,
                count: 0,
            },
        ),
        Kind::L1 { bid, ask } => (
            FileKind::L1,
            Values {
                decimals: [bid.price, bid.amount, ask.price, ask.amount, nan],
                side: None,
                count: 0,
            },
        ),
        Kind::Candle {
            open,
            high,
            low,
            close,
            volume,
            trades,
        } => (
            FileKind::Candles,
            Values {
                decimals: [open, high, low, close, volume],
                side: None,
                count: trades,
            },
        ),
        // Not stored: `unstored` says why.
        Kind::Reconnecting | Kind::L2 { .. } => return None,
    })
}

/// What an event without a file kind is, and what to do with it.
pub fn unstored(_: &Kind) -> (&'static str, &'static str) {
    (
        "a market disconnection",
        "keep disconnections in barter's files",
    )
}

/// The rows of `events` (their L2 spans pointing into `arena`, their messages numbered from
/// `first`): a row each, an L2 message a row per level (one if it has none).
fn rows<'a>(
    (events, arena, first): (&'a [Event], &[BookLevel], u64),
) -> Result<Vec<(&'a Event, Values, Option<BookRow>)>, String> {
    let nan = f64::NAN;
    let mut rows = Vec::with_capacity(events.len());
    for (at, event) in events.iter().enumerate() {
        let Some((snapshot, sequence, levels)) = event.kind.l2() else {
            let (_, values) =
                split(&event.kind).ok_or("an event the catalog does not store has no columns")?;
            rows.push((event, values, None));
            continue;
        };
        let row = |side, price, amount| {
            let values = Values {
                decimals: [price, amount, nan, nan, nan],
                side: None,
                count: 0,
            };
            let message = first + at as u64;
            let book = BookRow {
                side,
                snapshot,
                message,
                sequence,
            };
            (event, values, Some(book))
        };
        let (bids, asks) = levels.sides(arena);
        let sided = |side| move |level: &BookLevel| row(Some(side), level.price, level.amount);
        let before = rows.len();
        rows.extend(bids.iter().map(sided(BookSide::Bid)));
        rows.extend(asks.iter().map(sided(BookSide::Ask)));
        if rows.len() == before {
            rows.push(row(None, nan, nan));
        }
    }
    Ok(rows)
}

/// The event kind of values read back (each `(f64, exact decimal)`, `None` for null).
fn join(
    file: FileKind,
    values: &[Option<(f64, Decimal)>],
    side: Option<Side>,
    count: u32,
) -> Result<Kind, String> {
    match file {
        FileKind::Candles => match values {
            [Some(open), Some(high), Some(low), Some(close), Some(volume)] => {
                let prices = [open.0, high.0, low.0, close.0];
                data::candle(prices, volume.0, count.into()).map_err(|found| found.join("; "))
            }
            _ => Err("a candle needs open, high, low, close and volume".into()),
        },
        FileKind::L2 => Err("an l2 row is read with its message (BookColumns)".into()),
        FileKind::Trades => match values {
            [Some((price, _)), Some((amount, _))] => Ok(Kind::Trade {
                price: *price,
                amount: *amount,
                side,
            }),
            _ => Err("a trade needs price and amount".into()),
        },
        FileKind::L1 => {
            let level = |price: Option<(f64, Decimal)>, amount: Option<(f64, Decimal)>| match (
                price, amount,
            ) {
                (Some(price), Some(amount)) => Ok(Some((price, amount))),
                (None, None) => Ok(None),
                _ => Err("an l1 side has both price and amount, or neither".to_string()),
            };
            let bid = level(values[0], values[1])?;
            let ask = level(values[2], values[3])?;
            if let (Some(bid), Some(ask)) = (bid, ask) {
                let barter = |((_, price), (_, amount)): ((f64, Decimal), (f64, Decimal))| {
                    barter_data::books::Level::new(price, amount)
                };
                market::check_mid(barter(bid), barter(ask))?;
            }
            let ours = |level: Option<((f64, Decimal), (f64, Decimal))>| {
                level.map_or(Level::EMPTY, |((price, _), (amount, _))| Level {
                    price,
                    amount,
                })
            };
            Ok(Kind::L1 {
                bid: ours(bid),
                ask: ours(ask),
            })
        }
    }
}

/// The DECIMAL type a file's values need: the largest scale and the most digits before the
/// point of any value.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Digits {
    scale: u32,
    whole: u32,
}

impl Digits {
    /// The digits of `event`'s values (an L2 span's levels in `arena`) added.
    pub fn add(&mut self, event: &Event, arena: &[BookLevel]) -> Result<(), String> {
        for (_, values, _) in rows((std::slice::from_ref(event), arena, 0))? {
            self.add_values(values.decimals)?;
        }
        Ok(())
    }

    fn add_values(&mut self, decimals: [f64; WIDTH]) -> Result<(), String> {
        for value in decimals.into_iter().filter(|value| !value.is_nan()) {
            let decimal = market::exact(value)?;
            let digits = decimal
                .mantissa()
                .unsigned_abs()
                .checked_ilog10()
                .map_or(0, |d| d + 1);
            self.scale = self.scale.max(decimal.scale());
            self.whole = self.whole.max(digits.saturating_sub(decimal.scale()));
        }
        Ok(())
    }

    /// 18 digits where they suffice (Parquet stores them as INT64), else 38.
    fn precision(self) -> Result<u8, String> {
        match self.whole + self.scale {
            0..=18 => Ok(18),
            19..=38 => Ok(38),
            digits => Err(format!(
                "values of {} whole digits and {} decimals need {digits} digits: more than \
                 Parquet's DECIMAL(38) holds",
                self.whole, self.scale
            )),
        }
    }
}

/// `events` (all of `file`'s kind; their L2 spans pointing into `arena`, their messages
/// numbered from `first`) as a record batch of `schema`.
pub fn batch(
    schema: &SchemaRef,
    file: FileKind,
    digits: Digits,
    events: (&[Event], &[BookLevel], u64),
) -> Result<RecordBatch, String> {
    let all = rows(events)?;
    let times = |time: fn(&Event) -> i64| -> ArrayRef {
        Arc::new(
            TimestampNanosecondArray::from_iter_values(all.iter().map(|row| time(row.0)))
                .with_timezone("UTC"),
        )
    };
    let mut columns = vec![
        times(|event| event.time_exchange),
        times(|event| event.time_received),
    ];
    let (rows, books): (Vec<Values>, Vec<Option<BookRow>>) = all
        .into_iter()
        .map(|(_, values, book)| (values, book))
        .unzip();
    let precision = digits.precision()?;
    let (decimals, extra) = file.columns();
    for at in 0..decimals.len() {
        let values = rows
            .iter()
            .map(|row| scaled(row.decimals[at], digits.scale))
            .collect::<Result<Vec<Option<i128>>, String>>()?;
        let array = Decimal128Array::from(values)
            .with_precision_and_scale(precision, digits.scale as i8)
            .map_err(|err| err.to_string())?;
        columns.push(Arc::new(array));
    }
    match extra {
        Extra::Side => {
            let sides = rows.iter().map(|row| match row.side {
                Some(Side::Buy) => Some("Buy"),
                Some(Side::Sell) => Some("Sell"),
                None => None,
            });
            columns.push(Arc::new(StringArray::from_iter(sides)));
        }
        Extra::Count => {
            let counts = rows.iter().map(|row| row.count);
            columns.push(Arc::new(UInt32Array::from_iter_values(counts)));
        }
        Extra::Book => {
            let books = books
                .iter()
                .map(|row| row.as_ref().ok_or("an l2 row without its message"))
                .collect::<Result<Vec<&BookRow>, _>>()?;
            let sides = books.iter().map(|row| row.side.map(BookSide::name));
            columns.push(Arc::new(StringArray::from_iter(sides)));
            let flags = books.iter().map(|row| Some(row.snapshot));
            columns.push(Arc::new(BooleanArray::from_iter(flags)));
            let messages = books.iter().map(|row| row.message);
            columns.push(Arc::new(UInt64Array::from_iter_values(messages)));
            let sequences = books.iter().map(|row| row.sequence);
            columns.push(Arc::new(UInt64Array::from_iter_values(sequences)));
        }
        Extra::None => {}
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|err| err.to_string())
}

/// The exact decimal of `value` as an integer of `scale` decimals (`None` for NaN: null).
fn scaled(value: f64, scale: u32) -> Result<Option<i128>, String> {
    if value.is_nan() {
        return Ok(None);
    }
    let decimal = market::exact(value)?;
    scale
        .checked_sub(decimal.scale())
        .and_then(|shift| 10i128.checked_pow(shift))
        .and_then(|factor| decimal.mantissa().checked_mul(factor))
        .map(Some)
        .ok_or_else(|| format!("{decimal} does not fit a DECIMAL of scale {scale}"))
}

/// Powers of ten an `f64` holds exactly.
const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// barter-data's `f64` of a stored decimal, checked as the loaders check a number.
fn float(
    value: i128,
    scale: u32,
    role: Role,
    checked: &mut FnvHashSet<u64>,
) -> Result<(f64, Decimal), String> {
    let decimal = Decimal::try_from_i128_with_scale(value, scale).map_err(|err| err.to_string())?;
    // At most 15 significant digits: the nearest f64 (a correctly rounded division of two
    // exact f64s) reads back as the same decimal, so only the sign and barter's reading of a
    // trade price remain to check (`market::float_of_text`'s fast path).
    if value.unsigned_abs() >= 1_000_000_000_000_000 || scale as usize >= POWERS.len() {
        return market::float(decimal, role).map(|float| (float, decimal));
    }
    let float = value as f64 / POWERS[scale as usize] + 0.0;
    let sign_ok = match role {
        Role::Amount => float >= 0.0,
        Role::TradePrice | Role::Price => float > 0.0,
    };
    if !sign_ok {
        return market::float(decimal, role).map(|float| (float, decimal));
    }
    if role == Role::TradePrice && !checked.contains(&float.to_bits()) {
        // barter's engine reads a trade price with `Decimal::from_f64`, which is costly; a
        // day's trades are at few prices, so the prices checked are remembered.
        if Decimal::from_f64(float) != Some(decimal) {
            return market::float(decimal, role).map(|float| (float, decimal));
        }
        if checked.len() == CHECKED {
            checked.clear();
        }
        checked.insert(float.to_bits());
    }
    Ok((float, decimal))
}

/// A time column as nanoseconds (TIMESTAMP in ns or µs, with a time zone, no nulls).
fn times(batch: &RecordBatch, name: &str) -> Result<Vec<i64>, String> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name}"))?;
    if column.null_count() > 0 {
        return Err(format!("column {name}: times must not be null"));
    }
    match column.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) => Ok(column
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .to_vec()),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => column
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .iter()
            .map(|micros| micros.checked_mul(1_000))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("column {name}: a time outside the nanosecond range")),
        other => Err(format!(
            "column {name} must be a TIMESTAMP (ns or us) with a time zone, got {other}"
        )),
    }
}

/// How many trade prices a reader remembers as checked.
const CHECKED: usize = 1 << 16;

/// Per-file reading state: the trade prices checked against barter's reading, and the l2
/// message whose rows are being read (its rows may go on in the next batch).
#[derive(Default)]
pub struct Reading {
    checked: FnvHashSet<u64>,
    message: Option<Message>,
}

/// An l2 message being read: its index in the file, first row, times, flag and levels.
struct Message {
    id: u64,
    row: usize,
    times: (i64, i64),
    snapshot: bool,
    sequence: u64,
    bids: Vec<BookLevel>,
    asks: Vec<BookLevel>,
}

/// The l2 message read whole (checked as a loader checks a message), appended to `out` and
/// its levels to `levels`.
fn message_read(
    message: Message,
    (exchange, instrument): (ExchangeId, u32),
    out: &mut Vec<Event>,
    levels: &mut Vec<BookLevel>,
) -> Result<(), String> {
    let at = |why: String| format!("row {}: {why}", message.row);
    book::no_empty_level(message.snapshot, &message.bids, &message.asks).map_err(at)?;
    let span = book::append(levels, &message.bids, &message.asks).map_err(at)?;
    out.push(Event {
        time_exchange: message.times.0,
        time_received: message.times.1,
        exchange,
        instrument,
        kind: Kind::L2 {
            snapshot: message.snapshot,
            sequence: message.sequence,
            levels: span,
        },
    });
    Ok(())
}

/// A file read to its end: the l2 message its last rows hold, read whole.
pub fn finish(
    reading: &mut Reading,
    key: (ExchangeId, u32),
    out: &mut Vec<Event>,
    levels: &mut Vec<BookLevel>,
) -> Result<(), String> {
    match reading.message.take() {
        Some(message) => message_read(message, key, out, levels),
        None => Ok(()),
    }
}

/// An l2 file's columns beside its decimals.
struct BookColumns<'a> {
    sides: &'a arrow_array::StringArray,
    flags: &'a BooleanArray,
    messages: &'a UInt64Array,
    sequences: &'a UInt64Array,
}

impl<'a> BookColumns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, String> {
        let column = |name: &str| {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| format!("no column {name}"))?;
            match name == "side" || column.null_count() == 0 {
                true => Ok(column),
                false => Err(format!("column {name} must not be null")),
            }
        };
        let wrong = |name: &str, kind: &str| format!("column {name} must be {kind}");
        Ok(BookColumns {
            sides: column("side")?
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong("side", "text"))?,
            flags: column("is_snapshot")?
                .as_boolean_opt()
                .ok_or_else(|| wrong("is_snapshot", "BOOLEAN"))?,
            messages: column("message")?
                .as_primitive_opt::<UInt64Type>()
                .ok_or_else(|| wrong("message", "UINT64"))?,
            sequences: column("sequence")?
                .as_primitive_opt::<UInt64Type>()
                .ok_or_else(|| wrong("sequence", "UINT64"))?,
        })
    }

    /// Row `row` (its decimals `price` and `amount`) added to the message being read, or
    /// starting the next one (the one read is then appended to `out`).
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        row: usize,
        at: usize,
        times: (i64, i64),
        price_amount: &[Option<(f64, Decimal)>],
        reading: &mut Reading,
        key: (ExchangeId, u32),
        out: &mut Vec<Event>,
        levels: &mut Vec<BookLevel>,
    ) -> Result<(), String> {
        let id = self.messages.value(row);
        if reading
            .message
            .as_ref()
            .is_some_and(|message| message.id != id)
        {
            finish(reading, key, out, levels)?;
        }
        let message = reading.message.get_or_insert_with(|| Message {
            id,
            row: at,
            times,
            snapshot: self.flags.value(row),
            sequence: self.sequences.value(row),
            bids: Vec::new(),
            asks: Vec::new(),
        });
        let side = self
            .sides
            .is_valid(row)
            .then(|| BookSide::parse(self.sides.value(row)))
            .transpose()
            .map_err(|why| format!("row {at}: side: {why}"))?;
        match (side, price_amount) {
            (None, [None, None]) => Ok(()),
            (Some(side), [Some((price, _)), Some((amount, _))]) => {
                let level = BookLevel {
                    price: *price,
                    amount: *amount,
                };
                match side {
                    BookSide::Bid => message.bids.push(level),
                    BookSide::Ask => message.asks.push(level),
                }
                Ok(())
            }
            _ => Err(format!(
                "row {at}: an l2 row has a side, price and amount, or none of them"
            )),
        }
    }
}

/// The events of a record batch of `file`'s kind, for `instrument` (an index) on `exchange`,
/// appended to `out` (the levels of L2 messages to `levels`; a message whose rows may go on
/// in the next batch waits in `reading`: `finish`); a problem names the row (counted from
/// `first_row`).
pub fn events(
    file: FileKind,
    batch: &RecordBatch,
    (exchange, instrument): (ExchangeId, u32),
    first_row: usize,
    reading: &mut Reading,
    (out, levels): (&mut Vec<Event>, &mut Vec<BookLevel>),
) -> Result<(), String> {
    let time_exchange = times(batch, "time_exchange")?;
    let time_received = times(batch, "time_received")?;
    let (names, extra) = file.columns();
    let decimals = names
        .iter()
        .map(|(name, role)| {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| format!("no column {name}"))?;
            match column.data_type() {
                DataType::Decimal128(_, scale) if *scale >= 0 => Ok((
                    column.as_primitive::<Decimal128Type>(),
                    *scale as u32,
                    *role,
                    *name,
                )),
                other => Err(format!("column {name} must be a DECIMAL, got {other}")),
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    let sides = if extra == Extra::Side {
        let column = batch.column_by_name("side").ok_or("no column side")?;
        Some(
            column
                .as_string_opt::<i32>()
                .ok_or("column side must be text")?,
        )
    } else {
        None
    };
    let counts = match extra {
        Extra::Count => {
            let column = batch.column_by_name("trades").ok_or("no column trades")?;
            if column.null_count() > 0 {
                return Err("column trades: counts must not be null".into());
            }
            Some(
                column
                    .as_primitive_opt::<UInt32Type>()
                    .ok_or("column trades must be UINT32")?,
            )
        }
        _ => None,
    };
    let books = match extra {
        Extra::Book => Some(BookColumns::of(batch)?),
        _ => None,
    };
    let mut values = [None; WIDTH];
    out.reserve(batch.num_rows());
    for row in 0..batch.num_rows() {
        let at = |why: String| format!("row {}: {why}", first_row + row);
        for (slot, (column, scale, role, name)) in values.iter_mut().zip(&decimals) {
            *slot = match column.is_null(row) {
                true => None,
                false => Some(
                    float(column.value(row), *scale, *role, &mut reading.checked)
                        .map_err(|why| at(format!("{name}: {why}")))?,
                ),
            };
        }
        if let Some(books) = &books {
            let times = (time_exchange[row], time_received[row]);
            let key = (exchange, instrument);
            let row_at = first_row + row;
            let price_amount = &values[..names.len()];
            books.row(row, row_at, times, price_amount, reading, key, out, levels)?;
            continue;
        }
        let side = match sides
            .filter(|sides| sides.is_valid(row))
            .map(|s| s.value(row))
        {
            None => None,
            Some("Buy") => Some(Side::Buy),
            Some("Sell") => Some(Side::Sell),
            Some(other) => {
                return Err(at(format!(
                    "side must be Buy, Sell or null (no aggressor side), got {other:?}"
                )))
            }
        };
        let count = counts.map_or(0, |counts| counts.value(row));
        let kind = join(file, &values[..names.len()], side, count).map_err(at)?;
        out.push(Event {
            time_exchange: time_exchange[row],
            time_received: time_received[row],
            exchange,
            instrument,
            kind,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn event(time: i64, kind: Kind) -> Event {
        Event {
            time_exchange: time,
            time_received: time + 1_500,
            exchange: ExchangeId::BinanceSpot,
            instrument: 0,
            kind,
        }
    }

    fn round_trip(file: FileKind, events: &[Event]) -> (Digits, Vec<Event>) {
        let mut digits = Digits::default();
        for event in events {
            digits.add(event, &[]).unwrap();
        }
        let schema = file.schema(digits).unwrap();
        let batch = batch(&schema, file, digits, (events, &[], 0)).unwrap();
        let mut back = Vec::new();
        let key = (ExchangeId::BinanceSpot, 0);
        events_of(file, &batch, key, &mut back);
        (digits, back)
    }

    fn events_of(
        file: FileKind,
        batch: &RecordBatch,
        key: (ExchangeId, u32),
        out: &mut Vec<Event>,
    ) {
        events(
            file,
            batch,
            key,
            0,
            &mut Reading::default(),
            (out, &mut Vec::new()),
        )
        .unwrap();
    }

    #[test]
    fn trades_and_books_come_back_as_they_went_with_one_scale_per_file() {
        let trades = [
            event(
                1,
                Kind::Trade {
                    price: 65120.5,
                    amount: 0.00000001,
                    side: Some(Side::Buy),
                },
            ),
            event(
                2,
                Kind::Trade {
                    price: 87232.01,
                    amount: 12.0,
                    side: Some(Side::Sell),
                },
            ),
        ];
        let (digits, back) = round_trip(FileKind::Trades, &trades);
        assert_eq!(digits, Digits { scale: 8, whole: 5 });
        assert_eq!(back, trades);
        let level = |price, amount| Level { price, amount };
        let books = [
            event(
                3,
                Kind::L1 {
                    bid: level(2059.1, 33.0914),
                    ask: level(2059.2, 1.0),
                },
            ),
            event(
                4,
                Kind::L1 {
                    bid: Level::EMPTY,
                    ask: level(2059.2, 0.5),
                },
            ),
        ];
        assert_eq!(round_trip(FileKind::L1, &books).1, books);
        let bar = data::candle([93500.1, 93600.0, 93400.0, 93550.25], 12.5, 420).unwrap();
        let candles = [event(5, bar)];
        assert_eq!(round_trip(FileKind::Candles, &candles).1, candles);
    }

    #[test]
    fn the_fast_reading_of_a_decimal_is_the_loaders() {
        let texts = [
            "65120.12345678",
            "0.00000001",
            "4182.19040206",
            "93500.1",
            "1",
        ];
        for text in texts {
            let decimal = Decimal::from_str(text).unwrap();
            for role in [Role::TradePrice, Role::Price, Role::Amount] {
                let slow = market::float(decimal, role);
                let fast = float(
                    decimal.mantissa(),
                    decimal.scale(),
                    role,
                    &mut FnvHashSet::default(),
                );
                assert_eq!(fast.map(|(float, _)| float).ok(), slow.ok(), "{text}");
            }
        }
    }

    #[test]
    fn too_many_digits_for_a_decimal_are_named() {
        let digits = Digits {
            scale: 28,
            whole: 20,
        };
        assert!(digits.precision().unwrap_err().contains("48 digits"));
        assert_eq!(FileKind::parse("l1"), Ok(FileKind::L1));
        assert_eq!(FileKind::parse("candles"), Ok(FileKind::Candles));
        assert_eq!(FileKind::parse("l2"), Ok(FileKind::L2));
        assert!(FileKind::parse("l3").is_err());
    }
}
