//! Backtests: recorded market data (`market::data`) replayed deterministically through a
//! session (`session`) of barter's `Engine` with a Python strategy.

pub mod clocks;
pub mod run;

use pyo3::prelude::*;

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(run::run_backtest, module)?)?;
    Ok(())
}
