//! Columns in and out (the Python layer turns them into Arrow arrays and back): numbers and
//! times travel as whole buffers, text as integer codes into a small list of labels, so no
//! Python object is made per row.

use super::book::{self, BookLevel, BookSide};
use super::table::{self, Cells, Layout};
use super::{candle, l1, Builder, Event, Failure, Instrument, Kind, Level, MarketData, Problems};
use crate::market::{self, Role};
use barter_instrument::{exchange::ExchangeId, instrument::name::InstrumentNameInternal, Side};
use fnv::FnvHashMap;
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// A missing time (Arrow null), as the Python layer fills it.
const NULL_TIME: i64 = i64::MIN;

const TIMES: [&str; 3] = ["time", "time_exchange", "time_received"];
/// Integer columns (int64, `NULL_TIME` for null): an L2 row's flag, message and sequence.
const INTEGERS: [&str; 3] = ["is_snapshot", "message", "sequence"];

/// The columns of `to_arrow`, in order: times, then text, then numbers.
const EVENT_COLUMNS: [&str; 12] = [
    "time_exchange",
    "time_received",
    "exchange",
    "instrument",
    "kind",
    "side",
    "price",
    "amount",
    "bid_price",
    "bid_amount",
    "ask_price",
    "ask_amount",
];
/// A candle's columns beside `EVENT_COLUMNS`, its close in `price` and volume in `amount`
/// (as `state.event` reads them); needed only by a table that has candles.
const CANDLE_COLUMNS: [&str; 4] = ["open", "high", "low", "trades"];
/// An L2 level's columns beside `EVENT_COLUMNS` (its side in `side`, its numbers in `price`
/// and `amount`); `sequence` is optional (0 without it).
const L2_COLUMNS: [&str; 2] = ["is_snapshot", "message"];
/// `from_arrow(kind="l2")`'s columns; `message`, `sequence` and `time_received` are optional.
const L2_TABLE: [&str; 5] = ["time", "side", "price", "amount", "is_snapshot"];
const KINDS: [&str; 5] = ["trade", "l1", "candle", "reconnecting", "l2"];
/// A trade's aggressor side, then an L2 level's side.
const SIDES: [&str; 4] = ["Buy", "Sell", "bid", "ask"];

enum Column {
    Time(Vec<i64>),
    Integer(Vec<i64>),
    Number(Vec<f64>),
    Text(Vec<i32>, Vec<Option<String>>),
}

pub struct Columns {
    length: usize,
    columns: FnvHashMap<String, Column>,
}

impl Columns {
    /// `columns[name]` is a buffer of `length` items: int64 nanoseconds for a time column,
    /// int32 codes into `labels[name]` for a text column (`kind`, `exchange`, `instrument`,
    /// `side`), f64 otherwise.
    pub fn read(
        length: usize,
        columns: &Bound<'_, PyDict>,
        labels: &Bound<'_, PyDict>,
    ) -> PyResult<Self> {
        let py = columns.py();
        let mut read = FnvHashMap::default();
        for (name, buffer) in columns.iter() {
            let name: String = name.extract()?;
            let column = if TIMES.contains(&name.as_str()) {
                Column::Time(PyBuffer::<i64>::get(&buffer)?.to_vec(py)?)
            } else if INTEGERS.contains(&name.as_str()) {
                Column::Integer(PyBuffer::<i64>::get(&buffer)?.to_vec(py)?)
            } else if let Some(labels) = labels.get_item(&name)? {
                Column::Text(
                    PyBuffer::<i32>::get(&buffer)?.to_vec(py)?,
                    labels.extract()?,
                )
            } else {
                Column::Number(PyBuffer::<f64>::get(&buffer)?.to_vec(py)?)
            };
            let count = match &column {
                Column::Time(values) | Column::Integer(values) => values.len(),
                Column::Number(values) => values.len(),
                Column::Text(codes, labels) => {
                    if codes
                        .iter()
                        .any(|code| *code < -1 || *code as isize >= labels.len() as isize)
                    {
                        return Err(PyValueError::new_err(format!(
                            "column {name}: code out of range"
                        )));
                    }
                    codes.len()
                }
            };
            if count != length {
                return Err(PyValueError::new_err(format!(
                    "column {name}: {count} values for {length} rows"
                )));
            }
            read.insert(name, column);
        }
        Ok(Columns {
            length,
            columns: read,
        })
    }

