//! A book read from CSV natively: each row becomes the snapshot's native form
//! (`InstrumentInput`) without a Python object per row, checked by the rules the Pydantic
//! models call (`decimal::Sign`, `enums::Table::lookup`, barter's lowercased names), and every
//! problem of the file reported at once, `file:line: column: what, got value`, in the words the
//! models use (`barter_python.book_file` words the JSON path's problems the same way).

use crate::bind::classes::Class;
use crate::bind::decimal::{self, Sign};
use crate::bind::enums::{Mirrored, Table};
use crate::book::snapshot::{InstrumentInput, PositionInput, Spec};
use barter_instrument::{exchange::ExchangeId, Side};
use fnv::FnvHashMap;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rust_decimal::Decimal;
use smol_str::SmolStr;

/// The columns of a CSV book, in the order `--print-sample csv` writes them.
pub const COLUMNS: [&str; 8] = [
    "exchange",
    "instrument",
    "base",
    "quote",
    "price",
    "side",
    "quantity",
    "price_entry_average",
];
/// A flatten needs no entry price: a CSV may leave the column out.
const OPTIONAL: [&str; 1] = ["price_entry_average"];

/// Validated snapshots held natively, with the line each was read from.
#[pyclass(module = "barter_python._native", name = "BookRows", frozen)]
pub struct PyBookRows {
    pub inputs: Vec<InstrumentInput>,
    pub lines: Vec<usize>,
}

#[pymethods]
impl PyBookRows {
    fn __len__(&self) -> usize {
        self.inputs.len()
    }

    /// The line (from 1) each row starts on.
    #[getter]
    fn lines(&self) -> Vec<usize> {
        self.lines.clone()
    }

    /// The rows as `InstrumentSnapshot`s: constructed, not validated again (they passed the
    /// models' rules when read).
    fn snapshots<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let instrument = Class::InstrumentSnapshot
            .get(py)?
            .getattr("model_construct")?;
        let spec = Class::InstrumentSpec.get(py)?.getattr("model_construct")?;
        let position = Class::PositionSnapshot
            .get(py)?
            .getattr("model_construct")?;
        let snapshots = self.inputs.iter().map(|input| {
            let fields = PyDict::new(py);
            fields.set_item("exchange", crate::bind::enums::Enum(input.exchange))?;
            fields.set_item("instrument", input.instrument.as_str())?;
            fields.set_item("base", input.base.as_str())?;
            fields.set_item("quote", input.quote.as_str())?;
            fields.set_item("price", input.price)?;
            let held = match &input.position {
                None => py.None().into_bound(py),
                Some(held) => {
                    let kwargs = PyDict::new(py);
                    kwargs.set_item("instrument", held.instrument.as_str())?;
                    kwargs.set_item("side", crate::bind::enums::Enum(held.side))?;
                    kwargs.set_item("quantity", held.quantity)?;
                    kwargs.set_item("price_entry_average", held.price_entry_average)?;
                    position.call((), Some(&kwargs))?
                }
            };
            fields.set_item("position", held)?;
            let rules = match &input.spec {
                None => py.None().into_bound(py),
                Some(rules) => {
                    let kwargs = PyDict::new(py);
                    kwargs.set_item("tick_size", rules.tick_size)?;
                    kwargs.set_item("lot_size", rules.lot_size)?;
                    kwargs.set_item("min_notional", rules.min_notional)?;
                    spec.call((), Some(&kwargs))?
                }
            };
            fields.set_item("spec", rules)?;
            instrument.call((), Some(&fields))
        });
        PyList::new(py, snapshots.collect::<PyResult<Vec<_>>>()?)
    }
}

/// barter's internal form of a name (`InstrumentNameInternal`, `AssetNameInternal`): lowercased
/// as barter lowercases it. The snapshot models use it too, so every path agrees.
#[pyfunction]
pub fn internal_name(name: &str) -> String {
    name.to_lowercase()
}

