//! Errors raised by the native module.
//!
//! The exception classes live in `barter_python.errors` (one hierarchy, defined in Python so
//! that users and type checkers see plain classes); this file only builds them.

use crate::bind::classes::Class;
use pyo3::prelude::*;

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
    /// A backtest stopped (the strategy raised, or barter failed) at a named event.
    Backtest,
}

impl Kind {
    fn class(self) -> Class {
        match self {
            Kind::DuplicateInstrument => Class::DuplicateInstrumentError,
            Kind::MissingPrice => Class::MissingPriceError,
            Kind::UnknownInstrument => Class::UnknownInstrumentError,
            Kind::Engine => Class::EngineError,
            Kind::MarketData => Class::MarketDataError,
            Kind::Backtest => Class::BacktestError,
        }
    }
}

/// Build an exception of `kind` carrying `message`.
pub fn new_err(py: Python<'_>, kind: Kind, message: String) -> PyErr {
    match kind.class().get(py) {
        Ok(class) => PyErr::from_type(class.clone(), message),
        Err(err) => err,
    }
}

/// An exception of `kind` that also carries the positions in the book of the instruments at
/// fault (its `indices`), so that a caller can name them its own way (a file's lines).
pub fn with_indices(py: Python<'_>, kind: Kind, message: String, indices: Vec<usize>) -> PyErr {
    let class = kind.class().get(py);
    match class.and_then(|class| class.call1((message, indices))) {
        Ok(error) => PyErr::from_value(error),
        Err(err) => err,
    }
}

/// How many items an error message lists before "and N more".
pub const LISTED: usize = 20;

/// The message a panic carried (`panic!` gives a `String` or a `&str`).
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

thread_local! {
    /// This thread runs work whose panic the SDK catches and reports itself.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `catch_unwind` without the panic hook's message on stderr: the caller reports the panic
/// (as an event or an error). Other panics reach the hook that was installed before.
pub fn catch_quietly<R>(work: impl FnOnce() -> R) -> std::thread::Result<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                previous(info)
            }
        }));
    });
    let before = CATCHING.with(|catching| catching.replace(true));
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    CATCHING.with(|catching| catching.set(before));
    done
}

/// `work`, with a panic inside it raised as an exception of `kind`. Every input is checked
/// before it reaches barter, so a panic is a bug; it must still not reach Python as
/// `PanicException`, a `BaseException` that `except Exception` does not catch.
pub fn guard<T>(py: Python<'_>, kind: Kind, work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_quietly(work).unwrap_or_else(|panic| {
        let message = format!(
            "an internal failure stopped the work (please report it): {}",
            panic_text(panic.as_ref())
        );
        Err(new_err(py, kind, message))
    })
}