    fn get(&self, names: &[&'static str]) -> Result<Vec<&Column>, Failure> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|name| !self.columns.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(Failure::Data(format!(
                "table: missing column(s) {}; expected {}",
                missing.join(", "),
                names.join(", ")
            )));
        }
        Ok(names.iter().map(|name| &self.columns[*name]).collect())
    }

    /// A table of one instrument in `layout`.
    pub fn table(&self, layout: Layout, instrument: Instrument) -> Result<MarketData, Failure> {
        let columns = self.get(layout.columns())?;
        let mut builder = Builder::default();
        let exchange = instrument.0;
        let key = builder.key(instrument);
        let mut problems = Problems::new("table");
        for row in 0..self.length {
            match layout.event(
                &Row {
                    columns: &columns,
                    row,
                },
                exchange,
                key,
            ) {
                Ok(event) => builder.push(event),
                Err(found) => {
                    for problem in found {
                        problems.add(format_args!("row {row}"), problem);
                    }
                }
            }
        }
        finish(builder, problems)
    }

    /// A table of one instrument's L2 rows (`L2_TABLE`'s columns, plus the optional
    /// `message`, `sequence` and `time_received`): the rows of one `message`, or without that
    /// column consecutive rows with the same times and `is_snapshot`, make one event, which
    /// takes its times and sequence from its first row.
    pub fn l2(&self, instrument: Instrument) -> Result<MarketData, Failure> {
        let times = self.get(&L2_TABLE[..1])?;
        let received = self.columns.get("time_received");
        let rows = L2Rows::new(self, "side", "price", "amount")?;
        let mut builder = Builder::default();
        let key = builder.key(instrument);
        let mut problems = Problems::new("table");
        let time = |row| {
            Row {
                columns: &times,
                row,
            }
            .time(0)
        };
        let time_received = |row| match received {
            Some(column) => Row {
                columns: &[column],
                row,
            }
            .time(0),
            None => time(row),
        };
        let same = |a, b| time(a) == time(b) && time_received(a) == time_received(b);
        let mut start = 0;
        while start < self.length {
            let mut end = start + 1;
            while end < self.length && rows.together(start, end, same) {
                end += 1;
            }
            match (time(start), time_received(start)) {
                (Ok(exchange), Ok(received)) => {
                    let message = rows.message(start..end);
                    let times = (exchange, received, key);
                    add_message(&mut builder, &mut problems, message, start, times);
                }
                (exchange, received) => {
                    for (field, problem) in
                        [("time", exchange.err()), ("time_received", received.err())]
                    {
                        if let Some(problem) = problem {
                            problems.add(
                                format_args!("row {start}"),
                                format_args!("{field}: {problem}"),
                            );
                        }
                    }
                }
            }
            start = end;
        }
        finish(builder, problems)
    }

    /// A table in `to_arrow`'s layout: any instruments, trades, books and disconnections.
    pub fn events(&self) -> Result<MarketData, Failure> {
        let columns = self.get(&EVENT_COLUMNS)?;
        let candle_columns = self.get(&CANDLE_COLUMNS).map_err(|_| {
            format!(
                "a candle row needs the columns {}",
                CANDLE_COLUMNS.join(", ")
            )
        });
        let row_of = |row| Row {
            columns: &columns,
            row,
        };
        let l2 = self
            .get(&L2_COLUMNS)
            .and_then(|_| L2Rows::new(self, "side", "price", "amount"));
        let mut builder = Builder::default();
        let mut problems = Problems::new("table");
        let mut next = 0;
        while next < self.length {
            let row = next;
            next += 1;
            let cells = row_of(row);
            if cells.text(4) == Ok("l2") {
                let Ok(rows) = &l2 else {
                    let needs = format!("an l2 row needs the columns {}", L2_COLUMNS.join(", "));
                    problems.add(format_args!("row {row}"), needs);
                    continue;
                };
                while next < self.length
                    && row_of(next).text(4) == Ok("l2")
                    && rows.together(row, next, |_, _| false)
                {
                    next += 1;
                }
                let mut found = Vec::new();
                match cells.origin(true, &mut found) {
                    Some((exchange, Some(name), time_exchange, time_received)) => {
                        let key = builder.key((exchange, InstrumentNameInternal::new(name)));
                        let message = rows.message(row..next);
                        let times = (time_exchange, time_received, key);
                        add_message(&mut builder, &mut problems, message, row, times);
                    }
                    _ => {
                        for problem in found {
                            problems.add(format_args!("row {row}"), problem);
                        }
                    }
                }
                continue;
            }
            let mut found = Vec::new();
            let mut note = |at: usize, result: Result<f64, String>| {
                result
                    .map_err(|problem| found.push(format!("{}: {problem}", EVENT_COLUMNS[at])))
                    .unwrap_or(f64::NAN)
            };
            let kind = cells.text(4).map(str::to_owned);
            let kind = match kind.as_deref() {
                Ok("trade") => Some(Kind::Trade {
                    price: note(6, cells.number(6, Role::TradePrice)),
                    amount: note(7, cells.number(7, Role::Amount)),
                    side: cells.side(5).unwrap_or_else(|problem| {
                        found.push(format!("side: {problem}"));
                        None
                    }),
                }),
                Ok("l1") => {
                    let mut level = |price: usize, amount: usize| {
                        if cells.is_null(price) && cells.is_null(amount) {
                            return Level::EMPTY;
                        }
                        Level {
                            price: note(price, cells.number(price, Role::Price)),
                            amount: note(amount, cells.number(amount, Role::Amount)),
                        }
                    };
                    let (bid, ask) = (level(8, 9), level(10, 11));
                    l1(bid, ask).map_err(|problem| found.push(problem)).ok()
                }
                Ok("candle") => match &candle_columns {
                    Ok(extra) => {
                        let close = note(6, cells.number(6, Role::Price));
                        let volume = note(7, cells.number(7, Role::Amount));
                        let more = Row {
                            columns: extra,
                            row,
                        };
                        let [open, high, low] = [0, 1, 2].map(|at| {
                            more.number(at, Role::Price).map_err(|problem| {
                                found.push(format!("{}: {problem}", CANDLE_COLUMNS[at]))
                            })
                        });
                        let trades = more.count(3).map_err(|problem| {
                            found.push(format!("trades: {problem}"));
                        });
                        match (open, high, low, trades) {
                            (Ok(open), Ok(high), Ok(low), Ok(trades)) => {
                                candle([open, high, low, close], volume, trades)
                                    .map_err(|problems| found.extend(problems))
                                    .ok()
                            }
                            _ => None,
                        }
                    }
                    Err(problem) => {
                        found.push(problem.clone());
                        None
                    }
                },
                Ok("reconnecting") => Some(Kind::Reconnecting),
                Ok(other) => {
                    found.push(format!("kind: must be one of {KINDS:?}, got {other:?}"));
                    None
                }
                Err(problem) => {
                    found.push(format!("kind: {problem}"));
                    None
                }
            };
            let data = !matches!(kind, Some(Kind::Reconnecting) | None);
            let origin = cells.origin(data, &mut found);
            match (origin, kind) {
                (Some((exchange, instrument, time_exchange, time_received)), Some(kind))
                    if found.is_empty() =>
                {
                    let instrument = instrument.map_or(u32::MAX, |name| {
                        builder.key((exchange, InstrumentNameInternal::new(name)))
                    });
                    builder.push(Event {
                        time_exchange,
                        time_received,
                        exchange,
                        instrument,
                        kind,
                    });
                }
                _ => {
                    for problem in found {
                        problems.add(format_args!("row {row}"), problem);
                    }
                }
            }
        }
        finish(builder, problems)
    }
}

