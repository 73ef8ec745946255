//! Backtests: market data held natively, replayed deterministically through barter's `Engine`
//! with a Python strategy, and barter's statistics of the run.

pub mod data;
pub mod equity;
pub mod orders;
pub mod rows;
pub mod run;
pub mod session;
pub mod summary;

use pyo3::prelude::*;

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<data::PyMarketData>()?;
    module.add_function(wrap_pyfunction!(run::run_backtest, module)?)?;
    rows::register(module)?;
    Ok(())
}
