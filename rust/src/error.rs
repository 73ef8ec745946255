//! Errors raised by the native module.
//!
//! The exception classes live in `barter_python.errors` (one hierarchy, defined in Python so
//! that users and type checkers see plain classes); this file only looks them up and builds them.

use crate::snapshot::InstrumentInput;
use crate::state::Duplicate;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// One of the exception classes of `barter_python.errors`.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A `(exchange, instrument)` pair given twice.
    DuplicateInstrument,
    /// An open position that barter would skip because it has no price.
    MissingPrice,
    /// A filter naming an instrument or underlying the book does not have.
    UnknownInstrument,
    /// barter's engine panicked; the engine is no longer usable.
    Engine,
    /// Market data that cannot be read: the message names the file and line.
    MarketData,
}

static DUPLICATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MISSING_PRICE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNKNOWN: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENGINE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MARKET_DATA: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn class(py: Python<'_>, kind: Kind) -> PyResult<&Bound<'_, PyType>> {
    let (cell, name) = match kind {
        Kind::DuplicateInstrument => (&DUPLICATE, "DuplicateInstrumentError"),
        Kind::MissingPrice => (&MISSING_PRICE, "MissingPriceError"),
        Kind::UnknownInstrument => (&UNKNOWN, "UnknownInstrumentError"),
        Kind::Engine => (&ENGINE, "EngineError"),
        Kind::MarketData => (&MARKET_DATA, "MarketDataError"),
    };
    cell.import(py, "barter_python.errors", name)
}

/// Build an exception of `kind` carrying `message`.
pub fn new_err(py: Python<'_>, kind: Kind, message: String) -> PyErr {
    match class(py, kind) {
        Ok(class) => PyErr::from_type(class.clone(), message),
        Err(err) => err,
    }
}

/// An exception of `kind` that also carries the positions in the book of the instruments at
/// fault (its `indices`), so that a caller can name them its own way (a file's lines).
fn with_indices(py: Python<'_>, kind: Kind, message: String, indices: Vec<usize>) -> PyErr {
    match class(py, kind).and_then(|class| class.call1((message, indices))) {
        Ok(error) => PyErr::from_value(error),
        Err(err) => err,
    }
}

/// `DuplicateInstrumentError` for two inputs barter would treat as one instrument.
pub fn duplicate(py: Python<'_>, inputs: &[InstrumentInput], dup: Duplicate) -> PyErr {
    let input = &inputs[dup.1];
    let message = format!(
        "instrument '{}' on exchange '{}' appears twice (items {} and {})",
        input.instrument,
        input.exchange.as_str(),
        dup.0,
        dup.1
    );
    with_indices(py, Kind::DuplicateInstrument, message, vec![dup.0, dup.1])
}

/// How many instruments an error message lists before "and N more".
const LISTED: usize = 20;

/// `MissingPriceError` for every open position (positions `missing` in the book, ascending)
/// that barter would skip because it has no price.
pub fn missing_price(py: Python<'_>, inputs: &[InstrumentInput], missing: Vec<usize>) -> PyErr {
    let names: Vec<String> = missing
        .iter()
        .take(LISTED)
        .map(|i| {
            let input = &inputs[*i];
            format!(
                "'{}' on exchange '{}'",
                input.instrument,
                input.exchange.as_str()
            )
        })
        .collect();
    let more = match missing.len().saturating_sub(LISTED) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let (subject, them) = match missing.len() {
        1 => (format!("instrument {}", names[0]), "it"),
        n => (
            format!("{n} instruments ({}{more})", names.join(", ")),
            "them",
        ),
    };
    let message = format!(
        "{subject} {} an open position but no price; give {them} a price, or pass \
         on_missing_price=\"skip\" to leave {them} open",
        if missing.len() == 1 { "has" } else { "have" }
    );
    with_indices(py, Kind::MissingPrice, message, missing)
}
