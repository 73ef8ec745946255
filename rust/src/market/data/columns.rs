//! Columns in and out (the Python layer turns them into Arrow arrays and back): numbers and
//! times travel as whole buffers, text as integer codes into a small list of labels, so no
//! Python object is made per row.

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
const KINDS: [&str; 4] = ["trade", "l1", "candle", "reconnecting"];
const SIDES: [&str; 2] = ["Buy", "Sell"];

enum Column {
    Time(Vec<i64>),
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
            } else if let Some(labels) = labels.get_item(&name)? {
                Column::Text(
                    PyBuffer::<i32>::get(&buffer)?.to_vec(py)?,
                    labels.extract()?,
                )
            } else {
                Column::Number(PyBuffer::<f64>::get(&buffer)?.to_vec(py)?)
            };
            let count = match &column {
                Column::Time(values) => values.len(),
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
        let mut builder = Builder::default();
        let mut problems = Problems::new("table");
        for row in 0..self.length {
            let cells = row_of(row);
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
                        Side::Buy
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
            let exchange = cells
                .text(2)
                .and_then(|text| {
                    crate::bind::enums::parse_serde::<ExchangeId>(text)
                        .ok_or_else(|| format!("not a barter ExchangeId, got {text:?}"))
                })
                .map_err(|problem| found.push(format!("exchange: {problem}")));
            let instrument = match kind {
                Some(Kind::Reconnecting) | None => None,
                Some(_) => cells
                    .text(3)
                    .map_err(|problem| found.push(format!("instrument: {problem}")))
                    .ok(),
            };
            let [time_exchange, time_received] = [0, 1].map(|at| {
                cells
                    .time(at)
                    .map_err(|problem| found.push(format!("{}: {problem}", EVENT_COLUMNS[at])))
            });
            match (exchange, time_exchange, time_received, kind) {
                (Ok(exchange), Ok(time_exchange), Ok(time_received), Some(kind))
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

impl Row<'_> {
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
            Column::Time(values) => values[self.row] == NULL_TIME,
            Column::Number(values) => values[self.row].is_nan(),
            Column::Text(codes, labels) => {
                codes[self.row] < 0 || labels[codes[self.row] as usize].is_none()
            }
        }
    }

    fn text(&self, at: usize) -> Result<&str, String> {
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

    fn side(&self, at: usize) -> Result<Side, String> {
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

/// `to_arrow`'s columns: name -> (data, validity bitmap or None, labels or None).
pub fn export<'py>(py: Python<'py>, data: &MarketData) -> PyResult<Bound<'py, PyDict>> {
    let events = data.events();
    let length = events.len();
    let out = PyDict::new(py);
    let bytes =
        |values: &mut dyn Iterator<Item = [u8; 8]>| -> Vec<u8> { values.flatten().collect() };
    let put = |name: &str,
               data: Vec<u8>,
               valid: Option<Vec<u8>>,
               labels: Option<Vec<&str>>|
     -> PyResult<()> {
        let valid = valid.map(|bits| PyBytes::new(py, &bits));
        out.set_item(name, (PyBytes::new(py, &data), valid, labels))
    };
    for (name, time) in [
        (
            "time_exchange",
            (|e: &Event| e.time_exchange) as fn(&Event) -> i64,
        ),
        ("time_received", |e: &Event| e.time_received),
    ] {
        put(
            name,
            bytes(&mut events.iter().map(|e| time(e).to_le_bytes())),
            None,
            None,
        )?;
    }

    let mut exchanges: Vec<ExchangeId> = events.iter().map(|e| e.exchange).collect();
    exchanges.sort_unstable();
    exchanges.dedup();
    let code = |exchange| exchanges.binary_search(&exchange).unwrap_or(0) as i32;
    let codes = |values: &mut dyn Iterator<Item = i32>| -> Vec<u8> {
        values.flat_map(i32::to_le_bytes).collect()
    };
    put(
        "exchange",
        codes(&mut events.iter().map(|e| code(e.exchange))),
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
    let is_data = |e: &Event| e.kind != Kind::Reconnecting;
    put(
        "instrument",
        codes(&mut events.iter().map(|e| {
            if is_data(e) {
                name_code[e.instrument as usize]
            } else {
                0
            }
        })),
        Some(validity(events.iter().map(is_data), length)),
        Some(names),
    )?;
    put(
        "kind",
        codes(&mut events.iter().map(|e| match e.kind {
            Kind::Trade { .. } => 0,
            Kind::L1 { .. } => 1,
            Kind::Candle { .. } => 2,
            Kind::Reconnecting => 3,
        })),
        None,
        Some(KINDS.to_vec()),
    )?;
    let trade = |e: &Event| match e.kind {
        Kind::Trade {
            price,
            amount,
            side,
        } => Some((price, amount, side)),
        _ => None,
    };
    let is_trade = |e: &Event| trade(e).is_some();
    // A candle's close and volume are its `price` and `amount`.
    let price_amount = |e: &Event| match e.kind {
        Kind::Trade { price, amount, .. } => Some((price, amount)),
        Kind::Candle { close, volume, .. } => Some((close, volume)),
        _ => None,
    };
    let bar = |e: &Event| match e.kind {
        Kind::Candle {
            open,
            high,
            low,
            trades,
            ..
        } => Some([open, high, low, trades.into()]),
        _ => None,
    };
    put(
        "side",
        codes(&mut events.iter().map(|e| match trade(e) {
            Some((_, _, Side::Sell)) => 1,
            _ => 0,
        })),
        Some(validity(events.iter().map(is_trade), length)),
        Some(SIDES.to_vec()),
    )?;
    let number = |value: &dyn Fn(&Event) -> Option<f64>| -> (Vec<u8>, Vec<u8>) {
        let data = events
            .iter()
            .flat_map(|e| value(e).unwrap_or(0.0).to_le_bytes())
            .collect();
        (
            data,
            validity(events.iter().map(|e| value(e).is_some()), length),
        )
    };
    let level = |e: &Event, bid: bool| match e.kind {
        Kind::L1 { bid: b, ask: a } => (if bid { b } else { a }).get(),
        _ => None,
    };
    type Value<'a> = &'a dyn Fn(&Event) -> Option<f64>;
    let numbers: [(&str, Value); 10] = [
        ("price", &|e| price_amount(e).map(|t| t.0)),
        ("amount", &|e| price_amount(e).map(|t| t.1)),
        ("bid_price", &|e| level(e, true).map(|l| l.0)),
        ("bid_amount", &|e| level(e, true).map(|l| l.1)),
        ("ask_price", &|e| level(e, false).map(|l| l.0)),
        ("ask_amount", &|e| level(e, false).map(|l| l.1)),
        ("open", &|e| bar(e).map(|b| b[0])),
        ("high", &|e| bar(e).map(|b| b[1])),
        ("low", &|e| bar(e).map(|b| b[2])),
        ("trades", &|e| bar(e).map(|b| b[3])),
    ];
    for (name, value) in numbers {
        let (data, valid) = number(value);
        put(name, data, Some(valid), None)?;
    }
    Ok(out)
}
