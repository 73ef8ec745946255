//! Where the engine's orders go: the simulated exchange (spec §8) or barter-execution's
//! `MockExchange`, chosen by the Python exchange model a caller passes
//! (`barter_python.exchange`), and the queue that holds the engine's requests for either.

pub mod conditional;
pub mod depth;
pub mod latency;
pub mod market;
pub mod queue;
pub mod simulated;

use crate::bind::decimal;
use depth::position::{Function, Model};
use latency::{Latency, Recorded};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rust_decimal::Decimal;
use simulated::{Account, FillVolume, LimitFill, Settings};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The exchange a session's config names (Python's `Exchange`: a `SimulatedExchange` or a
/// `BarterMockExchange` model, validated there: each field's range is checked once, in the
/// model). The engine builds its `Venue` from it.
#[derive(Debug, Clone)]
pub enum Exchange {
    Simulated(Settings),
    BarterMock {
        fees_percent: Decimal,
        latency_ms: u64,
    },
}

/// A `SimulatedExchange`'s latency: its `latency_from` file, read now (a problem names the
/// file and line), else `latency_ms` and `response_latency_ms`.
fn latency(model: &Bound<'_, PyAny>) -> PyResult<Latency> {
    let from: Option<PathBuf> = model.getattr("latency_from")?.extract()?;
    if let Some(path) = from {
        return read_latency(&path);
    }
    Ok(Latency::constant(
        model.getattr("latency_ms")?.extract()?,
        model.getattr("response_latency_ms")?.extract()?,
    ))
}

fn read_latency(path: &Path) -> PyResult<Latency> {
    let recorded = Recorded::read(path).map_err(PyValueError::new_err)?;
    Ok(Latency::Recorded(Arc::new(recorded)))
}

/// Check a `latency_from` file (`SimulatedExchange`'s validator): `ValueError` naming the
/// file, the line and the field of its first problem.
#[pyfunction]
pub fn check_latency_file(path: PathBuf) -> PyResult<()> {
    read_latency(&path).map(|_| ())
}

impl Exchange {
    pub fn extract(model: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind: String = model.getattr("kind")?.extract()?;
        let money = |name: &str| decimal::extract(&model.getattr(name)?, name);
        let text = |name: &str| model.getattr(name)?.extract::<String>();
        match kind.as_str() {
            "simulated" => Ok(Exchange::Simulated(Settings {
                account: match text("account")?.as_str() {
                    "margin" => Account::Margin,
                    _ => Account::Cash,
                },
                leverage: money("leverage")?,
                taker_fee: money("fees_percent")?,
                maker_fee: money("maker_fee")?,
                slippage_bps: money("slippage_bps")?,
                fill_volume: match text("fill_volume")?.as_str() {
                    "displayed" => FillVolume::Displayed,
                    _ => FillVolume::Unlimited,
                },
                limit_fill: match text("limit_fill")?.as_str() {
                    "touch" => LimitFill::Touch,
                    _ => LimitFill::Through,
                },
                queue: match text("queue")?.as_str() {
                    "risk_averse" => Some(Model::RiskAverse),
                    "probabilistic" => Some(Model::Probabilistic(
                        match text("queue_function")?.as_str() {
                            "log" => Function::Log,
                            _ => Function::Power(model.getattr("queue_power")?.extract()?),
                        },
                    )),
                    _ => None,
                },
                latency: latency(model)?,
            })),
            "barter_mock" => Ok(Exchange::BarterMock {
                fees_percent: money("fees_percent")?,
                latency_ms: model.getattr("latency_ms")?.extract()?,
            }),
            other => Err(PyValueError::new_err(format!(
                "exchange must be a SimulatedExchange or a BarterMockExchange, got kind {other:?}"
            ))),
        }
    }

    /// The taker fee: what an order's value is checked with before it is sent.
    pub fn fees_percent(&self) -> Decimal {
        match self {
            Exchange::Simulated(settings) => settings.taker_fee,
            Exchange::BarterMock { fees_percent, .. } => *fees_percent,
        }
    }

    /// `"simulated"` or `"barter_mock"`, as results name it.
    pub fn name(&self) -> &'static str {
        match self {
            Exchange::Simulated(_) => "simulated",
            Exchange::BarterMock { .. } => "barter_mock",
        }
    }
}
