//! Backtests: market data held natively for a deterministic replay through barter's `Engine`.

pub mod data;

use pyo3::prelude::*;

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<data::PyMarketData>()?;
    Ok(())
}