/// Python's `str.strip()`: Unicode whitespace and the separators `\x1c`..`\x1f`.
fn strip(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Where each column sits in the header (`None`: the optional column left out), or why the
/// header is refused.
fn header_positions(
    source: &str,
    header: &csv::StringRecord,
) -> Result<[Option<usize>; 8], String> {
    let names: Vec<&str> = header.iter().map(strip).collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !names.contains(c) && !OPTIONAL.contains(c))
        .copied()
        .collect();
    let unknown: Vec<&str> = names
        .iter()
        .filter(|c| !COLUMNS.contains(c))
        .copied()
        .collect();
    let mut repeated: Vec<&str> = names
        .iter()
        .filter(|c| names.iter().filter(|n| n == c).count() > 1)
        .copied()
        .collect();
    repeated.sort_unstable();
    repeated.dedup();
    if missing.is_empty() && unknown.is_empty() && repeated.is_empty() {
        return Ok(COLUMNS.map(|column| names.iter().position(|n| *n == column)));
    }
    let mut message = format!("{source}:1: CSV header must be {}", COLUMNS.join(","));
    for (what, list) in [
        ("missing", missing),
        ("unknown", unknown),
        ("repeated", repeated),
    ] {
        if !list.is_empty() {
            message += &format!("; {what}: {}", list.join(", "));
        }
    }
    Err(message)
}

/// One row's problems, each `column: what, got value`.
struct Problems<'py> {
    py: Python<'py>,
    found: Vec<String>,
}

impl Problems<'_> {
    fn required(&mut self, column: &str) {
        self.found.push(format!("{column}: Field required"));
    }

    /// A refusal in the models' words; the value is echoed unless the message does already.
    fn refused(&mut self, column: &str, message: &str, cell: &str) {
        let mut problem = format!("{column}: {message}");
        if !message.contains(", got ") {
            let repr = PyString::new(self.py, cell).repr();
            problem += &format!(", got {}", repr.map(|r| r.to_string()).unwrap_or_default());
        }
        self.found.push(problem);
    }

    fn name(&mut self, column: &str, cell: Option<&str>) -> Option<SmolStr> {
        match cell {
            None => self.required(column),
            Some(name) => return Some(SmolStr::new(internal_name(name))),
        }
        None
    }

    fn member<T: Mirrored>(&mut self, column: &str, cell: Option<&str>) -> Option<T> {
        let cell = cell.or_else(|| {
            self.required(column);
            None
        })?;
        let table = match Table::<T>::get(self.py) {
            Ok(table) => table,
            Err(err) => {
                self.refused(column, &err.to_string(), cell);
                return None;
            }
        };
        let value = table.lookup(cell);
        if value.is_none() {
            self.refused(column, &table.expected(), cell);
        }
        value
    }

    /// A money cell: plain decimal text is read here; any other text, and every refusal, goes
    /// through the models' own rule, so that both read and word it alike.
    fn amount(&mut self, column: &str, cell: &str, sign: Sign) -> Option<Decimal> {
        if let Some(Ok(value)) = decimal::plain(cell) {
            if let Ok(value) = sign.check(value) {
                return Some(value);
            }
        }
        match sign.extract(&PyString::new(self.py, cell)) {
            Ok(value) => Some(value),
            Err(err) => {
                self.refused(column, &err.value(self.py).to_string(), cell);
                None
            }
        }
    }
}

/// One row (`cells` by column, stripped, empty as `None`) as a snapshot, or its problems.
fn row(py: Python<'_>, cells: [Option<&str>; 8]) -> Result<InstrumentInput, Vec<String>> {
    let [exchange, instrument, base, quote, price, side, quantity, entry] = cells;
    let mut problems = Problems {
        py,
        found: Vec::new(),
    };
    let exchange = problems.member::<ExchangeId>("exchange", exchange);
    let instrument = problems.name("instrument", instrument);
    let base = problems.name("base", base);
    let quote = problems.name("quote", quote);
    let price = price.map(|cell| problems.amount("price", cell, Sign::Positive));
    // Empty side, quantity (and entry price) mean no position.
    let position = (side.is_some() || quantity.is_some() || entry.is_some()).then(|| {
        let side = problems.member::<Side>("side", side);
        let quantity = match quantity {
            None => {
                problems.required("quantity");
                None
            }
            Some(cell) => problems.amount("quantity", cell, Sign::NonNegative),
        };
        let entry = match entry {
            None => Some(Decimal::ZERO),
            Some(cell) => problems.amount("price_entry_average", cell, Sign::NonNegative),
        };
        (side, quantity, entry)
    });
    // Every field read means every field present: each absence or refusal is a problem.
    let read = || {
        let instrument = instrument?;
        let position = match position {
            None => None,
            Some((side, quantity, entry)) => Some(PositionInput {
                instrument: instrument.clone(),
                side: side?,
                quantity: quantity?,
                price_entry_average: entry?,
            }),
        };
        Some(InstrumentInput {
            exchange: exchange?,
            instrument,
            base: base?,
            quote: quote?,
            price: price.map_or(Some(None), |price| price.map(Some))?,
            position,
            spec: None,
        })
    };
    match read() {
        Some(input) if problems.found.is_empty() => Ok(input),
        _ => Err(problems.found),
    }
}

