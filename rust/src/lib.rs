//! barter-python's native module, `barter_python._native`.
//!
//! Conversions between Python values and barter's own types, and thin wrappers that call
//! barter's functions. No trading logic lives here: barter does the work.

use pyo3::prelude::*;

pub mod backtest;
pub mod bind;
pub mod book;
pub mod engine;
pub mod exchange;
pub mod live;
pub mod market;
pub mod order;
pub mod risk;
pub mod session;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    order::register(m)?;
    exchange::conditional::py::register(m)?;
    m.add_function(wrap_pyfunction!(exchange::check_latency_file, m)?)?;
    m.add_class::<book::kept::PyBook>()?;
    m.add_class::<book::filter::PyInstrumentFilter>()?;
    m.add_class::<book::file::PyBookRows>()?;
    m.add_class::<book::flatten::PyFlattened>()?;
    m.add_function(wrap_pyfunction!(book::file::read_csv, m)?)?;
    m.add_function(wrap_pyfunction!(book::file::read_items, m)?)?;
    m.add_function(wrap_pyfunction!(book::file::json_item_lines, m)?)?;
    m.add(
        "BOOK_CSV_COLUMNS",
        pyo3::types::PyTuple::new(m.py(), book::file::COLUMNS)?,
    )?;
    m.add_function(wrap_pyfunction!(book::file::internal_name, m)?)?;
    m.add_function(wrap_pyfunction!(book::flatten::flatten, m)?)?;
    book::close::register(m)?;
    engine::register(m)?;
    market::register(m)?;
    session::register(m)?;
    backtest::register(m)?;
    live::register(m)?;
    m.add_function(wrap_pyfunction!(bind::decimal::to_decimal, m)?)?;
    m.add_function(wrap_pyfunction!(bind::decimal::non_negative, m)?)?;
    m.add_function(wrap_pyfunction!(bind::decimal::positive, m)?)?;
    m.add_function(wrap_pyfunction!(bind::enums::barter_name, m)?)?;
    m.add_function(wrap_pyfunction!(bind::classes::bind_classes, m)?)?;
    m.add_function(wrap_pyfunction!(bind::enums::barter_variants, m)?)?;
    Ok(())
}

// barter's `EngineState` is large (≈1 KiB per instrument); glibc returns such blocks to the OS
// on free, so every call page-faults them in again. mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
