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
}

static DUPLICATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MISSING_PRICE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNKNOWN: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENGINE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Build an exception of `kind` carrying `message`.
pub fn new_err(py: Python<'_>, kind: Kind, message: String) -> PyErr {
    let (cell, name) = match kind {
        Kind::DuplicateInstrument => (&DUPLICATE, "DuplicateInstrumentError"),
        Kind::MissingPrice => (&MISSING_PRICE, "MissingPriceError"),
        Kind::UnknownInstrument => (&UNKNOWN, "UnknownInstrumentError"),
        Kind::Engine => (&ENGINE, "EngineError"),
    };
    match cell.import(py, "barter_python.errors", name) {
        Ok(class) => PyErr::from_type(class.clone(), message),
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
    new_err(py, Kind::DuplicateInstrument, message)
}