/// The rows of CSV `text` read from `source`; raises `BookError` naming every problem found
/// (`file:line: column: what`), in line order.
#[pyfunction]
pub fn read_csv(py: Python<'_>, source: &str, text: &str) -> PyResult<PyBookRows> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(header) => header.map_err(|err| book_error(py, source, vec![err.to_string()]))?,
        None => {
            return Err(book_error(
                py,
                source,
                vec![format!("{source}: empty input")],
            ))
        }
    };
    let positions = header_positions(source, &header)
        .map_err(|message| book_error(py, source, vec![message]))?;
    // Sized once for the lines there are: a large book's rows are not copied as they grow.
    let rows_at_most = text.bytes().filter(|b| *b == b'\n').count() + 1;
    let mut reading = Reading::with_capacity(rows_at_most);
    let mut problems = Vec::new();
    // Lines are counted here, from the record's first byte: the reader's own count leaves out
    // the blank lines it skips. A lone `\r` ends a line too, as it ends a record.
    let (bytes, mut counted, mut line) = (text.as_bytes(), 0, 1);
    for record in records {
        let record = record.map_err(|err| book_error(py, source, vec![err.to_string()]))?;
        let mut start = record.position().map_or(counted, |p| p.byte() as usize);
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        line += line_breaks(&bytes[counted..start], bytes.get(start).copied());
        counted = start;
        let at = format!("{source}:{line}: ");
        if record.len() != header.len() {
            let kind = if record.len() < header.len() {
                "missing cells"
            } else {
                "extra cells"
            };
            problems.push(format!(
                "{at}{} fields, the header has {} ({kind})",
                record.len(),
                header.len()
            ));
            continue;
        }
        let cells = positions.map(|column| {
            let cell = column.and_then(|column| record.get(column)).map(strip);
            cell.filter(|cell| !cell.is_empty())
        });
        match row(py, cells) {
            Err(found) => problems.extend(found.into_iter().map(|p| format!("{at}{p}"))),
            Ok(input) => {
                if let Some(repeat) = reading.push(input, line) {
                    problems.push(format!("{at}{repeat}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(reading.rows)
    } else {
        Err(book_error(py, source, problems))
    }
}

/// The line (from 1) each item of a JSON text's top-level array starts on, for text Python's
/// `json` has parsed into an array (anything else gives what it gives: the caller checks).
#[pyfunction]
pub fn json_item_lines(text: &str) -> Vec<usize> {
    let (mut lines, mut line, mut depth) = (Vec::new(), 1, 0usize);
    let (mut in_string, mut escaped, mut expecting) = (false, false, false);
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            if byte == b'\n' {
                line += 1;
            }
            continue;
        }
        match byte {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => {
                if expecting && byte != b']' {
                    lines.push(line);
                }
                expecting = false;
                match byte {
                    b'"' => in_string = true,
                    b'[' | b'{' => {
                        depth += 1;
                        expecting = depth == 1;
                    }
                    b']' | b'}' => depth = depth.saturating_sub(1),
                    b',' => expecting = depth == 1,
                    _ => {}
                }
            }
        }
    }
    lines
}

/// The fields of a snapshot item and of its position, as the models declare them.
const FIELDS: [&str; 7] = [
    "exchange",
    "instrument",
    "base",
    "quote",
    "price",
    "position",
    "spec",
];
const POSITION_FIELDS: [&str; 4] = ["instrument", "side", "quantity", "price_entry_average"];
const SPEC_FIELDS: [&str; 3] = ["tick_size", "lot_size", "min_notional"];

/// The items of a JSON book (the objects Python's `json` made, `lines` the line each starts
/// on) as rows, by the models' rules. Returns the rows of the items accepted, the positions of
/// the items refused (the model words their problems), and each repeated instrument's position
/// with the line of its first appearance.
#[pyfunction]
pub fn read_items(
    items: &Bound<'_, PyList>,
    lines: Vec<usize>,
) -> PyResult<(PyBookRows, Vec<usize>, Vec<(usize, String)>)> {
    if lines.len() != items.len() {
        return Err(PyValueError::new_err(format!(
            "{} lines for {} items",
            lines.len(),
            items.len()
        )));
    }
    let mut reading = Reading::with_capacity(items.len());
    let (mut refused, mut repeated) = (Vec::new(), Vec::new());
    for (at, (object, line)) in items.iter().zip(lines).enumerate() {
        let Some(input) = item(&object)? else {
            refused.push(at);
            continue;
        };
        if let Some(repeat) = reading.push(input, line) {
            repeated.push((at, repeat));
        }
    }
    Ok((reading.rows, refused, repeated))
}

/// Rows being read, and the line each instrument first appeared on: barter keys an instrument
/// by exchange and (lowercased) name, so a repeat is an error.
struct Reading {
    rows: PyBookRows,
    first_line: FnvHashMap<(ExchangeId, SmolStr), usize>,
}

impl Reading {
    fn with_capacity(rows: usize) -> Self {
        Self {
            rows: PyBookRows {
                inputs: Vec::with_capacity(rows),
                lines: Vec::with_capacity(rows),
            },
            first_line: FnvHashMap::with_capacity_and_hasher(rows, Default::default()),
        }
    }

    /// Add a row read from `line`; if its instrument appeared before, why that is a problem.
    fn push(&mut self, input: InstrumentInput, line: usize) -> Option<String> {
        let key = (input.exchange, input.instrument.clone());
        let repeat = match self.first_line.get(&key) {
            Some(first) => Some(format!(
                "instrument '{}' on exchange '{}' appears again (first on line {first})",
                key.1,
                key.0.as_str()
            )),
            None => {
                self.first_line.insert(key, line);
                None
            }
        };
        self.rows.inputs.push(input);
        self.rows.lines.push(line);
        repeat
    }
}

/// An object's fields if it is a `dict` whose keys are all among `fields`.
fn fields<'py>(object: &Bound<'py, PyAny>, fields: &[&str]) -> Option<Bound<'py, PyDict>> {
    let dict = object.cast::<PyDict>().ok()?;
    let known = |key: Bound<'py, PyAny>| {
        let key = key.cast_into::<PyString>().ok()?;
        fields.contains(&key.to_cow().ok()?.as_ref()).then_some(())
    };
    dict.keys().into_iter().try_for_each(known)?;
    Some(dict.clone())
}

