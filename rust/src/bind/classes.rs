//! The Python classes the native module hands out but does not define.
//!
//! The package above this module (`barter_python`) defines the enums, the snapshot model and
//! the exception hierarchy as plain Python classes, so that users and type checkers see them as
//! such. The native module returns and raises them, so it needs them too: each module of the
//! package hands its classes over when it is imported, and this file is the one place that
//! keeps them.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

/// A class of the `barter_python` package that the native module uses.
#[derive(Clone, Copy)]
pub enum Class {
    Side,
    ExchangeId,
    OrderKind,
    TimeInForce,
    PositionSnapshot,
    InstrumentSnapshot,
    InstrumentSpec,
    BookError,
    DuplicateInstrumentError,
    MissingPriceError,
    UnknownInstrumentError,
    EngineError,
    MarketDataError,
    BacktestError,
}

const CLASSES: usize = 14;

const ALL: [Class; CLASSES] = [
    Class::Side,
    Class::ExchangeId,
    Class::OrderKind,
    Class::TimeInForce,
    Class::PositionSnapshot,
    Class::InstrumentSnapshot,
    Class::InstrumentSpec,
    Class::BookError,
    Class::DuplicateInstrumentError,
    Class::MissingPriceError,
    Class::UnknownInstrumentError,
    Class::EngineError,
    Class::MarketDataError,
    Class::BacktestError,
];

static CELLS: [PyOnceLock<Py<PyType>>; CLASSES] = [const { PyOnceLock::new() }; CLASSES];

impl Class {
    /// The class's name, as handed over and for messages.
    pub fn name(self) -> &'static str {
        match self {
            Class::Side => "Side",
            Class::ExchangeId => "ExchangeId",
            Class::OrderKind => "OrderKind",
            Class::TimeInForce => "TimeInForce",
            Class::PositionSnapshot => "PositionSnapshot",
            Class::InstrumentSnapshot => "InstrumentSnapshot",
            Class::InstrumentSpec => "InstrumentSpec",
            Class::BookError => "BookError",
            Class::DuplicateInstrumentError => "DuplicateInstrumentError",
            Class::MissingPriceError => "MissingPriceError",
            Class::UnknownInstrumentError => "UnknownInstrumentError",
            Class::EngineError => "EngineError",
            Class::MarketDataError => "MarketDataError",
            Class::BacktestError => "BacktestError",
        }
    }

    /// The class, as its module handed it over (`bind_classes`).
    pub fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
        match CELLS[self as usize].get(py) {
            Some(class) => Ok(class.bind(py)),
            None => Err(PyRuntimeError::new_err(format!(
                "{} has not been handed to the native module: the package module defining it \
                 hands it over when imported",
                self.name()
            ))),
        }
    }
}

/// Each module of the package that defines a class the native module returns or raises hands
/// it over once, when it is imported (`bind_classes(Side=Side, ...)`): the native module never
/// imports the package (pydantic-core's rule), so the dependency runs one way.
#[pyfunction]
#[pyo3(signature = (**classes))]
pub fn bind_classes(py: Python<'_>, classes: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let Some(classes) = classes else {
        return Ok(());
    };
    for (name, class) in classes.iter() {
        let name: String = name.extract()?;
        let class = class
            .cast_into::<PyType>()
            .map_err(|_| PyTypeError::new_err(format!("bind_classes: {name} must be a class")))?;
        let Some(known) = ALL.into_iter().find(|known| known.name() == name) else {
            return Err(PyValueError::new_err(format!(
                "bind_classes: the native module does not use a class named {name}"
            )));
        };
        // A second import of a module (importlib.reload) hands over the same name: the first
        // class stays, as the objects already made are instances of it.
        let _ = CELLS[known as usize].set(py, class.unbind());
    }
    Ok(())
}

/// The name of an object's type, for messages (`got list`).
pub fn type_name(object: &Bound<'_, PyAny>) -> String {
    let name = object.get_type().name();
    name.map(|name| name.to_string()).unwrap_or_default()
}
