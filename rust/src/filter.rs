//! barter's `InstrumentFilter`, named the way a Python caller names instruments, and its
//! translation to barter's index keys for one assembled book.

use crate::enums;
use crate::error::{self, Kind};
use crate::snapshot::InstrumentInput;
use crate::state::Index;
use barter::engine::state::instrument::filter::InstrumentFilter;
use barter_instrument::{
    asset::name::AssetNameInternal, exchange::ExchangeId, instrument::name::InstrumentNameInternal,
    Underlying,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::collections::HashMap;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Spec {
    None,
    Exchanges(Vec<ExchangeId>),
    Instruments(Vec<InstrumentNameInternal>),
    Underlyings(Vec<(AssetNameInternal, AssetNameInternal)>),
}

/// Which instruments a close applies to; mirrors barter's `InstrumentFilter`.
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "barter_python._native",
    name = "InstrumentFilter"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyInstrumentFilter(Spec);

fn at_least_one(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<()> {
    if args.is_empty() {
        return Err(PyValueError::new_err(format!(
            "InstrumentFilter.{what}() needs at least one value; \
             InstrumentFilter.none() selects every instrument"
        )));
    }
    Ok(())
}

#[pymethods]
impl PyInstrumentFilter {
    /// Every instrument (barter's `InstrumentFilter::None`).
    #[staticmethod]
    fn none() -> Self {
        Self(Spec::None)
    }

    /// Instruments on any of these exchanges.
    #[staticmethod]
    #[pyo3(signature = (*exchanges))]
    fn exchanges(exchanges: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(exchanges, "exchanges")?;
        let ids = exchanges
            .iter()
            .map(|e| enums::from_py(&e))
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Exchanges(ids)))
    }

    /// Instruments with any of these names, on every exchange that has them.
    #[staticmethod]
    #[pyo3(signature = (*names))]
    fn instruments(names: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(names, "instruments")?;
        let names = names
            .iter()
            .map(|name| Ok(InstrumentNameInternal::new(name.extract::<String>()?)))
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Instruments(names)))
    }

    /// Instruments with any of these `(base, quote)` pairs, on every exchange that has them.
    #[staticmethod]
    #[pyo3(signature = (*pairs))]
    fn underlyings(pairs: &Bound<'_, PyTuple>) -> PyResult<Self> {
        at_least_one(pairs, "underlyings")?;
        let pairs = pairs
            .iter()
            .map(|pair| {
                let (base, quote): (String, String) = pair.extract()?;
                Ok((AssetNameInternal::new(base), AssetNameInternal::new(quote)))
            })
            .collect::<PyResult<_>>()?;
        Ok(Self(Spec::Underlyings(pairs)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let args: Vec<String> = match &self.0 {
            Spec::None => return Ok("InstrumentFilter.none()".into()),
            Spec::Exchanges(ids) => {
                let reprs = ids.iter().map(|id| enums::repr(py, *id));
                let args = reprs.collect::<PyResult<Vec<_>>>()?;
                return Ok(format!("InstrumentFilter.exchanges({})", args.join(", ")));
            }
            Spec::Instruments(names) => names.iter().map(|n| format!("'{n}'")).collect(),
            Spec::Underlyings(pairs) => pairs
                .iter()
                .map(|(b, q)| format!("('{b}', '{q}')"))
                .collect(),
        };
        let what = if matches!(self.0, Spec::Instruments(_)) {
            "instruments"
        } else {
            "underlyings"
        };
        Ok(format!("InstrumentFilter.{what}({})", args.join(", ")))
    }
}

impl PyInstrumentFilter {
    /// barter's index-keyed filter for `book`; names the book lacks are an error, exchanges it
    /// lacks simply match nothing.
    pub fn resolve(
        &self,
        py: Python<'_>,
        book: &Index,
        inputs: &[InstrumentInput],
    ) -> PyResult<InstrumentFilter> {
        Ok(match &self.0 {
            Spec::None => InstrumentFilter::None,
            Spec::Exchanges(ids) => InstrumentFilter::exchanges(
                book.exchanges
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| ids.contains(id))
                    .map(|(index, _)| barter_instrument::exchange::ExchangeIndex(index)),
            ),
            Spec::Instruments(wanted) => {
                // The caller's name (as barter would lowercase it) -> every index carrying it.
                let mut names: HashMap<InstrumentNameInternal, Vec<usize>> = HashMap::new();
                for (index, input) in book.input_of.iter().enumerate() {
                    let name = InstrumentNameInternal::new(inputs[*input].instrument.as_str());
                    names.entry(name).or_default().push(index);
                }
                let mut indices = Vec::new();
                for name in wanted {
                    let found = names.get(name).ok_or_else(|| {
                        error::new_err(
                            py,
                            Kind::UnknownInstrument,
                            format!("filter names instrument '{name}', which is not in the book"),
                        )
                    })?;
                    indices.extend(
                        found
                            .iter()
                            .map(|i| barter_instrument::instrument::InstrumentIndex(*i)),
                    );
                }
                InstrumentFilter::instruments(indices)
            }
            Spec::Underlyings(pairs) => {
                let mut underlyings = Vec::new();
                for (base, quote) in pairs {
                    let before = underlyings.len();
                    for exchange in &book.exchanges {
                        let base_index = book.asset_index.get(&(*exchange, base.clone()));
                        let quote_index = book.asset_index.get(&(*exchange, quote.clone()));
                        if let (Some(base), Some(quote)) = (base_index, quote_index) {
                            underlyings.push(Underlying {
                                base: *base,
                                quote: *quote,
                            });
                        }
                    }
                    if underlyings.len() == before {
                        return Err(error::new_err(
                            py,
                            Kind::UnknownInstrument,
                            format!(
                                "filter names underlying ('{base}', '{quote}'), \
                                 which no exchange in the book has"
                            ),
                        ));
                    }
                }
                InstrumentFilter::underlyings(underlyings)
            }
        })
    }
}

/// Extract an optional filter argument (`None` means every instrument).
pub fn extract(filter: Option<&Bound<'_, PyAny>>) -> PyResult<PyInstrumentFilter> {
    match filter {
        None => Ok(PyInstrumentFilter(Spec::None)),
        Some(filter) => Ok(filter.cast::<PyInstrumentFilter>()?.get().clone()),
    }
}