/// The columns of L2 rows: `side`, `price`, `amount`, `is_snapshot` (`L2_SIDE`..), and the
/// optional `message` and `sequence`.
struct L2Rows<'a> {
    columns: Vec<&'a Column>,
    message: Option<&'a Column>,
    sequence: Option<&'a Column>,
}

const L2_SIDE: usize = 0;
const L2_PRICE: usize = 1;
const L2_AMOUNT: usize = 2;
const L2_SNAPSHOT: usize = 3;

impl<'a> L2Rows<'a> {
    fn new(
        input: &'a Columns,
        side: &'static str,
        price: &'static str,
        amount: &'static str,
    ) -> Result<Self, Failure> {
        Ok(L2Rows {
            columns: input.get(&[side, price, amount, "is_snapshot"])?,
            message: input.columns.get("message"),
            sequence: input.columns.get("sequence"),
        })
    }

    fn row(&self, row: usize) -> Row<'_> {
        Row {
            columns: &self.columns,
            row,
        }
    }

    /// Whether row `next` is of the message `first` starts: the same `message` value, or
    /// without that column, `same` (the same times and flag).
    fn together(&self, first: usize, next: usize, same: impl Fn(usize, usize) -> bool) -> bool {
        match self.message {
            Some(Column::Integer(values)) => values[first] == values[next],
            _ => {
                same(first, next)
                    && self.row(first).integer(L2_SNAPSHOT) == self.row(next).integer(L2_SNAPSHOT)
            }
        }
    }

    /// The message of `rows`: its flag, sequence and levels, or each problem with its row. A
    /// message of one row whose side, price and amount are null has no level.
    fn message(&self, rows: std::ops::Range<usize>) -> Result<book::Message, Vec<(usize, String)>> {
        let first = self.row(rows.start);
        let mut problems = Vec::new();
        let snapshot = first.integer(L2_SNAPSHOT).and_then(|flag| match flag {
            0 | 1 => Ok(flag == 1),
            other => Err(format!("must be true or false, got {other}")),
        });
        let snapshot = snapshot
            .map_err(|why| problems.push((rows.start, format!("is_snapshot: {why}"))))
            .unwrap_or(false);
        let sequence = match self.sequence {
            Some(column) if !first.is_null_in(column) => match column {
                Column::Integer(values) if values[rows.start] >= 0 => values[rows.start] as u64,
                _ => {
                    problems.push((rows.start, "sequence: must be an integer >= 0".to_string()));
                    0
                }
            },
            _ => 0,
        };
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        let empty = rows.len() == 1
            && [L2_SIDE, L2_PRICE, L2_AMOUNT]
                .iter()
                .all(|at| first.is_null(*at));
        for row in rows.clone().filter(|_| !empty) {
            let cells = self.row(row);
            if cells
                .integer(L2_SNAPSHOT)
                .is_ok_and(|flag| (flag == 1) != snapshot)
            {
                problems.push((
                    row,
                    "is_snapshot: differs from the message's first row".to_string(),
                ));
            }
            let side = cells.text(L2_SIDE).and_then(BookSide::parse);
            let price = cells.number(L2_PRICE, crate::market::Role::Price);
            let amount = cells.number(L2_AMOUNT, crate::market::Role::Amount);
            match (side, price, amount) {
                (Ok(side), Ok(price), Ok(amount)) => {
                    let level = BookLevel { price, amount };
                    match side {
                        BookSide::Bid => bids.push(level),
                        BookSide::Ask => asks.push(level),
                    }
                }
                (side, price, amount) => {
                    for (field, problem) in [
                        ("side", side.err()),
                        ("price", price.err()),
                        ("amount", amount.err()),
                    ] {
                        if let Some(problem) = problem {
                            problems.push((row, format!("{field}: {problem}")));
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok((snapshot, sequence, bids, asks))
        } else {
            Err(problems)
        }
    }
}

/// A message read (or its problems) into `builder` at `time_exchange`, `time_received`.
fn add_message(
    builder: &mut Builder,
    problems: &mut Problems,
    message: Result<book::Message, Vec<(usize, String)>>,
    first: usize,
    (time_exchange, time_received, key): (i64, i64, u32),
) {
    let added = message.and_then(|(snapshot, sequence, bids, asks)| {
        builder
            .l2(
                time_exchange,
                time_received,
                key,
                snapshot,
                sequence,
                &bids,
                &asks,
            )
            .map_err(|why| vec![(first, why)])
    });
    for (row, problem) in added.err().into_iter().flatten() {
        problems.add(format_args!("row {row}"), problem);
    }
}

fn finish(builder: Builder, problems: Problems) -> Result<MarketData, Failure> {
    problems.check()?;
    if !builder.has_data() {
        return Err(super::no_events("table"));
    }
    Ok(builder.finish())
}

struct Row<'a> {
    columns: &'a [&'a Column],
    row: usize,
}

impl<'a> Row<'a> {
    /// An events row's exchange, instrument (a data event's) and times, or `None` with
    /// each problem added to `found`.
    fn origin(
        &self,
        data: bool,
        found: &mut Vec<String>,
    ) -> Option<(ExchangeId, Option<&'a str>, i64, i64)> {
        let exchange = self
            .text(2)
            .and_then(|text| {
                crate::bind::enums::parse_serde::<ExchangeId>(text)
                    .ok_or_else(|| format!("not a barter ExchangeId, got {text:?}"))
            })
            .map_err(|problem| found.push(format!("exchange: {problem}")));
        let instrument = if data {
            self.text(3)
                .map(Some)
                .map_err(|problem| found.push(format!("instrument: {problem}")))
        } else {
            Ok(None)
        };
        let [time_exchange, time_received] = [0, 1].map(|at| {
            self.time(at)
                .map_err(|problem| found.push(format!("{}: {problem}", EVENT_COLUMNS[at])))
        });
        Some((
            exchange.ok()?,
            instrument.ok()?,
            time_exchange.ok()?,
            time_received.ok()?,
        ))
    }

    fn integer(&self, at: usize) -> Result<i64, String> {
        match self.columns[at] {
            Column::Integer(values) if values[self.row] != NULL_TIME => Ok(values[self.row]),
            Column::Integer(_) => Err("missing, got null".into()),
            _ => Err("must be an integer column".into()),
        }
    }

    fn is_null_in(&self, column: &Column) -> bool {
        Row {
            columns: &[column],
            row: self.row,
        }
        .is_null(0)
    }

    /// A whole number `>= 0` from a number column (a candle's trade count).
    fn count(&self, at: usize) -> Result<u64, String> {
        match self.columns[at] {
            Column::Number(values) => {
                let value = values[self.row];
                let whole = value >= 0.0 && value.fract() == 0.0 && value < u64::MAX as f64;
                whole
                    .then_some(value as u64)
                    .ok_or_else(|| format!("must be a whole number >= 0, got {value}"))
            }
            _ => Err("must be a number column".into()),
        }
    }

    fn is_null(&self, at: usize) -> bool {
        match self.columns[at] {
            Column::Time(values) | Column::Integer(values) => values[self.row] == NULL_TIME,
            Column::Number(values) => values[self.row].is_nan(),
            Column::Text(codes, labels) => {
                codes[self.row] < 0 || labels[codes[self.row] as usize].is_none()
            }
        }
    }

    fn text(&self, at: usize) -> Result<&'a str, String> {
        match self.columns[at] {
            Column::Text(codes, labels) if codes[self.row] >= 0 => labels[codes[self.row] as usize]
                .as_deref()
                .ok_or_else(|| "missing, got null".to_string()),
            Column::Text(..) => Err("missing, got null".into()),
            _ => Err("must be a text column".into()),
        }
    }
}

