//! The Python classes the native module hands out but does not define.
//!
//! The package above this module (`barter_python`) defines the enums, the snapshot model and
//! the exception hierarchy as plain Python classes, so that users and type checkers see them as
//! such. The native module returns and raises them, so it needs them too: this file is the one
//! place that names them, each looked up once and cached for the life of the interpreter.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// A class of the `barter_python` package that the native module uses.
#[derive(Clone, Copy)]
pub enum Class {
    Side,
    ExchangeId,
    OrderKind,
    TimeInForce,
    PositionSnapshot,
    InstrumentSnapshot,
    BookError,
    DuplicateInstrumentError,
    MissingPriceError,
    UnknownInstrumentError,
    EngineError,
    MarketDataError,
    BacktestError,
}

const CLASSES: usize = 13;

impl Class {
    /// The module and name of the class.
    pub fn path(self) -> (&'static str, &'static str) {
        match self {
            Class::Side => ("barter_python.instrument", "Side"),
            Class::ExchangeId => ("barter_python.instrument", "ExchangeId"),
            Class::OrderKind => ("barter_python.order", "OrderKind"),
            Class::TimeInForce => ("barter_python.order", "TimeInForce"),
            Class::PositionSnapshot => ("barter_python.snapshot", "PositionSnapshot"),
            Class::InstrumentSnapshot => ("barter_python.snapshot", "InstrumentSnapshot"),
            Class::BookError => ("barter_python.errors", "BookError"),
            Class::DuplicateInstrumentError => ("barter_python.errors", "DuplicateInstrumentError"),
            Class::MissingPriceError => ("barter_python.errors", "MissingPriceError"),
            Class::UnknownInstrumentError => ("barter_python.errors", "UnknownInstrumentError"),
            Class::EngineError => ("barter_python.errors", "EngineError"),
            Class::MarketDataError => ("barter_python.errors", "MarketDataError"),
            Class::BacktestError => ("barter_python.errors", "BacktestError"),
        }
    }

    /// The class itself, imported on first use.
    pub fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
        static CELLS: [PyOnceLock<Py<PyType>>; CLASSES] = [const { PyOnceLock::new() }; CLASSES];
        let (module, name) = self.path();
        CELLS[self as usize].import(py, module, name)
    }
}

/// The name of an object's type, for messages (`got list`).
pub fn type_name(object: &Bound<'_, PyAny>) -> String {
    let name = object.get_type().name();
    name.map(|name| name.to_string()).unwrap_or_default()
}