/// A required `str` field, not empty, as barter's internal name.
fn name_of(dict: &Bound<'_, PyDict>, field: &str) -> PyResult<Option<SmolStr>> {
    let Some(value) = dict.get_item(field)? else {
        return Ok(None);
    };
    // Not a `str`, or one with a lone surrogate (valid JSON, not UTF-8): refused.
    let Some(text) = value.cast::<PyString>().ok().and_then(|t| t.to_cow().ok()) else {
        return Ok(None);
    };
    Ok((!text.is_empty()).then(|| SmolStr::new(internal_name(&text))))
}

/// A required enum field, a `str` barter (or any case) knows.
fn member_of<T: Mirrored>(dict: &Bound<'_, PyDict>, field: &str) -> PyResult<Option<T>> {
    let Some(value) = dict.get_item(field)? else {
        return Ok(None);
    };
    let Some(text) = value.cast::<PyString>().ok().and_then(|t| t.to_cow().ok()) else {
        return Ok(None);
    };
    Ok(Table::<T>::get(dict.py())?.lookup(&text))
}

/// A money field: `Ok(None)` when refused, `Ok(Some(None))` when absent or `null` and `null`
/// is allowed.
fn amount_of(
    dict: &Bound<'_, PyDict>,
    field: &str,
    sign: Sign,
    null: bool,
) -> PyResult<Option<Option<Decimal>>> {
    Ok(match dict.get_item(field)? {
        None => Some(None),
        Some(value) if value.is_none() => null.then_some(None),
        Some(value) => sign.extract(&value).ok().map(Some),
    })
}