impl Cells for Row<'_> {
    fn time(&self, at: usize) -> Result<i64, String> {
        match self.columns[at] {
            Column::Time(values) if values[self.row] != NULL_TIME => Ok(values[self.row]),
            Column::Time(_) => Err("missing, got null".into()),
            _ => Err("must be a timestamp column".into()),
        }
    }

    fn number(&self, at: usize, role: Role) -> Result<f64, String> {
        match self.columns[at] {
            Column::Number(values) if values[self.row].is_nan() => Err("missing, got null".into()),
            Column::Number(values) => {
                let value = values[self.row];
                market::checked(value, role).map_err(|problem| format!("{problem}, got {value}"))
            }
            _ => Err("must be a number column".into()),
        }
    }

    /// A null side is a trade without an aggressor side.
    fn side(&self, at: usize) -> Result<Option<Side>, String> {
        if self.is_null(at) {
            return Ok(None);
        }
        self.text(at).and_then(table::side)
    }
}

/// Arrow's validity bitmap (least significant bit first) of `valid`.
fn validity(valid: impl Iterator<Item = bool>, length: usize) -> Vec<u8> {
    let mut bits = vec![0u8; length.div_ceil(8)];
    for (at, valid) in valid.enumerate() {
        if valid {
            bits[at / 8] |= 1 << (at % 8);
        }
    }
    bits
}

