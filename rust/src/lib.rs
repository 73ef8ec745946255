//! barter-python's native module, `barter_python._native`.
//!
//! Conversions between Python values and barter's own types, and thin wrappers that call
//! barter's functions. No trading logic lives here: barter does the work.

use pyo3::prelude::*;

pub mod backtest;
mod book;
mod book_file;
mod decimal;
pub mod engine;
mod enums;
mod error;
pub mod filter;
mod flatten;
mod instrument;
mod market;
pub mod order;
mod python;
pub mod snapshot;
pub mod state;
pub mod strategy;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    order::register(m)?;
    m.add_class::<book::PyBook>()?;
    m.add_class::<filter::PyInstrumentFilter>()?;
    m.add_class::<book_file::PyBookRows>()?;
    m.add_class::<flatten::PyFlattened>()?;
    m.add_function(wrap_pyfunction!(book_file::read_csv, m)?)?;
    m.add_function(wrap_pyfunction!(book_file::read_items, m)?)?;
    m.add_function(wrap_pyfunction!(book_file::json_item_lines, m)?)?;
    m.add(
        "BOOK_CSV_COLUMNS",
        pyo3::types::PyTuple::new(m.py(), book_file::COLUMNS)?,
    )?;
    m.add_function(wrap_pyfunction!(book_file::internal_name, m)?)?;
    m.add_function(wrap_pyfunction!(flatten::flatten, m)?)?;
    strategy::register(m)?;
    engine::register(m)?;
    backtest::register(m)?;
    m.add_function(wrap_pyfunction!(decimal::to_decimal, m)?)?;
    m.add_function(wrap_pyfunction!(decimal::non_negative, m)?)?;
    m.add_function(wrap_pyfunction!(decimal::positive, m)?)?;
    m.add_function(wrap_pyfunction!(enums::barter_name, m)?)?;
    m.add_function(wrap_pyfunction!(enums::barter_variants, m)?)?;
    Ok(())
}

// barter's `EngineState` is large (≈1 KiB per instrument); glibc returns such blocks to the OS
// on free, so every call page-faults them in again. mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