/// One JSON item as a snapshot by the models' rules, or `None` if the model refuses it.
fn item(object: &Bound<'_, PyAny>) -> PyResult<Option<InstrumentInput>> {
    let Some(dict) = fields(object, &FIELDS) else {
        return Ok(None);
    };
    let exchange = member_of::<ExchangeId>(&dict, "exchange")?;
    let instrument = name_of(&dict, "instrument")?;
    let base = name_of(&dict, "base")?;
    let quote = name_of(&dict, "quote")?;
    let price = amount_of(&dict, "price", Sign::Positive, true)?;
    let position = match dict.get_item("position")? {
        None => Some(None),
        Some(held) if held.is_none() => Some(None),
        Some(held) => position_of(&held)?.map(Some),
    };
    let spec = match dict.get_item("spec")? {
        None => Some(None),
        Some(rules) if rules.is_none() => Some(None),
        Some(rules) => spec_of(&rules)?.map(Some),
    };
    let read = || {
        let instrument = instrument?;
        let position: Option<PositionInput> = position?;
        // The model's own check: a position is for its instrument.
        if position
            .as_ref()
            .is_some_and(|p| p.instrument != instrument)
        {
            return None;
        }
        Some(InstrumentInput {
            exchange: exchange?,
            instrument,
            base: base?,
            quote: quote?,
            price: price?,
            position,
            spec: spec?,
        })
    };
    Ok(read())
}

/// An item's `spec` by `InstrumentSpec`'s rules: `tick_size` and `lot_size` `> 0`,
/// `min_notional` `>= 0` (0 when absent); `None` if the model refuses it.
fn spec_of(object: &Bound<'_, PyAny>) -> PyResult<Option<Spec>> {
    let Some(dict) = fields(object, &SPEC_FIELDS) else {
        return Ok(None);
    };
    let tick_size = amount_of(&dict, "tick_size", Sign::Positive, false)?;
    let lot_size = amount_of(&dict, "lot_size", Sign::Positive, false)?;
    let min_notional = amount_of(&dict, "min_notional", Sign::NonNegative, false)?;
    Ok((|| {
        Some(Spec {
            tick_size: tick_size??,
            lot_size: lot_size??,
            min_notional: min_notional?.unwrap_or(Decimal::ZERO),
        })
    })())
}

fn position_of(object: &Bound<'_, PyAny>) -> PyResult<Option<PositionInput>> {
    let Some(dict) = fields(object, &POSITION_FIELDS) else {
        return Ok(None);
    };
    let instrument = name_of(&dict, "instrument")?;
    let side = member_of::<Side>(&dict, "side")?;
    let quantity = match dict.get_item("quantity")? {
        None => None,
        Some(value) => Sign::NonNegative.extract(&value).ok(),
    };
    let entry = amount_of(&dict, "price_entry_average", Sign::NonNegative, false)?;
    Ok((|| {
        Some(PositionInput {
            instrument: instrument?,
            side: side?,
            quantity: quantity?,
            price_entry_average: entry?.unwrap_or(Decimal::ZERO),
        })
    })())
}

/// The line breaks in `bytes` (`\n`, `\r\n` or a lone `\r`); `next` is the byte after them.
fn line_breaks(bytes: &[u8], next: Option<u8>) -> usize {
    let lone_cr = |at: usize| bytes.get(at + 1).copied().or(next) != Some(b'\n');
    let breaks = bytes.iter().enumerate();
    breaks
        .filter(|(at, b)| **b == b'\n' || (**b == b'\r' && lone_cr(*at)))
        .count()
}

/// `BookError.of(source, problems)`: one error listing them, worded by the Python class.
fn book_error(py: Python<'_>, source: &str, problems: Vec<String>) -> PyErr {
    let error = Class::BookError
        .get(py)
        .and_then(|class| class.call_method1("of", (source, problems)));
    match error {
        Ok(error) => PyErr::from_value(error),
        Err(err) => err,
    }
}