/// One row of `to_arrow`: an event, and for an L2 event one of its levels (an L2 event
/// without levels is one row with none).
struct Out<'a> {
    event: &'a Event,
    message: usize,
    level: Option<(BookSide, BookLevel)>,
}

/// `to_arrow`'s rows: one per event, one per level of an L2 event.
fn rows(data: &MarketData) -> Vec<Out<'_>> {
    let mut rows = Vec::with_capacity(data.events().len() + data.levels().len());
    for (message, event) in data.events().iter().enumerate() {
        let Kind::L2 { levels, .. } = event.kind else {
            rows.push(Out {
                event,
                message,
                level: None,
            });
            continue;
        };
        let (bids, asks) = levels.sides(data.levels());
        let sided = |side| move |level: &BookLevel| (side, *level);
        let levels = bids
            .iter()
            .map(sided(BookSide::Bid))
            .chain(asks.iter().map(sided(BookSide::Ask)));
        let before = rows.len();
        rows.extend(levels.map(|level| Out {
            event,
            message,
            level: Some(level),
        }));
        if rows.len() == before {
            rows.push(Out {
                event,
                message,
                level: None,
            });
        }
    }
    rows
}

/// `to_arrow`'s columns: name -> (data, validity bitmap or None, labels or None).
pub fn export<'py>(py: Python<'py>, data: &MarketData) -> PyResult<Bound<'py, PyDict>> {
    let rows = rows(data);
    let length = rows.len();
    let out = PyDict::new(py);
    let put = |name: &str,
               data: Vec<u8>,
               valid: Option<Vec<u8>>,
               labels: Option<Vec<&str>>|
     -> PyResult<()> {
        let valid = valid.map(|bits| PyBytes::new(py, &bits));
        out.set_item(name, (PyBytes::new(py, &data), valid, labels))
    };
    let words =
        |value: &dyn Fn(&Out) -> [u8; 8]| -> Vec<u8> { rows.iter().flat_map(value).collect() };
    put(
        "time_exchange",
        words(&|r| r.event.time_exchange.to_le_bytes()),
        None,
        None,
    )?;
    put(
        "time_received",
        words(&|r| r.event.time_received.to_le_bytes()),
        None,
        None,
    )?;

    let mut exchanges: Vec<ExchangeId> = data.events().iter().map(|e| e.exchange).collect();
    exchanges.sort_unstable();
    exchanges.dedup();
    let code = |exchange| exchanges.binary_search(&exchange).unwrap_or(0) as i32;
    let codes = |value: &dyn Fn(&Out) -> i32| -> Vec<u8> {
        rows.iter().flat_map(|r| value(r).to_le_bytes()).collect()
    };
    let valid = |value: &dyn Fn(&Out) -> bool| validity(rows.iter().map(value), length);
    put(
        "exchange",
        codes(&|r| code(r.event.exchange)),
        None,
        Some(exchanges.iter().map(|e| e.as_str()).collect()),
    )?;

    // The same name on two exchanges is one label.
    let mut names: Vec<&str> = data
        .instruments()
        .iter()
        .map(|(_, n)| n.name().as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let name_code: Vec<i32> = data
        .instruments()
        .iter()
        .map(|(_, n)| names.binary_search(&n.name().as_str()).unwrap_or(0) as i32)
        .collect();
    let is_data = |r: &Out| r.event.kind != Kind::Reconnecting;
    put(
        "instrument",
        codes(&|r| {
            if is_data(r) {
                name_code[r.event.instrument as usize]
            } else {
                0
            }
        }),
        Some(valid(&is_data)),
        Some(names),
    )?;
    put(
        "kind",
        codes(&|r| match r.event.kind {
            Kind::Trade { .. } => 0,
            Kind::L1 { .. } => 1,
            Kind::Candle { .. } => 2,
            Kind::Reconnecting => 3,
            Kind::L2 { .. } => 4,
        }),
        None,
        Some(KINDS.to_vec()),
    )?;
    let side = |r: &Out| match (r.event.kind, r.level) {
        (
            Kind::Trade {
                side: Some(Side::Buy),
                ..
            },
            _,
        ) => Some(0),
        (
            Kind::Trade {
                side: Some(Side::Sell),
                ..
            },
            _,
        ) => Some(1),
        (_, Some((BookSide::Bid, _))) => Some(2),
        (_, Some((BookSide::Ask, _))) => Some(3),
        _ => None,
    };
    put(
        "side",
        codes(&|r| side(r).unwrap_or(0)),
        Some(valid(&|r| side(r).is_some())),
        Some(SIDES.to_vec()),
    )?;
    // A candle's close and volume are its `price` and `amount`, an L2 row's its level's.
    let price_amount = |r: &Out| match (r.event.kind, r.level) {
        (Kind::Trade { price, amount, .. }, _) => Some((price, amount)),
        (Kind::Candle { close, volume, .. }, _) => Some((close, volume)),
        (_, Some((_, level))) => Some((level.price, level.amount)),
        _ => None,
    };
    let bar = |r: &Out| match r.event.kind {
        Kind::Candle {
            open,
            high,
            low,
            trades,
            ..
        } => Some([open, high, low, trades.into()]),
        _ => None,
    };
    let level = |r: &Out, bid: bool| match r.event.kind {
        Kind::L1 { bid: b, ask: a } => (if bid { b } else { a }).get(),
        _ => None,
    };
    type Value<'a> = &'a dyn Fn(&Out) -> Option<f64>;
    let numbers: [(&str, Value); 10] = [
        ("price", &|r| price_amount(r).map(|t| t.0)),
        ("amount", &|r| price_amount(r).map(|t| t.1)),
        ("bid_price", &|r| level(r, true).map(|l| l.0)),
        ("bid_amount", &|r| level(r, true).map(|l| l.1)),
        ("ask_price", &|r| level(r, false).map(|l| l.0)),
        ("ask_amount", &|r| level(r, false).map(|l| l.1)),
        ("open", &|r| bar(r).map(|b| b[0])),
        ("high", &|r| bar(r).map(|b| b[1])),
        ("low", &|r| bar(r).map(|b| b[2])),
        ("trades", &|r| bar(r).map(|b| b[3])),
    ];
    for (name, value) in numbers {
        let data = words(&|r| value(r).unwrap_or(0.0).to_le_bytes());
        put(name, data, Some(valid(&|r| value(r).is_some())), None)?;
    }
    // An L2 row's flag (a bitmap: Arrow's booleans), message (the event's index) and sequence.
    let l2 = |r: &Out| match r.event.kind {
        Kind::L2 {
            snapshot, sequence, ..
        } => Some((snapshot, sequence)),
        _ => None,
    };
    let is_l2 = |r: &Out| l2(r).is_some();
    put(
        "is_snapshot",
        validity(
            rows.iter()
                .map(|r| l2(r).is_some_and(|(snapshot, _)| snapshot)),
            length,
        ),
        Some(valid(&is_l2)),
        None,
    )?;
    put(
        "message",
        words(&|r| (r.message as i64).to_le_bytes()),
        Some(valid(&is_l2)),
        None,
    )?;
    put(
        "sequence",
        words(&|r| l2(r).map_or(0, |(_, sequence)| sequence).to_le_bytes()),
        Some(valid(&is_l2)),
        None,
    )?;
    Ok(out)
}
