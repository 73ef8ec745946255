//! barter-python's native module, `barter_python._native`.
//!
//! Conversions between Python values and barter's own types, and thin wrappers that call
//! barter's functions. No trading logic lives here: barter does the work.

use pyo3::prelude::*;

pub mod backtest;
mod book;
mod decimal;
pub mod engine;
mod enums;
mod error;
mod filter;
mod instrument;
mod market;
pub mod order;
mod python;
pub mod snapshot;
pub mod state;
pub mod strategy;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    order::register(m)?;
    m.add_class::<book::PyBook>()?;
    m.add_class::<filter::PyInstrumentFilter>()?;
    strategy::register(m)?;
    engine::register(m)?;
    backtest::register(m)?;
    m.add_function(wrap_pyfunction!(decimal::to_decimal, m)?)?;
    m.add_function(wrap_pyfunction!(enums::barter_name, m)?)?;
    m.add_function(wrap_pyfunction!(enums::barter_variants, m)?)?;
    Ok(())
}

// barter's `EngineState` is large (≈1 KiB per instrument); glibc returns such blocks to the OS
// on free, so every call page-faults them in again. mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
